package render

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// Filters: gonja's string filters are kept; filters that touch containers,
// None or undefined values are reimplemented with Jinja2's semantics; Salt's
// own filters (yaml, json, load_yaml, regex_*, ...) are added. Salt
// registers its filters after Jinja's, so where both define one (unique,
// min, max) Salt's wins, as here.

type filterFunc func(st *state, e *exec.Evaluator, in any, va *exec.VarArgs) (any, error)

// gonjaFilterNames are the gonja filters used unchanged (string filters).
var gonjaFilterNames = []string{
	"capitalize", "center", "escape", "e", "filesizeformat", "forceescape",
	"pprint", "random", "safe", "striptags", "truncate", "urlencode",
	"urlize", "wordcount", "wordwrap", "xmlattr", "batch", "slice",
}

var ownFilters = map[string]filterFunc{
	"abs":                  fAbs,
	"attr":                 fAttr,
	"base64_decode":        fBase64Decode,
	"base64_encode":        fBase64Encode,
	"count":                fLength,
	"dictsort":             fDictsort,
	"difference":           setOp("difference"),
	"exactly_n_true":       fExactlyN,
	"exactly_one_true":     fExactlyOne,
	"first":                fFirst,
	"float":                fFloat,
	"format":               fFormat,
	"groupby":              fGroupby,
	"indent":               fIndent,
	"int":                  fInt,
	"intersect":            setOp("intersect"),
	"items":                fItems,
	"join":                 fJoin,
	"json":                 fJSON,
	"last":                 fLast,
	"length":               fLength,
	"list":                 fList,
	"load_json":            fLoadJSON,
	"load_text":            fLoadText,
	"load_yaml":            fLoadYAML,
	"lower":                fLower,
	"map":                  fMap,
	"max":                  minMax(1),
	"md5":                  hashFilter("md5"),
	"min":                  minMax(-1),
	"avg":                  fAvg,
	"python":               fPython,
	"quote":                fQuote,
	"regex_escape":         fRegexEscape,
	"regex_match":          regexFilter("match"),
	"regex_replace":        fRegexReplace,
	"regex_search":         regexFilter("search"),
	"reject":               selectFilter(false, false),
	"rejectattr":           selectFilter(false, true),
	"replace":              fReplace,
	"reverse":              fReverse,
	"round":                fRound,
	"select":               selectFilter(true, false),
	"selectattr":           selectFilter(true, true),
	"sequence":             fSequence,
	"sha1":                 hashFilter("sha1"),
	"sha256":               hashFilter("sha256"),
	"sha512":               hashFilter("sha512"),
	"sort":                 fSort,
	"string":               fString,
	"sum":                  fSum,
	"symmetric_difference": setOp("symmetric_difference"),
	"to_bool":              fToBool,
	"tojson":               fToJSON,
	"title":                fTitle,
	"trim":                 fTrim,
	"union":                setOp("union"),
	"unique":               fUnique,
	"upper":                fUpper,
	"uuid":                 fUUID,
	"yaml":                 fYAML,
	"yaml_dquote":          fYAMLQuote('"'),
	"yaml_encode":          fYAMLEncode,
	"yaml_squote":          fYAMLQuote('\''),
}

// itemCount is the number of items a filter goes through in v: the
// length of a list, tuple or dict, one per KiB of a string, 0 for
// anything else.
func itemCount(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) >> 10
	case *[]any:
		return len(*x)
	case []any:
		return len(x)
	case tuple:
		return len(x)
	case map[string]any:
		return len(x)
	case *Map:
		return len(x.Keys)
	}
	return 0
}

func (st *state) buildFilters() *exec.FilterSet {
	m := make(map[string]exec.FilterFunction, len(gonjaFilterNames)+len(ownFilters)+2)
	for _, name := range gonjaFilterNames {
		if f, ok := builtins.Filters.Get(name); ok {
			m[name] = st.wrapGonjaFilter(name, f)
		}
	}
	for name, f := range ownFilters {
		m[name] = st.wrapFilter(name, f)
	}
	m["default"] = st.defaultFilter
	m["d"] = st.defaultFilter
	return exec.NewFilterSet(m)
}

