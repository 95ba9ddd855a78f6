package states

import "context"

func init() {
	RegisterTyped(Typed[noArgs]{
		Name: "service.disabled",
		Doc: `Ensure a service does not start at boot: systemd (systemctl is-enabled, disable), or on a Debian host without systemctl its rc links (update-rc.d NAME disable); whether it runs now is left alone.

Changes: {name: True} when disabled. A unit systemd does not know has nothing to disable. Works on a host not booted with systemd (unit files).`,
		Apply: func(ctx context.Context, env *Env, call Call, _ *noArgs) Result {
			return serviceEnabledState(ctx, env, call, false)
		},
	})
}
