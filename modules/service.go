package modules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The service module: start, stop and enable system services through the
// host's init system: systemd (systemctl), OpenRC (rc-service, rc-update)
// or SysV init (service, update-rc.d or chkconfig). The init system is
// the "init" grain when set, else what the host shows: /run/systemd/system
// for systemd, /run/openrc for OpenRC, /etc/init.d for SysV.
//
// As in Salt's systemd module, an action that fails (start, stop, enable,
// ...) is an error carrying the tool's message, never a false that a
// template could mistake for "nothing to do".

const serviceInitDoc = ` The init system is the "init" grain (systemd, openrc, sysvinit) when set, else detected from the host.`

func init() {
	for _, a := range []struct{ verb, doc string }{
		{"start", "Start the named service"},
		{"stop", "Stop the named service"},
		{"restart", "Restart the named service"},
		{"reload", "Reload the named service's configuration"},
	} {
		Register("service."+a.verb, a.doc+`; true on success, an error carrying the init system's message on failure. Under systemd a name without a unit suffix means name.service; no_block=True passes --no-block.`+serviceInitDoc+`

CLI Example:

    ctl '*' service.`+a.verb+` nginx`, serviceAction(a.verb))
	}
	Register("service.status", `Return true if the named service is running (systemctl is-active, rc-service status, service status exit 0). sig and wait are accepted. Globs are not supported.`+serviceInitDoc+`

CLI Example:

    ctl '*' service.status nginx`, serviceStatus)
	Register("service.enable", `Enable the named service to start at boot; true on success, an error on failure.`+serviceInitDoc+`

CLI Example:

    ctl '*' service.enable nginx`, serviceEnableFn(true))
	Register("service.disable", `Disable the named service from starting at boot; true on success, an error on failure.`+serviceInitDoc+`

CLI Example:

    ctl '*' service.disable nginx`, serviceEnableFn(false))
	Register("service.enabled", `Return true if the named service starts at boot (systemctl is-enabled exit 0; rc-update's default runlevel; an S link in /etc/rc[2-5].d).`+serviceInitDoc+`

CLI Example:

    ctl '*' service.enabled nginx`, serviceEnabled)
	Register("service.available", `Return true if the init system knows the named service.`+serviceInitDoc+`

CLI Example:

    ctl '*' service.available nginx`, serviceAvailable)
	Register("service.missing", `Return true if the init system does not know the named service (the opposite of service.available).`+serviceInitDoc+`

CLI Example:

    ctl '*' service.missing nginx`, serviceMissing)
}

// initSystem is the host's service manager.
type initSystem struct {
	kind string // systemd, openrc, sysvinit
	// etc is the root of the SysV rc directories ("/etc").
	etc string
}

