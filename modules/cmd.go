package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
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

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/internal/procrun"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// The cmd module: run shell commands.

// defaultShell runs commands unless the shell argument says otherwise.
const defaultShell = "/bin/sh"

// timeoutRetcode is the retcode of a command killed by its timeout
// argument, as in Salt.
const timeoutRetcode = 1

const cmdArgsDoc = `Arguments, positional in this order or as keywords: cmd; cwd (absolute directory to run in, default the home directory of the user the command runs as, else /); stdin (string fed to the command's standard input); runas (user to run as; the minion must run as root to switch users); group (group to run as); shell (default /bin/sh; the command runs as "shell -c cmd"); python_shell (accepted and ignored); env (environment variables to add, a mapping or a list of "KEY=VALUE" strings or one-key mappings; a null value removes a variable); clean_env (start from an empty environment, default false). Keywords only: timeout (seconds; when it expires the command's whole process group is killed and retcode is 1); rstrip (strip trailing whitespace from the output, default true); ignore_retcode (report retcode 0 for the job whatever the exit status); output_loglevel (accepted; the command line never reaches the minion's log, all cmd arguments being declared secret). Cancelling the job kills the command's process group.`

func init() {
	Register("cmd.run", `Execute the passed command through a shell and return its output: standard output and standard error interleaved in one string, trailing whitespace removed. The job's retcode is the command's exit status (a negative number for a command killed by a signal). `+cmdArgsDoc+`

CLI Example:

    ctl '*' cmd.run 'ls -l' cwd=/tmp`, cmdRun, AllArgsSecret())

	Register("cmd.run_all", `Execute the passed command through a shell and return a mapping with its pid, retcode (exit status, a negative number for a command killed by a signal), stdout and stderr (each with trailing whitespace removed). The job's retcode is the command's exit status. `+cmdArgsDoc+`

CLI Example:

    ctl '*' cmd.run_all 'ls -l /nonexistent' cwd=/tmp env='{LANG: C}'`, cmdRunAll, AllArgsSecret())

	Register("cmd.shell", `Execute the passed command through a shell and return its output, as cmd.run (Salt's cmd.shell is cmd.run with python_shell=True; Brine's cmd.run always uses the shell). `+cmdArgsDoc+`

CLI Example:

    ctl '*' cmd.shell 'echo $HOME | tr a-z A-Z'`, cmdRun, AllArgsSecret())

	Register("cmd.retcode", `Execute the passed command through a shell and return only its exit status (a negative number for a command killed by a signal), which is also the job's retcode; its output is discarded. `+cmdArgsDoc+`

CLI Example:

    ctl '*' cmd.retcode 'test -f /etc/motd' timeout=5`, cmdRetcode, AllArgsSecret())
}

// cmdSpec is a parsed cmd.* call.
type cmdSpec struct {
	fun           string
	cmd           string
	cwd           string
	stdin         *string
	shell         string
	env           []string
	runas         string
	cred          *syscall.Credential
	timeout       time.Duration
	rstrip        bool
	ignoreRetcode bool
	quiet         bool
	combined      bool
}

// cmdResult is what running a command gave.
type cmdResult struct {
	pid      int
	retcode  int
	stdout   string
	stderr   string
	timedOut bool
}

// jobRetcode is the retcode the job reports.
func (s cmdSpec) jobRetcode(r cmdResult) int {
	if s.ignoreRetcode {
		return 0
	}
	return r.retcode
}

