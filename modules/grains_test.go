package modules

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/proto"
)

var _ GrainStore = (*grains.Store)(nil)

// grainsEnv returns an Env over a file-backed store and a counter of
// OnGrainsChanged calls.
func grainsEnv(t *testing.T) (*Env, *int, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "grains")
	collected := map[string]any{
		"id": "m1", "os": "Debian", "num_cpus": 2,
		"ipv4":   []any{"127.0.0.1", "10.0.0.1"},
		"pkg":    map[string]any{"apache": "apache2"},
		"roles":  []any{"web"},
		"scalar": "one",
	}
	s, err := grains.NewStore(collected, map[string]any{"env": "prod"}, path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return &Env{ID: "m1", Grains: s, OnGrainsChanged: func() { n++ }}, &n, path
}

func TestGrainsRead(t *testing.T) {
	env, _, _ := grainsEnv(t)
	items := mustCall(t, env, "grains.items", nil, nil).(map[string]any)
	if items["os"] != "Debian" || items["env"] != "prod" {
		t.Errorf("grains.items = %v", items)
	}
	for _, tc := range []struct {
		args   []any
		kwargs map[string]any
		want   any
	}{
		{[]any{"os"}, nil, "Debian"},
		{[]any{"pkg:apache"}, nil, "apache2"},
		{[]any{"ipv4:1"}, nil, "10.0.0.1"},
		{[]any{"missing"}, nil, ""},
		{[]any{"missing", "dflt"}, nil, "dflt"},
		{[]any{"missing"}, map[string]any{"default": []any{"x"}}, []any{"x"}},
		{[]any{"pkg.apache"}, map[string]any{"delimiter": "."}, "apache2"},
		{nil, map[string]any{"key": "env"}, "prod"},
	} {
		if got := mustCall(t, env, "grains.get", tc.args, tc.kwargs); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("grains.get %v %v = %#v, want %#v", tc.args, tc.kwargs, got, tc.want)
		}
	}
	wantBadArg(t, "grains.get", nil, nil, env, "'key'")
	wantBadArg(t, "grains.get", []any{map[string]any{}}, nil, env, "'key'")
	wantBadArg(t, "grains.get", []any{"os"}, map[string]any{"delimiter": ""}, env, "'delimiter'")

	got := mustCall(t, env, "grains.item", []any{"os", "pkg:apache", "nope"}, nil)
	if want := map[string]any{"os": "Debian", "pkg:apache": "apache2", "nope": ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("grains.item = %#v", got)
	}
	got = mustCall(t, env, "grains.item", []any{"nope"}, map[string]any{"default": "d"})
	if want := map[string]any{"nope": "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("grains.item default = %#v", got)
	}
	wantBadArg(t, "grains.item", []any{[]any{"os"}}, nil, env, "'key'")

	ls := mustCall(t, env, "grains.ls", nil, nil)
	want := []any{"env", "id", "ipv4", "num_cpus", "os", "pkg", "roles", "scalar"}
	if !reflect.DeepEqual(ls, want) {
		t.Errorf("grains.ls = %v", ls)
	}

	if v := mustCall(t, env, "grains.has_value", []any{"pkg:apache"}, nil); v != true {
		t.Errorf("has_value = %v", v)
	}
	if v := mustCall(t, env, "grains.has_value", []any{"pkg:nginx"}, nil); v != false {
		t.Errorf("has_value missing = %v", v)
	}
	wantBadArg(t, "grains.has_value", nil, nil, env, "'key'")

	// No grain store: an execution error, not a crash.
	_, err := call(t, context.Background(), &Env{}, "grains.items", nil, nil)
	wantKind(t, err, proto.ErrExecution, "grains")
}

