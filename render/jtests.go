package render

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Jinja tests ("x is defined") and global functions.

type testFunc func(st *state, v any, args []any, kw map[string]any) (bool, error)

var ownTests = map[string]testFunc{
	"defined":     func(_ *state, v any, _ []any, _ map[string]any) (bool, error) { return !isUndef(v), nil },
	"undefined":   func(_ *state, v any, _ []any, _ map[string]any) (bool, error) { return isUndef(v), nil },
	"none":        func(_ *state, v any, _ []any, _ map[string]any) (bool, error) { return v == nil, nil },
	"boolean":     typeTest(func(v any) bool { _, ok := v.(bool); return ok }),
	"true":        typeTest(func(v any) bool { b, ok := v.(bool); return ok && b }),
	"false":       typeTest(func(v any) bool { b, ok := v.(bool); return ok && !b }),
	"integer":     typeTest(func(v any) bool { _, ok := v.(int); return ok }),
	"float":       typeTest(func(v any) bool { _, ok := v.(float64); return ok }),
	"number":      typeTest(func(v any) bool { _, _, _, ok := number(v); return ok }),
	"string":      typeTest(func(v any) bool { _, ok := v.(string); return ok }),
	"mapping":     typeTest(func(v any) bool { _, ok := v.(map[string]any); return ok }),
	"list":        typeTest(func(v any) bool { _, ok := v.(*[]any); return ok }),
	"iterable":    typeTest(isIterable),
	"sequence":    typeTest(isIterable),
	"callable":    typeTest(isCallable),
	"escaped":     typeTest(func(any) bool { return false }),
	"lower":       typeTest(func(v any) bool { s, ok := v.(string); return ok && isCased(s, unicode.IsLower) }),
	"upper":       typeTest(func(v any) bool { s, ok := v.(string); return ok && isCased(s, unicode.IsUpper) }),
	"even":        parityTest(0),
	"odd":         parityTest(1),
	"divisibleby": tDivisibleBy,
	"eq":          cmpTest("=="),
	"equalto":     cmpTest("=="),
	"==":          cmpTest("=="),
	"ne":          cmpTest("!="),
	"!=":          cmpTest("!="),
	"lt":          cmpTest("<"),
	"lessthan":    cmpTest("<"),
	"<":           cmpTest("<"),
	"le":          cmpTest("<="),
	"<=":          cmpTest("<="),
	"gt":          cmpTest(">"),
	"greaterthan": cmpTest(">"),
	">":           cmpTest(">"),
	"ge":          cmpTest(">="),
	">=":          cmpTest(">="),
	"in":          tIn,
	"sameas":      tSameAs,
	"match":       tMatch,
	"filter": func(st *state, v any, _ []any, _ map[string]any) (bool, error) {
		s, ok := v.(string)
		return ok && st.env.Filters.Exists(s), nil
	},
	"test": func(st *state, v any, _ []any, _ map[string]any) (bool, error) {
		s, ok := v.(string)
		return ok && st.env.Tests.Exists(s), nil
	},
}

func isUndef(v any) bool {
	_, ok := v.(*undefinedVal)
	return ok
}

func (st *state) buildTests() *exec.TestSet {
	m := make(map[string]exec.TestFunction, len(ownTests))
	for name, f := range ownTests {
		m[name] = st.wrapTest(name, f)
	}
	return exec.NewTestSet(m)
}

func (st *state) wrapTest(name string, f testFunc) func(*exec.Evaluator, *exec.Value, *exec.VarArgs) (bool, error) {
	return func(e *exec.Evaluator, in *exec.Value, va *exec.VarArgs) (res bool, err error) {
		defer func() {
			if r := recover(); r != nil {
				res, err = false, fmt.Errorf("test '%s': %v", name, r)
			}
		}()
		var v any
		if err := valueError(in); err != nil {
			ue, ok := asUndefined(err)
			if !ok {
				return false, err
			}
			v = &undefinedVal{err: ue}
		} else {
			v = st.norm(in.Interface())
		}
		if err := argsError(va); err != nil {
			return false, err
		}
		if err := st.tick(); err != nil {
			return false, err
		}
		return f(st, v, st.args(va), st.kwargs(va))
	}
}

func typeTest(pred func(any) bool) testFunc {
	return func(_ *state, v any, args []any, _ map[string]any) (bool, error) {
		if len(args) > 0 {
			return false, fmt.Errorf("test takes no arguments")
		}
		return pred(v), nil
	}
}

func isIterable(v any) bool {
	switch v.(type) {
	case string, map[string]any:
		return true
	}
	_, ok := listItems(v)
	return ok
}

func isCallable(v any) bool {
	if v == nil {
		return false
	}
	if l, ok := v.(*loopInfo); ok {
		return l.recurse != nil
	}
	return reflect.TypeOf(v).Kind() == reflect.Func
}

func isCased(s string, pred func(rune) bool) bool {
	cased := false
	for _, r := range s {
		if unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) {
			if !pred(r) {
				return false
			}
			cased = true
		}
	}
	return cased
}

// parityTest is Jinja2's odd and even: value % 2 == rem, with Python's %
// (2.5 is odd is False, 'a' is odd raises).
func parityTest(rem int) testFunc {
	return func(st *state, v any, _ []any, _ map[string]any) (bool, error) {
		m, err := st.binop("%", v, 2)
		if err != nil {
			return false, err
		}
		return pyEqual(m, rem), nil
	}
}

