package modules

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// call runs the registered function name with args and kwargs.
func call(t *testing.T, ctx context.Context, env *Env, name string, args []any, kwargs map[string]any) (any, error) {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("function %s is not registered", name)
	}
	if env == nil {
		env = &Env{ID: "test-minion"}
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	return f.Fn(ctx, env, Call{Args: args, Kwargs: kwargs})
}

// mustCall is call that fails the test on error.
func mustCall(t *testing.T, env *Env, name string, args []any, kwargs map[string]any) any {
	t.Helper()
	v, err := call(t, context.Background(), env, name, args, kwargs)
	if err != nil {
		t.Fatalf("%s(%v, %v): %v", name, args, kwargs, err)
	}
	return v
}

// wantKind checks that err is a *proto.Error of kind whose message holds
// every one of subs.
func wantKind(t *testing.T, err error, kind string, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %s error mentioning %q", kind, subs)
	}
	var pe *proto.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %q (%T) is not a *proto.Error", err, err)
	}
	if pe.Kind != kind {
		t.Fatalf("error %q has kind %s, want %s", err, pe.Kind, kind)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

// wantBadArg checks a bad-argument error naming the function and param.
func wantBadArg(t *testing.T, name string, args []any, kwargs map[string]any, env *Env, param string) {
	t.Helper()
	_, err := call(t, context.Background(), env, name, args, kwargs)
	wantKind(t, err, proto.ErrBadArgument, name+": ", param)
}
