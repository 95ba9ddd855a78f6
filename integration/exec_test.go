package integration

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// fleet3 starts three auto-accepted minions with different grains and waits
// until all answer test.ping, also when targeted by grain.
func fleet3(t *testing.T, c *testutil.Cluster) {
	t.Helper()
	c.StartMinion(c.MinionConfig("web-1", map[string]any{"roles": []any{"web"}, "env": "prod", "tier": map[string]any{"zone": "a"}}))
	c.StartMinion(c.MinionConfig("web-2", map[string]any{"roles": []any{"web", "cache"}, "env": "test", "tier": map[string]any{"zone": "b"}}))
	c.StartMinion(c.MinionConfig("db-1", map[string]any{"roles": []any{"db"}, "env": "prod", "tier": map[string]any{"zone": "a"}}))
	waitPing(t, c, "*", 3)
	// A minion answers as soon as it is connected; its grains reach the
	// master's cache just after. Targeting by grain needs them.
	waitPing(t, c, "env:*", 3)
}

// waitPing waits until n minions answer test.ping on tgt.
func waitPing(t *testing.T, c *testutil.Cluster, tgt string, n int) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, "minions to answer", func() bool {
		r := c.Ctl("test.ping", tgt, "--out", "json", "--timeout", "2")
		var m map[string]any
		return json.Unmarshal([]byte(r.Stdout), &m) == nil && len(m) == n && r.Code == 0
	})
}

