package render

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// Attribute and item lookup, and the methods of dict, list, tuple and str.
// Lookups follow Jinja's environment.getattr/getitem: an attribute is
// looked up first as an attribute (a method) then as an item; an item first
// as an item then, for a string key, as an attribute. A failed lookup is an
// undefined error.

type boundMethod = func(va *exec.VarArgs) (any, error)

// objDesc is how Jinja names an object in undefined errors.
func objDesc(v any) string {
	if v == nil {
		return "'None'"
	}
	return fmt.Sprintf("'%s object'", typeName(v))
}

func (st *state) getattr(obj any, name string) (any, error) {
	obj = st.norm(obj)
	switch x := obj.(type) {
	case *undefinedVal:
		return nil, x.err
	case nil:
		return nil, undefinedf("'None' has no attribute '%s'", name)
	case map[string]any:
		if m := st.dictMethod(x, name); m != nil {
			return m, nil
		}
		if v, ok := x[name]; ok {
			return v, nil
		}
	case *[]any:
		if m := st.listMethod(x, name); m != nil {
			return m, nil
		}
	case tuple:
		if m := st.seqMethod(x, name); m != nil {
			return m, nil
		}
	case string:
		if m := st.strMethod(x, name); m != nil {
			return m, nil
		}
	case *namespace:
		if v, ok := x.vals[name]; ok {
			return v, nil
		}
		return nil, undefinedf("'%s' is undefined", name)
	case *module:
		if v, ok := x.vars[name]; ok {
			return v, nil
		}
		return nil, undefinedf("%s has no attribute '%s'", pyRepr(st, x), name)
	case int, float64, bool:
		if m := numberMethod(x, name); m != nil {
			return m, nil
		}
	case exec.AttributeGetter:
		if v, ok := x.GetAttribute(name); ok && v != nil {
			if v.IsError() {
				return nil, valueErr(v)
			}
			return v.Interface(), nil
		}
		if ig, ok := obj.(exec.ItemGetter); ok {
			if v, ok := ig.GetItem(name); ok && v != nil && !v.IsError() {
				return v.Interface(), nil
			}
		}
	default:
		if v, ok := gonjaLookup(obj, name); ok {
			return v, nil
		}
	}
	return nil, undefinedf("%s has no attribute '%s'", objDesc(obj), name)
}

// gonjaLookup falls back on gonja for Go values (struct fields, methods).
func gonjaLookup(obj any, key any) (v any, found bool) {
	defer func() {
		if recover() != nil {
			v, found = nil, false
		}
	}()
	val := exec.ToValue(obj)
	var res *exec.Value
	var ok bool
	if s, isStr := key.(string); isStr {
		res, ok = val.GetAttribute(s)
	}
	if !ok {
		res, ok = val.GetItem(key)
	}
	if !ok || res == nil || res.IsError() {
		return nil, false
	}
	return res.Interface(), true
}

func (st *state) getitem(obj any, key any) (any, error) {
	obj, key = st.norm(obj), st.norm(key)
	if u, ok := key.(*undefinedVal); ok {
		return nil, u.err
	}
	switch x := obj.(type) {
	case *undefinedVal:
		return nil, x.err
	case nil:
		if s, ok := key.(string); ok {
			return nil, undefinedf("'None' has no attribute '%s'", s)
		}
		return nil, undefinedf("'None' has no element %s", pyRepr(st, key))
	case map[string]any:
		switch k := key.(type) {
		case string:
			if v, ok := x[k]; ok {
				return v, nil
			}
			if m := st.dictMethod(x, k); m != nil {
				return m, nil
			}
			return nil, undefinedf("'dict object' has no attribute '%s'", k)
		case int, float64, bool, nil:
			if v, ok := x[keyString(k)]; ok {
				return v, nil
			}
			return nil, undefinedf("'dict object' has no element %s", pyRepr(st, k))
		}
		return nil, fmt.Errorf("unhashable type: '%s'", typeName(key))
	case *[]any, tuple, string:
		var n int
		switch k := key.(type) {
		case int:
			n = k
		case bool:
			if k {
				n = 1
			}
		case string:
			return st.getattr(obj, k)
		default:
			return nil, fmt.Errorf("%s indices must be integers or slices, not %s", typeName(obj), typeName(key))
		}
		if s, ok := x.(string); ok {
			runes := []rune(s)
			if n < 0 {
				n += len(runes)
			}
			if n < 0 || n >= len(runes) {
				return nil, undefinedf("'str object' has no element %d", n)
			}
			return string(runes[n]), nil
		}
		items, _ := listItems(x)
		orig := n
		if n < 0 {
			n += len(items)
		}
		if n < 0 || n >= len(items) {
			return nil, undefinedf("%s has no element %d", objDesc(obj), orig)
		}
		return items[n], nil
	case *namespace, *module:
		if s, ok := key.(string); ok {
			return st.getattr(obj, s)
		}
	case exec.ItemGetter:
		if v, ok := x.GetItem(key); ok && v != nil {
			if v.IsError() {
				return nil, valueErr(v)
			}
			return v.Interface(), nil
		} else if v != nil && v.IsError() {
			return nil, valueErr(v)
		}
		if s, ok := key.(string); ok {
			return st.getattr(obj, s)
		}
	default:
		if v, ok := gonjaLookup(obj, key); ok {
			return v, nil
		}
		if s, ok := key.(string); ok {
			return st.getattr(obj, s)
		}
	}
	return nil, undefinedf("%s has no element %s", objDesc(obj), pyRepr(st, key))
}

