package states

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSysV is a Debian host without systemd: init scripts in
// root/etc/init.d, rc links in root/etc/rc?.d, and stand-ins for
// service (running services are files in state/), update-rc.d, insserv
// and runlevel on a PATH that has no systemctl. Every call is logged.
type fakeSysV struct{ root, state, log string }

func newFakeSysV(t *testing.T, runlevel string, scripts ...string) *fakeSysV {
	dir := t.TempDir()
	f := &fakeSysV{root: filepath.Join(dir, "root"), state: filepath.Join(dir, "state"), log: filepath.Join(dir, "log")}
	for _, d := range []string{"etc/init.d", "etc/rcS.d", "etc/rc2.d", "etc/rc3.d"} {
		if err := os.MkdirAll(filepath.Join(f.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(f.state, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range scripts {
		writeFile(t, filepath.Join(f.root, "etc/init.d", s), "#!/bin/sh\n")
	}
	writeFile(t, f.log, "")
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	head := "PATH=/usr/bin:/bin\nR=" + f.root + "\nS=" + f.state + "\nLOG=" + f.log + "\n"
	stubTool(t, bin, "service", head+`echo "service $*" >> "$LOG"
[ -e "$R/etc/init.d/$1" ] || { echo "$1: unrecognized service" >&2; exit 1; }
case "$2" in
  status) [ -e "$S/$1" ] || exit 3 ;;
  start|restart) [ -e "$R/etc/init.d/$1.broken" ] && exit 1; touch "$S/$1" ;;
  reload|force-reload) [ -e "$S/$1" ] || exit 7 ;;
  stop) rm -f "$S/$1" ;;
  *) exit 2 ;;
esac
`)
	stubTool(t, bin, "update-rc.d", head+`echo "update-rc.d $*" >> "$LOG"
case "$2" in
  enable) rm -f "$R"/etc/rc[2-5].d/K??"$1"; for l in 2 3; do touch "$R/etc/rc$l.d/S01$1"; done ;;
  disable) rm -f "$R"/etc/rc[2-5].d/S??"$1"; for l in 2 3; do touch "$R/etc/rc$l.d/K01$1"; done ;;
  *) exit 1 ;;
esac
`)
	stubTool(t, bin, "insserv", head+`echo "insserv $*" >> "$LOG"`+"\n")
	stubTool(t, bin, "runlevel", head+"echo \""+runlevel+"\"\n")
	// no systemctl anywhere on PATH
	t.Setenv("PATH", bin)
	return f
}

func (f *fakeSysV) env(t *testing.T, manager string) *Env {
	return &Env{ID: "m1", Logger: slog.New(slog.DiscardHandler), Saltenv: "base", SysRoot: f.root,
		ServiceManager: manager, Grains: map[string]any{"os_family": "Debian"}}
}

func (f *fakeSysV) calls(t *testing.T) string {
	s := readFile(t, f.log)
	writeFile(t, f.log, "")
	return s
}

// On a Debian host without systemd the service states drive its init
// scripts as Salt's debian_service does, with Salt's comments.
func TestServiceSysV(t *testing.T) {
	f := newFakeSysV(t, "N 2", "nginx", "cron", "README")
	writeFile(t, filepath.Join(f.root, "etc/rc2.d/S01cron"), "")
	env := f.env(t, "") // told by the host: no systemctl, Debian, /etc/init.d

	res := apply(t, env, "service.running", "nginx", nil, true)
	want(t, res, nil, false, "Service nginx is set to start")
	if c := f.calls(t); c != "service nginx status\n" {
		t.Errorf("test mode ran %q", c)
	}
	res = apply(t, env, "service.running", "nginx", map[string]any{"enable": true}, false)
	want(t, res, True(), true, "Started service nginx", "Service nginx has been enabled")
	if c := f.calls(t); !strings.Contains(c, "service nginx start\nservice nginx status\n") || !strings.Contains(c, "insserv nginx\nupdate-rc.d nginx enable\n") {
		t.Errorf("calls %q", c)
	}
	res = apply(t, env, "service.running", "nginx", map[string]any{"enable": true}, false)
	want(t, res, True(), false, "The service nginx is already running", "Service nginx is already enabled")

	// cron: enabled by its rc2.d link (runlevel 2)
	want(t, apply(t, env, "service.enabled", "cron", nil, false), True(), false, "Service cron is already enabled")
	res = apply(t, env, "service.disabled", "cron", nil, false)
	want(t, res, True(), true, "Service cron has been disabled")
	if c := f.calls(t); !strings.Contains(c, "update-rc.d cron disable\n") {
		t.Errorf("calls %q", c)
	}

	// mod_watch restarts a running service, reloads on request
	want(t, modWatch(t, env, "service.running", "nginx", nil, false), True(), true, "Service restarted")
	want(t, modWatch(t, env, "service.running", "nginx", map[string]any{"reload": true}, false), True(), true, "Service reloaded")
	if c := f.calls(t); !strings.Contains(c, "service nginx restart\n") || !strings.Contains(c, "service nginx reload\n") {
		t.Errorf("calls %q", c)
	}

	want(t, apply(t, env, "service.dead", "nginx", nil, false), True(), true, "Service nginx was killed")
	want(t, apply(t, env, "service.dead", "nginx", nil, false), True(), false, "The service nginx is already dead")

	// README is not a service; an unknown one is not available
	want(t, apply(t, env, "service.running", "README", nil, false), False(), false, "The named service README is not available")
	want(t, apply(t, env, "service.running", "missing", nil, true), nil, false)
	want(t, apply(t, env, "service.running", "missing", nil, false), False(), false, "The named service missing is not available")
	// a start that fails is reported, not taken for success
	writeFile(t, filepath.Join(f.root, "etc/init.d/nginx.broken"), "")
	want(t, apply(t, env, "service.running", "nginx", nil, false), False(), false, "nginx")

	want(t, apply(t, env, "service.masked", "nginx", nil, false), False(), false, "Service masking not available on this minion")
}

// In a container runlevel says unknown: runlevel 2, as Salt assumes.
func TestServiceSysVUnknownRunlevel(t *testing.T) {
	f := newFakeSysV(t, "unknown", "ssh")
	writeFile(t, filepath.Join(f.root, "etc/rc2.d/S02ssh"), "")
	want(t, apply(t, f.env(t, "sysv"), "service.enabled", "ssh", nil, false), True(), false, "Service ssh is already enabled")
}

// A host with neither systemctl nor Debian's init scripts fails with the
// reason, rather than with a command that cannot be found.
func TestServiceNoManager(t *testing.T) {
	f := newFakeSysV(t, "N 2", "nginx")
	env := f.env(t, "")
	env.Grains = map[string]any{"os_family": "RedHat"}
	res := apply(t, env, "service.running", "nginx", nil, false)
	want(t, res, False(), false, "no service manager found: systemctl is not on PATH", `os_family "RedHat"`)
	env.ServiceManager = "upstart"
	want(t, apply(t, env, "service.running", "nginx", nil, false), False(), false, `unknown service manager "upstart"`)
}
