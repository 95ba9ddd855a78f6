package highstate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/brine-cm/brine/render"
)

// Salt's views of compiled states: state.show_highstate / show_sls (the
// high data after extend, requisite_in and exclude) and
// state.show_lowstate / show_low_sls (the low chunks). They follow Salt
// 3006's State.requisite_in, reconcile_extend, compile_high_data and
// order_chunks step by step so that the output diffs against Salt's; the
// plan Brine runs is compiled by compile.go from the same data.

// hstate is one ID of Salt's high data: its state declarations in order.
type hstate struct {
	id, sls, env string
	decls        []*hdecl
}

// hdecl is one state declaration: module and its run list (function
// names as strings and single-key arguments as kv).
type hdecl struct {
	module string
	run    []any
}

func (h *hstate) decl(module string) *hdecl {
	for _, d := range h.decls {
		if d.module == module {
			return d
		}
	}
	return nil
}

// shigh is Salt's high data, ordered as Salt builds it.
type shigh struct {
	ids  []*hstate
	byID map[string]*hstate
}

func (sh *shigh) add(h *hstate) {
	sh.ids = append(sh.ids, h)
	sh.byID[h.id] = h
}

// CompileLow loads and compiles the named sls files as Compile does and
// returns Salt's low chunks in Salt's order, as plain values. With full
// set they are state.show_lowstate's (extend, requisite_in and exclude
// applied), else state.show_low_sls's (the rendered data as it is: in
// Salt 3006 show_low_sls and show_sls skip those steps). A state
// function Brine does not have is not an error here, as in Salt.
func CompileLow(ctx context.Context, o Options, sls []string, full bool) ([]map[string]any, error) {
	sh, err := compileSalt(ctx, o, sls, full)
	if err != nil {
		return nil, err
	}
	return sh.low(), nil
}

// CompileHighData loads and compiles the named sls files as Compile does
// and returns Salt's high data, ID -> {module: [function, {arg:
// value}...], __sls__, __env__}, as an ordered map: with full set
// state.show_highstate's (extend, requisite_in and exclude applied),
// else state.show_sls's.
func CompileHighData(ctx context.Context, o Options, sls []string, full bool) (*render.Map, error) {
	sh, err := compileSalt(ctx, o, sls, full)
	if err != nil {
		return nil, err
	}
	return sh.high(), nil
}

func compileSalt(ctx context.Context, o Options, sls []string, full bool) (*shigh, error) {
	if o.Source == nil {
		return nil, &CompileError{Errors: []string{"highstate: no Source to load sls files from"}}
	}
	l := newLoader(ctx, o, nil)
	l.show = true
	for _, s := range sls {
		l.loadTop(s)
	}
	var raw *shigh
	if !full {
		raw = l.saltHigh()
	}
	_, err := l.compile()
	if !full {
		if err != nil {
			return nil, err
		}
		return raw, nil
	}
	// Salt's compile_low_chunks collects the errors of every stage
	// (render, reconcile_extend, verify_high, requisite_in) before
	// giving up
	sh := l.saltHigh()
	errs := sh.requisiteIn()
	var ce *CompileError
	if errors.As(err, &ce) {
		errs = append(append([]string(nil), ce.Errors...), errs...)
	} else if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, &CompileError{Errors: errs}
	}
	return sh, nil
}

