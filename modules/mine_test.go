package modules

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestMineFunctions(t *testing.T) {
	fm := &fakeMaster{cached: map[string]any{
		"mine_functions": map[string]any{"echo_alias": []any{map[string]any{"mine_function": "test.echo"}, "from-pillar"}},
	}}
	env := &Env{ID: "m1", Master: fm, MineFunctions: map[string]any{
		"test.ping":  []any{},
		"test.echo":  []any{"hello"},
		"test.arg":   map[string]any{"k": "v"},
		"echo_alias": []any{map[string]any{"mine_function": "test.echo"}, "from-config"},
	}}
	run := func(fun string, args []any, kwargs map[string]any) any {
		t.Helper()
		f, _ := Lookup(fun)
		v, err := f.Fn(context.Background(), env, Call{Args: args, Kwargs: kwargs})
		if err != nil {
			t.Fatalf("%s: %v", fun, err)
		}
		return v
	}
	if got := run("mine.update", nil, nil); got != true {
		t.Fatalf("mine.update = %v", got)
	}
	want := map[string]any{
		"test.ping":  true,
		"test.echo":  "hello",
		"test.arg":   map[string]any{"args": []any{}, "kwargs": map[string]any{"k": "v"}},
		"echo_alias": "from-pillar", // pillar's mine_functions win over the config's
	}
	if !reflect.DeepEqual(fm.mine, want) {
		t.Errorf("mine data = %#v\nwant %#v", fm.mine, want)
	}
	got := run("mine.get", []any{"env:prod", "test.echo"}, map[string]any{"expr_form": "grain"})
	if !reflect.DeepEqual(got, map[string]any{"m1": "hello"}) || !reflect.DeepEqual(fm.lastGet, []string{"env:prod", "grain", "test.echo"}) {
		t.Errorf("mine.get = %v (request %v)", got, fm.lastGet)
	}
	run("mine.get", []any{"*", "test.echo"}, nil)
	if fm.lastGet[1] != "glob" {
		t.Errorf("default tgt_type = %q", fm.lastGet[1])
	}
	run("mine.delete", []any{"test.echo"}, nil)
	if _, ok := fm.mine["test.echo"]; ok || len(fm.mine) != 3 {
		t.Errorf("after delete: %v", fm.mine)
	}
	run("mine.send", []any{"test.echo", "sent"}, nil)
	if fm.mine["test.echo"] != "sent" {
		t.Errorf("after send: %v", fm.mine)
	}
	run("mine.flush", nil, nil)
	if len(fm.mine) != 0 {
		t.Errorf("after flush: %v", fm.mine)
	}
}

func TestMineFunctionErrors(t *testing.T) {
	fm := &fakeMaster{cached: map[string]any{}}
	env := &Env{ID: "m1", Master: fm, MineFunctions: map[string]any{
		"test.ping": nil,
		"bad":       []any{map[string]any{"mine_function": "no.such"}},
	}}
	f, _ := Lookup("mine.update")
	v, err := f.Fn(context.Background(), env, Call{})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := v.(Ret)
	if !ok || r.Retcode != 1 || !strings.Contains(strings.Join(toStrings(r.Value), " "), `"no.such" is not available`) {
		t.Errorf("mine.update with a bad function = %#v", v)
	}
	if fm.mine["test.ping"] != true {
		t.Errorf("good functions must still be sent: %v", fm.mine)
	}
	g, _ := Lookup("mine.get")
	if _, err := g.Fn(context.Background(), env, Call{Args: []any{"*"}}); err == nil || !strings.Contains(err.Error(), "fun") {
		t.Errorf("mine.get without fun: %v", err)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]string)
	return l
}