// method returns the callable obj.name.
func (st *state) method(obj any, name string) (any, error) {
	return st.getattr(obj, name)
}

// slice is obj[lo:hi:step].
func (st *state) slice(obj, lo, hi, step any) (any, error) {
	obj = st.norm(obj)
	if u, ok := obj.(*undefinedVal); ok {
		return nil, u.err
	}
	var n int
	var runes []rune
	items, isList := listItems(obj)
	s, isStr := obj.(string)
	switch {
	case isStr:
		runes = []rune(s)
		n = len(runes)
	case isList:
		n = len(items)
	default:
		return nil, fmt.Errorf("'%s' object is not subscriptable", typeName(obj))
	}
	idx := func(v any, name string) (int, bool, error) {
		if v == nil {
			return 0, false, nil
		}
		i, _, isInt, ok := number(v)
		if !ok || !isInt {
			return 0, false, fmt.Errorf("slice indices must be integers or None")
		}
		return i, true, nil
	}
	stp, hasStep, err := idx(step, "step")
	if err != nil {
		return nil, err
	}
	if !hasStep {
		stp = 1
	}
	if stp == 0 {
		return nil, fmt.Errorf("slice step cannot be zero")
	}
	start, hasStart, err := idx(lo, "start")
	if err != nil {
		return nil, err
	}
	stop, hasStop, err := idx(hi, "stop")
	if err != nil {
		return nil, err
	}
	start, stop = sliceBounds(n, start, stop, stp, hasStart, hasStop)
	var picked []int
	if stp > 0 {
		for i := start; i < stop; i += stp {
			picked = append(picked, i)
		}
	} else {
		for i := start; i > stop; i += stp {
			picked = append(picked, i)
		}
	}
	if isStr {
		out := make([]rune, len(picked))
		for j, i := range picked {
			out[j] = runes[i]
		}
		return string(out), nil
	}
	out := make([]any, len(picked))
	for j, i := range picked {
		out[j] = items[i]
	}
	if _, ok := obj.(tuple); ok {
		return tuple(out), nil
	}
	return &out, nil
}

// sliceBounds implements Python's slice.indices.
func sliceBounds(n, start, stop, step int, hasStart, hasStop bool) (int, int) {
	clamp := func(i, lo, hi int) int { return max(lo, min(i, hi)) }
	if step > 0 {
		if !hasStart {
			start = 0
		} else if start < 0 {
			start += n
		}
		if !hasStop {
			stop = n
		} else if stop < 0 {
			stop += n
		}
		return clamp(start, 0, n), clamp(stop, 0, n)
	}
	if !hasStart {
		start = n - 1
	} else if start < 0 {
		start += n
	}
	if !hasStop {
		stop = -1
	} else if stop < 0 {
		stop += n
	}
	return clamp(start, -1, n-1), clamp(stop, -1, n-1)
}

