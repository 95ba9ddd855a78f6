package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Limits that keep a hostile or broken template from exhausting the
// process. Real Salt has none of them; they are far above what SLS files
// need.
const (
	maxDepth      = 64       // nested include/import/macro calls
	maxRange      = 1000000  // elements of range() and of lists built by operators
	maxStringSize = 64 << 20 // bytes of one string built by an operator
	maxOutputSize = 256 << 20
	ctxCheckEvery = 256 // operations between context checks
)

// state is everything one top-level render shares: the caller's context,
// dict insertion orders, parsed templates, limits.
type state struct {
	ctx  context.Context
	c    *Context
	top  string
	cfg  *config.Config
	env  *exec.Environment
	root *exec.Context
	// fns holds the rewriter's closures (fnVars is its map): the parent
	// of root, so that compiled templates outlive one render's globals
	fns       *exec.Context
	fnVars    map[string]any
	order     map[uintptr]*dictOrder
	sources   map[string][]byte
	templates map[string]*tmpl
	// deps, while a template compiles, collects the files gonja loads
	// at parse time ({% extends %}): the compiled template holds them
	deps *[]tmplDep
	// checked holds the templates found unchanged (or compiled) in this
	// render: a template imported in a loop is compared once
	checked map[*tmpl]bool
	// expressions parsed by patchSource, by placeholder name, and the
	// patched sources
	exprs      map[string]*parsedExpr
	nexprs     int // expressions parsed so far (placeholder names)
	patchedSrc map[string]string
	texts      []string // runs of template text replaced by markers
	minElided  int      // the shortest run replaced
	depth      int
	ticks      int
	// the budget: steps allowed (0: no limit), and the step count at
	// which the context is checked next
	maxSteps     int
	nextCtxCheck int
	output       int
	closures     int // closures registered in the root context
	// the caller() a {% call %} block hands to the macro it calls
	pendingCaller func(*exec.VarArgs) *exec.Value
	// templates bigger than segmentMin render in segments of about
	// segmentSize bytes (tests set smaller ones)
	segmentMin, segmentSize int
	segments                int // segments rendered
	// conv holds the template values grains, pillar and opts were
	// converted to for this state's last render; the next render reuses
	// them while they still equal the caller's data (see convGlobal).
	// visited is convGlobal's set of the containers it has checked.
	conv    [3]map[string]any
	visited map[uintptr]struct{}
	// globals is the context layer holding Salt's globals (grains,
	// pillar, opts, saltenv, salt and the sls/tpl variables) of the last
	// render, between fns and root: the next render of the same file
	// with the same converted grains, pillar and opts reuses it (see
	// buildGlobals). globalsDirs is its tpldirs list, the one mutable
	// value in it, with what it held.
	globals     *exec.Context
	globalsKey  globalsKey
	globalsDirs *[]any
	dirsWant    []any
}

// globalsKey is what the globals layer was built from.
type globalsKey struct {
	grains, pillar, opts uintptr
	saltenv, sls, top    string
}

// tmpl is a parsed and rewritten template.
type tmpl struct {
	name string
	t    *exec.Template
	// src is the source it was compiled from and deps the other files
	// its parse read: a later render of the same state (see
	// Cache.getState) reuses it only while they are unchanged
	src  []byte
	deps []tmplDep
}

// tmplDep is a file a template's parse read, with the content read.
type tmplDep struct {
	path string
	data []byte
}

func newScratchState() *state {
	return &state{ctx: context.Background(), c: &Context{}, order: map[uintptr]*dictOrder{}}
}

func newState(ctx context.Context, c *Context, name string) *state {
	st := &state{
		minElided:   minElided,
		segmentMin:  segmentMin,
		segmentSize: segmentSize,
		exprs:       map[string]*parsedExpr{},
		templates:   map[string]*tmpl{},
		fnVars:      map[string]any{},
	}
	st.addFixedGlobals(st.fnVars)
	st.fns = exec.NewContext(st.fnVars)
	cfg := config.New()
	cfg.StrictUndefined = true
	cfg.KeepTrailingNewline = false
	st.cfg = cfg
	st.env = &exec.Environment{
		Filters:           st.buildFilters(),
		Tests:             st.buildTests(),
		ControlStructures: st.buildControlStructures(),
		Methods:           builtins.Methods,
	}
	st.reset(ctx, c, name)
	return st
}

