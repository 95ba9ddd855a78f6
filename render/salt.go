package render

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// The salt object and the pure execution-module functions this package
// provides itself.

type saltFunc struct {
	name string
	fn   Func                                                        // caller's: plain Go values in and out
	raw  func(st *state, args []any, kw map[string]any) (any, error) // ours: template values, may mutate
}

// saltFunc returns salt[name]: the caller's function (Context.Salt), else
// the package's own. It is looked up at each use: a map of every function
// built for each render cost more than a small template's whole render.
func (st *state) saltFunc(name string) (*saltFunc, bool) {
	if fn := st.c.Salt[name]; fn != nil {
		return &saltFunc{name: name, fn: fn}, true
	}
	if fn, ok := defaultFuncs[name]; ok {
		return &saltFunc{name: name, raw: fn}, true
	}
	return nil, false
}

// call returns the Go function a template calls for f.
func (st *state) callSalt(f *saltFunc) boundMethod {
	return func(va *exec.VarArgs) (any, error) {
		if err := st.tick(); err != nil {
			return nil, err
		}
		args, kwargs := st.args(va), st.kwargs(va)
		if err := argUndefined(args...); err != nil {
			return nil, err
		}
		for _, v := range kwargs {
			if err := argUndefined(v); err != nil {
				return nil, err
			}
		}
		if f.raw != nil {
			res, err := f.raw(st, args, kwargs)
			if err != nil {
				return nil, fmt.Errorf("salt['%s']: %w", f.name, err)
			}
			return res, nil
		}
		plainArgs := make([]any, len(args))
		for i, a := range args {
			p, err := st.out(a)
			if err != nil {
				return nil, err
			}
			plainArgs[i] = p
		}
		plainKw := make(map[string]any, len(kwargs))
		for k, v := range kwargs {
			p, err := st.out(v)
			if err != nil {
				return nil, err
			}
			plainKw[k] = p
		}
		// expr_form is the name tgt_type had before Salt 2017.7
		if v, ok := plainKw["expr_form"]; ok {
			if _, has := plainKw["tgt_type"]; !has {
				plainKw["tgt_type"] = v
			}
			delete(plainKw, "expr_form")
		}
		res, err := f.fn(plainArgs, plainKw)
		if err != nil {
			return nil, fmt.Errorf("salt['%s']: %w", f.name, err)
		}
		return st.in(res), nil
	}
}

// wrapFunc turns a caller's Func given as a variable into a callable.
func (st *state) wrapFunc(name string, fn Func) boundMethod {
	return st.callSalt(&saltFunc{name: name, fn: fn})
}

// saltObj is the salt variable: salt['mod.fun'] and salt.mod.fun.
type saltObj struct{ st *state }

func (s *saltObj) lookup(name string) (*exec.Value, bool) {
	if f, ok := s.st.saltFunc(name); ok {
		return exec.AsValue(s.st.callSalt(f)), true
	}
	return exec.AsValue(undefinedf("salt function '%s' is not available", name)), false
}

// GetItem implements exec.ItemGetter.
func (s *saltObj) GetItem(key any) (*exec.Value, bool) {
	name, ok := key.(string)
	if !ok {
		return exec.AsValue(undefinedf("salt function names are strings, not %s", typeName(key))), false
	}
	return s.lookup(name)
}

// GetAttribute implements exec.AttributeGetter: salt.cmd is a module.
func (s *saltObj) GetAttribute(name string) (*exec.Value, bool) {
	if strings.Contains(name, ".") {
		return s.lookup(name)
	}
	return exec.AsValue(&saltModule{st: s.st, mod: name}), true
}

func (s *saltObj) has(name string) bool {
	_, ok := s.st.saltFunc(name)
	return ok
}

func (s *saltObj) String() string { return "<salt functions>" }

// saltModule is salt.<module>.
type saltModule struct {
	st  *state
	mod string
}

