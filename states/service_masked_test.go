package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeMaskSystemctl puts a systemctl on PATH that masks and unmasks units
// under root as systemd does (a link to /dev/null), logging its calls.
func fakeMaskSystemctl(t *testing.T, root string) (logPath string) {
	bin := t.TempDir()
	logPath = filepath.Join(bin, "log")
	stubTool(t, bin, "systemctl", "R="+root+"\nLOG="+logPath+"\n"+`echo "systemctl $*" >> "$LOG"
dir="$R/etc/systemd/system"
[ "$2" = "--runtime" ] && dir="$R/run/systemd/system"
for u in "$@"; do :; done
case "$u" in broken*) echo "Failed to mask unit: Access denied" >&2; exit 1 ;; esac
case "$1" in
  mask) mkdir -p "$dir" && ln -sf /dev/null "$dir/$u" ;;
  unmask) rm -f "$dir/$u" ;;
  *) echo "unexpected $*" >&2; exit 1 ;;
esac
`)
	onPath(t, bin)
	return logPath
}

func TestServiceMasked(t *testing.T) {
	root := t.TempDir()
	log := fakeMaskSystemctl(t, root)
	env := testEnv(t)
	env.SysRoot = root
	first := cycle(t, env, "service.masked", "foo", nil, snapshotTree(t, root))
	if first.Comment != "Service foo was masked" {
		t.Errorf("comment %q", first.Comment)
	}
	if m, _ := first.Changes["masked"].(map[string]any); m["old"] != false || m["new"] != true {
		t.Errorf("changes %v", first.Changes)
	}
	if l, _ := os.Readlink(filepath.Join(root, "etc/systemd/system/foo.service")); l != "/dev/null" {
		t.Errorf("link %q", l)
	}
	// The runtime mask is separate.
	rt := cycle(t, env, "service.masked", "foo", map[string]any{"runtime": true}, snapshotTree(t, root))
	if _, ok := rt.Changes["runtime masked"]; !ok || rt.Comment != "Service foo was runtime masked" {
		t.Errorf("runtime: %+v", rt)
	}
	un := cycle(t, env, "service.unmasked", "foo", nil, snapshotTree(t, root))
	if un.Comment != "Service foo was unmasked" {
		t.Errorf("comment %q", un.Comment)
	}
	if _, err := os.Lstat(filepath.Join(root, "run/systemd/system/foo.service")); err != nil {
		t.Error("unmask removed the runtime mask too")
	}
	want(t, apply(t, env, "service.unmasked", "foo", nil, false), True(), false, "Service foo was already unmasked")
	cycle(t, env, "service.unmasked", "foo", map[string]any{"runtime": true}, snapshotTree(t, root))
	calls := readFile(t, log)
	for _, c := range []string{"systemctl mask foo.service\n", "systemctl mask --runtime foo.service\n",
		"systemctl unmask foo.service\n", "systemctl unmask --runtime foo.service\n"} {
		if strings.Count(calls, c) != 1 {
			t.Errorf("calls:\n%s\nwant one %q", calls, c)
		}
	}
	// A unit with its own file is not masked; a failing systemctl fails.
	writeFile(t, filepath.Join(root, "etc/systemd/system/own.timer"), "[Timer]\n")
	want(t, apply(t, env, "service.unmasked", "own.timer", nil, false), True(), false, "already unmasked")
	wantFail(t, apply(t, env, "service.masked", "broken", nil, false), "Failed to mask service 'broken'", "Access denied")
	res := apply(t, env, "service.masked", "bar", map[string]any{"runtme": true}, true)
	want(t, res, nil, true, "runtme", "runtime")
}