// args returns the positional arguments of a call as template values.
func (st *state) args(va *exec.VarArgs) []any {
	out := make([]any, len(va.Args))
	for i, a := range va.Args {
		out[i] = st.norm(a.Interface())
	}
	return out
}

func (st *state) kwargs(va *exec.VarArgs) map[string]any {
	out := make(map[string]any, len(va.KwArgs))
	for k, a := range va.KwArgs {
		out[k] = st.norm(a.Interface())
	}
	return out
}

func checkArgs(name string, va *exec.VarArgs, minArgs, maxArgs int, kw ...string) error {
	if len(va.Args) < minArgs || len(va.Args) > maxArgs {
		if minArgs == maxArgs {
			return fmt.Errorf("%s() takes exactly %d argument(s) (%d given)", name, minArgs, len(va.Args))
		}
		return fmt.Errorf("%s() takes from %d to %d arguments (%d given)", name, minArgs, maxArgs, len(va.Args))
	}
	for k := range va.KwArgs {
		if !slices.Contains(kw, k) {
			return fmt.Errorf("%s() got an unexpected keyword argument '%s'", name, k)
		}
	}
	return nil
}

func argUndefined(vals ...any) error {
	for _, v := range vals {
		if u, ok := v.(*undefinedVal); ok {
			return u.err
		}
	}
	return nil
}

// ---------------------------------------------------------------- dict

func (st *state) dictMethod(m map[string]any, name string) boundMethod {
	switch name {
	case "keys", "values", "items":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0); err != nil {
				return nil, err
			}
			keys := st.keys(m)
			out := make([]any, len(keys))
			for i, k := range keys {
				switch name {
				case "keys":
					out[i] = k
				case "values":
					out[i] = m[k]
				default:
					out[i] = tuple{k, m[k]}
				}
			}
			return &out, nil
		}
	case "get":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 2); err != nil {
				return nil, err
			}
			a := st.args(va)
			if err := argUndefined(a...); err != nil {
				return nil, err
			}
			if v, ok := m[keyString(a[0])]; ok {
				return v, nil
			}
			if len(a) == 2 {
				return a[1], nil
			}
			return nil, nil
		}
	case "pop":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 2); err != nil {
				return nil, err
			}
			a := st.args(va)
			k := keyString(a[0])
			if v, ok := m[k]; ok {
				st.dictDel(m, k)
				return v, nil
			}
			if len(a) == 2 {
				return a[1], nil
			}
			return nil, fmt.Errorf("KeyError: %s", pyQuote(k))
		}
	case "popitem":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0); err != nil {
				return nil, err
			}
			keys := st.keys(m)
			if len(keys) == 0 {
				return nil, fmt.Errorf("KeyError: 'popitem(): dictionary is empty'")
			}
			k := keys[len(keys)-1]
			v := m[k]
			st.dictDel(m, k)
			return tuple{k, v}, nil
		}
	case "setdefault":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 2); err != nil {
				return nil, err
			}
			a := st.args(va)
			if err := argUndefined(a...); err != nil {
				return nil, err
			}
			k := keyString(a[0])
			if v, ok := m[k]; ok {
				return v, nil
			}
			var d any
			if len(a) == 2 {
				d = a[1]
			}
			st.dictSet(m, k, d)
			return d, nil
		}
	case "update":
		return func(va *exec.VarArgs) (any, error) {
			if len(va.Args) > 1 {
				return nil, fmt.Errorf("update expected at most 1 argument, got %d", len(va.Args))
			}
			a := st.args(va)
			if err := argUndefined(a...); err != nil {
				return nil, err
			}
			if len(a) == 1 && a[0] != nil {
				if err := st.updateFrom(m, a[0]); err != nil {
					return nil, err
				}
			}
			kw := st.kwargs(va)
			for _, k := range sortedKeys(kw) {
				st.dictSet(m, k, kw[k])
			}
			return nil, nil
		}
	case "copy":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0); err != nil {
				return nil, err
			}
			keys := st.keys(m)
			out := st.newDict(len(keys))
			for _, k := range keys {
				st.dictSet(out, k, m[k])
			}
			return out, nil
		}
	case "clear":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0); err != nil {
				return nil, err
			}
			for _, k := range slices.Clone(st.keys(m)) {
				st.dictDel(m, k)
			}
			return nil, nil
		}
	}
	return nil
}

