package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// storeFile is a file of the master's JetStream store.
func storeFile(c *testutil.Cluster, stream, name string) string {
	return filepath.Join(c.RootDir(), "jetstream", "jetstream", "BRINE", "streams", stream, "msgs", name)
}

// masterTool runs `master ARGS...` (backup, restore) and returns its
// combined output and exit code.
func masterTool(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "master"), args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("master %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

// lossLines are the master's ERROR log lines about a damaged store.
func lossLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "level=ERROR") && strings.Contains(l, "the store lost") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestDiskFullReportedAndRecovered: the master's root_dir on a small
// tmpfs, filled up: ctl's jobs fail at once with "no space left on device
// in ROOT_DIR" (not a timeout), and once the space is freed the same master
// records jobs and admits minions again by itself.
func TestDiskFullReportedAndRecovered(t *testing.T) {
	c := testutil.NewCluster(t, binDir)
	if err := os.MkdirAll(c.RootDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", c.RootDir()).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the master's root_dir (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		c.StopAll()
		if out, err := exec.Command("umount", c.RootDir()).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", c.RootDir(), err, out)
		}
	})
	c.MasterConfig["auto_accept"] = true
	c.StartMaster()
	c.StartMinion(c.MinionConfig("web-1", nil))
	waitPing(t, c, "*", 1)

	// Fill the filesystem.
	fill := filepath.Join(c.RootDir(), "fill")
	f, err := os.Create(fill)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(f, io.LimitReader(zeros{}, 1<<30))
	f.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the tmpfs: %v", err)
	}

	// Jobs (each writes a job record, a return and events) until the store
	// says it is full: the store writes into pages it already holds for a
	// little while.
	want := "no space left on device in " + c.RootDir()
	var full testutil.Result
	var took time.Duration
	jobs := 0
	for jobs < 40 && full.Code == 0 {
		jobs++
		start := time.Now()
		full = c.Ctl("cmd.run", "web-1", "head -c 20000 /dev/zero | tr '\\0' x", "--timeout", "10")
		took = time.Since(start)
	}
	if full.Code == 0 {
		t.Fatal("40 jobs ran on a full disk without an error")
	}
	if full.Code != 1 || !strings.Contains(full.Stderr, want) {
		t.Fatalf("ctl on a full disk: exit %d, stderr %q; want exit 1 and %q", full.Code, full.Stderr, want)
	}
	if took > 3*time.Second {
		t.Errorf("ctl took %s to report the full disk", took)
	}
	t.Logf("job %d on the full disk: ctl failed in %s: %s", jobs, took.Round(time.Millisecond), strings.TrimSpace(full.Stderr))
	// Every later job fails at once, without waiting for the store.
	start := time.Now()
	if r := c.Ctl("test.ping", "*"); r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("ctl while full: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("ctl while full took %s", d)
	}

	// Free the space: the same master resumes by itself.
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	var jid string
	freed := time.Now()
	testutil.Eventually(t, waitLong, "jobs to run again after the space was freed", func() bool {
		r := c.Ctl("test.echo", "web-1", "after", "--async")
		m := jidLine.FindStringSubmatch(r.Stdout)
		if r.Code != 0 || m == nil {
			return false
		}
		jid = m[1]
		return true
	})
	t.Logf("jobs ran again %s after the space was freed", time.Since(freed).Round(time.Millisecond))
	if rets := waitJobReturns(t, c, jid, 1); rets["web-1"] != "after" {
		t.Errorf("job %s after recovery: %v", jid, rets)
	}
	// A new minion is admitted and targetable: keys are written again and
	// the master's view of the fleet follows the bucket again.
	c.StartMinion(c.MinionConfig("web-2", nil))
	waitPing(t, c, "*", 2)

	out := c.Master.Output()
	if !regexp.MustCompile(`level=ERROR msg="store out of space`).MatchString(out) {
		t.Errorf("the full disk was not logged as an ERROR")
	}
	if !strings.Contains(out, "store writable again") {
		t.Errorf("the recovery was not logged")
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestStoreDamageReported: a flipped byte in the keys bucket and a
// truncated block of the job cache are ERRORs at the next start, naming
// the bucket and what was lost (the minion ids whose accepted keys are
// gone); the master starts and serves.
func TestStoreDamageReported(t *testing.T) {
	c := cluster(t, nil)
	for _, id := range []string{"web-1", "web-2"} {
		c.StartMinion(c.MinionConfig(id, nil))
	}
	waitKeys(t, c, "two pending keys", func(k keyLists) bool { return equalIDs(k.Pre, "web-1", "web-2") })
	if r := c.Ctl("key", "accept", "web-1", "--yes"); r.Code != 0 {
		t.Fatalf("key accept web-1: %d %s", r.Code, r.Stderr)
	}
	if r := c.Ctl("key", "accept", "web-2", "--yes"); r.Code != 0 {
		t.Fatalf("key accept web-2: %d %s", r.Code, r.Stderr)
	}
	waitPing(t, c, "*", 2)
	for i := 0; i < 4; i++ {
		waitJobReturns(t, c, asyncJID(t, c, "test.echo", "*", "job"), 2)
	}
	c.StopMaster()
	if out := lossLines(c.Master.Output()); len(out) != 0 {
		t.Fatalf("losses reported before any damage: %v", out)
	}

	// A flipped byte in web-2's accepted key record (its last entry).
	blk := storeFile(c, "KV_brine_keys", "1.blk")
	data, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.LastIndex(data, []byte(`{"id":"web-2"`))
	if at < 0 {
		t.Fatalf("web-2's key record not found in %s", blk)
	}
	data[at+20] ^= 0x01
	if err := os.WriteFile(blk, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c.StartMaster() // fails the test if the master does not come up
	var keysErr string
	for _, l := range lossLines(c.Master.Output()) {
		if strings.Contains(l, "brine_keys") {
			keysErr = l
		}
	}
	if keysErr == "" || !strings.Contains(keysErr, "web-2") || strings.Contains(keysErr, "web-1") {
		t.Errorf("no ERROR naming web-2 (alone) as a lost key of bucket brine_keys:\n%s", c.Master.Output())
	}
	if kl := listKeys(t, c); !equalIDs(kl.Minions, "web-1") {
		t.Errorf("accepted keys after the damage: %v", kl)
	}
	waitPing(t, c, "web-1", 1)

	// A truncated block of the job cache.
	c.StopMaster()
	blk = storeFile(c, "KV_brine_jobs", "1.blk")
	st, err := os.Stat(blk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blk, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	c.StartMaster()
	var jobsErr string
	for _, l := range lossLines(c.Master.Output()) {
		if strings.Contains(l, "brine_jobs") {
			jobsErr = l
		}
	}
	if !regexp.MustCompile(`lost [1-9][0-9]* job records from bucket brine_jobs`).MatchString(jobsErr) {
		t.Errorf("no ERROR naming the job records lost from brine_jobs:\n%s", c.Master.Output())
	}
	if r := c.Ctl("jobs", "list"); r.Code != 0 {
		t.Errorf("jobs list after the damage: exit %d: %s", r.Code, r.Stderr)
	}
}

// TestBackupRestoreKeysAndJobs: accept a key, run a job, back up with the
// master running, wipe the store, restore: keys and jobs are back and the
// minion reconnects without being accepted again. Restore refuses to run
// while the master runs.
func TestBackupRestoreKeysAndJobs(t *testing.T) {
	c := cluster(t, nil)
	c.StartMinion(c.MinionConfig("web-1", nil))
	waitKeys(t, c, "web-1 pending", func(k keyLists) bool { return equalIDs(k.Pre, "web-1") })
	if r := c.Ctl("key", "accept", "web-1", "--yes"); r.Code != 0 {
		t.Fatalf("key accept: %d %s", r.Code, r.Stderr)
	}
	waitPing(t, c, "*", 1)
	jid := asyncJID(t, c, "test.echo", "web-1", "kept")
	waitJobReturns(t, c, jid, 1)

	backup := filepath.Join(t.TempDir(), "master.backup")
	if out, code := masterTool(t, "backup", "--root-dir", c.RootDir(), "--out", backup); code != 0 {
		t.Fatalf("master backup (running master): exit %d: %s", code, out)
	}
	if out, code := masterTool(t, "restore", "--root-dir", c.RootDir(), backup); code != 1 || !strings.Contains(out, "running") {
		t.Errorf("master restore with the master running: exit %d: %s", code, out)
	}

	c.StopMaster()
	if err := os.RemoveAll(filepath.Join(c.RootDir(), "jetstream")); err != nil {
		t.Fatal(err)
	}
	if out, code := masterTool(t, "restore", "--root-dir", c.RootDir(), backup); code != 0 {
		t.Fatalf("master restore: exit %d: %s", code, out)
	}
	c.StartMaster()
	if kl := listKeys(t, c); !equalIDs(kl.Minions, "web-1") || len(kl.Pre) != 0 {
		t.Errorf("keys after restore: %v", kl)
	}
	if rets, r := jobReturns(t, c, jid); r.Code != 0 || rets["web-1"] != "kept" {
		t.Errorf("job %s after restore: exit %d: %v %s", jid, r.Code, rets, r.Stderr)
	}
	// The minion reconnects by itself, still accepted.
	waitPing(t, c, "web-1", 1)
	if errs := lossLines(c.Master.Output()); len(errs) != 0 {
		t.Errorf("losses reported after a restore: %v", errs)
	}
	// An offline backup of the restored store works too.
	c.StopMaster()
	if out, code := masterTool(t, "backup", "--root-dir", c.RootDir(), "--out", backup); code != 0 {
		t.Fatalf("master backup (stopped master): exit %d: %s", code, out)
	}
}
