package main

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// benchFailure is what fail panics with, for guard to recover.
type benchFailure struct{}

// guard runs body and returns the exit code: 1 when body called fail. On
// every way out (success, failure, a panic) the processes the bench started
// and that still run, and theirs, are stopped, and dir is removed.
func guard(dir string, body func()) (code int) {
	defer func() {
		r := recover()
		stopDescendants(10 * time.Second)
		_ = os.RemoveAll(dir)
		switch r.(type) {
		case nil:
		case benchFailure:
			code = 1
		default:
			panic(r)
		}
	}()
	body()
	return 0
}

// onSignal stops the bench's processes and removes dir on SIGINT or
// SIGTERM, then exits 130. The processes the bench starts lead process
// groups of their own, so a Ctrl-C on the terminal does not reach them.
// The returned function stops listening.
func onSignal(dir string) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "bench: %v: stopping the processes it started\n", s)
			stopDescendants(10 * time.Second)
			_ = os.RemoveAll(dir)
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// stopDescendants sends SIGTERM to every process descending from this one,
// waits up to grace for them to exit, then sends SIGKILL to the rest. The
// tree is read from /proc once, before anything is signalled, so that a
// process orphaned by its parent's exit is still found.
func stopDescendants(grace time.Duration) {
	pids := descendants(os.Getpid())
	if len(pids) == 0 {
		return
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !anyAlive(pids) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// parentOf reads the parent pid (field 4) of /proc/<pid>/stat.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(string(f[1]))
	return pp, err == nil
}

// anyAlive reports whether one of pids still runs (zombies do not count:
// their parent, if it is this process, reaps them in its own time).
func anyAlive(pids []int) bool {
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			if f := bytes.Fields(b[i+1:]); len(f) > 0 && string(f[0]) != "Z" {
				return true
			}
		}
	}
	return false
}
