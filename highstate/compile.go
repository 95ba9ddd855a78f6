package highstate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/states"
)

// Requisite kinds, in the order Salt collects them.
var (
	directKinds = []string{"require", "require_any", "watch", "watch_any", "prereq",
		"onfail", "onfail_any", "onfail_all", "onchanges", "onchanges_any", "listen"}
	inKinds = map[string]string{
		"require_in": "require", "watch_in": "watch", "prereq_in": "prereq",
		"onfail_in": "onfail", "onchanges_in": "onchanges", "listen_in": "listen",
	}
	// mergeKinds are the arguments extend appends to instead of
	// replacing (Salt's STATE_REQUISITE_KEYWORDS).
	mergeKinds = map[string]bool{"require": true, "require_any": true, "watch": true,
		"watch_any": true, "prereq": true, "prerequired": true, "onfail": true,
		"onfail_any": true, "onfail_all": true, "onchanges": true, "onchanges_any": true,
		"listen": true, "onfail_stop": true}
	// compilerKeys are arguments the compiler consumes; they are not
	// passed to the state function.
	compilerKeys = map[string]bool{"name": true, "names": true, "order": true,
		"failhard": true, "onlyif": true, "unless": true, "creates": true,
		"check_cmd": true, "state": true, "fun": true, "fire_event": true,
		"reload_modules": true, "reload_grains": true, "reload_pillar": true,
		"prerequired": true, "onfail_stop": true, "retry": true, "parallel": true,
		"use": true, "use_in": true}
	// emptyRefError are the requisites Salt refuses to see empty (None)
	// in verify_high.
	emptyRefError = map[string]bool{"require": true, "watch": true, "prereq": true, "onchanges": true}
)

func init() {
	for _, k := range directKinds {
		compilerKeys[k] = true
	}
	for k := range inKinds {
		compilerKeys[k] = true
	}
}

func (l *loader) applyExtends() {
	excludedSLS := func(sls string) bool {
		for _, e := range l.excludes {
			if e.sls != "" && e.sls == sls {
				return true
			}
		}
		return false
	}
	for _, blk := range l.extends {
		if excludedSLS(blk.sls) {
			continue
		}
		at := where(blk.sls, blk.env, blk.file)
		for _, ext := range blk.ids {
			first := ext.decls[0].module
			target := l.byID[ext.id]
			if target == nil || target.decl(first) == nil {
				var found []*highID
				for _, h := range l.ids {
					if d := h.decl(first); d != nil {
						for _, a := range d.args {
							if s, ok := scalar(a.v); ok && s == ext.id {
								found = append(found, h)
								break
							}
						}
					}
				}
				if len(found) != 1 {
					// Salt's words (reconcile_extend), the file in
					// parentheses
					file := ""
					if blk.file != "" {
						file = " (" + blk.file + ")"
					}
					l.errs.addf("Cannot extend ID '%s' in '%s:%s'%s. It is not part of the high state.\nThis is likely due to a missing include statement or an incorrectly typed ID.\nEnsure that a state with an ID of '%s' is available\nin environment '%s' and to SLS '%s'",
						ext.id, blk.env, blk.sls, file, ext.id, blk.env, blk.sls)
					continue
				}
				target = found[0]
			}
			for _, d := range ext.decls {
				td := target.decl(d.module)
				if td == nil {
					nd := &decl{module: d.module, funs: append([]string(nil), d.funs...), args: append([]kv(nil), d.args...), funPos: d.funPos}
					if len(nd.funs) == 0 {
						l.errs.addf("No function declared in state '%s' in %s (added by extend in %s)", target.id, where(target.sls, target.env, target.file), at)
						continue
					}
					target.decls = append(target.decls, nd)
					continue
				}
				mergeDecl(td, d)
			}
		}
	}
}

func (h *highID) decl(module string) *decl {
	for _, d := range h.decls {
		if d.module == module {
			return d
		}
	}
	return nil
}