// reset readies st for a new top-level render: the caller's context and
// fresh per-render data. What does not depend on the render stays: the
// filters, tests and control structures (bound to st), and the compiled
// templates with their expressions and closures, which compile checks
// against the sources before reusing them.
func (st *state) reset(ctx context.Context, c *Context, name string) {
	if c == nil {
		c = &Context{}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	st.ctx, st.c, st.top = ctx, c, name
	// an idle state's maps were emptied when its last render ended
	if st.order == nil {
		st.order = map[uintptr]*dictOrder{}
		st.sources = map[string][]byte{}
		st.patchedSrc = map[string]string{}
		st.checked = map[*tmpl]bool{}
	}
	st.depth, st.ticks, st.nextCtxCheck, st.output, st.segments = 0, 0, 0, 0, 0
	st.pendingCaller = nil
	st.maxSteps = 0
	switch {
	case c.MaxSteps == 0:
		st.maxSteps = DefaultMaxSteps
	case c.MaxSteps > 0:
		st.maxSteps = c.MaxSteps
	}
	st.root = st.buildGlobals()
	st.env.Context = st.root
}

// tick counts one step of the render's budget (a loop iteration, a
// printed expression, an operator, a lookup, a filter or test call) and
// checks the caller's context now and then.
func (st *state) tick() error { return st.charge(1) }

// charge counts n steps (see Context.MaxSteps for what costs how many).
// Past the budget every further step
// fails, so an error swallowed somewhere (a test, a default) cannot let
// the render go on.
func (st *state) charge(n int) error {
	st.ticks += n
	if st.maxSteps > 0 && st.ticks > st.maxSteps {
		return &budgetError{steps: st.maxSteps}
	}
	if st.ticks >= st.nextCtxCheck {
		st.nextCtxCheck = st.ticks + ctxCheckEvery
		if err := st.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// budgetError is a render stopped by Context.MaxSteps.
type budgetError struct{ steps int }

func (e *budgetError) Error() string {
	return fmt.Sprintf("template exceeded its budget of %d steps (loop iterations, expressions, calls and the items filters go through)", e.steps)
}

// renderJinja renders text as the top-level template name. The returned
// lineMap maps rendered lines back to template lines.
func renderJinja(ctx context.Context, text []byte, name string, c *Context) (out []byte, lm *lineMap, err error) {
	if c == nil || c.Cache == nil {
		return newState(ctx, c, name).render(text, name)
	}
	st := c.Cache.getState()
	if st == nil {
		st = newState(ctx, c, name)
	} else {
		st.reset(ctx, c, name)
	}
	out, lm, err = st.render(text, name)
	// nothing of this render's data stays reachable from the idle state
	// but its copies of grains, pillar and opts (st.conv), which the next
	// render checks against its own before using them
	st.ctx, st.c, st.root, st.env.Context = nil, nil, nil, nil
	clear(st.order)
	clear(st.sources)
	clear(st.patchedSrc)
	clear(st.checked)
	c.Cache.putState(st)
	return out, lm, err
}

// render renders text as the top-level template name.
func (st *state) render(text []byte, name string) (out []byte, lm *lineMap, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, lm = nil, nil
			err = &Error{File: name, Stage: "jinja", Msg: fmt.Sprintf("internal error: %v\n%s", r, debug.Stack())}
		}
	}()
	if err := st.ctx.Err(); err != nil {
		return nil, nil, &Error{File: name, Stage: "jinja", Msg: err.Error()}
	}
	st.sources[name] = text
	w := &trackWriter{st: st}
	if done, err := st.renderSegments(text, name, w); done {
		if err != nil {
			return nil, nil, st.wrapErr(err, name)
		}
	} else {
		t, err := st.compile(name)
		if err != nil {
			return nil, nil, st.wrapErr(err, name)
		}
		if err := st.execute(t, st.root, w, nil); err != nil {
			return nil, nil, st.wrapErr(err, name)
		}
	}
	// Salt renders with keep_trailing_newline off, then puts back the
	// newline the source ended with.
	if bytes.HasSuffix(text, []byte("\n")) {
		w.cur = srcPos{}
		_, _ = w.Write([]byte("\n"))
	}
	return w.buf.Bytes(), &lineMap{files: w.files, lines: w.lines}, nil
}

// compile loads, parses and rewrites the template at p (cached per render).
func (st *state) compile(p string) (*tmpl, error) {
	data, err := st.load(p)
	if err != nil {
		return nil, err
	}
	if t, ok := st.templates[p]; ok && (st.checked[t] || st.unchanged(t, data)) {
		st.checked[t] = true
		return t, nil
	}
	if _, err := st.patched(p, data); err != nil {
		return nil, st.parseError(err, p)
	}
	var deps []tmplDep
	saved := st.deps
	st.deps = &deps
	gl := &gonjaLoader{st: st, dir: path.Dir(p)}
	et, err := exec.NewTemplate(p, st.cfg, gl, st.env)
	st.deps = saved
	if err != nil {
		return nil, st.parseError(err, p)
	}
	// copies: a caller may reuse its buffer for the next render
	t := &tmpl{name: p, t: et, src: bytes.Clone(data), deps: deps}
	for i := range t.deps {
		t.deps[i].data = bytes.Clone(t.deps[i].data)
	}
	rw := &rewriter{st: st, t: t, seen: map[any]bool{}}
	rw.template(et.Root(), p)
	st.templates[p] = t
	st.checked[t] = true
	return t, nil
}

// unchanged reports whether t, compiled in this or an earlier render,
// was compiled from data and files that still read the same.
func (st *state) unchanged(t *tmpl, data []byte) bool {
	if !bytes.Equal(t.src, data) {
		return false
	}
	for _, d := range t.deps {
		cur, err := st.load(d.path)
		if err != nil || !bytes.Equal(cur, d.data) {
			return false
		}
	}
	return true
}

// patched returns the source of the template at p as gonja parses it
// (see patchSource), once per render.
func (st *state) patched(p string, data []byte) (string, error) {
	if src, ok := st.patchedSrc[p]; ok {
		return src, nil
	}
	src, err := st.patchSource(string(data))
	if err != nil {
		return "", err
	}
	st.patchedSrc[p] = src
	return src, nil
}

// load reads a template file through the caller's Loader.
func (st *state) load(p string) ([]byte, error) {
	if src, ok := st.sources[p]; ok {
		return src, nil
	}
	if st.c.Loader == nil {
		return nil, &notFoundError{path: p, why: "no file loader configured"}
	}
	clean, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	data, err := st.c.Loader.Read(st.ctx, clean)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &notFoundError{path: clean}
		}
		return nil, fmt.Errorf("reading template %q: %w", clean, err)
	}
	st.sources[p] = data
	return data, nil
}

