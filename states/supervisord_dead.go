package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[supervisorArgs]{
		Name: "supervisord.dead",
		Doc: `Ensure a supervisor process, or a process group ("web:"), is stopped, through supervisorctl.

name: the process or group; one supervisor does not know is as stopped as can be. user, conf_file, bin_env: as supervisord.running.
Changes: {name: "Stopping service: name"}.`,
		Apply: supervisorDead,
	})
}

func supervisorDead(ctx context.Context, env *Env, call Call, a *supervisorArgs) Result {
	name := call.Name
	s, err := newSupervisorctl(env, a)
	if err != nil {
		return failErr(name, err)
	}
	procs, err := s.status(ctx)
	if err != nil {
		return failErr(name, err)
	}
	matched, _, _ := supervisorMatch(procs, name)
	if len(matched) == 0 {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Service %s doesn't exist", name)}
	}
	running := false
	for _, p := range matched {
		running = running || !supervisorStopped(procs[p])
	}
	if !running {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Service %s is not running", name)}
	}
	comment := "Stopping service: " + name
	changes := map[string]any{name: comment}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Service %s is set to be stopped", name)}
	}
	if out, failed, err := s.run(ctx, "stop", name); err != nil || failed {
		return fail(name, "%s failed: %s", comment, errOr(err, out))
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: comment}
}
