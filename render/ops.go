package render

import (
	"fmt"
	"math"
	mathbig "math/big"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Python's operators on template values.

// number returns v as an int or a float; bool counts as int, as in Python.
func number(v any) (i int, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case int:
		return x, float64(x), true, true
	case bool:
		if x {
			return 1, 1, true, true
		}
		return 0, 0, true, true
	case float64:
		return 0, x, false, true
	}
	return 0, 0, false, false
}

func opTypeError(sym string, l, r any) error {
	return fmt.Errorf("unsupported operand type(s) for %s: '%s' and '%s'", sym, typeName(l), typeName(r))
}

func derefUndefined(vs ...any) error {
	for _, v := range vs {
		if u, ok := v.(*undefinedVal); ok {
			return u.err
		}
	}
	return nil
}

func (st *state) binop(sym string, l, r any) (any, error) {
	l, r = st.norm(l), st.norm(r)
	if err := derefUndefined(l, r); err != nil {
		return nil, err
	}
	switch sym {
	case "+":
		return st.add(l, r)
	case "-":
		li, lf, lint, lok := number(l)
		ri, rf, rint, rok := number(r)
		if !lok || !rok {
			return nil, opTypeError(sym, l, r)
		}
		if lint && rint {
			d, overflow := subInt(li, ri)
			if !overflow {
				return d, nil
			}
		}
		return lf - rf, nil
	case "*":
		return st.mul(l, r)
	case "/":
		_, lf, _, lok := number(l)
		_, rf, _, rok := number(r)
		if !lok || !rok {
			return nil, opTypeError(sym, l, r)
		}
		if rf == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		return lf / rf, nil
	case "//":
		li, lf, lint, lok := number(l)
		ri, rf, rint, rok := number(r)
		if !lok || !rok {
			return nil, opTypeError(sym, l, r)
		}
		if lint && rint {
			if ri == 0 {
				return nil, fmt.Errorf("integer division or modulo by zero")
			}
			if !(li == math.MinInt && ri == -1) {
				q := li / ri
				if (li%ri != 0) && ((li < 0) != (ri < 0)) {
					q--
				}
				return q, nil
			}
		}
		if rf == 0 {
			return nil, fmt.Errorf("float floor division by zero")
		}
		return floatFloorDiv(lf, rf), nil
	case "%":
		if s, ok := l.(string); ok {
			return st.percentFormat(s, r)
		}
		li, lf, lint, lok := number(l)
		ri, rf, rint, rok := number(r)
		if !lok || !rok {
			return nil, opTypeError(sym, l, r)
		}
		if lint && rint {
			if ri == 0 {
				return nil, fmt.Errorf("integer modulo by zero")
			}
			if ri == -1 {
				return 0, nil
			}
			m := li % ri
			if m != 0 && (m < 0) != (ri < 0) {
				m += ri
			}
			return m, nil
		}
		if rf == 0 {
			return nil, fmt.Errorf("float modulo")
		}
		m := math.Mod(lf, rf)
		if m != 0 {
			if (m < 0) != (rf < 0) {
				m += rf
			}
		} else {
			m = math.Copysign(0, rf)
		}
		return m, nil
	case "**":
		return pow(l, r)
	case "~":
		s := pyStr(st, l) + pyStr(st, r)
		if len(s) > maxStringSize {
			return nil, fmt.Errorf("string too large")
		}
		return s, nil
	case "==":
		return pyEqual(l, r), nil
	case "!=":
		return !pyEqual(l, r), nil
	case "<", ">", "<=", ">=":
		c, err := compare(sym, l, r)
		if err != nil {
			return nil, err
		}
		switch sym {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		default:
			return c >= 0, nil
		}
	}
	return nil, fmt.Errorf("unsupported operator %q", sym)
}

