package states

import (
	"context"
	"errors"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Shared by cmd.run, cmd.wait and cmd.script: the arguments that say how
// a command runs, and the check-and-run routine.

// cmdOpts is how a cmd.* state runs its command.
type cmdOpts struct {
	display string // the command as the comment shows it
	shell   string
	cwd     string
	runas   string
	env     []string
	stdin   string
	timeout time.Duration
	creates []string
	success map[int]bool
}

// cmdArgs are the arguments of cmd.run, cmd.wait and cmd.script that
// say how the command runs.
type cmdArgs struct {
	Shell           string   `salt:"shell" default:"/bin/sh"`
	Runas           string   `salt:"runas"`
	Cwd             string   `salt:"cwd"`
	Stdin           string   `salt:"stdin"`
	Timeout         float64  `salt:"timeout"`
	Env             envArg   `salt:"env"`
	Creates         []string `salt:"creates"`
	SuccessRetcodes []string `salt:"success_retcodes"`
}

// Validate checks the values that need no look at the system.
func (a *cmdArgs) Validate() error {
	if a.Shell == "" {
		return ArgErrorf("shell", "must not be empty")
	}
	if a.Cwd != "" && !filepath.IsAbs(a.Cwd) {
		return ArgErrorf("cwd", "must be an absolute path, got %q", a.Cwd)
	}
	if a.Timeout < 0 {
		return ArgErrorf("timeout", "must not be negative")
	}
	for _, c := range a.SuccessRetcodes {
		if _, err := strconv.Atoi(c); err != nil {
			return ArgErrorf("success_retcodes", "must be a list of integers, got %q", c)
		}
	}
	return nil
}

// opts resolves the arguments: the runas user must exist (in test mode
// it may not yet: an earlier user.present of the run may add it, and
// nothing runs); cwd defaults to its home.
func (a *cmdArgs) opts(call Call) (cmdOpts, error) {
	o := cmdOpts{display: call.Name, success: map[int]bool{0: true},
		shell: a.Shell, runas: a.Runas, cwd: a.Cwd, stdin: a.Stdin, env: a.Env,
		timeout: time.Duration(a.Timeout * float64(time.Second)), creates: a.Creates}
	if o.runas != "" && !call.Test {
		if _, err := lookupUser(o.runas); err != nil {
			return o, call.ArgErrorf("runas", "names user %q, which is not available", o.runas)
		}
	}
	if o.cwd == "" {
		o.cwd = homeDir(o.runas)
	}
	for _, c := range a.SuccessRetcodes {
		n, _ := strconv.Atoi(c) // checked by Validate
		o.success[n] = true
	}
	return o, nil
}

// envArg is an environment: a mapping, or a list of "K=V" strings or
// one-key mappings; a null value unsets the variable.
type envArg []string

// DecodeArg implements ArgDecoder.
func (e *envArg) DecodeArg(v any) error {
	var out []string
	addMap := func(m map[string]any) error {
		for _, k := range sortedKeys(m) {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fmt.Errorf("has an invalid variable name %q", k)
			}
			if m[k] == nil {
				out = append(out, k)
				continue
			}
			s, ok := coerce.String(m[k])
			if !ok {
				return wrongArg("a mapping of names to strings", m[k])
			}
			out = append(out, k+"="+s)
		}
		return nil
	}
	if m, ok := asMap(v); ok {
		if err := addMap(m); err != nil {
			return err
		}
		*e = out
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return wrongArg("a mapping or a list", v)
	}
	for _, el := range list {
		if m, ok := asMap(el); ok {
			if err := addMap(m); err != nil {
				return err
			}
			continue
		}
		s, ok := el.(string)
		if k, _, found := strings.Cut(s, "="); !ok || !found || k == "" {
			return wrongArg(`a list of "KEY=VALUE" strings or mappings`, el)
		}
		out = append(out, s)
	}
	*e = out
	return nil
}

// createsExist reports whether every path in creates exists.
func (o cmdOpts) createsExist() bool {
	if len(o.creates) == 0 {
		return false
	}
	for _, p := range o.creates {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// runShell is the check-and-run routine of the cmd states: skip when
// creates exist, report in test mode, else run script through the shell.
func runShell(ctx context.Context, env *Env, call Call, o cmdOpts, script string) Result {
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	if o.createsExist() {
		ret.Result = True()
		ret.Comment = "All files in creates exist"
		return ret
	}
	if call.Test {
		ret.Comment = fmt.Sprintf("Command \"%s\" would have been executed", o.display)
		return ret
	}
	if fi, err := os.Stat(o.cwd); err != nil || !fi.IsDir() {
		return fail(call.Name, "Desired working directory %q is not available", o.cwd)
	}
	res, err := env.run(ctx, Command{
		Path: o.shell, Args: []string{"-c", script}, Dir: o.cwd, Env: o.env,
		Stdin: o.stdin, User: o.runas, Timeout: o.timeout,
	})
	if err != nil {
		return fail(call.Name, "Unable to run command %q: %v", o.display, err)
	}
	ret.Changes = map[string]any{
		"pid":     res.Pid,
		"retcode": res.Retcode,
		"stdout":  res.Stdout,
		"stderr":  res.Stderr,
	}
	ret.Comment = fmt.Sprintf("Command \"%s\" run", o.display)
	switch {
	case res.TimedOut:
		ret.Result = False()
		ret.Comment += fmt.Sprintf("\nTimed out after %s seconds", strconv.FormatFloat(o.timeout.Seconds(), 'f', -1, 64))
	case o.success[res.Retcode]:
		ret.Result = True()
	default:
		ret.Result = False()
	}
	return ret
}
