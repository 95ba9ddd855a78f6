package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// The mine as seed 003 uses it: every minion publishes its addresses and
// hostname, any minion reads the others' through the master.
func TestMine(t *testing.T) {
	c := cluster(t, map[string]any{"auto_accept": true, "mine_ttl": 2})
	mineFns := map[string]any{
		"network.ip_addrs":     []any{"lo"},
		"network.get_hostname": []any{},
		"loopback":             []any{map[string]any{"mine_function": "network.ip_addrs"}, "lo", map[string]any{"include_loopback": true}},
	}
	for _, id := range []string{"db-1", "db-2", "web-1"} {
		role := "db"
		if id == "web-1" {
			role = "web"
		}
		cfg := c.MinionConfig(id, map[string]any{"env": "prod", "roles": []any{role}})
		cfg["mine_functions"] = mineFns
		c.StartMinion(cfg)
	}
	waitPing(t, c, "*", 3)
	mineOf := func(args ...string) map[string]any {
		t.Helper()
		r := c.Ctl(append([]string{"run", "mine.get", "--out", "json"}, args...)...)
		if r.Code != 0 {
			t.Fatalf("run mine.get %v: exit %d %s", args, r.Code, r.Stderr)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
			t.Fatalf("bad json %q: %v", r.Stdout, err)
		}
		return m
	}
	testutil.Eventually(t, 20*time.Second, "mine data of all three", func() bool {
		return len(mineOf("*", "loopback")) == 3
	})
	if got := mineOf("*", "loopback"); got["db-1"].([]any)[0] != "127.0.0.1" {
		t.Errorf("loopback alias = %v", got)
	}
	if got := mineOf("roles:db", "network.get_hostname", "tgt_type=grain"); len(got) != 2 || got["web-1"] != nil {
		t.Errorf("mine.get by grain = %v", got)
	}
	// From a minion, with Salt's older expr_form, as in the seed's template.
	r := c.Ctl("mine.get", "web-1", "env:prod", "loopback", "expr_form=grain", "--out", "json")
	var fromMinion map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &fromMinion); err != nil || r.Code != 0 {
		t.Fatalf("mine.get from web-1: %v %d %s", err, r.Code, r.Stderr)
	}
	if len(fromMinion["web-1"]) != 3 {
		t.Errorf("web-1 sees %v", fromMinion["web-1"])
	}
	// mine.delete and mine.flush act on the caller's own data only.
	if r := c.Ctl("mine.delete", "db-1", "loopback"); r.Code != 0 {
		t.Fatalf("mine.delete: %s", r.Stderr)
	}
	if got := mineOf("*", "loopback"); len(got) != 2 || got["db-1"] != nil {
		t.Errorf("after delete: %v", got)
	}
	// (A deleted key's mine data goes with it: TestMineDeletedKeyAndReaccept.)
	// A minion gone longer than mine_ttl is left out of answers.
	c.Minions["web-1"].Kill()
	testutil.Eventually(t, 20*time.Second, "web-1 to leave the mine after mine_ttl", func() bool {
		_, ok := mineOf("*", "network.get_hostname")["web-1"]
		return !ok
	})
	if got := mineOf("*", "network.get_hostname"); got["db-1"] == nil {
		t.Errorf("db-1 should still answer: %v", got)
	}
}

// event.send reaches the bus with the sender's id; a tag in the system's
// namespace is refused by the minion, and by the master when published on
// the bus by hand (see TestSecurityMinionConfinement for the subjects).
func TestEventSend(t *testing.T) {
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("ev-1", nil))
	waitPing(t, c, "*", 1)
	ev := c.StartCtl("events", "myco/*")
	testutil.Eventually(t, 20*time.Second, "the event on the bus", func() bool {
		if r := c.Ctl("event.send", "ev-1", "myco/deploy/done", `{"version": "1.2"}`); r.Code != 0 {
			t.Fatalf("event.send: %d %s", r.Code, r.Stderr)
		}
		return strings.Contains(ev.Output(), `"tag":"myco/deploy/done"`)
	})
	line := ev.Output()
	if !strings.Contains(line, `"id":"ev-1"`) || !strings.Contains(line, `"version":"1.2"`) {
		t.Errorf("event data: %s", line)
	}
	if r := c.Ctl("event.send", "ev-1", "salt/job/123/ret/other"); r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "namespace") {
		t.Errorf("system tag allowed: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestMineDeletedKeyAndReaccept: a deleted key's mine data goes with it;
// when the still running minion is accepted again, it pushes its mine data
// at once (mine_interval is an hour here).
func TestMineDeletedKeyAndReaccept(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": false})
	cfg := c.MinionConfig("mine-1", nil)
	cfg["mine_functions"] = map[string]any{"network.get_hostname": []any{}}
	cfg["mine_interval"] = 60
	c.StartMinion(cfg)
	waitKeys(t, c, "mine-1 pending", func(k keyLists) bool { return contains(k.Pre, "mine-1") })
	if r := c.Ctl("key", "accept", "mine-1", "--yes"); r.Code != 0 {
		t.Fatalf("accept: %s", r.Stderr)
	}
	has := func() bool {
		r := c.Ctl("run", "mine.get", "*", "network.get_hostname", "--out", "json")
		var m map[string]any
		return r.Code == 0 && json.Unmarshal([]byte(r.Stdout), &m) == nil && m["mine-1"] != nil
	}
	testutil.Eventually(t, 20*time.Second, "mine-1's mine data", has)
	if r := c.Ctl("key", "delete", "mine-1", "--yes"); r.Code != 0 {
		t.Fatalf("key delete: %s", r.Stderr)
	}
	if has() {
		t.Fatal("a deleted key's mine data is still answered")
	}
	// The minion, still running, asks again and is pending until accepted.
	waitKeys(t, c, "mine-1 pending again", func(k keyLists) bool { return contains(k.Pre, "mine-1") })
	if r := c.Ctl("key", "accept", "mine-1", "--yes"); r.Code != 0 {
		t.Fatalf("accept again: %s", r.Stderr)
	}
	testutil.Eventually(t, 20*time.Second, "mine-1's mine data pushed again after re-acceptance", has)
}