// wrapFilter adapts an own filter: errors and undefined input propagate
// (as errVal, see there), panics become errors, results are normalised.
func (st *state) wrapFilter(name string, f filterFunc) exec.FilterFunction {
	return func(e *exec.Evaluator, in *exec.Value, va *exec.VarArgs) (out *exec.Value) {
		defer func() {
			if r := recover(); r != nil {
				out = exec.AsValue(&errVal{fmt.Errorf("filter '%s': %v", name, r)})
			}
		}()
		fail := func(err error) *exec.Value { return exec.AsValue(&errVal{err}) }
		if err := valueError(in); err != nil {
			return fail(err)
		}
		if err := argsError(va); err != nil {
			return fail(err)
		}
		v := st.norm(in.Interface())
		if u, ok := v.(*undefinedVal); ok && name != "items" {
			return fail(u.err)
		}
		for _, a := range va.Args {
			if u, ok := a.Interface().(*undefinedVal); ok {
				return fail(u.err)
			}
		}
		if err := st.charge(1 + itemCount(v)); err != nil {
			return fail(err)
		}
		res, err := f(st, e, v, va)
		if err != nil {
			return fail(fmt.Errorf("filter '%s': %w", name, err))
		}
		if sv, ok := res.(*exec.Value); ok && sv.Safe {
			return sv
		}
		return exec.AsValue(st.norm(res))
	}
}

func (st *state) wrapGonjaFilter(name string, f exec.FilterFunction) exec.FilterFunction {
	return func(e *exec.Evaluator, in *exec.Value, va *exec.VarArgs) (out *exec.Value) {
		defer func() {
			if r := recover(); r != nil {
				out = exec.AsValue(&errVal{fmt.Errorf("filter '%s': %v", name, r)})
			}
		}()
		fail := func(err error) *exec.Value { return exec.AsValue(&errVal{err}) }
		if err := valueError(in); err != nil {
			return fail(err)
		}
		if err := argsError(va); err != nil {
			return fail(err)
		}
		if u, ok := in.Interface().(*undefinedVal); ok {
			return fail(u.err)
		}
		v := in.Interface()
		// gonja's string filters print None as ""; Jinja2 prints "None"
		switch v.(type) {
		case nil, float64, *[]any, tuple, map[string]any:
			if name != "batch" && name != "slice" && name != "random" && name != "xmlattr" && name != "pprint" {
				in = exec.AsValue(pyStr(st, v))
			}
		}
		res := f(e, in, va)
		if res.IsError() {
			return fail(fmt.Errorf("filter '%s': %w", name, valueErr(res)))
		}
		if res.Safe && res.IsString() {
			return res
		}
		return exec.AsValue(st.norm(res.Interface()))
	}
}

// defaultFilter is Jinja's default(value, default_value=”, boolean=False):
// it replaces undefined values (and falsy ones with boolean=true), not None.
func (st *state) defaultFilter(e *exec.Evaluator, in *exec.Value, va *exec.VarArgs) *exec.Value {
	if err := argsError(va); err != nil {
		return exec.AsValue(&errVal{err})
	}
	var dflt any = ""
	if len(va.Args) > 0 {
		dflt = va.Args[0].Interface()
	} else if v, ok := va.KwArgs["default_value"]; ok {
		dflt = v.Interface()
	}
	boolean := false
	if len(va.Args) > 1 {
		boolean, _ = truth(va.Args[1].Interface())
	} else if v, ok := va.KwArgs["boolean"]; ok {
		boolean, _ = truth(v.Interface())
	}
	if err := valueError(in); err != nil {
		if isUndefined(err) {
			return exec.AsValue(dflt)
		}
		return exec.AsValue(&errVal{err})
	}
	v := in.Interface()
	if _, ok := v.(*undefinedVal); ok {
		return exec.AsValue(dflt)
	}
	if boolean {
		if t, _ := truth(v); !t {
			return exec.AsValue(dflt)
		}
	}
	return in
}

// ---------------------------------------------------------------- helpers

// items returns what iterating v yields, as Python does.
func (st *state) items(v any) ([]any, error) { return st.iterate(v) }

