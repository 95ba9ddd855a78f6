package proto

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidID(t *testing.T) {
	long := strings.Repeat("a", 253)
	tests := []struct {
		id string
		ok bool
	}{
		{"web1", true},
		{"web-1", true},
		{"web_1", true},
		{"_web", true},
		{"0web", true},
		{"web.example.com", true},
		{"user@host", false}, // '@' separates a compound target's kind
		{"L@web", false},
		{"ctl", false},
		{"brine-master", false},
		{"brine-master-sys", false},
		{"brine-auth", false},
		{"brine-sys", false},
		{"ctl-1", true},
		{"brine-web", true},
		{"CTL", true},
		{"a", true},
		{"web.", true},
		{long, true},
		{long + "a", false}, // 254 characters
		{"", false},
		{".web", false},
		{"-web", false},
		{"@web", false},
		{"web..example", false},
		{"..", false},
		{"web 1", false},
		{"web/1", false},
		{"web*", false},
		{"web>", false},
		{"web~1", false}, // '~' is IDToken's stand-in for '.'
		{"wéb", false},
		{"web\n", false},
		{"web\t1", false},
	}
	for _, tt := range tests {
		err := ValidID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "invalid minion id") {
			t.Errorf("ValidID(%q) error %q does not say what is wrong", tt.id, err)
		}
		if err != nil && !tt.ok && (tt.id == "ctl" || strings.HasPrefix(tt.id, "brine-")) && !strings.Contains(err.Error(), "reserved") {
			t.Errorf("ValidID(%q) error %q does not say what is wrong", tt.id, err)
		}
	}
}

func TestIDTokenRoundTrip(t *testing.T) {
	for _, id := range []string{"web1", "web.example.com", "a.b.c.d", "user_host.x", "web.", "x_y-z"} {
		if err := ValidID(id); err != nil {
			t.Fatalf("test id %q invalid: %v", id, err)
		}
		tok := IDToken(id)
		if strings.ContainsAny(tok, ".*> \t") {
			t.Errorf("IDToken(%q) = %q is not a single subject token", id, tok)
		}
		if got := TokenID(tok); got != id {
			t.Errorf("TokenID(IDToken(%q)) = %q", id, got)
		}
	}
	// Distinct ids give distinct tokens.
	if IDToken("a.b") == IDToken("a_b") || IDToken("a.b") == IDToken("ab") {
		t.Error("IDToken maps distinct ids to one token")
	}
}

