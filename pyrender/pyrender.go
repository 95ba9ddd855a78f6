// Package pyrender is Salt's #!py renderer: a file whose run() function
// returns the rendered data runs in a Python 3 interpreter found on the
// host, with __salt__, __opts__, __grains__, __pillar__, tag, data, sls
// and saltenv bridged to Brine. Calls to __salt__['mod.fun'](...) come
// back over a pipe and run in Brine (Vars.Salt); their errors raise
// CommandExecutionError in Python, and an exception in the file fails the
// render with the file's line. The interpreter is kept warm between
// renders (one at a time); it inherits the caller's environment (proxy
// and CA settings, PATH), as a salt-master's renderers do.
package pyrender

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/brine-cm/brine/render"
)

//go:embed bootstrap.py
var bootstrap string

// lib is Brine's small salt Python package, put first on the
// interpreter's path.
//
//go:embed python
var lib embed.FS

// IsPy reports whether text starts with a #!py shebang.
func IsPy(text []byte) bool {
	if !bytes.HasPrefix(text, []byte("#!")) {
		return false
	}
	line, _, _ := bytes.Cut(text[2:], []byte("\n"))
	f := strings.Fields(strings.TrimSpace(string(line)))
	return len(f) > 0 && f[0] == "py"
}

// IsPyobjects reports whether text starts with a #!pyobjects shebang.
func IsPyobjects(text []byte) bool {
	if !bytes.HasPrefix(text, []byte("#!")) {
		return false
	}
	line, _, _ := bytes.Cut(text[2:], []byte("\n"))
	f := strings.Fields(strings.TrimSpace(string(line)))
	return len(f) > 0 && f[0] == "pyobjects"
}

// FindPython returns the Python 3 interpreter to use: python3 on PATH, or
// an error saying that #!py files need one.
func FindPython() (string, error) { return Python("") }

// Python returns the interpreter configured (a path, or a name looked up
// on PATH; the master's py_interpreter setting), or FindPython's choice
// when configured is "". A configured interpreter that cannot be found is
// an error naming it: Brine never falls back to another one, whose
// packages would differ.
func Python(configured string) (string, error) {
	if configured != "" {
		p, err := exec.LookPath(configured)
		if err != nil {
			cause := errors.Unwrap(err)
			if cause == nil {
				cause = err
			}
			return "", fmt.Errorf("py_interpreter: %s: %w", configured, cause)
		}
		return p, nil
	}
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("#!py files need a Python 3 interpreter, and none (python3) was found on this host's PATH")
}

// Vars is what a rendered file sees.
type Vars struct {
	// Salt runs __salt__['fun'](*args, **kwargs); nil: no functions.
	Salt func(ctx context.Context, fun string, args []any, kwargs map[string]any) (any, error)
	// Has answers 'fun' in __salt__; nil: Salt's presence decides.
	Has func(fun string) bool
	// Globals become module globals: opts, grains, pillar (also as
	// __opts__, __grains__, __pillar__), tag, data, sls, saltenv, ...
	Globals map[string]any
}

// Interp is a warm Python interpreter running #!py files.
type Interp struct {
	python string
	log    *slog.Logger

	mu   sync.Mutex // one render at a time
	proc *proc
}

type proc struct {
	lib  string // the salt package's directory, removed with the process
	cmd  *exec.Cmd
	req  *os.File      // our end of fd 3
	resp *bufio.Reader // our end of fd 4
	rf   *os.File
	done chan struct{}
	out  *tail // stdout and stderr, last lines
}

// New returns an interpreter using python (see FindPython); it starts at
// the first render. logger receives what the files print.
func New(python string, logger *slog.Logger) *Interp {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Interp{python: python, log: logger}
}

// tail keeps the last output of the interpreter for error messages and
// logs each line.
type tail struct {
	mu   sync.Mutex
	buf  []string
	log  *slog.Logger
	rest []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rest = append(t.rest, p...)
	for {
		i := bytes.IndexByte(t.rest, '\n')
		if i < 0 {
			break
		}
		line := string(t.rest[:i])
		t.rest = t.rest[i+1:]
		t.log.Info("py renderer output", "line", line)
		t.buf = append(t.buf, line)
		if len(t.buf) > 20 {
			t.buf = t.buf[1:]
		}
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(append(append([]string{}, t.buf...), string(t.rest)), "\n")
}

// writeLib copies the salt package into a new temporary directory.
func writeLib() (string, error) {
	dir, err := os.MkdirTemp("", "brine-pyrender-")
	if err != nil {
		return "", err
	}
	err = fs.WalkDir(lib, "python", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "python" {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "python/")))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := lib.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("write the #!py salt package: %w", err)
	}
	return dir, nil
}

