package pillar

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Pillar mappings keep the order of the files (later files merging into
// earlier ones keep the earlier keys' places), as in Salt.
func TestCompileOrderedKeepsFileOrder(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"top.sls": "base:\n  '*':\n    - one\n    - two\n",
		"one.sls": "probe:\n  nested:\n    zeta: 1\n    alpha: 2\n",
		"two.sls": "probe:\n  nested:\n    mid: 3\n    zeta: 9\n  extra: x\n",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &Compiler{PillarRoots: Roots{"base": {dir}}}
	p, err := c.CompileOrdered(context.Background(), Minion{ID: "m1", Grains: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(p)
	if want := `{"probe":{"nested":{"zeta":9,"alpha":2,"mid":3},"extra":"x"}}`; string(b) != want {
		t.Fatalf("got %s want %s", b, want)
	}
	plain, err := c.Compile(context.Background(), Minion{ID: "m1", Grains: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain["probe"].(map[string]any); !ok {
		t.Fatalf("Compile must give plain maps: %T", plain["probe"])
	}
}

// pillarenv compiles one environment of pillar_roots only; an unknown one
// is an error.
func TestCompilePillarenv(t *testing.T) {
	base, prod := t.TempDir(), t.TempDir()
	for dir, files := range map[string]map[string]string{
		base: {"top.sls": "base:\n  '*':\n    - common\n", "common.sls": "env: base\ncommon: 1\n"},
		prod: {"top.sls": "prod:\n  '*':\n    - app\n", "app.sls": "env: prod\n"},
	} {
		for n, c := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := &Compiler{PillarRoots: Roots{"base": {base}, "prod": {prod}}}
	m := Minion{ID: "m1", Grains: map[string]any{}}
	all, err := c.Compile(context.Background(), m)
	if err != nil || all["env"] != "prod" || all["common"] != 1 {
		t.Fatalf("all environments: %v %v", all, err)
	}
	c.Pillarenv = "prod"
	only, err := c.Compile(context.Background(), m)
	if err != nil || only["env"] != "prod" || only["common"] != nil {
		t.Fatalf("pillarenv=prod: %v %v", only, err)
	}
	c.Pillarenv = "nosuch"
	if _, err := c.Compile(context.Background(), m); err == nil || !strings.Contains(err.Error(), "pillarenv 'nosuch'") {
		t.Fatalf("unknown pillarenv: %v", err)
	}
}