// updateFrom is dict.update(other): other is a dict or pairs.
func (st *state) updateFrom(m map[string]any, other any) error {
	if d, ok := st.asDict(other); ok {
		for _, k := range st.keys(d) {
			st.dictSet(m, k, d[k])
		}
		return nil
	}
	items, err := st.iterate(other)
	if err != nil {
		return err
	}
	for i, it := range items {
		pair, err := st.unpack(it, 2)
		if err != nil {
			return fmt.Errorf("dictionary update sequence element #%d: %w", i, err)
		}
		st.dictSet(m, keyString(pair[0]), st.norm(pair[1]))
	}
	return nil
}

// ---------------------------------------------------------------- list

func (st *state) listMethod(l *[]any, name string) boundMethod {
	switch name {
	case "append":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			a := st.args(va)
			if err := argUndefined(a...); err != nil {
				return nil, err
			}
			if len(*l) >= maxRange {
				return nil, fmt.Errorf("list too large")
			}
			*l = append(*l, a[0])
			return nil, nil
		}
	case "extend":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			items, err := st.iterate(st.norm(va.Args[0].Interface()))
			if err != nil {
				return nil, err
			}
			if len(*l)+len(items) > maxRange {
				return nil, fmt.Errorf("list too large")
			}
			for _, it := range items {
				*l = append(*l, st.norm(it))
			}
			return nil, nil
		}
	case "insert":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 2, 2); err != nil {
				return nil, err
			}
			a := st.args(va)
			i, _, isInt, ok := number(a[0])
			if !ok || !isInt {
				return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", typeName(a[0]))
			}
			n := len(*l)
			if i < 0 {
				i += n
			}
			i = max(0, min(i, n))
			*l = slices.Insert(*l, i, a[1])
			return nil, nil
		}
	case "pop":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 1); err != nil {
				return nil, err
			}
			n := len(*l)
			if n == 0 {
				return nil, fmt.Errorf("pop from empty list")
			}
			i := n - 1
			if len(va.Args) == 1 {
				j, _, isInt, ok := number(va.Args[0].Interface())
				if !ok || !isInt {
					return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", typeName(va.Args[0].Interface()))
				}
				if j < 0 {
					j += n
				}
				if j < 0 || j >= n {
					return nil, fmt.Errorf("pop index out of range")
				}
				i = j
			}
			v := (*l)[i]
			*l = slices.Delete(*l, i, i+1)
			return v, nil
		}
	case "remove":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			x := st.norm(va.Args[0].Interface())
			for i, e := range *l {
				if pyEqual(e, x) {
					*l = slices.Delete(*l, i, i+1)
					return nil, nil
				}
			}
			return nil, fmt.Errorf("list.remove(x): x not in list")
		}
	case "reverse":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0); err != nil {
				return nil, err
			}
			slices.Reverse(*l)
			return nil, nil
		}
	case "sort":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0, "reverse"); err != nil {
				return nil, err
			}
			rev := false
			if r, ok := va.KwArgs["reverse"]; ok {
				rev, _ = truth(r.Interface())
			}
			sorted, err := sortValues(*l, rev, func(v any) any { return v })
			if err != nil {
				return nil, err
			}
			copy(*l, sorted)
			return nil, nil
		}
	case "clear":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0); err != nil {
				return nil, err
			}
			*l = (*l)[:0]
			return nil, nil
		}
	case "copy":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 0); err != nil {
				return nil, err
			}
			return newList(slices.Clone(*l)), nil
		}
	}
	return st.seqMethod(*l, name)
}

// seqMethod are the methods shared by list and tuple.
func (st *state) seqMethod(items []any, name string) boundMethod {
	switch name {
	case "index":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 3); err != nil {
				return nil, err
			}
			a := st.args(va)
			lo, hi := 0, len(items)
			if len(a) > 1 {
				lo, _, _, _ = number(a[1])
				if lo < 0 {
					lo = max(lo+len(items), 0)
				}
			}
			if len(a) > 2 {
				hi, _, _, _ = number(a[2])
				if hi < 0 {
					hi += len(items)
				}
				hi = min(hi, len(items))
			}
			for i := lo; i < hi; i++ {
				if pyEqual(items[i], a[0]) {
					return i, nil
				}
			}
			return nil, fmt.Errorf("%s is not in list", pyRepr(st, a[0]))
		}
	case "count":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			x := st.norm(va.Args[0].Interface())
			n := 0
			for _, e := range items {
				if pyEqual(e, x) {
					n++
				}
			}
			return n, nil
		}
	}
	return nil
}

