package states

import (
	"context"
	"fmt"
)

// salt.wheel: run a wheel function (key management) from an
// orchestration, as Salt's saltmod.wheel does.

func init() {
	RegisterTyped(Typed[masterFunArgs]{
		Name: "salt.wheel",
		Doc: `Run the wheel function name on the master, from an orchestration (ctl run state.orchestrate): key.accept, key.reject, key.delete (match: the minion id or glob), key.list_all, key.finger.

arg: positional arguments (a list); kwarg and every other argument: keyword arguments. The result is False when the function failed. changes: {return: its return}. In test mode nothing runs.`,
		Apply: saltWheel,
	})
}

func saltWheel(ctx context.Context, env *Env, call Call, a *masterFunArgs) Result {
	o := env.orchestrator()
	if o == nil {
		return noOrchestrator("salt.wheel", call)
	}
	if call.Test {
		return Result{Name: call.Name, Comment: fmt.Sprintf("Wheel function '%s' would be executed.", call.Name)}
	}
	ret, err := o.Wheel(ctx, call.Name, a.args(), a.kwargs())
	if err != nil {
		return fail(call.Name, "Wheel function '%s' failed: %v", call.Name, err)
	}
	return masterFunResult("Wheel", call.Name, ret)
}