// initFor picks the init system from the init grain or the host.
func initFor(env *Env) (initSystem, error) {
	s := initSystem{etc: "/etc"}
	if env != nil && env.Grains != nil {
		if v, ok := env.Grains.Get("init"); ok {
			if k, _ := v.(string); k != "" {
				switch k {
				case "systemd", "openrc", "sysvinit":
					s.kind = k
					return s, nil
				}
				return s, execErr("the init system %q (init grain) is not supported: systemd, openrc or sysvinit", k)
			}
		}
	}
	switch {
	case isDir("/run/systemd/system"):
		s.kind = "systemd"
	case isDir("/run/openrc") || (hasExec("rc-service") && hasExec("openrc")):
		s.kind = "openrc"
	case isDir("/etc/init.d"):
		s.kind = "sysvinit"
	default:
		return s, execErr("no supported init system found on this minion (systemd, OpenRC or SysV init)")
	}
	return s, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// unitSuffixes are systemd's unit types.
var unitSuffixes = []string{".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target", ".path", ".timer", ".slice", ".scope"}

// unitName is Salt's _canonical_unit_name: name.service unless name
// already has a unit type.
func unitName(name string) string {
	for _, s := range unitSuffixes {
		if strings.HasSuffix(name, s) {
			return name
		}
	}
	return name + ".service"
}

// serviceName reads and checks the name argument.
func serviceName(c Call) (string, error) {
	name, err := c.String(0, "name", nil)
	if err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.HasPrefix(name, "-") || strings.ContainsAny(name, "/ \t\n") {
		return "", badArg("invalid service name %q", name)
	}
	if strings.ContainsAny(name, "*?[") {
		return "", badArg("service name %q is a glob: give one service", name)
	}
	return name, nil
}

// actionProg is the command line that performs verb on name.
func (s initSystem) actionProg(fun, verb, name string, noBlock bool) prog {
	switch s.kind {
	case "systemd":
		args := []string{}
		if noBlock {
			args = append(args, "--no-block")
		}
		return prog{fun: fun, path: "systemctl", args: append(args, verb, unitName(name))}
	case "openrc":
		return prog{fun: fun, path: "rc-service", args: []string{name, verb}}
	}
	if hasExec("service") {
		return prog{fun: fun, path: "service", args: []string{name, verb}}
	}
	return prog{fun: fun, path: filepath.Join(s.etc, "init.d", name), args: []string{verb}}
}

func serviceAction(verb string) Func {
	fun := "service." + verb
	return func(ctx context.Context, env *Env, c Call) (any, error) {
		name, err := serviceName(c)
		if err != nil {
			return nil, err
		}
		noBlock, err := c.Bool(-1, "no_block", ptr(false))
		if err != nil {
			return nil, err
		}
		s, err := initFor(env)
		if err != nil {
			return nil, err
		}
		if _, err := runOK(ctx, env, s.actionProg(fun, verb, name, noBlock)); err != nil {
			return nil, err
		}
		env.logger().InfoContext(ctx, "service "+verb, "service", name)
		return true, nil
	}
}

func serviceStatus(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := serviceName(c)
	if err != nil {
		return nil, err
	}
	s, err := initFor(env)
	if err != nil {
		return nil, err
	}
	p := s.actionProg("service.status", "status", name, false)
	if s.kind == "systemd" {
		p.args = []string{"is-active", unitName(name)}
	}
	res, err := run(ctx, env, p)
	if err != nil {
		return nil, err
	}
	return res.retcode == 0, nil
}

func serviceEnableFn(enable bool) Func {
	fun := map[bool]string{true: "service.enable", false: "service.disable"}[enable]
	return func(ctx context.Context, env *Env, c Call) (any, error) {
		name, err := serviceName(c)
		if err != nil {
			return nil, err
		}
		s, err := initFor(env)
		if err != nil {
			return nil, err
		}
		var progs []prog
		switch s.kind {
		case "systemd":
			progs = []prog{{path: "systemctl", args: []string{map[bool]string{true: "enable", false: "disable"}[enable], unitName(name)}}}
		case "openrc":
			progs = []prog{{path: "rc-update", args: []string{map[bool]string{true: "add", false: "delete"}[enable], name, "default"}}}
		default:
			switch {
			case hasExec("update-rc.d") && enable:
				progs = []prog{{path: "update-rc.d", args: []string{name, "defaults"}}, {path: "update-rc.d", args: []string{name, "enable"}}}
			case hasExec("update-rc.d"):
				progs = []prog{{path: "update-rc.d", args: []string{name, "disable"}}}
			case hasExec("chkconfig"):
				progs = []prog{{path: "chkconfig", args: []string{name, map[bool]string{true: "on", false: "off"}[enable]}}}
			default:
				return nil, execErr("%s: neither update-rc.d nor chkconfig is installed", fun)
			}
		}
		for _, p := range progs {
			p.fun = fun
			if _, err := runOK(ctx, env, p); err != nil {
				return nil, err
			}
		}
		return true, nil
	}
}

func serviceEnabled(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := serviceName(c)
	if err != nil {
		return nil, err
	}
	s, err := initFor(env)
	if err != nil {
		return nil, err
	}
	switch s.kind {
	case "systemd":
		res, err := run(ctx, env, prog{fun: "service.enabled", path: "systemctl", args: []string{"is-enabled", unitName(name)}})
		if err != nil {
			return nil, err
		}
		return res.retcode == 0, nil
	case "openrc":
		res, err := runOK(ctx, env, prog{fun: "service.enabled", path: "rc-update", args: []string{"show", "default"}})
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(res.stdout, "\n") {
			if svc, _, ok := strings.Cut(line, "|"); ok && strings.TrimSpace(svc) == name {
				return true, nil
			}
		}
		return false, nil
	}
	return s.sysvEnabled(name)
}

// sysvEnabled looks for a start link of name in runlevels 2-5.
func (s initSystem) sysvEnabled(name string) (bool, error) {
	for _, pat := range []string{"rc[2345].d/S??" + name, "rc.d/rc[2345].d/S??" + name} {
		m, err := filepath.Glob(filepath.Join(s.etc, pat))
		if err != nil {
			return false, fmt.Errorf("look for %s's start links: %w", name, err)
		}
		if len(m) > 0 {
			return true, nil
		}
	}
	return false, nil
}

func serviceAvailable(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := serviceName(c)
	if err != nil {
		return nil, err
	}
	s, err := initFor(env)
	if err != nil {
		return nil, err
	}
	return s.available(ctx, env, name)
}

func (s initSystem) available(ctx context.Context, env *Env, name string) (bool, error) {
	switch s.kind {
	case "systemd":
		res, err := runOK(ctx, env, prog{fun: "service.available", path: "systemctl", args: []string{"show", "-p", "LoadState", "--value", unitName(name)}})
		if err != nil {
			return false, err
		}
		st := strings.TrimSpace(res.stdout)
		return st != "" && st != "not-found", nil
	case "openrc":
		res, err := run(ctx, env, prog{fun: "service.available", path: "rc-service", args: []string{"-e", name}})
		if err != nil {
			return false, err
		}
		return res.retcode == 0, nil
	}
	fi, err := os.Stat(filepath.Join(s.etc, "init.d", name))
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0, nil
}

func serviceMissing(ctx context.Context, env *Env, c Call) (any, error) {
	ok, err := serviceAvailable(ctx, env, c)
	if err != nil {
		return nil, err
	}
	return !ok.(bool), nil
}
