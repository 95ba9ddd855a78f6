package states_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/highstate"
	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/states"
)

// runSLS renders, compiles and runs an SLS file with the highstate
// engine and returns the results by state ID.
func runSLS(t *testing.T, env *states.Env, text string) map[string]highstate.Result {
	t.Helper()
	ctx := context.Background()
	m, err := render.SLS(ctx, []byte(text), "formula.sls", &render.Context{SLS: "formula", Saltenv: "base"})
	if err != nil {
		t.Fatal(err)
	}
	o := highstate.Options{Env: env}
	plan, err := highstate.CompileHigh(o, map[string]*render.Map{"formula": m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]highstate.Result{}
	for _, r := range plan.Run(ctx, o) {
		got[r.ID] = r
	}
	return got
}

// Formula shapes through the highstate engine: a supervisor program whose
// configuration file changes is restarted through supervisord.running's
// mod_watch (watch), sysctl.present takes a number as its value, and a
// cron job and a git setting sit beside them.
func TestFormulaStatesThroughHighstate(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	log := filepath.Join(dir, "calls")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	tools := map[string]string{
		"supervisorctl": `echo "supervisorctl $*" >> ` + log + `
case "$1" in status) echo "app   RUNNING   pid 7, uptime 1:00:00" ;; restart) echo "app: stopped"; echo "app: started" ;; *) exit 2 ;; esac`,
		"sysctl": `echo "sysctl $*" >> ` + log + `
case "$1" in -n) cat ` + dir + `/somaxconn 2>/dev/null || echo 128 ;; -w) echo "${2#*=}" > ` + dir + `/somaxconn; echo "${2%%=*} = ${2#*=}" ;; esac`,
		"crontab": `echo "crontab $*" >> ` + log + `
case "$1" in -l) cat ` + dir + `/tab 2>/dev/null || { echo "no crontab for root" >&2; exit 1; } ;; -) cat > ` + dir + `/tab ;; esac`,
	}
	for name, script := range tools {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	conf := filepath.Join(dir, "app.conf")
	sysconf := filepath.Join(dir, "sysctl.conf")
	text := `
app-config:
  file.managed:
    - name: ` + conf + `
    - contents: "[program:app]\ncommand=/srv/app/run\n"
app:
  supervisord.running:
    - watch:
      - file: app-config
net.core.somaxconn:
  sysctl.present:
    - value: 1024
    - config: ` + sysconf + `
/usr/local/bin/rotate-logs:
  cron.present:
    - minute: 0
    - hour: "*/6"
`
	env := &states.Env{ID: "m1", Saltenv: "base", Logger: slog.New(slog.DiscardHandler)}
	got := runSLS(t, env, text)
	for id, r := range got {
		if r.Result == nil || !*r.Result {
			t.Fatalf("%s: result %v, comment %q", id, r.Result, r.Comment)
		}
	}
	if r := got["app"]; r.Changes["app"] != "Restarting service: app" {
		t.Errorf("app: changes %v, comment %q (the watch should restart it)", r.Changes, r.Comment)
	}
	if b, _ := os.ReadFile(sysconf); string(b) != "#\n# Kernel sysctl configuration\n#\nnet.core.somaxconn = 1024\n" {
		t.Errorf("sysctl.conf %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "tab")); !strings.Contains(string(b), "\n0 */6 * * * /usr/local/bin/rotate-logs\n") {
		t.Errorf("crontab %q", b)
	}
	// Run again: nothing changes, the program is not restarted.
	before, _ := os.ReadFile(log)
	for id, r := range runSLS(t, env, text) {
		if r.Result == nil || !*r.Result || len(r.Changes) > 0 {
			t.Errorf("second run: %s: result %v, changes %v, comment %q", id, r.Result, r.Changes, r.Comment)
		}
	}
	after, _ := os.ReadFile(log)
	if strings.Count(string(after), "supervisorctl restart app") != strings.Count(string(before), "supervisorctl restart app") {
		t.Errorf("second run restarted the program:\n%s", after)
	}
}
