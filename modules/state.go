package modules

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/highstate"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/states"
)

func init() {
	Register("state.apply", `Apply states: with no SLS names the highstate (what the top file assigns to this minion), else the named SLS (comma-separated or a list). test=True reports what would change and changes nothing; pillar='{...}' adds pillar data for this run; saltenv selects the environment.

CLI Example:

    ctl '*' state.apply web,db test=True`, stateApply)
	Register("state.sls", `Apply the named SLS (comma-separated or a list); test=True, pillar= and saltenv= as for state.apply.

CLI Example:

    ctl '*' state.sls nginx`, stateSLS)
	Register("state.highstate", `Apply the highstate: every SLS the top file assigns to this minion; test=True and pillar= as for state.apply.

CLI Example:

    ctl '*' state.highstate`, stateHighstate)
	Register("state.single", `Apply one state given on the command line: the function, the name, then its arguments as key=value.

CLI Example:

    ctl '*' state.single file.managed /tmp/hello contents='hi' test=True`, stateSingle)
	Register("state.show_sls", `Render and compile the named SLS and return their high data as Salt's state.show_sls does (ID -> {module: [function, {argument: value}...], __sls__, __env__}), without running anything.

CLI Example:

    ctl '*' state.show_sls nginx`, stateShowSLS)
	Register("state.show_highstate", `Render and compile the highstate and return its high data as Salt's state.show_highstate does (extend and requisite_in applied), without running anything.

CLI Example:

    ctl '*' state.show_highstate`, stateShowHighstate)
	Register("state.show_top", `Return the SLS names the top file assigns to this minion, per saltenv.

CLI Example:

    ctl '*' state.show_top`, stateShowTop)
	Register("state.show_low_sls", `Render and compile the named SLS and return Salt's low chunks (one per state function and name, requisites as written, in Salt's order), without running anything.

CLI Example:

    ctl '*' state.show_low_sls nginx`, stateShowLowSLS)
	Register("state.show_lowstate", `Render and compile the highstate and return Salt's low chunks, without running anything.

CLI Example:

    ctl '*' state.show_lowstate`, stateShowLowstate)
}

// stateRun is one state.* call's setting: pillar, saltenv, test mode.
type stateRun struct {
	env     *Env
	test    bool
	saltenv string
	pillar  map[string]any
	// renderPillar is what templates see: pillar with its mappings in
	// file order when the master connection provides it
	renderPillar map[string]any
	grains       map[string]any
	pillarenv    string
	files        *runFiles
	// cache shares the lexing of template texts between the run's
	// renders (500 states rendering one template lex it once)
	cache *render.Cache
	// saltFns is salt[...] for the run's templates, built once: every
	// state's render used to rebuild it from the whole registry.
	saltOnce sync.Once
	saltFns  map[string]render.Func
	// renderMu guards renderCtxt, the context of the render in progress,
	// under which salt[...] calls run, and optsBy, opts per saltenv
	// (renders copy what they are given: one map serves the run)
	renderMu   sync.Mutex
	renderCtxt context.Context
	optsBy     map[string]map[string]any
}

// runFiles asks the master about each salt:// file once per run: five
// hundred states with the same template source make one round trip, not
// five hundred. A file changed on the master during a run is picked up by
// the next run.
type runFiles struct {
	FileClient
	mu     sync.Mutex
	cached map[string]string
	// local is the local paths Cache returned for salt:// URLs, and
	// contents what ReadCached read of them (up to maxRunContents bytes
	// in all)
	local    map[string]bool
	contents map[string][]byte
	size     int
}

// maxRunContents bounds the file contents a run keeps.
const maxRunContents = 64 << 20

// ReadCached implements states.CachedFileReader: the content of a file
// the master served, read once per run (the minion's cache file of a
// salt:// URL does not change during the run: runFiles asks once).
func (f *runFiles) ReadCached(local string) ([]byte, error) {
	f.mu.Lock()
	data, ok := f.contents[local]
	served := f.local[local]
	f.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := os.ReadFile(local)
	if err != nil || !served {
		return data, err
	}
	f.mu.Lock()
	if f.size+len(data) <= maxRunContents {
		if f.contents == nil {
			f.contents = map[string][]byte{}
		}
		f.contents[local] = data
		f.size += len(data)
	}
	f.mu.Unlock()
	return data, nil
}