// attrGetter is Jinja's make_attrgetter: "a.b.0" looks up a, then b, then
// item 0.
func (st *state) attrGetter(attr any) func(any) (any, error) {
	if attr == nil {
		return func(v any) (any, error) { return v, nil }
	}
	var parts []any
	switch a := attr.(type) {
	case string:
		for _, p := range strings.Split(a, ".") {
			if n, ok := toInt(p, 10); ok && p != "" && (p[0] >= '0' && p[0] <= '9') {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	case int:
		parts = []any{a}
	default:
		parts = []any{a}
	}
	return func(v any) (any, error) {
		var err error
		for _, p := range parts {
			if v, err = st.getitem(v, p); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
}

func kwarg(va *exec.VarArgs, pos int, name string, dflt any) any {
	if pos >= 0 && pos < len(va.Args) {
		return va.Args[pos].Interface()
	}
	if v, ok := va.KwArgs[name]; ok {
		return v.Interface()
	}
	return dflt
}

func kwBool(va *exec.VarArgs, pos int, name string, dflt bool) bool {
	t, _ := truth(kwarg(va, pos, name, dflt))
	return t
}

// ---------------------------------------------------------------- filters

func fAbs(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	i, f, isInt, ok := number(in)
	if !ok {
		return nil, fmt.Errorf("bad operand type for abs(): '%s'", typeName(in))
	}
	if isInt {
		if _, isBool := in.(bool); isBool {
			return i, nil
		}
		return abs(i), nil
	}
	return math.Abs(f), nil
}

func fAttr(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	name, ok := kwarg(va, 0, "name", nil).(string)
	if !ok {
		return nil, fmt.Errorf("attribute name must be a string")
	}
	v, err := st.getattr(in, name)
	if ue, ok := asUndefined(err); ok {
		return &undefinedVal{err: ue}, nil
	}
	return v, err
}

func fBase64Encode(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return base64.StdEncoding.EncodeToString([]byte(pyStr(st, in))), nil
}

func fBase64Decode(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	b, err := base64.StdEncoding.DecodeString(pyStr(st, in))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func fLength(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	switch x := in.(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case map[string]any:
		return len(x), nil
	case *namespace:
		return nil, fmt.Errorf("object of type 'Namespace' has no len()")
	}
	if items, ok := listItems(in); ok {
		return len(items), nil
	}
	return nil, fmt.Errorf("object of type '%s' has no len()", typeName(in))
}

func fDictsort(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	d, ok := st.asDict(in)
	if !ok {
		return nil, fmt.Errorf("dictsort expects a dict, not %s", typeName(in))
	}
	caseSensitive := kwBool(va, 0, "case_sensitive", false)
	by, _ := kwarg(va, 1, "by", "key").(string)
	reverse := kwBool(va, 2, "reverse", false)
	pairs := make([]any, 0, len(d))
	for _, k := range st.keys(d) {
		pairs = append(pairs, tuple{k, d[k]})
	}
	idx := 0
	if by == "value" {
		idx = 1
	} else if by != "key" {
		return nil, fmt.Errorf("You can only sort by either \"key\" or \"value\"")
	}
	return sortValues(pairs, reverse, func(p any) any {
		v := p.(tuple)[idx]
		if s, ok := v.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return v
	})
}

func fExactlyN(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	n, _ := toInt(kwarg(va, 0, "amount", 1), 10)
	return exactlyN(in, n)
}

func fExactlyOne(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return exactlyN(in, 1)
}

func exactlyN(in any, n int) (any, error) {
	items, ok := listItems(in)
	if !ok {
		return nil, fmt.Errorf("expected a list, not %s", typeName(in))
	}
	c := 0
	for _, it := range items {
		if t, _ := truth(it); t {
			c++
		}
	}
	return c == n, nil
}

func fFirst(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefinedVal{err: undefinedf("No first item, sequence was empty.")}, nil
	}
	return items[0], nil
}

func fLast(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefinedVal{err: undefinedf("No last item, sequence was empty.")}, nil
	}
	return items[len(items)-1], nil
}

func fFloat(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	dflt := kwarg(va, 0, "default", 0.0)
	switch x := in.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case bool:
		return float64(boolToInt(x)), nil
	case string:
		if f, ok := parsePyFloat(x); ok {
			return f, nil
		}
	}
	return dflt, nil
}

func fFormat(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	s, ok := in.(string)
	if !ok {
		s = pyStr(st, in)
	}
	args := st.args(va)
	if len(va.KwArgs) > 0 {
		if len(args) > 0 {
			return nil, fmt.Errorf("can't handle positional and keyword arguments at the same time")
		}
		return st.percentFormat(s, st.kwargsDict(va))
	}
	return st.percentFormat(s, tuple(args))
}

func (st *state) kwargsDict(va *exec.VarArgs) map[string]any {
	kw := st.kwargs(va)
	m := st.newDict(len(kw))
	for _, k := range sortedKeys(kw) {
		st.dictSet(m, k, kw[k])
	}
	return m
}

// groupTuple is the (grouper, list) tuple groupby yields.
type groupTuple []any

// GetAttribute implements exec.AttributeGetter.
func (g groupTuple) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "grouper":
		return exec.AsValue(g[0]), true
	case "list":
		return exec.AsValue(g[1]), true
	}
	return nil, false
}