// mergeDecl applies an extension to a declaration as Salt's
// reconcile_extend does: a function replaces the function, requisites
// are appended to, other arguments replaced, new ones appended.
func mergeDecl(td, d *decl) {
	for _, f := range d.funs {
		if len(td.funs) == 0 {
			td.funs = append(td.funs, f)
			continue
		}
		for i := range td.funs {
			td.funs[i] = f
		}
	}
	for _, a := range d.args {
		updated := false
		for i, ta := range td.args {
			if ta.k == a.k {
				if mergeKinds[a.k] {
					old, ok1 := ta.v.([]any)
					add, ok2 := a.v.([]any)
					if ok1 && ok2 {
						td.args[i].v = append(append([]any(nil), old...), add...)
					} else {
						td.args[i] = a
					}
				} else {
					td.args[i] = a
				}
				updated = true
			} else if a.k == "name" && ta.k == "names" {
				td.args[i] = a
				updated = true
			}
		}
		if !updated {
			td.args = append(td.args, a)
		}
	}
}

func (l *loader) applyExcludes() {
	if len(l.excludes) == 0 {
		return
	}
	kept := l.ids[:0]
	for _, h := range l.ids {
		drop := false
		for _, e := range l.excludes {
			if (e.id != "" && e.id == h.id) || (e.sls != "" && fnmatch(e.sls, h.sls)) {
				drop = true
				break
			}
		}
		if drop {
			delete(l.byID, h.id)
			continue
		}
		kept = append(kept, h)
	}
	l.ids = kept
}

// ref is a requisite reference as written: module (or "id", "sls") and
// target.
type ref struct {
	mod, val string
}

// cchunk is a chunk being compiled.
type cchunk struct {
	Chunk
	seq       int // declaration position
	module    string
	function  string
	nameOrder int
	order     any // explicit order value, nil when not given
	auto      int
	hasAuto   bool
	state     states.State
	slsSet    []string // its sls and every sls including it
	direct    map[string][]ref
	in        map[string][]ref
	reqs      []resolved
	prereqOf  []int // chunks with a prereq on this one
}

// resolved is a requisite matched to chunks (indices in decl order).
type resolved struct {
	kind    string
	mod     string
	val     string
	targets []int
}

type compiler struct {
	l      *loader
	errs   *problems
	chunks []*cchunk
	// lookup: (module or "id", id-or-name) -> chunk indices
	lookup  map[[2]string][]int
	globRes map[string]*glob.Glob
}

func (l *loader) compile() (*Plan, error) {
	l.conflictErrors()
	l.applyExtends()
	l.applyExcludes()
	l.applyUse()
	// lookup gets two keys per chunk, four when its name is not its ID
	c := &compiler{l: l, errs: &l.errs, lookup: make(map[[2]string][]int, 4*len(l.ids)), globRes: map[string]*glob.Glob{}}
	c.buildChunks()
	c.resolveRequisites()
	plan := c.plan()
	if len(l.errs.list) > 0 {
		return nil, &CompileError{Errors: l.errs.list}
	}
	return plan, nil
}