func cmdRun(ctx context.Context, env *Env, call Call) (any, error) {
	spec, err := parseCmd("cmd.run", call, true)
	if err != nil {
		return nil, err
	}
	res, err := runCmd(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	return Ret{Value: res.stdout, Retcode: spec.jobRetcode(res)}, nil
}

func cmdRunAll(ctx context.Context, env *Env, call Call) (any, error) {
	spec, err := parseCmd("cmd.run_all", call, false)
	if err != nil {
		return nil, err
	}
	res, err := runCmd(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	return Ret{Value: map[string]any{
		"pid":     res.pid,
		"retcode": res.retcode,
		"stdout":  res.stdout,
		"stderr":  res.stderr,
	}, Retcode: spec.jobRetcode(res)}, nil
}

func cmdRetcode(ctx context.Context, env *Env, call Call) (any, error) {
	spec, err := parseCmd("cmd.retcode", call, true)
	if err != nil {
		return nil, err
	}
	res, err := runCmd(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	return Ret{Value: res.retcode, Retcode: spec.jobRetcode(res)}, nil
}

// parseCmd reads the arguments shared by cmd.*; positions follow Salt's
// signature (cmd, cwd, stdin, runas, group, shell, python_shell, env,
// clean_env).
func parseCmd(fun string, call Call, combined bool) (cmdSpec, error) {
	s := cmdSpec{fun: fun, combined: combined}
	var err error
	if s.cmd, err = call.String(0, "cmd", nil); err != nil {
		return s, err
	}
	if strings.TrimSpace(s.cmd) == "" {
		return s, badArg("argument 'cmd' must not be empty")
	}
	cwd, err := call.String(1, "cwd", ptr(""))
	if err != nil {
		return s, err
	}
	if cwd != "" && !filepath.IsAbs(cwd) {
		return s, badArg("argument 'cwd' must be an absolute path, got %q", cwd)
	}
	if call.Has(2, "stdin") {
		in, err := call.String(2, "stdin", ptr(""))
		if err != nil {
			return s, err
		}
		s.stdin = &in
	}
	if s.runas, err = call.String(3, "runas", ptr("")); err != nil {
		return s, err
	}
	group, err := call.String(4, "group", ptr(""))
	if err != nil {
		return s, err
	}
	if s.shell, err = call.String(5, "shell", ptr(defaultShell)); err != nil {
		return s, err
	}
	if s.shell == "" {
		return s, badArg("argument 'shell' must not be empty")
	}
	// python_shell (6) is accepted and ignored.
	extra, err := parseEnvArg(call)
	if err != nil {
		return s, err
	}
	cleanEnv, err := call.Bool(8, "clean_env", ptr(false))
	if err != nil {
		return s, err
	}
	timeout, err := call.Float(-1, "timeout", ptr(0.0))
	if err != nil {
		return s, err
	}
	if timeout < 0 || math.IsNaN(timeout) || math.IsInf(timeout, 0) {
		return s, badArg("argument 'timeout' must be a non-negative number of seconds, got %v", timeout)
	}
	s.timeout = time.Duration(timeout * float64(time.Second))
	if s.rstrip, err = call.Bool(-1, "rstrip", ptr(true)); err != nil {
		return s, err
	}
	if s.ignoreRetcode, err = call.Bool(-1, "ignore_retcode", ptr(false)); err != nil {
		return s, err
	}
	loglevel, err := call.String(-1, "output_loglevel", ptr("debug"))
	if err != nil {
		return s, err
	}
	s.quiet = strings.EqualFold(loglevel, "quiet")

	cred, u, err := resolveRunas(s.runas, group, os.Geteuid())
	if err != nil {
		return s, err
	}
	s.cred = cred
	s.cwd = cwd
	if s.cwd == "" {
		s.cwd = defaultCwd(u)
	}
	s.env = buildEnv(cleanEnv, u, s.cwd, extra)
	return s, nil
}

// envVar is one requested environment change; a nil value unsets.
type envVar struct {
	key string
	val *string
}

// parseEnvArg reads env (position 7): a mapping, or a list of "K=V"
// strings and one-key mappings.
func parseEnvArg(call Call) ([]envVar, error) {
	v, ok := call.value(7, "env")
	if !ok || v == nil {
		return nil, nil
	}
	var out []envVar
	addMap := func(m map[string]any) error {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return badArg("argument 'env' has an invalid variable name %q", k)
			}
			if m[k] == nil {
				out = append(out, envVar{key: k})
				continue
			}
			s, ok := coerce.String(m[k])
			if !ok {
				return wrongType("env", "a mapping of names to strings", m[k])
			}
			out = append(out, envVar{key: k, val: &s})
		}
		return nil
	}
	switch t := v.(type) {
	case map[string]any:
		if err := addMap(t); err != nil {
			return nil, err
		}
	case []any:
		for _, e := range t {
			switch et := e.(type) {
			case string:
				k, val, ok := strings.Cut(et, "=")
				if !ok || k == "" {
					return nil, badArg("argument 'env' entries must look like KEY=VALUE, got %q", et)
				}
				out = append(out, envVar{key: k, val: &val})
			case map[string]any:
				if err := addMap(et); err != nil {
					return nil, err
				}
			default:
				return nil, wrongType("env", `a list of "KEY=VALUE" strings or mappings`, e)
			}
		}
	default:
		return nil, wrongType("env", "a mapping or a list", v)
	}
	return out, nil
}

// buildEnv is the command's environment: the minion's own (unless
// cleanEnv), PWD, HOME/USER/LOGNAME of the runas user, then the requested
// changes.
func buildEnv(cleanEnv bool, u *user.User, cwd string, extra []envVar) []string {
	vars := map[string]string{}
	if !cleanEnv {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = v
			}
		}
	}
	vars["PWD"] = cwd
	if u != nil {
		vars["HOME"] = u.HomeDir
		vars["USER"] = u.Username
		vars["LOGNAME"] = u.Username
	}
	for _, e := range extra {
		if e.val == nil {
			delete(vars, e.key)
		} else {
			vars[e.key] = *e.val
		}
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// resolveRunas looks up the user (and group) to run as. With no runas and
// no group it returns nils: run as the minion's user. A minion not running
// as root (euid != 0) may only "switch" to itself.
func resolveRunas(runas, group string, euid int) (*syscall.Credential, *user.User, error) {
	if runas == "" && group == "" {
		return nil, nil, nil
	}
	var u *user.User
	var err error
	if runas == "" {
		u, err = user.LookupId(strconv.Itoa(euid))
	} else {
		u, err = user.Lookup(runas)
		if err != nil {
			if _, numErr := strconv.Atoi(runas); numErr == nil {
				u, err = user.LookupId(runas)
			}
		}
	}
	if err != nil {
		return nil, nil, badArg("runas user %q is not available: %v", runas, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("user %q has a non-numeric uid %q: %w", u.Username, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("user %q has a non-numeric gid %q: %w", u.Username, u.Gid, err)
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			if _, numErr := strconv.Atoi(group); numErr == nil {
				g, err = user.LookupGroupId(group)
			}
		}
		if err != nil {
			return nil, nil, badArg("group %q is not available: %v", group, err)
		}
		if gid, err = strconv.ParseUint(g.Gid, 10, 32); err != nil {
			return nil, nil, fmt.Errorf("group %q has a non-numeric gid %q: %w", group, g.Gid, err)
		}
	}
	if euid != 0 {
		if int(uid) == euid && group == "" {
			return nil, u, nil
		}
		return nil, nil, proto.Errorf(proto.ErrDenied,
			"cannot run as user %q: the minion is not running as root", u.Username)
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

// defaultCwd is the home directory of the user the command runs as (the
// minion's user when u is nil), or "/" when that is not a directory.
func defaultCwd(u *user.User) string {
	home := ""
	if u != nil {
		home = u.HomeDir
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

// runCmd runs spec.cmd as "shell -c cmd" through internal/procrun, in its
// own process group. The group is killed with SIGKILL when ctx is done (the
// job was cancelled: an error is returned) or when spec.timeout expires (a
// result with timedOut set and retcode 1 is returned).
func runCmd(ctx context.Context, env *Env, spec cmdSpec) (cmdResult, error) {
	log := env.logger().With("fun", spec.fun)
	logCmd := spec.cmd
	if IsSecret(spec.fun, 0, "cmd") {
		logCmd = Redacted
	} else if spec.quiet {
		logCmd = "<hidden: output_loglevel=quiet>"
	}
	if fi, err := os.Stat(spec.cwd); err != nil || !fi.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return cmdResult{}, proto.Errorf(proto.ErrExecution, "cwd %q does not exist or is not a directory", spec.cwd)
		}
		return cmdResult{}, fmt.Errorf("check cwd %q: %w", spec.cwd, err)
	}

	var stdout, stderr bytes.Buffer
	pc := procrun.Cmd{
		Path: spec.shell, Args: []string{"-c", spec.cmd}, Dir: spec.cwd, Env: spec.env,
		Stdout: &stdout, Stderr: &stderr, Credential: spec.cred, Timeout: spec.timeout, Label: spec.fun,
	}
	if spec.combined {
		pc.Stderr = &stdout
	}
	if spec.stdin != nil {
		pc.Stdin = strings.NewReader(*spec.stdin)
	}

	log.InfoContext(ctx, "executing command", "cmd", logCmd, "cwd", spec.cwd, "runas", spec.runas, "shell", spec.shell)
	start := time.Now()
	pr, err := procrun.Run(ctx, pc)
	res := cmdResult{pid: pr.Pid, retcode: pr.Retcode, timedOut: pr.TimedOut}
	var se *procrun.StartError
	var ke *procrun.KilledError
	switch {
	case errors.As(err, &se) && ctx.Err() != nil:
		return cmdResult{}, fmt.Errorf("command %q not started: %w", logCmd, ctx.Err())
	case errors.As(err, &se):
		return cmdResult{}, proto.Errorf(proto.ErrExecution, "unable to run command %q: %v", logCmd, se.Err)
	case errors.As(err, &ke):
		log.WarnContext(ctx, "command killed: job cancelled", "cmd", logCmd, "pid", res.pid, "err", ke.Cause)
		return res, fmt.Errorf("command %q (pid %d) killed: %w", logCmd, res.pid, ke.Cause)
	case err != nil:
		return res, proto.Errorf(proto.ErrExecution, "command %q (pid %d): %v", logCmd, res.pid, err)
	case pr.OutputHeldOpen:
		log.WarnContext(ctx, "command left its output open (a background process?); output may be incomplete",
			"cmd", logCmd, "pid", res.pid)
	}
	if res.timedOut {
		res.retcode = timeoutRetcode
	}

	res.stdout = stdout.String()
	res.stderr = stderr.String()
	if spec.rstrip {
		res.stdout = strings.TrimRightFunc(res.stdout, unicode.IsSpace)
		res.stderr = strings.TrimRightFunc(res.stderr, unicode.IsSpace)
	}
	if res.timedOut {
		msg := fmt.Sprintf("%s : Timed out after %s seconds", spec.cmd,
			strconv.FormatFloat(spec.timeout.Seconds(), 'f', -1, 64))
		if spec.combined {
			res.stdout = joinLines(res.stdout, msg)
		} else {
			res.stderr = joinLines(res.stderr, msg)
		}
		log.WarnContext(ctx, "command timed out; process group killed", "cmd", logCmd, "pid", res.pid, "timeout", spec.timeout)
	}
	log.DebugContext(ctx, "command finished", "cmd", logCmd, "pid", res.pid, "retcode", res.retcode,
		"duration", time.Since(start))
	if res.retcode != 0 && !res.timedOut && !spec.ignoreRetcode {
		log.InfoContext(ctx, "command failed", "cmd", logCmd, "retcode", res.retcode)
	}
	return res, nil
}

func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

func init() {
	Register("cmd.has_exec", `Return true if the executable cmd is on the minion's PATH (or, given with a slash, is an executable file).

CLI Example:

    ctl '*' cmd.has_exec cat`, cmdHasExec)

	Register("cmd.which", `Return the full path of the executable cmd found on the minion's PATH, or None.

CLI Example:

    ctl '*' cmd.which cat`, cmdWhich)

	Register("cmd.script", `Download the script source (salt://path from the master, or an absolute path on the minion), optionally render it (template=jinja, with grains and pillar), and run it with args through the shell; return a mapping with its pid, retcode, stdout and stderr, as cmd.run_all. The job's retcode is the script's exit status. Arguments, positional in this order or as keywords: source, args (a string of arguments), cwd, stdin, runas, group, shell, python_shell, env, template, umask (accepted), saltenv (default base) as keyword; timeout, ignore_retcode, rstrip and output_loglevel as for cmd.run. The script is written to a private temporary file, owned by runas, and removed afterwards.

CLI Example:

    ctl '*' cmd.script salt://scripts/runme.sh args='-a 1 -b "two words"' runas=deploy`, cmdScript, AllArgsSecret())
}

func cmdHasExec(_ context.Context, _ *Env, c Call) (any, error) {
	name, err := c.String(0, "cmd", nil)
	if err != nil {
		return nil, err
	}
	return name != "" && hasExec(name), nil
}

func cmdWhich(_ context.Context, _ *Env, c Call) (any, error) {
	name, err := c.String(0, "cmd", nil)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return nil, nil
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return p, nil
}

func cmdScript(ctx context.Context, env *Env, c Call) (any, error) {
	source, err := c.String(0, "source", nil)
	if err != nil {
		return nil, err
	}
	args, err := c.String(1, "args", ptr(""))
	if err != nil {
		return nil, err
	}
	template, err := c.String(9, "template", ptr(""))
	if err != nil {
		return nil, err
	}
	saltenv, err := c.String(17, "saltenv", ptr("base"))
	if err != nil {
		return nil, err
	}
	// cmd.run's arguments, from cmd.script's positions
	kw := map[string]any{}
	for k, v := range c.Kwargs {
		switch k {
		case "source", "args", "template", "umask", "saltenv", "output_encoding", "hide_output", "reset_system_locale":
		default:
			kw[k] = v
		}
	}
	for i, n := range []string{"cwd", "stdin", "runas", "group", "shell", "python_shell", "env"} {
		if 2+i < len(c.Args) {
			kw[n] = c.Args[2+i]
		}
	}

	var text []byte
	switch {
	case strings.HasPrefix(source, "salt://"):
		if env.Files == nil {
			return nil, proto.Errorf(proto.ErrExecution, "cmd.script: %s needs a master", source)
		}
		local, err := env.Files.Cache(ctx, source, saltenv)
		if err != nil {
			return nil, fmt.Errorf("cmd.script: fetch %s: %w", source, err)
		}
		if text, err = os.ReadFile(local); err != nil {
			return nil, osErr(err)
		}
	case filepath.IsAbs(source):
		if text, err = os.ReadFile(source); err != nil {
			return nil, osErr(err)
		}
	default:
		return nil, badArg("source must be a salt:// URL or an absolute path, got %q", source)
	}
	switch strings.ToLower(template) {
	case "":
	case "jinja":
		ctxData := &render.Context{Saltenv: saltenv}
		if env.Grains != nil {
			ctxData.Grains = env.Grains.Items()
		}
		if env.Master != nil {
			if ctxData.Pillar, err = env.Master.Pillar(ctx, false); err != nil {
				return nil, err
			}
		}
		if text, err = render.Jinja(ctx, text, source, ctxData); err != nil {
			return nil, proto.Errorf(proto.ErrExecution, "cmd.script: %v", err)
		}
	default:
		return nil, badArg("template %q is not supported (jinja)", template)
	}

	f, err := os.CreateTemp("", "brine-script-*")
	if err != nil {
		return nil, osErr(err)
	}
	path := f.Name()
	defer os.Remove(path)
	_, werr := f.Write(text)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, osErr(werr)
	}
	if err := os.Chmod(path, 0o700); err != nil {
		return nil, osErr(err)
	}
	if runas, _ := kw["runas"].(string); runas != "" {
		uid, err := lookupUID(runas)
		if err != nil {
			return nil, err
		}
		if err := os.Chown(path, uid, -1); err != nil {
			return nil, osErr(err)
		}
	}
	line := "'" + path + "'"
	if args != "" {
		line += " " + args
	}
	spec, err := parseCmd("cmd.script", Call{Args: []any{line}, Kwargs: kw, JID: c.JID}, false)
	if err != nil {
		return nil, err
	}
	res, err := runCmd(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	return Ret{Value: map[string]any{
		"pid": res.pid, "retcode": res.retcode, "stdout": res.stdout, "stderr": res.stderr,
	}, Retcode: spec.jobRetcode(res)}, nil
}
