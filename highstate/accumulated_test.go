package highstate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/brine-cm/brine/states"
)

// file.accumulated feeds the file.blockreplace that requires it, through
// require_in (Salt's example, output as salt-call --local writes it).
func TestAccumulatedFeedsBlockreplace(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "hosts")
	if err := os.WriteFile(target, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(`
block:
  file.blockreplace:
    - name: TARGET
    - content: first
    - append_if_not_found: True
    - backup: False
acc1:
  file.accumulated:
    - filename: TARGET
    - text: "text 2"
    - require_in:
      - file: block
acc2:
  file.accumulated:
    - filename: TARGET
    - text: ["text 3", "text 4"]
    - require_in:
      - file: block
orphan:
  file.accumulated:
    - filename: TARGET
    - text: lost
`, "TARGET", target)
	const want = "x\n#-- start managed zone --\nfirst\ntext 2\ntext 3\ntext 4\n#-- end managed zone --\n"
	// test mode first: nothing written, the would-be diff shows the text
	res := mustRun(t, Options{Test: true}, map[string]string{"main": text}, "main")
	wantResult(t, byID(t, res, "block"), "None", "Changes would be made")
	if d, _ := byID(t, res, "block").Changes["diff"].(string); !strings.Contains(d, "+text 4") {
		t.Errorf("test-mode diff %q", d)
	}
	if got, _ := os.ReadFile(target); string(got) != "x\n" {
		t.Fatalf("test mode wrote %q", got)
	}
	res = mustRun(t, Options{}, map[string]string{"main": text}, "main")
	wantResult(t, byID(t, res, "acc1"), "True", "Accumulator acc1 for file "+target+" was charged by text")
	wantResult(t, byID(t, res, "block"), "True", "Changes were made")
	wantResult(t, byID(t, res, "orphan"), "False", "Orphaned accumulator orphan")
	if got, _ := os.ReadFile(target); string(got) != want {
		t.Fatalf("file\n%q\nwant\n%q", got, want)
	}
	// a second run (fresh accumulators) changes nothing
	res = mustRun(t, Options{}, map[string]string{"main": text}, "main")
	wantResult(t, byID(t, res, "block"), "True", "No changes needed to be made")
	if len(byID(t, res, "block").Changes) != 0 {
		t.Errorf("second run changed: %v", byID(t, res, "block").Changes)
	}
}

// fakeExec records module.run's calls.
type fakeExec struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeExec) HasFunction(fun string) bool { return fun == "test.arg" || fun == "test.echo" }

func (f *fakeExec) CallFunction(_ context.Context, fun string, args []any, kwargs map[string]any) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%s %v %v", fun, args, kwargs))
	return map[string]any{"args": args, "kwargs": kwargs}, nil
}

// module.wait runs its functions only when a watched state changed.
func TestModuleWaitRunsOnWatch(t *testing.T) {
	ex := &fakeExec{}
	res := mustRun(t, Options{Env: &states.Env{Exec: ex}}, map[string]string{"main": `
changer:
  test.succeed_with_changes
quiet:
  test.succeed_without_changes
fires:
  module.wait:
    - test.arg:
      - one
      - k: v
    - watch:
      - test: changer
stays:
  module.wait:
    - name: test.arg
    - m_name: legacy
    - watch:
      - test: quiet
`}, "main")
	wantResult(t, byID(t, res, "fires"), "True", "test.arg: ")
	if _, ok := byID(t, res, "fires").Changes["test.arg"]; !ok {
		t.Errorf("fires changes %v", byID(t, res, "fires").Changes)
	}
	wantResult(t, byID(t, res, "stays"), "True", "")
	if len(byID(t, res, "stays").Changes) != 0 {
		t.Errorf("stays changed: %v", byID(t, res, "stays").Changes)
	}
	if got := strings.Join(ex.calls, "|"); got != "test.arg [one] map[k:v]" {
		t.Errorf("calls %q", got)
	}
}

// module.run calls its functions in the SLS's order, not sorted.
func TestModuleRunKeepsOrder(t *testing.T) {
	ex := &fakeExec{}
	res := mustRun(t, Options{Env: &states.Env{Exec: ex}}, map[string]string{"main": `
ordered:
  module.run:
    - test.echo:
      - first
    - test.arg:
      - second
    - test.echo:2:
      - third
`}, "main")
	wantResult(t, byID(t, res, "ordered"), "True", "")
	if got := strings.Join(ex.calls, "|"); got != "test.echo [first] map[]|test.arg [second] map[]|test.echo [third] map[]" {
		t.Errorf("calls %q", got)
	}
}