// floatFloorDiv is Python's float //, computed from fmod as CPython does
// (4 // -0.1111111111111111 is -37.0; floor(4 / -0.111...) would be -36).
func floatFloorDiv(vx, wx float64) float64 {
	mod := math.Mod(vx, wx)
	div := (vx - mod) / wx
	if mod != 0 && (wx < 0) != (mod < 0) {
		div -= 1.0
	}
	if div == 0 {
		return math.Copysign(0, vx/wx)
	}
	floordiv := math.Floor(div)
	if div-floordiv > 0.5 {
		floordiv += 1.0
	}
	return floordiv
}

func addInt(a, b int) (int, bool) {
	s := a + b
	return s, (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0)
}

func subInt(a, b int) (int, bool) {
	if b == math.MinInt {
		return 0, true
	}
	return addInt(a, -b)
}

func mulInt(a, b int) (int, bool) {
	if a == 0 || b == 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(abs(a)), uint64(abs(b)))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, true
	}
	p := int(lo)
	if (a < 0) != (b < 0) {
		p = -p
	}
	return p, false
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

func (st *state) add(l, r any) (any, error) {
	li, lf, lint, lok := number(l)
	ri, rf, rint, rok := number(r)
	if lok && rok {
		if lint && rint {
			if s, overflow := addInt(li, ri); !overflow {
				return s, nil
			}
		}
		return lf + rf, nil
	}
	switch x := l.(type) {
	case string:
		y, ok := r.(string)
		if !ok {
			return nil, fmt.Errorf("can only concatenate str (not \"%s\") to str", typeName(r))
		}
		if len(x)+len(y) > maxStringSize {
			return nil, fmt.Errorf("string too large")
		}
		return x + y, nil
	case *[]any:
		y, ok := r.(*[]any)
		if !ok {
			return nil, fmt.Errorf("can only concatenate list (not \"%s\") to list", typeName(r))
		}
		if len(*x)+len(*y) > maxRange {
			return nil, fmt.Errorf("list too large")
		}
		out := make([]any, 0, len(*x)+len(*y))
		out = append(append(out, *x...), *y...)
		return &out, nil
	case tuple:
		y, ok := r.(tuple)
		if !ok {
			return nil, fmt.Errorf("can only concatenate tuple (not \"%s\") to tuple", typeName(r))
		}
		if len(x)+len(y) > maxRange {
			return nil, fmt.Errorf("tuple too large")
		}
		out := make(tuple, 0, len(x)+len(y))
		return append(append(out, x...), y...), nil
	}
	return nil, opTypeError("+", l, r)
}

func (st *state) mul(l, r any) (any, error) {
	li, lf, lint, lok := number(l)
	ri, rf, rint, rok := number(r)
	if lok && rok {
		if lint && rint {
			if p, overflow := mulInt(li, ri); !overflow {
				return p, nil
			}
		}
		return lf * rf, nil
	}
	seq, n := l, ri
	if !rok || !rint {
		seq, n = r, li
		if !lok || !lint {
			return nil, opTypeError("*", l, r)
		}
	}
	if n < 0 {
		n = 0
	}
	switch x := seq.(type) {
	case string:
		if n > 0 && len(x) > maxStringSize/n {
			return nil, fmt.Errorf("string too large")
		}
		return strings.Repeat(x, n), nil
	case *[]any:
		if n > 0 && len(*x) > maxRange/n {
			return nil, fmt.Errorf("list too large")
		}
		out := make([]any, 0, len(*x)*n)
		for range n {
			out = append(out, *x...)
		}
		return &out, nil
	case tuple:
		if n > 0 && len(x) > maxRange/n {
			return nil, fmt.Errorf("tuple too large")
		}
		out := make(tuple, 0, len(x)*n)
		for range n {
			out = append(out, x...)
		}
		return out, nil
	}
	return nil, opTypeError("*", l, r)
}

