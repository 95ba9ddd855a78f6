package grains

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// Salt's core grains that formulas read and that the other collectors do
// not set: the Salt version line Brine behaves as, osarch, init, the
// process's environment (path, systempath, shell, ps), its user, efi,
// virtual, systemd and locale_info.

// SaltVersion is the SaltStack release whose behaviour Brine follows;
// formulas compare saltversion / saltversioninfo against it.
const SaltVersion = "3006.1"

// saltVersionInfo and pythonVersion are what Salt 3006's onedir
// packages report (they bundle Python 3.10); formulas compare them to
// pick versions of packages and options.
var (
	saltVersionInfo = []any{3006, 1}
	pythonVersion   = []any{3, 10, 13, "final", 0}
)

// coreGrains adds the grains above to g (which holds cpuarch and
// os_family already).
func (c collector) coreGrains(ctx context.Context, g map[string]any) {
	g["saltversion"] = SaltVersion
	g["saltversioninfo"] = append([]any(nil), saltVersionInfo...)
	g["pythonversion"] = append([]any(nil), pythonVersion...)
	cpuarch, _ := g["cpuarch"].(string)
	family, _ := g["os_family"].(string)
	g["osarch"] = osArch(cpuarch, family)
	g["init"] = c.initSystem(ctx)

	path := os.Getenv("PATH")
	g["path"] = path
	sp := []any{}
	for _, p := range filepath.SplitList(path) {
		sp = append(sp, p)
	}
	g["systempath"] = sp
	shell := os.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	g["shell"] = shell
	g["ps"] = "ps -efHww"
	g["pid"] = os.Getpid()
	if u, err := user.Current(); err == nil {
		g["username"] = u.Username
		if n, err := strconv.Atoi(u.Uid); err == nil {
			g["uid"] = n
		}
		if n, err := strconv.Atoi(u.Gid); err == nil {
			g["gid"] = n
		}
		if gr, err := user.LookupGroupId(u.Gid); err == nil {
			g["groupname"] = gr.Name
		}
	}
	_, err := os.Stat(c.path("/sys/firmware/efi/systab"))
	g["efi"] = err == nil
	g["virtual"], g["virtual_subtype"] = c.virtual()
	if v := c.systemdVersion(); v != "" {
		g["systemd"] = map[string]any{"version": v, "features": ""}
	}
	lang, enc := "en_US", "UTF-8"
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(k); v != "" && v != "C" && v != "POSIX" {
			l, e, _ := strings.Cut(v, ".")
			lang = l
			if e != "" {
				enc = e
			}
			break
		}
	}
	g["locale_info"] = map[string]any{"defaultlanguage": lang, "defaultencoding": enc,
		"detectedencoding": strings.ToLower(enc), "timezone": "unknown"}
	g["transactional"] = false
}

// osArch is Salt's osarch: the package architecture name of the
// distribution (dpkg's on Debian and its derivatives, the machine name
// on RPM systems and elsewhere).
func osArch(cpuarch, family string) string {
	if family == "Debian" {
		switch cpuarch {
		case "x86_64":
			return "amd64"
		case "aarch64", "arm64":
			return "arm64"
		case "armv7l", "armv8l":
			return "armhf"
		case "armv6l", "armv5tel":
			return "armel"
		case "i386", "i486", "i586", "i686":
			return "i386"
		case "ppc64le":
			return "ppc64el"
		}
	}
	return cpuarch
}

// initSystem is Salt's init grain: systemd when /run/systemd/system
// exists, else what PID 1's command line names (the init binary is
// searched for upstart, sysvinit and systemd as Salt does), else
// "unknown".
func (c collector) initSystem(ctx context.Context) string {
	if fi, err := os.Stat(c.path("/run/systemd/system")); err == nil && fi.IsDir() {
		return "systemd"
	}
	cmdline, err := os.ReadFile(c.path("/proc/1/cmdline"))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
			c.logger.DebugContext(ctx, "grains: cannot read PID 1's command line", "err", err)
		}
		return "unknown"
	}
	args := strings.Fields(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if len(args) == 0 {
		return "unknown"
	}
	base := filepath.Base(args[0])
	switch {
	case base == "systemd":
		return "systemd"
	case strings.HasSuffix(args[0], "bin/init") || base == "init":
		bin := args[0]
		if !filepath.IsAbs(bin) {
			bin = "/sbin/init"
		}
		if target, err := filepath.EvalSymlinks(c.path(bin)); err == nil {
			if strings.Contains(filepath.Base(target), "systemd") {
				return "systemd"
			}
			return scanInit(target)
		}
	case base == "supervisord":
		return "supervisord"
	case base == "dumb-init":
		return "dumb-init"
	case base == "tini":
		return "tini"
	case base == "runit" || base == "my_init":
		return "runit"
	}
	return "unknown"
}

// scanInit looks for the names of init systems in the init binary, as
// Salt does.
func scanInit(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return "unknown"
	}
	for _, name := range []string{"upstart", "sysvinit", "systemd"} {
		if bytes.Contains(data, []byte(name)) {
			return name
		}
	}
	return "unknown"
}

// virtual is a short form of Salt's virtual grain for containers:
// "container" with the container kind, else "physical".
func (c collector) virtual() (string, any) {
	if _, err := os.Stat(c.path("/.dockerenv")); err == nil {
		return "container", "Docker"
	}
	if b, err := os.ReadFile(c.path("/proc/1/environ")); err == nil && bytes.Contains(b, []byte("container=")) {
		for _, kv := range bytes.Split(b, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("container=")); ok {
				switch string(v) {
				case "lxc":
					return "container", "LXC"
				case "podman":
					return "container", "Podman"
				case "docker":
					return "container", "Docker"
				}
			}
		}
	}
	return "physical", nil
}

// systemdVersion is the version systemd reports, read from its library
// (no command is run); "" when systemd is not the init system's.
func (c collector) systemdVersion() string {
	if _, err := os.Stat(c.path("/run/systemd/system")); err != nil {
		return ""
	}
	matches, _ := filepath.Glob(c.path("/usr/lib/systemd/libsystemd-shared-*.so"))
	for _, m := range matches {
		v := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "libsystemd-shared-"), ".so")
		if v != "" {
			return v
		}
	}
	return ""
}