// saltHigh converts the loader's data (extend and exclude applied) into
// Salt's high data, with the auto order Salt adds when rendering.
func (l *loader) saltHigh() *shigh {
	sh := &shigh{byID: map[string]*hstate{}}
	ids := slices.Clone(l.ids)
	slices.SortStableFunc(ids, func(a, b *highID) int { return a.seq - b.seq })
	for _, h := range ids {
		hs := &hstate{id: h.id, sls: h.sls, env: h.env}
		for _, d := range h.decls {
			hd := &hdecl{module: d.module}
			pos := d.funPos
			if pos < 0 || pos > len(d.args) {
				pos = len(d.args)
			}
			hasOrder := false
			for i := 0; i <= len(d.args); i++ {
				if i == pos {
					for _, f := range d.funs {
						hd.run = append(hd.run, f)
					}
				}
				if i == len(d.args) {
					break
				}
				a := d.args[i]
				hd.run = append(hd.run, a)
				if a.k == "order" {
					hasOrder = true
				}
			}
			if d.hasAuto && !hasOrder {
				hd.run = append(hd.run, kv{"order", d.auto})
			}
			hs.decls = append(hs.decls, hd)
		}
		sh.add(hs)
	}
	return sh
}

// requisite keywords Salt's requisite_in handles, and those extend
// appends to (STATE_REQUISITE_KEYWORDS).
var (
	saltReqIn    = map[string]bool{"require_in": true, "watch_in": true, "onfail_in": true, "onchanges_in": true, "use": true, "use_in": true, "prereq": true, "prereq_in": true}
	saltReqInAll = map[string]bool{"require_in": true, "watch_in": true, "onfail_in": true, "onchanges_in": true, "use": true, "use_in": true, "prereq": true, "prereq_in": true,
		"require": true, "watch": true, "onfail": true, "onfail_stop": true, "onchanges": true}
)

// extState is one ID of Salt's __extend__ built by requisite_in.
type extState struct {
	id, sls, env string
	decls        []*hdecl
}

func (e *extState) decl(module string) *hdecl {
	for _, d := range e.decls {
		if d.module == module {
			return d
		}
	}
	d := &hdecl{module: module}
	e.decls = append(e.decls, d)
	return d
}

// findName is Salt's find_name: the (id, state) pairs whose ID or name
// argument is name.
func (sh *shigh) findName(name, state string, strict bool) [][2]string {
	var out [][2]string
	h := sh.byID[name]
	check2 := true
	if strict {
		check2 = h != nil && h.decl(state) != nil
	}
	switch {
	case h != nil && check2:
		out = append(out, [2]string{name, state})
	case state == "sls":
		for _, x := range sh.ids {
			if x.sls == name && len(x.decls) > 0 {
				out = append(out, [2]string{x.id, x.decls[0].module})
			}
		}
	default:
		for _, x := range sh.ids {
			d := x.decl(state)
			if d == nil {
				continue
			}
			for _, a := range d.run {
				if a, ok := a.(kv); ok && equalScalar(a.v, name) {
					out = append(out, [2]string{x.id, state})
				}
			}
		}
	}
	return out
}

func equalScalar(v any, s string) bool {
	switch t := v.(type) {
	case string:
		return t == s
	case *render.Map, []any, nil:
		return false
	}
	return fmt.Sprint(v) == s
}

func (sh *shigh) stateArgs(id, state string) map[string]bool {
	out := map[string]bool{}
	h := sh.byID[id]
	if h == nil {
		return out
	}
	if d := h.decl(state); d != nil {
		for _, a := range d.run {
			if a, ok := a.(kv); ok {
				out[a.k] = true
			}
		}
	}
	return out
}

