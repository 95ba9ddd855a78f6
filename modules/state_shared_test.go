package modules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/render"
)

// A state run, a test run and state.show_sls read the SLS data the
// minion's parse cache shares between runs without changing any of it
// (render.Context.ReadOnlyData): include, extend, names, requisites and
// their _in forms, exclude, nested arguments and the rest.
func TestHighstateLeavesDataAlone(t *testing.T) {
	dir := t.TempDir()
	srv, out := filepath.Join(dir, "srv"), filepath.Join(dir, "out")
	files := map[string]string{
		"app/init.sls": `include:
  - app.base
exclude:
  - id: dropped
extend:
  base-dir:
    file.directory:
      - mode: "0750"
      - require_in:
        - test: done
app-conf:
  file.managed:
    - name: ` + out + `/app.conf
    - source: salt://app/conf.j2
    - template: jinja
    - makedirs: True
    - context:
        nested: {list: [1, {deep: x}], map: {a: b}}
    - defaults:
        port: 80
    - require:
      - file: base-dir
    - watch_in:
      - test: done
names-state:
  test.succeed_without_changes:
    - names:
      - one
      - two:
        - comment: second
listen-state:
  test.succeed_with_changes:
    - listen:
      - file: app-conf
    - onlyif:
      - "true"
    - unless:
      - "false"
dropped:
  test.fail_without_changes: []
done:
  test.nop:
    - order: last
    - onchanges_any:
      - file: app-conf
`,
		"app/base.sls": `base-dir:
  file.directory:
    - name: ` + out + `/base
    - makedirs: True
prereq-state:
  test.nop:
    - prereq:
      - file: app-conf
`,
		"app/conf.j2": "port={{ port }} {{ nested.list[1].deep }} {{ nested['map'] }}\n",
	}
	for name, text := range files {
		p := filepath.Join(srv, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store, err := grains.NewStore(map[string]any{"id": "m1", "os": "Debian"}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	pc := render.NewParseCache()
	env := &Env{ID: "m1", Grains: store, Master: optsMaster{}, Files: dirFiles(srv), Parsed: pc}
	ctx := context.Background()
	runs := []struct {
		what string
		fn   Func
		call Call
	}{
		{"state.sls", stateSLS, Call{Args: []any{"app"}}},
		{"state.sls again", stateSLS, Call{Args: []any{"app"}}},
		{"state.sls test=True", stateSLS, Call{Args: []any{"app"}, Kwargs: map[string]any{"test": true}}},
		{"state.show_sls", stateShowSLS, Call{Args: []any{"app"}}},
		{"state.show_low_sls", stateShowLowSLS, Call{Args: []any{"app"}}},
		{"state.sls once more", stateSLS, Call{Args: []any{"app"}}},
	}
	for _, r := range runs {
		v, err := r.fn(ctx, env, r.call)
		if err != nil {
			t.Fatalf("%s: %v", r.what, err)
		}
		if ret, ok := v.(Ret); ok && ret.Retcode != 0 {
			t.Fatalf("%s: %v", r.what, ret.Value)
		}
		shared, changed := pc.SharedStatus()
		if shared != 2 || changed != 0 {
			t.Fatalf("after %s: %d texts shared, %d of them changed; want 2 and 0", r.what, shared, changed)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "app.conf")); err != nil || string(b) != "port=80 x {'a': 'b'}\n" {
		t.Errorf("app.conf: %q %v", b, err)
	}
}
