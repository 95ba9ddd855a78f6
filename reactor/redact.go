package reactor

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/brine-cm/brine/render"
)

// redactArgs is what a result event shows of positional arguments: a
// count for functions whose arguments are commands or secrets (as the
// master's job events do), "pillar=<redacted>" for a positional pillar.
func redactArgs(fun string, arg []any) any {
	switch fun {
	case "cmd.run", "cmd.run_all", "cmd.retcode", "cmd.script", "grains.setval":
		if len(arg) > 0 {
			return fmt.Sprintf("<%d args>", len(arg))
		}
	}
	out := make([]any, len(arg))
	for i, a := range arg {
		switch x := a.(type) {
		case string:
			if strings.HasPrefix(strings.TrimSpace(x), "pillar=") {
				out[i] = "pillar=<redacted>"
				continue
			}
		case map[string]any:
			if _, ok := x["pillar"]; ok {
				out[i] = redactKwarg(x)
				continue
			}
		}
		out[i] = a
	}
	return out
}

// redactKwarg copies kw with pillar replaced by its sorted top-level keys.
func redactKwarg(kw map[string]any) map[string]any {
	out := make(map[string]any, len(kw))
	for k, v := range kw {
		out[k] = v
	}
	if p, ok := out["pillar"]; ok {
		out["pillar"] = pillarKeys(p)
	}
	return out
}

func pillarKeys(p any) any {
	switch x := p.(type) {
	case nil:
		return nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	case *render.Map:
		keys := slices.Clone(x.Keys)
		slices.Sort(keys)
		return keys
	}
	return "<redacted>"
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