// slsAncestors returns sls and every sls that includes it, directly or
// not.
func (l *loader) slsAncestors(sls string) []string {
	out := []string{sls}
	seen := map[string]bool{sls: true}
	for i := 0; i < len(out); i++ {
		for _, p := range l.includedBy[out[i]] {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func (c *compiler) buildChunks() {
	ancestors := map[string][]string{}
	for _, h := range c.l.ids {
		at := where(h.sls, h.env, h.file)
		anc, ok := ancestors[h.sls]
		if !ok {
			anc = c.l.slsAncestors(h.sls)
			ancestors[h.sls] = anc
		}
		for _, d := range h.decls {
			if len(d.funs) == 0 {
				c.errs.addf("No function declared in state '%s' in %s", h.id, at)
				continue
			}
			if len(d.funs) > 1 {
				c.errs.addf("Too many functions declared in state '%s' in %s. Please choose one of the following: %s", h.id, at, strings.Join(d.funs, ", "))
				continue
			}
			base := map[string]any{}
			var names []any
			name := h.id
			for _, a := range d.args {
				switch a.k {
				case "names":
					list, ok := a.v.([]any)
					if !ok {
						c.errs.addf("The 'names' argument in state '%s' in %s needs to be formed as a list", h.id, at)
						continue
					}
					names = append(names, list...)
				case "state":
				case "name":
					if s, ok := scalar(a.v); ok {
						name = s
					} else {
						name = h.id
					}
				default:
					base[a.k] = a.v
				}
			}
			mk := func(name string, nameOrder int, extra []any) {
				args := make(map[string]any, len(base))
				for k, v := range base {
					args[k] = v
				}
				order := make([]string, 0, len(d.args)+len(extra))
				for _, a := range d.args {
					order = append(order, a.k)
				}
				for _, e := range extra {
					m, ok := e.(*render.Map)
					if !ok || m.Len() != 1 {
						c.errs.addf("State '%s' in %s: the arguments of name '%s' must be single-key mappings", h.id, at, name)
						continue
					}
					args[m.Keys[0]] = m.Values[m.Keys[0]]
					order = append(order, m.Keys[0])
				}
				c.newChunk(h, d, name, nameOrder, args, order, anc)
			}
			if len(names) == 0 {
				mk(name, 0, nil)
				continue
			}
			seen := map[string]bool{}
			for i, e := range names {
				var n string
				var extra []any
				switch t := e.(type) {
				case *render.Map:
					if t.Len() != 1 {
						c.errs.addf("The 'names' entry %s in state '%s' in %s must be a name or a single-key mapping", describe(e), h.id, at)
						continue
					}
					n = t.Keys[0]
					switch v := t.Values[n].(type) {
					case []any:
						extra = v
					case nil:
					default:
						c.errs.addf("The arguments of name '%s' in state '%s' in %s must be a list", n, h.id, at)
						continue
					}
				default:
					s, ok := scalar(e)
					if !ok {
						c.errs.addf("The 'names' entry %s in state '%s' in %s is not a name", describe(e), h.id, at)
						continue
					}
					n = s
				}
				if seen[n] {
					continue
				}
				seen[n] = true
				mk(n, i+1, extra)
			}
		}
	}
}

func (c *compiler) newChunk(h *highID, d *decl, name string, nameOrder int, args map[string]any, order []string, anc []string) {
	at := where(h.sls, h.env, h.file)
	fun := d.module + "." + d.funs[0]
	ch := &cchunk{
		Chunk: Chunk{
			ID: h.id, Name: name, Fun: fun, SLS: h.sls, File: h.file, Saltenv: h.env,
			Args: map[string]any{},
		},
		seq:       len(c.chunks),
		module:    d.module,
		function:  d.funs[0],
		nameOrder: nameOrder,
		auto:      d.auto,
		hasAuto:   d.hasAuto,
		slsSet:    anc,
		direct:    map[string][]ref{},
		in:        map[string][]ref{},
	}
	st, ok := states.Lookup(fun)
	if !ok && !c.l.show {
		c.errs.addf("State '%s' was not found in %s: ID '%s' uses an unknown state function", fun, at, h.id)
	}
	ch.state = st
	what := fmt.Sprintf("state '%s' (%s) in %s", h.id, fun, at)
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := args[k]
		switch {
		case k == "retry":
			ch.Retry = retryData(v)
		case k == "parallel":
			b, ok := boolValue(v)
			if !ok {
				c.errs.addf("%s: parallel must be a boolean, not %s", what, describe(v))
				continue
			}
			ch.Parallel = b
		case k == "order":
			if v != nil {
				ch.order = v
			}
		case k == "failhard":
			b, ok := boolValue(v)
			if !ok {
				c.errs.addf("%s: failhard must be a boolean, not %s", what, describe(v))
				continue
			}
			ch.Failhard = &b
		case k == "onlyif" || k == "unless" || k == "check_cmd" || k == "creates":
			list, err := commandList(v, k == "onlyif" || k == "unless")
			if err == errBadType && (k == "onlyif" || k == "unless") {
				// Salt compiles it, and its check, finding an entry
				// that is neither a command nor a function call
				// ("bad type passed"), lets the state run
				continue
			}
			if err != "" {
				c.errs.addf("%s: %s %s", what, k, err)
				continue
			}
			switch k {
			case "onlyif":
				ch.OnlyIf = list
			case "unless":
				ch.Unless = list
			case "check_cmd":
				ch.CheckCmd = list
			default:
				ch.Creates = list
			}
		case inKinds[k] != "":
			refs, ok := c.parseRefs(k, v, true, what)
			if ok {
				ch.in[inKinds[k]] = append(ch.in[inKinds[k]], refs...)
			}
		case isDirectKind(k):
			refs, ok := c.parseRefs(k, v, false, what)
			if ok {
				ch.direct[k] = append(ch.direct[k], refs...)
			}
		case compilerKeys[k]:
		default:
			ch.Args[k] = plain(v)
		}
	}
	if ok && st.KeepArgOrder {
		seen := map[string]bool{}
		for _, k := range order {
			if _, in := ch.Args[k]; in && !seen[k] {
				seen[k] = true
				ch.ArgOrder = append(ch.ArgOrder, k)
			}
		}
	}
	if ok && !c.l.show {
		for _, r := range st.Required {
			if v, present := args[r]; !present || v == nil {
				c.errs.addf("%s: missing required argument '%s'", what, r)
			}
		}
	}
	idx := len(c.chunks)
	c.chunks = append(c.chunks, ch)
	lk := [4][2]string{{d.module, h.id}, {"id", h.id}, {d.module, name}, {"id", name}}
	n := 2
	if name != h.id {
		n = 4
	}
	for _, k := range lk[:n] {
		c.lookup[k] = append(c.lookup[k], idx)
	}
}

func isDirectKind(k string) bool {
	for _, d := range directKinds {
		if d == k {
			return true
		}
	}
	return false
}

// parseRefs reads a requisite list: [{module: target} | {sls: name} |
// bare-id, ...]; the _in forms also take a mapping.
func (c *compiler) parseRefs(kind string, v any, isIn bool, what string) ([]ref, bool) {
	var items []any
	switch t := v.(type) {
	case nil:
		if !isIn && emptyRefError[kind] {
			c.errs.addf("The %s statement in %s needs to be formed as a list", kind, what)
			return nil, false
		}
		return nil, true
	case []any:
		items = t
	case *render.Map:
		if !isIn {
			c.errs.addf("The %s statement in %s needs to be formed as a list", kind, what)
			return nil, false
		}
		for _, k := range t.Keys {
			m := render.NewMap()
			m.Set(k, t.Values[k])
			items = append(items, m)
		}
	default:
		c.errs.addf("The %s statement in %s needs to be formed as a list", kind, what)
		return nil, false
	}
	var out []ref
	ok := true
	for _, it := range items {
		switch t := it.(type) {
		case string:
			out = append(out, ref{"id", t})
		case *render.Map:
			if t.Len() != 1 {
				c.errs.addf("Requisite declaration %s in %s is not formed as a single key dictionary", describe(it), what)
				ok = false
				continue
			}
			mod := t.Keys[0]
			if i := strings.IndexByte(mod, '.'); i >= 0 {
				c.errs.addf("Invalid requisite type '%s' in %s. Requisite types must not contain dots, did you mean '%s'?", mod, what, mod[:i])
				ok = false
				continue
			}
			val := t.Values[mod]
			if val == nil {
				continue
			}
			s, isScalar := scalar(val)
			if !isScalar {
				c.errs.addf("Illegal requisite %s in %s, please check your syntax", describe(it), what)
				ok = false
				continue
			}
			out = append(out, ref{mod, s})
		default:
			c.errs.addf("Requisite declaration %s in %s is not formed as a single key dictionary", describe(it), what)
			ok = false
		}
	}
	return out, ok
}

// match finds the chunks a reference names, in declaration order. An
// "sls: X" reference names the states declared in X itself (a glob
// matches sls names), not those of the files X includes, as Salt's
// requisite check does.
func (c *compiler) match(r ref) []int {
	if r.mod == "sls" {
		var out []int
		for i, ch := range c.chunks {
			if c.fnmatch(r.val, ch.SLS) {
				out = append(out, i)
			}
		}
		return out
	}
	if !isGlob(r.val) {
		return c.lookup[[2]string{r.mod, r.val}]
	}
	var out []int
	for i, ch := range c.chunks {
		if (r.mod == "id" || r.mod == ch.module) && (c.fnmatch(r.val, ch.ID) || c.fnmatch(r.val, ch.Name)) {
			out = append(out, i)
		}
	}
	return out
}

func (c *compiler) fnmatch(pattern, s string) bool {
	if !isGlob(pattern) {
		return pattern == s
	}
	g, ok := c.globRes[pattern]
	if !ok {
		g = compileGlob(pattern)
		c.globRes[pattern] = g
	}
	return g.Match(s)
}

func (c *compiler) describeChunk(ch *cchunk) string {
	return fmt.Sprintf("state '%s' (%s) in %s", ch.ID, ch.Fun, where(ch.SLS, ch.Saltenv, ch.File))
}

func (c *compiler) addReq(i int, kind string, r ref, targets []int) {
	ch := c.chunks[i]
	for j := range ch.reqs {
		if ch.reqs[j].kind == kind && ch.reqs[j].mod == r.mod && ch.reqs[j].val == r.val {
			ch.reqs[j].targets = mergeInts(ch.reqs[j].targets, targets)
			return
		}
	}
	ch.reqs = append(ch.reqs, resolved{kind: kind, mod: r.mod, val: r.val, targets: mergeInts(nil, targets)})
}

func mergeInts(dst, src []int) []int {
	if len(dst)+len(src) > 32 {
		seen := make(map[int]bool, len(dst)+len(src))
		for _, d := range dst {
			seen[d] = true
		}
		for _, s := range src {
			if !seen[s] {
				seen[s] = true
				dst = append(dst, s)
			}
		}
		return dst
	}
	for _, s := range src {
		found := false
		for _, d := range dst {
			if d == s {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, s)
		}
	}
	return dst
}

// missing reports a requisite that matches no state (unless an sls
// failed to load: the target may be in it).
func (c *compiler) missing(kind string, r ref, ch *cchunk) {
	if c.l.loadFailed || c.l.show {
		return // state.show_* do not check requisite targets, as in Salt
	}
	c.errs.addf("Referenced state does not exist for requisite [%s: (%s: %s)] in %s", kind, r.mod, r.val, c.describeChunk(ch))
}

func (c *compiler) resolveRequisites() {
	for i, ch := range c.chunks {
		for _, kind := range directKinds {
			for _, r := range ch.direct[kind] {
				t := c.match(r)
				if len(t) == 0 {
					c.missing(kind, r, ch)
					continue
				}
				c.addReq(i, kind, r, t)
			}
		}
	}
	for i, ch := range c.chunks {
		for _, kind := range directKinds {
			for _, r := range ch.in[kind] {
				t := c.match(r)
				if r.mod == "sls" {
					// Salt's find_sls_ids: the states of exactly that sls;
					// none is not an error
					t = c.slsIDs(r.val)
					if len(t) == 0 {
						continue
					}
				}
				if len(t) == 0 {
					c.missing(kind+"_in", r, ch)
					continue
				}
				for _, j := range t {
					c.addReq(j, kind, ref{ch.module, ch.ID}, []int{i})
				}
			}
		}
	}
	// prereq: the target runs after the state that prereqs it
	for i, ch := range c.chunks {
		for _, rq := range ch.reqs {
			if rq.kind != "prereq" {
				continue
			}
			for _, t := range rq.targets {
				c.addReq(t, "prerequired", ref{ch.module, ch.ID}, []int{i})
				c.chunks[t].prereqOf = mergeInts(c.chunks[t].prereqOf, []int{i})
			}
		}
	}
}

// boolValue reads a YAML boolean (or its common string spellings).
func boolValue(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch strings.ToLower(t) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
	case int:
		return t != 0, true
	}
	return false, false
}

// errBadType is commandList's complaint about an entry that is neither a
// command nor a function call (a boolean, a number).
const errBadType = "bad type"

// errFunEntry is commandList's complaint about an entry calling an
// execution function.
const errFunEntry = "entries calling execution modules (fun: ...) are not supported; use a shell command"

// commandList reads a string or a list of strings. A mapping without
// fun ends a condition list (cond): Salt's onlyif and unless checks stop
// there and decide on the entries before it ("no `fun` argument in
// onlyif").
func commandList(v any, cond bool) ([]string, string) {
	switch t := v.(type) {
	case nil:
		return nil, ""
	case string:
		return []string{t}, ""
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				if m, isMap := e.(*render.Map); isMap {
					if _, fun := m.Values["fun"]; !fun && cond {
						return out, ""
					}
					return nil, errFunEntry
				}
				return nil, errBadType
			}
			out = append(out, s)
		}
		return out, ""
	case *render.Map:
		if _, fun := t.Values["fun"]; !fun && cond {
			return nil, ""
		}
		return nil, errFunEntry
	}
	return nil, errBadType
}

