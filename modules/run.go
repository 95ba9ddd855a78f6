package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"unicode"

	"github.com/brine-cm/brine/internal/procrun"
	"github.com/brine-cm/brine/proto"
)

// Running programs for the modules that drive a tool (systemctl, git,
// supervisorctl, npm, apt-get, ...): an argument vector, never a shell
// line, through internal/procrun so that cancelling the job kills the
// tool's whole process group.

// prog is one program to run.
type prog struct {
	// fun is the execution function running it (the procrun label and
	// the log's fun).
	fun  string
	path string
	args []string
	// cwd is the working directory; "" is the minion's own, or the runas
	// user's home directory.
	cwd string
	// runas is the user to run as ("" the minion's user).
	runas string
	// env are extra KEY=VALUE variables over the minion's environment.
	env   []string
	stdin *string
	// secret hides the argument vector from the minion's log (it holds a
	// password or a token).
	secret bool
	// combined sends standard error into stdout, interleaved.
	combined bool
}

// progResult is how the program ended; outputs have trailing whitespace
// removed.
type progResult struct {
	pid            int
	retcode        int
	stdout, stderr string
}

// combined is stderr, else stdout: what a failure message shows.
func (r progResult) combined() string {
	if s := strings.TrimSpace(r.stderr); s != "" {
		return s
	}
	return strings.TrimSpace(r.stdout)
}

// cmdline is the program and its arguments as a shell would show them.
func (p prog) cmdline() string {
	parts := make([]string, 0, len(p.args)+1)
	for _, a := range append([]string{p.path}, p.args...) {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`'"\$*?;&|<>()`, r) }) {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// run runs p and returns its exit status and output. A program that cannot
// be started (not installed) is an execution error naming it; a non-zero
// exit is not an error here (see runOK).
func run(ctx context.Context, env *Env, p prog) (progResult, error) {
	log := env.logger().With("fun", p.fun)
	shown := p.cmdline()
	if p.secret {
		shown = p.path + " " + Redacted
	}
	path := p.path
	if !strings.Contains(path, "/") {
		lp, err := exec.LookPath(path)
		if err != nil {
			return progResult{}, proto.Errorf(proto.ErrExecution, "%s: %s is not installed on this minion (not found on PATH)", p.fun, p.path)
		}
		path = lp
	}
	cred, u, err := resolveRunas(p.runas, "", os.Geteuid())
	if err != nil {
		return progResult{}, err
	}
	cwd := p.cwd
	if cwd == "" && u != nil {
		cwd = defaultCwd(u)
	}
	var envv []string
	if u != nil || len(p.env) > 0 {
		extra := make([]envVar, 0, len(p.env))
		for _, kv := range p.env {
			k, v, _ := strings.Cut(kv, "=")
			extra = append(extra, envVar{key: k, val: &v})
		}
		pwd := cwd
		if pwd == "" {
			pwd, _ = os.Getwd()
		}
		envv = buildEnv(false, u, pwd, extra)
	}
	var stdout, stderr bytes.Buffer
	pc := procrun.Cmd{Path: path, Args: p.args, Dir: cwd, Env: envv, Stdout: &stdout, Stderr: &stderr,
		Credential: cred, Label: p.fun}
	if p.combined {
		pc.Stderr = &stdout
	}
	if p.stdin != nil {
		pc.Stdin = strings.NewReader(*p.stdin)
	}
	log.DebugContext(ctx, "running", "cmd", shown, "cwd", cwd, "runas", p.runas)
	pr, err := procrun.Run(ctx, pc)
	var se *procrun.StartError
	switch {
	case errors.As(err, &se):
		return progResult{}, proto.Errorf(proto.ErrExecution, "%s: unable to run %s: %v", p.fun, p.path, se.Err)
	case err != nil:
		return progResult{}, fmt.Errorf("%s: %s: %w", p.fun, shown, err)
	}
	res := progResult{pid: pr.Pid, retcode: pr.Retcode,
		stdout: strings.TrimRightFunc(stdout.String(), unicode.IsSpace),
		stderr: strings.TrimRightFunc(stderr.String(), unicode.IsSpace)}
	log.DebugContext(ctx, "finished", "cmd", shown, "retcode", res.retcode)
	return res, nil
}

// runOK is run where a non-zero exit is an execution error carrying the
// tool's message.
func runOK(ctx context.Context, env *Env, p prog) (progResult, error) {
	res, err := run(ctx, env, p)
	if err != nil {
		return res, err
	}
	if res.retcode != 0 {
		shown := p.cmdline()
		if p.secret {
			shown = p.path
		}
		msg := res.combined()
		if msg == "" {
			msg = "no output"
		}
		return res, proto.Errorf(proto.ErrExecution, "%s: %s failed with exit code %d: %s", p.fun, shown, res.retcode, msg)
	}
	return res, nil
}

// hasExec reports whether name is an executable on PATH (or, with a
// slash, an executable file).
func hasExec(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