func pow(l, r any) (any, error) {
	li, lf, lint, lok := number(l)
	ri, rf, rint, rok := number(r)
	if !lok || !rok {
		return nil, opTypeError("** or pow()", l, r)
	}
	if lint && rint && ri >= 0 {
		result, base, e := 1, li, ri
		overflow := false
		for e > 0 && !overflow {
			if e&1 == 1 {
				result, overflow = mulInt(result, base)
			}
			e >>= 1
			if e > 0 && !overflow {
				base, overflow = mulInt(base, base)
			}
		}
		if !overflow {
			return result, nil
		}
		return math.Pow(lf, rf), nil
	}
	if lf == 0 && rf < 0 {
		return nil, fmt.Errorf("0.0 cannot be raised to a negative power")
	}
	if lf != 1 {
		if res, ok := exactPow(lf, rf); ok {
			return res, nil
		}
	}
	res := math.Pow(lf, rf)
	if math.IsNaN(res) && !math.IsNaN(lf) && !math.IsNaN(rf) {
		return nil, fmt.Errorf("math domain error: negative number raised to a fractional power")
	}
	return res, nil
}

// exactPow is x**y correctly rounded, as C's pow (which Python uses)
// gives it and Go's math.Pow does not always, for y a multiple of 1/2
// up to 64: x**k is computed exactly, x**(k/2) as the square root of
// x**k.
func exactPow(x, y float64) (float64, bool) {
	y2 := 2 * y
	if math.IsInf(x, 0) || math.IsNaN(x) || x == 0 || y2 != math.Trunc(y2) || math.Abs(y) > 64 {
		return 0, false
	}
	k := int(y2)
	half := k%2 != 0
	if half && x < 0 {
		return 0, false // complex in Python
	}
	if !half {
		k /= 2
	}
	n := k
	if n < 0 {
		n = -n
	}
	prec := uint(53*n + 128)
	r := new(mathbig.Float).SetPrec(prec).SetFloat64(1)
	b := new(mathbig.Float).SetPrec(prec).SetFloat64(x)
	for i := 0; i < n; i++ {
		r.Mul(r, b) // exact at this precision
	}
	if half {
		r = new(mathbig.Float).SetPrec(prec).Sqrt(r)
	}
	if k < 0 {
		one := new(mathbig.Float).SetPrec(prec).SetFloat64(1)
		r = new(mathbig.Float).SetPrec(prec).Quo(one, r)
	}
	f, _ := r.Float64()
	return f, true
}

func unary(neg bool, v any) (any, error) {
	if u, ok := v.(*undefinedVal); ok {
		return nil, u.err
	}
	i, f, isInt, ok := number(v)
	if !ok {
		op := "+"
		if neg {
			op = "-"
		}
		return nil, fmt.Errorf("bad operand type for unary %s: '%s'", op, typeName(v))
	}
	if !neg {
		if isInt {
			return i, nil
		}
		return f, nil
	}
	if isInt {
		if i == math.MinInt {
			return -f, nil
		}
		return -i, nil
	}
	return -f, nil
}

// pyEqual is Python's ==.
func pyEqual(a, b any) bool {
	if va, ok := a.(*exec.Value); ok {
		a = va.Interface()
	}
	if vb, ok := b.(*exec.Value); ok {
		b = vb.Interface()
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if ai, af, aint, aok := number(a); aok {
		bi, bf, bint, bok := number(b)
		if !bok {
			return false
		}
		if aint && bint {
			return ai == bi
		}
		return af == bf
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case tuple:
		y, ok := b.(tuple)
		return ok && seqEqual(x, y)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			if d, isDict := newScratchState().asDict(b); isDict {
				y, ok = d, true
			}
		}
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !pyEqual(v, w) {
				return false
			}
		}
		return true
	}
	if xa, ok := listItems(a); ok {
		if _, isTuple := b.(tuple); isTuple {
			return false
		}
		if xb, ok := listItems(b); ok {
			return seqEqual(xa, xb)
		}
		return false
	}
	if _, ok := b.(map[string]any); ok {
		return pyEqual(b, a)
	}
	return shallowEqual(a, b)
}

func shallowEqual(a, b any) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb {
		return false
	}
	if ta.Comparable() {
		return a == b
	}
	if ta.Kind() == reflect.Func {
		return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
	}
	return reflect.DeepEqual(a, b)
}

func seqEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !pyEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// compare orders two values as Python's < does.
func compare(sym string, a, b any) (int, error) {
	if _, af, _, aok := number(a); aok {
		if _, bf, _, bok := number(b); bok {
			ai, _, aint, _ := number(a)
			bi, _, bint, _ := number(b)
			if aint && bint {
				return cmpInt(ai, bi), nil
			}
			switch {
			case af < bf:
				return -1, nil
			case af > bf:
				return 1, nil
			}
			return 0, nil
		}
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return strings.Compare(as, bs), nil
		}
	}
	_, aTuple := a.(tuple)
	_, bTuple := b.(tuple)
	if xa, ok := listItems(a); ok && aTuple == bTuple {
		if xb, ok := listItems(b); ok {
			for i := 0; i < len(xa) && i < len(xb); i++ {
				if pyEqual(xa[i], xb[i]) {
					continue
				}
				return compare(sym, xa[i], xb[i])
			}
			return cmpInt(len(xa), len(xb)), nil
		}
	}
	return 0, fmt.Errorf("'%s' not supported between instances of '%s' and '%s'", sym, typeName(a), typeName(b))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- printf

// percentFormat is Python's str % args.
func (st *state) percentFormat(format string, arg any) (string, error) {
	var args []any
	var mapping map[string]any
	if t, ok := arg.(tuple); ok {
		args = t
	} else {
		args = []any{arg}
		if m, ok := arg.(map[string]any); ok && strings.Contains(format, "%(") {
			mapping = m
		}
	}
	var b strings.Builder
	next := 0
	take := func() (any, error) {
		if next >= len(args) {
			return nil, fmt.Errorf("not enough arguments for format string")
		}
		v := args[next]
		next++
		return v, nil
	}
	usedMapping := false
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return "", fmt.Errorf("incomplete format")
		}
		if format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		var key string
		hasKey := false
		if format[i] == '(' {
			depth, j := 1, i+1
			for ; j < len(format) && depth > 0; j++ {
				switch format[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			if depth != 0 {
				return "", fmt.Errorf("incomplete format key")
			}
			key, hasKey = format[i+1:j-1], true
			i = j
		}
		var spec fmtSpec
		for ; i < len(format) && strings.IndexByte("#0- +", format[i]) >= 0; i++ {
			switch format[i] {
			case '#':
				spec.alt = true
			case '0':
				spec.zero = true
			case '-':
				spec.left = true
			case ' ':
				spec.sign = ' '
			case '+':
				spec.sign = '+'
			}
		}
		if i < len(format) && format[i] == '*' {
			v, err := take()
			if err != nil {
				return "", err
			}
			w, ok := v.(int)
			if !ok {
				return "", fmt.Errorf("* wants int")
			}
			if w < 0 {
				spec.left, w = true, -w
			}
			spec.width = w
			i++
		} else {
			for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
				spec.width = spec.width*10 + int(format[i]-'0')
				if spec.width > 1<<20 {
					return "", fmt.Errorf("width too big")
				}
			}
		}
		spec.prec = -1
		if i < len(format) && format[i] == '.' {
			i++
			spec.prec = 0
			if i < len(format) && format[i] == '*' {
				v, err := take()
				if err != nil {
					return "", err
				}
				p, ok := v.(int)
				if !ok {
					return "", fmt.Errorf("* wants int")
				}
				spec.prec = max(p, 0)
				i++
			} else {
				for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
					spec.prec = spec.prec*10 + int(format[i]-'0')
					if spec.prec > 1<<20 {
						return "", fmt.Errorf("precision too big")
					}
				}
			}
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return "", fmt.Errorf("incomplete format")
		}
		verb := format[i]
		var v any
		if hasKey {
			if mapping == nil {
				return "", fmt.Errorf("format requires a mapping")
			}
			usedMapping = true
			val, ok := mapping[key]
			if !ok {
				return "", fmt.Errorf("KeyError: %s", pyQuote(key))
			}
			v = val
		} else {
			var err error
			if v, err = take(); err != nil {
				return "", err
			}
		}
		s, err := st.printfOne(verb, v, spec)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
		if b.Len() > maxStringSize {
			return "", fmt.Errorf("string too large")
		}
	}
	if next < len(args) && !usedMapping && mapping == nil {
		if _, isMap := arg.(map[string]any); !isMap || len(args) > 1 {
			return "", fmt.Errorf("not all arguments converted during string formatting")
		}
	}
	return b.String(), nil
}

