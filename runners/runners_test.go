package runners

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// A runner and a wheel function registered here, in a test file only.
func init() {
	Register("testmod.greet", `Greet name (positional or name=).`, func(_ context.Context, _ Env, call Call) (any, error) {
		name, ok := call.String(0, "name")
		if !ok {
			return nil, BadArg("testmod.greet needs a name")
		}
		return "hello " + name + " from " + call.User, nil
	})
	Register("testmod.boom", `Panic.`, func(context.Context, Env, Call) (any, error) { panic("kaboom") })
	Register("testmod.needs", `Need a capability no master has.`, func(_ context.Context, env Env, call Call) (any, error) {
		if _, err := Need[interface{ Teleport() }](env, call, "teleportation"); err != nil {
			return nil, err
		}
		return "teleported", nil
	})
	RegisterWheel("testkey.count", `Count keys.`, func(ctx context.Context, env Env, call Call) (any, error) {
		keys, err := Need[Keys](env, call, "key management")
		if err != nil {
			return nil, err
		}
		infos, err := keys.ListKeys(ctx)
		return len(infos), err
	})
}

// bareEnv is a master with a logger and no capability.
type bareEnv struct{}

func (bareEnv) Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// keysEnv has keys.
type keysEnv struct {
	bareEnv
	keys []proto.KeyInfo
}

func (e keysEnv) ListKeys(context.Context) ([]proto.KeyInfo, error) { return e.keys, nil }
func (e keysEnv) AcceptKeys(_ context.Context, m string) ([]string, error) {
	return []string{"accepted " + m}, nil
}
func (e keysEnv) RejectKeys(context.Context, string) ([]string, error) { return nil, nil }
func (e keysEnv) DeleteKeys(context.Context, string) ([]string, error) {
	return nil, errors.New("store down")
}

func wantKind(t *testing.T, err error, kind, text string) {
	t.Helper()
	var pe *proto.Error
	if !errors.As(err, &pe) || pe.Kind != kind || !strings.Contains(pe.Message, text) {
		t.Fatalf("error = %v, want a %s error containing %q", err, kind, text)
	}
}

func TestRunRegistered(t *testing.T) {
	ctx := context.Background()
	v, err := Run(ctx, bareEnv{}, Call{Fun: "testmod.greet", Kwargs: map[string]any{"name": "ops"}, User: "alice"})
	if err != nil || v != "hello ops from alice" {
		t.Fatalf("testmod.greet = %v, %v", v, err)
	}
	_, err = Run(ctx, bareEnv{}, Call{Fun: "testmod.greet"})
	wantKind(t, err, proto.ErrBadArgument, "testmod.greet needs a name")

	_, err = Run(ctx, bareEnv{}, Call{Fun: "testmod.nope"})
	wantKind(t, err, proto.ErrUnknownFunction, `runner "testmod.nope" is not available`)
	// A wheel function is not a runner, nor the other way round.
	_, err = Run(ctx, bareEnv{}, Call{Fun: "testkey.count"})
	wantKind(t, err, proto.ErrUnknownFunction, `runner "testkey.count" is not available`)
	_, err = RunWheel(ctx, bareEnv{}, Call{Fun: "testmod.greet"})
	wantKind(t, err, proto.ErrUnknownFunction, `wheel "testmod.greet" is not available`)

	_, err = Run(ctx, bareEnv{}, Call{Fun: "testmod.boom"})
	wantKind(t, err, proto.ErrInternal, "testmod.boom: internal error: kaboom")
	_, err = Run(ctx, nil, Call{Fun: "testmod.boom"})
	wantKind(t, err, proto.ErrInternal, "kaboom")
}

// A runner whose master lacks the capability it needs fails naming it.
func TestNeedMissingCapability(t *testing.T) {
	_, err := Run(context.Background(), bareEnv{}, Call{Fun: "testmod.needs"})
	wantKind(t, err, proto.ErrUnknownFunction, "testmod.needs is not available on this master: it needs teleportation")
	_, err = RunWheel(context.Background(), bareEnv{}, Call{Fun: "testkey.count"})
	wantKind(t, err, proto.ErrUnknownFunction, "testkey.count is not available on this master: it needs key management")
	v, err := RunWheel(context.Background(), keysEnv{keys: make([]proto.KeyInfo, 3)}, Call{Fun: "testkey.count"})
	if err != nil || v != 3 {
		t.Fatalf("testkey.count = %v, %v", v, err)
	}
	// Every built-in runner of a master without capabilities says so
	// instead of answering (or panicking).
	for _, fun := range []string{"jobs.list_jobs", "manage.up", "manage.present", "state.orchestrate"} {
		_, err := Run(context.Background(), bareEnv{}, Call{Fun: fun, Args: []any{"orch.x"}})
		wantKind(t, err, proto.ErrUnknownFunction, fun+" is not available on this master: it needs ")
	}
}

func TestRegisterRefuses(t *testing.T) {
	fn := func(context.Context, Env, Call) (any, error) { return nil, nil }
	for name, reg := range map[string]func(){
		"no module":     func() { Register("greet", "", fn) },
		"empty fun":     func() { Register("testmod.", "", fn) },
		"glob":          func() { Register("testmod.*", "", fn) },
		"space":         func() { RegisterWheel("test mod.x", "", fn) },
		"nil":           func() { Register("testmod.nil", "", nil) },
		"duplicate":     func() { Register("testmod.greet", "", fn) },
		"wheel twice":   func() { RegisterWheel("key.accept", "", fn) },
		"builtin twice": func() { Register("jobs.lookup_jid", "", fn) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			reg()
		}()
	}
}

