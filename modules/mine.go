package modules

import (
	"context"
	"fmt"
	"sort"
)

func init() {
	Register("mine.update", `Run the mine_functions (minion config, then pillar) and send the results to the master, replacing this minion's mine data.

CLI Example:

    ctl '*' mine.update`, mineUpdate)
	Register("mine.get", `Return fun's mine data of the minions tgt matches: a map of minion id to value. tgt_type (or the older expr_form) says how tgt is read (glob, grain, compound, ...).

CLI Example:

    ctl '*' mine.get 'web*' network.ip_addrs`, mineGet)
	Register("mine.send", `Run one function and add its result to this minion's mine data.

CLI Example:

    ctl '*' mine.send network.ip_addrs eth0`, mineSend)
	Register("mine.delete", `Remove one function's data from this minion's mine.

CLI Example:

    ctl '*' mine.delete network.ip_addrs`, mineDelete)
	Register("mine.flush", `Remove all of this minion's mine data.

CLI Example:

    ctl '*' mine.flush`, mineFlush)
}

// mineSpec is one mine_functions entry resolved: the function to run and
// its arguments.
type mineSpec struct {
	fun    string
	args   []any
	kwargs map[string]any
}

// parseMineFunction reads a mine_functions entry in any of Salt's forms:
// "fun: [args]", "fun: {kwargs}", "fun: null", or an alias
// "name: [{mine_function: fun}, arg, {kw: v}]".
func parseMineFunction(name string, v any) (mineSpec, error) {
	s := mineSpec{fun: name}
	switch x := v.(type) {
	case nil:
	case []any:
		for _, it := range x {
			if m, ok := it.(map[string]any); ok {
				for k, val := range m {
					if k == "mine_function" {
						f, ok := val.(string)
						if !ok {
							return s, fmt.Errorf("mine_functions %s: mine_function must be a function name", name)
						}
						s.fun = f
						continue
					}
					if s.kwargs == nil {
						s.kwargs = map[string]any{}
					}
					s.kwargs[k] = val
				}
				continue
			}
			s.args = append(s.args, it)
		}
	case map[string]any:
		for k, val := range x {
			if k == "mine_function" {
				f, _ := val.(string)
				s.fun = f
				continue
			}
			if s.kwargs == nil {
				s.kwargs = map[string]any{}
			}
			s.kwargs[k] = val
		}
	default:
		s.args = []any{x}
	}
	if _, ok := Lookup(s.fun); !ok {
		return s, fmt.Errorf("mine_functions %s: function %q is not available", name, s.fun)
	}
	return s, nil
}

// mineFunctions merges the config's and pillar's mine_functions.
func mineFunctions(ctx context.Context, env *Env) map[string]any {
	all := map[string]any{}
	for k, v := range env.MineFunctions {
		all[k] = v
	}
	if env.Master != nil {
		if p, err := env.Master.Pillar(ctx, false); err == nil {
			if mf, ok := p["mine_functions"].(map[string]any); ok {
				for k, v := range mf {
					all[k] = v
				}
			}
		}
	}
	return all
}

func runMine(ctx context.Context, env *Env, name string, v any) (any, error) {
	s, err := parseMineFunction(name, v)
	if err != nil {
		return nil, err
	}
	f, _ := Lookup(s.fun)
	out, err := f.Fn(ctx, env, Call{Args: s.args, Kwargs: s.kwargs})
	if err != nil {
		return nil, fmt.Errorf("mine function %s: %w", name, err)
	}
	val, _ := SplitRet(out)
	return val, nil
}

func mineUpdate(ctx context.Context, env *Env, _ Call) (any, error) {
	if err := needMaster(env, "mine.update"); err != nil {
		return nil, err
	}
	fns := mineFunctions(ctx, env)
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	sort.Strings(names)
	data := map[string]any{}
	var failed []string
	for _, n := range names {
		v, err := runMine(ctx, env, n, fns[n])
		if err != nil {
			env.logger().Warn("mine function failed", "name", n, "err", err)
			failed = append(failed, err.Error())
			continue
		}
		data[n] = v
	}
	if err := env.Master.MineUpdate(ctx, data, true, nil); err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		return Ret{Value: failed, Retcode: 1}, nil
	}
	return true, nil
}

func mineGet(ctx context.Context, env *Env, c Call) (any, error) {
	tgt, err := c.String(0, "tgt", nil)
	if err != nil {
		return nil, err
	}
	fun, err := c.String(1, "fun", nil)
	if err != nil {
		return nil, err
	}
	glob := "glob"
	tt, err := c.String(2, "tgt_type", &glob)
	if err != nil {
		return nil, err
	}
	if ef, ok := c.Kwargs["expr_form"].(string); ok && !c.Has(2, "tgt_type") {
		tt = ef
	}
	if err := needMaster(env, "mine.get"); err != nil {
		return nil, err
	}
	return env.Master.MineGet(ctx, tgt, tt, fun)
}

func mineSend(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := c.String(0, "name", nil)
	if err != nil {
		return nil, err
	}
	if err := needMaster(env, "mine.send"); err != nil {
		return nil, err
	}
	spec := any(c.Args[1:])
	if len(c.Kwargs) > 0 {
		list := append([]any{}, c.Args[1:]...)
		kw := map[string]any{}
		for k, v := range c.Kwargs {
			if k != "name" {
				kw[k] = v
			}
		}
		spec = append(list, kw)
	}
	v, err := runMine(ctx, env, name, spec)
	if err != nil {
		return nil, err
	}
	if err := env.Master.MineUpdate(ctx, map[string]any{name: v}, false, nil); err != nil {
		return nil, err
	}
	return true, nil
}

func mineDelete(ctx context.Context, env *Env, c Call) (any, error) {
	fun, err := c.String(0, "fun", nil)
	if err != nil {
		return nil, err
	}
	if err := needMaster(env, "mine.delete"); err != nil {
		return nil, err
	}
	if err := env.Master.MineUpdate(ctx, nil, false, []string{fun}); err != nil {
		return nil, err
	}
	return true, nil
}

func mineFlush(ctx context.Context, env *Env, _ Call) (any, error) {
	if err := needMaster(env, "mine.flush"); err != nil {
		return nil, err
	}
	if err := env.Master.MineUpdate(ctx, nil, true, nil); err != nil {
		return nil, err
	}
	return true, nil
}
