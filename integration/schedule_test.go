package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// TestSchedule: Salt's scheduler, as seed 004's scheduled backups use it.
// A minion's schedule (config and pillar) runs jobs of its own that reach
// the master's job cache; schedule.list shows the schedule, a bad entry
// included, which does not stop the minion; the master's own schedule runs
// runners and publishes jobs.
func TestSchedule(t *testing.T) {
	t.Parallel()
	pillarDir := t.TempDir()
	for name, content := range map[string]string{
		"top.sls": "base:\n  'sched-1':\n    - sched\n",
		"sched.sls": `schedule:
  from_pillar:
    function: test.ping
    minutes: 10
`,
	} {
		if err := os.WriteFile(filepath.Join(pillarDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := cluster(t, map[string]any{
		"auto_accept":  true,
		"pillar_roots": map[string]any{"base": []any{pillarDir}},
		"schedule": map[string]any{
			"present": map[string]any{"function": "manage.present", "seconds": 1, "run_on_start": true},
			"mping":   map[string]any{"function": "test.ping", "tgt": "sched-1", "seconds": 1},
		},
	})
	results := c.StartCtl("events", "brine/schedule/*")
	file := filepath.Join(t.TempDir(), "ticks")
	cfg := c.MinionConfig("sched-1", nil)
	cfg["schedule"] = map[string]any{
		"tick":       map[string]any{"function": "cmd.run", "args": []any{"echo tick >> " + file}, "seconds": 1, "run_on_start": true},
		"slow":       map[string]any{"function": "test.sleep", "args": []any{60}, "seconds": 1, "run_on_start": true},
		"nointerval": map[string]any{"function": "test.ping"},
	}
	c.StartMinion(cfg)
	waitPing(t, c, "sched-1", 1)

	// The tick entry runs every second.
	testutil.Eventually(t, waitLong, "the scheduled command to write 3 lines", func() bool {
		return countLines(t, file) >= 3
	})

	// Each run is a job in the master's job cache, with the minion's return.
	var jid string
	testutil.Eventually(t, waitLong, "a job of user schedule:tick in jobs list", func() bool {
		jobs, r := ctlJSON(t, c, "jobs", "list")
		if r.Code != 0 {
			t.Fatalf("jobs list: exit %d: %s", r.Code, r.Stderr)
		}
		for id, v := range jobs {
			j, _ := v.(map[string]any)
			if j["User"] == "schedule:tick" && j["Function"] == "cmd.run" && j["Target"] == "sched-1" && j["Target-type"] == "list" {
				jid = id
				return true
			}
		}
		return false
	})
	if rets := waitJobReturns(t, c, jid, 1); rets["sched-1"] != "" {
		t.Errorf("jobs show %s = %v", jid, rets)
	}
	if r := c.Ctl("jobs", "show", jid); r.Code != 0 || !strings.Contains(r.Stdout, "schedule:tick") {
		t.Errorf("jobs show %s: exit %d: %s %s", jid, r.Code, r.Stdout, r.Stderr)
	}

	// A long run shows in saltutil.running; maxrunning 1 skips the runs
	// due meanwhile.
	testutil.Eventually(t, waitLong, "the slow scheduled job in saltutil.running", func() bool {
		r := c.Ctl("saltutil.running", "sched-1", "--out", "json")
		var m map[string][]map[string]any
		if json.Unmarshal([]byte(r.Stdout), &m) != nil {
			return false
		}
		for _, j := range m["sched-1"] {
			if j["fun"] == "test.sleep" && j["user"] == "schedule:slow" {
				return true
			}
		}
		return false
	})

	// schedule.list: the config's entries, the pillar's, the bad one.
	list := func() map[string]map[string]any {
		t.Helper()
		r := c.Ctl("schedule.list", "sched-1", "--out", "json")
		var m map[string]map[string]map[string]any
		if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil || r.Code != 0 {
			t.Fatalf("schedule.list: exit %d, %v: %s %s", r.Code, err, r.Stdout, r.Stderr)
		}
		return m["sched-1"]
	}
	testutil.Eventually(t, waitLong, "a skipped run of the slow entry", func() bool {
		slow := list()["slow"]
		n, _ := slow["skipped"].(float64)
		return n >= 1 && slow["running"] == 1.0
	})
	l := list()
	if tick := l["tick"]; tick["function"] != "cmd.run" || tick["seconds"] != 1.0 || tick["enabled"] != true ||
		tick["next_fire_time"] == nil || tick["source"] != "config" {
		t.Errorf("tick = %v", tick)
	}
	if bad := l["nointerval"]; !strings.Contains(bad["error"].(string), `schedule entry "nointerval": no interval`) || bad["enabled"] != false {
		t.Errorf("nointerval = %v", bad)
	}
	if p := l["from_pillar"]; p["source"] != "pillar" || p["function"] != "test.ping" || p["seconds"] != 600.0 {
		t.Errorf("from_pillar = %v (list %v)", p, l)
	}

	// schedule.disable_job, enable_job and run_job act on the live schedule.
	if r := c.Ctl("schedule.disable_job", "sched-1", "tick"); r.Code != 0 {
		t.Fatalf("disable_job: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if tick := list()["tick"]; tick["enabled"] != false || tick["next_fire_time"] != nil {
		t.Errorf("disabled tick = %v", tick)
	}
	before := countLines(t, file)
	r := c.Ctl("schedule.run_job", "sched-1", "tick", "force=True", "--out", "json")
	var run map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &run); err != nil || r.Code != 0 {
		t.Fatalf("run_job: exit %d: %s %s", r.Code, r.Stdout, r.Stderr)
	}
	runJID, _ := run["sched-1"]["jid"].(string)
	if rets := waitJobReturns(t, c, runJID, 1); len(rets) != 1 || countLines(t, file) <= before {
		t.Errorf("run_job %s: returns %v, lines %d -> %d", runJID, rets, before, countLines(t, file))
	}
	if r := c.Ctl("schedule.enable_job", "sched-1", "tick"); r.Code != 0 {
		t.Fatalf("enable_job: %d %s", r.Code, r.Stderr)
	}
	if r := c.Ctl("schedule.run_job", "sched-1", "nosuch"); r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "does not exist") {
		t.Errorf("run_job nosuch: exit %d: %s %s", r.Code, r.Stdout, r.Stderr)
	}

	// The master's schedule: a runner, and a job published to the minion.
	testutil.Eventually(t, waitLong, "the master's scheduled runner result", func() bool {
		out := results.Output()
		return strings.Contains(out, `"tag":"brine/schedule/present/result"`) && strings.Contains(out, `"tag":"brine/schedule/mping/result"`)
	})
	testutil.Eventually(t, waitLong, "a job of user schedule:mping answered by the minion", func() bool {
		jobs, _ := ctlJSON(t, c, "jobs", "list")
		for id, v := range jobs {
			if j, _ := v.(map[string]any); j["User"] == "schedule:mping" && j["Function"] == "test.ping" {
				rets, _ := jobReturns(t, c, id)
				if rets["sched-1"] == true {
					return true
				}
			}
		}
		return false
	})
	if m := c.Minions["sched-1"]; strings.Contains(m.Output(), "panic") {
		t.Errorf("minion log:\n%s", m.Output())
	}
}

// A bad entry in the master's schedule is a configuration error naming it.
func TestMasterScheduleConfigError(t *testing.T) {
	t.Parallel()
	c := testutil.NewCluster(t, binDir)
	path := filepath.Join(c.Dir, "master.yaml")
	if err := testutil.WriteYAML(path, map[string]any{
		"root_dir": c.RootDir(), "listen": c.URL()[len("nats://"):],
		"schedule": map[string]any{"oops": map[string]any{"function": "manage.present", "secs": 5}},
	}); err != nil {
		t.Fatal(err)
	}
	p, err := testutil.Start("master", filepath.Join(c.Bin, "master"), "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(waitLong):
		_ = p.Stop(5 * time.Second)
		t.Fatalf("master with a bad schedule kept running:\n%s", p.Output())
	}
	if code := p.Cmd.ProcessState.ExitCode(); code == 0 {
		t.Errorf("master with a bad schedule exited 0")
	}
	// The log may quote the message; look for its parts.
	out := p.Output()
	for _, want := range []string{"schedule entry", "oops", "unknown key", "secs"} {
		if !strings.Contains(out, want) {
			t.Errorf("master output lacks %q:\n%s", want, out)
		}
	}
}
