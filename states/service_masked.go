package states

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func init() {
	RegisterTyped(Typed[maskArgs]{
		Name: "service.masked",
		Doc: `Ensure a systemd unit is masked (systemctl mask), so nothing can start it.

name: the unit (".service" is added when it has no unit suffix). runtime: True manages the runtime mask (systemctl mask --runtime, under /run, gone at reboot) instead of the indefinite one (under /etc); the two are independent, as in Salt. A unit is masked when its unit file link points to /dev/null.
Changes: {"masked" (or "runtime masked"): {"old": False, "new": True}}.`,
		Apply: func(ctx context.Context, env *Env, call Call, a *maskArgs) Result {
			return serviceMask(ctx, env, call, a, true)
		},
	})
	RegisterTyped(Typed[maskArgs]{
		Name: "service.unmasked",
		Doc: `Ensure a systemd unit is not masked (systemctl unmask).

name: the unit. runtime: True removes the runtime mask instead of the indefinite one; the two are independent, as in Salt.
Changes: {"masked" (or "runtime masked"): {"old": True, "new": False}}.`,
		Apply: func(ctx context.Context, env *Env, call Call, a *maskArgs) Result {
			return serviceMask(ctx, env, call, a, false)
		},
	})
}

// maskArgs are service.masked's and service.unmasked's arguments.
type maskArgs struct {
	Runtime bool `salt:"runtime"`
}

// systemdUnitTypes are the unit suffixes systemd knows.
var systemdUnitTypes = []string{".service", ".socket", ".device", ".mount", ".automount",
	".swap", ".target", ".path", ".timer", ".slice", ".scope"}

// canonicalUnit adds ".service" to a name without a unit suffix.
func canonicalUnit(name string) string {
	for _, s := range systemdUnitTypes {
		if strings.HasSuffix(name, s) {
			return name
		}
	}
	return name + ".service"
}

// unitMasked reports whether the unit's link under /etc/systemd/system
// (or /run/systemd/system for a runtime mask) points to /dev/null, as
// Salt's systemd_service.masked reads it.
func unitMasked(env *Env, unit string, runtime bool) (bool, error) {
	dir := "/etc/systemd/system"
	if runtime {
		dir = "/run/systemd/system"
	}
	link := env.sysPath(filepath.Join(dir, unit))
	target, err := os.Readlink(link)
	if err == nil {
		return target == "/dev/null", nil
	}
	if os.IsNotExist(err) {
		return false, nil
	}
	if fi, serr := os.Lstat(link); serr == nil && fi.Mode().IsRegular() {
		return false, nil // a unit file of its own: not masked
	}
	return false, fmt.Errorf("Failed to check mask status for service %s: %v", unit, err)
}

func serviceMask(ctx context.Context, env *Env, call Call, a *maskArgs, mask bool) Result {
	name := call.Name
	if sd, err := serviceManager(env); err != nil || sd.sysv {
		// Salt's words where no service module masks (not systemd)
		return fail(name, "Service masking not available on this minion")
	}
	unit := canonicalUnit(name)
	maskType, action, verb := "masked", "masked", "mask"
	if !mask {
		action, verb = "unmasked", "unmask"
	}
	if a.Runtime {
		maskType, action = "runtime "+maskType, "runtime "+action
	}
	masked, err := unitMasked(env, unit, a.Runtime)
	if err != nil {
		return failErr(name, err)
	}
	if masked == mask {
		if mask {
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Service %s is already %s", name, action)}
		}
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Service %s was already %s", name, action)}
	}
	changes := map[string]any{maskType: map[string]any{"old": !mask, "new": mask}}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Service %s would be %s", name, action)}
	}
	args := []string{verb}
	if a.Runtime {
		args = append(args, "--runtime")
	}
	if _, err := env.runOK(ctx, Command{Path: "systemctl", Args: append(args, unit)}); err != nil {
		return fail(name, "Failed to %s service '%s': %v", verb, name, err)
	}
	now, err := unitMasked(env, unit, a.Runtime)
	if err != nil {
		return failErr(name, err)
	}
	if now != mask {
		return fail(name, "Failed to %s service %s: systemctl %s succeeded but the unit is still %s", verb, name, verb,
			map[bool]string{true: "masked", false: "not masked"}[now])
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Service %s was %s", name, action)}
}