type notFoundError struct{ path, why string }

func (e *notFoundError) Error() string {
	if e.why != "" {
		return fmt.Sprintf("template %q not found: %s", e.path, e.why)
	}
	return fmt.Sprintf("template %q not found", e.path)
}

// resolve turns a name used in an include/import of template from into a
// file path: salt:// is stripped, "./x" and "../x" are relative to the
// importing template, anything else is relative to the file root.
func resolvePath(from, name string) string {
	name = strings.TrimPrefix(name, "salt://")
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") {
		return path.Clean(path.Join(path.Dir(from), name))
	}
	return path.Clean(strings.TrimLeft(name, "/"))
}

// execute renders t into w with a context layer on top of parent. exports,
// when not nil, receives the module-level variables and macros.
func (st *state) execute(t *tmpl, parent *exec.Context, w io.Writer, exports map[string]any) error {
	if st.depth >= maxDepth {
		return fmt.Errorf("maximum template nesting depth (%d) exceeded", maxDepth)
	}
	st.depth++
	defer func() { st.depth-- }()
	layer := parent.Inherit()
	layer.Set(exportsKey, exports)
	layer.Set(templateKey, t.name)
	env := &exec.Environment{
		Context:           layer,
		Filters:           st.env.Filters,
		Tests:             st.env.Tests,
		ControlStructures: st.env.ControlStructures,
		Methods:           st.env.Methods,
	}
	gl := &gonjaLoader{st: st, dir: path.Dir(t.name)}
	r := exec.NewRenderer(env, w, st.cfg, gl, t.t)
	return r.Execute()
}

const (
	exportsKey  = "__brine_exports"
	templateKey = "__brine_template"
)

