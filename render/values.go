package render

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// The values a template works on mirror Python's:
//
//	None            nil
//	bool, int, float, str
//	list            *[]any      (a pointer, so that append/extend/... are seen
//	                             through every reference, as in Python)
//	tuple           tuple
//	dict            map[string]any, its insertion order kept by the render
//	                state (see state.keys); keys are strings
//	namespace()     *namespace
//	Undefined       *undefinedVal (only once stored in a variable; while an
//	                expression is evaluated an undefined lookup is an
//	                *undefinedError)
//	template module *module
//
// Values coming from gonja built-ins ([]any, exec.ValuesList, *exec.Dict,
// map[string]any without a recorded order) are accepted everywhere and
// normalised when stored.

type tuple []any

// namespace is Jinja's namespace() object.
type namespace struct {
	keys []string
	vals map[string]any
}

func newNamespace() *namespace { return &namespace{vals: map[string]any{}} }

func (n *namespace) set(k string, v any) {
	if _, ok := n.vals[k]; !ok {
		n.keys = append(n.keys, k)
	}
	n.vals[k] = v
}

// GetAttribute implements exec.AttributeGetter.
func (n *namespace) GetAttribute(name string) (*exec.Value, bool) {
	v, ok := n.vals[name]
	return exec.AsValue(v), ok
}

// module is an imported template ({% import "x" as x %}).
type module struct {
	name string
	vars map[string]any
	body string
}

// GetAttribute implements exec.AttributeGetter.
func (m *module) GetAttribute(name string) (*exec.Value, bool) {
	v, ok := m.vars[name]
	return exec.AsValue(v), ok
}

// undefinedError is the error an undefined variable, attribute or item
// raises when it is used, as Jinja's StrictUndefined (Salt's default) does.
type undefinedError struct{ msg string }

func (e *undefinedError) Error() string { return e.msg }

// undefinedVal is an undefined value stored in a variable
// ({% set x = pillar.missing %}, an omitted macro argument): testing it with
// "is defined" or "|default" is fine, any other use raises its error.
type undefinedVal struct {
	err *undefinedError
	// lenient is Jinja's plain Undefined (what "x if false" without else
	// gives even under StrictUndefined): it prints as "", is false and
	// iterates as empty; anything else still raises.
	lenient bool
}

func undefinedf(format string, args ...any) *undefinedError {
	return &undefinedError{msg: fmt.Sprintf(format, args...)}
}

// typeName returns the Python type name of a value, for error messages.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "int"
	case float32, float64:
		return "float"
	case string:
		return "str"
	case *[]any, []any, exec.ValuesList:
		return "list"
	case tuple:
		return "tuple"
	case map[string]any, *exec.Dict, exec.Dict:
		return "dict"
	case *namespace:
		return "Namespace"
	case *module:
		return "TemplateModule"
	case *undefinedVal:
		return "Undefined"
	case *exec.Value:
		return typeName(x.Interface())
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Func:
		return "function"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// dictOrder remembers the insertion order of one dict. m keeps the map
// alive for the duration of the render so its address cannot be reused.
type dictOrder struct {
	m    map[string]any
	keys []string
}

func mapID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// newDict returns an empty dict whose insertion order is tracked.
func (st *state) newDict(size int) map[string]any {
	m := make(map[string]any, size)
	st.order[mapID(m)] = &dictOrder{m: m, keys: make([]string, 0, size)}
	return m
}

// dictSet sets m[k] = v, recording k's position when it is new.
func (st *state) dictSet(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		o := st.orderOf(m)
		o.keys = append(o.keys, k)
	}
	m[k] = v
}

// dictDel deletes k from m.
func (st *state) dictDel(m map[string]any, k string) {
	if _, ok := m[k]; !ok {
		return
	}
	o := st.orderOf(m)
	delete(m, k)
	if i := slices.Index(o.keys, k); i >= 0 {
		o.keys = slices.Delete(o.keys, i, i+1)
	}
}