func (p *Interp) start() (*proc, error) {
	libDir, err := writeLib()
	if err != nil {
		return nil, err
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		os.RemoveAll(libDir)
		return nil, err
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		os.RemoveAll(libDir)
		return nil, err
	}
	out := &tail{log: p.log}
	cmd := exec.Command(p.python, "-u", "-c", bootstrap)
	cmd.Env = append(os.Environ(), "BRINE_PYRENDER_LIB="+libDir, "PYTHONDONTWRITEBYTECODE=1")
	cmd.ExtraFiles = []*os.File{reqR, respW}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		reqR.Close()
		reqW.Close()
		respR.Close()
		respW.Close()
		os.RemoveAll(libDir)
		return nil, fmt.Errorf("start %s for #!py: %w", p.python, err)
	}
	reqR.Close()
	respW.Close()
	pr := &proc{lib: libDir, cmd: cmd, req: reqW, resp: bufio.NewReaderSize(respR, 1<<16), rf: respR, done: make(chan struct{}), out: out}
	go func() {
		_ = cmd.Wait()
		close(pr.done)
	}()
	p.log.Debug("py renderer started", "python", p.python, "pid", cmd.Process.Pid)
	return pr, nil
}

// kill stops the interpreter's process group.
func (pr *proc) kill() {
	_ = syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL)
	pr.req.Close()
	<-pr.done
	pr.rf.Close()
	os.RemoveAll(pr.lib)
}

// Close stops the interpreter.
func (p *Interp) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil {
		p.proc.kill()
		p.proc = nil
	}
	return nil
}

type message struct {
	Op        string          `json:"op"`
	Fun       string          `json:"fun,omitempty"`
	Args      json.RawMessage `json:"args,omitempty"`
	Kwargs    json.RawMessage `json:"kwargs,omitempty"`
	Ret       json.RawMessage `json:"ret,omitempty"`
	Error     string          `json:"error,omitempty"`
	Line      int             `json:"line,omitempty"`
	Traceback string          `json:"traceback,omitempty"`
}

// Render runs the #!py file text (named name, for messages) and returns
// what its run() returned: a mapping, in the order Python built it.
func (p *Interp) Render(ctx context.Context, text []byte, name string, v Vars) (*render.Map, error) {
	ret, err := p.Run(ctx, text, name, v)
	if err != nil {
		return nil, err
	}
	switch m := ret.(type) {
	case *render.Map:
		return m, nil
	case nil:
		return nil, &render.Error{File: name, Stage: "py", Msg: "run() returned None, not a mapping"}
	}
	return nil, &render.Error{File: name, Stage: "py", Msg: fmt.Sprintf("run() returned %s, not a mapping", pyType(ret))}
}

// RenderObjects renders a #!pyobjects file, as Salt's pyobjects
// renderer: the file runs top to bottom with the state factories named
// after states (File.managed for "file.managed"; a function no state has
// is an error), include, extend, Map and Salt's shortcuts (salt, pillar,
// grains, mine, config); the states it made are the result. v.Globals
// gives grains, pillar, opts, sls, saltenv; states lists the state
// functions ("file.managed", ...).
func (p *Interp) RenderObjects(ctx context.Context, text []byte, name string, states []string, v Vars) (*render.Map, error) {
	g := map[string]any{}
	for k, val := range v.Globals {
		g[k] = val
	}
	list := make([]any, len(states))
	for i, s := range states {
		list[i] = s
	}
	g["states"] = list
	v.Globals = g
	ret, err := p.exchange(ctx, "pyobjects", text, name, v)
	if err != nil {
		return nil, err
	}
	m, ok := ret.(*render.Map)
	if !ok {
		return nil, &render.Error{File: name, Stage: "pyobjects", Msg: fmt.Sprintf("the registry gave %s, not a mapping", pyType(ret))}
	}
	return m, nil
}

