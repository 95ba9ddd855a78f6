package states

import (
	"context"
	"strings"
	"testing"
)

func TestRegisteredStates(t *testing.T) {
	wantNames := []string{
		"cmd.run", "cmd.script", "cmd.wait",
		"file.absent", "file.append", "file.directory", "file.line", "file.managed",
		"file.recurse", "file.replace", "file.symlink",
		"git.latest", "group.absent", "group.present", "host.absent", "host.present",
		"pkg.installed", "pkg.latest", "pkg.removed",
		"service.dead", "service.disabled", "service.enabled", "service.running",
		"test.configurable_test_state", "test.fail_with_changes", "test.fail_without_changes",
		"test.nop", "test.show_notification", "test.succeed_with_changes", "test.succeed_without_changes",
		"user.absent", "user.present",
	}
	names := Names()
	for _, n := range wantNames {
		s, ok := Lookup(n)
		if !ok {
			t.Errorf("%s is not registered", n)
			continue
		}
		if s.Name != n || s.Doc == "" || s.Apply == nil {
			t.Errorf("%s: incomplete registration %+v", n, s)
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("Names not sorted: %v", names)
		}
	}
	for _, n := range []string{"service.running", "service.dead", "cmd.wait", "cmd.run", "cmd.script", "test.nop"} {
		if s, _ := Lookup(n); s.ModWatch == nil {
			t.Errorf("%s has no ModWatch", n)
		}
	}
	if _, ok := Lookup("file.nope"); ok {
		t.Error("Lookup found an unknown state")
	}
}

func TestRegisterRejects(t *testing.T) {
	mustPanic := func(name string, s State) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: Register did not panic", name)
			}
		}()
		Register(s)
	}
	nop := func(ctx context.Context, env *Env, call Call) Result { return Result{} }
	mustPanic("duplicate", State{Name: "file.managed", Apply: nop})
	mustPanic("no dot", State{Name: "managed", Apply: nop})
	mustPanic("space", State{Name: "file.man aged", Apply: nop})
	mustPanic("nil apply", State{Name: "x.y"})
}

// Test-only states, registered once (init) so -count=N works.
func init() {
	Register(State{Name: "brinetest.panics", Apply: func(ctx context.Context, env *Env, call Call) Result {
		panic("boom")
	}})
	Register(State{Name: "brinetest.needs", Required: []string{"target", "rev"},
		Apply: func(ctx context.Context, env *Env, call Call) Result {
			return Result{Result: True()}
		}})
}

func TestWrapChecksAndRecovers(t *testing.T) {
	res := apply(t, nil, "brinetest.panics", "x", nil, false)
	wantFail(t, res, "internal error", "boom")
	if res.Name != "x" || res.Changes == nil {
		t.Errorf("result not normalised: %+v", res)
	}
	res = apply(t, nil, "brinetest.needs", "x", map[string]any{"rev": "main"}, false)
	wantFail(t, res, "'target'", "test-id")
	if strings.Contains(res.Comment, "'rev'") {
		t.Errorf("comment names a present argument: %q", res.Comment)
	}
	res = apply(t, nil, "brinetest.needs", "x", map[string]any{"rev": "main", "target": "/t"}, false)
	want(t, res, True(), false)

	// The name falls back to Args["name"], then to the ID.
	s, _ := Lookup("test.nop")
	res = s.Apply(context.Background(), nil, Call{ID: "the-id", Args: map[string]any{"name": "from-args"}})
	if res.Name != "from-args" {
		t.Errorf("name %q, want from-args", res.Name)
	}
	res = s.Apply(context.Background(), nil, Call{ID: "the-id"})
	if res.Name != "the-id" {
		t.Errorf("name %q, want the-id", res.Name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = s.Apply(ctx, nil, Call{ID: "x", Name: "x"})
	wantFail(t, res, "canceled")
}

func TestArgHelpers(t *testing.T) {
	c := Call{ID: "web", Args: map[string]any{
		"s": "str", "n": 5, "f": 2.0, "b": "yes", "list": []any{"a", 1}, "one": "x",
		"m": map[string]any{"k": "v"}, "bad": []any{map[string]any{}}, "null": nil,
	}}
	if s, err := c.String("n", ""); err != nil || s != "5" {
		t.Errorf("String(n) = %q, %v", s, err)
	}
	if n, err := c.Int("f", 0); err != nil || n != 2 {
		t.Errorf("Int(f) = %d, %v", n, err)
	}
	if b, err := c.Bool("b", false); err != nil || !b {
		t.Errorf("Bool(b) = %v, %v", b, err)
	}
	if l, err := c.StringList("list"); err != nil || strings.Join(l, ",") != "a,1" {
		t.Errorf("StringList(list) = %v, %v", l, err)
	}
	if l, err := c.StringList("one"); err != nil || len(l) != 1 {
		t.Errorf("StringList(one) = %v, %v", l, err)
	}
	if s, err := c.String("null", "def"); err != nil || s != "def" || c.Has("null") {
		t.Errorf("null should count as not given: %q %v", s, err)
	}
	_, err := c.Int("s", 0)
	if err == nil || !strings.Contains(err.Error(), "'web'") || !strings.Contains(err.Error(), "'s'") {
		t.Errorf("Int(s) error %v should name the state id and argument", err)
	}
	if _, err := c.StringList("bad"); err == nil {
		t.Error("StringList(bad) should fail")
	}
	if _, err := c.Map("s"); err == nil {
		t.Error("Map(s) should fail")
	}
	for in, want := range map[any]string{"0644": "0644", 644: "0644", "755": "0755", "0o600": "0600", 4755: "4755"} {
		m, keep, err := parseMode(in)
		if err != nil || keep || modeString(m) != want {
			t.Errorf("parseMode(%v) = %o %v %v, want %s", in, m, keep, err, want)
		}
	}
	for _, in := range []any{"rwx", 999, "0999", []any{}} {
		if _, _, err := parseMode(in); err == nil {
			t.Errorf("parseMode(%v) should fail", in)
		}
	}
}