// orderOf returns the order record of m, creating one (in sorted key order,
// which is what an order-less Go map gets) when m has none.
func (st *state) orderOf(m map[string]any) *dictOrder {
	id := mapID(m)
	if o := st.order[id]; o != nil {
		if len(o.keys) != len(m) {
			o.keys = reconcileKeys(o.keys, m)
		}
		return o
	}
	o := &dictOrder{m: m, keys: sortedKeys(m)}
	st.order[id] = o
	return o
}

// keys returns the keys of m in insertion order (sorted for a map whose
// order is unknown). The slice must not be modified.
func (st *state) keys(m map[string]any) []string {
	if o := st.order[mapID(m)]; o != nil {
		if len(o.keys) != len(m) {
			o.keys = reconcileKeys(o.keys, m)
		}
		return o.keys
	}
	return sortedKeys(m)
}

func reconcileKeys(keys []string, m map[string]any) []string {
	out := make([]string, 0, len(m))
	seen := make(map[string]bool, len(m))
	for _, k := range keys {
		if _, ok := m[k]; ok && !seen[k] {
			out = append(out, k)
			seen[k] = true
		}
	}
	var extra []string
	for k := range m {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func newList(items []any) *[]any {
	if items == nil {
		items = []any{}
	}
	return &items
}

// in converts caller data (plain Go values and *Map) into template values,
// copying every container.
func (st *state) in(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int, float64:
		return x
	case int8:
		return int(x)
	case int16:
		return int(x)
	case int32:
		return int(x)
	case int64:
		return int(x)
	case uint:
		return int(x)
	case uint8:
		return int(x)
	case uint16:
		return int(x)
	case uint32:
		return int(x)
	case uint64:
		if x > math.MaxInt64 {
			return float64(x)
		}
		return int(x)
	case float32:
		return float64(x)
	case *Map:
		if x == nil {
			return nil
		}
		m := st.newDict(len(x.Keys))
		for _, k := range x.Keys {
			st.dictSet(m, k, st.in(x.Values[k]))
		}
		return m
	case map[string]any:
		if x == nil {
			return nil
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = st.in(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = st.in(e)
		}
		return &out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return &out
	case Func:
		return st.wrapFunc("function", x)
	case *exec.Value:
		return st.in(x.Interface())
	case error:
		return x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.IsNil() {
			return nil
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[fmt.Sprint(it.Key().Interface())] = st.in(it.Value().Interface())
		}
		return m
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return string(rv.Bytes())
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = st.in(rv.Index(i).Interface())
		}
		return &out
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
	}
	return v
}

// norm normalises a value produced by gonja (filters, built-ins) into the
// template value model without copying values that already follow it.
func (st *state) norm(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int, float64, *[]any, tuple, map[string]any, *namespace, *module, *undefinedVal, *errVal:
		return v
	case *exec.Value:
		return st.norm(x.Interface())
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = st.norm(e)
		}
		return &out
	case exec.ValuesList:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = st.norm(e.Interface())
		}
		return &out
	case *exec.Dict:
		if x == nil {
			return nil
		}
		return st.fromGonjaDict(x)
	case exec.Dict:
		return st.fromGonjaDict(&x)
	case []string, []int, []float64, []map[string]any, [2]*exec.Value:
		return st.in(x)
	case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32:
		return st.in(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return string(rv.Bytes())
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = st.norm(rv.Index(i).Interface())
		}
		return &out
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String && rv.Type().Elem().Kind() == reflect.Interface {
			break
		}
		return st.in(v)
	}
	return v
}

func (st *state) fromGonjaDict(d *exec.Dict) map[string]any {
	m := st.newDict(len(d.Pairs))
	for _, p := range d.Pairs {
		st.dictSet(m, keyString(p.Key.Interface()), st.norm(p.Value.Interface()))
	}
	return m
}

// keyString converts a dict key to the string a template dict uses.
func keyString(k any) string {
	if s, ok := k.(string); ok {
		return s
	}
	return pyStr(nil, k)
}

