package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// processAlive reports whether pid runs (a zombie does not count).
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}

// TestMinionKill9LeavesNoCommandRunningUnnoticed: a minion killed with
// SIGKILL mid-job cannot stop its command; at its next start it finds the
// command's process group, kills it, logs a WARN and fires
// salt/minion/<id>/orphans. (Before, the command ran on, unreported.)
func TestMinionKill9LeavesNoCommandRunningUnnoticed(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	cfg := c.MinionConfig("web-1", nil)
	first := c.StartMinion(cfg)
	testutil.Eventually(t, waitLong, "web-1 answers", func() bool { return c.Ctl("test.ping", "web-1").Code == 0 })

	// Follow the bus, and make sure the subscription is live: a ping's job
	// events show up in it.
	events := c.StartCtl("events", "salt/*")
	testutil.Eventually(t, waitLong, "ctl events following the bus", func() bool {
		c.Ctl("test.ping", "web-1")
		return strings.Contains(events.Output(), `"tag":"salt/job/`)
	})

	pidFile := filepath.Join(t.TempDir(), "pid")
	asyncJID(t, c, "cmd.run", "web-1", "echo $$ > "+pidFile+"; exec sleep 300")
	var pid int
	testutil.Eventually(t, 30*time.Second, "the command's pid", func() bool {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	// The minion records the group just after starting it; the command can
	// write its pid first. Kill the minion once the record is on disk (the
	// window it closes is microseconds long, not the subject of this test).
	record := filepath.Join(c.Dir, "minions", "web-1", "cache", "procs", "web-1", strconv.Itoa(pid)+".json")
	testutil.Eventually(t, 30*time.Second, "the minion's record of the command", func() bool {
		_, err := os.Stat(record)
		return err == nil
	})

	first.Kill()
	if !processAlive(pid) {
		t.Fatalf("the command (pid %d) died with the minion; the test needs it to outlive a SIGKILL", pid)
	}
	second := c.StartMinion(cfg)
	testutil.Eventually(t, 30*time.Second, "the orphaned command killed", func() bool { return !processAlive(pid) })
	testutil.Eventually(t, 30*time.Second, "a WARN naming the process group", func() bool {
		out := second.Output()
		return strings.Contains(out, "level=WARN") && strings.Contains(out, "left running") && strings.Contains(out, "pgid="+strconv.Itoa(pid)) && strings.Contains(out, "function=cmd.run")
	})
	testutil.Eventually(t, 30*time.Second, "the orphans event", func() bool {
		out := events.Output()
		return strings.Contains(out, `"tag":"salt/minion/web-1/orphans"`) && strings.Contains(out, `"pgid":`+strconv.Itoa(pid)) && strings.Contains(out, `"killed":true`)
	})
	// Nothing is reported twice: a clean restart finds no orphans.
	c.StopMinion("web-1")
	third := c.StartMinion(cfg)
	testutil.Eventually(t, waitLong, "web-1 answers again", func() bool { return c.Ctl("test.ping", "web-1").Code == 0 })
	if strings.Contains(third.Output(), "left running") {
		t.Errorf("orphans reported again after a clean restart:\n%s", third.Output())
	}
}