// tDivisibleBy is Jinja2's divisibleby: value % num == 0.
func tDivisibleBy(st *state, v any, args []any, _ map[string]any) (bool, error) {
	if len(args) != 1 {
		return false, fmt.Errorf("divisibleby takes one argument")
	}
	m, err := st.binop("%", v, args[0])
	if err != nil {
		return false, err
	}
	return pyEqual(m, 0), nil
}

func cmpTest(op string) testFunc {
	return func(st *state, v any, args []any, _ map[string]any) (bool, error) {
		if len(args) != 1 {
			return false, fmt.Errorf("comparison test takes one argument")
		}
		if err := derefUndefined(v, args[0]); err != nil {
			return false, err
		}
		r, err := st.binop(op, v, args[0])
		if err != nil {
			return false, err
		}
		b, _ := r.(bool)
		return b, nil
	}
}

func tIn(st *state, v any, args []any, _ map[string]any) (bool, error) {
	if len(args) != 1 {
		return false, fmt.Errorf("in takes one argument")
	}
	return st.contains(args[0], v)
}

// contains is Python's item in container.
func (st *state) contains(container, item any) (bool, error) {
	if err := derefUndefined(container, item); err != nil {
		return false, err
	}
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case map[string]any:
		switch k := item.(type) {
		case string:
			_, ok := c[k]
			return ok, nil
		case int, float64, bool, nil:
			_, ok := c[keyString(k)]
			return ok, nil
		}
		return false, fmt.Errorf("unhashable type: '%s'", typeName(item))
	case *saltObj:
		s, _ := item.(string)
		return c.has(s), nil
	case nil:
		return false, fmt.Errorf("argument of type 'NoneType' is not iterable")
	}
	if items, ok := listItems(container); ok {
		return containsValue(items, item), nil
	}
	if d, ok := st.asDict(container); ok {
		return st.contains(d, item)
	}
	return false, fmt.Errorf("argument of type '%s' is not iterable", typeName(container))
}

func tSameAs(st *state, v any, args []any, _ map[string]any) (bool, error) {
	if len(args) != 1 {
		return false, fmt.Errorf("sameas takes one argument")
	}
	o := args[0]
	switch x := v.(type) {
	case nil, bool:
		return v == o, nil
	case *[]any:
		y, ok := o.(*[]any)
		return ok && x == y, nil
	case map[string]any:
		y, ok := o.(map[string]any)
		return ok && y != nil && reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer(), nil
	}
	return shallowEqual(v, o), nil
}

func tMatch(st *state, v any, args []any, kw map[string]any) (bool, error) {
	if len(args) < 1 {
		return false, fmt.Errorf("match needs a regular expression")
	}
	rgx, ok := args[0].(string)
	if !ok {
		return false, fmt.Errorf("match needs a regular expression")
	}
	ic, _ := truth(kw["ignorecase"])
	ml, _ := truth(kw["multiline"])
	re, err := compileRegex(`\A(?:`+rgx+`)`, ic, ml)
	if err != nil {
		return false, err
	}
	return re.MatchString(pyStr(st, v)), nil
}

// ---------------------------------------------------------------- globals

func (st *state) addGlobalFuncs(g map[string]any) {
	g["range"] = func(va *exec.VarArgs) (any, error) {
		a := st.args(va)
		ints := make([]int, len(a))
		for i, v := range a {
			n, _, isInt, ok := number(v)
			if !ok || !isInt {
				return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", typeName(v))
			}
			ints[i] = n
		}
		start, stop, step := 0, 0, 1
		switch len(ints) {
		case 1:
			stop = ints[0]
		case 2:
			start, stop = ints[0], ints[1]
		case 3:
			start, stop, step = ints[0], ints[1], ints[2]
		default:
			return nil, fmt.Errorf("range expected 1 to 3 arguments, got %d", len(ints))
		}
		if step == 0 {
			return nil, fmt.Errorf("range() arg 3 must not be zero")
		}
		n := 0
		if step > 0 && stop > start {
			n = (stop - start + step - 1) / step
		} else if step < 0 && stop < start {
			n = (start - stop - step - 1) / -step
		}
		if n > maxRange {
			return nil, fmt.Errorf("range() too large (%d items, the limit is %d)", n, maxRange)
		}
		if err := st.charge(n); err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			out[i] = start + i*step
		}
		return &out, nil
	}
	mkDict := func(va *exec.VarArgs) (any, error) {
		m := st.newDict(len(va.KwArgs))
		a := st.args(va)
		if len(a) > 1 {
			return nil, fmt.Errorf("dict expected at most 1 argument, got %d", len(a))
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
		return m, nil
	}
	g["dict"] = mkDict
	g["odict"] = mkDict
	g["namespace"] = func(va *exec.VarArgs) (any, error) {
		ns := newNamespace()
		a := st.args(va)
		if len(a) > 1 {
			return nil, fmt.Errorf("namespace expected at most 1 argument")
		}
		if len(a) == 1 {
			d, ok := st.asDict(a[0])
			if !ok {
				return nil, fmt.Errorf("namespace() argument must be a mapping")
			}
			for _, k := range st.keys(d) {
				ns.set(k, d[k])
			}
		}
		kw := st.kwargs(va)
		for _, k := range sortedKeys(kw) {
			ns.set(k, kw[k])
		}
		return ns, nil
	}
	g["raise"] = func(va *exec.VarArgs) (any, error) {
		a := st.args(va)
		msg := "raised by template"
		if len(a) > 0 {
			msg = pyStr(st, a[0])
		}
		return nil, &raisedError{msg: msg}
	}
}

// raisedError is an error raised by the template with raise('...').
type raisedError struct{ msg string }

func (e *raisedError) Error() string { return e.msg }