func fGroupby(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	get := st.attrGetter(kwarg(va, 0, "attribute", nil))
	dflt := kwarg(va, 1, "default", nil)
	caseSensitive := kwBool(va, -1, "case_sensitive", false)
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	keyOf := func(v any) any {
		k, err := get(v)
		if err != nil {
			k = dflt
		}
		if s, ok := k.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return k
	}
	sorted, err := sortValues(items, false, keyOf)
	if err != nil {
		return nil, err
	}
	var out []any
	for i := 0; i < len(sorted); {
		k := keyOf(sorted[i])
		j := i
		var group []any
		for j < len(sorted) && pyEqual(keyOf(sorted[j]), k) {
			group = append(group, sorted[j])
			j++
		}
		grouper, err := get(sorted[i])
		if err != nil {
			grouper = dflt
		}
		if !caseSensitive {
			grouper = k
		}
		out = append(out, groupTuple{grouper, newList(group)})
		i = j
	}
	return newList(out), nil
}

func fIndent(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	s := pyStr(st, in)
	width := kwarg(va, 0, "width", 4)
	indention := ""
	switch w := width.(type) {
	case string:
		indention = w
	default:
		n, ok := toInt(w, 10)
		if !ok {
			return nil, fmt.Errorf("width must be an integer or a string")
		}
		indention = strings.Repeat(" ", max(n, 0))
	}
	first := kwBool(va, 1, "first", false)
	blank := kwBool(va, 2, "blank", false)
	if n := strings.Count(s, "\n") + 1; len(indention) > 0 && n > maxStringSize/len(indention) {
		return nil, fmt.Errorf("string too large")
	}
	s += "\n"
	lines := pySplitLines(s)
	rv := lines[0]
	lines = lines[1:]
	if len(lines) > 0 {
		parts := make([]string, len(lines))
		for i, l := range lines {
			if blank || l != "" {
				parts[i] = indention + l
			} else {
				parts[i] = l
			}
		}
		rv += "\n" + strings.Join(parts, "\n")
	}
	if first {
		rv = indention + rv
	}
	return rv, nil
}

// pySplitLines is str.splitlines() for \n, \r\n and \r.
func pySplitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return []string{""}
	}
	return lines
}

func fInt(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	dflt := kwarg(va, 0, "default", 0)
	base, _ := toInt(kwarg(va, 1, "base", 10), 10)
	if s, ok := in.(string); ok {
		t := strings.TrimSpace(s)
		if base != 10 {
			low := strings.ToLower(t)
			for _, p := range []string{"0x", "0o", "0b"} {
				low = strings.TrimPrefix(low, p)
			}
			if n, ok := toInt(low, base); ok {
				return n, nil
			}
			return dflt, nil
		}
		if n, ok := toInt(t, 10); ok {
			return n, nil
		}
		if f, ok := parsePyFloat(t); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return int(f), nil
		}
		return dflt, nil
	}
	if n, ok := toInt(in, 10); ok {
		return n, nil
	}
	return dflt, nil
}

var reFloat = regexp.MustCompile(`^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)$`)