// Check compiles the file without running it: a syntax error fails
// with the file's line, as a render would.
func (p *Interp) Check(ctx context.Context, text []byte, name string) error {
	_, err := p.exchange(ctx, "check", text, name, Vars{})
	return err
}

// Run runs the file and returns run()'s value (mappings as *render.Map).
func (p *Interp) Run(ctx context.Context, text []byte, name string, v Vars) (any, error) {
	return p.exchange(ctx, "render", text, name, v)
}

func (p *Interp) exchange(ctx context.Context, op string, text []byte, name string, v Vars) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		pr, err := p.start()
		if err != nil {
			return nil, err
		}
		p.proc = pr
	}
	pr := p.proc
	source := string(text)
	if IsPy(text) {
		// keep line numbers: the shebang becomes a comment
		source = "#" + source[1:]
	}
	globals := map[string]any{}
	for k, val := range v.Globals {
		globals[k] = val
	}
	req, err := encode(map[string]any{"op": op, "name": name, "source": source, "globals": globals})
	if err != nil {
		return nil, &render.Error{File: name, Stage: "py", Msg: "cannot pass the file's variables to Python: " + err.Error()}
	}
	// A cancelled render kills the interpreter; the next starts afresh.
	stop := context.AfterFunc(ctx, func() { _ = syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL) })
	defer stop()
	fail := func(err error) (any, error) {
		pr.kill()
		p.proc = nil
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: #!py render stopped: %w", name, context.Cause(ctx))
		}
		return nil, fmt.Errorf("%s: the #!py interpreter failed: %v (output: %s)", name, err, strings.TrimSpace(pr.out.String()))
	}
	if _, err := pr.req.Write(append(req, '\n')); err != nil {
		return fail(err)
	}
	for {
		line, err := pr.resp.ReadBytes('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("it exited")
			}
			return fail(err)
		}
		var m message
		if err := json.Unmarshal(line, &m); err != nil {
			return fail(fmt.Errorf("bad message: %v", err))
		}
		switch m.Op {
		case "done":
			val, err := decodeOrdered(m.Ret)
			if err != nil {
				return fail(err)
			}
			return val, nil
		case "fail":
			msg := m.Error
			if m.Traceback != "" {
				msg += "\nTraceback (most recent call last):\n" + m.Traceback
			}
			return nil, &render.Error{File: name, Line: m.Line, Stage: "py", Msg: msg}
		case "has":
			ok := false
			if v.Has != nil {
				ok = v.Has(m.Fun)
			} else {
				ok = v.Salt != nil
			}
			if err := p.reply(pr, map[string]any{"op": "ret", "ret": ok}); err != nil {
				return fail(err)
			}
		case "call":
			out := map[string]any{"op": "ret"}
			res, err := p.call(ctx, v, m)
			if err != nil {
				out = map[string]any{"op": "err", "error": err.Error()}
			} else {
				out["ret"] = res
			}
			if err := p.reply(pr, out); err != nil {
				return fail(err)
			}
		default:
			return fail(fmt.Errorf("unknown message %q", m.Op))
		}
	}
}

func (p *Interp) reply(pr *proc, v map[string]any) error {
	b, err := encode(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"op": "err", "error": "the result cannot be passed to Python: " + err.Error()})
	}
	_, err = pr.req.Write(append(b, '\n'))
	return err
}

// call runs one __salt__ call.
func (p *Interp) call(ctx context.Context, v Vars, m message) (any, error) {
	if v.Salt == nil {
		return nil, fmt.Errorf("'%s' is not available", m.Fun)
	}
	var args []any
	var kwargs map[string]any
	if len(m.Args) > 0 {
		a, err := decodePlain(m.Args)
		if err != nil {
			return nil, err
		}
		args, _ = a.([]any)
	}
	if len(m.Kwargs) > 0 {
		k, err := decodePlain(m.Kwargs)
		if err != nil {
			return nil, err
		}
		kwargs, _ = k.(map[string]any)
	}
	return v.Salt(ctx, m.Fun, args, kwargs)
}

func pyType(v any) string {
	switch v.(type) {
	case string:
		return "a str"
	case []any:
		return "a list"
	case bool:
		return "a bool"
	case int, int64:
		return "an int"
	case float64:
		return "a float"
	}
	return fmt.Sprintf("%T", v)
}
