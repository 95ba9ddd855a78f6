package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestCronNext(t *testing.T) {
	// 2026-03-02 is a Monday.
	for _, tc := range []struct {
		expr string
		from string
		want []string // consecutive Next results
	}{
		{"* * * * *", "2026-03-02 10:00", []string{"2026-03-02 10:01", "2026-03-02 10:02"}},
		{"*/15 * * * *", "2026-03-02 10:07", []string{"2026-03-02 10:15", "2026-03-02 10:30", "2026-03-02 10:45", "2026-03-02 11:00"}},
		{"0 * * * *", "2026-03-02 10:00", []string{"2026-03-02 11:00", "2026-03-02 12:00"}},
		{"30 2 * * *", "2026-03-02 10:00", []string{"2026-03-03 02:30", "2026-03-04 02:30"}},
		{"5,10-12 9 * * *", "2026-03-02 09:10", []string{"2026-03-02 09:11", "2026-03-02 09:12", "2026-03-03 09:05"}},
		{"0 0 1 * *", "2026-03-02 10:00", []string{"2026-04-01 00:00", "2026-05-01 00:00"}},
		{"0 0 31 * *", "2026-03-31 00:00", []string{"2026-05-31 00:00", "2026-07-31 00:00", "2026-08-31 00:00"}},
		{"0 12 * * mon-fri", "2026-03-06 12:00", []string{"2026-03-09 12:00", "2026-03-10 12:00"}}, // Fri -> Mon
		{"0 12 * * 0", "2026-03-02 00:00", []string{"2026-03-08 12:00", "2026-03-15 12:00"}},
		{"0 12 * * 7", "2026-03-02 00:00", []string{"2026-03-08 12:00"}}, // 7 is Sunday
		{"0 12 * * 5-7", "2026-03-02 00:00", []string{"2026-03-06 12:00", "2026-03-07 12:00", "2026-03-08 12:00", "2026-03-13 12:00"}},
		{"0 0 * JAN,jul *", "2026-03-02 00:00", []string{"2026-07-01 00:00", "2026-07-02 00:00"}},
		{"0 0 29 2 *", "2026-03-02 00:00", []string{"2028-02-29 00:00", "2032-02-29 00:00"}},
		// Both day fields restricted: either matches (the 13th, or Fridays).
		{"0 0 13 * fri", "2026-03-01 00:00", []string{"2026-03-06 00:00", "2026-03-13 00:00", "2026-03-20 00:00"}},
		// A '*/n' day-of-month counts as unrestricted: both must match.
		{"0 0 */2 * mon", "2026-03-01 00:00", []string{"2026-03-09 00:00", "2026-03-23 00:00"}},
		{"10/20 * * * *", "2026-03-02 10:00", []string{"2026-03-02 10:10", "2026-03-02 10:30", "2026-03-02 10:50", "2026-03-02 11:10"}},
		{"0-10/5 0 * * *", "2026-03-02 00:00", []string{"2026-03-02 00:05", "2026-03-02 00:10", "2026-03-03 00:00"}},
		{"@hourly", "2026-03-02 10:30", []string{"2026-03-02 11:00"}},
		{"@daily", "2026-12-31 10:30", []string{"2027-01-01 00:00"}},
		{"@weekly", "2026-03-02 10:30", []string{"2026-03-08 00:00"}},
		{"@monthly", "2026-03-02 10:30", []string{"2026-04-01 00:00"}},
		{"@yearly", "2026-03-02 10:30", []string{"2027-01-01 00:00"}},
		{"59 23 31 12 *", "2026-12-31 23:59", []string{"2027-12-31 23:59"}},
	} {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Errorf("ParseCron(%q): %v", tc.expr, err)
			continue
		}
		at := mustTime(t, tc.from)
		for _, w := range tc.want {
			at = c.Next(at)
			if want := mustTime(t, w); !at.Equal(want) {
				t.Errorf("%q: next = %s, want %s", tc.expr, at.Format("2006-01-02 15:04 Mon"), w)
				break
			}
			if !c.Matches(at) {
				t.Errorf("%q: Next gave %s, which does not match", tc.expr, at)
			}
		}
	}
}

func TestCronNextSeconds(t *testing.T) {
	c, _ := ParseCron("* * * * *")
	from := time.Date(2026, 3, 2, 10, 0, 59, 999, time.UTC)
	if got := c.Next(from); !got.Equal(time.Date(2026, 3, 2, 10, 1, 0, 0, time.UTC)) {
		t.Errorf("Next(%s) = %s", from, got)
	}
}

func TestCronLocation(t *testing.T) {
	zone := time.FixedZone("X", 5*3600+1800)
	c, _ := ParseCron("0 9 * * *")
	got := c.Next(time.Date(2026, 3, 2, 10, 0, 0, 0, zone))
	if want := time.Date(2026, 3, 3, 9, 0, 0, 0, zone); !got.Equal(want) || got.Location() != zone {
		t.Errorf("Next = %s, want %s", got, want)
	}
}

