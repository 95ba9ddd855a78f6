package modules

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestTestModule(t *testing.T) {
	if v := mustCall(t, nil, "test.ping", nil, nil); v != true {
		t.Errorf("test.ping = %v", v)
	}
	if v := mustCall(t, nil, "test.version", nil, nil); v != proto.Version {
		t.Errorf("test.version = %v", v)
	}
	if v := mustCall(t, nil, "test.echo", []any{"foo bar"}, nil); v != "foo bar" {
		t.Errorf("test.echo = %v", v)
	}
	if v := mustCall(t, nil, "test.echo", nil, map[string]any{"text": "kw"}); v != "kw" {
		t.Errorf("test.echo kw = %v", v)
	}
	if v := mustCall(t, nil, "test.echo", []any{42}, nil); v != "42" {
		t.Errorf("test.echo 42 = %#v", v)
	}
	wantBadArg(t, "test.echo", nil, nil, nil, "'text'")
	wantBadArg(t, "test.echo", []any{[]any{"a"}}, nil, nil, "'text'")

	args := []any{1, "two", 3.1}
	kwargs := map[string]any{"txt": "hello", "wow": map[string]any{"a": 1}}
	got := mustCall(t, nil, "test.arg", args, kwargs)
	want := map[string]any{"args": []any{1, "two", 3.1}, "kwargs": map[string]any{"txt": "hello", "wow": map[string]any{"a": 1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("test.arg = %#v", got)
	}
	if got := mustCall(t, nil, "test.arg", nil, nil); !reflect.DeepEqual(got, map[string]any{"args": []any{}, "kwargs": map[string]any{}}) {
		t.Errorf("test.arg empty = %#v", got)
	}
}

func TestTestSleep(t *testing.T) {
	if v := mustCall(t, nil, "test.sleep", []any{0.01}, nil); v != true {
		t.Errorf("test.sleep = %v", v)
	}
	if v := mustCall(t, nil, "test.sleep", nil, map[string]any{"length": 0}); v != true {
		t.Errorf("test.sleep length=0 = %v", v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := call(t, ctx, nil, "test.sleep", []any{3600}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled test.sleep: err = %v", err)
	}
	wantBadArg(t, "test.sleep", nil, nil, nil, "'length'")
	wantBadArg(t, "test.sleep", []any{"long"}, nil, nil, "'length'")
	wantBadArg(t, "test.sleep", []any{-1}, nil, nil, "'length'")
}
