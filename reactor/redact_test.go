package reactor

import (
	"strings"
	"testing"

	"github.com/brine-cm/brine/render"
)

// A reaction running cmd.run with a password never shows it in its result
// event: cmd.run declares its arguments secret where it registers.
func TestResultEventHidesDeclaredSecrets(t *testing.T) {
	fb := newFake()
	rules, err := ParseRules([]map[string][]string{{"app/backup": {"r.sls"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, Config{Rules: rules, Loader: render.MapLoader{"r.sls": `
backup:
  local.cmd.run:
    - tgt: db1
    - arg:
      - mysqldump -u root -phunter2 shop
    - kwarg:
        env:
          MYSQL_PWD: hunter2
`}}, fb)
	e.Handle("app/backup", map[string]any{})
	ev := fb.waitTag(t, "brine/reactor/backup/result")
	if calls := fb.Calls(); len(calls) != 1 || calls[0].arg[0] != "mysqldump -u root -phunter2 shop" {
		t.Fatalf("calls = %+v", calls)
	}
	s := mustJSON(t, ev.data)
	if strings.Contains(s, "hunter2") {
		t.Fatalf("the password is in the result event: %s", s)
	}
	if ev.data["arg"] != "<1 args>" || ev.data["success"] != true {
		t.Fatalf("result event = %s", s)
	}
}
