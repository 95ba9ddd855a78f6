package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// startTree starts a shell (in a process group of its own, as the bench's
// processes are) with a background child, and returns both pids.
func startTree(t *testing.T) (*testutil.Proc, int) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "child")
	p, err := testutil.Start("tree", "/bin/sh", "-c", "sleep 60 & echo $! > "+pidFile+"; wait")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	var child int
	if !testutil.Poll(10*time.Second, func() bool {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return child > 0
	}) {
		t.Fatal("no child pid")
	}
	return p, child
}

func running(pid int) bool { return anyAlive([]int{pid}) }

// TestFailStopsProcesses: a failing bench (fail) stops every process it
// started, their children too, removes its directory and exits 1. Before,
// fail called os.Exit and left the master, minions and fleet running.
func TestFailStopsProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var p *testutil.Proc
	var child int
	code := guard(dir, func() {
		p, child = startTree(t)
		fail("forced failure")
		t.Error("fail returned")
	})
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Error("the started process still runs")
	}
	if !testutil.Poll(10*time.Second, func() bool { return !running(child) }) {
		t.Errorf("its child %d still runs", child)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the bench directory is left: %v", err)
	}
}

func TestGuardSuccessAndPanics(t *testing.T) {
	dir := t.TempDir()
	var p *testutil.Proc
	if code := guard(dir, func() { p, _ = startTree(t) }); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Error("a process left running after a successful bench")
	}
	// Any other panic is not swallowed, but the processes are stopped.
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want the panic to go on", r)
		}
		select {
		case <-p.Done():
		case <-time.After(10 * time.Second):
			t.Error("a process left running after a panic")
		}
	}()
	guard(t.TempDir(), func() {
		p, _ = startTree(t)
		panic("boom")
	})
}
