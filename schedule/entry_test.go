package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// parseYAML parses a schedule written as YAML, as the config files hold it.
func parseYAML(t *testing.T, src string, opts Options) ([]*Entry, bool) {
	t.Helper()
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(src), &raw); err != nil {
		t.Fatal(err)
	}
	return Parse(raw, opts)
}

func TestParseEntry(t *testing.T) {
	entries, enabled := parseYAML(t, `
backup:
  function: cmd.run
  args: ['tar czf /backup/site.tgz /srv/site']
  kwargs: {cwd: /}
  seconds: 30
  minutes: 1
  hours: 1
  days: 1
  splay: 10
  maxrunning: 2
  run_on_start: true
  enabled: true
  returner: mysql
  return_job: true
  jid_include: true
  name: backup
nightly:
  function: state.apply
  cron: '0 3 * * mon-fri'
  splay: {start: 5, end: 7.5}
  enabled: false
`, Options{Source: "config"})
	if !enabled || len(entries) != 2 {
		t.Fatalf("Parse = %v, %v", entries, enabled)
	}
	b, n := entries[0], entries[1]
	if b.Err != nil || n.Err != nil {
		t.Fatalf("errors: %v, %v", b.Err, n.Err)
	}
	if b.Name != "backup" || b.Function != "cmd.run" || len(b.Args) != 1 || b.Kwargs["cwd"] != "/" || b.Source != "config" {
		t.Errorf("backup = %+v", b)
	}
	if want := 30*time.Second + time.Minute + time.Hour + 24*time.Hour; b.Every != want {
		t.Errorf("Every = %s, want %s", b.Every, want)
	}
	if b.SplayMin != 0 || b.SplayMax != 10*time.Second || b.MaxRunning != 2 || !b.RunOnStart || !b.Enabled || b.Cron != nil {
		t.Errorf("backup = %+v", b)
	}
	if n.Cron == nil || n.Cron.String() != "0 3 * * mon-fri" || n.Every != 0 || n.Enabled || n.MaxRunning != 1 || n.RunOnStart {
		t.Errorf("nightly = %+v", n)
	}
	if n.SplayMin != 5*time.Second || n.SplayMax != 7500*time.Millisecond {
		t.Errorf("nightly splay = %s..%s", n.SplayMin, n.SplayMax)
	}
	d := b.Describe()
	if d["seconds"] != 90090.0 || d["function"] != "cmd.run" || d["maxrunning"] != 2 || d["splay"] != 10.0 {
		t.Errorf("Describe = %v", d)
	}
	if d := n.Describe(); d["cron"] != "0 3 * * mon-fri" || d["enabled"] != false {
		t.Errorf("Describe = %v", d)
	}
}

func TestParseTopLevelEnabled(t *testing.T) {
	entries, enabled := parseYAML(t, "enabled: false\nj: {function: test.ping, seconds: 5}\n", Options{})
	if enabled || len(entries) != 1 || entries[0].Err != nil {
		t.Errorf("Parse = %v %v", entries, enabled)
	}
}

