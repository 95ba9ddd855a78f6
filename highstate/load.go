package highstate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/render"
)

// highID is one ID declaration of the high data.
type highID struct {
	id, sls, env, file string
	decls              []*decl
	// seq is the ID's place in Salt's high data dict: an SLS' own IDs,
	// then those of its includes (render_state's state.update), where
	// l.ids has them after their includes (the auto order).
	seq int
}

// decl is one state declaration of an ID: module, function(s), ordered
// arguments.
type decl struct {
	module string
	funs   []string
	args   []kv
	// auto is the auto order (state_auto_order); hasAuto false for a
	// declaration with an explicit order or added by extend.
	auto    int
	hasAuto bool
	// funPos is where in args the function was written ("module:
	// [arg, fun, ...]"): Salt's high data keeps it there, and puts the
	// function of a "module.fun:" key after the arguments; -1: after.
	funPos int
}

type kv struct {
	k string
	v any
}

func (d *decl) arg(k string) (any, int) {
	for i, a := range d.args {
		if a.k == k {
			return a.v, i
		}
	}
	return nil, -1
}

// extendBlock is one file's extend: mapping.
type extendBlock struct {
	sls, env, file string
	ids            []*highID
}

// exclusion is one exclude: entry.
type exclusion struct {
	sls, id string // one of them set; sls may be a glob
}

// loader renders sls files and collects the high data in Salt's order.
type loader struct {
	ctx  context.Context
	o    Options
	mem  map[string]*render.Map
	errs problems

	loaded   map[string]bool // "env:sls"
	ids      []*highID
	byID     map[string]*highID
	extends  []extendBlock
	excludes []exclusion
	// includedBy maps an sls to the sls that include it directly.
	includedBy map[string][]string
	iorder     int
	seq        int
	// conflicts are the IDs declared by more than one SLS, with every
	// declaration, reported by conflictErrors.
	conflicts   map[string][]*highID
	conflictIDs []string
	// loadFailed: an sls could not be loaded; requisites naming states
	// that are not there are then not reported (they may be in it).
	loadFailed bool
	// show: compiling for state.show_*, which, as in Salt, does not ask
	// for the state functions to exist.
	show bool
}

func newLoader(ctx context.Context, o Options, mem map[string]*render.Map) *loader {
	return &loader{
		ctx:        ctx,
		o:          o,
		mem:        mem,
		loaded:     map[string]bool{},
		conflicts:  map[string][]*highID{},
		byID:       map[string]*highID{},
		includedBy: map[string][]string{},
		iorder:     10000,
	}
}

func (l *loader) saltenv() string {
	if l.o.Saltenv != "" {
		return l.o.Saltenv
	}
	return "base"
}

// where names an sls (and its file) in messages.
func where(sls, env, file string) string {
	s := sls
	if env != "" && env != "base" {
		s = env + ":" + sls
	}
	if file != "" && file != sls {
		return fmt.Sprintf("SLS '%s' (%s)", s, file)
	}
	return fmt.Sprintf("SLS '%s'", s)
}

func (l *loader) loadTop(sls string) {
	if strings.TrimSpace(sls) == "" {
		l.errs.add("empty sls name")
		return
	}
	l.load(sls, l.saltenv(), true)
}

// fetch returns an sls' data and file name.
func (l *loader) fetch(sls, env string) (*render.Map, string, error) {
	if m, ok := l.mem[sls]; ok && env == l.saltenv() {
		return m, "", nil
	}
	if l.o.Source == nil {
		return nil, "", fs.ErrNotExist
	}
	return l.o.Source.Load(l.ctx, sls, env)
}