// plain converts render data into plain Go values for state arguments.
func plain(v any) any {
	switch t := v.(type) {
	case *render.Map:
		return t.ToPlain()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// slsIDs are the chunks declared in sls (Salt's find_sls_ids).
func (c *compiler) slsIDs(sls string) []int {
	var out []int
	for i, ch := range c.chunks {
		if ch.SLS == sls {
			out = append(out, i)
		}
	}
	return out
}

// retryData is Salt's verify_retry_data: the retry settings, a default
// for each missing or mistyped one.
func retryData(v any) *Retry {
	r := &Retry{Until: true, Attempts: 2, Interval: 30}
	m, ok := v.(*render.Map)
	if !ok {
		return r
	}
	if b, ok := m.Values["until"].(bool); ok {
		r.Until = b
	}
	for k, dst := range map[string]*int{"attempts": &r.Attempts, "interval": &r.Interval, "splay": &r.Splay} {
		if n, ok := m.Values[k].(int); ok {
			*dst = n
		}
	}
	return r
}

// applyUse copies arguments as Salt's use and use_in do: the state
// using another gets each of its arguments it does not set itself
// (requisites, name and names excepted).
func (l *loader) applyUse() {
	type target struct {
		h *highID
		d *decl
	}
	find := func(name, module string) []target {
		if h := l.byID[name]; h != nil {
			if d := h.decl(module); d != nil {
				return []target{{h, d}}
			}
			return nil
		}
		var out []target
		for _, h := range l.ids {
			if d := h.decl(module); d != nil {
				if v, i := d.arg("name"); i >= 0 {
					if s, ok := scalar(v); ok && s == name {
						out = append(out, target{h, d})
					}
				}
			}
		}
		return out
	}
	copyArgs := func(dst, src *decl) {
		own := map[string]bool{}
		for _, a := range dst.args {
			own[a.k] = true
		}
		for _, a := range src.args {
			if own[a.k] || useSkip[a.k] || a.k == "name" || a.k == "names" {
				continue
			}
			dst.args = append(dst.args, a)
			own[a.k] = true
		}
	}
	for _, h := range l.ids {
		for _, d := range h.decls {
			for _, a := range d.args {
				if a.k != "use" && a.k != "use_in" {
					continue
				}
				list, ok := a.v.([]any)
				if !ok {
					l.errs.addf("The %s statement in state '%s' in %s needs to be formed as a list", a.k, h.id, where(h.sls, h.env, h.file))
					continue
				}
				for _, it := range list {
					m, ok := it.(*render.Map)
					if !ok || m.Len() != 1 {
						continue
					}
					mod := m.Keys[0]
					name, _ := scalar(m.Values[mod])
					for _, t := range find(name, mod) {
						if a.k == "use" {
							copyArgs(d, t.d)
						} else {
							copyArgs(t.d, d)
						}
					}
				}
			}
		}
	}
}

// useSkip are the arguments use and use_in do not copy.
var useSkip = map[string]bool{"require_in": true, "watch_in": true, "onfail_in": true,
	"onchanges_in": true, "use": true, "use_in": true, "prereq": true, "prereq_in": true,
	"require": true, "watch": true, "onfail": true, "onfail_stop": true, "onchanges": true}