// requisiteIn is Salt's State.requisite_in followed by its
// reconcile_extend(strict=True).
func (sh *shigh) requisiteIn() []string {
	var errs []string
	var exts []*extState
	extBy := map[string]*extState{}
	ext := func(name string) *extState {
		e := extBy[name]
		if e == nil {
			e = &extState{id: name}
			extBy[name] = e
			exts = append(exts, e)
		}
		return e
	}
	addReq := func(name, tstate, rkey, state, id, sls, env string) {
		e := ext(name)
		d := e.decl(tstate)
		e.env, e.sls = env, sls
		found := false
		for i, a := range d.run {
			if a, ok := a.(kv); ok && a.k == rkey {
				list, _ := a.v.([]any)
				d.run[i] = kv{rkey, append(list, single(state, id))}
				found = true
			}
		}
		if !found {
			d.run = append(d.run, kv{rkey, []any{single(state, id)}})
		}
	}
	for _, h := range sh.ids {
		for _, d := range h.decls {
			state := d.module
			for _, a := range d.run {
				arg, ok := a.(kv)
				if !ok || !saltReqIn[arg.k] {
					continue
				}
				key := arg.k
				rkey, _, _ := strings.Cut(key, "_")
				switch items := arg.v.(type) {
				case *render.Map:
					for _, st := range items.Keys {
						name, _ := scalar(items.Values[st])
						if i := strings.IndexByte(st, '.'); i >= 0 {
							errs = append(errs, fmt.Sprintf("Invalid requisite in %s: %s for %s, in SLS '%s'. Requisites must not contain dots, did you mean '%s'?", rkey, st, name, h.sls, st[:i]))
							st = st[:i]
						}
						addReq(name, st, rkey, state, h.id, h.sls, h.env)
					}
				case []any:
					var hinges [][2]string // (name, state)
					for _, ind := range items {
						var pstate, pname string
						switch t := ind.(type) {
						case *render.Map:
							if t.Len() < 1 {
								continue
							}
							pstate = t.Keys[0]
							pname, _ = scalar(t.Values[pstate])
						default:
							s, ok := scalar(ind)
							if !ok {
								continue
							}
							if x := sh.byID[s]; x != nil && len(x.decls) > 0 {
								pstate, pname = x.decls[0].module, s
							} else {
								found := false
								for _, x := range sh.ids {
									for _, xd := range x.decls {
										for _, xa := range xd.run {
											if xa, ok := xa.(kv); ok && xa.k == "name" && equalScalar(xa.v, s) {
												pstate, pname, found = xd.module, x.id, true
											}
										}
									}
								}
								if !found {
									continue
								}
							}
						}
						if pstate == "sls" {
							hinges = hinges[:0]
							for _, x := range sh.ids {
								if x.sls == pname {
									for _, xd := range x.decls {
										hinges = append(hinges, [2]string{x.id, xd.module})
									}
								}
							}
						} else {
							hinges = append(hinges, [2]string{pname, pstate})
						}
						if i := strings.IndexByte(pstate, '.'); i >= 0 {
							errs = append(errs, fmt.Sprintf("Invalid requisite in %s: %s for %s, in SLS '%s'. Requisites must not contain dots, did you mean '%s'?", rkey, pstate, pname, h.sls, pstate[:i]))
						}
						for _, tup := range hinges {
							name, tstate := tup[0], tup[1]
							if key == "prereq_in" {
								e := ext(h.id)
								ed := e.decl(state)
								ed.run = append(ed.run, kv{"prerequired", []any{single(tstate, name)}})
							}
							switch key {
							case "prereq":
								for _, x := range sh.findName(name, tstate, true) {
									e := ext(x[0])
									ed := e.decl(x[1])
									ed.run = append(ed.run, kv{"prerequired", []any{single(state, h.id)}})
								}
								continue
							case "use_in":
								for _, x := range sh.findName(name, tstate, true) {
									if x[0] == "" {
										continue
									}
									ignore := sh.stateArgs(x[0], tstate)
									e := ext(x[0])
									ed := e.decl(x[1])
									for _, ua := range d.run {
										ua, ok := ua.(kv)
										if !ok || ignore[ua.k] || saltReqInAll[ua.k] || ua.k == "name" || ua.k == "names" {
											continue
										}
										ed.run = append(ed.run, ua)
									}
								}
								continue
							case "use":
								for _, x := range sh.findName(name, tstate, true) {
									if x[0] == "" {
										continue
									}
									ignore := sh.stateArgs(h.id, state)
									e := ext(h.id)
									ed := e.decl(state)
									src := sh.byID[x[0]].decl(x[1])
									if src == nil {
										continue
									}
									for _, ua := range src.run {
										ua, ok := ua.(kv)
										if !ok || ignore[ua.k] || saltReqInAll[ua.k] || ua.k == "name" || ua.k == "names" {
											continue
										}
										ed.run = append(ed.run, ua)
									}
								}
								continue
							}
							addReq(name, tstate, rkey, state, h.id, h.sls, h.env)
						}
					}
				}
			}
		}
	}
	return append(errs, sh.reconcile(exts)...)
}