// load renders sls in env, then its includes, and appends its IDs after
// theirs (Salt's auto order: included states come first). top: sls is
// named by the top file or the caller, not by an include.
func (l *loader) load(sls, env string, top bool) {
	key := env + ":" + sls
	if l.loaded[key] {
		return
	}
	l.loaded[key] = true
	data, file, err := l.fetch(sls, env)
	if err != nil {
		l.loadFailed = true
		switch {
		case errors.Is(err, fs.ErrNotExist) && top:
			// Salt's render_highstate words it so for the SLS it
			// was asked for
			l.errs.addf("No matching sls found for '%s' in env '%s'", sls, env)
		case errors.Is(err, fs.ErrNotExist):
			l.errs.addf("Specified SLS %s in saltenv %s is not available on the salt master or through a configured fileserver", sls, env)
		default:
			l.errs.addf("Rendering SLS '%s:%s' failed: %v", env, sls, err)
		}
		return
	}
	if data == nil {
		return
	}
	if n, changed := normalize(data); changed {
		data = n.(*render.Map)
	}
	at := where(sls, env, file)
	var includes []any
	var own []*highID
	for _, k := range data.Keys {
		v := data.Values[k]
		switch k {
		case "include":
			list, ok := v.([]any)
			if !ok {
				if v != nil {
					l.errs.addf("Include Declaration in %s is not formed as a list", at)
				}
				continue
			}
			includes = list
		case "extend":
			l.parseExtend(v, sls, env, file)
		case "exclude":
			l.parseExclude(v, at)
		default:
			if strings.HasPrefix(k, "__") {
				continue
			}
			if h := parseID(&l.errs, k, v, sls, env, file); h != nil {
				h.seq = l.seq
				l.seq++
				own = append(own, h)
			}
		}
	}
	for _, inc := range includes {
		incSLS, incEnv, ok := l.resolveInclude(inc, sls, env, file, at)
		if !ok {
			continue
		}
		l.includedBy[incSLS] = appendUnique(l.includedBy[incSLS], sls)
		l.load(incSLS, incEnv, false)
	}
	for _, h := range own {
		for _, d := range h.decls {
			if _, i := d.arg("order"); i < 0 {
				d.auto, d.hasAuto = l.iorder, true
				l.iorder++
			}
		}
		if prev, dup := l.byID[h.id]; dup {
			if l.conflicts[h.id] == nil {
				l.conflictIDs = append(l.conflictIDs, h.id)
				l.conflicts[h.id] = []*highID{prev}
			}
			l.conflicts[h.id] = append(l.conflicts[h.id], h)
			continue
		}
		l.byID[h.id] = h
		l.ids = append(l.ids, h)
	}
}

// resolveInclude turns an include entry into an sls name and saltenv.
func (l *loader) resolveInclude(inc any, sls, env, file, at string) (string, string, bool) {
	name, incEnv := "", env
	switch t := inc.(type) {
	case string:
		name = t
	case *render.Map:
		if t.Len() != 1 {
			l.errs.addf("Include %s in %s must be an sls name or a single-key mapping", describe(inc), at)
			return "", "", false
		}
		k := t.Keys[0]
		s, ok := t.Values[k].(string)
		if !ok {
			l.errs.addf("Include %s in %s must name an sls", describe(inc), at)
			return "", "", false
		}
		name = s
		if k != "sls" {
			incEnv = k // {saltenv: sls}
		}
	default:
		l.errs.addf("Include %s in %s must be an sls name", describe(inc), at)
		return "", "", false
	}
	name = strings.TrimSpace(name)
	if name == "" {
		l.errs.addf("Empty include in %s", at)
		return "", "", false
	}
	if strings.HasPrefix(name, ".") {
		rest := strings.TrimLeft(name, ".")
		levels := len(name) - len(rest)
		if rest == "" {
			l.errs.addf("Badly formatted include %s found in include in %s", name, at)
			return "", "", false
		}
		comps := strings.Split(sls, ".")
		if file == "init.sls" || strings.HasSuffix(file, "/init.sls") {
			comps = append(comps, "init")
		}
		if levels > len(comps) {
			l.errs.addf("Attempted relative include of '%s' within %s goes beyond top level package", name, at)
			return "", "", false
		}
		name = strings.Join(append(append([]string(nil), comps[:len(comps)-levels]...), rest), ".")
	}
	return name, incEnv, true
}

func (l *loader) parseExtend(v any, sls, env, file string) {
	at := where(sls, env, file)
	m, ok := v.(*render.Map)
	if !ok {
		if v != nil {
			l.errs.addf("Extension value in %s is not a dictionary", at)
		}
		return
	}
	blk := extendBlock{sls: sls, env: env, file: file}
	for _, id := range m.Keys {
		body, ok := m.Values[id].(*render.Map)
		if !ok {
			l.errs.addf("Extension name '%s' in %s is not a dictionary", id, at)
			continue
		}
		h := &highID{id: id, sls: sls, env: env, file: file}
		for _, k := range body.Keys {
			if strings.HasPrefix(k, "__") {
				continue
			}
			if d := parseDecl(&l.errs, id, k, body.Values[k], at, true); d != nil {
				h.decls = append(h.decls, d)
			}
		}
		if len(h.decls) == 0 {
			l.errs.addf("Extension of ID '%s' in %s declares no state", id, at)
			continue
		}
		blk.ids = append(blk.ids, h)
	}
	l.extends = append(l.extends, blk)
}