type fmtSpec struct {
	alt, zero, left bool
	sign            byte
	width, prec     int
}

func (st *state) printfOne(verb byte, v any, spec fmtSpec) (string, error) {
	if u, ok := v.(*undefinedVal); ok {
		return "", u.err
	}
	var body, sign string
	numeric := true
	switch verb {
	case 's', 'r', 'a':
		numeric = false
		if verb == 's' {
			body = pyStr(st, v)
		} else {
			body = pyRepr(st, v)
		}
		if spec.prec >= 0 && spec.prec < utf8.RuneCountInString(body) {
			body = string([]rune(body)[:spec.prec])
		}
	case 'd', 'i', 'u', 'o', 'x', 'X':
		var n int
		switch x := v.(type) {
		case int:
			n = x
		case bool:
			if x {
				n = 1
			}
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return "", fmt.Errorf("cannot convert float %s to integer", pyFloat(x))
			}
			n = int(x)
		default:
			return "", fmt.Errorf("%%%c format: a real number is required, not %s", verb, typeName(v))
		}
		if n < 0 {
			sign = "-"
		} else if spec.sign != 0 {
			sign = string(spec.sign)
		}
		u := uint64(abs(n))
		if n == math.MinInt {
			u = uint64(1) << 63
		}
		switch verb {
		case 'o':
			body = strconv.FormatUint(u, 8)
			if spec.alt {
				sign += "0o"
			}
		case 'x':
			body = strconv.FormatUint(u, 16)
			if spec.alt {
				sign += "0x"
			}
		case 'X':
			body = strings.ToUpper(strconv.FormatUint(u, 16))
			if spec.alt {
				sign += "0X"
			}
		default:
			body = strconv.FormatUint(u, 10)
		}
		if spec.prec > len(body) {
			body = strings.Repeat("0", spec.prec-len(body)) + body
		}
	case 'e', 'E', 'f', 'F', 'g', 'G':
		_, f, _, ok := number(v)
		if !ok {
			return "", fmt.Errorf("must be real number, not %s", typeName(v))
		}
		if f < 0 || (f == 0 && math.Signbit(f)) {
			sign, f = "-", -f
		} else if spec.sign != 0 {
			sign = string(spec.sign)
		}
		prec := spec.prec
		if prec < 0 {
			prec = 6
		}
		body = formatFloat(f, verb, prec, spec.alt)
	case 'c':
		numeric = false
		switch x := v.(type) {
		case int:
			if x < 0 || x > utf8.MaxRune {
				return "", fmt.Errorf("%%c arg not in range(0x110000)")
			}
			body = string(rune(x))
		case string:
			if utf8.RuneCountInString(x) != 1 {
				return "", fmt.Errorf("%%c requires int or char")
			}
			body = x
		default:
			return "", fmt.Errorf("%%c requires int or char")
		}
	default:
		return "", fmt.Errorf("unsupported format character '%c'", verb)
	}
	return pad(sign, body, spec.width, spec.left, spec.zero && numeric && !spec.left), nil
}

