package modules

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

type fakeMaster struct {
	cached, fresh map[string]any
	err           error
	calls         []bool
	mine          map[string]any
	lastGet       []string
}

func (f *fakeMaster) Pillar(_ context.Context, fresh bool) (map[string]any, error) {
	f.calls = append(f.calls, fresh)
	if f.err != nil {
		return nil, f.err
	}
	if fresh {
		f.cached = f.fresh
	}
	return f.cached, nil
}

func (f *fakeMaster) Top(context.Context, string, map[string]any) (map[string][]string, []string, error) {
	return nil, nil, nil
}

func (f *fakeMaster) MineUpdate(_ context.Context, data map[string]any, clear bool, del []string) error {
	if f.mine == nil || clear {
		f.mine = map[string]any{}
	}
	for k, v := range data {
		f.mine[k] = v
	}
	for _, k := range del {
		delete(f.mine, k)
	}
	return f.err
}

func (f *fakeMaster) MineGet(_ context.Context, tgt, tgtType, fun string) (map[string]any, error) {
	f.lastGet = []string{tgt, tgtType, fun}
	if v, ok := f.mine[fun]; ok {
		return map[string]any{"m1": v}, nil
	}
	return map[string]any{}, f.err
}

func TestPillarFunctions(t *testing.T) {
	fm := &fakeMaster{
		cached: map[string]any{"pkg": map[string]any{"apache": "httpd"}, "list": []any{"a", "b"}},
		fresh:  map[string]any{"new": true},
	}
	env := &Env{ID: "m1", Master: fm}
	call := func(fun string, args []any, kwargs map[string]any) any {
		t.Helper()
		f, ok := Lookup(fun)
		if !ok {
			t.Fatalf("%s not registered", fun)
		}
		v, err := f.Fn(context.Background(), env, Call{Args: args, Kwargs: kwargs})
		if err != nil {
			t.Fatalf("%s: %v", fun, err)
		}
		return v
	}
	if got := call("pillar.get", []any{"pkg:apache"}, nil); got != "httpd" {
		t.Errorf("pillar.get pkg:apache = %v", got)
	}
	if got := call("pillar.get", []any{"list:1"}, nil); got != "b" {
		t.Errorf("pillar.get list:1 = %v", got)
	}
	if got := call("pillar.get", []any{"missing", "dflt"}, nil); got != "dflt" {
		t.Errorf("pillar.get default = %v", got)
	}
	if got := call("pillar.get", []any{"missing"}, nil); got != "" {
		t.Errorf("pillar.get missing = %v, want empty string like Salt", got)
	}
	if got := call("pillar.get", []any{"pkg/apache"}, map[string]any{"delimiter": "/"}); got != "httpd" {
		t.Errorf("pillar.get with delimiter = %v", got)
	}
	if got := call("pillar.raw", nil, nil); !reflect.DeepEqual(got, fm.cached) {
		t.Errorf("pillar.raw = %v", got)
	}
	if got := call("pillar.items", nil, nil); !reflect.DeepEqual(got, map[string]any{"new": true}) {
		t.Errorf("pillar.items = %v", got)
	}
	if got := call("saltutil.refresh_pillar", nil, nil); got != true {
		t.Errorf("refresh_pillar = %v", got)
	}
	if want := []bool{false, false, false, false, false, false, true, true}; !reflect.DeepEqual(fm.calls, want) {
		t.Errorf("fresh flags = %v, want %v", fm.calls, want)
	}
	fm.err = errors.New("pillar: boom")
	f, _ := Lookup("pillar.items")
	if _, err := f.Fn(context.Background(), env, Call{}); err == nil {
		t.Error("pillar.items hid the master's error")
	}
	if _, err := f.Fn(context.Background(), &Env{}, Call{}); err == nil {
		t.Error("pillar.items without a master did not fail")
	}
}