// out converts a template value into plain Go data (map[string]any, []any,
// scalars) for callers: salt functions and results.
func (st *state) out(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, int, float64:
		return x, nil
	case *undefinedVal:
		return nil, x.err
	case *errVal:
		return nil, x.err
	case *exec.Value:
		if err := valueError(x); err != nil {
			return nil, err
		}
		return st.out(x.Interface())
	case *[]any:
		if x == nil {
			return nil, nil
		}
		return st.outList(*x)
	case tuple:
		return st.outList(x)
	case []any:
		return st.outList(x)
	case exec.ValuesList:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = e.Interface()
		}
		return st.outList(items)
	case map[string]any:
		if x == nil {
			return nil, nil
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			o, err := st.out(e)
			if err != nil {
				return nil, err
			}
			m[k] = o
		}
		return m, nil
	case *namespace:
		m := make(map[string]any, len(x.vals))
		for k, e := range x.vals {
			o, err := st.out(e)
			if err != nil {
				return nil, err
			}
			m[k] = o
		}
		return m, nil
	case *exec.Dict, exec.Dict:
		return st.out(st.norm(x))
	case *module:
		return x.body, nil
	case error:
		return nil, x
	}
	n := st.norm(v)
	if reflect.TypeOf(n) != reflect.TypeOf(v) {
		return st.out(n)
	}
	return v, nil
}

func (st *state) outList(items []any) (any, error) {
	out := make([]any, len(items))
	for i, e := range items {
		o, err := st.out(e)
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

// listItems returns the elements of a list-like value and whether v is one.
func listItems(v any) ([]any, bool) {
	switch x := v.(type) {
	case *[]any:
		if x == nil {
			return nil, false
		}
		return *x, true
	case tuple:
		return x, true
	case []any:
		return x, true
	case exec.ValuesList:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e.Interface()
		}
		return out, true
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, true
	case string, map[string]any, nil:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() != reflect.Uint8 {
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, true
	}
	return nil, false
}

// asDict returns v as a template dict when it is one.
func (st *state) asDict(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, x != nil
	case *exec.Dict:
		if x == nil {
			return nil, false
		}
		return st.fromGonjaDict(x), true
	case exec.Dict:
		return st.fromGonjaDict(&x), true
	case *exec.Value:
		return st.asDict(x.Interface())
	}
	return nil, false
}

// iterate returns the items a Python for loop over v yields: the keys of a
// dict in order, the characters of a string, the elements of a list.
func (st *state) iterate(v any) ([]any, error) {
	switch x := v.(type) {
	case *undefinedVal:
		if x.lenient {
			return nil, nil
		}
		return nil, x.err
	case nil:
		return nil, fmt.Errorf("'NoneType' object is not iterable")
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	case *namespace, *module:
		return nil, fmt.Errorf("'%s' object is not iterable", typeName(v))
	case *exec.Value:
		return st.iterate(x.Interface())
	}
	if d, ok := st.asDict(v); ok {
		keys := st.keys(d)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	}
	if items, ok := listItems(v); ok {
		return slices.Clone(items), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Chan {
		var out []any
		for {
			e, ok := rv.Recv()
			if !ok {
				return out, nil
			}
			out = append(out, e.Interface())
		}
	}
	if rv.Kind() == reflect.Map {
		return st.iterate(st.in(v))
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(v))
}

// truth is Python's bool(v).
func truth(v any) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case int:
		return x != 0, nil
	case float64:
		return x != 0, nil
	case string:
		return x != "", nil
	case *[]any:
		return x != nil && len(*x) > 0, nil
	case tuple:
		return len(x) > 0, nil
	case map[string]any:
		return len(x) > 0, nil
	case *undefinedVal:
		if x.lenient {
			return false, nil
		}
		return false, x.err
	case *namespace, *module:
		return true, nil
	case *exec.Value:
		if x.IsError() {
			return false, valueErr(x)
		}
		return truth(x.Interface())
	case *exec.Dict:
		return x != nil && len(x.Pairs) > 0, nil
	case *errVal:
		return false, x.err
	case error:
		return false, x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint() != 0, nil
	case reflect.Float32:
		return rv.Float() != 0, nil
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return rv.Len() > 0, nil
	case reflect.Pointer:
		return !rv.IsNil(), nil
	}
	return true, nil
}

// pyStr is Python's str(v). st may be nil (dicts then print in sorted order).
func pyStr(st *state, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case *undefinedVal:
		if x.lenient {
			return ""
		}
	case *module:
		return x.body
	case *exec.Value:
		if x.Safe && x.IsString() {
			return x.String()
		}
		return pyStr(st, x.Interface())
	}
	return pyRepr(st, v)
}

