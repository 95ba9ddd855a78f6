package master

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/reactor"
	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/states"
)

// pyReactor renders #!py reactor files in one warm Python interpreter,
// started at the first such file. Their __salt__ has the reactor
// templates' functions and config.get over the master's options.
type pyReactor struct {
	log    *slog.Logger
	python string // py_interpreter; "": python3 on PATH
	salt   map[string]render.Func

	mu     sync.Mutex
	interp *pyrender.Interp
	err    error
	closed bool
}

func newPyReactor(ctx context.Context, log *slog.Logger, python string, salt map[string]render.Func) *pyReactor {
	p := &pyReactor{log: log, python: python, salt: salt}
	context.AfterFunc(ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.closed = true
		if p.interp != nil {
			_ = p.interp.Close()
		}
	})
	return p
}

// check checks every reactor file the rules name once at start, so that
// mistakes show then rather than at the first event: #!py files are
// compiled (a syntax error, or no Python, stops the start); other files
// go through reactor.CheckFile (a Jinja syntax error, or an error in a
// file that does not depend on the event, stops the start; what fails
// only with the placeholder event is logged). A file that cannot be read
// is left to the event that needs it.
func (p *pyReactor) check(ctx context.Context, rules []reactor.Rule, cfg reactor.Config) error {
	seen := map[string]bool{}
	for _, r := range rules {
		for _, file := range r.Files {
			if seen[file] {
				continue
			}
			seen[file] = true
			text, err := cfg.Loader.Read(ctx, file)
			if err != nil {
				p.log.Warn("reactor file cannot be read; it is read again at each event", "file", file, "err", err)
				continue
			}
			if !pyrender.IsPy(text) {
				yamlWarn, renderWarn, err := reactor.CheckFile(ctx, cfg, r.Pattern, file, text)
				switch {
				case err != nil:
					return err
				case yamlWarn != nil:
					p.log.Warn("reactor file fails with a placeholder event (tag "+reactor.PlaceholderTag(r.Pattern)+"); check it", "file", file, "err", yamlWarn)
				case renderWarn != nil:
					p.log.Info("reactor file checked for syntax only: it does not render with a placeholder event", "file", file, "err", renderWarn)
				}
				continue
			}
			interp, err := p.interpreter(file)
			if err != nil {
				return err
			}
			if err := interp.Check(ctx, text, file); err != nil {
				return err
			}
		}
	}
	return nil
}

// interpreter returns the warm interpreter, made at the first call.
func (p *pyReactor) interpreter(file string) (*pyrender.Interp, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interp == nil && p.err == nil {
		if python, err := pyrender.Python(p.python); err != nil {
			p.err = err
		} else {
			p.interp = pyrender.New(python, p.log.With("renderer", "py"))
		}
	}
	switch {
	case p.err != nil:
		return nil, &render.Error{File: file, Line: 1, Stage: "render", Msg: p.err.Error()}
	case p.closed:
		return nil, fmt.Errorf("%s: the master is stopping", file)
	}
	return p.interp, nil
}

func (p *pyReactor) render(ctx context.Context, text []byte, file string, globals map[string]any) (*render.Map, error) {
	interp, err := p.interpreter(file)
	if err != nil {
		return nil, err
	}
	opts, _ := globals["opts"].(map[string]any)
	return interp.Render(ctx, text, file, pyrender.Vars{
		Globals: globals,
		Has: func(fun string) bool {
			_, ok := p.salt[fun]
			return ok || fun == "config.get"
		},
		Salt: func(ctx context.Context, fun string, args []any, kwargs map[string]any) (any, error) {
			if fun == "config.get" {
				return optsGet(opts, args, kwargs)
			}
			f, ok := p.salt[fun]
			if !ok {
				return nil, fmt.Errorf("'%s' is not available", fun)
			}
			return f(args, kwargs)
		},
	})
}

// optsGet is config.get over opts: key, default (""), delimiter (":").
func optsGet(opts map[string]any, args []any, kwargs map[string]any) (any, error) {
	p := map[string]any{"default": "", "delimiter": ":"}
	for i, n := range []string{"key", "default", "delimiter"} {
		if i < len(args) {
			p[n] = args[i]
		} else if v, ok := kwargs[n]; ok {
			p[n] = v
		}
	}
	key, ok := p["key"].(string)
	if !ok {
		return nil, fmt.Errorf("config.get needs a key")
	}
	delim, _ := p["delimiter"].(string)
	if delim == "" {
		delim = ":"
	}
	if v, ok := opts[key]; ok && !strings.Contains(key, delim) {
		return v, nil
	}
	if v, ok := grains.Traverse(opts, key, delim); ok {
		return v, nil
	}
	return p["default"], nil
}

// renderPy renders a #!py (or #!pyobjects) orchestration SLS: run() with the
// orchestration's pillar and opts, __salt__ holding its salt[...]
// functions (saltutil.cmd, saltutil.runner, mine.get, ...). The
// interpreter lives for the one file.
func (s *orchSource) renderPy(ctx context.Context, text []byte, name, sls, saltenv string) (*render.Map, error) {
	python, err := pyrender.Python(s.python)
	if err != nil {
		return nil, &render.Error{File: name, Line: 1, Stage: "render", Msg: err.Error()}
	}
	interp := pyrender.New(python, nil)
	defer interp.Close()
	funcs := s.funcs(ctx)
	opts := map[string]any{"id": orchID, "test": s.test}
	run := interp.Render
	if pyrender.IsPyobjects(text) {
		run = func(ctx context.Context, text []byte, name string, v pyrender.Vars) (*render.Map, error) {
			return interp.RenderObjects(ctx, text, name, states.Names(), v)
		}
	}
	return run(ctx, text, name, pyrender.Vars{
		Globals: map[string]any{"pillar": s.pillar, "grains": map[string]any{}, "opts": opts, "sls": sls, "saltenv": saltenv},
		Has: func(fun string) bool {
			_, ok := funcs[fun]
			return ok || fun == "config.get"
		},
		Salt: func(ctx context.Context, fun string, args []any, kwargs map[string]any) (any, error) {
			if fun == "config.get" {
				return optsGet(opts, args, kwargs)
			}
			f, ok := funcs[fun]
			if !ok || f == nil {
				return nil, fmt.Errorf("'%s' is not available", fun)
			}
			return f(args, kwargs)
		},
	})
}