// formatFloat formats a non-negative f as Python's %e/%f/%g do.
func formatFloat(f float64, verb byte, prec int, alt bool) string {
	if math.IsInf(f, 0) {
		if verb >= 'A' && verb <= 'Z' {
			return "INF"
		}
		return "inf"
	}
	if math.IsNaN(f) {
		if verb >= 'A' && verb <= 'Z' {
			return "NAN"
		}
		return "nan"
	}
	switch verb {
	case 'e', 'E':
		s := strconv.FormatFloat(f, 'e', prec, 64)
		if alt && prec == 0 {
			s = strings.Replace(s, "e", ".e", 1)
		}
		if verb == 'E' {
			s = strings.ToUpper(s)
		}
		return s
	case 'f', 'F':
		s := strconv.FormatFloat(f, 'f', prec, 64)
		if alt && prec == 0 {
			s += "."
		}
		return s
	case '%':
		return strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
	}
	// g / G
	if prec == 0 {
		prec = 1
	}
	exp := 0
	if f != 0 {
		e := strconv.FormatFloat(f, 'e', prec-1, 64)
		_, es, _ := strings.Cut(e, "e")
		exp, _ = strconv.Atoi(es)
	}
	var s string
	if exp < -4 || exp >= prec {
		s = strconv.FormatFloat(f, 'e', prec-1, 64)
		if !alt {
			mant, ex, _ := strings.Cut(s, "e")
			if strings.Contains(mant, ".") {
				mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
			}
			s = mant + "e" + ex
		}
	} else {
		s = strconv.FormatFloat(f, 'f', max(prec-1-exp, 0), 64)
		if !alt && strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
	}
	if verb == 'G' {
		s = strings.ToUpper(s)
	}
	return s
}

func pad(sign, body string, width int, left, zero bool) string {
	n := utf8.RuneCountInString(sign) + utf8.RuneCountInString(body)
	if n >= width {
		return sign + body
	}
	fill := strings.Repeat(" ", width-n)
	switch {
	case left:
		return sign + body + fill
	case zero:
		return sign + strings.Repeat("0", width-n) + body
	}
	return fill + sign + body
}

// ---------------------------------------------------------------- str.format

// strFormat is Python's str.format.
func (st *state) strFormat(format string, args []any, kwargs map[string]any) (string, error) {
	var b strings.Builder
	auto := 0
	manual := false
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch c {
		case '{':
			if i+1 < len(format) && format[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			// find the matching brace (one level of nesting in the spec)
			depth, j := 1, i+1
			for ; j < len(format) && depth > 0; j++ {
				switch format[j] {
				case '{':
					depth++
				case '}':
					depth--
				}
			}
			if depth != 0 {
				return "", fmt.Errorf("Single '{' encountered in format string")
			}
			field := format[i+1 : j-1]
			i = j - 1
			s, err := st.formatField(field, args, kwargs, &auto, &manual)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			if b.Len() > maxStringSize {
				return "", fmt.Errorf("string too large")
			}
		case '}':
			if i+1 < len(format) && format[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", fmt.Errorf("Single '}' encountered in format string")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func (st *state) formatField(field string, args []any, kwargs map[string]any, auto *int, manual *bool) (string, error) {
	name, spec := field, ""
	// the spec starts at the first ':' outside brackets
	depth := 0
	for k := 0; k < len(field); k++ {
		switch field[k] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				name, spec = field[:k], field[k+1:]
				k = len(field)
			}
		}
	}
	conv := byte(0)
	if k := strings.LastIndexByte(name, '!'); k >= 0 && k == len(name)-2 {
		conv = name[k+1]
		name = name[:k]
	}
	if strings.Contains(spec, "{") {
		s, err := st.strFormat(spec, args, kwargs)
		if err != nil {
			return "", err
		}
		spec = s
	}
	// first part of the field name
	end := strings.IndexAny(name, ".[")
	if end < 0 {
		end = len(name)
	}
	first, rest := name[:end], name[end:]
	var v any
	switch {
	case first == "":
		if *manual {
			return "", fmt.Errorf("cannot switch from manual field specification to automatic field numbering")
		}
		if *auto >= len(args) {
			return "", fmt.Errorf("Replacement index %d out of range for positional args tuple", *auto)
		}
		v = args[*auto]
		*auto++
	case first[0] >= '0' && first[0] <= '9':
		n, err := strconv.Atoi(first)
		if err != nil {
			return "", fmt.Errorf("invalid field name %q", first)
		}
		if *auto > 0 {
			return "", fmt.Errorf("cannot switch from automatic field numbering to manual field specification")
		}
		*manual = true
		if n >= len(args) {
			return "", fmt.Errorf("Replacement index %d out of range for positional args tuple", n)
		}
		v = args[n]
	default:
		val, ok := kwargs[first]
		if !ok {
			return "", fmt.Errorf("KeyError: %s", pyQuote(first))
		}
		v = val
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			k := strings.IndexAny(rest[1:], ".[")
			if k < 0 {
				k = len(rest) - 1
			}
			attr := rest[1 : k+1]
			rest = rest[k+1:]
			var err error
			if v, err = st.getattr(v, attr); err != nil {
				return "", err
			}
		case '[':
			k := strings.IndexByte(rest, ']')
			if k < 0 {
				return "", fmt.Errorf("Missing ']' in format string")
			}
			key := rest[1:k]
			rest = rest[k+1:]
			var kv any = key
			if n, err := strconv.Atoi(key); err == nil {
				kv = n
			}
			var err error
			if v, err = st.getitem(v, kv); err != nil {
				if _, isInt := kv.(int); isInt {
					if v, err = st.getitem(v, key); err != nil {
						return "", err
					}
				} else {
					return "", err
				}
			}
		default:
			return "", fmt.Errorf("Only '.' or '[' may follow ']' in format field specifier")
		}
	}
	if u, ok := v.(*undefinedVal); ok {
		return "", u.err
	}
	switch conv {
	case 0:
	case 's':
		v = pyStr(st, v)
	case 'r', 'a':
		v = pyRepr(st, v)
	default:
		return "", fmt.Errorf("Unknown conversion specifier %c", conv)
	}
	return st.formatValue(v, spec)
}