func single(k string, v any) *render.Map {
	m := render.NewMap()
	m.Set(k, v)
	return m
}

// saltReqKeywords is Salt's STATE_REQUISITE_KEYWORDS.
var saltReqKeywords = mergeKinds

// reconcile is Salt's reconcile_extend(strict=True) for the extensions
// requisite_in built.
func (sh *shigh) reconcile(exts []*extState) []string {
	var errs []string
	for _, e := range exts {
		if len(e.decls) == 0 {
			continue
		}
		name := e.id
		stateType := e.decls[0].module
		if h := sh.byID[name]; h == nil || h.decl(stateType) == nil {
			ids := sh.findName(name, stateType, true)
			if len(ids) != 1 {
				env, sls := e.env, e.sls
				if env == "" {
					env = "base"
				}
				if sls == "" {
					sls = "base"
				}
				errs = append(errs, fmt.Sprintf("Cannot extend ID '%s' in '%s:%s'. It is not part of the high state.\nThis is likely due to a missing include statement or an incorrectly typed ID.\nEnsure that a state with an ID of '%s' is available\nin environment '%s' and to SLS '%s'", name, env, sls, name, env, sls))
				continue
			}
			name = ids[0][0]
		}
		h := sh.byID[name]
		for _, d := range e.decls {
			td := h.decl(d.module)
			if td == nil {
				h.decls = append(h.decls, &hdecl{module: d.module, run: append([]any(nil), d.run...)})
				continue
			}
			for _, arg := range d.run {
				update := false
				for i := 0; i < len(td.run); i++ {
					val := td.run[i]
					as, argIsStr := arg.(string)
					if _, valIsStr := val.(string); argIsStr && valIsStr {
						td.run[i] = as
						update = true
						continue
					}
					ak, argIsKV := arg.(kv)
					vk, valIsKV := val.(kv)
					if argIsKV && valIsKV {
						if ak.k == vk.k {
							if saltReqKeywords[ak.k] {
								old, _ := vk.v.([]any)
								add, _ := ak.v.([]any)
								td.run[i] = kv{vk.k, append(append([]any(nil), old...), add...)}
							} else {
								td.run[i] = ak
							}
							update = true
						}
						if ak.k == "name" && vk.k == "names" {
							td.run[i] = ak
						}
					}
				}
				if !update {
					td.run = append(td.run, arg)
				}
			}
		}
	}
	return errs
}

// high returns Salt's high data as an ordered map.
func (sh *shigh) high() *render.Map {
	out := render.NewMap()
	for _, h := range sh.ids {
		body := render.NewMap()
		for _, d := range h.decls {
			run := make([]any, 0, len(d.run))
			for _, a := range d.run {
				switch t := a.(type) {
				case kv:
					run = append(run, map[string]any{t.k: plain(t.v)})
				default:
					run = append(run, t)
				}
			}
			body.Set(d.module, run)
		}
		body.Set("__sls__", h.sls)
		body.Set("__env__", h.env)
		out.Set(h.id, body)
	}
	return out
}

