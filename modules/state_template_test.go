package modules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/highstate"
)

// A file.managed template renders under its source's name, as Salt
// renders the cached source: tpldir is the source's directory, a
// relative import is the source's neighbour, and an error names the
// template and its line. States sharing the source render alike.
func TestFileManagedTemplateName(t *testing.T) {
	dir := t.TempDir()
	srv, out := filepath.Join(dir, "srv"), filepath.Join(dir, "out")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(srv, "app", "files", "conf.j2"), "{% from './map.jinja' import port %}{{ tpldir }} {{ tplfile }} {{ port }} {{ n }}\n")
	write(filepath.Join(srv, "app", "files", "map.jinja"), "{% set port = 8080 %}")
	write(filepath.Join(srv, "app", "files", "bad.j2"), "ok\n{{ missing }}\n")
	write(filepath.Join(srv, "app", "init.sls"), "{% for i in range(3) %}\nc{{ i }}:\n  file.managed:\n    - name: "+out+"/c{{ i }}\n"+
		"    - source: salt://app/files/conf.j2\n    - template: jinja\n    - makedirs: True\n    - context:\n        n: {{ i }}\n{% endfor %}\n")
	write(filepath.Join(srv, "bad", "init.sls"), "bad:\n  file.managed:\n    - name: "+out+"/bad\n    - source: salt://app/files/bad.j2\n    - template: jinja\n")
	store, err := grains.NewStore(map[string]any{"id": "m1"}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{ID: "m1", Grains: store, Master: optsMaster{}, Files: dirFiles(srv)}
	v, err := stateSLS(context.Background(), env, Call{Args: []any{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	if ret := v.(Ret); ret.Retcode != 0 {
		t.Fatalf("state.sls app: %v", ret.Value)
	}
	for i, want := range []string{"app/files app/files/conf.j2 8080 0\n", "app/files app/files/conf.j2 8080 1\n", "app/files app/files/conf.j2 8080 2\n"} {
		got, err := os.ReadFile(filepath.Join(out, "c"+string(rune('0'+i))))
		if err != nil || string(got) != want {
			t.Errorf("c%d: %q, %v; want %q", i, got, err, want)
		}
	}
	v, err = stateSLS(context.Background(), env, Call{Args: []any{"bad"}})
	if err != nil {
		t.Fatal(err)
	}
	ret := v.(Ret)
	res, _ := ret.Value.(map[string]any)
	var comment string
	for _, r := range res {
		comment = r.(highstate.Result).Comment
	}
	if ret.Retcode != 2 || !strings.Contains(comment, "app/files/bad.j2:2") || !strings.Contains(comment, "missing") {
		t.Errorf("bad template: retcode %d, %s", ret.Retcode, comment)
	}
}