func (l *loader) parseExclude(v any, at string) {
	list, ok := v.([]any)
	if !ok {
		if v != nil {
			l.errs.addf("Exclude Declaration in %s is not formed as a list", at)
		}
		return
	}
	for _, e := range list {
		switch t := e.(type) {
		case string:
			l.excludes = append(l.excludes, exclusion{sls: t})
		case *render.Map:
			if t.Len() != 1 {
				l.errs.addf("Exclude %s in %s must be a single-key mapping", describe(e), at)
				continue
			}
			k := t.Keys[0]
			s, ok := scalar(t.Values[k])
			switch {
			case !ok:
				l.errs.addf("Exclude %s in %s must name an sls or an ID", describe(e), at)
			case k == "sls":
				l.excludes = append(l.excludes, exclusion{sls: s})
			case k == "id":
				l.excludes = append(l.excludes, exclusion{id: s})
			default:
				l.errs.addf("Exclude %s in %s: the key must be sls or id", describe(e), at)
			}
		default:
			l.errs.addf("Exclude %s in %s must be an sls name or a mapping", describe(e), at)
		}
	}
}

// parseID reads one ID declaration.
func parseID(errs *problems, id string, v any, sls, env, file string) *highID {
	at := where(sls, env, file)
	h := &highID{id: id, sls: sls, env: env, file: file}
	switch t := v.(type) {
	case string:
		// short form "ID: pkg.installed"
		mod, fun, ok := strings.Cut(t, ".")
		if !ok || mod == "" || fun == "" {
			errs.addf("ID %s in %s is not a dictionary", id, at)
			return nil
		}
		h.decls = []*decl{{module: mod, funs: []string{fun}}}
		return h
	case *render.Map:
		seen := map[string]bool{}
		for _, k := range t.Keys {
			if strings.HasPrefix(k, "__") {
				continue
			}
			d := parseDecl(errs, id, k, t.Values[k], at, false)
			if d == nil {
				continue
			}
			if seen[d.module] {
				errs.addf("ID '%s' in %s contains multiple state declarations of the same type", id, at)
				continue
			}
			seen[d.module] = true
			h.decls = append(h.decls, d)
		}
		if len(h.decls) == 0 && t.Len() > 0 {
			return nil
		}
		if len(h.decls) == 0 {
			errs.addf("ID '%s' in %s declares no state", id, at)
			return nil
		}
		return h
	default:
		errs.addf("ID %s in %s is not a dictionary", id, at)
		return nil
	}
}

// multiKeyRefused are the first keys for which Salt's verify_high
// refuses an argument mapping with several keys.
var multiKeyRefused = map[string]bool{"require": true, "watch": true, "prereq": true, "onchanges": true}

