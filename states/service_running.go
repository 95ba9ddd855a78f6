package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[serviceArgs]{
		Name: "service.running",
		Doc: `Ensure a service is running: systemd (systemctl is-active, start), or on a Debian host without systemctl its init script (service NAME status, start), as Salt's debian_service.

name: the unit. enable: true/false also enables/disables it at boot (left alone when not given). As a watcher (mod_watch) it restarts the service, or reloads it with reload: True, or starts it if it is stopped.
Changes: {name: True} when started or (en|dis)abled. In test mode a unit systemd does not know (an earlier pkg.installed may install it) would be started (Result None). On a host not booted with systemd but with systemctl (a container, a chroot) nothing is done, as Salt's offline mode.`,
		Apply:    serviceRunning,
		ModWatch: serviceModWatch("running"),
	})
}

func serviceRunning(ctx context.Context, env *Env, call Call, a *serviceArgs) Result {
	name := call.Name
	enable := a.Enable
	sd, err := serviceManager(env)
	if err != nil {
		return failErr(name, err)
	}
	if sd.offline() {
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: offlineComment}
	}
	ok, err := sd.available(ctx, name)
	if err != nil {
		return failErr(name, err)
	}
	if !ok && call.Test {
		return notPresent(name, "started")
	}
	if !ok {
		return fail(name, "The named service %s is not available", name)
	}
	active, err := sd.active(ctx, name)
	if err != nil {
		return failErr(name, err)
	}
	ret := Result{Name: name, Changes: map[string]any{}}
	var comments []string
	if active {
		comments = append(comments, fmt.Sprintf("The service %s is already running", name))
	} else if call.Test {
		// as Salt: no changes, and enable is not looked at
		ret.Comment = fmt.Sprintf("Service %s is set to start", name)
		return ret
	} else {
		if err := sd.do(ctx, "start", name); err != nil {
			return fail(name, "Service %s failed to start: %v", name, err)
		}
		if now, err := sd.active(ctx, name); err != nil || !now {
			return fail(name, "Service %s failed to start: it is not active after systemctl start", name)
		}
		comments = append(comments, fmt.Sprintf("Started service %s", name))
		ret.Changes[name] = true
	}
	return finishService(ctx, sd, name, enable, call, ret, comments)
}
