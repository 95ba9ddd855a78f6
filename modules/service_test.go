package modules

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/brine-cm/brine/proto"
)

const fakeSystemctl = `for a; do last=$a; done
case "$last" in nginx.service|varnish.service|cron.timer) known=1;; *) known=0;; esac
case "$1" in
is-active) [ "$2" = varnish.service ] ;;
is-enabled) if [ "$2" = nginx.service ]; then echo enabled; else echo disabled; exit 1; fi ;;
show) if [ $known = 1 ]; then echo loaded; else echo not-found; fi ;;
*) if [ $known = 0 ]; then echo "Failed to $1 $last: Unit $last not found." >&2; exit 5; fi ;;
esac`

func TestServiceSystemd(t *testing.T) {
	s := newStandIns(t, true)
	s.add(t, "systemctl", fakeSystemctl)
	env := &Env{ID: "m", Grains: mapGrains{"init": "systemd"}}
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		want any
		cmd  []string
	}{
		{"service.stop", []any{"varnish"}, nil, true, []string{"systemctl stop varnish.service"}},
		{"service.start", []any{"nginx"}, map[string]any{"no_block": true}, true, []string{"systemctl --no-block start nginx.service"}},
		{"service.restart", []any{"nginx.service"}, nil, true, []string{"systemctl restart nginx.service"}},
		{"service.reload", []any{"nginx"}, nil, true, []string{"systemctl reload nginx.service"}},
		{"service.start", []any{"cron.timer"}, nil, true, []string{"systemctl start cron.timer"}},
		{"service.status", []any{"varnish"}, nil, true, []string{"systemctl is-active varnish.service"}},
		{"service.status", []any{"nginx"}, nil, false, []string{"systemctl is-active nginx.service"}},
		{"service.enable", []any{"nginx"}, nil, true, []string{"systemctl enable nginx.service"}},
		{"service.disable", []any{"varnish"}, nil, true, []string{"systemctl disable varnish.service"}},
		{"service.enabled", []any{"nginx"}, nil, true, []string{"systemctl is-enabled nginx.service"}},
		{"service.enabled", []any{"varnish"}, nil, false, []string{"systemctl is-enabled varnish.service"}},
		{"service.available", []any{"nginx"}, nil, true, []string{"systemctl show -p LoadState --value nginx.service"}},
		{"service.available", []any{"nope"}, nil, false, []string{"systemctl show -p LoadState --value nope.service"}},
		{"service.missing", []any{"nope"}, nil, true, []string{"systemctl show -p LoadState --value nope.service"}},
	} {
		got := mustCall(t, env, c.fun, c.args, c.kw)
		if got != c.want {
			t.Errorf("%s %v = %v, want %v", c.fun, c.args, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s %v ran %q, want %q", c.fun, c.args, calls, c.cmd)
		}
	}
	// a failed action is an error carrying systemctl's message
	_, err := call(t, context.Background(), env, "service.stop", []any{"nope"}, nil)
	wantKind(t, err, proto.ErrExecution, "service.stop: ", "exit code 5", "Unit nope.service not found.")
	wantBadArg(t, "service.start", []any{"web*"}, nil, env, "glob")
	wantBadArg(t, "service.start", []any{"--now"}, nil, env, "invalid service name")
	wantBadArg(t, "service.start", nil, nil, env, "name")
	_, err = call(t, context.Background(), &Env{Grains: mapGrains{"init": "upstart"}}, "service.start", []any{"x"}, nil)
	wantKind(t, err, proto.ErrExecution, "upstart", "not supported")
	// no systemctl at all
	if err := os.Remove(filepath.Join(s.dir, "systemctl")); err != nil {
		t.Fatal(err)
	}
	_, err = call(t, context.Background(), env, "service.status", []any{"nginx"}, nil)
	wantKind(t, err, proto.ErrExecution, "systemctl is not installed")
}

func TestServiceOpenRC(t *testing.T) {
	s := newStandIns(t, true)
	s.add(t, "rc-service", `case "$*" in "-e sshd"|"sshd status"|"sshd start") exit 0;; *) exit 1;; esac`)
	s.add(t, "rc-update", `[ "$1" = show ] && printf '               sshd | default\n              local | default\n'; exit 0`)
	env := &Env{Grains: mapGrains{"init": "openrc"}}
	for _, c := range []struct {
		fun  string
		arg  string
		want any
		cmd  []string
	}{
		{"service.start", "sshd", true, []string{"rc-service sshd start"}},
		{"service.status", "sshd", true, []string{"rc-service sshd status"}},
		{"service.status", "crond", false, []string{"rc-service crond status"}},
		{"service.enable", "crond", true, []string{"rc-update add crond default"}},
		{"service.disable", "crond", true, []string{"rc-update delete crond default"}},
		{"service.enabled", "sshd", true, []string{"rc-update show default"}},
		{"service.enabled", "crond", false, []string{"rc-update show default"}},
		{"service.available", "sshd", true, []string{"rc-service -e sshd"}},
		{"service.available", "crond", false, []string{"rc-service -e crond"}},
	} {
		if got := mustCall(t, env, c.fun, []any{c.arg}, nil); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.fun, c.arg, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s %s ran %q, want %q", c.fun, c.arg, calls, c.cmd)
		}
	}
	_, err := call(t, context.Background(), env, "service.stop", []any{"crond"}, nil)
	wantKind(t, err, proto.ErrExecution, "rc-service crond stop failed with exit code 1")
}

func TestServiceSysV(t *testing.T) {
	s := newStandIns(t, true)
	s.add(t, "service", `[ "$1" = ntp ]`)
	s.add(t, "update-rc.d", `exit 0`)
	env := &Env{Grains: mapGrains{"init": "sysvinit"}}
	for _, c := range []struct {
		fun  string
		arg  string
		want any
		cmd  []string
	}{
		{"service.stop", "ntp", true, []string{"service ntp stop"}},
		{"service.status", "ntp", true, []string{"service ntp status"}},
		{"service.status", "cron", false, []string{"service cron status"}},
		{"service.enable", "ntp", true, []string{"update-rc.d ntp defaults", "update-rc.d ntp enable"}},
		{"service.disable", "ntp", true, []string{"update-rc.d ntp disable"}},
	} {
		if got := mustCall(t, env, c.fun, []any{c.arg}, nil); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.fun, c.arg, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s %s ran %q, want %q", c.fun, c.arg, calls, c.cmd)
		}
	}
	// start links and init scripts under a fake /etc
	etc := t.TempDir()
	sys := initSystem{kind: "sysvinit", etc: etc}
	writeT(t, filepath.Join(etc, "rc2.d", "S01ntp"), "")
	writeT(t, filepath.Join(etc, "init.d", "ntp"), "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(etc, "init.d", "ntp"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"ntp": true, "cron": false} {
		if ok, err := sys.sysvEnabled(name); err != nil || ok != want {
			t.Errorf("sysvEnabled(%s) = %v, %v", name, ok, err)
		}
		if ok, err := sys.available(context.Background(), env, name); err != nil || ok != want {
			t.Errorf("available(%s) = %v, %v", name, ok, err)
		}
	}
	// without service(8), the init script itself
	if err := os.Remove(filepath.Join(s.dir, "service")); err != nil {
		t.Fatal(err)
	}
	p := sys.actionProg("service.start", "start", "ntp", false)
	if p.cmdline() != filepath.Join(etc, "init.d", "ntp")+" start" {
		t.Errorf("init script: %s", p.cmdline())
	}
}