// GetAttribute implements exec.AttributeGetter.
func (m *saltModule) GetAttribute(name string) (*exec.Value, bool) {
	v, _ := (&saltObj{st: m.st}).lookup(m.mod + "." + name)
	return v, true // a missing function comes back as an undefined error
}

func (m *saltModule) String() string { return "<salt module " + m.mod + ">" }

// ---------------------------------------------------------------- helpers

type rawFunc = func(st *state, args []any, kw map[string]any) (any, error)

// params binds positional and keyword arguments to names, Python style.
func params(fn string, args []any, kw map[string]any, names []string, defaults map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range defaults {
		out[k] = v
	}
	if len(args) > len(names) {
		return nil, fmt.Errorf("%s() takes at most %d positional arguments (%d given)", fn, len(names), len(args))
	}
	for i, a := range args {
		out[names[i]] = a
	}
	for k, v := range kw {
		known := false
		for _, n := range names {
			if n == k {
				known = true
			}
		}
		if !known {
			if _, ok := defaults[k]; !ok {
				continue // Salt functions accept and ignore **kwargs
			}
		}
		if i := indexOf(names, k); i >= 0 && i < len(args) {
			return nil, fmt.Errorf("%s() got multiple values for argument '%s'", fn, k)
		}
		out[k] = v
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			if _, hasDefault := defaults[n]; !hasDefault {
				return nil, fmt.Errorf("%s() missing required argument: '%s'", fn, n)
			}
		}
	}
	return out, nil
}

func indexOf(list []string, s string) int {
	for i, e := range list {
		if e == s {
			return i
		}
	}
	return -1
}

func delimiterOf(p map[string]any) string {
	if d, ok := p["delimiter"].(string); ok && d != "" {
		return d
	}
	return ":"
}

// traverse is salt.utils.data.traverse_dict_and_list.
func (st *state) traverse(data any, key any, dflt any, delim string) any {
	var parts []string
	switch k := key.(type) {
	case string:
		parts = strings.Split(k, delim)
	case int:
		parts = []string{strconv.Itoa(k)}
	default:
		parts = []string{keyString(k)}
	}
	ptr := data
	for _, each := range parts {
		switch x := ptr.(type) {
		case map[string]any:
			v, ok := x[each]
			if !ok {
				return dflt
			}
			ptr = v
		case *[]any, tuple:
			items, _ := listItems(x)
			idx, err := strconv.Atoi(each)
			if err != nil {
				found := false
				for _, e := range items {
					if d, ok := e.(map[string]any); ok {
						if v, ok := d[each]; ok {
							ptr, found = v, true
							break
						}
					}
				}
				if !found {
					return dflt
				}
				continue
			}
			if idx < 0 {
				idx += len(items)
			}
			if idx < 0 || idx >= len(items) {
				return dflt
			}
			ptr = items[idx]
		default:
			return dflt
		}
	}
	return ptr
}

// deepcopy copies containers, keeping dict order.
func (st *state) deepcopy(v any) any {
	switch x := st.norm(v).(type) {
	case map[string]any:
		keys := st.keys(x)
		m := st.newDict(len(keys))
		for _, k := range keys {
			st.dictSet(m, k, st.deepcopy(x[k]))
		}
		return m
	case *[]any:
		out := make([]any, len(*x))
		for i, e := range *x {
			out[i] = st.deepcopy(e)
		}
		return &out
	case tuple:
		out := make(tuple, len(x))
		for i, e := range x {
			out[i] = st.deepcopy(e)
		}
		return out
	default:
		return x
	}
}

