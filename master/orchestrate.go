package master

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/brine-cm/brine/highstate"
	"github.com/brine-cm/brine/pillar"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/reactor"
	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/runners"
	"github.com/brine-cm/brine/states"
)

// The orchestrate runner: `ctl run state.orchestrate orch.deploy
// pillar='{...}' [saltenv=base] [test=True]` compiles an SLS from the
// master's file_roots and runs it here, on the master, with Salt's state
// compiler. Its salt.function, salt.state, salt.runner and salt.wheel
// states reach the minions and the master through orchestrator, which
// implements states.Orchestrator with the master's own paths: jobs via
// publish, runners and wheel functions via their registries (package
// runners).

const (
	// orchID is the id the master has in an orchestration (opts.id, the
	// key of its result).
	orchID = "master"
	// orchTimeout is how long a step waits for minions that never report
	// the job running, when it gives no timeout.
	orchTimeout = 10 * time.Second
	// orchMaxDepth bounds orchestrations started from orchestrations
	// (salt.runner: state.orchestrate).
	orchMaxDepth = 8
)

type orchDepthKey struct{}

// orchestrator is states.Orchestrator for an orchestration the master
// runs for user.
type orchestrator struct {
	m    *Master
	user string
}

func (o orchestrator) Targets(_ context.Context, tgt, tgtType string) ([]string, error) {
	ids, err := o.m.fleet.match(proto.Target{Expr: tgt, Type: tgtType}, o.m.pillars.get)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadTarget, "%v", err)
	}
	return ids, nil
}

