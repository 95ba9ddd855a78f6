package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[noArgs]{
		Name: "service.enabled",
		Doc: `Ensure a service starts at boot: systemd (systemctl is-enabled, enable), or on a Debian host without systemctl its rc links (update-rc.d NAME enable after insserv); whether it runs now is left alone.

Changes: {name: True} when enabled. In test mode a unit systemd does not know would be enabled (Result None: an earlier pkg.installed may install it). Works on a host not booted with systemd (unit files).`,
		Apply: func(ctx context.Context, env *Env, call Call, _ *noArgs) Result {
			return serviceEnabledState(ctx, env, call, true)
		},
	})
}

// serviceEnabledState is service.enabled (want) and service.disabled.
func serviceEnabledState(ctx context.Context, env *Env, call Call, want bool) Result {
	name := call.Name
	sd, err := serviceManager(env)
	if err != nil {
		return failErr(name, err)
	}
	ok, err := sd.available(ctx, name)
	if err != nil {
		return failErr(name, err)
	}
	switch {
	case !ok && !want:
		// as Salt: nothing to disable
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("The named service %s is not available", name)}
	case !ok && call.Test:
		return notPresent(name, "enabled")
	case !ok:
		return fail(name, "The named service %s is not available", name)
	}
	changed, comment, err := serviceSetEnabled(ctx, sd, name, want, call.Test)
	if err != nil {
		return failErr(name, err)
	}
	ret := Result{Name: name, Changes: map[string]any{}, Comment: comment}
	if changed && call.Test {
		return ret // Result None, no changes, as Salt
	}
	if changed {
		ret.Changes[name] = true
	}
	ret.Comment += ", and is in the desired state"
	ret.Result = True()
	return ret
}