// dictUpdate is salt.utils.dictupdate.update: a recursive merge of upd
// into dest, returning dest.
func (st *state) dictUpdate(dest, upd map[string]any, mergeLists bool) map[string]any {
	recursive := false
	for k := range upd {
		if _, ok := dest[k]; ok {
			recursive = true
			break
		}
	}
	for _, k := range st.keys(upd) {
		val := upd[k]
		if recursive {
			sub := dest[k]
			if ds, ok := sub.(map[string]any); ok {
				if dv, ok := val.(map[string]any); ok {
					st.dictSet(dest, k, st.dictUpdate(ds, dv, mergeLists))
					continue
				}
			}
			if dl, ok := sub.(*[]any); ok {
				if vl, ok := val.(*[]any); ok && mergeLists {
					merged := st.deepcopy(dl).(*[]any)
					for _, e := range *vl {
						if !containsValue(*merged, e) {
							*merged = append(*merged, e)
						}
					}
					st.dictSet(dest, k, merged)
					continue
				}
			}
		}
		st.dictSet(dest, k, val)
	}
	return dest
}

func containsValue(items []any, v any) bool {
	for _, e := range items {
		if pyEqual(e, v) {
			return true
		}
	}
	return false
}

var (
	fnmatchMu    sync.Mutex
	fnmatchCache = map[string]*regexp.Regexp{}
)

// fnmatch is Python's fnmatch.fnmatchcase.
func fnmatch(name, pattern string) bool {
	fnmatchMu.Lock()
	re, ok := fnmatchCache[pattern]
	fnmatchMu.Unlock()
	if !ok {
		re = regexp.MustCompile("(?s)^" + globToRegexp(pattern) + "$")
		fnmatchMu.Lock()
		if len(fnmatchCache) > 4096 {
			fnmatchCache = map[string]*regexp.Regexp{}
		}
		fnmatchCache[pattern] = re
		fnmatchMu.Unlock()
	}
	return re.MatchString(name)
}

