package states

import (
	"context"
	"fmt"
)

// salt.runner: run a master-side runner function from an orchestration,
// as Salt's saltmod.runner does.

func init() {
	RegisterTyped(Typed[masterFunArgs]{
		Name: "salt.runner",
		Doc: `Run the runner function name on the master, from an orchestration (ctl run state.orchestrate): manage.up, jobs.lookup_jid, state.orchestrate (a nested orchestration), ...

arg: positional arguments (a list); kwarg and every other argument: keyword arguments. The result is False when the runner failed: an error, a return with an Error key, or a non-zero retcode (a failed nested orchestration). changes: {return: the runner's return}. In test mode nothing runs.`,
		Apply: saltRunner,
	})
}

func saltRunner(ctx context.Context, env *Env, call Call, a *masterFunArgs) Result {
	o := env.orchestrator()
	if o == nil {
		return noOrchestrator("salt.runner", call)
	}
	if call.Test {
		return Result{Name: call.Name, Comment: fmt.Sprintf("Runner function '%s' would be executed.", call.Name)}
	}
	ret, err := o.Runner(ctx, call.Name, a.args(), a.kwargs())
	if err != nil {
		return fail(call.Name, "Runner function '%s' failed: %v", call.Name, err)
	}
	return masterFunResult("Runner", call.Name, ret)
}

// masterFunResult is the result of a runner or wheel function's return.
func masterFunResult(kind, fun string, ret any) Result {
	res := Result{Name: fun, Result: True(), Changes: map[string]any{"return": ret},
		Comment: fmt.Sprintf("%s function '%s' executed.", kind, fun)}
	if !runnerSucceeded(ret) {
		res.Result = False()
		res.Comment = fmt.Sprintf("%s function '%s' failed.", kind, fun)
	}
	return res
}
