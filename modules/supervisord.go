package modules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// The supervisord module: processes under supervisor, through
// supervisorctl, as Salt's salt.modules.supervisord. Where Salt returns
// supervisorctl's failure as an "ERROR: ..." string, Brine raises it: a
// failed stop must not read as a value.

const supervisorArgsDoc = ` user runs supervisorctl as that user; conf_file is passed with -c; bin_env is the supervisorctl to run, or a virtualenv whose bin/supervisorctl is used.`

func init() {
	for _, a := range []struct{ verb, doc, example string }{
		{"start", "Start the named supervisor process (default all; group:* for a group) and return supervisorctl's output.", "all"},
		{"stop", "Stop the named supervisor process (default all; group:* for a group) and return supervisorctl's output.", "all"},
		{"restart", "Restart the named supervisor process (default all; group:* for a group) and return supervisorctl's output.", "all"},
	} {
		Register("supervisord."+a.verb, a.doc+` Output reporting ERROR (no such process, spawn error) or a non-zero exit is an error.`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.`+a.verb+` `+a.example, supervisorAction(a.verb, true))
	}
	Register("supervisord.add", `Activate the configuration of the process group name (supervisorctl add) and return the output.`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.add web`, supervisorAction("add", false))
	Register("supervisord.remove", `Remove the process group name from the active configuration (supervisorctl remove) and return the output.`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.remove web`, supervisorAction("remove", false))
	Register("supervisord.reread", `Reload supervisor's configuration files without adding or removing processes (supervisorctl reread) and return the output.`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.reread`, supervisorNoName("reread"))
	Register("supervisord.update", `Apply configuration changes: start, stop or restart what changed (supervisorctl update [name]) and return the output.`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.update`, supervisorUpdate)
	Register("supervisord.status", `Return a mapping of process name to {state, reason} for the named process or all (supervisorctl status).`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.status`, supervisorStatus)
	Register("supervisord.status_raw", `Return supervisorctl status's output for the named process or all.`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.status_raw`, supervisorStatusRaw)
	Register("supervisord.custom", `Run a custom supervisorctl command (a string, split as a shell would) and return its output.`+supervisorArgsDoc+`

CLI Example:

    ctl '*' supervisord.custom "mstop '*gunicorn*'"`, supervisorCustom)
}

// supervisorctl reads user, conf_file and bin_env at the given positions
// and returns the program to run with its leading arguments.
func supervisorctl(c Call, userPos int) (prog, error) {
	user, err := c.String(userPos, "user", ptr(""))
	if err != nil {
		return prog{}, err
	}
	conf, err := c.String(userPos+1, "conf_file", ptr(""))
	if err != nil {
		return prog{}, err
	}
	binEnv, err := c.String(userPos+2, "bin_env", ptr(""))
	if err != nil {
		return prog{}, err
	}
	p := prog{path: "supervisorctl", runas: user}
	if binEnv != "" {
		binEnv = expandUser(binEnv)
		fi, err := os.Stat(binEnv)
		switch {
		case err != nil:
			return prog{}, execErr("bin_env %s: %s", binEnv, osErr(err).Message)
		case fi.IsDir():
			p.path = filepath.Join(binEnv, "bin", "supervisorctl")
		default:
			p.path = binEnv
		}
	}
	if conf != "" {
		p.args = []string{"-c", expandUser(conf)}
	}
	return p, nil
}

// supervisorRun runs the command and fails on a non-zero exit (other than
// those okCodes allow) or output reporting ERROR.
func supervisorRun(ctx context.Context, env *Env, p prog, okCodes ...int) (string, error) {
	res, err := run(ctx, env, p)
	if err != nil {
		return "", err
	}
	ok := res.retcode == 0
	for _, c := range okCodes {
		ok = ok || res.retcode == c
	}
	out := res.stdout
	if !ok || strings.Contains(out, "ERROR") {
		msg := res.combined()
		if msg == "" {
			msg = "no output"
		}
		return "", execErr("%s: %s failed (exit code %d): %s", p.fun, p.cmdline(), res.retcode, msg)
	}
	return out, nil
}

func supervisorAction(verb string, defAll bool) Func {
	fun := "supervisord." + verb
	return func(ctx context.Context, env *Env, c Call) (any, error) {
		var def *string
		if defAll {
			def = ptr("all")
		}
		name, err := c.String(0, "name", def)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, badArg("argument 'name' must not be empty")
		}
		// supervisorctl names a group's processes group:, Salt's group:*
		name = strings.TrimSuffix(name, "*")
		if verb == "add" || verb == "remove" {
			name = strings.TrimSuffix(name, ":")
		}
		p, err := supervisorctl(c, 1)
		if err != nil {
			return nil, err
		}
		p.fun, p.args = fun, append(p.args, verb, name)
		return supervisorRun(ctx, env, p)
	}
}

func supervisorNoName(verb string) Func {
	fun := "supervisord." + verb
	return func(ctx context.Context, env *Env, c Call) (any, error) {
		p, err := supervisorctl(c, 0)
		if err != nil {
			return nil, err
		}
		p.fun, p.args = fun, append(p.args, verb)
		return supervisorRun(ctx, env, p)
	}
}

func supervisorUpdate(ctx context.Context, env *Env, c Call) (any, error) {
	p, err := supervisorctl(c, 0)
	if err != nil {
		return nil, err
	}
	name, err := c.String(3, "name", ptr(""))
	if err != nil {
		return nil, err
	}
	p.fun, p.args = "supervisord.update", append(p.args, "update")
	if name = strings.TrimSuffix(strings.TrimSuffix(name, "*"), ":"); name != "" {
		p.args = append(p.args, name)
	}
	return supervisorRun(ctx, env, p)
}

// statusRaw is supervisorctl status's output; exit 3 (some process not
// running) is a normal answer.
func statusRaw(ctx context.Context, env *Env, fun string, c Call) (string, error) {
	name, err := c.String(0, "name", ptr(""))
	if err != nil {
		return "", err
	}
	p, err := supervisorctl(c, 1)
	if err != nil {
		return "", err
	}
	p.fun, p.args = fun, append(p.args, "status")
	if name != "" {
		p.args = append(p.args, name)
	}
	res, err := run(ctx, env, p)
	if err != nil {
		return "", err
	}
	if (res.retcode != 0 && res.retcode != 3) || strings.Contains(res.stdout, "ERROR") {
		return "", execErr("%s: %s failed (exit code %d): %s", fun, p.cmdline(), res.retcode, res.combined())
	}
	return res.stdout, nil
}

func supervisorStatusRaw(ctx context.Context, env *Env, c Call) (any, error) {
	return statusRaw(ctx, env, "supervisord.status_raw", c)
}

func supervisorStatus(ctx context.Context, env *Env, c Call) (any, error) {
	out, err := statusRaw(ctx, env, "supervisord.status", c)
	if err != nil {
		return nil, err
	}
	ret := map[string]any{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		reason := ""
		if len(f) > 2 {
			// the rest of the line, spacing kept
			rest := strings.TrimSpace(line)
			for i := 0; i < 2; i++ {
				rest = strings.TrimSpace(rest[len(strings.Fields(rest)[0]):])
			}
			reason = rest
		}
		ret[f[0]] = map[string]any{"state": f[1], "reason": reason}
	}
	return ret, nil
}

func supervisorCustom(ctx context.Context, env *Env, c Call) (any, error) {
	command, err := c.String(0, "command", nil)
	if err != nil {
		return nil, err
	}
	words, perr := shlexSplit(command)
	if perr != nil {
		return nil, perr
	}
	if len(words) == 0 {
		return nil, badArg("argument 'command' must not be empty")
	}
	p, err := supervisorctl(c, 1)
	if err != nil {
		return nil, err
	}
	p.fun, p.args = "supervisord.custom", append(p.args, words...)
	return supervisorRun(ctx, env, p)
}
