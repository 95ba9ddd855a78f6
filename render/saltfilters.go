package render

import (
	"fmt"
	"math"
	"net/netip"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	gexec "github.com/nikolalohinski/gonja/v2/exec"
)

// More of the filters Salt 3006 registers (@jinja_filter in salt/utils),
// following Salt's code: the pure ones, and which.

func init() {
	for name, f := range map[string]filterFunc{
		"traverse":  fTraverse,
		"path_join": fPathJoin,
		"flatten":   fFlatten,
		"is_list": func(_ *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
			_, ok := in.(*[]any)
			return ok, nil
		},
		"is_iter":               func(_ *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) { return isIter(in), nil },
		"to_num":                fToNum,
		"str_to_num":            fToNum,
		"sorted_ignorecase":     fSortedIgnorecase,
		"compare_lists":         fCompareLists,
		"compare_dicts":         fCompareDicts,
		"substring_in_list":     fSubstringInList,
		"contains_whitespace":   fContainsWhitespace,
		"is_hex":                fIsHex,
		"skip":                  func(_ *state, _ *gexec.Evaluator, _ any, _ *gexec.VarArgs) (any, error) { return nil, nil },
		"to_snake_case":         fToSnakeCase,
		"to_camelcase":          fToCamelCase,
		"json_decode_dict":      identityFilter,
		"json_decode_list":      identityFilter,
		"json_encode_dict":      identityFilter,
		"json_encode_list":      identityFilter,
		"human_to_bytes":        fHumanToBytes,
		"is_ip":                 fIsIP(func(a netip.Addr) bool { return true }),
		"is_ipv4":               fIsIP(netip.Addr.Is4),
		"is_ipv6":               fIsIP(func(a netip.Addr) bool { return a.Is6() && !a.Is4In6() }),
		"ipwrap":                fIPWrap,
		"which":                 fWhich,
		"set_dict_key_value":    fDictKeyValue("set"),
		"append_dict_key_value": fDictKeyValue("append"),
		"extend_dict_key_value": fDictKeyValue("extend"),
		"update_dict_key_value": fDictKeyValue("update"),
	} {
		ownFilters[name] = f
	}
}

func identityFilter(_ *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	return in, nil
}

// fTraverse is traverse(data, key, default=None, delimiter=':'):
// salt.utils.data.traverse_dict_and_list.
func fTraverse(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	key := kwarg(va, 0, "key", nil)
	if key == nil {
		return nil, fmt.Errorf("traverse() missing 1 required positional argument: 'key'")
	}
	delim, _ := kwarg(va, 2, "delimiter", ":").(string)
	return st.traverse(in, key, kwarg(va, 1, "default", nil), delim), nil
}

// fPathJoin is salt.utils.path.join: later parts lose their leading
// slashes, the result is normalised.
func fPathJoin(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	parts := []string{pyStr(st, in)}
	for _, a := range va.Args {
		parts = append(parts, strings.TrimLeft(pyStr(st, a.Interface()), "/"))
	}
	joined := parts[0]
	for _, p := range parts[1:] {
		if joined == "" || strings.HasSuffix(joined, "/") {
			joined += p
		} else {
			joined += "/" + p
		}
	}
	return pyNormpath(joined), nil
}

// pyNormpath is posixpath.normpath: like path.Clean, but a path starting
// with exactly two slashes keeps them and "" is ".".
func pyNormpath(p string) string {
	if p == "" {
		return "."
	}
	c := path.Clean(p)
	if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
		return "/" + c
	}
	return c
}

// isIter is salt.utils.data.is_iter: anything iterable but a string.
func isIter(v any) bool {
	switch v.(type) {
	case *[]any, []any, tuple, map[string]any, *Map:
		return true
	}
	return false
}

