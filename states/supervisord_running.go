package states

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	RegisterTyped(Typed[supervisorRunningArgs]{
		Name: "supervisord.running",
		Doc: `Ensure a supervisor process, or a process group ("web:" or "web:*"), is running, through supervisorctl.

name: the process or group. A name supervisor does not know yet is added (supervisorctl reread, then add) and started. restart: True restarts a running one; update: True runs supervisorctl update first (a process it updated is not started again). user runs supervisorctl as that user; conf_file is passed with -c; bin_env is the supervisorctl to run, or a virtualenv whose bin/supervisorctl is used. As a watcher (mod_watch) it restarts the process.
Changes: {name: "Starting: name"} (or "Adding service: ...", "Restarting: ...").`,
		Apply: supervisorRunning,
		ModWatch: func(ctx context.Context, env *Env, call Call, a *supervisorRunningArgs) Result {
			b := *a
			if b.Restart == nil {
				b.Restart = True() // mod_watch restarts unless told not to
			}
			return supervisorRunning(ctx, env, call, &b)
		},
	})
}

// supervisorRunningArgs are supervisord.running's arguments.
type supervisorRunningArgs struct {
	supervisorArgs
	// Restart is nil when not given: false, but true for mod_watch.
	Restart *bool `salt:"restart"`
	Update  bool  `salt:"update"`
}

func supervisorRunning(ctx context.Context, env *Env, call Call, a *supervisorRunningArgs) Result {
	name := strings.TrimSuffix(call.Name, "*")
	if !strings.HasSuffix(call.Name, ":*") {
		name = call.Name
	}
	restart := a.Restart != nil && *a.Restart
	s, err := newSupervisorctl(env, &a.supervisorArgs)
	if err != nil {
		return failErr(name, err)
	}
	procs, err := s.status(ctx)
	if err != nil {
		return failErr(name, err)
	}
	matched, isGroup, stopped := supervisorMatch(procs, name)
	kind := ""
	if len(matched) > 0 {
		kind = map[bool]string{true: " group", false: " service"}[isGroup]
	}
	toAdd := len(matched) == 0
	if call.Test {
		var toStart []string
		for _, p := range matched {
			if strings.ToLower(procs[p]) != "running" {
				toStart = append(toStart, p)
			}
		}
		what := "Service " + name
		if strings.HasSuffix(name, ":") {
			what = fmt.Sprintf("Group '%s'", name)
		}
		switch {
		case toAdd:
			return Result{Name: name, Changes: map[string]any{name: "Adding service: " + name}, Comment: what + " will be added and started"}
		case len(toStart) > 0 && isGroup && len(toStart) < len(matched):
			return Result{Name: name, Changes: map[string]any{name: "Starting" + kind + ": " + name},
				Comment: "The following services will be started: " + strings.Join(toStart, " ")}
		case len(toStart) > 0:
			return Result{Name: name, Changes: map[string]any{name: "Starting" + kind + ": " + name}, Comment: what + " will be started"}
		case restart:
			return Result{Name: name, Changes: map[string]any{name: "Restarting" + kind + ": " + name}, Comment: what + " will be restarted"}
		case isGroup:
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("All services in group '%s' are already running", name)}
		}
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Service %s is already running", name)}
	}
	var changes, comments []string
	justUpdated := false
	if a.Update {
		out, failed, err := s.run(ctx, "update")
		if err != nil || failed {
			return fail(name, "Updating supervisor failed: %s", errOr(err, out))
		}
		comments = append(comments, "Updating supervisor")
		justUpdated = strings.Contains(out, name+": updated") || strings.Contains(out, strings.TrimSuffix(name, ":")+": updated")
	} else if toAdd {
		if out, failed, err := s.run(ctx, "reread"); err != nil || failed {
			return fail(name, "Adding service %s failed: supervisorctl reread: %s", name, errOr(err, out))
		}
		out, failed, err := s.run(ctx, "add", strings.TrimSuffix(name, ":"))
		if err != nil || failed {
			return fail(name, "Adding service %s failed: %s", name, errOr(err, out))
		}
		changes = append(changes, "Adding service: "+name)
		comments = append(comments, "Adding service: "+name)
	}
	switch {
	case len(matched) > 0 && !stopped && restart && !justUpdated:
		c := "Restarting" + kind + ": " + name
		if out, failed, err := s.run(ctx, "restart", name); err != nil || failed {
			return fail(name, "%s failed: %s", c, errOr(err, out))
		}
		changes, comments = append(changes, c), append(comments, c)
	case len(matched) > 0 && !stopped && justUpdated:
		comments = append(comments, "Not starting updated"+kind+": "+name)
	case len(matched) > 0 && !stopped:
		comments = append(comments, "Not starting already running"+kind+": "+name)
	case !justUpdated:
		c := "Starting" + kind + ": " + name
		if out, failed, err := s.run(ctx, "start", name); err != nil || failed {
			return fail(name, "%s failed: %s", c, errOr(err, out))
		}
		changes, comments = append(changes, c), append(comments, c)
	}
	ret := Result{Name: name, Result: True(), Comment: strings.Join(comments, "\n"), Changes: map[string]any{}}
	if len(changes) > 0 {
		ret.Changes[name] = strings.Join(changes, " ")
	}
	return ret
}

// errOr is err's text, else out.
func errOr(err error, out string) string {
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(out)
}
