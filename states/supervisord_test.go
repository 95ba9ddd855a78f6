package states

import (
	"path/filepath"
	"strings"
	"testing"
)

// fakeSupervisor puts a supervisorctl on PATH: processes are files in
// dir/procs holding their state; configured but not added ones are in
// dir/avail; a process with a file in dir/broken fails to spawn.
func fakeSupervisor(t *testing.T, procs map[string]string, avail ...string) (dir, log string) {
	bin := t.TempDir()
	dir, log = filepath.Join(bin, "state"), filepath.Join(bin, "log")
	for p, st := range procs {
		writeFile(t, filepath.Join(dir, "procs", p), st+"\n")
	}
	for _, a := range avail {
		writeFile(t, filepath.Join(dir, "avail", a), "")
	}
	writeFile(t, filepath.Join(dir, "broken", ".keep"), "")
	stubTool(t, bin, "supervisorctl", "S="+dir+"\nLOG="+log+"\n"+`echo "supervisorctl $*" >> "$LOG"
[ "$1" = -c ] && shift 2
verb=$1; n=$2
set_state() { for f in "$S"/procs/"$n"*; do [ -f "$f" ] || continue; b=$(basename "$f")
    case "$b" in "$n"|"$n"*) ;; *) continue ;; esac
    [ "$n" = "$b" ] || [ "${n%:}" != "$n" ] || continue
    "$@" "$f" "$b"; done; }
start1() { if [ -e "$S/broken/$2" ]; then echo "$2: ERROR (spawn error)"; rc=7; elif grep -q RUNNING "$1"; then echo "$2: ERROR (already started)"; rc=7; else echo RUNNING > "$1"; echo "$2: started"; fi; }
stop1() { if grep -q RUNNING "$1"; then echo STOPPED > "$1"; echo "$2: stopped"; else echo "$2: ERROR (not running)"; rc=7; fi; }
restart1() { echo RUNNING > "$1"; echo "$2: stopped"; echo "$2: started"; }
rc=0
case "$verb" in
  status) for f in "$S"/procs/*; do [ -f "$f" ] || continue; st=$(cat "$f"); echo "$(basename "$f")   $st   pid 100, uptime 0:01:00"; [ "$st" = RUNNING ] || rc=3; done ;;
  start) [ -n "$(ls "$S"/procs/ | grep -F "$n")" ] || { echo "$n: ERROR (no such process)"; exit 7; }; set_state start1 ;;
  stop) set_state stop1 ;;
  restart) set_state restart1 ;;
  reread) echo "No config updates to processes" ;;
  add) if [ -e "$S/avail/$n" ]; then mv "$S/avail/$n" "$S/procs/$n"; echo STOPPED > "$S/procs/$n"; echo "$n: added process group"; else echo "ERROR: no such process/group: $n"; exit 2; fi ;;
  update) echo "$n: updated process group" ;;
  *) echo "unknown $verb"; exit 2 ;;
esac
exit $rc
`)
	onPath(t, bin)
	return dir, log
}

func TestSupervisordRunningDead(t *testing.T) {
	dir, log := fakeSupervisor(t, map[string]string{"web:web_00": "RUNNING", "web:web_01": "STOPPED", "worker": "STOPPED", "cron": "RUNNING"}, "newapp")
	snap := snapshotTree(t, filepath.Join(dir, "procs"))
	first := cycle(t, nil, "supervisord.running", "worker", nil, snap)
	if first.Changes["worker"] != "Starting service: worker" || first.Comment != "Starting service: worker" {
		t.Errorf("result %+v", first)
	}
	g := cycle(t, nil, "supervisord.running", "web:*", map[string]any{"conf_file": "/etc/supervisor/supervisord.conf"}, snap)
	if g.Changes["web:"] != "Starting group: web:" {
		t.Errorf("result %+v", g)
	}
	added := cycle(t, nil, "supervisord.running", "newapp", nil, snap)
	if added.Changes["newapp"] != "Adding service: newapp Starting: newapp" {
		t.Errorf("result %+v", added)
	}
	want(t, apply(t, nil, "supervisord.running", "cron", map[string]any{"restart": true}, false), True(), true, "Restarting service: cron")
	want(t, modWatch(t, nil, "supervisord.running", "cron", nil, false), True(), true, "Restarting service: cron")
	want(t, modWatch(t, nil, "supervisord.running", "cron", map[string]any{"restart": false}, false), True(), false, "Not starting already running service: cron")

	gone := cycle(t, nil, "supervisord.dead", "web:", nil, snap)
	if gone.Changes["web:"] != "Stopping service: web:" {
		t.Errorf("result %+v", gone)
	}
	want(t, apply(t, nil, "supervisord.dead", "ghost", nil, false), True(), false, "Service ghost doesn't exist")
	calls := readFile(t, log)
	for _, c := range []string{"supervisorctl start worker\n", "supervisorctl -c /etc/supervisor/supervisord.conf start web:\n",
		"supervisorctl reread\n", "supervisorctl add newapp\n", "supervisorctl start newapp\n", "supervisorctl restart cron\n", "supervisorctl stop web:\n"} {
		if !strings.Contains(calls, c) {
			t.Errorf("calls:\n%s\nlack %q", calls, c)
		}
	}
	writeFile(t, filepath.Join(dir, "broken", "worker"), "")
	apply(t, nil, "supervisord.dead", "worker", nil, false)
	wantFail(t, apply(t, nil, "supervisord.running", "worker", nil, false), "Starting service: worker failed", "spawn error")
	wantFail(t, apply(t, nil, "supervisord.running", "missing", nil, false), "Adding service missing failed", "no such process/group")
	wantFail(t, apply(t, nil, "supervisord.running", "worker", map[string]any{"bin_env": "/nonexistent/venv"}, false), "bin_env /nonexistent/venv")
}

// SaltStack 3006.1 with an equivalent stand-in gave these comments and
// changes, run after run.
func TestSupervisordAsSalt(t *testing.T) {
	fakeSupervisor(t, map[string]string{"web:web_00": "RUNNING", "web:web_01": "STOPPED", "worker": "STOPPED", "cron": "RUNNING"})
	type step struct {
		fun, name string
		args      map[string]any
		comment   string
		change    bool
	}
	for _, s := range []step{
		{"supervisord.running", "worker", nil, "Starting service: worker", true},
		{"supervisord.running", "web:*", nil, "Starting group: web:", true},
		{"supervisord.running", "cron", map[string]any{"restart": true}, "Restarting service: cron", true},
		{"supervisord.dead", "cron", nil, "Stopping service: cron", true},
		{"supervisord.running", "worker", nil, "Not starting already running service: worker", false},
		{"supervisord.running", "web:*", nil, "Not starting already running group: web:", false},
	} {
		res := apply(t, nil, s.fun, s.name, s.args, false)
		want(t, res, True(), s.change)
		if res.Comment != s.comment {
			t.Errorf("%s %s: comment %q, Salt's %q", s.fun, s.name, res.Comment, s.comment)
		}
		n := strings.TrimSuffix(s.name, "*")
		if s.change && res.Changes[n] != s.comment {
			t.Errorf("%s %s: changes %v", s.fun, s.name, res.Changes)
		}
	}
}