// fFlatten is flatten(data, levels=None, preserve_nulls=False).
func fFlatten(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	levels := -1
	if l := kwarg(va, 0, "levels", nil); l != nil {
		n, _, isInt, ok := number(l)
		if !ok || !isInt {
			return nil, fmt.Errorf("levels must be an integer")
		}
		levels = n
	}
	keepNulls := kwBool(va, 1, "preserve_nulls", false)
	var flat func(v any, levels int, depth int) ([]any, error)
	flat = func(v any, levels int, depth int) ([]any, error) {
		if depth > maxDepth {
			return nil, fmt.Errorf("maximum recursion depth exceeded in flatten")
		}
		items, err := st.iterate(v)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, e := range items {
			if s, ok := e.(string); !keepNulls && (e == nil || ok && (s == "None" || s == "null")) {
				continue
			}
			if !isIter(e) || levels == 0 {
				out = append(out, e)
				continue
			}
			next := levels
			if levels > 0 {
				next = levels - 1
			}
			sub, err := flat(e, next, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
		return out, nil
	}
	out, err := flat(in, levels, 0)
	if err != nil {
		return nil, err
	}
	return newList(out), nil
}

// fToNum is salt.utils.stringutils.to_num: an int, else a float, else
// the text unchanged.
func fToNum(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	s, ok := in.(string)
	if !ok {
		return in, nil
	}
	t := strings.TrimSpace(s)
	if i, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64); err == nil {
		return int(i), nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f, nil
	}
	return in, nil
}

func fSortedIgnorecase(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	items, err := st.iterate(in)
	if err != nil {
		return nil, err
	}
	out := append([]any(nil), items...)
	var bad error
	sort.SliceStable(out, func(i, j int) bool {
		a, ok1 := out[i].(string)
		b, ok2 := out[j].(string)
		if !ok1 || !ok2 {
			bad = fmt.Errorf("sorted_ignorecase: the items must be strings")
			return false
		}
		return strings.ToLower(a) < strings.ToLower(b)
	})
	if bad != nil {
		return nil, bad
	}
	return newList(out), nil
}

// fCompareLists is compare_lists(old, new): {new: [added], old:
// [removed]}, keys present only when non-empty.
func fCompareLists(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	oldItems, err := st.iterate(in)
	if err != nil {
		return nil, err
	}
	newItems, err := st.iterate(kwarg(va, 0, "new", newList(nil)))
	if err != nil {
		return nil, err
	}
	has := func(list []any, v any) bool {
		for _, x := range list {
			if pyEqual(x, v) {
				return true
			}
		}
		return false
	}
	ret := st.newDict(2)
	var added, removed []any
	for _, x := range newItems {
		if !has(oldItems, x) {
			added = append(added, x)
		}
	}
	for _, x := range oldItems {
		if !has(newItems, x) {
			removed = append(removed, x)
		}
	}
	if added != nil {
		st.dictSet(ret, "new", newList(added))
	}
	if removed != nil {
		st.dictSet(ret, "old", newList(removed))
	}
	return ret, nil
}

// fCompareDicts is compare_dicts(old, new): for each key whose value
// differs, {old: ..., new: ...} (the side where it is missing left out).
func fCompareDicts(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	oldM, ok1 := in.(map[string]any)
	newM, ok2 := kwarg(va, 0, "new", nil).(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("compare_dicts takes two dicts")
	}
	keys := map[string]bool{}
	for k := range oldM {
		keys[k] = true
	}
	for k := range newM {
		keys[k] = true
	}
	ret := st.newDict(len(keys))
	for _, k := range sortedKeys(map[string]any(func() map[string]any {
		m := map[string]any{}
		for k := range keys {
			m[k] = nil
		}
		return m
	}())) {
		o, inOld := oldM[k]
		n, inNew := newM[k]
		if inOld && inNew {
			if pyEqual(o, n) {
				continue
			}
		}
		d := st.newDict(2)
		if inOld {
			st.dictSet(d, "old", o)
		}
		if inNew {
			st.dictSet(d, "new", n)
		}
		st.dictSet(ret, k, d)
	}
	return ret, nil
}

func fSubstringInList(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	sub := pyStr(st, in)
	items, err := st.iterate(kwarg(va, 0, "list", newList(nil)))
	if err != nil {
		return nil, err
	}
	for _, x := range items {
		if s, ok := x.(string); ok && strings.Contains(s, sub) {
			return true, nil
		}
	}
	return false, nil
}

func fContainsWhitespace(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	return strings.IndexFunc(pyStr(st, in), unicode.IsSpace) >= 0, nil
}

func fIsHex(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	s := strings.TrimSpace(pyStr(st, in))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if s == "" {
		return false, nil
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF_", r) {
			return false, nil
		}
	}
	return true, nil
}