func (f *runFiles) Cache(ctx context.Context, url, saltenv string) (string, error) {
	key := saltenv + "\x00" + url
	f.mu.Lock()
	local, ok := f.cached[key]
	f.mu.Unlock()
	if ok {
		return local, nil
	}
	local, err := f.FileClient.Cache(ctx, url, saltenv)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.cached[key] = local
	if strings.HasPrefix(url, "salt://") {
		if f.local == nil {
			f.local = map[string]bool{}
		}
		f.local[local] = true
	}
	f.mu.Unlock()
	return local, nil
}

func newStateRun(ctx context.Context, env *Env, c Call, fun string) (*stateRun, error) {
	if env.Master == nil || env.Files == nil {
		return nil, proto.Errorf(proto.ErrExecution, "%s needs a master", fun)
	}
	r := &stateRun{env: env, saltenv: "base", files: &runFiles{FileClient: env.Files, cached: map[string]string{}}, cache: render.NewCache()}
	if c.Has(-1, "test") {
		t, err := c.Bool(-1, "test", nil)
		if err != nil {
			return nil, err
		}
		r.test = t
	}
	if s, ok := c.Kwargs["saltenv"].(string); ok && s != "" {
		r.saltenv = s
	} else if fun == "state.sls" && len(c.Args) > 1 {
		// Salt's state.sls(mods, saltenv) positional form.
		if s, ok := c.Args[1].(string); ok && s != "" {
			r.saltenv = s
		}
	}
	pillarenv, _ := c.Kwargs["pillarenv"].(string)
	if v, ok := c.Kwargs["pillarenv"]; ok && v != nil && pillarenv == "" {
		return nil, proto.Errorf(proto.ErrBadArgument, "%s: pillarenv must be the name of a pillar environment", fun)
	}
	if pillarenv != "" {
		pe, ok := env.Master.(PillarenvSource)
		if !ok {
			return nil, proto.Errorf(proto.ErrExecution, "%s: pillarenv is not available on this master connection", fun)
		}
		p, ordered, err := pe.PillarEnv(ctx, pillarenv)
		if err != nil {
			return nil, proto.Errorf(proto.ErrExecution, "Pillar failed to render: %v", err)
		}
		r.pillar, r.renderPillar, r.pillarenv = grains.Copy(p), ordered, pillarenv
	} else {
		p, err := env.Master.Pillar(ctx, true)
		if err != nil {
			return nil, proto.Errorf(proto.ErrExecution, "Pillar failed to render: %v", err)
		}
		r.pillar = grains.Copy(p)
		r.renderPillar = r.pillar
	}
	if op, ok := env.Master.(OrderedPillarSource); ok && pillarenv == "" {
		// templates see pillar mappings in file order, as in Salt
		if o, err := op.OrderedPillar(ctx, false); err == nil && o != nil {
			r.renderPillar = o
		}
	}
	if over, ok := c.Kwargs["pillar"]; ok && over != nil {
		m, ok := over.(map[string]any)
		if !ok {
			return nil, proto.Errorf(proto.ErrBadArgument, "%s: pillar must be a mapping, e.g. pillar='{\"key\": \"value\"}'", fun)
		}
		grains.Merge(r.pillar, m)
		r.renderPillar = r.pillar // an override merges into the plain pillar
	}
	r.grains = env.Grains.Items()
	return r, nil
}

// salt is the salt[...] function table for templates: every execution
// module, called on this minion.
// salt is salt[...] for templates: every execution function but those the
// renderer provides itself, built once per run; a call runs under the
// context of the render that makes it.
func (r *stateRun) salt(ctx context.Context) map[string]render.Func {
	r.renderMu.Lock()
	r.renderCtxt = ctx
	r.renderMu.Unlock()
	r.saltOnce.Do(func() { r.saltFns = r.buildSalt() })
	return r.saltFns
}