// low is Salt's compile_high_data and order_chunks.
func (sh *shigh) low() []map[string]any {
	var chunks []map[string]any
	for _, h := range sh.ids {
		for _, d := range h.decls {
			chunk := map[string]any{"state": d.module, "name": h.id, "__sls__": h.sls, "__env__": h.env, "__id__": h.id}
			var funcs []string
			var names []any
			for _, a := range d.run {
				switch t := a.(type) {
				case string:
					if !contains(funcs, t) {
						funcs = append(funcs, t)
					}
				case kv:
					switch t.k {
					case "names":
						list, _ := t.v.([]any)
						for _, n := range list {
							if !containsValue(names, n) {
								names = append(names, n)
							}
						}
					case "state":
					case "name":
						if s, ok := t.v.(string); ok {
							chunk["name"] = s
						} else {
							chunk["name"] = h.id
						}
					default:
						chunk[t.k] = plain(t.v)
					}
				}
			}
			sort.Strings(funcs) // a Python set: one function in practice
			if len(names) > 0 {
				for i, entry := range names {
					live := copyChunk(chunk)
					if m, ok := entry.(*render.Map); ok && m.Len() > 0 {
						n := m.Keys[0]
						live["name"] = n
						if list, ok := m.Values[n].([]any); ok {
							for _, e := range list {
								if em, ok := e.(*render.Map); ok {
									for _, k := range em.Keys {
										live[k] = plain(em.Values[k])
									}
								}
							}
						}
					} else {
						live["name"] = plain(entry)
					}
					live["name_order"] = i + 1
					for _, f := range funcs {
						c := copyChunk(live)
						c["fun"] = f
						chunks = append(chunks, c)
					}
				}
				continue
			}
			for _, f := range funcs {
				c := copyChunk(chunk)
				c["fun"] = f
				chunks = append(chunks, c)
			}
		}
	}
	return orderChunks(chunks)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if fmt.Sprint(plain(x)) == fmt.Sprint(plain(v)) {
			return true
		}
	}
	return false
}

func copyChunk(c map[string]any) map[string]any {
	out := make(map[string]any, len(c)+2)
	for k, v := range c {
		out[k] = v
	}
	return out
}

// orderChunks is Salt's order_chunks: numeric order values, "first",
// "last", name_order as a fraction, then sorted by order and
// state+name+fun.
func orderChunks(chunks []map[string]any) []map[string]any {
	isInt := func(v any) (int, bool) {
		switch t := v.(type) {
		case int:
			return t, true
		case int64:
			return int(t), true
		}
		return 0, false
	}
	cap := 1
	for _, c := range chunks {
		if o, ok := isInt(c["order"]); ok {
			if o > cap-1 && o > 0 {
				cap = o + 100
			}
		}
	}
	num := make([]float64, len(chunks))
	for i, c := range chunks {
		o, has := c["order"]
		if !has {
			c["order"] = cap
			num[i] = float64(cap)
			continue
		}
		var f float64
		isNum := true
		switch t := o.(type) {
		case int:
			f = float64(t)
		case int64:
			f = float64(t)
		case float64:
			f = t
		default:
			isNum = false
		}
		if !isNum {
			switch o {
			case "last":
				f = float64(cap + 1000000)
			case "first":
				f = 0
			default:
				f = float64(cap)
			}
		}
		var value any = int(f)
		if _, wasFloat := o.(float64); wasFloat {
			value = f
		}
		if no, ok := c["name_order"]; ok {
			f += float64(no.(int)) / 10000.0
			delete(c, "name_order")
			value = f
		}
		if f < 0 {
			f = float64(cap+1000000) + f
			if f == math.Trunc(f) {
				value = int(f)
			} else {
				value = f
			}
		}
		c["order"] = value
		num[i] = f
	}
	idx := make([]int, len(chunks))
	for i := range idx {
		idx[i] = i
	}
	key := func(c map[string]any) string {
		return fmt.Sprint(c["state"]) + fmt.Sprint(c["name"]) + fmt.Sprint(c["fun"])
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if num[idx[a]] != num[idx[b]] {
			return num[idx[a]] < num[idx[b]]
		}
		return key(chunks[idx[a]]) < key(chunks[idx[b]])
	})
	out := make([]map[string]any, len(chunks))
	for i, j := range idx {
		out[i] = chunks[j]
	}
	return out
}
