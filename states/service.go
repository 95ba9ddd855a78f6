package states

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Shared by the service.* states: systemd through systemctl, or on a
// Debian host without systemd its SysV init scripts, as Salt's
// debian_service module drives them.

// initSystem is what the service states drive: systemd, or sysv.
type initSystem struct {
	env  *Env
	sysv bool // Debian's init scripts, not systemd
}

// serviceManager is the init system the service states drive on this
// host (Env.ServiceManager): systemd when systemctl is on PATH, else the
// init scripts of a Debian-family host (Salt loads debian_service there),
// else an error saying why, rather than a command that cannot be found.
func serviceManager(env *Env) (initSystem, error) {
	switch env.ServiceManager {
	case "systemd":
		return initSystem{env: env}, nil
	case "sysv":
		return initSystem{env: env, sysv: true}, nil
	case "":
	default:
		return initSystem{}, fmt.Errorf("unknown service manager %q (systemd or sysv)", env.ServiceManager)
	}
	if _, err := exec.LookPath("systemctl"); err == nil {
		return initSystem{env: env}, nil
	}
	family, _ := env.Grains["os_family"].(string)
	if fi, err := os.Stat(env.sysPath("/etc/init.d")); err == nil && fi.IsDir() && family == "Debian" {
		return initSystem{env: env, sysv: true}, nil
	}
	return initSystem{}, fmt.Errorf("no service manager found: systemctl is not on PATH, and this is not a Debian-family host with /etc/init.d (os_family %q)", family)
}

// offlineComment is what service.running and service.dead say on a host
// whose systemd is offline, as Salt's.
const offlineComment = "Running in OFFLINE mode. Nothing to do"

// offline reports whether systemd is installed but not the running init
// (a container, a chroot, an image being built): Salt's systemd module
// then works offline, as systemctl does without PID 1: units cannot be
// started or stopped, only enabled or disabled. Like Salt's
// salt.utils.systemd.offline: not booted (sd_booted(3): no
// /run/systemd/system, Env.SystemdRunDir) and systemctl on PATH.
func (s initSystem) offline() bool {
	if s.sysv {
		return false
	}
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
func (s initSystem) available(ctx context.Context, name string) (bool, error) {
	if s.sysv {
		return s.sysvAvailable(ctx, name)
	}
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
func (s initSystem) active(ctx context.Context, name string) (bool, error) {
	if s.sysv {
		// debian_service.status: service NAME status exits 0
		res, err := s.env.run(ctx, Command{Path: "service", Args: []string{name, "status"}})
		if err != nil {
			return false, err
		}
		return res.Retcode == 0, nil
	}
	res, err := s.env.run(ctx, Command{Path: "systemctl", Args: []string{"is-active", name}})
	if err != nil {
		return false, err
	}
	return res.Retcode == 0, nil
}

// enabledState is systemctl is-enabled's answer ("enabled", "disabled",
// "static", "masked", ...).
func (s initSystem) enabledState(ctx context.Context, name string) (string, error) {
	if s.sysv {
		enabled, err := s.sysvEnabled(ctx)
		if err != nil {
			return "", err
		}
		if enabled[name] {
			return "enabled", nil
		}
		return "disabled", nil
	}
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

// do runs systemctl verb name, or debian_service's commands for it:
// service NAME start|stop|restart|reload, insserv NAME then update-rc.d
// NAME enable, update-rc.d NAME disable.
func (s initSystem) do(ctx context.Context, verb, name string) error {
	if !s.sysv {
		_, err := s.env.runOK(ctx, Command{Path: "systemctl", Args: []string{verb, name}})
		return err
	}
	var cmds []Command
	switch verb {
	case "enable":
		cmds = []Command{{Path: "insserv", Args: []string{name}}, {Path: "update-rc.d", Args: []string{name, "enable"}}}
	case "disable":
		cmds = []Command{{Path: "update-rc.d", Args: []string{name, "disable"}}}
	default:
		cmds = []Command{{Path: "service", Args: []string{name, verb}}}
	}
	for _, c := range cmds {
		if _, err := s.env.runOK(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// sysvAvailable is debian_service.available: an entry of /etc/init.d
// (not README), or a service linked in the current runlevel.
func (s initSystem) sysvAvailable(ctx context.Context, name string) (bool, error) {
	if name == "" || strings.Contains(name, "/") {
		return false, nil
	}
	if name != "README" {
		if _, err := os.Lstat(s.env.sysPath(filepath.Join("/etc/init.d", name))); err == nil {
			return true, nil
		}
	}
	enabled, err := s.sysvEnabled(ctx)
	return enabled[name], err
}

// sysvEnabled is debian_service.get_enabled: the services with an S link
// in /etc/rcS.d or the current runlevel's /etc/rcN.d (the link's name
// past its S and priority digits).
func (s initSystem) sysvEnabled(ctx context.Context) (map[string]bool, error) {
	level := s.sysvRunlevel(ctx)
	out := map[string]bool{}
	for _, dir := range []string{"/etc/rcS.d", "/etc/rc" + level + ".d"} {
		entries, err := os.ReadDir(s.env.sysPath(dir))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasPrefix(n, "S") {
				continue
			}
			// re.split(r"\d+", line)[-1]: what follows the last digits
			if i := strings.LastIndexAny(n, "0123456789"); i >= 0 {
				n = n[i+1:]
			}
			out[n] = true
		}
	}
	return out, nil
}

// sysvRunlevel is debian_service._get_runlevel: runlevel's second word,
// or 2 (Debian's default) where it says unknown (a container).
func (s initSystem) sysvRunlevel(ctx context.Context) string {
	res, err := s.env.run(ctx, Command{Path: "runlevel"})
	if err != nil || strings.Contains(res.Stdout, "unknown") {
		return "2"
	}
	f := strings.Fields(res.Stdout)
	if len(f) < 2 || len(f[1]) != 1 || !strings.Contains("0123456S", f[1]) {
		return "2"
	}
	return f[1]
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
func serviceSetEnabled(ctx context.Context, sd initSystem, name string, want, test bool) (changed bool, comment string, err error) {
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
		sd, err := serviceManager(env)
		if err != nil {
			return failErr(name, err)
		}
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
func finishService(ctx context.Context, sd initSystem, name string, enable *bool, call Call, ret Result, comments []string) Result {
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