func globToRegexp(pat string) string {
	var b strings.Builder
	runes := []rune(pat)
	for i := 0; i < len(runes); i++ {
		c := runes[i]
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(runes) && runes[j] == '!' {
				j++
			}
			if j < len(runes) && runes[j] == ']' {
				j++
			}
			for j < len(runes) && runes[j] != ']' {
				j++
			}
			if j >= len(runes) {
				b.WriteString(`\[`)
				continue
			}
			stuff := string(runes[i+1 : j])
			i = j
			stuff = strings.ReplaceAll(stuff, `\`, `\\`)
			if strings.HasPrefix(stuff, "!") {
				stuff = "^" + stuff[1:]
			} else if strings.HasPrefix(stuff, "^") {
				stuff = `\` + stuff
			}
			b.WriteString("[" + stuff + "]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// ---------------------------------------------------------------- functions

var defaultFuncs = map[string]rawFunc{
	"pillar.get":        pillarGet,
	"pillar.fetch":      pillarGet,
	"pillar.item":       itemFunc("pillar"),
	"pillar.items":      itemsFunc("pillar"),
	"pillar.raw":        pillarRaw,
	"grains.get":        grainsGet,
	"grains.item":       itemFunc("grains"),
	"grains.items":      itemsFunc("grains"),
	"grains.has_value":  grainsHasValue,
	"grains.filter_by":  grainsFilterBy,
	"config.get":        configGet,
	"config.option":     configOption,
	"defaults.merge":    defaultsMerge,
	"defaults.deepcopy": defaultsDeepcopy,
	"defaults.update":   defaultsUpdate,
}

func (st *state) global(name string) map[string]any {
	v, _ := st.root.Get(name)
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func pillarGet(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("pillar.get", args, kw, []string{"key", "default", "merge", "merge_nested_lists", "delimiter"},
		map[string]any{"default": "", "merge": false, "merge_nested_lists": nil, "delimiter": ":", "pillarenv": nil, "saltenv": nil})
	if err != nil {
		return nil, err
	}
	pillar := st.global("pillar")
	key, dflt, delim := p["key"], p["default"], delimiterOf(p)
	if merge, _ := truth(p["merge"]); merge {
		mergeLists, _ := truth(p["merge_nested_lists"])
		switch d := dflt.(type) {
		case map[string]any:
			ret := st.traverse(pillar, key, nil, delim)
			if rm, ok := ret.(map[string]any); ok {
				return st.dictUpdate(st.deepcopy(d).(map[string]any), rm, mergeLists), nil
			}
		case *[]any:
			ret := st.traverse(pillar, key, nil, delim)
			if rl, ok := ret.(*[]any); ok {
				out := st.deepcopy(d).(*[]any)
				for _, e := range *rl {
					if !containsValue(*out, e) {
						*out = append(*out, e)
					}
				}
				return out, nil
			}
		}
	}
	return st.traverse(pillar, key, dflt, delim), nil
}

func pillarRaw(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("pillar.raw", args, kw, []string{"key"}, map[string]any{"key": nil})
	if err != nil {
		return nil, err
	}
	if p["key"] == nil {
		return st.global("pillar"), nil
	}
	return st.traverse(st.global("pillar"), p["key"], "", ":"), nil
}

func itemFunc(src string) rawFunc {
	return func(st *state, args []any, kw map[string]any) (any, error) {
		dflt := any("")
		if d, ok := kw["default"]; ok {
			dflt = d
		}
		delim := ":"
		if d, ok := kw["delimiter"].(string); ok && d != "" {
			delim = d
		}
		data := st.global(src)
		out := st.newDict(len(args))
		for _, a := range args {
			st.dictSet(out, keyString(a), st.traverse(data, a, dflt, delim))
		}
		return out, nil
	}
}

func itemsFunc(src string) rawFunc {
	return func(st *state, args []any, kw map[string]any) (any, error) {
		return st.global(src), nil
	}
}

func grainsGet(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("grains.get", args, kw, []string{"key", "default", "delimiter", "ordered"},
		map[string]any{"default": "", "delimiter": ":", "ordered": true})
	if err != nil {
		return nil, err
	}
	return st.traverse(st.global("grains"), p["key"], p["default"], delimiterOf(p)), nil
}

type sentinel struct{}

func grainsHasValue(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("grains.has_value", args, kw, []string{"key"}, nil)
	if err != nil {
		return nil, err
	}
	v := st.traverse(st.global("grains"), p["key"], sentinel{}, ":")
	if _, missing := v.(sentinel); missing {
		return false, nil
	}
	return truth(v)
}

func grainsFilterBy(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("grains.filter_by", args, kw, []string{"lookup_dict", "grain", "merge", "default", "base"},
		map[string]any{"grain": "os_family", "merge": nil, "default": "default", "base": nil})
	if err != nil {
		return nil, err
	}
	return st.filterBy(p["lookup_dict"], p["grain"], st.global("grains"), p["merge"], p["default"], p["base"])
}

// filterBy is salt.utils.data.filter_by.
func (st *state) filterBy(lookupV, lookup, traverseData, merge, dflt, base any) (any, error) {
	lookupDict, ok := lookupV.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("filter_by lookup_dict must be a dictionary, not %s", typeName(lookupV))
	}
	val := st.traverse(traverseData, lookup, newList(nil), ":")
	var candidates []any
	if items, ok := listItems(val); ok {
		candidates = items
	} else {
		candidates = []any{val}
	}
	var ret any
	found := false
	for _, each := range candidates {
		test := keyString(each)
		for _, key := range st.keys(lookupDict) {
			if fnmatch(test, key) {
				ret, found = lookupDict[key], true
				break
			}
		}
		if found && ret != nil {
			break
		}
	}
	if ret == nil {
		ret = lookupDict[keyString(dflt)]
	}
	if base != nil {
		if bv, ok := lookupDict[keyString(base)]; ok {
			if ret == nil {
				ret = bv
			} else if bm, ok := bv.(map[string]any); ok {
				rm, ok := ret.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("filter_by default and look-up values must both be dictionaries")
				}
				ret = st.dictUpdate(st.deepcopy(bm).(map[string]any), rm, false)
			}
		}
	}
	if merge != nil {
		mm, ok := merge.(map[string]any)
		if !ok {
			if t, _ := truth(merge); t {
				return nil, fmt.Errorf("filter_by merge argument must be a dictionary")
			}
		} else if ret == nil {
			ret = mm
		} else if rm, ok := ret.(map[string]any); ok {
			st.dictUpdate(rm, st.deepcopy(mm).(map[string]any), false)
		}
	}
	return ret, nil
}

func configGet(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("config.get", args, kw, []string{"key", "default", "delimiter", "merge"},
		map[string]any{"default": "", "delimiter": ":", "merge": nil, "omit_opts": false, "omit_pillar": false, "omit_master": false, "omit_grains": false})
	if err != nil {
		return nil, err
	}
	key, delim := p["key"], delimiterOf(p)
	for _, src := range []string{"opts", "grains", "pillar"} {
		if omit, _ := truth(p["omit_"+src]); omit {
			continue
		}
		if v := st.traverse(st.global(src), key, sentinel{}, delim); v != (sentinel{}) {
			return v, nil
		}
	}
	// the master's configuration as pillar exposes it
	if master, ok := st.global("pillar")["master"].(map[string]any); ok {
		if v := st.traverse(master, key, sentinel{}, delim); v != (sentinel{}) {
			return v, nil
		}
	}
	return p["default"], nil
}

func configOption(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("config.option", args, kw, []string{"value", "default"}, map[string]any{"default": ""})
	if err != nil {
		return nil, err
	}
	for _, src := range []string{"opts", "pillar"} {
		if v := st.traverse(st.global(src), p["value"], sentinel{}, ":"); v != (sentinel{}) {
			return v, nil
		}
	}
	return p["default"], nil
}

func defaultsMerge(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("defaults.merge", args, kw, []string{"dest", "src", "merge_lists", "in_place", "convert_none"},
		map[string]any{"merge_lists": false, "in_place": true, "convert_none": true})
	if err != nil {
		return nil, err
	}
	dest, src := p["dest"], p["src"]
	if conv, _ := truth(p["convert_none"]); conv {
		if dest == nil {
			dest = st.newDict(0)
		}
		if src == nil {
			src = st.newDict(0)
		}
	}
	dm, ok1 := dest.(map[string]any)
	sm, ok2 := src.(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("cannot update using non-dict types in dictupdate.update()")
	}
	if inPlace, _ := truth(p["in_place"]); !inPlace {
		dm = st.deepcopy(dm).(map[string]any)
	}
	mergeLists, _ := truth(p["merge_lists"])
	return st.dictUpdate(dm, sm, mergeLists), nil
}

func defaultsDeepcopy(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("defaults.deepcopy", args, kw, []string{"source"}, nil)
	if err != nil {
		return nil, err
	}
	return st.deepcopy(p["source"]), nil
}

func defaultsUpdate(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("defaults.update", args, kw, []string{"dest", "defaults", "merge_lists", "in_place", "convert_none"},
		map[string]any{"merge_lists": true, "in_place": true, "convert_none": true})
	if err != nil {
		return nil, err
	}
	dest, defs := p["dest"], p["defaults"]
	if conv, _ := truth(p["convert_none"]); conv {
		if defs == nil {
			defs = st.newDict(0)
		}
	}
	dm, ok := dest.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("defaults.update: dest must be a dictionary")
	}
	fm, ok := defs.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("defaults.update: defaults must be a dictionary")
	}
	mergeLists, _ := truth(p["merge_lists"])
	nodes := st.deepcopy(dm).(map[string]any)
	for _, name := range st.keys(nodes) {
		vars := nodes[name]
		if conv, _ := truth(p["convert_none"]); conv && vars == nil {
			vars = st.newDict(0)
		}
		vm, ok := vars.(map[string]any)
		if !ok {
			continue
		}
		st.dictSet(nodes, name, st.dictUpdate(st.deepcopy(fm).(map[string]any), vm, mergeLists))
	}
	if inPlace, _ := truth(p["in_place"]); inPlace {
		for _, k := range st.keys(nodes) {
			st.dictSet(dm, k, nodes[k])
		}
		return dm, nil
	}
	return nodes, nil
}
