package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed five-field cron expression: minute, hour, day of month,
// month, day of week, as in crontab(5):
//
//   - every value
//     5        one value
//     1-5      a range
//     */15     every 15th value; 1-30/10, 5/20 (5 to the end, step 20) too
//     1,15,30  a list of any of the above
//
// Months and weekdays may be given by their English three-letter names
// (jan-dec, sun-sat, any case); weekday 7 is Sunday, like 0. When both day
// of month and day of week are restricted (neither starts with '*'), a day
// matching either one matches, as Vixie cron does. The shorthands @yearly
// (@annually), @monthly, @weekly, @daily (@midnight) and @hourly are
// accepted too.
//
// Times are read in the location of the time passed to Next (the host's
// local time, for the scheduler).
type Cron struct {
	expr              string
	minute, hour, dom uint64
	month, dow        uint64
	domStar, dowStar  bool
}

// cronField describes one of the five fields.
type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	dowNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

	cronFields = [5]cronField{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: monthNames},
		{name: "day-of-week", min: 0, max: 7, names: dowNames},
	}

	cronMacros = map[string]string{
		"@yearly":   "0 0 1 1 *",
		"@annually": "0 0 1 1 *",
		"@monthly":  "0 0 1 * *",
		"@weekly":   "0 0 * * 0",
		"@daily":    "0 0 * * *",
		"@midnight": "0 0 * * *",
		"@hourly":   "0 * * * *",
	}
)

// daysIn is the most days each month can have (February: leap years).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// ParseCron parses a cron expression; errors name the expression and the
// field at fault.
func ParseCron(expr string) (*Cron, error) {
	src := strings.TrimSpace(expr)
	if m, ok := cronMacros[strings.ToLower(src)]; ok {
		src = m
	}
	fields := strings.Fields(src)
	if len(fields) != 5 {
		return nil, fmt.Errorf("cron %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(fields))
	}
	c := &Cron{expr: strings.Join(strings.Fields(expr), " ")}
	var sets [5]uint64
	for i, f := range fields {
		set, err := parseCronField(f, cronFields[i])
		if err != nil {
			return nil, fmt.Errorf("cron %q: %w", expr, err)
		}
		sets[i] = set
	}
	if sets[4]&(1<<7) != 0 { // 7 is Sunday too
		sets[4] = sets[4]&^(1<<7) | 1
	}
	c.minute, c.hour, c.dom, c.month, c.dow = sets[0], sets[1], sets[2], sets[3], sets[4]
	c.domStar = strings.HasPrefix(fields[2], "*")
	c.dowStar = strings.HasPrefix(fields[4], "*")
	// A day of month no chosen month has (30 2 *) never comes: refuse it
	// rather than schedule nothing. With a restricted weekday the days
	// match either field, so some day always comes.
	if c.dowStar {
		possible := false
		for m := 1; m <= 12 && !possible; m++ {
			if c.month&(1<<m) != 0 && c.dom&(uint64(1)<<(daysIn[m]+1)-1) != 0 {
				possible = true
			}
		}
		if !possible {
			return nil, fmt.Errorf("cron %q: no chosen month has the chosen day of month, so it never runs", expr)
		}
	}
	return c, nil
}

// String is the expression as given (whitespace normalised).
func (c *Cron) String() string { return c.expr }

func parseCronField(s string, f cronField) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("%s field is empty", f.name)
	}
	var set uint64
	for _, part := range strings.Split(s, ",") {
		bitsOf, err := parseCronPart(part, f)
		if err != nil {
			return 0, fmt.Errorf("%s field %q: %w", f.name, s, err)
		}
		set |= bitsOf
	}
	return set, nil
}

func parseCronPart(part string, f cronField) (uint64, error) {
	if part == "" {
		return 0, fmt.Errorf("empty list element")
	}
	rng, stepStr, hasStep := strings.Cut(part, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if err != nil || n < 1 || n > f.max {
			return 0, fmt.Errorf("step %q must be a number from 1 to %d", stepStr, f.max)
		}
		step = n
	}
	lo, hi := f.min, f.max
	switch {
	case rng == "*":
		if f.name == "day-of-week" {
			hi = 6 // 7 duplicates 0
		}
	case rng == "":
		return 0, fmt.Errorf("missing value before '/'")
	default:
		a, b, isRange := strings.Cut(rng, "-")
		var err error
		if lo, err = cronValue(a, f); err != nil {
			return 0, err
		}
		hi = lo
		switch {
		case isRange:
			if hi, err = cronValue(b, f); err != nil {
				return 0, err
			}
			if hi < lo {
				return 0, fmt.Errorf("range %s-%s runs backwards", a, b)
			}
		case hasStep: // "5/15": from 5 to the end
			hi = f.max
		}
	}
	var set uint64
	for v := lo; v <= hi; v += step {
		set |= 1 << v
	}
	return set, nil
}

func cronValue(s string, f cronField) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing value")
	}
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		if f.names != nil {
			return 0, fmt.Errorf("%q is not a number from %d to %d nor a name like %s", s, f.min, f.max, exampleName(f))
		}
		return 0, fmt.Errorf("%q is not a number from %d to %d", s, f.min, f.max)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("value %d is out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}

func exampleName(f cronField) string {
	if f.name == "month" {
		return "jan"
	}
	return "mon"
}

func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<t.Day()) != 0
	dow := c.dow&(1<<int(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// Matches reports whether the minute holding t is one the expression
// names.
func (c *Cron) Matches(t time.Time) bool {
	return c.month&(1<<int(t.Month())) != 0 && c.dayMatches(t) &&
		c.hour&(1<<t.Hour()) != 0 && c.minute&(1<<t.Minute()) != 0
}

// cronHorizon bounds the search in Next: every valid expression matches
// within it (the rarest, February 29th, comes at most 8 years apart).
const cronHorizon = 9

// Next returns the first minute strictly after t that the expression
// matches, in t's location; the zero time if none comes within years
// (which ParseCron's checks rule out). Whole fields are skipped at once
// (a month, a day, an hour that does not match), so a call costs at most
// a few hundred steps. Around daylight-saving changes a wall-clock minute
// that does not exist is skipped and one that happens twice matches twice.
func (c *Cron) Next(t time.Time) time.Time {
	loc := t.Location()
	limit := t.AddDate(cronHorizon, 0, 0)
	t = t.Truncate(time.Minute).Add(time.Minute)
	for t.Before(limit) {
		switch {
		case c.month&(1<<int(t.Month())) == 0:
			t = later(t, time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc))
		case !c.dayMatches(t):
			t = later(t, time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc))
		case c.hour&(1<<t.Hour()) == 0:
			t = later(t, time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc))
		case c.minute&(1<<t.Minute()) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// later returns next when it is after t, else the next minute after t:
// time.Date may resolve a wall-clock time that a daylight-saving change
// skipped to either side of the gap, and the search must move forward.
func later(t, next time.Time) time.Time {
	if next.After(t) {
		return next
	}
	return t.Truncate(time.Minute).Add(time.Minute)
}
