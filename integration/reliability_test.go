package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// TestMasterRestart: minions reconnect by themselves after a master
// restart; keys and the job cache survive it.
func TestMasterRestart(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	fleet3(t, c)
	jid := asyncJID(t, c, "test.echo", "*", "before restart")
	waitJobReturns(t, c, jid, 3)

	c.StopMaster()
	if r := c.Ctl("test.ping", "*", "--timeout", "2"); r.Code != 3 {
		t.Errorf("ctl with the master down: exit %d, want 3: %s", r.Code, r.Stderr)
	}
	c.StartMaster()
	waitPing(t, c, "*", 3)

	if kl := listKeys(t, c); !equalIDs(kl.Minions, "db-1", "web-1", "web-2") || len(kl.Pre) != 0 {
		t.Errorf("keys after restart: %v", kl)
	}
	rets, r := jobReturns(t, c, jid)
	if r.Code != 0 || len(rets) != 3 {
		t.Fatalf("jobs show %s after restart: exit %d: %v %s", jid, r.Code, rets, r.Stderr)
	}
	for id, v := range rets {
		if v != "before restart" {
			t.Errorf("job %s return of %s after restart = %v", jid, id, v)
		}
	}
	jobs, r := ctlJSON(t, c, "jobs", "list")
	if r.Code != 0 {
		t.Fatalf("jobs list: exit %d: %s", r.Code, r.Stderr)
	}
	j, _ := jobs[jid].(map[string]any)
	if j == nil || j["Function"] != "test.echo" || j["Target"] != "*" {
		t.Errorf("jobs list after restart lacks %s: %v", jid, jobs)
	}
	// Targeting still sees the grains the minions sent before and after.
	if ids := jsonIDs(t, c.Ctl("test.ping", "roles:web", "--out", "json")); strings.Join(ids, ",") != "web-1,web-2" {
		t.Errorf("grain targeting after restart: %v", ids)
	}
}

// TestMinionKilledMidJob: a minion that dies while running a job is named
// as not returned; the others' returns are printed; exit 1.
func TestMinionKilledMidJob(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("live", nil))
	c.StartMinion(c.MinionConfig("doomed", nil))
	waitPing(t, c, "*", 2)

	started := t.TempDir()
	res := c.CtlAsync("cmd.run", "-L", "live,doomed", "mktemp "+filepath.Join(started, "job.XXXXXX")+" >/dev/null; sleep 2; echo finished", "--timeout", "3")
	testutil.Eventually(t, 30*time.Second, "the job to start on both minions", func() bool {
		m, _ := filepath.Glob(filepath.Join(started, "job.*"))
		return len(m) == 2
	})
	c.Minions["doomed"].Kill()
	var r testutil.Result
	select {
	case r = <-res:
	case <-time.After(60 * time.Second):
		t.Fatal("ctl did not finish")
	}
	if r.Code != 1 {
		t.Errorf("exit %d, want 1", r.Code)
	}
	if !strings.Contains(r.Stderr, "did not return: doomed\n") {
		t.Errorf("stderr %q does not name doomed (alone) as not returned", r.Stderr)
	}
	if !strings.Contains(r.Stdout, "live:\n    finished") {
		t.Errorf("stdout %q lacks live's return", r.Stdout)
	}
}

// TestMinionBeforeMaster: a minion started before its master connects once
// the master is up.
func TestMinionBeforeMaster(t *testing.T) {
	t.Parallel()
	c := testutil.NewCluster(t, binDir)
	c.MasterConfig["auto_accept"] = true
	p := c.StartMinion(c.MinionConfig("early", nil))
	testutil.Eventually(t, 30*time.Second, "the minion to start without a master", func() bool {
		return strings.Contains(p.Output(), "minion start")
	})
	select {
	case <-p.Done():
		t.Fatalf("the minion exited without a master:\n%s", p.Output())
	default:
	}
	c.StartMaster()
	waitPing(t, c, "early", 1)
}

// TestLongJobProgress: a job longer than --timeout is waited for while the
// minion reports it running.
func TestLongJobProgress(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("slow", nil))
	waitPing(t, c, "slow", 1)
	start := time.Now()
	m, r := ctlJSON(t, c, "test.sleep", "slow", "6", "--timeout", "2")
	if r.Code != 0 || m["slow"] != true {
		t.Fatalf("test.sleep 6 --timeout 2: exit %d, %v, stderr %q", r.Code, m, r.Stderr)
	}
	if d := time.Since(start); d < 6*time.Second {
		t.Errorf("returned after %s, before the sleep could end", d)
	}
}