func TestSubjects(t *testing.T) {
	const jid = "20240102030405123456"
	tests := []struct{ got, want string }{
		{JobSubject("web.1"), "brine.job.web~1"},
		{ReturnSubject(jid, "web.1"), "brine.ret." + jid + ".web~1"},
		{ProgressSubject(jid, "web.1"), "brine.prog." + jid + ".web~1"},
		{ProgressFilter(jid), "brine.prog." + jid + ".*"},
		{ReturnsFilter(jid), "brine.ret." + jid + ".*"},
		{MinionRequestSubject("db.2", ReqGrains), "brine.req.db~2.grains"},
		{MinionEventSubject("db.2"), "brine.mevent.db~2"},
		{MinionInbox("db.2"), "_INBOX_M.db~2"},
		{MasterSubject(OpPublish), "brine.master.job.publish"},
		{MasterSubject(OpKeyList), "brine.master.key.list"},
		{TagMinionStart("web1"), "salt/minion/web1/start"},
		{TagJobNew(jid), "salt/job/" + jid + "/new"},
		{TagJobRet(jid, "web1"), "salt/job/" + jid + "/ret/web1"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// validPubSubject reports whether s can be published to: non-empty tokens,
// no wildcards, no whitespace or control characters.
func validPubSubject(s string) bool {
	if s == "" {
		return false
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

func TestEventSubject(t *testing.T) {
	tests := []struct{ tag, want string }{
		{"salt/auth", "brine.event.salt.auth"},
		{"salt/key", "brine.event.salt.key"},
		{"salt/minion/web.example.com/start", "brine.event.salt.minion.web~example~com.start"},
		{"salt/job/20240102030405123456/ret/web1", "brine.event.salt.job.20240102030405123456.ret.web1"},
		{"salt/netapi/hook/deploy/", "brine.event.salt.netapi.hook.deploy._"},
		{"/leading", "brine.event._.leading"},
		{"a//b", "brine.event.a._.b"},
		{"", "brine.event._"},
		{"salt/*/x", "brine.event.salt._.x"},
		{"salt/>", "brine.event.salt._"},
		{"salt/a b", "brine.event.salt.a_b"},
		{"brine/autoscale/web-asg/launch/start", "brine.event.brine.autoscale.web-asg.launch.start"},
	}
	for _, tt := range tests {
		got := EventSubject(tt.tag)
		if got != tt.want {
			t.Errorf("EventSubject(%q) = %q, want %q", tt.tag, got, tt.want)
		}
		if !validPubSubject(got) {
			t.Errorf("EventSubject(%q) = %q is not a publishable subject", tt.tag, got)
		}
	}
}

func TestEventSubjectAlwaysPublishable(t *testing.T) {
	for _, tag := range []string{"a\tb", "a\nb", "a\r\nPUB x 1", "x/\x00/y", "...", "a.*.>", "///", "hook/%20", "ünï/cödé"} {
		if got := EventSubject(tag); !validPubSubject(got) {
			t.Errorf("EventSubject(%q) = %q is not a publishable subject", tag, got)
		}
	}
}

func FuzzEventSubject(f *testing.F) {
	for _, s := range []string{"salt/auth", "", "a//b", "a.b/*/>", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		if got := EventSubject(tag); !validPubSubject(got) {
			t.Errorf("EventSubject(%q) = %q is not a publishable subject", tag, got)
		}
	})
}

func TestNewJIDFormat(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 678_901_234, time.FixedZone("X", 3600))
	jid := NewJID(now)
	if !ValidJID(jid) {
		t.Fatalf("NewJID = %q is not valid", jid)
	}
	// UTC time to the millisecond, then three random digits.
	if want := "20240102020405678"; !strings.HasPrefix(jid, want) {
		t.Errorf("NewJID(%v) = %q, want prefix %q", now, jid, want)
	}
}

func TestValidJID(t *testing.T) {
	tests := []struct {
		jid string
		ok  bool
	}{
		{"20240102030405123456", true},
		{"00000000000000000000", true},
		{"2024010203040512345", false},
		{"202401020304051234567", false},
		{"2024010203040512345a", false},
		{"", false},
		{"20240102030405123456\n", false},
		{" 20240102030405123456", false},
		{"*", false},
	}
	for _, tt := range tests {
		if got := ValidJID(tt.jid); got != tt.ok {
			t.Errorf("ValidJID(%q) = %v, want %v", tt.jid, got, tt.ok)
		}
	}
}

func TestNewJIDUnique(t *testing.T) {
	const n = 20000
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		jid := NewJID(time.Now())
		if !ValidJID(jid) {
			t.Fatalf("NewJID = %q is not valid", jid)
		}
		if seen[jid] {
			t.Fatalf("NewJID repeated %s after %d calls", jid, i)
		}
		seen[jid] = true
	}
}

func TestNewJIDUniqueSameInstant(t *testing.T) {
	// Every caller passes the same instant: ids still differ.
	now := time.Now()
	seen := map[string]bool{}
	for i := 0; i < 3000; i++ {
		jid := NewJID(now)
		if !ValidJID(jid) || seen[jid] {
			t.Fatalf("call %d: NewJID = %q (valid %v, repeated %v)", i, jid, ValidJID(jid), seen[jid])
		}
		seen[jid] = true
	}
}

func TestNewJIDUniqueConcurrent(t *testing.T) {
	// ctl --batch starts jobs from several goroutines at once.
	const workers, per = 16, 500
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	dup := make(chan string, workers*per)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				jid := NewJID(time.Now())
				mu.Lock()
				if seen[jid] {
					dup <- jid
				}
				seen[jid] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(dup)
	for jid := range dup {
		t.Errorf("NewJID repeated %s across goroutines", jid)
	}
}

func TestNewJIDOldTimeKeepsItsTime(t *testing.T) {
	_ = NewJID(time.Now())
	old := time.Date(2001, 2, 3, 4, 5, 6, 7_000_000, time.UTC)
	if jid := NewJID(old); !strings.HasPrefix(jid, "20010203040506007") {
		t.Errorf("NewJID(%v) = %q, want the given time", old, jid)
	}
}

func TestSignedPayload(t *testing.T) {
	got := SignedPayload("brine.master.key.list", "2024-01-02T03:04:05Z", []byte(`{"all":true}`))
	want := "brine.master.key.list\n2024-01-02T03:04:05Z\n{\"all\":true}"
	if string(got) != want {
		t.Errorf("SignedPayload = %q, want %q", got, want)
	}
	if got := SignedPayload("s", "t", nil); string(got) != "s\nt\n" {
		t.Errorf("SignedPayload with no body = %q", got)
	}
}

func TestErrorf(t *testing.T) {
	e := Errorf(ErrBadTarget, "bad %s", "x")
	if e.Kind != ErrBadTarget || e.Error() != "bad x" {
		t.Errorf("Errorf = %+v", e)
	}
	b, err := json.Marshal(Ack{Error: e})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"error":{"kind":"bad_target","message":"bad x"}}` {
		t.Errorf("Ack JSON = %s", b)
	}
}

func TestParseReturnSubject(t *testing.T) {
	const jid = "20240102030405123456"
	for _, id := range []string{"web1", "web.example.com", "a_b"} {
		for _, subj := range []string{ReturnSubject(jid, id), ProgressSubject(jid, id)} {
			gotJID, gotID, ok := ParseReturnSubject(subj)
			if !ok || gotJID != jid || gotID != id {
				t.Errorf("ParseReturnSubject(%q) = %q, %q, %v", subj, gotJID, gotID, ok)
			}
		}
	}
	for _, subj := range []string{"", "brine.ret", "brine.ret." + jid, "brine.ret." + jid + ".a.b", JobSubject("web1") + ".x", "brine.event.a.b", "x.ret." + jid + ".a"} {
		if _, _, ok := ParseReturnSubject(subj); ok {
			t.Errorf("ParseReturnSubject(%q) ok", subj)
		}
	}
}

// The hand-written id and jid checks agree with the regular expressions
// they replace.
func TestIDAndJIDChecksMatchTheirExpressions(t *testing.T) {
	idRe := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$`)
	jidRe := regexp.MustCompile(`^[0-9]{20}$`)
	cases := []string{"", "a", "web-1", ".a", "-a", "_a", "a.b-c_d", "a b", "a@b", "é", strings.Repeat("a", 253), strings.Repeat("a", 254),
		"20261206000000000000", "2026120600000000000", "202612060000000000000", "2026120600000000000x"}
	for _, c := range cases {
		if idOK(c) != idRe.MatchString(c) {
			t.Errorf("idOK(%q) = %v", c, idOK(c))
		}
		if ValidJID(c) != jidRe.MatchString(c) {
			t.Errorf("ValidJID(%q) = %v", c, ValidJID(c))
		}
	}
}
