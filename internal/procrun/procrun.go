// Package procrun runs commands for the minion's execution and state
// modules: each command in a process group of its own, the whole group
// killed with SIGKILL when its context ends or its timeout passes, so that
// pipelines and children go with it. With a Tracker in the context, the
// group is recorded on disk while it runs, so that a minion killed with
// SIGKILL finds its commands at the next start (see Tracker.Reap).
package procrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// WaitDelay bounds how long a finished (or killed) command's output pipes
// may stay open, held by a background process it started, before they are
// closed and the command is reported.
const WaitDelay = 2 * time.Second

// Cmd is one program to run.
type Cmd struct {
	// Path is the program; without a slash it is looked up on PATH.
	Path string
	Args []string
	// Dir is the working directory; empty: the minion's own.
	Dir string
	// Env is the whole environment; nil inherits the minion's.
	Env    []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Credential runs the command as another user (needs root).
	Credential *syscall.Credential
	// Timeout kills the process group after this long (0: none).
	Timeout time.Duration
	// Label says what runs, for the Tracker's record and its report
	// (a function name, never the command line: it may hold secrets).
	Label string
}

// Result is how a command ended.
type Result struct {
	Pid int
	// Retcode is the exit status, or minus the signal number for a
	// command killed by a signal.
	Retcode int
	// TimedOut: Timeout passed and the group was killed.
	TimedOut bool
	// OutputHeldOpen: the command exited but a process it left behind
	// held its output open past WaitDelay; the output may be incomplete.
	OutputHeldOpen bool
}

// StartError is a command that could not be started.
type StartError struct{ Err error }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// KilledError is a command whose group was killed because its context
// ended (the job was cancelled or the minion is stopping).
type KilledError struct {
	Pid   int
	Cause error // the context's error
}

func (e *KilledError) Error() string { return fmt.Sprintf("pid %d killed: %v", e.Pid, e.Cause) }
func (e *KilledError) Unwrap() error { return e.Cause }

// Run runs c to completion in a new process group. A command that ran and
// exited non-zero is not an error (see Result.Retcode); the errors are
// *StartError, *KilledError, or a failure to wait for the command.
func Run(ctx context.Context, c Cmd) (Result, error) {
	var runCtx context.Context
	var cancel context.CancelFunc
	if c.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, c.Timeout)
	} else {
		runCtx, cancel = context.WithCancel(ctx)
	}
	defer cancel()

	cmd := exec.CommandContext(runCtx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.Credential}
	cmd.Cancel = func() error {
		// The child leads its own process group: kill all of it.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill process group %d: %w", cmd.Process.Pid, err)
		}
		return nil
	}
	cmd.WaitDelay = WaitDelay
	if err := cmd.Start(); err != nil {
		return Result{}, &StartError{err}
	}
	res := Result{Pid: cmd.Process.Pid}
	if t := trackerFrom(ctx); t != nil {
		done := t.record(res.Pid, c.Label)
		defer done()
	}
	waitErr := cmd.Wait()
	killed := runCtx.Err() != nil && waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay)
	switch {
	case killed && ctx.Err() != nil:
		return res, &KilledError{Pid: res.Pid, Cause: ctx.Err()}
	case killed:
		res.TimedOut, res.Retcode = true, 1
		return res, nil
	case errors.Is(waitErr, exec.ErrWaitDelay):
		res.OutputHeldOpen = true
	case waitErr != nil:
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return res, waitErr
		}
	}
	res.Retcode = ExitStatus(cmd.ProcessState)
	return res, nil
}

// ExitStatus is the exit code, or minus the signal number for a process
// killed by a signal (as Python's subprocess reports it).
func ExitStatus(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return ps.ExitCode()
}