// Around daylight-saving changes the search still moves forward and finds
// wall-clock times that exist.
func TestCronDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	c, _ := ParseCron("30 2 * * *")
	// 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist.
	got := c.Next(time.Date(2026, 3, 8, 0, 0, 0, 0, ny))
	if want := time.Date(2026, 3, 9, 2, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("spring forward: Next = %s, want %s", got, want)
	}
	c, _ = ParseCron("0 * * * *")
	at := time.Date(2026, 3, 8, 0, 30, 0, 0, ny)
	for _, want := range []string{"01:00 EST", "03:00 EDT", "04:00 EDT"} {
		at = c.Next(at)
		if got := at.Format("15:04 MST"); got != want {
			t.Errorf("hourly across spring forward: %s, want %s", got, want)
		}
	}
	// 2026-11-01 02:00 EDT falls back to 01:00 EST.
	at = time.Date(2026, 11, 1, 0, 30, 0, 0, ny)
	for _, want := range []string{"01:00 EDT", "01:00 EST", "02:00 EST"} {
		at = c.Next(at)
		if got := at.Format("15:04 MST"); got != want {
			t.Errorf("hourly across fall back: %s, want %s", got, want)
		}
	}
	c, _ = ParseCron("0 0 * * *")
	if got := c.Next(time.Date(2026, 11, 1, 0, 30, 0, 0, ny)); !got.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, ny)) {
		t.Errorf("daily across fall back: %s", got)
	}
}

func TestCronErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", "want 5 fields"},
		{"* * * *", "want 5 fields"},
		{"* * * * * *", "want 5 fields"},
		{"60 * * * *", "minute field \"60\": value 60 is out of range 0-59"},
		{"* 24 * * *", "hour field"},
		{"* * 0 * *", "day-of-month field"},
		{"* * 32 * *", "day-of-month field"},
		{"* * * 13 *", "month field"},
		{"* * * * 8", "day-of-week field"},
		{"* * * foo *", "not a number from 1 to 12 nor a name like jan"},
		{"* * * * funday", "nor a name like mon"},
		{"5-1 * * * *", "runs backwards"},
		{"*/0 * * * *", "step \"0\""},
		{"*/x * * * *", "step \"x\""},
		{"1,,2 * * * *", "empty list element"},
		{"/5 * * * *", "missing value before '/'"},
		{"1- * * * *", "missing value"},
		{"-1 * * * *", "missing value"},
		{"+1 * * * *", "not a number"},
		{"1-2-3 * * * *", "not a number"},
		{"0 0 30 2 *", "never runs"},
		{"0 0 31 4,6,9,11 *", "never runs"},
		{"@often", "want 5 fields"},
	} {
		_, err := ParseCron(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCron(%q) = %v, want an error containing %q", tc.expr, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), "cron \"") {
			t.Errorf("ParseCron(%q) error %q does not name the expression", tc.expr, err)
		}
	}
	// Restricted weekdays make any day of month possible.
	if _, err := ParseCron("0 0 30 2 mon"); err != nil {
		t.Errorf("0 0 30 2 mon: %v", err)
	}
}

// FuzzCron: parsing never panics, and for an accepted expression Next
// returns a later minute that matches, with no matching minute skipped.
func FuzzCron(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/5 * * * *", "0 0 29 2 *", "0 12 13 * fri", "1-10/3,20 */4 * jan-mar sun,sat",
		"@hourly", "0 0 31 * *", "59 23 * 12 7", "5/7 3-5 1,15 * 1-5"} {
		f.Add(s, int64(1772445600)) // 2026-03-02 10:00 UTC
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		c, err := ParseCron(expr)
		if err != nil {
			if c != nil {
				t.Fatalf("%q: error %v with a result", expr, err)
			}
			return
		}
		from := time.Unix(unix%(200*365*86400), 0).UTC() // 1770..2170
		next := c.Next(from)
		if next.IsZero() {
			t.Fatalf("%q: no next time after %s", expr, from)
		}
		if !next.After(from) || next.Second() != 0 || next.Nanosecond() != 0 {
			t.Fatalf("%q: Next(%s) = %s", expr, from, next)
		}
		if !c.Matches(next) {
			t.Fatalf("%q: Next(%s) = %s does not match", expr, from, next)
		}
		if next.Sub(from) <= 3*24*time.Hour {
			for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(next); m = m.Add(time.Minute) {
				if c.Matches(m) {
					t.Fatalf("%q: Next(%s) = %s skips %s", expr, from, next, m)
				}
			}
		}
		if c2, err := ParseCron(c.String()); err != nil || c2.Next(from) != next {
			t.Fatalf("%q: String() %q does not parse back alike: %v", expr, c.String(), err)
		}
	})
}