func (r *stateRun) currentCtx() context.Context {
	r.renderMu.Lock()
	defer r.renderMu.Unlock()
	return r.renderCtxt
}

func (r *stateRun) buildSalt() map[string]render.Func {
	out := map[string]render.Func{}
	for _, name := range Names() {
		if name == "config.get" || render.Provides(name) {
			continue // the renderer's own works on this run's opts, pillar and grains
		}
		f, _ := Lookup(name)
		out[name] = func(args []any, kwargs map[string]any) (any, error) {
			v, err := f.Fn(r.currentCtx(), r.env, Call{Args: args, Kwargs: kwargs})
			if err != nil {
				return nil, err
			}
			val, _ := SplitRet(v)
			return val, nil
		}
	}
	return out
}

// cacheDir is the minion's cachedir, where states keep downloads; ""
// without a root_dir.
func (r *stateRun) cacheDir() string {
	if r.env.RootDir == "" {
		return ""
	}
	return filepath.Join(r.env.RootDir, "cache")
}

// HasFunction implements states.ExecCaller (module.run).
func (r *stateRun) HasFunction(fun string) bool {
	_, ok := Lookup(fun)
	return ok
}

// CallFunction implements states.ExecCaller: module.run calls fun on
// this minion, as the job's own functions run.
func (r *stateRun) CallFunction(ctx context.Context, fun string, args []any, kwargs map[string]any) (any, error) {
	f, ok := Lookup(fun)
	if !ok {
		return nil, proto.Errorf(proto.ErrNotFound, "'%s' is not available", fun)
	}
	v, err := f.Fn(ctx, r.env, Call{Args: args, Kwargs: kwargs})
	if err != nil {
		return nil, err
	}
	val, _ := SplitRet(v)
	return val, nil
}

func (r *stateRun) loader(saltenv string) render.Loader {
	return render.LoaderFunc(func(ctx context.Context, p string) ([]byte, error) {
		local, err := r.files.Cache(ctx, "salt://"+strings.TrimPrefix(p, "salt://"), saltenv)
		if err != nil {
			var pe *proto.Error
			if errors.As(err, &pe) && pe.Kind == proto.ErrNotFound {
				return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
			}
			return nil, err
		}
		// the loader's callers keep what it returns as it is
		return r.files.ReadCached(local)
	})
}

func (r *stateRun) renderCtx(ctx context.Context, saltenv, sls string, extra map[string]any) *render.Context {
	return &render.Context{
		Grains: r.grains, Pillar: r.renderPillar, Opts: r.runOpts(saltenv),
		Saltenv: saltenv, SLS: sls, Salt: r.salt(ctx), Extra: extra, Loader: r.loader(saltenv), Cache: r.cache,
		Parsed: r.env.Parsed,
	}
}

// OrderedPillarSource is implemented by a Master that can give the
// pillar with its nested mappings in file order (*render.Map), for
// templates.
type OrderedPillarSource interface {
	OrderedPillar(ctx context.Context, fresh bool) (map[string]any, error)
}

// PillarenvSource is implemented by a Master that can compile the
// pillar from one pillar environment (Salt's pillarenv=), returning it
// plain and with its mappings in file order.
type PillarenvSource interface {
	PillarEnv(ctx context.Context, pillarenv string) (plain, ordered map[string]any, err error)
}

// runOpts is opts(saltenv), made once per run and saltenv; it must not
// be modified.
func (r *stateRun) runOpts(saltenv string) map[string]any {
	r.renderMu.Lock()
	defer r.renderMu.Unlock()
	if o, ok := r.optsBy[saltenv]; ok {
		return o
	}
	o := r.opts(saltenv)
	if r.optsBy == nil {
		r.optsBy = map[string]map[string]any{}
	}
	r.optsBy[saltenv] = o
	return o
}