// currentTemplate is the name of the template whose code runs in r.
func currentTemplate(r *exec.Renderer) string {
	if v, ok := r.Environment.Context.Get(templateKey); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

// gonjaLoader lets gonja's own loading ({% extends %}) go through Loader.
type gonjaLoader struct {
	st  *state
	dir string
}

func (l *gonjaLoader) Read(p string) (io.Reader, error) {
	data, err := l.st.load(p)
	if err != nil {
		return nil, err
	}
	if l.st.deps != nil {
		*l.st.deps = append(*l.st.deps, tmplDep{path: p, data: data})
	}
	src, err := l.st.patched(p, data)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(src), nil
}

func (l *gonjaLoader) Resolve(p string) (string, error) {
	if _, ok := l.st.sources[p]; ok {
		return p, nil
	}
	return resolvePath(path.Join(l.dir, "x"), p), nil
}

func (l *gonjaLoader) Inherit(from string) (loaders.Loader, error) {
	return &gonjaLoader{st: l.st, dir: path.Dir(from)}, nil
}

// buildGlobals returns the root context: Jinja's globals, Salt's globals
// and the caller's variables.
func (st *state) buildGlobals() *exec.Context {
	c := st.c
	saltenv := c.Saltenv
	if saltenv == "" {
		saltenv = "base"
	}
	clear(st.visited)
	grains := st.convGlobal(0, c.Grains)
	pillar := st.convGlobal(1, c.Pillar)
	opts := st.convGlobal(2, c.Opts)
	key := globalsKey{grains: mapID(grains), pillar: mapID(pillar), opts: mapID(opts), saltenv: saltenv, sls: c.SLS, top: st.top}
	// The globals layer of the last render is reused when it was built
	// from the very same converted maps (convGlobal returned them again:
	// they equal the caller's data) and names, and its tpldirs list was
	// not changed by a template; renders only ever set variables in the
	// layers above it.
	if st.globals == nil || st.globalsKey != key || !slices.Equal(*st.globalsDirs, st.dirsWant) {
		g := st.fns.Inherit()
		g.Set("grains", grains)
		g.Set("pillar", pillar)
		g.Set("opts", opts)
		g.Set("saltenv", saltenv)
		g.Set("env", saltenv)
		g.Set("salt", &saltObj{st: st})
		for k, v := range slsVars(c.SLS, st.top) {
			g.Set(k, v)
		}
		v, _ := g.Get("tpldirs")
		st.globalsDirs, _ = v.(*[]any)
		st.dirsWant = slices.Clone(*st.globalsDirs)
		st.globals, st.globalsKey = g, key
	}
	root := st.globals.Inherit()
	for k, v := range c.Extra {
		root.Set(k, st.in(v))
	}
	return root
}

// convGlobal returns src (grains, pillar or opts) converted to template
// values. Converting it for each of a state run's renders is most of a
// small template's cost, so the conversion of this state's previous
// render is kept and reused when it still equals src in every value and
// shares no container with anything else checked: whatever a render did
// to its copy (pillar.update(...)), or whatever changed src, the reused
// value is then exactly what converting src again would give. Anything
// else (a change, an ordered *Map, a type sameAs does not know) converts
// src again.
func (st *state) convGlobal(i int, src map[string]any) map[string]any {
	src = nonNilMap(src)
	if m := st.conv[i]; m != nil && st.sameAs(m, src) {
		return m
	}
	m, _ := st.in(src).(map[string]any)
	st.conv[i] = m
	return m
}

// sameAs reports whether the template value tv is what in(src) returns,
// as a tree of containers of its own: tv's containers must not have been
// visited before (by this check or another since visited was cleared).
// It is false for anything it does not know, which only costs a
// conversion.
func (st *state) sameAs(tv, src any) bool {
	switch x := src.(type) {
	case nil:
		return tv == nil
	case bool:
		y, ok := tv.(bool)
		return ok && x == y
	case string:
		y, ok := tv.(string)
		return ok && x == y
	case int:
		y, ok := tv.(int)
		return ok && x == y
	case float64:
		y, ok := tv.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case map[string]any:
		y, ok := tv.(map[string]any)
		if !ok || x == nil || y == nil || len(x) != len(y) || !st.visit(mapID(y)) {
			return false
		}
		if _, ordered := st.order[mapID(y)]; ordered {
			return false
		}
		for k, v := range y {
			sv, ok := x[k]
			if !ok || !st.sameAs(v, sv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := tv.(*[]any)
		if !ok || x == nil || y == nil || len(*y) != len(x) || !st.visitList(y) {
			return false
		}
		for i, v := range *y {
			if !st.sameAs(v, x[i]) {
				return false
			}
		}
		return true
	case []string:
		y, ok := tv.(*[]any)
		if !ok || x == nil || y == nil || len(*y) != len(x) || !st.visitList(y) {
			return false
		}
		for i, v := range *y {
			if s, ok := v.(string); !ok || s != x[i] {
				return false
			}
		}
		return true
	}
	return false
}

// visit records the container at p, false when it was already recorded.
func (st *state) visit(p uintptr) bool {
	if st.visited == nil {
		st.visited = map[uintptr]struct{}{}
	}
	if _, ok := st.visited[p]; ok {
		return false
	}
	st.visited[p] = struct{}{}
	return true
}

// visitList visits a list and its backing array: two lists sharing
// either are one container.
func (st *state) visitList(l *[]any) bool {
	if !st.visit(uintptr(unsafe.Pointer(l))) {
		return false
	}
	return cap(*l) == 0 || st.visit(uintptr(unsafe.Pointer(unsafe.SliceData(*l))))
}

// addFixedGlobals adds to g the globals that are the same for every
// render of st: Jinja's and Salt's functions (bound to st, not to a
// render's data). They live in fns, under the render's own globals.
func (st *state) addFixedGlobals(g map[string]any) {
	maps.Copy(g, map[string]any{
		"cycler":  builtinsGlobal("cycler"),
		"joiner":  builtinsGlobal("joiner"),
		"lipsum":  builtinsGlobal("lipsum"),
		"_":       builtinsGlobal("_"),
		"gettext": builtinsGlobal("gettext"),
	})
	st.addGlobalFuncs(g)
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func builtinsGlobal(name string) any {
	v, _ := builtins.GlobalFunctions.Get(name)
	return v
}

// slsVars derives Salt's SLS template variables from the SLS name and the
// template file name.
func slsVars(sls, name string) map[string]any {
	file := strings.TrimPrefix(name, "salt://")
	if !strings.HasSuffix(file, ".sls") && !strings.HasSuffix(file, ".jinja") && sls != "" {
		file = strings.ReplaceAll(sls, ".", "/") + ".sls"
	}
	if sls == "" && strings.HasSuffix(file, ".sls") {
		s := strings.TrimSuffix(file, ".sls")
		s = strings.TrimSuffix(s, "/init")
		sls = strings.ReplaceAll(s, "/", ".")
	}
	tpldir := path.Dir(file)
	if file == "" {
		tpldir = "."
	}
	slspath := strings.ReplaceAll(sls, ".", "/")
	if !strings.HasSuffix(file, "/init.sls") {
		slspath = path.Dir(slspath)
		if slspath == "." {
			slspath = ""
		}
	}
	tpldot := ""
	if tpldir != "." {
		tpldot = strings.ReplaceAll(tpldir, "/", ".")
	}
	var dirs []any
	if tpldir != "." {
		parts := strings.Split(tpldir, "/")
		for i := range parts {
			dirs = append(dirs, strings.Join(parts[:i+1], "/"))
		}
	}
	return map[string]any{
		"sls":          sls,
		"slspath":      slspath,
		"sls_path":     strings.ReplaceAll(slspath, "/", "_"),
		"slsdotpath":   strings.ReplaceAll(slspath, "/", "."),
		"slscolonpath": strings.ReplaceAll(slspath, "/", ":"),
		"tplfile":      file,
		"tplpath":      file,
		"tpldir":       tpldir,
		"tpldot":       tpldot,
		"tpldirs":      newList(dirs),
	}
}

// srcPos is where a piece of output comes from.
type srcPos struct {
	file    string
	line    int
	advance bool // a Data chunk: its lines follow the template's
}

// trackWriter collects output and remembers which template line produced
// the start of each output line.
type trackWriter struct {
	st      *state
	buf     bytes.Buffer
	files   []string // the template files lines refers to
	fileIdx map[string]int32
	last    int32     // the index of the file of the last line
	lines   []lineRef // a big output has millions: 8 bytes each
	cur     srcPos
	midLine bool
}

// lineRef is a template position: files[file], line.
type lineRef struct{ file, line int32 }

// ref returns the lineRef of p.
func (w *trackWriter) ref(p srcPos) lineRef {
	if int(w.last) >= len(w.files) || w.files[w.last] != p.file {
		i, ok := w.fileIdx[p.file]
		if !ok {
			if w.fileIdx == nil {
				w.fileIdx = map[string]int32{}
			}
			i = int32(len(w.files))
			w.files = append(w.files, p.file)
			w.fileIdx[p.file] = i
		}
		w.last = i
	}
	return lineRef{file: w.last, line: int32(min(p.line, math.MaxInt32))}
}

func (w *trackWriter) Write(p []byte) (int, error) {
	if w.st != nil {
		w.st.output += len(p)
		if w.st.output > maxOutputSize {
			return 0, fmt.Errorf("rendered output exceeds %d bytes", maxOutputSize)
		}
	}
	n := len(p)
	pos := w.cur
	for len(p) > 0 {
		if !w.midLine {
			w.lines = append(w.lines, w.ref(pos))
			w.midLine = true
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf.Write(p)
			break
		}
		w.buf.Write(p[:i+1])
		p = p[i+1:]
		w.midLine = false
		if pos.advance {
			pos.line++
		}
	}
	return n, nil
}

// lineMap maps rendered lines (1-based) to template positions.
type lineMap struct {
	files []string
	lines []lineRef
}

func (m *lineMap) at(line int) (srcPos, bool) {
	if m == nil || line < 1 || line > len(m.lines) {
		return srcPos{}, false
	}
	r := m.lines[line-1]
	p := srcPos{file: m.files[r.file], line: int(r.line)}
	return p, p.line > 0
}

// setPos records the template position of the next write when w tracks.
func setPos(w io.Writer, file string, line int, advance bool) {
	if tw, ok := w.(*trackWriter); ok {
		tw.cur = srcPos{file: file, line: line, advance: advance}
	}
}

const (
	maxExprNesting  = 256 // brackets inside one tag
	maxBlockNesting = 256 // nested block tags
)

// patchSource works around gaps of gonja's parser for syntax Jinja2
// accepts, without moving any line: a trailing comma before the closing
// brace of a dict literal or the closing parenthesis of a call is blanked.
// The expressions of {{ }}, if, elif, set, do, for and with are parsed
// here with Jinja2's grammar (exprParser) and replaced by placeholder
// names that the rewriter swaps for the parsed expressions; gonja only
// sees the tags around them. It also refuses sources nested deeper than
// the parser can recurse safely.
func (st *state) patchSource(src string) (string, error) {
	src = normalizeSource(src)
	toks, runs := st.scan(src)
	// gonja's lexer does not take a newline for a space inside a tag: a
	// token at the start of a continuation line carries the newline in
	// its value ("\nif"). A space after such newlines fixes the tokens and
	// moves no line.
	var fixed strings.Builder
	last := 0
	for _, t := range toks {
		switch t.Type {
		case tokens.Data, tokens.Comment, tokens.CommentBegin, tokens.CommentEnd, tokens.RawBegin, tokens.RawEnd:
			continue
		}
		if t.Pos >= 0 && t.Pos < len(src) && src[t.Pos] == '\n' {
			at := t.Pos
			for at < len(src) && src[at] == '\n' {
				at++
			}
			fixed.WriteString(src[last:at])
			fixed.WriteByte(' ')
			last = at
		}
	}
	if last > 0 {
		fixed.WriteString(src[last:])
		src = fixed.String()
		toks, runs = st.scan(src)
	}
	type edit struct {
		from, to int
		text     string
		pe       *parsedExpr // the expression a placeholder stands for
	}
	var edits []edit
	// replace parses toks[from:] (up to the end of the tag) with parse and
	// replaces the tokens it consumed with a placeholder. It returns the
	// index of the first token not consumed.
	replace := func(from int, parse func(*exprParser) (nodes.Expression, error)) (int, error) {
		end := from
		for end < len(toks) && toks[end].Type != tokens.VariableEnd && toks[end].Type != tokens.BlockEnd {
			end++
		}
		if end < len(toks) {
			end++ // the parser sees the tag's end token
		}
		p := newExprParser(toks[from:end])
		e, err := parse(p)
		if err != nil {
			return 0, err
		}
		if p.i == 0 {
			return from, nil
		}
		next := from + p.i
		to := len(src)
		if next < len(toks) {
			to = toks[next].Pos
		}
		name, pe := st.addExpr(e)
		text := name + strings.Repeat("\n", strings.Count(src[toks[from].Pos:to], "\n")) + " "
		edits = append(edits, edit{toks[from].Pos, to, text, pe})
		return next, nil
	}
	endOfTag := func(i int, what string) error {
		if i < len(toks) && (toks[i].Type == tokens.VariableEnd || toks[i].Type == tokens.BlockEnd) {
			return nil
		}
		if i >= len(toks) {
			line := 0
			if len(toks) > 0 {
				line = toks[len(toks)-1].Line
			}
			return &parser.SyntaxError{Message: fmt.Sprintf("unexpected end of template, expected 'end of %s'.", what), Line: line}
		}
		t := toks[i]
		return &parser.SyntaxError{Message: fmt.Sprintf("expected token 'end of %s', got %s", what, describe(t)), Line: t.Line}
	}
	tuple := func(condexpr bool, extraEnd ...string) func(*exprParser) (nodes.Expression, error) {
		return func(p *exprParser) (nodes.Expression, error) { return p.parseTuple(condexpr, extraEnd, false) }
	}
	// topLevel finds the first token at bracket depth 0 of the tag
	// starting at from that satisfies ok.
	topLevel := func(from int, ok func(*tokens.Token) bool) int {
		depth := 0
		for i := from; i < len(toks); i++ {
			switch t := toks[i]; t.Type {
			case tokens.BlockEnd, tokens.VariableEnd:
				return -1
			case tokens.LeftBrace, tokens.LeftBracket, tokens.LeftParenthesis:
				depth++
			case tokens.RightBrace, tokens.RightBracket, tokens.RightParenthesis:
				depth--
			default:
				if depth == 0 && ok(t) {
					return i
				}
			}
		}
		return -1
	}
	expr := func(p *exprParser) (nodes.Expression, error) { return p.parseExpression(true) }
	tagEnd := func(i int) int {
		for i < len(toks) && toks[i].Type != tokens.BlockEnd {
			i++
		}
		return i
	}
	// parenArgs replaces the expressions of the parenthesized list opening
	// at toks[open]: the arguments of a call (values and key=values), or,
	// in a signature, the default values. A trailing comma is blanked.
	// It returns the index after the closing parenthesis.
	parenArgs := func(open int, signature bool) (int, error) {
		i := open + 1
		for i < len(toks) && toks[i].Type != tokens.RightParenthesis && toks[i].Type != tokens.BlockEnd {
			switch t := toks[i]; {
			case t.Type == tokens.Comma:
				if i+1 < len(toks) && toks[i+1].Type == tokens.RightParenthesis {
					edits = append(edits, edit{t.Pos, t.Pos + 1, " ", nil})
				}
				i++
			case isName(t) && i+1 < len(toks) && toks[i+1].Type == tokens.Assign:
				next, err := replace(i+2, expr)
				if err != nil {
					return 0, err
				}
				i = next
			case signature:
				i++
			default:
				next, err := replace(i, expr)
				if err != nil {
					return 0, err
				}
				if next == i {
					return 0, &parser.SyntaxError{Message: fmt.Sprintf("unexpected %s", describe(t)), Line: t.Line}
				}
				i = next
			}
		}
		if i < len(toks) && toks[i].Type == tokens.RightParenthesis {
			i++
		}
		return i, nil
	}
	// patchTag replaces the expressions of the block tag named name whose
	// arguments start at toks[from]. It returns the index of the tag's end
	// token, or -1 when gonja parses the tag as it is.
	patchTag := func(from int, name string) (int, error) {
		switch name {
		case "if", "elif":
			return replace(from, tuple(false))
		case "do":
			return replace(from, tuple(true))
		case "set":
			eq := topLevel(from, func(t *tokens.Token) bool { return t.Type == tokens.Assign })
			if eq < 0 {
				return -1, nil // block set
			}
			return replace(eq+1, tuple(true))
		case "for":
			in := topLevel(from, func(t *tokens.Token) bool { return kw(t, "in") })
			if in < 0 {
				return -1, nil // gonja reports the error
			}
			next, err := replace(in+1, tuple(false, "recursive"))
			if err != nil {
				return 0, err
			}
			if next < len(toks) && kw(toks[next], "if") {
				if next, err = replace(next+1, expr); err != nil {
					return 0, err
				}
			}
			if next < len(toks) && kw(toks[next], "recursive") {
				next++
			}
			return next, nil
		case "with":
			i := from
			for i < len(toks) && toks[i].Type != tokens.BlockEnd {
				if i+1 >= len(toks) || !isName(toks[i]) || toks[i+1].Type != tokens.Assign {
					return -1, nil // gonja reports the error
				}
				next, err := replace(i+2, expr)
				if err != nil {
					return 0, err
				}
				i = next
				if i < len(toks) && toks[i].Type == tokens.Comma {
					i++
				}
			}
			return i, nil
		case "include", "import", "from", "import_yaml", "import_json", "import_text":
			// the template name; the words after it are the tag's
			if _, err := replace(from, expr); err != nil {
				return 0, err
			}
			return tagEnd(from), nil
		case "macro":
			// the defaults of the signature: name(a, b=expr, ...)
			if from+1 >= len(toks) || toks[from+1].Type != tokens.LeftParenthesis {
				return -1, nil
			}
			i, err := parenArgs(from+1, true)
			if err != nil {
				return 0, err
			}
			return tagEnd(i), nil
		case "call":
			// {% call(a, b=expr) callee(args) %}
			i := from
			if i < len(toks) && toks[i].Type == tokens.LeftParenthesis {
				var err error
				if i, err = parenArgs(i, true); err != nil {
					return 0, err
				}
			}
			for i < len(toks) && toks[i].Type != tokens.LeftParenthesis && toks[i].Type != tokens.BlockEnd {
				i++
			}
			if i < len(toks) && toks[i].Type == tokens.LeftParenthesis {
				if _, err := parenArgs(i, false); err != nil {
					return 0, err
				}
			}
			return tagEnd(i), nil
		case "filter":
			// {% filter f(args)|g(args) %}
			i := from
			for i < len(toks) && toks[i].Type != tokens.BlockEnd {
				if toks[i].Type == tokens.LeftParenthesis {
					next, err := parenArgs(i, false)
					if err != nil {
						return 0, err
					}
					i = next
					continue
				}
				i++
			}
			return i, nil
		}
		return -1, nil
	}
	type open struct {
		typ  tokens.Type
		call bool
	}
	var stack []open
	var prev, comma *tokens.Token
	blocks := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if len(stack) > maxExprNesting {
			return "", &parser.SyntaxError{Message: fmt.Sprintf("expression nested more than %d levels deep", maxExprNesting), Line: t.Line}
		}
		switch t.Type {
		case tokens.VariableBegin:
			stack = stack[:0]
			next, err := replace(i+1, tuple(true))
			if err != nil {
				return "", err
			}
			if err := endOfTag(next, "print statement"); err != nil {
				return "", err
			}
			i = next
			continue
		case tokens.BlockBegin:
			stack = stack[:0]
			n := (*tokens.Token)(nil)
			if i+1 < len(toks) && isName(toks[i+1]) {
				n = toks[i+1]
			}
			if n == nil {
				break
			}
			switch {
			case strings.HasPrefix(n.Val, "end"):
				blocks--
			case hasKey(blockTags, n.Val) && n.Val != "set":
				blocks++
				if blocks > maxBlockNesting {
					return "", &parser.SyntaxError{Message: fmt.Sprintf("blocks nested more than %d levels deep", maxBlockNesting), Line: t.Line}
				}
			}
			next, err := patchTag(i+2, n.Val)
			if err != nil {
				return "", err
			}
			if next < 0 {
				break // gonja parses this tag
			}
			if err := endOfTag(next, "statement block"); err != nil {
				return "", err
			}
			i = next
			continue
		case tokens.VariableEnd, tokens.BlockEnd:
			stack = stack[:0]
		case tokens.LeftBrace, tokens.LeftBracket:
			stack = append(stack, open{typ: t.Type})
		case tokens.LeftParenthesis:
			call := prev != nil && (prev.Type == tokens.Name || prev.Type == tokens.RightParenthesis ||
				prev.Type == tokens.RightBracket || prev.Type == tokens.String)
			stack = append(stack, open{typ: t.Type, call: call})
		case tokens.RightBrace, tokens.RightParenthesis, tokens.RightBracket:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if comma != nil && prev == comma && (t.Type == tokens.RightBrace || (t.Type == tokens.RightParenthesis && top.call)) {
					if comma.Pos >= 0 && comma.Pos < len(src) && src[comma.Pos] == ',' {
						edits = append(edits, edit{comma.Pos, comma.Pos + 1, " ", nil})
					}
				}
			}
		}
		if t.Type == tokens.Comma {
			comma = t
		}
		prev = t
	}
	// long runs of text become markers (see scan.go), merged into edits
	var all []edit
	for _, r := range runs {
		if r.to-r.from < st.minElided {
			continue
		}
		for len(edits) > 0 && edits[0].from < r.from {
			all = append(all, edits[0])
			edits = edits[1:]
		}
		text := src[r.from:r.to]
		all = append(all, edit{r.from, r.to, textMarker(len(st.texts)) + strings.Repeat("\n", strings.Count(text, "\n")), nil})
		st.texts = append(st.texts, text)
	}
	edits = append(all, edits...)
	if len(edits) == 0 {
		return src, nil
	}
	var b strings.Builder
	b.Grow(len(src))
	last = 0
	for _, e := range edits {
		b.WriteString(src[last:e.from])
		if e.pe != nil {
			e.pe.pos = b.Len()
		}
		b.WriteString(e.text)
		last = e.to
	}
	b.WriteString(src[last:])
	return b.String(), nil
}

// scan returns the tokens of src's tags and the runs of text between
// them (scanSource), or, when the scan cannot follow src, all its tokens
// as gonja's lexer gives them and no runs.
func (st *state) scan(src string) ([]*tokens.Token, []textRun) {
	s := src
	if !st.cfg.KeepTrailingNewline {
		s = strings.TrimSuffix(s, "\n") // gonja's lexer drops it
	}
	if r, ok := st.c.Cache.getScan(src); ok {
		return r.toks, r.runs
	}
	var r scanResult
	if toks, runs, ok := scanSource(s, st.cfg, scanPiece); ok {
		r = scanResult{toks, runs}
	} else {
		r = scanResult{toks: lexTokens(src, st.cfg)}
	}
	st.c.Cache.putScan(src, &r)
	return r.toks, r.runs
}

// lexTokens lexes src as gonja does, without the EOF token.
func lexTokens(src string, cfg *config.Config) []*tokens.Token {
	masked, _ := maskBackslashes(src)
	s := tokens.LexAll(masked, cfg)
	var toks []*tokens.Token
	for !s.End() {
		t := s.Next()
		if t == nil || t.Type == tokens.EOF {
			break
		}
		if t.Type == tokens.String {
			if v, ok := literalAt(src, t.Pos); ok {
				t.Val = v
			}
		}
		toks = append(toks, t)
	}
	return toks
}

// addExpr registers an expression parsed by patchSource and returns the
// placeholder name that stands for it in the source gonja parses.
// The names are short (the skeleton gonja lexes is smaller) and the
// rewriter takes a name for a placeholder only at the position it was
// put at, so a template's own variable of the same name stays itself.
func (st *state) addExpr(e nodes.Expression) (string, *parsedExpr) {
	name := exprName(st.nexprs)
	st.nexprs++
	pe := &parsedExpr{expr: e, pos: -1}
	st.exprs[name] = pe
	return name, pe
}

// exprName is the placeholder name of the i-th expression patchSource
// parsed.
func exprName(i int) string { return "__b" + strconv.FormatInt(int64(i+1), 36) }

// parsedExpr is an expression parsed by patchSource; the rewriter
// rewrites it once (a template compiled twice shares it).
type parsedExpr struct {
	expr  nodes.Expression
	pos   int // the placeholder's offset in the source gonja parses
	done  bool
	names map[string]bool // the names it references
}