func jsonIDs(t *testing.T, r testutil.Result) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		t.Fatalf("bad json %q (stderr %q): %v", r.Stdout, r.Stderr, err)
	}
	var ids []string
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestTargeting(t *testing.T) {
	c := cluster(t, map[string]any{"auto_accept": true})
	fleet3(t, c)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"*"}, "db-1,web-1,web-2"},
		{[]string{"web-*"}, "web-1,web-2"},
		{[]string{"roles:web"}, "web-1,web-2"},
		{[]string{"roles:cache"}, "web-2"},
		{[]string{"tier:zone:a"}, "db-1,web-1"},
		{[]string{"-G", "env:prod"}, "db-1,web-1"},
		{[]string{"-L", "web-1,db-1"}, "db-1,web-1"},
		{[]string{"-E", "web-[0-9]+"}, "web-1,web-2"},
		{[]string{"-C", "G@roles:web and not G@env:test or L@db-1"}, "db-1,web-1"},
		{[]string{"-C", "( web-* or db-* ) and G@env:prod"}, "db-1,web-1"},
		{[]string{"-C", "S@127.0.0.0/8 and not E@^db"}, "web-1,web-2"},
		{[]string{"-X", `"web" in grains.roles && grains.env == "prod"`}, "web-1"},
		{[]string{"-X", `id startsWith "db"`}, "db-1"},
	}
	for _, tc := range cases {
		r := c.Ctl(append([]string{"test.ping", "--out", "json"}, tc.args...)...)
		if r.Code != 0 {
			t.Errorf("%v: exit %d: %s", tc.args, r.Code, r.Stderr)
			continue
		}
		if got := strings.Join(jsonIDs(t, r), ","); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestExec covers remote execution through ctl on a three-minion fleet:
// errors, async jobs, argument passing, cmd.*, sys, saltutil, outputs and
// batches.
func TestExec(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	fleet3(t, c)

	t.Run("unknown function", func(t *testing.T) {
		r := c.Ctl("foo", "*")
		if r.Code != 2 || !strings.Contains(r.Stderr, `"foo" is not a function name`) {
			t.Errorf("ctl foo '*': exit %d, stderr %q", r.Code, r.Stderr)
		}
		start := time.Now()
		r = c.Ctl("foo.bar", "*", "--timeout", "10")
		if r.Code != 2 || !strings.Contains(r.Stdout+r.Stderr, "'foo.bar' is not available") {
			t.Errorf("ctl foo.bar '*': exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("ctl foo.bar took %s: it waited for the timeout", d)
		}
	})

	t.Run("bad target", func(t *testing.T) {
		for _, tc := range []struct{ flag, expr, want string }{
			{"-C", "G@roles:web and", "bad compound target"},
			{"-C", "( web-* or db-*", "bad compound target"},
			{"-E", "web-[", "bad pcre target"},
			{"-X", "grains.roles ||", "bad expr target"},
		} {
			r := c.Ctl("test.ping", tc.flag, tc.expr, "--timeout", "2")
			if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) || !strings.Contains(r.Stderr, tc.expr) {
				t.Errorf("%s %q: exit %d, stderr %q; want 2 and %q", tc.flag, tc.expr, r.Code, r.Stderr, tc.want)
			}
		}
		r := c.Ctl("test.ping", "nomatch*", "--timeout", "2")
		if r.Code != 2 || !strings.Contains(r.Stderr, "no minions matched") {
			t.Errorf("no match: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})

	t.Run("async", func(t *testing.T) {
		jid := asyncJID(t, c, "test.echo", "web-*", "hello")
		rets := waitJobReturns(t, c, jid, 2)
		if rets["web-1"] != "hello" || rets["web-2"] != "hello" {
			t.Errorf("jobs show %s = %v", jid, rets)
		}
		r := c.Ctl("jobs", "show", jid)
		if r.Code != 0 || !strings.Contains(r.Stdout, "test.echo") || !strings.Contains(r.Stdout, "web-2:\n    hello") {
			t.Errorf("jobs show %s (text): exit %d: %s", jid, r.Code, r.Stdout)
		}
	})

	t.Run("cmd.run cwd env", func(t *testing.T) {
		m, r := ctlJSON(t, c, "cmd.run", "web-1", "pwd; echo $GREETING", "cwd=/tmp", `env={"GREETING": "hi there"}`)
		if r.Code != 0 || m["web-1"] != "/tmp\nhi there" {
			t.Errorf("cmd.run: exit %d, %q, stderr %q", r.Code, m["web-1"], r.Stderr)
		}
	})

	t.Run("cmd.run_all failing", func(t *testing.T) {
		m, r := ctlJSON(t, c, "cmd.run_all", "web-1", "echo out; echo err >&2; exit 3")
		got, _ := m["web-1"].(map[string]any)
		if r.Code != 1 || got == nil || got["retcode"] != 3.0 || got["stdout"] != "out" || got["stderr"] != "err" {
			t.Errorf("cmd.run_all: exit %d, %v", r.Code, m)
		}
	})

	t.Run("test.arg", func(t *testing.T) {
		m, r := ctlJSON(t, c, "test.arg", "db-1", "a", "1", "flag=True", `pillar={"x": 1}`)
		b, _ := json.Marshal(m["db-1"])
		if want := `{"args":["a",1],"kwargs":{"flag":true,"pillar":{"x":1}}}`; r.Code != 0 || string(b) != want {
			t.Errorf("test.arg: exit %d, %s; want %s", r.Code, b, want)
		}
	})

	t.Run("sys.list_functions", func(t *testing.T) {
		m, r := ctlJSON(t, c, "sys.list_functions", "db-1")
		fns, _ := m["db-1"].([]any)
		have := map[string]bool{}
		for _, f := range fns {
			have[f.(string)] = true
		}
		for _, f := range []string{"test.ping", "cmd.run", "grains.setval", "saltutil.kill_job", "sys.list_functions"} {
			if !have[f] {
				t.Errorf("sys.list_functions lacks %s (exit %d): %v", f, r.Code, fns)
			}
		}
	})

	t.Run("saltutil running kill_job", func(t *testing.T) {
		jid := asyncJID(t, c, "test.sleep", "web-2", "30")
		running := func() bool {
			m, _ := ctlJSON(t, c, "saltutil.running", "web-2")
			jobs, _ := m["web-2"].([]any)
			for _, j := range jobs {
				if jm, _ := j.(map[string]any); jm["jid"] == jid && jm["fun"] == "test.sleep" {
					return true
				}
			}
			return false
		}
		testutil.Eventually(t, 30*time.Second, "saltutil.running to list the sleep", running)
		m, r := ctlJSON(t, c, "saltutil.kill_job", "web-2", jid)
		if r.Code != 0 || m["web-2"] != true {
			t.Fatalf("kill_job: exit %d, %v, %s", r.Code, m, r.Stderr)
		}
		rets := waitJobReturns(t, c, jid, 1)
		if s, _ := rets["web-2"].(string); !strings.Contains(s, "killed") {
			t.Errorf("return of the killed job: %v", rets)
		}
		if r := c.Ctl("jobs", "show", jid); r.Code != 1 {
			t.Errorf("jobs show of a killed job: exit %d, want 1", r.Code)
		}
		if running() {
			t.Error("the killed job is still running")
		}
		if m, r := ctlJSON(t, c, "saltutil.kill_job", "web-2", jid); r.Code != 1 {
			t.Errorf("killing a finished job: exit %d, %v", r.Code, m)
		}
	})

	t.Run("out yaml", func(t *testing.T) {
		r := c.Ctl("test.ping", "-L", "web-1,db-1", "--out", "yaml")
		if r.Code != 0 || r.Stdout != "db-1: true\nweb-1: true\n" {
			t.Errorf("--out yaml: exit %d, %q", r.Code, r.Stdout)
		}
	})

	t.Run("batch", func(t *testing.T) {
		lock := filepath.Join(t.TempDir(), "lock")
		// Two minions running at once would find the lock taken.
		script := "mkdir " + lock + " || exit 9; sleep 0.3; rmdir " + lock + "; echo ok"
		m, r := ctlJSON(t, c, "cmd.run", "*", script, "--batch", "1")
		if r.Code != 0 || len(m) != 3 || m["web-1"] != "ok" || m["web-2"] != "ok" || m["db-1"] != "ok" {
			t.Errorf("--batch 1: exit %d, %v, stderr %q", r.Code, m, r.Stderr)
		}
		if r := c.Ctl("test.ping", "*", "--batch", "0"); r.Code != 2 {
			t.Errorf("--batch 0: exit %d, want 2", r.Code)
		}
	})
}

// TestGrainsSetval: a grain set remotely is persisted on the minion, seen by
// targeting, and survives a minion restart.
func TestGrainsSetval(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("g-1", nil))
	c.StartMinion(c.MinionConfig("g-2", nil))
	waitPing(t, c, "*", 2)
	if r := c.Ctl("test.ping", "color:blue", "--timeout", "2"); r.Code != 2 {
		t.Fatalf("color:blue matched before setval: exit %d: %s", r.Code, r.Stdout)
	}
	m, r := ctlJSON(t, c, "grains.setval", "g-1", "color", "blue")
	if got, _ := m["g-1"].(map[string]any); r.Code != 0 || got["color"] != "blue" {
		t.Fatalf("grains.setval: exit %d, %v", r.Code, m)
	}
	matchBlue := func() bool {
		r := c.Ctl("test.ping", "color:blue", "--out", "json", "--timeout", "2")
		return r.Code == 0 && strings.Join(jsonIDsLoose(r.Stdout), ",") == "g-1"
	}
	testutil.Eventually(t, 30*time.Second, "color:blue to target g-1", matchBlue)

	// Restart with a new static grain: once boot:2 targets g-1, the master
	// holds the grains the restarted minion sent, which must keep color.
	c.StopMinion("g-1")
	c.StartMinion(c.MinionConfig("g-1", map[string]any{"boot": 2}))
	waitPing(t, c, "boot:2", 1)
	m, r = ctlJSON(t, c, "grains.get", "g-1", "color")
	if r.Code != 0 || m["g-1"] != "blue" {
		t.Fatalf("grains.get color after restart: exit %d, %v", r.Code, m)
	}
	if !matchBlue() {
		t.Fatal("color:blue no longer targets g-1 after its restart")
	}
}
