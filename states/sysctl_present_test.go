package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSysctl puts a sysctl on PATH keeping parameters as files in dir
// (one per name); a parameter without a file does not exist, and one
// named *.ro refuses writes as the kernel does.
func fakeSysctl(t *testing.T, params map[string]string) (dir, log string) {
	bin := t.TempDir()
	dir = filepath.Join(bin, "params")
	log = filepath.Join(bin, "log")
	for k, v := range params {
		writeFile(t, filepath.Join(dir, k), v+"\n")
	}
	stubTool(t, bin, "sysctl", "D="+dir+"\nLOG="+log+"\n"+`echo "sysctl $*" >> "$LOG"
case "$1" in
  -n) [ -f "$D/$2" ] || { echo "sysctl: cannot stat /proc/sys/$2: No such file or directory" >&2; exit 255; }; cat "$D/$2" ;;
  -w) k=${2%%=*}; v=${2#*=}
      [ -f "$D/$k" ] || { echo "sysctl: cannot stat /proc/sys/$k: No such file or directory" >&2; exit 255; }
      case "$k" in *.ro) echo "sysctl: setting key \"$k\": Invalid argument" >&2; exit 255 ;; esac
      echo "$v" | tr -s ' ' '\t' > "$D/$k"; echo "$k = $v" ;;
  *) echo "unexpected $*" >&2; exit 1 ;;
esac
`)
	onPath(t, bin)
	return dir, log
}

func TestSysctlPresent(t *testing.T) {
	root := t.TempDir()
	params, log := fakeSysctl(t, map[string]string{"net.ipv4.ip_forward": "0", "net.ipv4.tcp_rmem": "4096\t87380\t6291456", "vm.ro": "1"})
	env := testEnv(t)
	env.SysRoot = root
	if err := os.MkdirAll(filepath.Join(root, "run/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	snap := func() string { return snapshotTree(t, root)() + snapshotTree(t, params)() }
	first := cycle(t, env, "sysctl.present", "net.ipv4.ip_forward", map[string]any{"value": 1}, snap)
	if first.Changes["net.ipv4.ip_forward"] != 1 || first.Comment != "Updated sysctl value net.ipv4.ip_forward = 1" {
		t.Errorf("result %+v", first)
	}
	conf := filepath.Join(root, "etc/sysctl.d/99-salt.conf")
	if got := readFile(t, conf); got != "#\n# Kernel sysctl configuration\n#\nnet.ipv4.ip_forward = 1\n" {
		t.Errorf("config %q", got)
	}
	// Spaces and tabs do not matter; a second parameter is appended.
	cycle(t, env, "sysctl.present", "net.ipv4.tcp_rmem", map[string]any{"value": "4096 87380 16777216"}, snap)
	want(t, apply(t, env, "sysctl.present", "net.ipv4.tcp_rmem", map[string]any{"value": "4096  87380\t16777216"}, false), True(), false, "already set")

	// Set in the kernel but not in the file (own config path, edited in place).
	own := filepath.Join(t.TempDir(), "sysctl.conf")
	writeFile(t, own, "# mine\nkernel.x = 3\nnet.ipv4.ip_forward=0\n")
	res := apply(t, env, "sysctl.present", "net.ipv4.ip_forward", map[string]any{"value": "1", "config": own}, true)
	want(t, res, nil, true, "currently set on the running system but not in a config file")
	want(t, apply(t, env, "sysctl.present", "net.ipv4.ip_forward", map[string]any{"value": "1", "config": own}, false), True(), true)
	if got := readFile(t, own); got != "# mine\nkernel.x = 3\nnet.ipv4.ip_forward = 1\n" {
		t.Errorf("own config %q", got)
	}
	if strings.Count(readFile(t, log), "sysctl -w net.ipv4.ip_forward=1") != 1 {
		t.Errorf("calls:\n%s", readFile(t, log))
	}

	// Failures: unknown parameter, a value the kernel refuses (the file
	// is left alone), a relative config path.
	before := snap()
	wantFail(t, apply(t, env, "sysctl.present", "net.nope", map[string]any{"value": "1"}, false), "net.nope", "No such file")
	wantFail(t, apply(t, env, "sysctl.present", "vm.ro", map[string]any{"value": "2"}, false), "sysctl -w failed", "Invalid argument")
	if snap() != before {
		t.Error("a failed sysctl.present changed something")
	}
	wantFail(t, apply(t, env, "sysctl.present", "vm.ro", map[string]any{"value": "2", "config": "sysctl.conf"}, false), "'config'", "absolute")
	wantFail(t, apply(t, env, "sysctl.present", "vm.ro", nil, false), "'value'")
	// Right in the kernel, missing from the file: only the file changes.
	want(t, apply(t, env, "sysctl.present", "vm.ro", map[string]any{"value": "1", "vlaue": 2}, false), True(), true, "vlaue", "did you mean 'value'")
	if strings.Contains(readFile(t, log), "-w vm.ro=1") || !strings.Contains(readFile(t, conf), "\nvm.ro = 1\n") {
		t.Errorf("calls:\n%s\nconfig:\n%s", readFile(t, log), readFile(t, conf))
	}
}

// SaltStack 3006.1 with the same stand-in: the same file, comments and
// changes (the value as given, a number here).
func TestSysctlAsSalt(t *testing.T) {
	fakeSysctl(t, map[string]string{"net.ipv4.ip_forward": "0"})
	conf := filepath.Join(t.TempDir(), "sysctl.conf")
	args := map[string]any{"value": 1, "config": conf}
	res := apply(t, nil, "sysctl.present", "net.ipv4.ip_forward", args, false)
	if res.Comment != "Updated sysctl value net.ipv4.ip_forward = 1" || len(res.Changes) != 1 || res.Changes["net.ipv4.ip_forward"] != 1 {
		t.Errorf("%+v", res)
	}
	if got := readFile(t, conf); got != "#\n# Kernel sysctl configuration\n#\nnet.ipv4.ip_forward = 1\n" {
		t.Errorf("config %q", got)
	}
	res = apply(t, nil, "sysctl.present", "net.ipv4.ip_forward", args, false)
	if res.Comment != "Sysctl value net.ipv4.ip_forward = 1 is already set" || len(res.Changes) != 0 {
		t.Errorf("%+v", res)
	}
	wantFail(t, apply(t, nil, "sysctl.present", "net.ipv4.ip_forward", map[string]any{"value": []any{1, 2}}, false), "'value'")
}