func (o orchestrator) Local(ctx context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any, timeout time.Duration) (map[string]states.OrchReturn, []string, error) {
	if !funRe.MatchString(fun) {
		return nil, nil, proto.Errorf(proto.ErrUnknownFunction, "%q is not a function name (module.function)", fun)
	}
	if timeout <= 0 {
		timeout = orchTimeout
	}
	rec, rets, err := o.m.runSync(ctx, proto.Target{Expr: tgt, Type: tgtType}, fun, arg, kwarg, o.user, timeout)
	if err != nil {
		var pe *proto.Error
		if errors.As(err, &pe) && pe.Kind == proto.ErrNoMinions {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	out := make(map[string]states.OrchReturn, len(rets))
	var missing []string
	for _, id := range rec.Minions {
		r, ok := rets[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		or := states.OrchReturn{JID: rec.JID, Return: r.Return, Retcode: r.Retcode}
		if r.Error != nil {
			or.Error = r.Error.Message
		}
		if !r.Success && or.Retcode == 0 {
			or.Retcode = 1
		}
		out[id] = or
	}
	return out, missing, nil
}

func (o orchestrator) Runner(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	return apiBackend{o.m}.Runner(ctx, o.user, fun, arg, kwarg)
}

func (o orchestrator) Wheel(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	return apiBackend{o.m}.Wheel(ctx, o.user, fun, arg, kwarg)
}

// orchSource loads orchestration SLS files from the master's file_roots
// and renders them with the orchestration's pillar and salt functions.
type orchSource struct {
	roots  pillar.Roots
	o      states.Orchestrator
	pillar map[string]any
	test   bool
	// opts are the master's custom options (templates' opts).
	opts map[string]any
	// mineGet is salt['mine.get'].
	mineGet render.Func
}

// Load implements highstate.Source: sls "a.b" is a/b.sls or a/b/init.sls
// under saltenv's file_roots.
func (s *orchSource) Load(ctx context.Context, sls, saltenv string) (*render.Map, string, error) {
	l := pillar.Loader{Dirs: s.roots[saltenv]}
	base := strings.ReplaceAll(sls, ".", "/")
	for _, p := range []string{base + ".sls", base + "/init.sls"} {
		text, err := l.Read(ctx, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, p, err
		}
		if pyrender.IsPy(text) {
			data, err := s.renderPy(ctx, text, p, sls, saltenv)
			return data, p, err
		}
		data, err := render.SLS(ctx, text, p, &render.Context{
			Grains:  map[string]any{},
			Pillar:  s.pillar,
			Opts:    withFixed(s.opts, map[string]any{"id": orchID, "test": s.test}),
			Saltenv: saltenv,
			SLS:     sls,
			Salt:    s.funcs(ctx),
			Loader:  l,
		})
		return data, p, err
	}
	return nil, "", fmt.Errorf("no matching sls found for '%s' in env '%s': %w", sls, saltenv, fs.ErrNotExist)
}

// funcs are the salt[...] functions of orchestration templates, beside
// the renderer's own (pillar.get, grains.get, config.get, ...).
func (s *orchSource) funcs(ctx context.Context) map[string]render.Func {
	return map[string]render.Func{
		"saltutil.cmd":    func(args []any, kw map[string]any) (any, error) { return s.saltutilCmd(ctx, args, kw) },
		"saltutil.runner": func(args []any, kw map[string]any) (any, error) { return s.masterFun(ctx, "runner", args, kw) },
		"saltutil.wheel":  func(args []any, kw map[string]any) (any, error) { return s.masterFun(ctx, "wheel", args, kw) },
		"mine.get":        s.mineGet,
	}
}

// saltutilCmd is salt['saltutil.cmd'](tgt, fun, arg=(), timeout=None,
// tgt_type='glob', kwarg=None): it runs fun on the minions and
// returns {id: {"ret": return, "retcode": n, "jid": jid, "out":
// "nested"}} for those that returned, as Salt does.
func (s *orchSource) saltutilCmd(ctx context.Context, args []any, kw map[string]any) (any, error) {
	names := []string{"tgt", "fun", "arg", "timeout", "tgt_type", "ret", "kwarg"}
	p := map[string]any{}
	for k, v := range kw {
		p[k] = v
	}
	if len(args) > len(names) {
		return nil, fmt.Errorf("saltutil.cmd takes at most %d positional arguments", len(names))
	}
	for i, a := range args {
		if _, dup := kw[names[i]]; dup {
			return nil, fmt.Errorf("saltutil.cmd got multiple values for argument '%s'", names[i])
		}
		p[names[i]] = a
	}
	tgt, ok1 := p["tgt"].(string)
	fun, ok2 := p["fun"].(string)
	if !ok1 || !ok2 || tgt == "" || fun == "" {
		return nil, fmt.Errorf("saltutil.cmd needs a target and a function: saltutil.cmd(tgt, fun, arg=[...])")
	}
	var arg []any
	switch v := p["arg"].(type) {
	case nil:
	case []any:
		arg = v
	default:
		arg = []any{v}
	}
	var kwarg map[string]any
	if v, ok := p["kwarg"].(map[string]any); ok {
		kwarg = v
	} else if p["kwarg"] != nil {
		return nil, fmt.Errorf("saltutil.cmd: kwarg must be a mapping")
	}
	tt, _ := p["tgt_type"].(string)
	if tt == "" {
		tt = "glob"
	}
	var timeout time.Duration
	switch v := p["timeout"].(type) {
	case int:
		timeout = time.Duration(v) * time.Second
	case int64:
		timeout = time.Duration(v) * time.Second
	case float64:
		timeout = time.Duration(v * float64(time.Second))
	}
	rets, _, err := s.o.Local(ctx, tgt, tt, fun, arg, kwarg, timeout)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(rets))
	ids := make([]string, 0, len(rets))
	for id := range rets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := rets[id]
		// A function the minion does not have, or one that raised, is an
		// error of the render (as a missing module is in Salt), never a
		// truthy "ERROR: ..." string a guard would take for a match.
		if r.Error != "" {
			return nil, fmt.Errorf("%s on minion %s failed: %s", fun, id, r.Error)
		}
		out[id] = map[string]any{"ret": r.Return, "retcode": r.Retcode, "jid": r.JID, "out": "nested"}
	}
	return out, nil
}

// masterFun is salt['saltutil.runner'](name, arg=None, kwarg=None,
// **kwargs) and salt['saltutil.wheel'](name, *args, **kwargs).
func (s *orchSource) masterFun(ctx context.Context, kind string, args []any, kw map[string]any) (any, error) {
	name, _ := kw["name"].(string)
	if len(args) > 0 {
		name, _ = args[0].(string)
		args = args[1:]
	}
	if name == "" {
		return nil, fmt.Errorf("saltutil.%s needs the function's name", kind)
	}
	kwarg := map[string]any{}
	var arg []any
	if kind == "wheel" {
		arg = args
	} else if v, ok := kw["arg"].([]any); ok {
		arg = v
	}
	if v, ok := kw["kwarg"].(map[string]any); ok {
		for k, e := range v {
			kwarg[k] = e
		}
	}
	for k, v := range kw {
		if k != "name" && k != "arg" && k != "kwarg" {
			kwarg[k] = v
		}
	}
	if kind == "wheel" {
		return s.o.Wheel(ctx, name, arg, kwarg)
	}
	return s.o.Runner(ctx, name, arg, kwarg)
}

// orchestrateRun runs an orchestration for the state.orchestrate runner
// (package runners, which reads its arguments). It returns the state
// returns (or the compile errors) keyed by orchID and Salt's retcode, 1
// when a state failed or the SLS did not compile.
func (m *Master) orchestrateRun(ctx context.Context, ro runners.Orchestration) (map[string]any, int, error) {
	names, saltenv, test := ro.Mods, ro.Saltenv, ro.Test
	if _, ok := m.cfg.FileRoots[saltenv]; !ok {
		return nil, 0, proto.Errorf(proto.ErrBadArgument, "state.orchestrate: saltenv %q is not in the master's file_roots", saltenv)
	}
	// the master's own pillar, as Salt's master minion has it: what the
	// pillar top assigns to the orchestration's id (from one pillar
	// environment with pillarenv=), with pillar= merged over it
	comp := m.pillarCompiler()
	comp.Pillarenv = ro.Pillarenv
	ordered, err := comp.CompileOrdered(ctx, pillar.Minion{ID: orchID, Grains: map[string]any{}})
	if err != nil {
		return nil, 0, proto.Errorf(proto.ErrExecution, "state.orchestrate: %v", err)
	}
	pil := ordered.ToPlain()
	renderPil := ordered.Values // templates see the pillar files' order
	if len(ro.Pillar) > 0 {
		pillar.Merge(pil, ro.Pillar)
		renderPil = pil
	}
	depth, _ := ctx.Value(orchDepthKey{}).(int)
	if depth >= orchMaxDepth {
		return nil, 0, proto.Errorf(proto.ErrExecution, "state.orchestrate: orchestrations nested more than %d deep", orchMaxDepth)
	}
	ctx = context.WithValue(ctx, orchDepthKey{}, depth+1)

	user := ro.User
	if user == "" {
		user = "orchestrate"
	}
	jid := proto.NewJID(time.Now())
	log := m.log.With("component", "orchestrate", "jid", jid)
	orch := orchestrator{m: m, user: user}
	src := &orchSource{roots: pillar.Roots(m.cfg.FileRoots), o: orch, pillar: renderPil, test: test, opts: m.cfg.Options, mineGet: m.templateMineGet}
	env := &states.Env{
		ID: orchID, Grains: map[string]any{}, Pillar: pil, Saltenv: saltenv,
		Logger: log, Orchestrator: orch, Opts: m.cfg.Options,
	}
	o := highstate.Options{Test: test, Saltenv: saltenv, Source: src, Env: env, Logger: log}
	event := func(data map[string]any) map[string]any {
		data["fun"], data["jid"], data["user"] = "runner.state.orchestrate", jid, user
		if d := reactor.DepthFrom(ctx); d > 0 {
			data[reactor.DepthKey] = d
		}
		return data
	}
	m.fire("salt/run/"+jid+"/new", event(map[string]any{"fun_args": []any{strings.Join(names, ",")}}))
	log.Info("orchestration started", "mods", names, "saltenv", saltenv, "test", test, "user", user)

	data, retcode := orchestrate(ctx, o, names)
	log.Info("orchestration finished", "mods", names, "retcode", retcode)
	m.fire("salt/run/"+jid+"/ret", event(map[string]any{"success": retcode == 0, "retcode": retcode}))
	return map[string]any{orchID: data}, retcode, nil
}

// orchestrate compiles names and runs them: it returns the state
// returns (or the compile errors) and Salt's retcode, 1 when a state
// failed or the SLS did not compile.
func orchestrate(ctx context.Context, o highstate.Options, names []string) (any, int) {
	plan, err := highstate.Compile(ctx, o, names)
	if err != nil {
		var lines []string
		for _, l := range strings.Split(err.Error(), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		return lines, 1
	}
	res := plan.Run(ctx, o)
	retcode := 0
	for _, r := range res {
		if r.Result != nil && !*r.Result {
			retcode = 1
		}
	}
	return res, retcode
}