// parseDecl reads "module.fun: [args]" or "module: [fun, args]".
func parseDecl(errs *problems, id, key string, v any, at string, extend bool) *decl {
	d := &decl{module: key, funPos: -1}
	if mod, fun, ok := strings.Cut(key, "."); ok {
		if mod == "" || fun == "" {
			errs.addf("ID '%s' in %s: invalid state declaration '%s'", id, at, key)
			return nil
		}
		d.module = mod
		d.funs = append(d.funs, fun)
	}
	var items []any
	switch t := v.(type) {
	case []any:
		items = t
	case nil:
		if !extend && len(d.funs) > 0 {
			errs.addf("ID '%s' in %s contains a short declaration (%s) with a trailing colon. When not passing any arguments to a state, the colon must be omitted.", id, at, key)
			return nil
		}
	default:
		errs.addf("State '%s' in %s is not formed as a list", id, at)
		return nil
	}
	bad := false
	for _, it := range items {
		switch a := it.(type) {
		case string:
			if strings.ContainsAny(strings.TrimSpace(a), " \t") {
				errs.addf("The function \"%s\" in state \"%s\" in %s has whitespace, a function with whitespace is not supported, perhaps this is an argument that is missing a \":\"", a, id, at)
				bad = true
				continue
			}
			if len(d.funs) == 0 {
				d.funPos = len(d.args)
			}
			d.funs = append(d.funs, strings.TrimSpace(a))
		case *render.Map:
			if a.Len() == 0 || (a.Len() > 1 && multiKeyRefused[a.Keys[0]]) {
				errs.addf("Multiple dictionaries defined in argument of state '%s' in %s", id, at)
				bad = true
				continue
			}
			// Salt reads every key of a several-key argument
			// ("- context:\n  apache: ..." is {context: None,
			// apache: ...}), but its requisite_in only the first:
			// a later _in requisite would be silently dropped
			// there, so it is refused here.
			for i, k := range a.Keys {
				if i > 0 && (saltReqIn[k] || inKinds[k] != "") {
					errs.addf("State '%s' in %s: requisite '%s' shares an argument with '%s'; give it its own list item", id, at, k, a.Keys[0])
					bad = true
					continue
				}
				d.args = append(d.args, kv{k, a.Values[k]})
			}
		default:
			// Salt's verify_high and compile_high_data read only
			// strings and mappings and pass over anything else
			// (nfs-formula's "- {{ persist }}" renders "- False")
		}
	}
	if bad {
		return nil
	}
	if !extend {
		if len(d.funs) == 0 {
			errs.addf("No function declared in state '%s' in %s", id, at)
			return nil
		}
	}
	return d
}

// normalize turns any plain map[string]any in rendered data into a
// *render.Map (keys sorted), copying only what changes: the caller's data
// is left as it was.
func normalize(v any) (any, bool) {
	switch t := v.(type) {
	case *render.Map:
		if t == nil {
			return render.NewMap(), true
		}
		var out *render.Map
		for i, k := range t.Keys {
			nv, changed := normalize(t.Values[k])
			if changed && out == nil {
				out = &render.Map{Keys: append([]string(nil), t.Keys...), Values: make(map[string]any, len(t.Values))}
				for _, pk := range t.Keys[:i] {
					out.Values[pk] = t.Values[pk]
				}
			}
			if out != nil {
				out.Values[k] = nv
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := render.NewMap()
		for _, k := range keys {
			nv, _ := normalize(t[k])
			m.Set(k, nv)
		}
		return m, true
	case []any:
		var out []any
		for i, e := range t {
			ne, changed := normalize(e)
			if changed && out == nil {
				out = append(make([]any, 0, len(t)), t[:i]...)
			}
			if out != nil {
				out = append(out, ne)
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	}
	return v, false
}

// problems collects compile errors, each once.
type problems struct {
	list []string
	seen map[string]bool
}

func (p *problems) add(msg string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[msg] {
		return
	}
	p.seen[msg] = true
	p.list = append(p.list, msg)
}

func (p *problems) addf(format string, args ...any) { p.add(fmt.Sprintf(format, args...)) }

// scalar formats strings, numbers and booleans.
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		if t {
			return "True", true
		}
		return "False", true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case uint64:
		return strconv.FormatUint(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	}
	return "", false
}

// describe shows a value briefly for messages.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	case *render.Map:
		var b strings.Builder
		b.WriteString("{")
		for i, k := range t.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": " + describe(t.Values[k]))
		}
		b.WriteString("}")
		return b.String()
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = describe(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if s, ok := scalar(v); ok {
		return s
	}
	return fmt.Sprintf("%v", v)
}

func appendUnique(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

func sortStrings(s []string) { sort.Strings(s) }

// conflictErrors reports the IDs several SLS declare as Salt's
// merge_included_states does: each declaration against the one before
// it in Salt's high data order (the holder it replaces).
func (l *loader) conflictErrors() {
	for _, id := range l.conflictIDs {
		hs := slices.Clone(l.conflicts[id])
		slices.SortStableFunc(hs, func(a, b *highID) int { return a.seq - b.seq })
		for i := 1; i < len(hs); i++ {
			a, b := hs[i-1], hs[i]
			l.errs.addf("Detected conflicting IDs, SLS IDs need to be globally unique.\n    The conflicting ID is '%s' and is found in SLS '%s:%s'%s and SLS '%s:%s'%s",
				id, a.env, a.sls, inParens(a.file), b.env, b.sls, inParens(b.file))
		}
	}
	l.conflictIDs, l.conflicts = nil, map[string][]*highID{}
}

// inParens is " (s)", or nothing for an empty s.
func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
