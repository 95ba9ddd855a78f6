package procrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Tracker records the process group of every command running under it as
// a file in a directory of the minion's cache, removed when the command
// ends. A minion killed with SIGKILL cannot stop its commands; the records
// it leaves let the next start find the groups still running (Reap).
type Tracker struct {
	dir string
}

// NewTracker keeps its records in dir, created at the first record.
func NewTracker(dir string) *Tracker { return &Tracker{dir: dir} }

type trackerKey struct{}

// WithTracker returns a context under which Run records its commands in t.
func WithTracker(ctx context.Context, t *Tracker) context.Context {
	return context.WithValue(ctx, trackerKey{}, t)
}

func trackerFrom(ctx context.Context) *Tracker {
	t, _ := ctx.Value(trackerKey{}).(*Tracker)
	return t
}

// record is one running process group.
type record struct {
	PGID  int       `json:"pgid"`
	Label string    `json:"label"`
	Start time.Time `json:"start"`
	// BootID and LeaderStart (the leader's start time in clock ticks after
	// boot) tell the group from a later one that reuses its number.
	BootID      string `json:"boot_id"`
	LeaderStart uint64 `json:"leader_start"`
}

func (t *Tracker) path(pgid int) string {
	return filepath.Join(t.dir, strconv.Itoa(pgid)+".json")
}

// record writes the record of the group led by pid and returns the
// function that removes it. A record that cannot be written costs only
// the report after a crash: it is not an error for the command.
func (t *Tracker) record(pid int, label string) (done func()) {
	r := record{PGID: pid, Label: label, Start: time.Now().UTC(), BootID: bootID()}
	if p, err := readProc(pid); err == nil {
		r.LeaderStart = p.start
	}
	b, _ := json.Marshal(r)
	tmp := t.path(pid) + ".tmp"
	if os.MkdirAll(t.dir, 0o700) != nil || os.WriteFile(tmp, b, 0o600) != nil || os.Rename(tmp, t.path(pid)) != nil {
		_ = os.Remove(tmp)
		return func() {}
	}
	return func() { _ = os.Remove(t.path(pid)) }
}

// Orphan is a process group a previous run of the minion left running.
type Orphan struct {
	PGID  int       `json:"pgid"`
	Label string    `json:"label"`
	Start time.Time `json:"start"`
	// Processes is how many processes the group had when found.
	Processes int `json:"processes"`
	// Killed: the group was sent SIGKILL.
	Killed bool   `json:"killed"`
	Error  string `json:"error,omitempty"`
}

// Reap reads the records a previous run left (call it at start, before
// any command runs), kills each group that is still running with SIGKILL
// and returns them; records of groups that are gone, or whose number now
// belongs to another group, are dropped. Its job's return is lost with the
// minion that started it, so nobody would ever read what such a command
// does next; it may hold locks or keep changing the system.
func (t *Tracker) Reap() ([]Orphan, error) {
	entries, err := os.ReadDir(t.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("process records: %w", err)
	}
	var recs []record
	for _, e := range entries {
		name := filepath.Join(t.dir, e.Name())
		if !strings.HasSuffix(e.Name(), ".json") {
			_ = os.Remove(name) // a .tmp a crash left
			continue
		}
		b, err := os.ReadFile(name)
		var r record
		if err == nil && json.Unmarshal(b, &r) == nil && r.PGID > 1 {
			recs = append(recs, r)
		}
		_ = os.Remove(name)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	procs, err := listProcs()
	if err != nil {
		return nil, fmt.Errorf("list processes to find commands left running: %w", err)
	}
	boot := bootID()
	var out []Orphan
	for _, r := range recs {
		if r.BootID != "" && boot != "" && r.BootID != boot {
			continue // the machine rebooted since
		}
		members := 0
		reused := false
		for _, p := range procs {
			if p.pgrp == r.PGID {
				members++
			}
			if p.pid == r.PGID && r.LeaderStart != 0 && p.start != r.LeaderStart {
				reused = true
			}
		}
		if members == 0 || reused {
			continue
		}
		o := Orphan{PGID: r.PGID, Label: r.Label, Start: r.Start, Processes: members}
		if err := syscall.Kill(-r.PGID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			o.Error = err.Error()
		} else {
			o.Killed = true
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PGID < out[j].PGID })
	return out, nil
}

type proc struct {
	pid, pgrp int
	start     uint64
}

// listProcs reads every process's id, group and start time from /proc.
func listProcs() ([]proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := readProc(pid); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// readProc parses /proc/<pid>/stat: the process group is field 5, the
// start time field 22; the command name (field 2) is in parentheses and
// may hold spaces and parentheses itself.
func readProc(pid int) (proc, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return proc{}, fs.ErrInvalid
	}
	f := strings.Fields(string(b[i+1:])) // from field 3 on
	if len(f) < 20 {
		return proc{}, fs.ErrInvalid
	}
	pgrp, err1 := strconv.Atoi(f[2])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil {
		return proc{}, fs.ErrInvalid
	}
	return proc{pid: pid, pgrp: pgrp, start: start}, nil
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
