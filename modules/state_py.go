package modules

import (
	"context"

	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/render"
)

// renderPy renders a #!py SLS file: its run() runs in a Python 3
// interpreter found on the minion, with this run's grains, pillar, opts,
// sls and saltenv, and __salt__ calling the minion's execution functions.
// The interpreter lives for the one file.
func (r *stateRun) renderPy(ctx context.Context, text []byte, name, sls, saltenv string) (*render.Map, error) {
	python, err := pyrender.FindPython()
	if err != nil {
		return nil, &render.Error{File: name, Line: 1, Stage: "render", Msg: err.Error()}
	}
	interp := pyrender.New(python, r.env.logger().With("renderer", "py", "sls", sls))
	defer interp.Close()
	rc := r.renderCtx(ctx, saltenv, sls, nil)
	return interp.Render(ctx, text, name, pyrender.Vars{
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
	})
}
