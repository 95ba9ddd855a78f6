package states

import "context"

func init() {
	RegisterTyped(Typed[cmdArgs]{
		Name:     "cmd.wait",
		Doc:      `Run a command only when a watched state changed: the state itself does nothing; its mod_watch runs the command as cmd.run does (same arguments, same changes).`,
		Apply:    cmdWait,
		ModWatch: cmdRun,
	})
}

func cmdWait(ctx context.Context, env *Env, call Call, a *cmdArgs) Result {
	if _, err := a.opts(call); err != nil {
		return failErr(call.Name, err)
	}
	return Result{Name: call.Name, Result: True()}
}
