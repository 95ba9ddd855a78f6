package states

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func init() {
	RegisterTyped(Typed[timezoneArgs]{
		Name: "timezone.system",
		Doc: `Ensure the system time zone, and whether the hardware clock keeps UTC.

name: the zone (America/Denver, UTC), a file under /usr/share/zoneinfo. It is set when /etc/localtime differs from that file: with timedatectl set-timezone where systemd runs, and in any case by linking /etc/localtime to the zone file and, on Debian-like systems (where /etc/timezone exists, or os_family Debian), writing /etc/timezone. utc (default True): the hardware clock keeps UTC (False: local time), read from timedatectl's "RTC in local TZ" and set with timedatectl set-local-rtc, or where systemd does not run read from and written to /etc/adjtime.
Changes: {"timezone": name, "utc": utc}, the keys of what was set.`,
		Apply: timezoneSystem,
	})
}

// timezoneArgs are timezone.system's arguments.
type timezoneArgs struct {
	UTC bool `salt:"utc" default:"true"`
}

// zoneinfoDir is where the zone files live.
const zoneinfoDir = "/usr/share/zoneinfo"

// timedatectl is systemd's timedatectl when it answers (systemd runs),
// else nil.
func timedatectl(ctx context.Context, env *Env) *CommandResult {
	if !hasCommand("timedatectl") {
		return nil
	}
	res, err := env.run(ctx, Command{Path: "timedatectl", Env: []string{"LC_ALL=C"}})
	if err != nil || res.Retcode != 0 {
		return nil
	}
	return &res
}

// rtcLocal reports whether the hardware clock keeps local time.
func rtcLocal(env *Env, status *CommandResult) (bool, error) {
	if status != nil {
		for _, l := range strings.Split(status.Stdout, "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "RTC in local TZ") {
				return strings.EqualFold(strings.TrimSpace(v), "yes"), nil
			}
		}
		return false, fmt.Errorf("Failed to parse timedatectl output: %s", status.Stdout)
	}
	data, err := os.ReadFile(env.sysPath("/etc/adjtime"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // no adjtime: hwclock's default, UTC
	}
	if err != nil {
		return false, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return len(lines) >= 3 && strings.TrimSpace(lines[2]) == "LOCAL", nil
}

// setAdjtime writes the clock mode (third line) of /etc/adjtime.
func setAdjtime(env *Env, local bool) error {
	path := env.sysPath("/etc/adjtime")
	fi, old, err := readText(path)
	if err != nil {
		return err
	}
	lines := []string{"0.0 0 0.0", "0"}
	if fi != nil {
		lines = strings.Split(strings.TrimRight(old, "\n"), "\n")
	}
	for len(lines) < 3 {
		lines = append(lines, "")
	}
	lines[2] = map[bool]string{true: "LOCAL", false: "UTC"}[local]
	e := textEdit{name: path, target: resolveTarget(path), fi: fi, old: old, new: strings.Join(lines, "\n") + "\n"}
	if r := e.run(); r.Result == nil || !*r.Result {
		return errors.New(r.Comment)
	}
	return nil
}

func timezoneSystem(ctx context.Context, env *Env, call Call, a *timezoneArgs) Result {
	name := call.Name
	if filepath.IsAbs(name) || strings.Contains(name, "..") || strings.ContainsAny(name, " \t\n") {
		return fail(name, "Unable to compare desired timezone '%s' to system timezone: invalid time zone name", name)
	}
	zonefile := env.sysPath(filepath.Join(zoneinfoDir, name))
	want, err := os.ReadFile(zonefile)
	if err != nil || len(want) == 0 {
		return fail(name, "Unable to compare desired timezone '%s' to system timezone: Can't find a local timezone \"%s\"", name, name)
	}
	localtime := env.sysPath("/etc/localtime")
	have, err := os.ReadFile(localtime)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(name, "Unable to compare desired timezone '%s' to system timezone: Failed to read %s to determine current timezone: %v", name, localtime, err)
	}
	zoneOK := bytes.Equal(have, want)
	status := timedatectl(ctx, env)
	local, err := rtcLocal(env, status)
	if err != nil {
		return fail(name, "Unable to read the hardware clock setting: %v", err)
	}
	utcOK := local != a.UTC
	var msgs []string
	if zoneOK {
		msgs = append(msgs, fmt.Sprintf("Timezone %s already set", name))
	}
	if utcOK {
		msgs = append(msgs, fmt.Sprintf("UTC already set to %v", pyBool(a.UTC)))
	}
	if zoneOK && utcOK {
		return Result{Name: name, Result: True(), Comment: strings.Join(msgs, ", ")}
	}
	changes := map[string]any{}
	if !zoneOK {
		changes["timezone"] = name
	}
	if !utcOK {
		changes["utc"] = a.UTC
	}
	if call.Test {
		msgs = nil
		if !zoneOK {
			msgs = append(msgs, fmt.Sprintf("Timezone %s needs to be set", name))
		}
		if !utcOK {
			msgs = append(msgs, fmt.Sprintf("UTC needs to be set to %v", pyBool(a.UTC)))
		}
		return Result{Name: name, Changes: changes, Comment: strings.Join(msgs, ", ")}
	}
	msgs = nil
	if !zoneOK {
		if err := setZone(ctx, env, status != nil, name, zonefile, localtime); err != nil {
			return fail(name, "Failed to set timezone %s: %v", name, err)
		}
		msgs = append(msgs, fmt.Sprintf("Set timezone %s", name))
	}
	if !utcOK {
		var err error
		if status != nil {
			_, err = env.runOK(ctx, Command{Path: "timedatectl", Args: []string{"set-local-rtc", map[bool]string{true: "false", false: "true"}[a.UTC]}})
		} else {
			err = setAdjtime(env, !a.UTC)
		}
		if err != nil {
			ret := fail(name, "%s", strings.Join(append(msgs, fmt.Sprintf("Failed to set UTC to %v: %v", pyBool(a.UTC), err)), ", "))
			if !zoneOK {
				ret.Changes = map[string]any{"timezone": name}
			}
			return ret
		}
		msgs = append(msgs, fmt.Sprintf("Set UTC to %v", pyBool(a.UTC)))
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: strings.Join(msgs, ", ")}
}

// setZone points /etc/localtime at the zone file (through timedatectl
// when systemd runs) and writes /etc/timezone on Debian-like systems.
func setZone(ctx context.Context, env *Env, systemd bool, name, zonefile, localtime string) error {
	if systemd {
		if _, err := env.runOK(ctx, Command{Path: "timedatectl", Args: []string{"set-timezone", name}}); err != nil {
			return err
		}
	}
	if l, err := os.Readlink(localtime); err != nil || l != zonefile {
		tmp := localtime + ".brine-" + randHex()
		if err := os.Symlink(zonefile, tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, localtime); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	tzfile := env.sysPath("/etc/timezone")
	fi, old, err := readText(tzfile)
	if err != nil {
		return err
	}
	family, _ := env.Grains["os_family"].(string)
	if fi == nil && family != "Debian" {
		return nil
	}
	e := textEdit{name: tzfile, target: resolveTarget(tzfile), fi: fi, old: old, new: name + "\n"}
	if r := e.run(); r.Result == nil || !*r.Result {
		return errors.New(r.Comment)
	}
	return nil
}

// pyBool prints a bool as Python does, for comments in Salt's words.
func pyBool(b bool) string { return map[bool]string{true: "True", false: "False"}[b] }
