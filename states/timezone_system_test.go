package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zoneRoot is a system root with two zone files, /etc/localtime linked
// to UTC and a Debian /etc/timezone.
func zoneRoot(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "usr/share/zoneinfo/UTC"), "TZif2 UTC\n")
	writeFile(t, filepath.Join(root, "usr/share/zoneinfo/Europe/Paris"), "TZif2 CET-1CEST\n")
	writeFile(t, filepath.Join(root, "etc/timezone"), "Etc/UTC\n")
	if err := os.Symlink(filepath.Join(root, "usr/share/zoneinfo/UTC"), filepath.Join(root, "etc/localtime")); err != nil {
		t.Fatal(err)
	}
	return root
}

// fakeTimedatectl puts a timedatectl on PATH: with state "" it fails as
// it does where systemd does not run; otherwise it keeps the RTC mode in
// the state file and logs its calls.
func fakeTimedatectl(t *testing.T, rtcLocal string) (log string) {
	bin := t.TempDir()
	log = filepath.Join(bin, "log")
	state := filepath.Join(bin, "rtc")
	script := `echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2; exit 1` + "\n"
	if rtcLocal != "" {
		writeFile(t, state, rtcLocal+"\n")
		script = "LOG=" + log + "\nS=" + state + "\n" + `echo "timedatectl $*" >> "$LOG"
case "$1" in
  "") echo "               Local time: Sun 2026-12-06 12:00:00 UTC"; echo "                Time zone: Etc/UTC (UTC, +0000)"; echo "          RTC in local TZ: $(cat $S)" ;;
  set-timezone) [ "$2" = Bad/Zone ] && { echo "Invalid or not installed time zone" >&2; exit 1; }; : ;;
  set-local-rtc) if [ "$2" = true ]; then echo yes > "$S"; else echo no > "$S"; fi ;;
  *) exit 1 ;;
esac
`
	}
	stubTool(t, bin, "timedatectl", script)
	onPath(t, bin)
	return log
}

func TestTimezoneSystemFiles(t *testing.T) {
	root := zoneRoot(t)
	fakeTimedatectl(t, "")
	env := testEnv(t)
	env.SysRoot = root
	want(t, apply(t, env, "timezone.system", "UTC", nil, false), True(), false, "Timezone UTC already set, UTC already set to True")
	first := cycle(t, env, "timezone.system", "Europe/Paris", nil, snapshotTree(t, root))
	if first.Changes["timezone"] != "Europe/Paris" || len(first.Changes) != 1 || first.Comment != "Set timezone Europe/Paris" {
		t.Errorf("result %+v", first)
	}
	if l, _ := os.Readlink(filepath.Join(root, "etc/localtime")); l != filepath.Join(root, "usr/share/zoneinfo/Europe/Paris") {
		t.Errorf("localtime -> %q", l)
	}
	if got := readFile(t, filepath.Join(root, "etc/timezone")); got != "Europe/Paris\n" {
		t.Errorf("/etc/timezone %q", got)
	}
	// The hardware clock in local time: /etc/adjtime, kept otherwise.
	writeFile(t, filepath.Join(root, "etc/adjtime"), "0.000000 1700000000 0.000000\n1700000000\nUTC\n")
	res := cycle(t, env, "timezone.system", "Europe/Paris", map[string]any{"utc": false}, snapshotTree(t, root))
	if res.Changes["utc"] != false || res.Comment != "Set UTC to False" {
		t.Errorf("result %+v", res)
	}
	if got := readFile(t, filepath.Join(root, "etc/adjtime")); got != "0.000000 1700000000 0.000000\n1700000000\nLOCAL\n" {
		t.Errorf("adjtime %q", got)
	}
	wantFail(t, apply(t, env, "timezone.system", "Mars/Olympus", nil, false), "Can't find a local timezone \"Mars/Olympus\"")
	wantFail(t, apply(t, env, "timezone.system", "../../etc/passwd", nil, false), "invalid time zone name")
}

func TestTimezoneSystemTimedatectl(t *testing.T) {
	root := zoneRoot(t)
	log := fakeTimedatectl(t, "yes")
	env := testEnv(t)
	env.SysRoot = root
	first := cycle(t, env, "timezone.system", "Europe/Paris", map[string]any{"utc": true}, snapshotTree(t, root))
	if first.Changes["timezone"] != "Europe/Paris" || first.Changes["utc"] != true ||
		first.Comment != "Set timezone Europe/Paris, Set UTC to True" {
		t.Errorf("result %+v", first)
	}
	calls := readFile(t, log)
	for _, c := range []string{"timedatectl set-timezone Europe/Paris\n", "timedatectl set-local-rtc false\n"} {
		if strings.Count(calls, c) != 1 {
			t.Errorf("calls:\n%s\nwant one %q", calls, c)
		}
	}
	writeFile(t, filepath.Join(root, "usr/share/zoneinfo/Bad/Zone"), "TZif2 bad\n")
	res := apply(t, env, "timezone.system", "Bad/Zone", nil, false)
	wantFail(t, res, "Failed to set timezone Bad/Zone", "Invalid or not installed time zone")
	if l, _ := os.Readlink(filepath.Join(root, "etc/localtime")); strings.HasSuffix(l, "Bad/Zone") {
		t.Error("a refused zone was linked")
	}
}