// formatValue is Python's format(v, spec).
func (st *state) formatValue(v any, spec string) (string, error) {
	fill, align := " ", byte(0)
	sign := byte(0)
	alt, zero := false, false
	width, prec := 0, -1
	group := byte(0)
	typ := byte(0)
	i := 0
	runes := []rune(spec)
	if len(runes) >= 2 && strings.ContainsRune("<>=^", runes[1]) {
		fill, align = string(runes[0]), byte(runes[1])
		spec = string(runes[2:])
	} else if len(spec) >= 1 && strings.IndexByte("<>=^", spec[0]) >= 0 {
		align = spec[0]
		spec = spec[1:]
	}
	if i < len(spec) && strings.IndexByte("+- ", spec[i]) >= 0 {
		sign = spec[i]
		i++
	}
	if i < len(spec) && spec[i] == 'z' {
		i++
	}
	if i < len(spec) && spec[i] == '#' {
		alt = true
		i++
	}
	if i < len(spec) && spec[i] == '0' {
		zero = true
		i++
	}
	for ; i < len(spec) && spec[i] >= '0' && spec[i] <= '9'; i++ {
		width = width*10 + int(spec[i]-'0')
		if width > 1<<20 {
			return "", fmt.Errorf("Too many decimal digits in format string")
		}
	}
	if i < len(spec) && (spec[i] == ',' || spec[i] == '_') {
		group = spec[i]
		i++
	}
	if i < len(spec) && spec[i] == '.' {
		i++
		prec = 0
		start := i
		for ; i < len(spec) && spec[i] >= '0' && spec[i] <= '9'; i++ {
			prec = prec*10 + int(spec[i]-'0')
			if prec > 1<<20 {
				return "", fmt.Errorf("Too many decimal digits in format string")
			}
		}
		if i == start {
			return "", fmt.Errorf("Format specifier missing precision")
		}
	}
	if i < len(spec) {
		typ = spec[i]
		i++
	}
	if i != len(spec) {
		return "", fmt.Errorf("Invalid format specifier '%s'", spec)
	}
	if zero && align == 0 {
		fill, align = "0", '='
	}
	var body, sgn string
	numeric := false
	switch x := v.(type) {
	case string:
		if typ != 0 && typ != 's' {
			return "", fmt.Errorf("Unknown format code '%c' for object of type 'str'", typ)
		}
		if sign != 0 || alt || align == '=' {
			return "", fmt.Errorf("Sign not allowed in string format specifier")
		}
		body = x
		if prec >= 0 && prec < utf8.RuneCountInString(body) {
			body = string([]rune(body)[:prec])
		}
	case int, bool, float64:
		if _, isBool := x.(bool); isBool && typ == 0 && spec == "" {
			body = pyStr(st, x)
			break
		}
		numeric = true
		n, f, isInt, _ := number(x)
		switch {
		case isInt && (typ == 0 || strings.IndexByte("dnbcoxX", typ) >= 0):
			if prec >= 0 {
				return "", fmt.Errorf("Precision not allowed in integer format specifier")
			}
			if n < 0 {
				sgn = "-"
			} else if sign == '+' || sign == ' ' {
				sgn = string(sign)
			}
			u := uint64(abs(n))
			switch typ {
			case 'b':
				body = strconv.FormatUint(u, 2)
				if alt {
					sgn += "0b"
				}
			case 'o':
				body = strconv.FormatUint(u, 8)
				if alt {
					sgn += "0o"
				}
			case 'x':
				body = strconv.FormatUint(u, 16)
				if alt {
					sgn += "0x"
				}
			case 'X':
				body = strings.ToUpper(strconv.FormatUint(u, 16))
				if alt {
					sgn += "0X"
				}
			case 'c':
				body, sgn = string(rune(n)), ""
			default:
				body = strconv.FormatUint(u, 10)
				if group != 0 {
					body = groupDigits(body, group)
				}
			}
		case typ == 0 || strings.IndexByte("eEfFgG%n", typ) >= 0:
			if f < 0 || (f == 0 && math.Signbit(f)) {
				sgn, f = "-", -f
			} else if sign == '+' || sign == ' ' {
				sgn = string(sign)
			}
			switch {
			case typ == 0 && prec < 0:
				body = pyFloat(f)
			case typ == 0:
				body = formatFloat(f, 'g', prec, alt)
				if !strings.ContainsAny(body, ".e") && !math.IsInf(f, 0) && !math.IsNaN(f) {
					body += ".0"
				}
			default:
				p := prec
				if p < 0 {
					p = 6
				}
				t := typ
				if t == 'n' {
					t = 'g'
				}
				body = formatFloat(f, t, p, alt)
			}
			if group != 0 {
				intPart, frac, _ := strings.Cut(body, ".")
				if !strings.ContainsAny(intPart, "en") {
					body = groupDigits(intPart, group)
					if frac != "" || strings.Contains(body, ".") {
						body += "." + frac
					}
				}
			}
		default:
			return "", fmt.Errorf("Unknown format code '%c' for object of type '%s'", typ, typeName(x))
		}
	default:
		if spec != "" || typ != 0 {
			return "", fmt.Errorf("unsupported format string passed to %s.__format__", typeName(v))
		}
		body = pyStr(st, v)
	}
	if align == 0 {
		if numeric {
			align = '>'
		} else {
			align = '<'
		}
	}
	n := utf8.RuneCountInString(sgn) + utf8.RuneCountInString(body)
	if n >= width {
		return sgn + body, nil
	}
	padN := width - n
	switch align {
	case '<':
		return sgn + body + strings.Repeat(fill, padN), nil
	case '^':
		l := padN / 2
		return strings.Repeat(fill, l) + sgn + body + strings.Repeat(fill, padN-l), nil
	case '=':
		return sgn + strings.Repeat(fill, padN) + body, nil
	}
	return strings.Repeat(fill, padN) + sgn + body, nil
}

func groupDigits(digits string, sep byte) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