// Every bad entry comes back with an error naming it; the good ones are
// unaffected.
func TestParseErrors(t *testing.T) {
	unknownFun := errors.New("function \"no.such\" is not available")
	opts := Options{CheckFunction: func(e *Entry) error {
		if e.Function == "no.such" {
			return unknownFun
		}
		return nil
	}}
	for _, tc := range []struct{ name, src, want string }{
		{"nointerval", "{function: test.ping}", "no interval"},
		{"typo", "{function: test.ping, secnds: 5}", `unknown key "secnds"`},
		{"badcron", "{function: test.ping, cron: '61 * * * *'}", `cron "61 * * * *": minute field`},
		{"cronint", "{function: test.ping, cron: 5}", "cron must be a string"},
		{"both", "{function: test.ping, cron: '* * * * *', seconds: 5}", "cannot be combined"},
		{"unknownfun", "{function: no.such, seconds: 5}", `function "no.such" is not available`},
		{"nofun", "{seconds: 5}", "function must be"},
		{"funlist", "{function: [a], seconds: 5}", "function must be"},
		{"negative", "{function: test.ping, seconds: -1}", "seconds must be a number of at least 0"},
		{"string", "{function: test.ping, minutes: '5'}", "minutes must be a number"},
		{"zero", "{function: test.ping, seconds: 0}", "at least 1 second"},
		{"tiny", "{function: test.ping, seconds: 0.5}", "at least 1 second"},
		{"huge", "{function: test.ping, days: 100000}", "at most 10 years"},
		{"args", "{function: test.ping, seconds: 5, args: 'x'}", "args must be a list"},
		{"kwargs", "{function: test.ping, seconds: 5, kwargs: [1]}", "kwargs must be a mapping"},
		{"splay", "{function: test.ping, seconds: 5, splay: -3}", "splay must be"},
		{"splaykey", "{function: test.ping, seconds: 5, splay: {begin: 1}}", `splay: unknown key "begin"`},
		{"splayorder", "{function: test.ping, seconds: 5, splay: {start: 5, end: 1}}", "before start"},
		{"maxrunning", "{function: test.ping, seconds: 5, maxrunning: 0}", "maxrunning must be"},
		{"maxrunningf", "{function: test.ping, seconds: 5, maxrunning: 1.5}", "maxrunning must be"},
		{"enabled", "{function: test.ping, seconds: 5, enabled: 'yes'}", "enabled must be true or false"},
		{"onstart", "{function: test.ping, seconds: 5, run_on_start: 1}", "run_on_start must be"},
		{"returner", "{function: test.ping, seconds: 5, returner: [x]}", "returner must be a string"},
		{"tgt", "{function: test.ping, seconds: 5, tgt: '*'}", `unknown key "tgt"`},
		{"othername", "{function: test.ping, seconds: 5, name: other}", "differs"},
		{"scalar", "5", "must be a mapping"},
		{"a/b", "{function: test.ping, seconds: 5}", "must not contain '/'"},
	} {
		var raw any
		if err := yaml.Unmarshal([]byte(tc.src), &raw); err != nil {
			t.Fatal(err)
		}
		entries, _ := Parse(map[string]any{tc.name: raw, "good": map[string]any{"function": "test.ping", "seconds": 5}}, opts)
		var bad, good *Entry
		for _, e := range entries {
			if e.Name == "good" {
				good = e
			} else {
				bad = e
			}
		}
		if good == nil || good.Err != nil {
			t.Errorf("%s: the good entry suffered: %+v", tc.name, good)
		}
		if bad == nil || bad.Err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		msg := bad.Err.Error()
		if !strings.Contains(msg, `schedule entry "`+tc.name+`"`) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want it to name the entry and mention %q", tc.name, msg, tc.want)
		}
		if bad.Enabled {
			t.Errorf("%s: a bad entry is enabled", tc.name)
		}
		if d := bad.Describe(); d["error"] != msg || d["enabled"] != false {
			t.Errorf("%s: Describe = %v", tc.name, d)
		}
	}
}

func TestParseMaster(t *testing.T) {
	entries, _ := parseYAML(t, `
ping: {function: test.ping, tgt: 'web*', tgt_type: glob, minutes: 5}
present: {function: manage.present, seconds: 30}
badtype: {function: test.ping, tgt: x, tgt_type: nosuch, seconds: 5}
typeonly: {function: test.ping, tgt_type: glob, seconds: 5}
`, Options{Master: true})
	byName := map[string]*Entry{}
	for _, e := range entries {
		byName[e.Name] = e
	}
	if e := byName["ping"]; e.Err != nil || e.Tgt != "web*" || e.TgtType != "glob" || e.Every != 5*time.Minute {
		t.Errorf("ping = %+v", e)
	}
	if e := byName["present"]; e.Err != nil || e.Tgt != "" {
		t.Errorf("present = %+v", e)
	}
	if e := byName["badtype"]; e.Err == nil || !strings.Contains(e.Err.Error(), "tgt_type must be one of") {
		t.Errorf("badtype = %v", e.Err)
	}
	if e := byName["typeonly"]; e.Err == nil || !strings.Contains(e.Err.Error(), "tgt_type needs tgt") {
		t.Errorf("typeonly = %v", e.Err)
	}
}
