package states

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Shared by the service.* states: systemd through systemctl.

type systemd struct{ env *Env }

// offlineComment is what service.running and service.dead say on a host
// whose systemd is offline, as Salt's.
const offlineComment = "Running in OFFLINE mode. Nothing to do"

// offline reports whether systemd is installed but not the running init
// (a container, a chroot, an image being built): Salt's systemd module
// then works offline, as systemctl does without PID 1: units cannot be
// started or stopped, only enabled or disabled. Like Salt's
// salt.utils.systemd.offline: not booted (sd_booted(3): no
// /run/systemd/system, Env.SystemdRunDir) and systemctl on PATH.
func (s systemd) offline() bool {
	dir := "/run/systemd/system"
	if s.env != nil && s.env.SystemdRunDir != "" {
		dir = s.env.SystemdRunDir
	}
	if _, err := os.Stat(dir); err == nil {
		return false
	}
	_, err := exec.LookPath("systemctl")
	return err == nil
}

// available reports whether systemd knows the unit. Offline, the unit's
// file state tells (systemctl show needs the running systemd).
func (s systemd) available(ctx context.Context, name string) (bool, error) {
	if s.offline() {
		res, err := s.env.run(ctx, Command{Path: "systemctl", Args: []string{"is-enabled", name}})
		if err != nil {
			return false, err
		}
		return strings.TrimSpace(res.Stdout) != "", nil
	}
	res, err := s.env.run(ctx, Command{Path: "systemctl", Args: []string{"show", "-p", "LoadState", "--value", name}})
	if err != nil {
		return false, err
	}
	if res.Retcode != 0 {
		return false, fmt.Errorf("systemctl show %s failed with exit code %d: %s", name, res.Retcode, res.combined())
	}
	state := strings.TrimSpace(res.Stdout)
	return state != "" && state != "not-found", nil
}

// active reports whether the unit runs (systemctl is-active exits 0).
func (s systemd) active(ctx context.Context, name string) (bool, error) {
	res, err := s.env.run(ctx, Command{Path: "systemctl", Args: []string{"is-active", name}})
	if err != nil {
		return false, err
	}
	return res.Retcode == 0, nil
}

// enabledState is systemctl is-enabled's answer ("enabled", "disabled",
// "static", "masked", ...).
func (s systemd) enabledState(ctx context.Context, name string) (string, error) {
	res, err := s.env.run(ctx, Command{Path: "systemctl", Args: []string{"is-enabled", name}})
	if err != nil {
		return "", err
	}
	state := strings.TrimSpace(res.Stdout)
	if i := strings.IndexByte(state, '\n'); i >= 0 {
		state = state[:i]
	}
	if state == "" {
		return "", fmt.Errorf("systemctl is-enabled %s failed with exit code %d: %s", name, res.Retcode, res.combined())
	}
	return state, nil
}

// enabledOK reports whether a unit in is-enabled state st satisfies
// "enabled" (want) or "disabled" (!want). Units that cannot be switched
// (static, indirect, generated) satisfy both.
func enabledOK(st string, want bool) bool {
	switch st {
	case "static", "indirect", "generated", "transient":
		return true
	case "enabled", "enabled-runtime", "alias", "linked", "linked-runtime":
		return want
	}
	return !want
}

// do runs systemctl verb name.
func (s systemd) do(ctx context.Context, verb, name string) error {
	_, err := s.env.runOK(ctx, Command{Path: "systemctl", Args: []string{verb, name}})
	return err
}

// serviceArgs are service.running's and service.dead's arguments:
// enable (left alone when not given), and for mod_watch reload and force.
type serviceArgs struct {
	Enable *bool `salt:"enable"`
	Reload bool  `salt:"reload"`
	Force  bool  `salt:"force"`
}

// serviceSetEnabled is the check-and-apply for the enabled state of a
// unit, shared by service.enabled/disabled and the enable argument of
// service.running/dead. It returns whether something changed (or would
// change, in test mode) and a comment fragment.
func serviceSetEnabled(ctx context.Context, sd systemd, name string, want, test bool) (changed bool, comment string, err error) {
	st, err := sd.enabledState(ctx, name)
	if err != nil {
		return false, "", err
	}
	word := map[bool]string{true: "enabled", false: "disabled"}[want]
	if enabledOK(st, want) {
		return false, fmt.Sprintf("Service %s is already %s", name, word), nil
	}
	if test {
		return true, fmt.Sprintf("Service %s set to be %s", name, word), nil
	}
	verb := map[bool]string{true: "enable", false: "disable"}[want]
	if err := sd.do(ctx, verb, name); err != nil {
		return false, "", fmt.Errorf("Failed when setting service %s to %s: %v", name, word, err)
	}
	return true, fmt.Sprintf("Service %s has been %s", name, word), nil
}

// serviceModWatch restarts (or reloads, with reload: True) a running
// service, or starts it; for dead it stops it.
func serviceModWatch(want string) func(context.Context, *Env, Call, *serviceArgs) Result {
	return func(ctx context.Context, env *Env, call Call, a *serviceArgs) Result {
		name := call.Name
		sd := systemd{env}
		if sd.offline() {
			// nothing runs to be restarted, as service.running says
			return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: offlineComment}
		}
		ok, err := sd.available(ctx, name)
		if err != nil {
			return failErr(name, err)
		}
		if !ok {
			return fail(name, "The named service %s is not available", name)
		}
		active, err := sd.active(ctx, name)
		if err != nil {
			return failErr(name, err)
		}
		verb, past := "start", "started"
		switch {
		case want == "dead" && !active:
			return Result{Name: name, Result: True(), Comment: "Service is already stopped"}
		case want == "dead":
			verb, past = "stop", "stopped"
		case active:
			verb, past = "restart", "restarted"
			if a.Reload && !a.Force {
				verb, past = "reload", "reloaded"
			}
		}
		if call.Test {
			return Result{Name: name, Changes: map[string]any{}, Comment: "Service is set to be " + past}
		}
		if err := sd.do(ctx, verb, name); err != nil {
			return fail(name, "Failed to %s the service: %v", verb, err)
		}
		return Result{Name: name, Result: True(), Changes: map[string]any{name: true}, Comment: "Service " + past}
	}
}

// finishService applies service.running/dead's optional enable argument and
// completes the result: the comments joined, Result true unless test mode
// found something to change (which test mode reports in the comment, with
// no changes, as Salt does).
func finishService(ctx context.Context, sd systemd, name string, enable *bool, call Call, ret Result, comments []string) Result {
	would := false
	if enable != nil {
		changed, comment, err := serviceSetEnabled(ctx, sd, name, *enable, call.Test)
		if err != nil {
			ret.Result = False()
			ret.Comment = strings.Join(append(comments, err.Error()), "\n")
			return ret
		}
		comments = append(comments, comment)
		if changed && call.Test {
			would = true
		} else if changed {
			ret.Changes[name] = true
		}
	}
	ret.Comment = strings.Join(comments, "\n")
	if !would {
		ret.Result = True()
	}
	return ret
}

// notPresent is the test-mode result for a unit systemd does not know:
// an earlier state of the run (pkg.installed) may install it, so it is
// a change that would be made, as in Salt; what says what would have
// been done.
func notPresent(name, what string) Result {
	return Result{Name: name, Changes: map[string]any{}, Comment: fmt.Sprintf("Service %s not present; if created in this state run, it would have been %s", name, what)}
}
