package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[serviceArgs]{
		Name: "service.dead",
		Doc: `Ensure a service is stopped: systemd (systemctl is-active, stop), or on a Debian host without systemctl its init script (service NAME status, stop).

name: the unit (a unit systemd does not know counts as dead). enable: true/false also enables/disables it at boot. As a watcher (mod_watch) it stops the service.
Changes: {name: True} when stopped or (en|dis)abled. In test mode a unit systemd does not know would be stopped (Result None). On a host not booted with systemd but with systemctl nothing is done, as Salt's offline mode.`,
		Apply:    serviceDead,
		ModWatch: serviceModWatch("dead"),
	})
}

func serviceDead(ctx context.Context, env *Env, call Call, a *serviceArgs) Result {
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
		return notPresent(name, "stopped")
	}
	if !ok {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("The named service %s is not available", name)}
	}
	active, err := sd.active(ctx, name)
	if err != nil {
		return failErr(name, err)
	}
	ret := Result{Name: name, Changes: map[string]any{}}
	var comments []string
	if !active {
		comments = append(comments, fmt.Sprintf("The service %s is already dead", name))
	} else if call.Test {
		ret.Comment = fmt.Sprintf("Service %s is set to be killed", name)
		return ret
	} else {
		if err := sd.do(ctx, "stop", name); err != nil {
			return fail(name, "Service %s failed to die: %v", name, err)
		}
		if still, err := sd.active(ctx, name); err != nil || still {
			return fail(name, "Service %s failed to die: it is still active after systemctl stop", name)
		}
		comments = append(comments, fmt.Sprintf("Service %s was killed", name))
		ret.Changes[name] = true
	}
	return finishService(ctx, sd, name, enable, call, ret, comments)
}