// parsePyFloat is Python's float(str).
func parsePyFloat(s string) (float64, bool) {
	t := strings.ToLower(strings.TrimSpace(strings.ReplaceAll(s, "_", "")))
	switch t {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	case "nan", "+nan", "-nan":
		return math.NaN(), true
	}
	if !reFloat.MatchString(t) {
		return 0, false
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

func fItems(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	if _, ok := in.(*undefinedVal); ok {
		return newList(nil), nil
	}
	d, ok := st.asDict(in)
	if !ok {
		return nil, fmt.Errorf("can only get item pairs from a mapping")
	}
	out := make([]any, 0, len(d))
	for _, k := range st.keys(d) {
		out = append(out, tuple{k, d[k]})
	}
	return &out, nil
}

func fJoin(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	sep := pyStr(st, kwarg(va, 0, "d", ""))
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	get := st.attrGetter(kwarg(va, 1, "attribute", nil))
	parts := make([]string, len(items))
	for i, it := range items {
		v, err := get(it)
		if err != nil {
			return nil, err
		}
		if u, ok := v.(*undefinedVal); ok {
			return nil, u.err
		}
		parts[i] = pyStr(st, v)
	}
	s := strings.Join(parts, sep)
	if len(s) > maxStringSize {
		return nil, fmt.Errorf("string too large")
	}
	return s, nil
}

func fList(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	return newList(items), nil
}

func fLower(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return strings.ToLower(pyStr(st, in)), nil
}

func fUpper(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return strings.ToUpper(pyStr(st, in)), nil
}

// fTitle is Jinja2's title: each word (split at "-", spaces and opening
// brackets) gets its first character upper-cased and the rest lowered.
func fTitle(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	s := pyStr(st, in)
	var b strings.Builder
	b.Grow(len(s))
	isSep := func(r rune) bool {
		return r == '-' || r == '(' || r == '{' || r == '[' || r == '<' || unicode.IsSpace(r)
	}
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		n := size
		if isSep(r) {
			for n < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[n:])
				if !isSep(r2) {
					break
				}
				n += sz
			}
			b.WriteString(s[:n])
		} else {
			for n < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[n:])
				if isSep(r2) {
					break
				}
				n += sz
			}
			b.WriteString(strings.ToUpper(s[:size]))
			b.WriteString(strings.ToLower(s[size:n]))
		}
		s = s[n:]
	}
	return b.String(), nil
}

func fTrim(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	s := pyStr(st, in)
	if chars, ok := kwarg(va, 0, "chars", nil).(string); ok {
		return strings.Trim(s, chars), nil
	}
	return strings.TrimSpace(s), nil
}

func fMap(st *state, e *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	if len(va.Args) == 0 {
		attr, ok := va.KwArgs["attribute"]
		if !ok {
			return nil, fmt.Errorf("map requires a filter name or an attribute")
		}
		get := st.attrGetter(attr.Interface())
		dflt, hasDefault := va.KwArgs["default"]
		for _, it := range items {
			v, err := get(it)
			if err != nil {
				if !hasDefault {
					if ue, ok := asUndefined(err); ok {
						v = &undefinedVal{err: ue}
					} else {
						return nil, err
					}
				} else {
					v = dflt.Interface()
				}
			}
			out = append(out, v)
		}
		return &out, nil
	}
	name, ok := va.Args[0].Interface().(string)
	if !ok {
		return nil, fmt.Errorf("map: filter name must be a string")
	}
	sub := &exec.VarArgs{Args: va.Args[1:], KwArgs: va.KwArgs}
	for _, it := range items {
		r := e.ExecuteFilterByName(name, exec.AsValue(it), sub)
		if r.IsError() {
			return nil, valueErr(r)
		}
		out = append(out, r.Interface())
	}
	return &out, nil
}

func minMax(sign int) filterFunc {
	return func(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
		items, err := st.items(in)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("arg is an empty sequence")
		}
		best := items[0]
		for _, it := range items[1:] {
			c, err := compare("<", it, best)
			if err != nil {
				return nil, err
			}
			if c*sign > 0 {
				best = it
			}
		}
		return best, nil
	}
}

func hashFilter(kind string) filterFunc {
	return func(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
		data := []byte(pyStr(st, in))
		switch kind {
		case "md5":
			h := md5.Sum(data)
			return hex.EncodeToString(h[:]), nil
		case "sha1":
			h := sha1.Sum(data)
			return hex.EncodeToString(h[:]), nil
		case "sha256":
			h := sha256.Sum256(data)
			return hex.EncodeToString(h[:]), nil
		}
		h := sha512.Sum512(data)
		return hex.EncodeToString(h[:]), nil
	}
}

