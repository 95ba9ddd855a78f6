package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSystemd puts a stand-in systemctl on PATH. Units that exist are
// files in state/units; running ones in state/active; enabled ones in
// state/enabled. Every call is logged.
type fakeSystemd struct{ state, log string }

func newFakeSystemd(t *testing.T, units ...string) *fakeSystemd {
	dir := t.TempDir()
	f := &fakeSystemd{state: filepath.Join(dir, "state"), log: filepath.Join(dir, "log")}
	for _, sub := range []string{"units", "active", "enabled"} {
		if err := os.MkdirAll(filepath.Join(f.state, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range units {
		writeFile(t, filepath.Join(f.state, "units", u), "")
	}
	writeFile(t, f.log, "")
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	stubTool(t, bin, "systemctl", "S="+f.state+"\nLOG="+f.log+"\n"+`echo "systemctl $*" >> "$LOG"
verb=$1
for u in "$@"; do :; done
u=${u%.service}
case "$verb" in
  show) if [ -e "$S/units/$u" ]; then echo loaded; else echo not-found; fi ;;
  is-active) if [ -e "$S/active/$u" ]; then echo active; else echo inactive; exit 3; fi ;;
  is-enabled)
    [ -e "$S/units/$u" ] || { echo "Failed to get unit file state for $u.service: No such file or directory" >&2; exit 1; }
    if [ -e "$S/enabled/$u" ]; then echo enabled; else echo disabled; exit 1; fi ;;
  start|restart) [ -e "$S/units/$u" ] || exit 5; [ -e "$S/units/$u.broken" ] && { echo "Job for $u.service failed" >&2; exit 1; }; touch "$S/active/$u" ;;
  reload) [ -e "$S/active/$u" ] || exit 1 ;;
  stop) rm -f "$S/active/$u" ;;
  enable) touch "$S/enabled/$u" ;;
  disable) rm -f "$S/enabled/$u" ;;
  *) echo "unknown verb $verb" >&2; exit 1 ;;
esac
`)
	onPath(t, bin)
	mustResolveTo(t, bin, "systemctl")
	return f
}

func (f *fakeSystemd) snapshot(t *testing.T) func() string {
	return snapshotTree(t, f.state)
}

func (f *fakeSystemd) calls(t *testing.T, verb string) int {
	n := 0
	for _, l := range strings.Split(readFile(t, f.log), "\n") {
		if strings.HasPrefix(l, "systemctl "+verb+" ") {
			n++
		}
	}
	return n
}

func TestServiceRunning(t *testing.T) {
	f := newFakeSystemd(t, "nginx", "broken", "broken.broken")
	first := cycle(t, nil, "service.running", "nginx", map[string]any{"enable": true}, f.snapshot(t))
	if len(first.Changes) != 1 || first.Changes["nginx"] != true {
		t.Errorf("changes %v", first.Changes)
	}
	for _, s := range []string{"Started service nginx", "Service nginx has been enabled"} {
		if !strings.Contains(first.Comment, s) {
			t.Errorf("comment %q lacks %q", first.Comment, s)
		}
	}
	if f.calls(t, "start") != 1 || f.calls(t, "enable") != 1 {
		t.Errorf("log:\n%s", readFile(t, f.log))
	}
	// enable: false disables a running service, which keeps running.
	res := apply(t, nil, "service.running", "nginx", map[string]any{"enable": false}, false)
	want(t, res, True(), true, "already running", "has been disabled")

	// mod_watch restarts, or reloads with reload: True; starts a stopped one.
	want(t, modWatch(t, nil, "service.running", "nginx", nil, true), nil, false, "set to be restarted")
	if f.calls(t, "restart") != 0 {
		t.Fatal("test-mode mod_watch restarted")
	}
	want(t, modWatch(t, nil, "service.running", "nginx", nil, false), True(), true, "Service restarted")
	want(t, modWatch(t, nil, "service.running", "nginx", map[string]any{"reload": true}, false), True(), true, "Service reloaded")
	if f.calls(t, "restart") != 1 || f.calls(t, "reload") != 1 {
		t.Errorf("log:\n%s", readFile(t, f.log))
	}
	os.Remove(filepath.Join(f.state, "active", "nginx"))
	want(t, modWatch(t, nil, "service.running", "nginx", nil, false), True(), true, "Service started")

	wantFail(t, apply(t, nil, "service.running", "missing", nil, false), "The named service missing is not available")
	wantFail(t, apply(t, nil, "service.running", "broken", nil, false), "failed to start", "Job for broken.service failed")
	wantFail(t, apply(t, nil, "service.running", "nginx", map[string]any{"enable": "perhaps"}, false), "'enable'")
}

func TestServiceDead(t *testing.T) {
	f := newFakeSystemd(t, "cups")
	writeFile(t, filepath.Join(f.state, "active", "cups"), "")
	writeFile(t, filepath.Join(f.state, "enabled", "cups"), "")
	first := cycle(t, nil, "service.dead", "cups", map[string]any{"enable": false}, f.snapshot(t))
	if first.Changes["cups"] != true || !strings.Contains(first.Comment, "Service cups was killed") {
		t.Errorf("result %+v", first)
	}
	// An unknown unit is as dead as can be.
	want(t, apply(t, nil, "service.dead", "missing", nil, false), True(), false, "not available")
	want(t, modWatch(t, nil, "service.dead", "cups", nil, false), True(), false, "already stopped")
}

func TestServiceEnabledDisabled(t *testing.T) {
	f := newFakeSystemd(t, "ssh")
	first := cycle(t, nil, "service.enabled", "ssh", nil, f.snapshot(t))
	if first.Comment != "Service ssh has been enabled, and is in the desired state" {
		t.Errorf("comment %q", first.Comment)
	}
	if f.calls(t, "start") != 0 {
		t.Error("service.enabled started the service")
	}
	cycle(t, nil, "service.disabled", "ssh", nil, f.snapshot(t))
	wantFail(t, apply(t, nil, "service.enabled", "missing", nil, false), "not available")
}

func TestEnabledOK(t *testing.T) {
	for st, want := range map[string][2]bool{
		"enabled": {true, false}, "disabled": {false, true}, "static": {true, true},
		"masked": {false, true}, "enabled-runtime": {true, false},
	} {
		if enabledOK(st, true) != want[0] || enabledOK(st, false) != want[1] {
			t.Errorf("enabledOK(%q) wrong", st)
		}
	}
}

// In test mode a unit systemd does not know may be installed by an
// earlier state of the run (pkg.installed): running, dead and enabled
// would act on it (None, no changes), as Salt 3006 says; disabled has
// nothing to do. Applied for real, running and enabled fail.
func TestServiceNotPresentInTestMode(t *testing.T) {
	newFakeSystemd(t)
	for _, c := range []struct {
		fun, what string
	}{{"service.running", "started"}, {"service.dead", "stopped"}, {"service.enabled", "enabled"}} {
		res := apply(t, nil, c.fun, "nginx", map[string]any{}, true)
		want(t, res, nil, false, "Service nginx not present; if created in this state run, it would have been "+c.what)
	}
	want(t, apply(t, nil, "service.disabled", "nginx", nil, true), True(), false, "The named service nginx is not available")
	want(t, apply(t, nil, "service.disabled", "nginx", nil, false), True(), false, "The named service nginx is not available")
	wantFail(t, apply(t, nil, "service.enabled", "nginx", nil, false), "The named service nginx is not available")
	wantFail(t, apply(t, nil, "service.running", "nginx", nil, false), "The named service nginx is not available")
}

// Test mode reports what would be done in the comment, with no changes,
// as Salt: a stopped service is set to start (its enable argument is not
// looked at), a running one set to be enabled.
func TestServiceTestModeAsSalt(t *testing.T) {
	f := newFakeSystemd(t, "nginx")
	res := apply(t, nil, "service.running", "nginx", map[string]any{"enable": true}, true)
	want(t, res, nil, false)
	if res.Comment != "Service nginx is set to start" {
		t.Errorf("comment %q", res.Comment)
	}
	writeFile(t, filepath.Join(f.state, "active", "nginx"), "")
	res = apply(t, nil, "service.running", "nginx", map[string]any{"enable": true}, true)
	want(t, res, nil, false, "Service nginx set to be enabled")
	res = apply(t, nil, "service.enabled", "nginx", nil, true)
	want(t, res, nil, false)
	if res.Comment != "Service nginx set to be enabled" {
		t.Errorf("comment %q", res.Comment)
	}
	writeFile(t, filepath.Join(f.state, "enabled", "nginx"), "")
	res = apply(t, nil, "service.enabled", "nginx", nil, true)
	want(t, res, True(), false)
	if res.Comment != "Service nginx is already enabled, and is in the desired state" {
		t.Errorf("comment %q", res.Comment)
	}
	if f.calls(t, "enable") != 0 || f.calls(t, "start") != 0 {
		t.Errorf("test mode acted:\n%s", readFile(t, f.log))
	}
}

// On a host not booted with systemd but with systemctl (a container, a
// chroot), service.running and service.dead and their mod_watch do
// nothing, as Salt 3006's offline mode; enabled and disabled work on the
// unit files, which systemctl does without PID 1.
func TestServiceOffline(t *testing.T) {
	f := newFakeSystemd(t, "nginx")
	env := testEnv(t)
	env.SystemdRunDir = filepath.Join(t.TempDir(), "absent")
	for _, test := range []bool{true, false} {
		for _, fun := range []string{"service.running", "service.dead"} {
			for _, unit := range []string{"nginx", "missing"} {
				res := apply(t, env, fun, unit, map[string]any{"enable": true}, test)
				want(t, res, True(), false)
				if res.Comment != "Running in OFFLINE mode. Nothing to do" {
					t.Errorf("%s %s (test %v): comment %q", fun, unit, test, res.Comment)
				}
			}
		}
		want(t, modWatch(t, env, "service.running", "nginx", nil, test), True(), false, "OFFLINE")
	}
	want(t, apply(t, env, "service.enabled", "missing", nil, true), nil, false, "not present")
	wantFail(t, apply(t, env, "service.enabled", "missing", nil, false), "The named service missing is not available")
	want(t, apply(t, env, "service.enabled", "nginx", nil, false), True(), true, "has been enabled")
	want(t, apply(t, env, "service.disabled", "nginx", nil, false), True(), true, "has been disabled")
	for _, verb := range []string{"show", "is-active", "start", "stop", "restart"} {
		if n := f.calls(t, verb); n != 0 {
			t.Errorf("offline, systemctl %s ran %d times:\n%s", verb, n, readFile(t, f.log))
		}
	}
}