// sortValues sorts a copy of items by key(item) with Python's ordering.
func sortValues(items []any, reverse bool, key func(any) any) ([]any, error) {
	out := slices.Clone(items)
	var err error
	slices.SortStableFunc(out, func(a, b any) int {
		c, e := compare("<", key(a), key(b))
		if e != nil && err == nil {
			err = e
		}
		if reverse {
			return -c
		}
		return c
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---------------------------------------------------------------- numbers

func numberMethod(v any, name string) boundMethod {
	switch name {
	case "is_integer":
		if f, ok := v.(float64); ok {
			return func(*exec.VarArgs) (any, error) { return f == math.Trunc(f) && !math.IsInf(f, 0), nil }
		}
	case "bit_length":
		if i, _, isInt, _ := number(v); isInt {
			return func(*exec.VarArgs) (any, error) {
				n := 0
				for u := uint64(abs(i)); u > 0; u >>= 1 {
					n++
				}
				return n, nil
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------- str

// strMethod returns the bound method s.name. Methods whose result or
// arguments involve containers are implemented here; the rest come from
// gonja's Python string methods.
func (st *state) strMethod(s string, name string) boundMethod {
	switch name {
	case "format":
		return func(va *exec.VarArgs) (any, error) {
			return st.strFormat(s, st.args(va), st.kwargs(va))
		}
	case "format_map":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			m, ok := st.asDict(st.norm(va.Args[0].Interface()))
			if !ok {
				return nil, fmt.Errorf("format_map() argument must be a mapping")
			}
			return st.strFormat(s, nil, m)
		}
	case "join":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			items, err := st.iterate(st.norm(va.Args[0].Interface()))
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(items))
			for i, it := range items {
				p, ok := it.(string)
				if !ok {
					return nil, fmt.Errorf("sequence item %d: expected str instance, %s found", i, typeName(it))
				}
				parts[i] = p
			}
			return strings.Join(parts, s), nil
		}
	case "split", "rsplit":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 2, "sep", "maxsplit"); err != nil {
				return nil, err
			}
			a := st.args(va)
			kw := st.kwargs(va)
			var sep any
			maxsplit := -1
			if len(a) > 0 {
				sep = a[0]
			} else if v, ok := kw["sep"]; ok {
				sep = v
			}
			if len(a) > 1 {
				maxsplit, _, _, _ = number(a[1])
			} else if v, ok := kw["maxsplit"]; ok {
				maxsplit, _, _, _ = number(v)
			}
			var parts []string
			switch x := sep.(type) {
			case nil:
				parts = splitWhitespace(s, maxsplit, name == "rsplit")
			case string:
				if x == "" {
					return nil, fmt.Errorf("empty separator")
				}
				parts = splitSep(s, x, maxsplit, name == "rsplit")
			default:
				return nil, fmt.Errorf("must be str or None, not %s", typeName(sep))
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return &out, nil
		}
	case "splitlines":
		return func(va *exec.VarArgs) (any, error) {
			keep := false
			if len(va.Args) > 0 {
				keep, _ = truth(va.Args[0].Interface())
			} else if v, ok := va.KwArgs["keepends"]; ok {
				keep, _ = truth(v.Interface())
			}
			var out []any
			rest := s
			for rest != "" {
				i := strings.IndexAny(rest, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029")
				if i < 0 {
					out = append(out, rest)
					break
				}
				_, w := utf8.DecodeRuneInString(rest[i:])
				if rest[i] == '\r' && i+1 < len(rest) && rest[i+1] == '\n' {
					w = 2
				}
				if keep {
					out = append(out, rest[:i+w])
				} else {
					out = append(out, rest[:i])
				}
				rest = rest[i+w:]
			}
			return newList(out), nil
		}
	case "partition", "rpartition":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			sep, ok := va.Args[0].Interface().(string)
			if !ok || sep == "" {
				return nil, fmt.Errorf("%s() argument must be a non-empty str", name)
			}
			var i int
			if name == "partition" {
				i = strings.Index(s, sep)
			} else {
				i = strings.LastIndex(s, sep)
			}
			if i < 0 {
				if name == "partition" {
					return tuple{s, "", ""}, nil
				}
				return tuple{"", "", s}, nil
			}
			return tuple{s[:i], sep, s[i+len(sep):]}, nil
		}
	case "startswith", "endswith":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 3); err != nil {
				return nil, err
			}
			a := st.args(va)
			sub := s
			if len(a) > 1 {
				lo, hi := a[1], any(nil)
				if len(a) > 2 {
					hi = a[2]
				}
				v, err := st.slice(s, lo, hi, nil)
				if err != nil {
					return nil, err
				}
				sub = v.(string)
			}
			var cands []any
			if t, ok := a[0].(tuple); ok {
				cands = t
			} else {
				cands = []any{a[0]}
			}
			for _, c := range cands {
				p, ok := c.(string)
				if !ok {
					return nil, fmt.Errorf("%s first arg must be str or a tuple of str, not %s", name, typeName(c))
				}
				if (name == "startswith" && strings.HasPrefix(sub, p)) || (name == "endswith" && strings.HasSuffix(sub, p)) {
					return true, nil
				}
			}
			return false, nil
		}
	case "strip", "lstrip", "rstrip":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 0, 1); err != nil {
				return nil, err
			}
			var chars any
			if len(va.Args) == 1 {
				chars = va.Args[0].Interface()
			}
			cut := func(r rune) bool { return unicode.IsSpace(r) }
			if c, ok := chars.(string); ok {
				cut = func(r rune) bool { return strings.ContainsRune(c, r) }
			} else if chars != nil {
				return nil, fmt.Errorf("%s arg must be None or str", name)
			}
			switch name {
			case "strip":
				return strings.TrimFunc(s, cut), nil
			case "lstrip":
				return strings.TrimLeftFunc(s, cut), nil
			}
			return strings.TrimRightFunc(s, cut), nil
		}
	case "replace":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 2, 3); err != nil {
				return nil, err
			}
			a := st.args(va)
			old, ok1 := a[0].(string)
			repl, ok2 := a[1].(string)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("replace() arguments must be str")
			}
			n := -1
			if len(a) == 3 {
				n, _, _, _ = number(a[2])
			}
			if old != "" && len(repl) > len(old) && strings.Count(s, old)*(len(repl)-len(old)) > maxStringSize {
				return nil, fmt.Errorf("string too large")
			}
			return strings.Replace(s, old, repl, n), nil
		}
	case "center", "ljust", "rjust":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 2); err != nil {
				return nil, err
			}
			a := st.args(va)
			width, _, isInt, ok := number(a[0])
			if !ok || !isInt {
				return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", typeName(a[0]))
			}
			fill := " "
			if len(a) == 2 {
				f, ok := a[1].(string)
				if !ok || utf8.RuneCountInString(f) != 1 {
					return nil, fmt.Errorf("The fill character must be exactly one character long")
				}
				fill = f
			}
			n := utf8.RuneCountInString(s)
			if width <= n {
				return s, nil
			}
			if width > maxStringSize {
				return nil, fmt.Errorf("string too large")
			}
			padN := width - n
			switch name {
			case "ljust":
				return s + strings.Repeat(fill, padN), nil
			case "rjust":
				return strings.Repeat(fill, padN) + s, nil
			}
			left := padN / 2
			if padN%2 == 1 && n%2 == 1 {
				left++
			}
			return strings.Repeat(fill, left) + s + strings.Repeat(fill, padN-left), nil
		}
	case "zfill":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 1); err != nil {
				return nil, err
			}
			width, _, isInt, ok := number(st.norm(va.Args[0].Interface()))
			if !ok || !isInt {
				return nil, fmt.Errorf("zfill() argument must be an integer")
			}
			n := utf8.RuneCountInString(s)
			if width <= n {
				return s, nil
			}
			if width > maxStringSize {
				return nil, fmt.Errorf("string too large")
			}
			sign := ""
			rest := s
			if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
				sign, rest = s[:1], s[1:]
			}
			return sign + strings.Repeat("0", width-n) + rest, nil
		}
	case "count":
		return func(va *exec.VarArgs) (any, error) {
			if err := checkArgs(name, va, 1, 3); err != nil {
				return nil, err
			}
			a := st.args(va)
			sub, ok := a[0].(string)
			if !ok {
				return nil, fmt.Errorf("must be str, not %s", typeName(a[0]))
			}
			target := s
			if len(a) > 1 {
				var hi any
				if len(a) > 2 {
					hi = a[2]
				}
				v, err := st.slice(s, a[1], hi, nil)
				if err != nil {
					return nil, err
				}
				target = v.(string)
			}
			if sub == "" {
				return utf8.RuneCountInString(target) + 1, nil
			}
			return strings.Count(target, sub), nil
		}
	case "upper":
		return noArgs(name, func() any { return strings.ToUpper(s) })
	case "lower":
		return noArgs(name, func() any { return strings.ToLower(s) })
	case "isdigit", "isnumeric", "isdecimal":
		return noArgs(name, func() any {
			if s == "" {
				return false
			}
			for _, r := range s {
				if !unicode.IsDigit(r) && !(name == "isnumeric" && unicode.IsNumber(r)) {
					return false
				}
			}
			return true
		})
	}
	m, ok := builtins.Methods.Str.Get(name)
	if !ok {
		return nil
	}
	return func(va *exec.VarArgs) (res any, err error) {
		defer func() {
			if r := recover(); r != nil {
				res, err = nil, fmt.Errorf("str.%s(): %v", name, r)
			}
		}()
		out, err := m(s, exec.AsValue(s), va)
		if err != nil {
			return nil, err
		}
		return st.norm(out), nil
	}
}