func TestGrainsSet(t *testing.T) {
	env, changed, path := grainsEnv(t)
	got := mustCall(t, env, "grains.setval", []any{"roles", []any{"db", "web"}}, nil)
	if !reflect.DeepEqual(got, map[string]any{"roles": []any{"db", "web"}}) {
		t.Errorf("setval = %#v", got)
	}
	if *changed != 1 {
		t.Errorf("OnGrainsChanged called %d times", *changed)
	}
	mustCall(t, env, "grains.setval", nil, map[string]any{"key": "app:tier", "val": "front"})
	mustCall(t, env, "grains.setval", []any{"nullable", nil}, nil)
	if v, _ := env.Grains.Get("app:tier"); v != "front" {
		t.Errorf("app:tier = %v", v)
	}

	// Persisted: a fresh store over the same file has them.
	s2, err := grains.NewStore(nil, nil, path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"roles": []any{"db", "web"}, "app": map[string]any{"tier": "front"}, "nullable": nil}
	if got := s2.Items(); !reflect.DeepEqual(got, want) {
		t.Errorf("persisted grains = %#v", got)
	}

	wantBadArg(t, "grains.setval", []any{"k"}, nil, env, "'val'")
	wantBadArg(t, "grains.setval", nil, map[string]any{"val": 1}, env, "'key'")
	_, err = call(t, context.Background(), env, "grains.setval", []any{"a::b", 1}, nil)
	wantKind(t, err, proto.ErrExecution, "a::b")

	got = mustCall(t, env, "grains.setvals", []any{map[string]any{"k1": "v1", "k2": 2}}, nil)
	if !reflect.DeepEqual(got, map[string]any{"k1": "v1", "k2": 2}) {
		t.Errorf("setvals = %#v", got)
	}
	if v, _ := env.Grains.Get("k2"); v != 2 {
		t.Errorf("k2 = %v", v)
	}
	wantBadArg(t, "grains.setvals", []any{"notamap"}, nil, env, "'grains'")
	wantBadArg(t, "grains.setvals", nil, nil, env, "'grains'")

	got = mustCall(t, env, "grains.delval", []any{"k1"}, nil)
	if !reflect.DeepEqual(got, map[string]any{"k1": nil}) {
		t.Errorf("delval = %#v", got)
	}
	if v, ok := env.Grains.Get("k1"); !ok || v != nil {
		t.Errorf("k1 = %v, %v", v, ok)
	}
	wantBadArg(t, "grains.delval", []any{"k1"}, map[string]any{"destructive": true}, env, "destructive")
	wantBadArg(t, "grains.delval", nil, nil, env, "'key'")

	before := *changed
	_, err = call(t, context.Background(), &Env{}, "grains.setval", []any{"k", 1}, nil)
	wantKind(t, err, proto.ErrExecution, "grains")
	if *changed != before {
		t.Errorf("OnGrainsChanged called after a failed setval")
	}
}

func TestGrainsAppend(t *testing.T) {
	env, changed, _ := grainsEnv(t)
	got := mustCall(t, env, "grains.append", []any{"roles", "db"}, nil)
	if !reflect.DeepEqual(got, map[string]any{"roles": []any{"web", "db"}}) {
		t.Errorf("append = %#v", got)
	}
	got = mustCall(t, env, "grains.append", []any{"roles", []any{"db", "cache"}}, nil)
	if !reflect.DeepEqual(got, map[string]any{"roles": []any{"web", "db", "cache"}}) {
		t.Errorf("append list = %#v", got)
	}
	got = mustCall(t, env, "grains.append", []any{"new:list", 1}, nil)
	if !reflect.DeepEqual(got, map[string]any{"new:list": []any{1}}) {
		t.Errorf("append new = %#v", got)
	}
	// A JSON float64 1 is the same value as the YAML int 1.
	_, err := call(t, context.Background(), env, "grains.append", []any{"new:list", float64(1)}, nil)
	wantKind(t, err, proto.ErrExecution, "already")
	_, err = call(t, context.Background(), env, "grains.append", []any{"scalar", "two"}, nil)
	wantKind(t, err, proto.ErrExecution, "not a list")
	got = mustCall(t, env, "grains.append", []any{"scalar", "two"}, map[string]any{"convert": true})
	if !reflect.DeepEqual(got, map[string]any{"scalar": []any{"one", "two"}}) {
		t.Errorf("append convert = %#v", got)
	}
	if *changed != 4 {
		t.Errorf("OnGrainsChanged called %d times, want 4", *changed)
	}
	wantBadArg(t, "grains.append", []any{"roles"}, nil, env, "'val'")
	wantBadArg(t, "grains.append", []any{"roles", "x"}, map[string]any{"convert": map[string]any{}}, env, "'convert'")
}
