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

// A misspelt argument in a real SLS file, rendered, compiled and run by
// the highstate engine: the state still runs, and its comment says which
// argument was ignored and what was probably meant. Salt's own keywords
// (requisites, onlyif, order, ...) next to it raise no warning.
func TestMisspeltArgumentWarnsThroughHighstate(t *testing.T) {
	dir := t.TempDir()
	motd := filepath.Join(dir, "motd")
	issue := filepath.Join(dir, "issue")
	text := `
motd:
  file.managed:
    - name: ` + motd + `
    - contnets: hello
    - mode: "0600"
issue:
  file.managed:
    - name: ` + issue + `
    - contents: welcome
    - order: 1
    - onlyif: "true"
    - require:
      - file: motd
`
	ctx := context.Background()
	m, err := render.SLS(ctx, []byte(text), "web.sls", &render.Context{SLS: "web", Saltenv: "base"})
	if err != nil {
		t.Fatal(err)
	}
	env := &states.Env{ID: "m1", Saltenv: "base", Logger: slog.New(slog.DiscardHandler)}
	o := highstate.Options{Env: env}
	plan, err := highstate.CompileHigh(o, map[string]*render.Map{"web": m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := plan.Run(ctx, o)
	got := map[string]highstate.Result{}
	for _, r := range res {
		got[r.ID] = r
	}
	r := got["motd"]
	t.Logf("motd comment: %q", r.Comment)
	if r.Result == nil || !*r.Result {
		t.Fatalf("motd: result %v, comment %q", r.Result, r.Comment)
	}
	const warn = "Warning: 'contnets' is an invalid keyword argument for 'file.managed' and was ignored; did you mean 'contents'?"
	if !strings.Contains(r.Comment, warn) {
		t.Errorf("motd comment %q does not warn %q", r.Comment, warn)
	}
	// The misspelt contents were ignored: an empty file, as Salt makes.
	if b, err := os.ReadFile(motd); err != nil || len(b) != 0 {
		t.Errorf("motd: %q %v, want an empty file", b, err)
	}
	if fi, err := os.Stat(motd); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("motd mode: %v %v", fi, err)
	}
	r = got["issue"]
	if r.Result == nil || !*r.Result || strings.Contains(r.Comment, "Warning") {
		t.Errorf("issue: result %v, comment %q (Salt's keywords are not unknown arguments)", r.Result, r.Comment)
	}
	if b, err := os.ReadFile(issue); err != nil || string(b) != "welcome\n" {
		t.Errorf("issue: %q %v", b, err)
	}
}