func fAvg(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("division by zero")
	}
	var sum float64
	for _, it := range items {
		_, f, _, ok := number(it)
		if !ok {
			return nil, fmt.Errorf("unsupported operand type(s) for +: 'float' and '%s'", typeName(it))
		}
		sum += f
	}
	return sum / float64(len(items)), nil
}

func fPython(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return pyReprSorted(st, in), nil
}

// pyReprSorted is pprint.pformat for values that fit on a line: dict keys
// sorted.
func pyReprSorted(st *state, v any) string {
	tmp := newScratchState()
	var conv func(any) any
	conv = func(v any) any {
		switch x := st.norm(v).(type) {
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, e := range x {
				m[k] = conv(e)
			}
			return m
		case *[]any:
			out := make([]any, len(*x))
			for i, e := range *x {
				out[i] = conv(e)
			}
			return &out
		default:
			return x
		}
	}
	return pyRepr(tmp, conv(v))
}

var shellSafe = regexp.MustCompile(`^[\w@%+=:,./-]+$`)

func fQuote(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	s := pyStr(st, in)
	if s == "" {
		return "''", nil
	}
	if shellSafe.MatchString(s) {
		return s, nil
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'", nil
}

func fRegexEscape(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return regexp.QuoteMeta(pyStr(st, in)), nil
}

// compileRegex compiles a Python regular expression with re flags.
func compileRegex(rgx string, ignorecase, multiline bool) (*regexp.Regexp, error) {
	flags := ""
	if ignorecase {
		flags += "i"
	}
	if multiline {
		flags += "m"
	}
	// Python's named groups (?P<name>...) are Go's too; \Z is \z
	rgx = strings.ReplaceAll(rgx, `\Z`, `\z`)
	if flags != "" {
		rgx = "(?" + flags + ")" + rgx
	}
	return regexp.Compile(rgx)
}

func regexFilter(kind string) filterFunc {
	return func(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
		txt := pyStr(st, in)
		rgx, ok := kwarg(va, 0, "rgx", nil).(string)
		if !ok {
			return nil, fmt.Errorf("a regular expression is required")
		}
		re, err := compileRegex(rgx, kwBool(va, 1, "ignorecase", false), kwBool(va, 2, "multiline", false))
		if err != nil {
			return nil, err
		}
		var loc []int
		if kind == "match" {
			loc = re.FindStringSubmatchIndex(txt)
			if loc != nil && loc[0] != 0 {
				// re.match anchors at the start
				anch, err := compileRegex(`\A(?:`+rgx+`)`, kwBool(va, 1, "ignorecase", false), kwBool(va, 2, "multiline", false))
				if err != nil {
					return nil, err
				}
				loc = anch.FindStringSubmatchIndex(txt)
			}
		} else {
			loc = re.FindStringSubmatchIndex(txt)
		}
		if loc == nil {
			return nil, nil
		}
		groups := make(tuple, 0, len(loc)/2-1)
		for i := 2; i < len(loc); i += 2 {
			if loc[i] < 0 {
				groups = append(groups, nil)
			} else {
				groups = append(groups, txt[loc[i]:loc[i+1]])
			}
		}
		return groups, nil
	}
}

var pyBackref = regexp.MustCompile(`\\(\d+)|\\g<(\w+)>`)

func fRegexReplace(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	txt := pyStr(st, in)
	rgx, ok1 := kwarg(va, 0, "rgx", nil).(string)
	val, ok2 := kwarg(va, 1, "val", nil).(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("regex_replace needs a regular expression and a replacement")
	}
	re, err := compileRegex(rgx, kwBool(va, 2, "ignorecase", false), kwBool(va, 3, "multiline", false))
	if err != nil {
		return nil, err
	}
	repl := strings.ReplaceAll(val, "$", "$$")
	repl = pyBackref.ReplaceAllStringFunc(repl, func(m string) string {
		sub := pyBackref.FindStringSubmatch(m)
		if sub[1] != "" {
			return "${" + sub[1] + "}"
		}
		return "${" + sub[2] + "}"
	})
	return re.ReplaceAllString(txt, repl), nil
}

func selectFilter(keep, byAttr bool) filterFunc {
	return func(st *state, e *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
		items, err := st.items(in)
		if err != nil {
			return nil, err
		}
		args := va.Args
		get := st.attrGetter(nil)
		if byAttr {
			if len(args) == 0 {
				return nil, fmt.Errorf("missing parameter for attribute name")
			}
			get = st.attrGetter(args[0].Interface())
			args = args[1:]
		}
		testName := ""
		if len(args) > 0 {
			s, ok := args[0].Interface().(string)
			if !ok {
				return nil, fmt.Errorf("test name must be a string")
			}
			testName, args = s, args[1:]
		}
		sub := &exec.VarArgs{Args: args, KwArgs: va.KwArgs}
		out := make([]any, 0, len(items))
		for _, it := range items {
			v, err := get(it)
			var ok bool
			if testName == "" {
				if err != nil {
					return nil, err
				}
				if ok, err = truth(v); err != nil {
					return nil, err
				}
			} else {
				arg := exec.AsValue(v)
				if err != nil {
					if ue, isU := asUndefined(err); isU {
						arg = exec.AsValue(&undefinedVal{err: ue})
					} else {
						return nil, err
					}
				}
				r := e.ExecuteTestByName(testName, arg, sub)
				if r.IsError() {
					return nil, valueErr(r)
				}
				ok, _ = truth(r.Interface())
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return &out, nil
	}
}

func fReplace(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	s := pyStr(st, in)
	old := pyStr(st, kwarg(va, 0, "old", ""))
	repl := pyStr(st, kwarg(va, 1, "new", ""))
	n := -1
	if c := kwarg(va, 2, "count", nil); c != nil {
		n, _ = toInt(c, 10)
	}
	if old != "" && len(repl) > len(old) && strings.Count(s, old)*(len(repl)-len(old)) > maxStringSize {
		return nil, fmt.Errorf("string too large")
	}
	return strings.Replace(s, old, repl, n), nil
}

func fReverse(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	if s, ok := in.(string); ok {
		r := []rune(s)
		slices.Reverse(r)
		return string(r), nil
	}
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	slices.Reverse(items)
	return newList(items), nil
}

func fRound(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	i, f, isInt, ok := number(in)
	if !ok {
		return nil, fmt.Errorf("type %s doesn't define __round__ method", typeName(in))
	}
	prec, _ := toInt(kwarg(va, 0, "precision", 0), 10)
	method, _ := kwarg(va, 1, "method", "common").(string)
	factor := math.Pow(10, float64(prec))
	switch method {
	case "common":
		if isInt && prec >= 0 {
			return i, nil // Python's round(int, n) is an int
		}
		return math.RoundToEven(f*factor) / factor, nil
	case "floor":
		return math.Floor(f*factor) / factor, nil
	case "ceil":
		return math.Ceil(f*factor) / factor, nil
	}
	return nil, fmt.Errorf("method must be common, ceil or floor")
}

func fSequence(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	if items, ok := listItems(in); ok {
		return newList(slices.Clone(items)), nil
	}
	return newList([]any{in}), nil
}

func fSort(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	reverse := kwBool(va, 0, "reverse", false)
	caseSensitive := kwBool(va, 1, "case_sensitive", false)
	get := st.attrGetter(kwarg(va, 2, "attribute", nil))
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	var keyErr error
	out, err := sortValues(items, reverse, func(v any) any {
		k, err := get(v)
		if err != nil && keyErr == nil {
			keyErr = err
		}
		if s, ok := k.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return k
	})
	if keyErr != nil {
		return nil, keyErr
	}
	if err != nil {
		return nil, err
	}
	return newList(out), nil
}

func fString(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return pyStr(st, in), nil
}

func fSum(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	get := st.attrGetter(kwarg(va, -1, "attribute", nil))
	total := kwarg(va, -1, "start", 0)
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		v, err := get(it)
		if err != nil {
			return nil, err
		}
		if total, err = st.add(total, v); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func fToBool(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	switch x := in.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case string:
		l := strings.ToLower(x)
		return l == "yes" || l == "1" || l == "true", nil
	case int:
		return x > 0, nil
	case float64:
		return false, nil
	case *[]any, map[string]any:
		return truth(x)
	}
	return false, nil
}

// setOp are Salt's union/intersect/difference/symmetric_difference filters
// on lists (Salt returns a set for tuples; this returns an ordered list).
func setOp(kind string) filterFunc {
	return func(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
		a, err := st.items(in)
		if err != nil {
			return nil, err
		}
		if len(va.Args) < 1 {
			return nil, fmt.Errorf("%s needs a second list", kind)
		}
		b, err := st.items(st.norm(va.Args[0].Interface()))
		if err != nil {
			return nil, err
		}
		var out []any
		switch kind {
		case "union":
			out = append(slices.Clone(a), b...)
		case "intersect":
			for _, x := range a {
				if containsValue(b, x) {
					out = append(out, x)
				}
			}
		case "difference":
			for _, x := range a {
				if !containsValue(b, x) {
					out = append(out, x)
				}
			}
		case "symmetric_difference":
			for _, x := range append(slices.Clone(a), b...) {
				if !(containsValue(a, x) && containsValue(b, x)) {
					out = append(out, x)
				}
			}
		}
		return uniqueValues(out), nil
	}
}

func uniqueValues(items []any) *[]any {
	out := make([]any, 0, len(items))
	for _, x := range items {
		if !containsValue(out, x) {
			out = append(out, x)
		}
	}
	return &out
}

// fUnique is Salt's unique: duplicates removed, first occurrence kept.
func fUnique(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	items, err := st.items(in)
	if err != nil {
		return nil, err
	}
	return uniqueValues(items), nil
}

func fUUID(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	// uuid.uuid5(uuid.NAMESPACE_URL, str(val))
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(pyStr(st, in)))
	sum := h.Sum(nil)[:16]
	sum[6] = (sum[6] & 0x0f) | 0x50
	sum[8] = (sum[8] & 0x3f) | 0x80
	x := hex.EncodeToString(sum)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:], nil
}

// ---------------------------------------------------------------- serializers

func fJSON(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	sortKeys := kwBool(va, 0, "sort_keys", true)
	indent := kwarg(va, 1, "indent", nil)
	s, err := st.pyJSON(in, jsonOpts{sortKeys: sortKeys, indent: indent, ensureASCII: false})
	if err != nil {
		return nil, err
	}
	return exec.AsSafeValue(strings.TrimSpace(s)), nil
}

func fToJSON(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	indent := kwarg(va, 0, "indent", nil)
	s, err := st.pyJSON(in, jsonOpts{sortKeys: true, indent: indent, ensureASCII: true})
	if err != nil {
		return nil, err
	}
	r := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)
	return exec.AsSafeValue(r.Replace(s)), nil
}