func noArgs(name string, f func() any) boundMethod {
	return func(va *exec.VarArgs) (any, error) {
		if err := checkArgs(name, va, 0, 0); err != nil {
			return nil, err
		}
		return f(), nil
	}
}

// splitWhitespace is str.split() / str.rsplit() without a separator.
func splitWhitespace(s string, maxsplit int, fromRight bool) []string {
	fields := strings.FieldsFunc(s, unicode.IsSpace)
	if maxsplit < 0 || len(fields) <= maxsplit+1 {
		return fields
	}
	if !fromRight {
		// keep the remainder verbatim after maxsplit splits
		out := make([]string, 0, maxsplit+1)
		rest := strings.TrimLeftFunc(s, unicode.IsSpace)
		for range maxsplit {
			i := strings.IndexFunc(rest, unicode.IsSpace)
			out = append(out, rest[:i])
			rest = strings.TrimLeftFunc(rest[i:], unicode.IsSpace)
		}
		return append(out, rest)
	}
	out := make([]string, 0, maxsplit+1)
	rest := strings.TrimRightFunc(s, unicode.IsSpace)
	for range maxsplit {
		i := strings.LastIndexFunc(rest, unicode.IsSpace)
		out = append(out, rest[i+1:])
		rest = strings.TrimRightFunc(rest[:i], unicode.IsSpace)
	}
	out = append(out, rest)
	slices.Reverse(out)
	return out
}

func splitSep(s, sep string, maxsplit int, fromRight bool) []string {
	if !fromRight || maxsplit < 0 {
		return strings.SplitN(s, sep, maxsplit+boolToInt(maxsplit >= 0))
	}
	var out []string
	rest := s
	for range maxsplit {
		i := strings.LastIndex(rest, sep)
		if i < 0 {
			break
		}
		out = append(out, rest[i+len(sep):])
		rest = rest[:i]
	}
	out = append(out, rest)
	slices.Reverse(out)
	return out
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// toInt is Python's int(v) for the int filter and friends.
func toInt(v any, base int) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case bool:
		return boolToInt(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false
		}
		return int(x), true
	case string:
		t := strings.TrimSpace(strings.ReplaceAll(x, "_", ""))
		if i, err := strconv.ParseInt(t, base, 64); err == nil {
			return int(i), true
		}
		if base == 0 || base == 10 {
			if i, err := strconv.ParseInt(t, 10, 64); err == nil {
				return int(i), true
			}
		}
		return 0, false
	}
	rv := reflect.ValueOf(v)
	if rv.CanInt() {
		return int(rv.Int()), true
	}
	return 0, false
}