// pyRepr is Python's repr(v).
func pyRepr(st *state, v any) string {
	var b strings.Builder
	writeRepr(&b, st, v, 0)
	return b.String()
}

const maxReprDepth = 100

func writeRepr(b *strings.Builder, st *state, v any, depth int) {
	if depth > maxReprDepth {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(pyFloat(x))
	case string:
		b.WriteString(pyQuote(x))
	case *[]any:
		if x == nil {
			b.WriteString("None")
			return
		}
		writeSeqRepr(b, st, *x, "[", "]", false, depth)
	case []any:
		writeSeqRepr(b, st, x, "[", "]", false, depth)
	case tuple:
		writeSeqRepr(b, st, x, "(", ")", true, depth)
	case map[string]any:
		var keys []string
		if st != nil {
			keys = st.keys(x)
		} else {
			keys = sortedKeys(x)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyQuote(k))
			b.WriteString(": ")
			writeRepr(b, st, x[k], depth+1)
		}
		b.WriteByte('}')
	case *namespace:
		b.WriteString("<Namespace {")
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyQuote(k))
			b.WriteString(": ")
			writeRepr(b, st, x.vals[k], depth+1)
		}
		b.WriteString("}>")
	case *module:
		fmt.Fprintf(b, "<TemplateModule %s>", pyQuote(x.name))
	case *undefinedVal:
		b.WriteString("Undefined")
	case *errVal:
		b.WriteString(x.err.Error())
	case *exec.Value:
		if x.IsError() {
			b.WriteString(x.Error())
			return
		}
		writeRepr(b, st, x.Interface(), depth)
	case exec.ValuesList, *exec.Dict, exec.Dict:
		var tmp *state
		if st != nil {
			tmp = st
		} else {
			tmp = newScratchState()
		}
		writeRepr(b, st, tmp.norm(x), depth)
	case error:
		b.WriteString(x.Error())
	case fmt.Stringer:
		b.WriteString(x.String())
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			b.WriteString(strconv.FormatInt(rv.Int(), 10))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			b.WriteString(strconv.FormatUint(rv.Uint(), 10))
		case reflect.Float32:
			b.WriteString(pyFloat(rv.Float()))
		case reflect.Slice, reflect.Array, reflect.Map:
			tmp := st
			if tmp == nil {
				tmp = newScratchState()
			}
			writeRepr(b, st, tmp.in(v), depth)
		case reflect.Func:
			b.WriteString("<function>")
		default:
			fmt.Fprint(b, v)
		}
	}
}

func writeSeqRepr(b *strings.Builder, st *state, items []any, open, closing string, isTuple bool, depth int) {
	b.WriteString(open)
	for i, e := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		writeRepr(b, st, e, depth+1)
	}
	if isTuple && len(items) == 1 {
		b.WriteByte(',')
	}
	b.WriteString(closing)
}

// pyQuote is Python's repr() of a str.
func pyQuote(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for i, w := 0, 0; i < len(s); i += w {
		r, width := utf8.DecodeRuneInString(s[i:])
		w = width
		switch {
		case r == utf8.RuneError && width == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteByte(quote)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case !pyPrintable(r):
			switch {
			case r <= 0xff:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyPrintable approximates Python's str.isprintable for one rune.
func pyPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.IsSpace(r) {
		return false
	}
	return unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r)
}

// pyFloat is Python's repr() of a float.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	// Shortest digits that round-trip, then Python's layout rules.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		if exp >= 0 {
			if len(digits) <= exp+1 {
				out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
			} else {
				out = digits[:exp+1] + "." + digits[exp+1:]
			}
		} else {
			out = "0." + strings.Repeat("0", -exp-1) + digits
		}
		if neg {
			out = "-" + out
		}
		return out
	}
	out = digits[:1]
	if len(digits) > 1 {
		out += "." + digits[1:]
	}
	sign := "+"
	if exp < 0 {
		sign = "-"
		exp = -exp
	}
	out += fmt.Sprintf("e%s%02d", sign, exp)
	if neg {
		out = "-" + out
	}
	return out
}
