package runners

import (
	"context"
	"strings"
)

// The state runner: orchestration, Salt's state compiler run on the
// master over SLS files from its file_roots.

func init() {
	const doc = `Run an orchestration: compile the named SLS files (positional or mods=; comma-separated or a list) from the master's file_roots and run them on the master, whose salt.function, salt.state, salt.runner and salt.wheel states reach the minions and the master. saltenv (positional or saltenv=, default base) picks the file_roots; pillar= is the orchestration's whole pillar; test=True reports what would change. Returns {"data": {"master": <state returns>}, "outputter": "highstate", "retcode": 0 or 1}: 1 when a state failed or the SLS did not compile.

CLI Example:

    ctl run state.orchestrate orch.deploy pillar='{"version": "1.2"}'
    ctl run state.orch orch.deploy test=True`
	Register("state.orchestrate", doc, stateOrchestrate)
	Register("state.orch", doc, stateOrchestrate)
}

// Orchestration is one orchestration to run.
type Orchestration struct {
	// User runs it ("" when unknown).
	User string
	// Mods are the SLS names, in order; Saltenv their file_roots.
	Mods    []string
	Saltenv string
	// Pillar is the orchestration's whole pillar (never nil).
	Pillar map[string]any
	Test   bool
}

// Orchestrator runs orchestrations on the master.
type Orchestrator interface {
	// Orchestrate compiles and runs o. It returns the state returns (or
	// the compile errors) keyed by the master's id in the orchestration
	// ({"master": ...}) and Salt's retcode, 1 when a state failed or
	// the SLS did not compile; err is for what stops it from running at
	// all (an unknown saltenv, orchestrations nested too deep).
	Orchestrate(ctx context.Context, o Orchestration) (data map[string]any, retcode int, err error)
}

func stateOrchestrate(ctx context.Context, env Env, call Call) (any, error) {
	mods := call.Kwargs["mods"]
	if len(call.Args) > 0 {
		mods = call.Args[0]
	}
	names, err := orchMods(mods)
	if err != nil {
		return nil, err
	}
	saltenv, _ := call.String(1, "saltenv")
	if saltenv == "" {
		saltenv = "base"
	}
	test, err := orchBool(call.Kwargs["test"])
	if err != nil {
		return nil, err
	}
	var pil map[string]any
	switch p := call.Kwargs["pillar"].(type) {
	case nil:
		pil = map[string]any{}
	case map[string]any:
		pil = p
	default:
		return nil, BadArg("state.orchestrate: pillar must be a mapping, e.g. pillar='{\"key\": \"value\"}'")
	}
	o, err := Need[Orchestrator](env, call, "orchestration")
	if err != nil {
		return nil, err
	}
	data, retcode, err := o.Orchestrate(ctx, Orchestration{User: call.User, Mods: names, Saltenv: saltenv, Pillar: pil, Test: test})
	if err != nil {
		return nil, err
	}
	return map[string]any{"data": data, "outputter": "highstate", "retcode": retcode}, nil
}

// orchMods reads the SLS names of an orchestration.
func orchMods(v any) ([]string, error) {
	var out []string
	switch t := v.(type) {
	case string:
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, BadArg("state.orchestrate: SLS names must be strings, not %v", e)
			}
			out = append(out, strings.TrimSpace(s))
		}
	}
	if len(out) == 0 {
		return nil, BadArg("state.orchestrate needs the SLS to run: ctl run state.orchestrate orch.deploy [saltenv=base] [pillar='{...}'] [test=True]")
	}
	return out, nil
}

// orchBool reads test=: a boolean, or its usual spellings.
func orchBool(v any) (bool, error) {
	switch t := v.(type) {
	case nil:
		return false, nil
	case bool:
		return t, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "yes", "on", "1":
			return true, nil
		case "false", "no", "off", "0", "":
			return false, nil
		}
	case float64:
		return t != 0, nil
	case int:
		return t != 0, nil
	}
	return false, BadArg("state.orchestrate: test must be True or False, not %v", v)
}
