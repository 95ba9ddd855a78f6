package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// jobReturn waits until `ctl jobs show JID` has minion id's return and
// gives it.
func jobReturn(t *testing.T, c *testutil.Cluster, jid, id string, within time.Duration) any {
	t.Helper()
	var got any
	testutil.Eventually(t, within, "the return of "+id+" for "+jid+" in the job cache", func() bool {
		m, r := jobReturns(t, c, jid)
		if r.Code != 0 {
			return false
		}
		v, ok := m[id]
		got = v
		return ok
	})
	return got
}

// A master killed (SIGKILL) while a minion runs a job: the minion's return,
// sent while the master is down or once it is back, reaches the job cache
// of the restarted master.
func TestMasterKilledMidJob(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("m1", nil))
	waitPing(t, c, "m1", 1)
	jid := asyncJID(t, c, "cmd.run", "m1", "sleep 2; echo survived")
	c.Master.Kill()
	c.StartMaster()
	if got := jobReturn(t, c, jid, "m1", waitLong); got != "survived" {
		t.Fatalf("return after a master crash = %v", got)
	}
}

// A master killed in the middle of a highstate: the state run waits for
// the master's file server to come back and finishes.
func TestMasterKilledMidHighstate(t *testing.T) {
	t.Parallel()
	files := t.TempDir()
	out := filepath.Join(t.TempDir(), "motd")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(files, "top.sls"), []byte("base:\n  '*':\n    - slow\n"), 0o644))
	must(os.WriteFile(filepath.Join(files, "motd"), []byte("from the master\n"), 0o644))
	must(os.WriteFile(filepath.Join(files, "slow.sls"), []byte(fmt.Sprintf(`wait:
  cmd.run:
    - name: sleep 3
motd:
  file.managed:
    - name: %s
    - source: salt://motd
    - require:
      - cmd: wait
`, out)), 0o644))
	c := cluster(t, map[string]any{"auto_accept": true, "file_roots": map[string]any{"base": []string{files}}})
	c.StartMinion(c.MinionConfig("m1", nil))
	waitPing(t, c, "m1", 1)
	jid := asyncJID(t, c, "state.apply", "m1")
	testutil.Eventually(t, 20*time.Second, "the highstate to start", func() bool {
		return strings.Contains(c.Minions["m1"].Output(), "sleep 3")
	})
	c.Master.Kill()
	c.StartMaster()
	got := jobReturn(t, c, jid, "m1", waitLong)
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), `"result":false`) {
		t.Fatalf("highstate across a master crash failed: %s", b)
	}
	data, err := os.ReadFile(out)
	if err != nil || string(data) != "from the master\n" {
		t.Fatalf("managed file: %q %v", data, err)
	}
}

// A master stopped (SIGSTOP) for a few seconds mid-job, then continued:
// ctl, waiting, gets the return.
func TestMasterStoppedMidJob(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("m1", nil))
	waitPing(t, c, "m1", 1)
	res := c.CtlAsync("cmd.run", "m1", "sleep 1; echo done", "--out", "json", "--timeout", "30")
	testutil.Eventually(t, 20*time.Second, "the job to run", func() bool {
		return strings.Contains(c.Minions["m1"].Output(), "executing command")
	})
	pid := c.Master.Cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Keep it stopped until the minion has finished (its return is then
	// buffered by the bus client or the server), then let it go on.
	testutil.Eventually(t, 20*time.Second, "the command to finish", func() bool {
		return strings.Contains(c.Minions["m1"].Output(), "command finished")
	})
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	r := <-res
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil || r.Code != 0 || m["m1"] != "done" {
		t.Fatalf("ctl after SIGSTOP/SIGCONT: exit %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
}

// A fleet connecting all at once is targetable the moment it is admitted:
// a ping sent as soon as the last minion connected reaches every one, and
// ctl never exits 0 with minions silently left out.
func TestFleetConnectThenPingAll(t *testing.T) {
	t.Parallel()
	n := 1000
	if s := os.Getenv("BRINE_FLEET_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	c := cluster(t, map[string]any{"auto_accept": true, "log_level": "info"})
	p, err := testutil.Start("simfleet", filepath.Join(binDir, "simfleet"), "-n", strconv.Itoa(n), "-master", c.URL(), "-ramp", "100000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(20 * time.Second) })
	want := fmt.Sprintf("connected %d\n", n)
	testutil.Eventually(t, 120*time.Second, "the whole fleet to connect", func() bool {
		return strings.Contains(p.Output(), want)
	})
	r := c.Ctl("test.ping", "*", "--out", "json", "--timeout", "30")
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		t.Fatalf("bad json (exit %d): %v\n%s", r.Code, err, tail(r.Stderr))
	}
	if len(m) != n || r.Code != 0 {
		t.Fatalf("ping right after %d minions connected reached %d (exit %d): %s", n, len(m), r.Code, tail(r.Stderr))
	}
}
