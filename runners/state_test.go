package runners

import (
	"context"
	"slices"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestOrchMods(t *testing.T) {
	// Moved from master's TestOrchestrateRetcode with the runner.
	if _, err := orchMods(nil); err == nil {
		t.Error("no mods accepted")
	}
	if m, err := orchMods("a, b"); err != nil || !slices.Equal(m, []string{"a", "b"}) {
		t.Errorf("orchMods: %v %v", m, err)
	}
	if m, err := orchMods([]any{" a ", "b"}); err != nil || !slices.Equal(m, []string{"a", "b"}) {
		t.Errorf("orchMods list: %v %v", m, err)
	}
	if _, err := orchMods([]any{"a", 3}); err == nil {
		t.Error("a number as an SLS name accepted")
	}
}

// orchEnv records the orchestration asked for.
type orchEnv struct {
	bareEnv
	got *Orchestration
}

func (e orchEnv) Orchestrate(_ context.Context, o Orchestration) (map[string]any, int, error) {
	*e.got = o
	return map[string]any{"master": "ran"}, 1, nil
}

func TestStateOrchestrateArguments(t *testing.T) {
	ctx := context.Background()
	var got Orchestration
	env := orchEnv{got: &got}
	v, err := Run(ctx, env, Call{Fun: "state.orch", Args: []any{"a,b", "prod"}, Kwargs: map[string]any{"test": "True", "pillar": map[string]any{"k": "v"}}, User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if got.User != "alice" || !slices.Equal(got.Mods, []string{"a", "b"}) || got.Saltenv != "prod" || !got.Test || got.Pillar["k"] != "v" {
		t.Errorf("orchestration = %+v", got)
	}
	if m := v.(map[string]any); m["outputter"] != "highstate" || m["retcode"] != 1 || m["data"].(map[string]any)["master"] != "ran" {
		t.Errorf("return = %v", v)
	}
	if _, err := Run(ctx, env, Call{Fun: "state.orchestrate", Kwargs: map[string]any{"mods": "x"}}); err != nil || got.Saltenv != "base" || got.Test || got.Pillar == nil {
		t.Errorf("defaults: %+v %v", got, err)
	}
	for _, c := range []struct {
		kw   map[string]any
		want string
	}{
		{map[string]any{"test": "maybe"}, "test must be True or False"},
		{map[string]any{"pillar": "x"}, "pillar must be a mapping"},
	} {
		_, err := Run(ctx, env, Call{Fun: "state.orchestrate", Args: []any{"x"}, Kwargs: c.kw})
		wantKind(t, err, proto.ErrBadArgument, c.want)
	}
	_, err = Run(ctx, env, Call{Fun: "state.orchestrate"})
	wantKind(t, err, proto.ErrBadArgument, "state.orchestrate needs the SLS to run")
}
