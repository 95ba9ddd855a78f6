package states

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/brine-cm/brine/internal/procrun"
)

// Runner runs commands for the states that drive system tools.
type Runner interface {
	// Run runs cmd to completion. A command that ran and exited non-zero
	// is not an error (see CommandResult.Retcode); an error means it could
	// not be started, or ctx ended while it ran.
	Run(ctx context.Context, cmd Command) (CommandResult, error)
}

// Command is one program to run.
type Command struct {
	// Path is the program; without a slash it is looked up on PATH.
	Path string
	Args []string
	// Dir is the working directory; empty: the runner's own.
	Dir string
	// Env is added to the inherited environment: "KEY=VALUE" sets, a bare
	// "KEY" unsets.
	Env   []string
	Stdin string
	// User runs the command as this user (name or uid): its uid, gid,
	// groups, HOME, USER and LOGNAME. Needs root.
	User string
	// Timeout kills the command's process group after this long (0: none).
	Timeout time.Duration
}

// String is the command line, for logs and comments.
func (c Command) String() string {
	parts := make([]string, 0, len(c.Args)+1)
	for _, a := range append([]string{c.Path}, c.Args...) {
		a = redactURLPassword(a)
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// redactURLPassword hides the password of a URL with credentials in a
// command-line argument (--registry=https://user:pass@host/ becomes
// --registry=https://user:xxxxx@host/): a command line is shown in logs
// and in state comments, where secrets must not be.
func redactURLPassword(arg string) string {
	i := strings.Index(arg, "://")
	if i < 0 {
		return arg
	}
	rest := arg[i+3:]
	end := strings.IndexAny(rest, "/?# ")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return arg
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return arg
	}
	return arg[:i+3] + user + ":xxxxx" + rest[at:]
}

// CommandResult is what running a command gave. Output has trailing
// whitespace removed.
type CommandResult struct {
	Pid      int
	Retcode  int
	Stdout   string
	Stderr   string
	TimedOut bool
}

// combined is stdout and stderr for error comments.
func (r CommandResult) combined() string {
	switch {
	case r.Stderr == "":
		return r.Stdout
	case r.Stdout == "":
		return r.Stderr
	}
	return r.Stdout + "\n" + r.Stderr
}

// run runs cmd through env.Runner, or on this host.
func (env *Env) run(ctx context.Context, cmd Command) (CommandResult, error) {
	var r Runner = ExecRunner{}
	if env != nil && env.Runner != nil {
		r = env.Runner
	}
	env.logger().DebugContext(ctx, "running command", "cmd", cmd.String(), "dir", cmd.Dir, "user", cmd.User)
	res, err := r.Run(ctx, cmd)
	if err != nil {
		env.logger().DebugContext(ctx, "command not run", "cmd", cmd.String(), "err", err)
		return res, err
	}
	env.logger().DebugContext(ctx, "command finished", "cmd", cmd.String(), "retcode", res.Retcode)
	return res, nil
}

// runOK runs cmd and turns a non-zero exit into an error carrying its
// output.
func (env *Env) runOK(ctx context.Context, cmd Command) (CommandResult, error) {
	res, err := env.run(ctx, cmd)
	if err != nil {
		return res, err
	}
	if res.Retcode != 0 {
		out := res.combined()
		if out == "" {
			out = "no output"
		}
		return res, fmt.Errorf("%s failed with exit code %d: %s", cmd.String(), res.Retcode, out)
	}
	return res, nil
}

// ExecRunner runs commands on this host through internal/procrun, each in
// its own process group (killed as a whole on timeout or when ctx ends).
type ExecRunner struct{}

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, c Command) (CommandResult, error) {
	path := c.Path
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return CommandResult{}, fmt.Errorf("%s: command not found", c.Path)
		}
		path = p
	}
	var extra []string
	var cred *syscall.Credential
	if c.User != "" {
		cr, u, err := credential(c.User)
		if err != nil {
			return CommandResult{}, err
		}
		cred = cr
		extra = append(extra, "HOME="+u.HomeDir, "USER="+u.Username, "LOGNAME="+u.Username)
	}
	var stdout, stderr bytes.Buffer
	pc := procrun.Cmd{
		Path: path, Args: c.Args, Dir: c.Dir, Env: mergeEnv(os.Environ(), append(extra, c.Env...)),
		Stdout: &stdout, Stderr: &stderr, Credential: cred, Timeout: c.Timeout, Label: "state " + filepath.Base(path),
	}
	if c.Stdin != "" {
		pc.Stdin = strings.NewReader(c.Stdin)
	}
	pr, err := procrun.Run(ctx, pc)
	res := CommandResult{
		Pid:      pr.Pid,
		Retcode:  pr.Retcode,
		TimedOut: pr.TimedOut,
		Stdout:   strings.TrimRightFunc(stdout.String(), unicode.IsSpace),
		Stderr:   strings.TrimRightFunc(stderr.String(), unicode.IsSpace),
	}
	var se *procrun.StartError
	var ke *procrun.KilledError
	switch {
	case errors.As(err, &se):
		return CommandResult{}, fmt.Errorf("cannot run %s: %w", c.String(), se.Err)
	case errors.As(err, &ke):
		return res, fmt.Errorf("%s (pid %d) killed: %w", c.String(), res.Pid, ke.Cause)
	case err != nil:
		return res, fmt.Errorf("%s (pid %d): %w", c.String(), res.Pid, err)
	}
	return res, nil
}

// credential resolves a user to run as. Running as ourselves needs no
// credential.
func credential(name string) (*syscall.Credential, *user.User, error) {
	u, err := lookupUser(name)
	if err != nil {
		return nil, nil, fmt.Errorf("runas user %q is not available", name)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("user %q has a non-numeric uid %q", name, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("user %q has a non-numeric gid %q", name, u.Gid)
	}
	if int(uid) == os.Geteuid() {
		return nil, u, nil
	}
	if os.Geteuid() != 0 {
		return nil, nil, fmt.Errorf("cannot run as user %q: not running as root", name)
	}
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if n, err := strconv.ParseUint(id, 10, 32); err == nil {
				groups = append(groups, uint32(n))
			}
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, u, nil
}

// lookupUser finds a user by name, or by uid when name is numeric.
func lookupUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			return user.LookupId(name)
		}
	}
	return u, err
}

// lookupGroup finds a group by name, or by gid when name is numeric.
func lookupGroup(name string) (*user.Group, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			return user.LookupGroupId(name)
		}
	}
	return g, err
}

// mergeEnv applies changes ("K=V" sets, "K" unsets) to base.
func mergeEnv(base, changes []string) []string {
	if len(changes) == 0 {
		return base
	}
	vars := make(map[string]string, len(base))
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	for _, kv := range changes {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		} else {
			delete(vars, kv)
		}
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// homeDir is the home directory of user name (the current user when
// empty), or "/" when it is not a directory.
func homeDir(name string) string {
	home := ""
	if name != "" {
		if u, err := lookupUser(name); err == nil {
			home = u.HomeDir
		}
	} else if h, err := os.UserHomeDir(); err == nil {
		home = h
	}
	if home != "" && filepath.IsAbs(home) {
		if fi, err := os.Stat(home); err == nil && fi.IsDir() {
			return home
		}
	}
	return "/"
}