func fYAML(st *state, _ *exec.Evaluator, in any, va *exec.VarArgs) (any, error) {
	flow := kwBool(va, 0, "flow_style", true)
	s, err := st.pyYAMLDump(in, flow)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "\n...")
	return exec.AsSafeValue(s), nil
}

func fYAMLQuote(q byte) filterFunc {
	return func(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
		e := newEmitter(st)
		if q == '"' {
			e.writeDoubleQuoted(pyStr(st, in), false)
		} else {
			e.writeSingleQuoted(pyStr(st, in), false)
		}
		return exec.AsSafeValue(e.b.String()), nil
	}
}

func fYAMLEncode(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	switch x := in.(type) {
	case string:
		e := newEmitter(st)
		e.writeDoubleQuoted(x, false)
		return exec.AsSafeValue(e.b.String()), nil
	case nil:
		return "null", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case int:
		return fmt.Sprint(x), nil
	case float64:
		return yamlFloat(x), nil
	}
	return nil, fmt.Errorf("yaml_encode() only works with YAML scalar data; failed for %s", typeName(in))
}

func fLoadYAML(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	if _, ok := in.(string); !ok {
		if m, ok := in.(*module); ok {
			in = m.body
		} else {
			return in, nil
		}
	}
	return st.loadYAML(in.(string))
}

func fLoadJSON(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	s := pyStr(st, in)
	return st.loadJSON(s)
}

func fLoadText(st *state, _ *exec.Evaluator, in any, _ *exec.VarArgs) (any, error) {
	return pyStr(st, in), nil
}
