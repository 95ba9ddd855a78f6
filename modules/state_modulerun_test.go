package modules

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// module.run in an SLS calls this minion's execution functions, in both
// syntaxes; a missing one fails the state.
func TestStateModuleRun(t *testing.T) {
	root := t.TempDir()
	writeT(t, filepath.Join(root, "mr.sls"), `
new-style:
  module.run:
    - test.arg:
      - one
      - key: val
old-style:
  module.run:
    - name: test.echo
    - text: hello
missing:
  module.run:
    - nope.fun: []
`)
	env := &Env{ID: "web-1", Grains: mapGrains{"id": "web-1"}, Files: treeFiles{root},
		Master: &fakeMaster{cached: map[string]any{}, fresh: map[string]any{}}}
	v := mustCall(t, env, "state.sls", []any{"mr"}, nil)
	out := fmt.Sprint(v)
	for _, want := range []string{
		"test.arg:map[args:[one] kwargs:map[key:val]]", "test.arg: Success",
		"Module function test.echo executed", "ret:hello",
		"Unavailable function: nope.fun.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("state.sls return lacks %q:\n%s", want, out)
		}
	}
}
