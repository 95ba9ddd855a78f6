package procrun

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether a process (not a zombie) with pid exists.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}

// waitGone polls until pid is gone or the deadline passes.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sh(script string) Cmd { return Cmd{Path: "/bin/sh", Args: []string{"-c", script}, Label: "test"} }

func TestRunExitStatus(t *testing.T) {
	var out bytes.Buffer
	c := sh("echo hi; exit 3")
	c.Stdout = &out
	res, err := Run(context.Background(), c)
	if err != nil || res.Retcode != 3 || out.String() != "hi\n" || res.Pid == 0 {
		t.Errorf("res %+v, err %v, out %q", res, err, out.String())
	}
	res, err = Run(context.Background(), sh("kill -TERM $$"))
	if err != nil || res.Retcode != -int(syscall.SIGTERM) {
		t.Errorf("killed by a signal: res %+v, err %v", res, err)
	}
	_, err = Run(context.Background(), Cmd{Path: "/nonexistent/bin"})
	var se *StartError
	if !errors.As(err, &se) {
		t.Errorf("missing program: err %v, want a StartError", err)
	}
}

// The timeout and the context kill the whole group: the background child
// of the shell too.
func TestRunKillsTheGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child")
	c := sh("sleep 60 & echo $! > " + pidFile + "; wait")
	c.Timeout = 300 * time.Millisecond
	res, err := Run(context.Background(), c)
	if err != nil || !res.TimedOut || res.Retcode != 1 {
		t.Fatalf("timeout: res %+v, err %v", res, err)
	}
	b, _ := os.ReadFile(pidFile)
	child, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if child == 0 {
		t.Fatal("no child pid")
	}
	waitGone(t, child)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err = Run(ctx, sh("sleep 60"))
	var ke *KilledError
	if !errors.As(err, &ke) || !errors.Is(err, context.Canceled) || ke.Pid != res.Pid {
		t.Errorf("cancel: res %+v, err %v", res, err)
	}
}

func TestRunOutputHeldOpen(t *testing.T) {
	var out bytes.Buffer
	c := sh("echo started; sleep 5 &")
	c.Stdout = &out
	start := time.Now()
	res, err := Run(context.Background(), c)
	if err != nil || !res.OutputHeldOpen || res.Retcode != 0 || !strings.Contains(out.String(), "started") {
		t.Errorf("res %+v, err %v, out %q", res, err, out.String())
	}
	if d := time.Since(start); d > WaitDelay+3*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestTrackerRecordsWhileRunning(t *testing.T) {
	tr := NewTracker(filepath.Join(t.TempDir(), "procs"))
	if o, err := tr.Reap(); err != nil || o != nil {
		t.Fatalf("Reap with no records yet = %v, %v", o, err)
	}
	ctx := WithTracker(context.Background(), tr)
	// The record is written just after the start: wait for it (10 s at most).
	glob := filepath.Join(tr.dir, "*.json")
	c := sh("i=0; while ! cat " + glob + " 2>/dev/null && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done")
	var out bytes.Buffer
	c.Stdout = &out
	c.Label = "cmd.run"
	res, err := Run(ctx, c)
	if err != nil || res.Retcode != 0 {
		t.Fatalf("res %+v, err %v", res, err)
	}
	if !strings.Contains(out.String(), `"pgid":`+strconv.Itoa(res.Pid)) || !strings.Contains(out.String(), `"label":"cmd.run"`) {
		t.Errorf("record while running = %q", out.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tr.dir, "*")); len(left) != 0 {
		t.Errorf("records left after the command ended: %v", left)
	}
}

// startGroup starts a process group the way Run does, as a previous run of
// the minion would have, and records it without ever removing the record.
func startGroup(t *testing.T, tr *Tracker, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	tr.record(cmd.Process.Pid, "cmd.run")
	return cmd
}

func TestReapKillsGroupsLeftRunning(t *testing.T) {
	tr := NewTracker(filepath.Join(t.TempDir(), "procs"))
	pidFile := filepath.Join(t.TempDir(), "child")
	orphan := startGroup(t, tr, "sleep 60 & echo $! > "+pidFile+"; wait")
	// A group that ended on its own: its record is dropped silently.
	gone := startGroup(t, tr, "exit 0")
	_ = gone.Wait()
	// A record whose number now belongs to another group is left alone.
	other := startGroup(t, tr, "sleep 60")
	b, _ := os.ReadFile(tr.path(other.Process.Pid))
	b = bytes.Replace(b, []byte(`"leader_start":`), []byte(`"leader_start":1`), 1)
	if err := os.WriteFile(tr.path(other.Process.Pid), b, 0o600); err != nil {
		t.Fatal(err)
	}
	var child int
	deadline := time.Now().Add(10 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(5 * time.Millisecond)
	}

	orphans, err := tr.Reap()
	if err != nil {
		t.Fatal(err)
	}
	if len(orphans) != 1 || orphans[0].PGID != orphan.Process.Pid || !orphans[0].Killed || orphans[0].Processes != 2 || orphans[0].Label != "cmd.run" {
		t.Fatalf("orphans = %+v, want the one group of 2 processes, killed", orphans)
	}
	waitGone(t, child)
	if err := orphan.Wait(); err == nil {
		t.Error("the orphan's leader exited normally; want killed")
	}
	if !alive(other.Process.Pid) {
		t.Error("a group that reused a recorded number was killed")
	}
	if left, _ := filepath.Glob(filepath.Join(tr.dir, "*")); len(left) != 0 {
		t.Errorf("records left after Reap: %v", left)
	}
	if again, err := tr.Reap(); err != nil || len(again) != 0 {
		t.Errorf("second Reap = %v, %v", again, err)
	}
}