// opts is what templates see as opts: the minion options of Salt's that
// formulas read (libsaltcli.jinja asks __cli which command renders it).
func (r *stateRun) opts(saltenv string) map[string]any {
	var pillarenv any
	if r.pillarenv != "" {
		pillarenv = r.pillarenv
	}
	o := map[string]any{
		"id": r.env.ID, "test": r.test, "saltenv": saltenv, "pillarenv": pillarenv,
		"__cli": "salt-minion", "file_client": "remote", "renderer": "jinja|yaml",
		"state_auto_order": true, "hash_type": "sha256", "master_type": "str",
	}
	if r.env.RootDir != "" {
		o["root_dir"] = r.env.RootDir
		o["cachedir"] = filepath.Join(r.env.RootDir, "cache")
	}
	// The minion's own configuration and custom options over Salt's
	// defaults; this run's id, test and environments over everything.
	maps.Copy(o, r.env.Opts)
	o["id"], o["test"], o["saltenv"], o["pillarenv"] = r.env.ID, r.test, saltenv, pillarenv
	return o
}

// Load implements highstate.Source: sls "a.b" is salt://a/b.sls or
// salt://a/b/init.sls of saltenv.
func (r *stateRun) Load(ctx context.Context, sls, saltenv string) (*render.Map, string, error) {
	base := strings.ReplaceAll(sls, ".", "/")
	l := r.loader(saltenv)
	for _, p := range []string{base + ".sls", base + "/init.sls"} {
		text, err := l.Read(ctx, p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, p, err
		}
		if pyrender.IsPy(text) {
			data, err := r.renderPy(ctx, text, p, sls, saltenv)
			return data, p, err
		}
		if pyrender.IsPyobjects(text) {
			data, err := r.renderPyobjects(ctx, text, p, sls, saltenv)
			return data, p, err
		}
		// highstate reads an SLS's data and copies what it keeps (a
		// state's arguments are fresh maps): the minion's parse cache
		// may hand out its shared copy (TestHighstateLeavesDataAlone)
		rc := r.renderCtx(ctx, saltenv, sls, nil)
		rc.ReadOnlyData = true
		data, err := render.SLS(ctx, text, p, rc)
		return data, p, err
	}
	// highstate.Source: a missing SLS wraps fs.ErrNotExist, so that it is
	// reported as not available rather than as a render failure.
	return nil, "", fmt.Errorf("no matching sls found for '%s' in env '%s': %w", sls, saltenv, os.ErrNotExist)
}

// RenderTemplate implements states.Renderer (template: jinja).
func (r *stateRun) RenderTemplate(ctx context.Context, text []byte, name string, context map[string]any) ([]byte, error) {
	return render.Jinja(ctx, text, name, r.renderCtx(ctx, r.saltenv, "", context))
}

func (r *stateRun) options(saltenv string) highstate.Options {
	return highstate.Options{
		Test: r.test, Saltenv: saltenv, Pillar: r.pillar, Source: r, Logger: r.env.logger(),
		Env: &states.Env{
			ID: r.env.ID, Grains: r.grains, Pillar: r.pillar, Saltenv: saltenv,
			Files: r.files, Render: r, HostsFile: r.env.HostsFile, Logger: r.env.logger(),
			Opts: r.env.Opts,
			Exec: r, CacheDir: r.cacheDir(),
		},
	}
}

// slsList reads SLS names given comma-separated or as a list.
func slsList(v any) ([]string, error) {
	var out []string
	switch x := v.(type) {
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, proto.Errorf(proto.ErrBadArgument, "SLS names must be strings, not %v", e)
			}
			out = append(out, s)
		}
	case nil:
	default:
		return nil, proto.Errorf(proto.ErrBadArgument, "SLS names must be a string or a list, not %v", v)
	}
	return out, nil
}

// busy refuses a state run while another runs, as Salt does.
func busy(env *Env, c Call) error {
	if env.Jobs == nil {
		return nil
	}
	for _, j := range env.Jobs.Running() {
		fun, _ := j["fun"].(string)
		jid, _ := j["jid"].(string)
		if strings.HasPrefix(fun, "state.") && !strings.HasPrefix(fun, "state.show") && jid != c.JID {
			return fmt.Errorf("the function %q is running as jid %s and was started at %v", fun, jid, j["start"])
		}
	}
	return nil
}