// fToSnakeCase is salt.utils.stringutils.camel_to_snake_case.
func fToSnakeCase(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	r := []rune(pyStr(st, in))
	if len(r) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteRune(unicode.ToLower(r[0]))
	for i := 1; i < len(r); i++ {
		if unicode.IsUpper(r[i]) && (unicode.IsLower(r[i-1]) || i != len(r)-1 && unicode.IsLower(r[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r[i]))
	}
	return b.String(), nil
}

// fToCamelCase is salt.utils.stringutils.snake_to_camel_case
// (uppercamel=False).
func fToCamelCase(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	words := strings.Split(pyStr(st, in), "_")
	capitalize := func(w string) string {
		r := []rune(strings.ToLower(w))
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		return string(r)
	}
	if kwBool(va, 0, "uppercamel", false) {
		words[0] = capitalize(words[0])
	}
	out := words[0]
	for _, w := range words[1:] {
		out += capitalize(w)
	}
	return out, nil
}

var humanSize = regexp.MustCompile(`^(?P<value>[0-9.]*)\s*(?P<unit>.*)$`)

// fHumanToBytes is salt.utils.stringutils.human_to_bytes(size,
// default_unit='B', handle_metric=False).
func fHumanToBytes(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
	m := humanSize.FindStringSubmatch(strings.TrimSpace(pyStr(st, in)))
	if m == nil {
		return 0, nil
	}
	unit := strings.ToLower(m[2])
	if unit == "" {
		unit = strings.ToLower(pyStr(st, kwarg(va, 0, "default_unit", "B")))
	}
	value, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, nil
	}
	dec := false
	switch {
	case regexp.MustCompile(`^[kmgtpezy]b$`).MatchString(unit):
		dec = kwBool(va, 1, "handle_metric", false)
	case !regexp.MustCompile(`^(b|[kmgtpezy](ib)?)$`).MatchString(unit):
		return 0, nil
	}
	power := strings.IndexByte("bkmgtpezy", unit[0])
	mult := math.Pow(1024, float64(power))
	if dec {
		mult = math.Pow(10, float64(power*3))
	}
	return int(value * mult), nil
}

// fIsIP is is_ip / is_ipv4 / is_ipv6 (without options).
func fIsIP(kind func(netip.Addr) bool) filterFunc {
	return func(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
		s, ok := in.(string)
		if !ok {
			return false, nil
		}
		s = strings.TrimSpace(s)
		if a, err := netip.ParseAddr(s); err == nil {
			return kind(a), nil
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			return kind(p.Addr()), nil
		}
		return false, nil
	}
}

// fIPWrap puts an IPv6 address in brackets.
func fIPWrap(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	wrap := func(v any) any {
		s, ok := v.(string)
		if !ok {
			return v
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
			return "[" + s + "]"
		}
		return s
	}
	if items, ok := listItems(in); ok {
		out := make([]any, len(items))
		for i, x := range items {
			out[i] = wrap(x)
		}
		return newList(out), nil
	}
	return wrap(in), nil
}

// fWhich is salt.utils.path.which: the executable's path on this host, or
// None.
func fWhich(st *state, _ *gexec.Evaluator, in any, _ *gexec.VarArgs) (any, error) {
	p, err := exec.LookPath(pyStr(st, in))
	if err != nil {
		return nil, nil
	}
	return p, nil
}

// fDictKeyValue is set_ / append_ / extend_ / update_dict_key_value(dict,
// keys, value, delimiter=':'): the nested dict along keys (created as
// needed) gets value set, appended, extended or updated; returns dict.
func fDictKeyValue(op string) filterFunc {
	return func(st *state, _ *gexec.Evaluator, in any, va *gexec.VarArgs) (any, error) {
		root, ok := in.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s_dict_key_value takes a dict, not %s", op, typeName(in))
		}
		keys := pyStr(st, kwarg(va, 0, "keys", ""))
		value := kwarg(va, 1, "value", nil)
		delim, _ := kwarg(va, 2, "delimiter", ":").(string)
		parts := strings.Split(keys, delim)
		d := root
		for _, k := range parts[:len(parts)-1] {
			next, ok := d[k].(map[string]any)
			if !ok {
				if _, exists := d[k]; exists {
					return nil, fmt.Errorf("%s_dict_key_value: %s is not a dict", op, k)
				}
				next = st.newDict(0)
				st.dictSet(d, k, next)
			}
			d = next
		}
		last := parts[len(parts)-1]
		switch op {
		case "set":
			st.dictSet(d, last, value)
		case "append", "extend":
			cur, exists := d[last]
			if !exists || cur == nil {
				cur = newList(nil)
				st.dictSet(d, last, cur)
			}
			l, ok := cur.(*[]any)
			if !ok {
				return nil, fmt.Errorf("%s_dict_key_value: the value at %s is not a list", op, keys)
			}
			if op == "append" {
				*l = append(*l, value)
			} else {
				items, err := st.iterate(value)
				if err != nil {
					return nil, err
				}
				*l = append(*l, items...)
			}
		case "update":
			cur, exists := d[last]
			if !exists || cur == nil {
				cur = st.newDict(0)
				st.dictSet(d, last, cur)
			}
			m, ok := cur.(map[string]any)
			upd, ok2 := value.(map[string]any)
			if !ok || !ok2 {
				return nil, fmt.Errorf("update_dict_key_value: the value at %s and the update must be dicts", keys)
			}
			for _, k := range st.keys(upd) {
				st.dictSet(m, k, upd[k])
			}
		}
		return root, nil
	}
}
