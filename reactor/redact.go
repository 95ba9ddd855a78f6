package reactor

import (
	"fmt"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/brine-cm/brine/modules"
)

// secrets says which of r's arguments a result event may not show: for
// local and caller reactions what the execution function's module
// declares (modules.Register; an unknown function shows none of its
// arguments); runner and wheel functions are not execution modules and
// follow only the rule that holds for every function, pillar= is secret.
func (r *Reaction) secrets() modules.Secrets {
	if t, ok := lookupType(r.Type); ok && t.OnMinions {
		return modules.SecretsOf(r.Fun)
	}
	return modules.Secrets{}
}

// redactArgs is what a result event shows of r's positional arguments.
func redactArgs(r *Reaction) any { return r.secrets().RedactArgs(r.Arg) }

// redactKwarg is what a result event shows of r's keyword arguments:
// pillar as its sorted top-level keys, other secret ones replaced.
func redactKwarg(r *Reaction) map[string]any {
	kw := r.secrets().RedactKwargs(r.Kwarg)
	if kw == nil {
		kw = map[string]any{}
	}
	return kw
}

// redactResult hides the results of functions that return pillar data.
func redactResult(fun string, res any) any {
	if strings.HasPrefix(fun, "pillar.") || strings.HasPrefix(fun, "pillar_roots.") {
		return "<redacted>"
	}
	return res
}

// maxConds bounds the compiled-condition cache; it is emptied when full.
const maxConds = 512

// condCache compiles if: expressions once.
type condCache struct {
	mu    sync.Mutex
	progs map[string]*vm.Program
}

func newCondCache() *condCache { return &condCache{progs: map[string]*vm.Program{}} }

// condEnv types the variables an if: expression sees.
var condEnv = map[string]any{"tag": "", "data": map[string]any{}}

// eval evaluates the boolean expression src over tag and data.
func (c *condCache) eval(src, tag string, data map[string]any) (bool, error) {
	c.mu.Lock()
	prog, ok := c.progs[src]
	c.mu.Unlock()
	if !ok {
		p, err := expr.Compile(src, expr.Env(condEnv), expr.AsBool())
		if err != nil {
			return false, err
		}
		prog = p
		c.mu.Lock()
		if len(c.progs) >= maxConds {
			clear(c.progs)
		}
		c.progs[src] = prog
		c.mu.Unlock()
	}
	out, err := expr.Run(prog, map[string]any{"tag": tag, "data": data})
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%q is %T, not a boolean", src, out)
	}
	return b, nil
}