// finish turns a run's results into the job's value and retcode: 2 when a
// state failed (Salt's exit code for state failures), 1 for compile errors.
func finish(results map[string]highstate.Result, err error) (any, error) {
	if err != nil {
		return Ret{Value: compileErrors(err), Retcode: 1}, nil
	}
	out := make(map[string]any, len(results))
	code := 0
	for k, res := range results {
		out[k] = res
		if res.Result != nil && !*res.Result {
			code = 2
		}
	}
	return Ret{Value: out, Retcode: code}, nil
}

// compileErrors is the list of errors Salt returns for a failed
// compile: a CompileError's own messages (one may span lines, as Salt's
// do), other errors line by line.
func compileErrors(err error) []string {
	var ce *highstate.CompileError
	if errors.As(err, &ce) && len(ce.Errors) > 0 {
		return append([]string(nil), ce.Errors...)
	}
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func runSLS(ctx context.Context, r *stateRun, byEnv map[string][]string, order []string) (any, error) {
	all := map[string]highstate.Result{}
	offset := 0
	for _, saltenv := range order {
		o := r.options(saltenv)
		plan, err := highstate.Compile(ctx, o, byEnv[saltenv])
		if err != nil {
			return finish(nil, err)
		}
		res := plan.Run(ctx, o)
		for k, v := range res {
			v.RunNum += offset
			all[k] = v
		}
		offset += len(res)
	}
	if len(all) == 0 {
		return Ret{Value: []string{"No states found for this minion"}, Retcode: 1}, nil
	}
	return finish(all, nil)
}

func stateApply(ctx context.Context, env *Env, c Call) (any, error) {
	mods := c.Kwargs["mods"]
	if len(c.Args) > 0 {
		mods = c.Args[0]
	}
	if names, err := slsList(mods); err != nil {
		return nil, err
	} else if len(names) == 0 {
		return stateHighstate(ctx, env, c)
	}
	return stateSLS(ctx, env, c)
}

func stateSLS(ctx context.Context, env *Env, c Call) (any, error) {
	mods := c.Kwargs["mods"]
	if len(c.Args) > 0 {
		mods = c.Args[0]
	}
	names, err := slsList(mods)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "state.sls: name at least one SLS")
	}
	if err := busy(env, c); err != nil {
		return Ret{Value: []string{err.Error()}, Retcode: 1}, nil
	}
	r, err := newStateRun(ctx, env, c, "state.sls")
	if err != nil {
		return nil, err
	}
	return runSLS(ctx, r, map[string][]string{r.saltenv: names}, []string{r.saltenv})
}

func (r *stateRun) top(ctx context.Context, saltenv string) (map[string][]string, []string, error) {
	tops, order, err := r.env.Master.Top(ctx, saltenv, r.pillar)
	if err != nil {
		return nil, nil, err
	}
	return tops, order, nil
}

func stateHighstate(ctx context.Context, env *Env, c Call) (any, error) {
	if err := busy(env, c); err != nil {
		return Ret{Value: []string{err.Error()}, Retcode: 1}, nil
	}
	r, err := newStateRun(ctx, env, c, "state.highstate")
	if err != nil {
		return nil, err
	}
	saltenv, _ := c.Kwargs["saltenv"].(string)
	tops, order, err := r.top(ctx, saltenv)
	if err != nil {
		return Ret{Value: []string{err.Error()}, Retcode: 1}, nil
	}
	return runSLS(ctx, r, tops, order)
}

