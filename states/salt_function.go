package states

import (
	"context"
	"fmt"
	"strings"
)

// salt.function: run an execution module function on minions from an
// orchestration, as Salt's saltmod.function does.

func init() {
	RegisterTyped(Typed[saltFunctionArgs]{
		Name: "salt.function",
		Doc: `Run the execution function name on the minions tgt matches, from an orchestration on the master (ctl run state.orchestrate).

tgt: the target; tgt_type (or expr_form): how to read it (glob, list, grain, pillar, compound, pcre, ...). arg: the positional arguments (a list); kwarg: the keyword arguments (a mapping). timeout: seconds to wait for returns. batch: N or N% runs on that many minions at a time, in id order, starting no more once one failed. fail_minions: minions (a list or comma-separated) allowed to fail. expect_minions (default True): a targeted minion that does not return is a failure.

The result is False when a minion not in fail_minions failed (non-zero retcode, an error, or the return False) or did not return. changes: {out: highstate, ret: {minion: return}}. In test mode nothing runs: the state says what would run.`,
		Apply: saltFunction,
	})
}

// saltFunctionArgs are salt.function's arguments.
type saltFunctionArgs struct {
	orchTargetArgs
	orchFunArgs
}

func saltFunction(ctx context.Context, env *Env, call Call, a *saltFunctionArgs) Result {
	o := env.orchestrator()
	if o == nil {
		return noOrchestrator("salt.function", call)
	}
	fun := call.Name
	t, warnings, err := a.target(call)
	if err != nil {
		return failErr(call.Name, err)
	}
	arg, kwarg := a.args(), a.Kwarg
	if call.Test {
		return Result{Name: call.Name, Comment: fmt.Sprintf("Function %s would be executed on target %s", fun, t.tgt)}
	}
	failed := func(id string, r OrchReturn, returned bool) bool {
		if t.failMinions[id] {
			return false
		}
		if !returned {
			return t.expect
		}
		return r.Failed() || r.Return == false
	}
	run, err := dispatch(ctx, o, t, fun, arg, kwarg, 0, failed)
	if err != nil {
		return fail(call.Name, "Running function %s on target %s failed: %v", fun, t.tgt, err)
	}
	ret := map[string]any{}
	var bad, ran []string
	for id, r := range run.rets {
		ret[id] = r.Return
		ran = append(ran, id)
		if failed(id, r, true) {
			bad = append(bad, id)
		}
	}
	if t.expect {
		for _, id := range run.missing {
			ret[id] = noResponse
			if failed(id, OrchReturn{}, false) {
				bad = append(bad, id)
			}
		}
	}
	if len(ret) == 0 {
		return fail(call.Name, "No minions responded: target %s matched no minion", t.tgt)
	}
	res := Result{Name: call.Name, Result: True(), Changes: map[string]any{"out": "highstate", "ret": ret}}
	var b strings.Builder
	if len(bad) > 0 {
		res.Result = False()
		fmt.Fprintf(&b, "Running function %s failed on minions: %s.", fun, joinIDs(bad))
	} else {
		b.WriteString("Function ran successfully.")
	}
	if len(ran) > 0 {
		fmt.Fprintf(&b, " Function %s ran on %s.", fun, joinIDs(ran))
	}
	if len(run.missing) > 0 {
		fmt.Fprintf(&b, "\nMinions that did not return: %s.", joinIDs(run.missing))
	}
	if len(run.notRun) > 0 {
		fmt.Fprintf(&b, "\nBatch stopped after a failure; not run on: %s.", strings.Join(run.notRun, ", "))
	}
	for _, w := range warnings {
		b.WriteString("\nWarning: " + w)
	}
	res.Comment = b.String()
	return res
}
