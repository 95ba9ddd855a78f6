package modules

import (
	"context"

	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/states"
)

// renderPy renders a #!py SLS file: its run() runs in a Python 3
// interpreter found on the minion, with this run's grains, pillar, opts,
// sls and saltenv, and __salt__ calling the minion's execution functions.
// The interpreter lives for the one file.
func (r *stateRun) renderPy(ctx context.Context, text []byte, name, sls, saltenv string) (*render.Map, error) {
	python, err := r.python()
	if err != nil {
		return nil, &render.Error{File: name, Line: 1, Stage: "render", Msg: err.Error()}
	}
	interp := pyrender.New(python, r.env.logger().With("renderer", "py", "sls", sls))
	defer interp.Close()
	return interp.Render(ctx, text, name, r.pyVars(ctx, sls, saltenv))
}

// renderPyobjects renders a #!pyobjects SLS file as Salt's pyobjects
// renderer does: the file runs with a factory per state module (File,
// Pkg, Service, ...; their functions are the minion's states), include,
// extend, Map, and Salt's shortcuts; the states it made are the data.
func (r *stateRun) renderPyobjects(ctx context.Context, text []byte, name, sls, saltenv string) (*render.Map, error) {
	python, err := r.python()
	if err != nil {
		return nil, &render.Error{File: name, Line: 1, Stage: "render", Msg: err.Error()}
	}
	interp := pyrender.New(python, r.env.logger().With("renderer", "pyobjects", "sls", sls))
	defer interp.Close()
	return interp.RenderObjects(ctx, text, name, states.Names(), r.pyVars(ctx, sls, saltenv))
}

// python is the interpreter of #!py and #!pyobjects files: the minion's
// py_interpreter, else python3 on PATH.
func (r *stateRun) python() (string, error) {
	configured := ""
	if r.env != nil {
		configured, _ = r.env.Opts["py_interpreter"].(string)
	}
	return pyrender.Python(configured)
}

// pyVars is what #!py and #!pyobjects files see of this run.
func (r *stateRun) pyVars(ctx context.Context, sls, saltenv string) pyrender.Vars {
	rc := r.renderCtx(ctx, saltenv, sls, nil)
	return pyrender.Vars{
		Globals: map[string]any{"grains": rc.Grains, "pillar": rc.Pillar, "opts": rc.Opts, "sls": sls, "saltenv": saltenv},
		Has: func(fun string) bool {
			_, ok := rc.Salt[fun]
			return ok
		},
		Salt: func(ctx context.Context, fun string, args []any, kwargs map[string]any) (any, error) {
			f, ok := rc.Salt[fun]
			if !ok {
				return nil, execErr("'%s' is not available", fun)
			}
			return f(args, kwargs)
		},
	}
}