func stateSingle(ctx context.Context, env *Env, c Call) (any, error) {
	fun, err := c.String(0, "fun", nil)
	if err != nil {
		return nil, err
	}
	name, err := c.String(1, "name", nil)
	if err != nil {
		return nil, err
	}
	mod, f, ok := strings.Cut(fun, ".")
	if !ok {
		return nil, proto.Errorf(proto.ErrBadArgument, "state.single: %q is not a state function (module.function)", fun)
	}
	if err := busy(env, c); err != nil {
		return Ret{Value: []string{err.Error()}, Retcode: 1}, nil
	}
	r, err := newStateRun(ctx, env, c, "state.single")
	if err != nil {
		return nil, err
	}
	args := []any{f, map[string]any{"name": name}}
	keys := make([]string, 0, len(c.Kwargs))
	for k := range c.Kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "test", "pillar", "pillarenv", "saltenv", "fun", "name":
			continue
		}
		args = append(args, map[string]any{k: c.Kwargs[k]})
	}
	state := render.NewMap()
	state.Set(mod, args)
	high := render.NewMap()
	high.Set(name, state)
	o := r.options(r.saltenv)
	plan, err := highstate.CompileHigh(o, map[string]*render.Map{"single": high}, []string{"single"})
	if err != nil {
		return finish(nil, err)
	}
	return finish(plan.Run(ctx, o), nil)
}

func stateShowSLS(ctx context.Context, env *Env, c Call) (any, error) {
	mods := c.Kwargs["mods"]
	if len(c.Args) > 0 {
		mods = c.Args[0]
	}
	names, err := slsList(mods)
	if err != nil || len(names) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "state.show_sls: name at least one SLS")
	}
	r, err := newStateRun(ctx, env, c, "state.show_sls")
	if err != nil {
		return nil, err
	}
	high, err := highstate.CompileHighData(ctx, r.options(r.saltenv), names, false)
	if err != nil {
		return Ret{Value: compileErrors(err), Retcode: 1}, nil
	}
	return high.ToPlain(), nil
}

func stateShowHighstate(ctx context.Context, env *Env, c Call) (any, error) {
	r, err := newStateRun(ctx, env, c, "state.show_highstate")
	if err != nil {
		return nil, err
	}
	tops, order, err := r.top(ctx, "")
	if err != nil {
		return Ret{Value: []string{err.Error()}, Retcode: 1}, nil
	}
	out := map[string]any{}
	for _, saltenv := range order {
		high, err := highstate.CompileHighData(ctx, r.options(saltenv), tops[saltenv], true)
		if err != nil {
			return Ret{Value: compileErrors(err), Retcode: 1}, nil
		}
		for k, v := range high.ToPlain() {
			out[k] = v
		}
	}
	return out, nil
}

func stateShowTop(ctx context.Context, env *Env, c Call) (any, error) {
	r, err := newStateRun(ctx, env, c, "state.show_top")
	if err != nil {
		return nil, err
	}
	tops, _, err := r.top(ctx, "")
	if err != nil {
		return Ret{Value: []string{err.Error()}, Retcode: 1}, nil
	}
	out := map[string]any{}
	for k, v := range tops {
		out[k] = v
	}
	return out, nil
}

func stateShowLowSLS(ctx context.Context, env *Env, c Call) (any, error) {
	mods := c.Kwargs["mods"]
	if len(c.Args) > 0 {
		mods = c.Args[0]
	}
	names, err := slsList(mods)
	if err != nil || len(names) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "state.show_low_sls: name at least one SLS")
	}
	r, err := newStateRun(ctx, env, c, "state.show_low_sls")
	if err != nil {
		return nil, err
	}
	low, err := highstate.CompileLow(ctx, r.options(r.saltenv), names, false)
	if err != nil {
		return Ret{Value: compileErrors(err), Retcode: 1}, nil
	}
	return lowValue(low), nil
}

func stateShowLowstate(ctx context.Context, env *Env, c Call) (any, error) {
	r, err := newStateRun(ctx, env, c, "state.show_lowstate")
	if err != nil {
		return nil, err
	}
	tops, order, err := r.top(ctx, "")
	if err != nil {
		return Ret{Value: []string{err.Error()}, Retcode: 1}, nil
	}
	out := []any{}
	for _, saltenv := range order {
		low, err := highstate.CompileLow(ctx, r.options(saltenv), tops[saltenv], true)
		if err != nil {
			return Ret{Value: compileErrors(err), Retcode: 1}, nil
		}
		out = append(out, lowValue(low)...)
	}
	return out, nil
}

func lowValue(low []map[string]any) []any {
	out := make([]any, len(low))
	for i, c := range low {
		out[i] = c
	}
	return out
}
