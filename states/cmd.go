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

// parseCmdOpts reads cwd, env, runas, shell, timeout, stdin, creates and
// success_retcodes.
func parseCmdOpts(call Call) (cmdOpts, error) {
	o := cmdOpts{display: call.Name, success: map[int]bool{0: true}}
	var err error
	if o.shell, err = call.String("shell", "/bin/sh"); err != nil {
		return o, err
	}
	if o.shell == "" {
		return o, call.ArgErrorf("shell", "must not be empty")
	}
	if o.runas, err = call.String("runas", ""); err != nil {
		return o, err
	}
	if o.runas != "" {
		if _, err := lookupUser(o.runas); err != nil {
			return o, call.ArgErrorf("runas", "names user %q, which is not available", o.runas)
		}
	}
	if o.cwd, err = call.String("cwd", ""); err != nil {
		return o, err
	}
	if o.cwd == "" {
		o.cwd = homeDir(o.runas)
	} else if !filepath.IsAbs(o.cwd) {
		return o, call.ArgErrorf("cwd", "must be an absolute path, got %q", o.cwd)
	}
	if o.stdin, err = call.String("stdin", ""); err != nil {
		return o, err
	}
	timeout, err := call.Float("timeout", 0)
	if err != nil {
		return o, err
	}
	if timeout < 0 {
		return o, call.ArgErrorf("timeout", "must not be negative")
	}
	o.timeout = time.Duration(timeout * float64(time.Second))
	if o.env, err = envArg(call, "env"); err != nil {
		return o, err
	}
	if o.creates, err = call.StringList("creates"); err != nil {
		return o, err
	}
	codes, err := call.StringList("success_retcodes")
	if err != nil {
		return o, err
	}
	for _, c := range codes {
		n, err := strconv.Atoi(c)
		if err != nil {
			return o, call.ArgErrorf("success_retcodes", "must be a list of integers, got %q", c)
		}
		o.success[n] = true
	}
	return o, nil
}

// envArg reads an environment: a mapping, or a list of "K=V" strings or
// one-key mappings; a null value unsets the variable.
func envArg(call Call, arg string) ([]string, error) {
	v := call.Args[arg]
	if v == nil {
		return nil, nil
	}
	var out []string
	addMap := func(m map[string]any) error {
		for _, k := range sortedKeys(m) {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return call.ArgErrorf(arg, "has an invalid variable name %q", k)
			}
			if m[k] == nil {
				out = append(out, k)
				continue
			}
			s, ok := coerce.String(m[k])
			if !ok {
				return call.wrongType(arg, "a mapping of names to strings", m[k])
			}
			out = append(out, k+"="+s)
		}
		return nil
	}
	if m, ok := asMap(v); ok {
		return out, addMap(m)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, call.wrongType(arg, "a mapping or a list", v)
	}
	for _, e := range list {
		if m, ok := asMap(e); ok {
			if err := addMap(m); err != nil {
				return nil, err
			}
			continue
		}
		s, ok := e.(string)
		if k, _, found := strings.Cut(s, "="); !ok || !found || k == "" {
			return nil, call.wrongType(arg, `a list of "KEY=VALUE" strings or mappings`, e)
		}
		out = append(out, s)
	}
	return out, nil
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