func TestDocRunnerAndWheel(t *testing.T) {
	ctx := context.Background()
	doc := func(fun string, args ...any) map[string]any {
		t.Helper()
		v, err := Run(ctx, bareEnv{}, Call{Fun: fun, Args: args})
		if err != nil {
			t.Fatalf("%s %v: %v", fun, args, err)
		}
		return v.(map[string]any)
	}
	all := doc("doc.runner")
	if len(all) != len(Names()) || all["testmod.greet"] != "Greet name (positional or name=)." {
		t.Fatalf("doc.runner lists %d of %d runners: %v", len(all), len(Names()), all["testmod.greet"])
	}
	for _, n := range []string{"jobs.lookup_jid", "jobs.list_jobs", "manage.up", "manage.down", "manage.status", "manage.present", "mine.get", "state.orchestrate", "state.orch", "doc.runner", "doc.wheel"} {
		if d, _ := all[n].(string); d == "" {
			t.Errorf("doc.runner: %s has no doc", n)
		}
	}
	if _, ok := all["key.accept"]; ok {
		t.Error("doc.runner lists the wheel function key.accept")
	}
	if got := doc("doc.runner", "testmod"); !reflect.DeepEqual(keys(got), []string{"testmod.boom", "testmod.greet", "testmod.needs"}) {
		t.Errorf("doc.runner testmod = %v", keys(got))
	}
	if got := doc("doc.runner", "manage.*", "jobs.lookup_jid"); !reflect.DeepEqual(keys(got), []string{"jobs.lookup_jid", "manage.down", "manage.present", "manage.status", "manage.up"}) {
		t.Errorf("doc.runner manage.* jobs.lookup_jid = %v", keys(got))
	}
	wheel := doc("doc.wheel")
	if !reflect.DeepEqual(keys(wheel), WheelNames()) || wheel["testkey.count"] != "Count keys." {
		t.Errorf("doc.wheel = %v", keys(wheel))
	}
	for _, n := range []string{"key.list_all", "key.finger", "key.accept", "key.reject", "key.delete"} {
		if d, _ := wheel[n].(string); d == "" {
			t.Errorf("doc.wheel: %s has no doc", n)
		}
	}
	if got := doc("doc.wheel", "key.accept"); !reflect.DeepEqual(keys(got), []string{"key.accept"}) {
		t.Errorf("doc.wheel key.accept = %v", keys(got))
	}
	_, err := Run(ctx, bareEnv{}, Call{Fun: "doc.runner", Args: []any{"nosuch.fun"}})
	wantKind(t, err, proto.ErrUnknownFunction, `doc.runner: no runner function matches "nosuch.fun" (known: autoscale, cloud, doc, jobs, manage, mine, state, testmod)`)
	_, err = Run(ctx, bareEnv{}, Call{Fun: "doc.wheel", Args: []any{"jobs"}})
	wantKind(t, err, proto.ErrUnknownFunction, `doc.wheel: no wheel function matches "jobs"`)
	_, err = Run(ctx, bareEnv{}, Call{Fun: "doc.runner", Args: []any{3}})
	wantKind(t, err, proto.ErrBadArgument, "doc.runner: each argument must be a runner name, module or glob, got 3")
}

func keys(m map[string]any) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestKeyWheel(t *testing.T) {
	ctx := context.Background()
	env := keysEnv{keys: []proto.KeyInfo{
		{ID: "web1", State: proto.KeyAccepted, Finger: "aa"},
		{ID: "web2", State: proto.KeyPending, Finger: "bb"},
	}}
	v, err := RunWheel(ctx, env, Call{Fun: "key.list_all"})
	want := map[string]any{proto.KeyAccepted: []string{"web1"}, proto.KeyPending: []string{"web2"}, proto.KeyRejected: []string{}, proto.KeyDenied: []string{}}
	if err != nil || !reflect.DeepEqual(v, want) {
		t.Errorf("key.list_all = %v, %v", v, err)
	}
	v, err = RunWheel(ctx, env, Call{Fun: "key.finger"})
	if err != nil || !reflect.DeepEqual(v, map[string]map[string]string{proto.KeyAccepted: {"web1": "aa"}, proto.KeyPending: {"web2": "bb"}}) {
		t.Errorf("key.finger = %v, %v", v, err)
	}
	for _, c := range []Call{
		{Fun: "key.accept", Args: []any{"web*"}},
		{Fun: "key.accept", Kwargs: map[string]any{"match": "web*"}},
		{Fun: "key.accept", Kwargs: map[string]any{"name": "web*"}},
	} {
		v, err := RunWheel(ctx, env, c)
		if err != nil || !reflect.DeepEqual(v, proto.KeyActionReply{Changed: []string{"accepted web*"}}) {
			t.Errorf("%+v = %v, %v", c, v, err)
		}
	}
	_, err = RunWheel(ctx, env, Call{Fun: "key.reject"})
	wantKind(t, err, proto.ErrBadArgument, "wheel key.reject needs match=<id glob>")
	if _, err := RunWheel(ctx, env, Call{Fun: "key.delete", Args: []any{"x"}}); err == nil || err.Error() != "store down" {
		t.Errorf("key.delete's failure: %v", err)
	}
}
