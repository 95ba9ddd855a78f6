package states

import "context"

func init() {
	RegisterTyped(Typed[cmdArgs]{
		Name: "cmd.run",
		Doc: `Run a command through a shell every time the state runs (guard it with unless/onlyif, handled by the compiler, or creates).

name: the command. cwd (default: the runas user's home), env (mapping or list of KEY=VALUE), runas, shell (default /bin/sh), stdin, timeout (seconds: the command's process group is killed), creates (a path or list: skip when all exist), success_retcodes (other exit codes that count as success).
Changes: {"pid", "retcode", "stdout", "stderr"}; a non-zero retcode fails the state. As a watcher (mod_watch) it runs the command again.`,
		Apply:    cmdRun,
		ModWatch: cmdRun,
	})
}

func cmdRun(ctx context.Context, env *Env, call Call, a *cmdArgs) Result {
	o, err := a.opts(call)
	if err != nil {
		return failErr(call.Name, err)
	}
	return runShell(ctx, env, call, o, call.Name)
}
