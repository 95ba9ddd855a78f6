package render

import (
	"fmt"
	"math"
	"reflect"
	"strconv"

	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The rewriter turns a gonja AST into one that behaves like Jinja2: text
// and {{ }} nodes become control structures that track lines and print
// with Python's str(); list, tuple and dict literals, operators, attribute
// and item lookups, slices and calls become calls to Go closures that
// implement Python's semantics. A closure receives gonja's evaluator and
// evaluates its operands itself, so each operand is evaluated exactly once
// (gonja evaluates the receiver of f(x).method() twice) and errors keep
// their cause.

type rewriter struct {
	st    *state
	t     *tmpl
	file  string
	seen  map[any]bool
	names map[string]bool // names referenced in the macro being rewritten
	// rewriting an expression patchSource parsed: its names are the
	// template's, never placeholders
	inParsed bool
	// rewriting a segment (see segment.go): drop collects the closures
	// that are garbage once it has rendered, those made outside keep > 0
	// (macros, call blocks, recursive loops, which may run later)
	drop *[]string
	keep int
}

type closure func(e *exec.Evaluator) (any, error)

// call returns a node that calls fn.
func (rw *rewriter) call(loc *tokens.Token, fn closure) nodes.Expression {
	// closures live in the root context's parent (under names templates
	// do not use), which every scope of every template of the render
	// reaches, and the renders that reuse the template
	rw.st.closures++
	name := "__brine_" + strconv.Itoa(rw.st.closures)
	if rw.drop != nil && rw.keep == 0 {
		*rw.drop = append(*rw.drop, name)
	}
	rw.st.fns.Set(name, func(e *exec.Evaluator, _ *exec.VarArgs) (any, error) {
		v, err := fn(e)
		if err != nil {
			return &errVal{err}, nil
		}
		return v, nil
	})
	if loc == nil {
		loc = &tokens.Token{}
	}
	tok := &tokens.Token{Type: tokens.Name, Val: name, Line: loc.Line, Col: loc.Col, Pos: loc.Pos}
	// no arguments: nil Args and Kwargs, which gonja only ranges over
	return &nodes.Call{Location: loc, Func: &nodes.Name{Name: tok}}
}

// eval evaluates a (rewritten) operand.
func eval(e *exec.Evaluator, n nodes.Expression) (any, error) {
	v := e.Eval(n)
	if err := valueError(v); err != nil {
		return nil, err
	}
	return v.Interface(), nil
}

func (rw *rewriter) template(t *nodes.Template, file string) {
	if t == nil || rw.seen[t] {
		return
	}
	rw.seen[t] = true
	saved := rw.file
	rw.file = file
	rw.nodes(t.Nodes, true)
	for _, w := range t.Blocks {
		rw.wrapper(w, false)
	}
	rw.file = saved
	if t.Parent != nil {
		rw.template(t.Parent, t.Parent.Identifier)
	}
}

func (rw *rewriter) wrapper(w *nodes.Wrapper, top bool) {
	if w == nil || rw.seen[w] {
		return
	}
	rw.seen[w] = true
	rw.nodes(w.Nodes, top)
}

func (rw *rewriter) nodes(list []nodes.Node, top bool) {
	for i, n := range list {
		switch x := n.(type) {
		case *nodes.Data:
			list[i] = &nodes.ControlStructureBlock{Location: x.Data, Name: "data", ControlStructure: newDataCS(rw.st, rw.file, x)}
		case *nodes.Output:
			c := &outputCS{base: base{st: rw.st, loc: x.Start, file: rw.file}, expr: rw.expr(x.Expression)}
			list[i] = &nodes.ControlStructureBlock{Location: x.Start, Name: "output", ControlStructure: c}
		case *nodes.ControlStructureBlock:
			rw.control(x, top)
		}
	}
}

func (rw *rewriter) exprs(list []nodes.Expression) {
	for i, e := range list {
		list[i] = rw.expr(e)
	}
}

func (rw *rewriter) control(b *nodes.ControlStructureBlock, top bool) {
	if rw.seen[b] {
		return
	}
	rw.seen[b] = true
	setBase := func(bs *base) {
		bs.loc, bs.file = b.Location, rw.file
	}
	switch b.ControlStructure.(type) {
	case *macroCS, *callCS:
		rw.keep++
		defer func() { rw.keep-- }()
	case *forCS:
		if b.ControlStructure.(*forCS).recursive {
			rw.keep++
			defer func() { rw.keep-- }()
		}
	}
	switch c := b.ControlStructure.(type) {
	case *forCS:
		setBase(&c.base)
		c.iter, c.cond = rw.expr(c.iter), rw.expr(c.cond)
		rw.wrapper(c.body, false)
		rw.wrapper(c.empty, false)
	case *ifCS:
		c.st, c.file = rw.st, rw.file
		if c.loc == nil {
			c.loc = b.Location
		}
		rw.exprs(c.conds)
		for _, w := range c.wrappers {
			rw.wrapper(w, top)
		}
	case *setCS:
		setBase(&c.base)
		c.top = top
		rw.exprs(c.exprs)
		rw.filterCalls(c.filters)
		rw.wrapper(c.body, false)
	case *withCS:
		setBase(&c.base)
		rw.exprs(c.exprs)
		rw.wrapper(c.body, false)
	case *filterCS:
		setBase(&c.base)
		rw.filterCalls(c.filters)
		rw.wrapper(c.body, false)
	case *macroCS:
		c.file, c.top = rw.file, top
		saved := rw.names
		rw.names = map[string]bool{}
		rw.macro(c.macro)
		c.usesVarargs, c.usesKwargs = rw.names["varargs"], rw.names["kwargs"]
		for k := range rw.names {
			if saved != nil {
				saved[k] = true
			}
		}
		rw.names = saved
	case *includeCS:
		setBase(&c.base)
		c.expr = rw.expr(c.expr)
	case *importCS:
		setBase(&c.base)
		c.top = top
		c.expr = rw.expr(c.expr)
	case *fromCS:
		setBase(&c.base)
		c.expr = rw.expr(c.expr)
	case *loadCS:
		setBase(&c.base)
		c.top = top
		rw.wrapper(c.body, false)
	case *profileCS:
		setBase(&c.base)
		rw.wrapper(c.body, top)
	case *rawCS:
		setBase(&c.base)
		if c.data != nil {
			c.text = newDataCS(rw.st, rw.file, c.data)
		}
	case *doCS:
		setBase(&c.base)
		c.expr = rw.expr(c.expr)
	case *callCS:
		setBase(&c.base)
		if call, ok := rw.expr(c.call).(*nodes.Call); ok {
			c.call = call
		}
		rw.wrapper(c.body, false)
	case *controlStructures.AutoescapeControlStructure:
		rw.wrapper(c.Wrapper, top)
	case *controlStructures.TransControlStructure:
		for k, e := range c.Variables {
			c.Variables[k] = rw.expr(e)
		}
		rw.wrapper(c.SingularBody, false)
		rw.wrapper(c.PluralBody, false)
	}
}

func (rw *rewriter) macro(m *nodes.Macro) {
	if m == nil || rw.seen[m] {
		return
	}
	rw.seen[m] = true
	for _, p := range m.Kwargs {
		if _, missing := p.Value.(*nodes.Error); missing {
			name := "argument"
			if s, ok := p.Key.(*nodes.String); ok {
				name = s.Val
			}
			msg := fmt.Sprintf("'%s' is undefined", name)
			p.Value = rw.call(p.Key.Position(), func(*exec.Evaluator) (any, error) {
				return &undefinedVal{err: &undefinedError{msg: msg}}, nil
			})
			continue
		}
		p.Value = rw.expr(p.Value)
	}
	rw.wrapper(m.Wrapper, false)
}

func (rw *rewriter) filterCalls(fcs []*nodes.FilterCall) {
	for _, fc := range fcs {
		rw.exprs(fc.Args)
		for k, e := range fc.Kwargs {
			fc.Kwargs[k] = rw.expr(e)
		}
	}
}

// node rewrites a node that the parser typed as nodes.Node.
func (rw *rewriter) node(n nodes.Node) nodes.Expression {
	if n == nil {
		return nil
	}
	return rw.expr(n)
}

func isNil(n nodes.Node) bool {
	if n == nil {
		return true
	}
	rv := reflect.ValueOf(n)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

func (rw *rewriter) expr(e nodes.Expression) nodes.Expression {
	if isNil(e) {
		return nil
	}
	st := rw.st
	switch n := e.(type) {
	case *nodes.Name:
		// a placeholder: a name gonja parsed, at the position patchSource
		// put it (names inside parsed expressions come from the template)
		if pe, ok := st.exprs[n.Name.Val]; ok && !rw.inParsed && pe.pos == n.Name.Pos {
			return rw.parsed(pe)
		}
		if n.Name.Val == "none" {
			return &nodes.None{Location: n.Name}
		}
		if rw.names != nil {
			rw.names[n.Name.Val] = true
		}
		return n
	case *nodes.List:
		items := rw.exprList(n.Val)
		return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
			out := make([]any, len(items))
			for i, it := range items {
				v, err := eval(e, it)
				if err != nil {
					return nil, err
				}
				out[i] = st.norm(v)
			}
			return &out, nil
		})
	case *nodes.Tuple:
		items := rw.exprList(n.Val)
		return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
			out := make(tuple, len(items))
			for i, it := range items {
				v, err := eval(e, it)
				if err != nil {
					return nil, err
				}
				out[i] = st.norm(v)
			}
			return out, nil
		})
	case *nodes.Dict:
		keys := make([]nodes.Expression, len(n.Pairs))
		vals := make([]nodes.Expression, len(n.Pairs))
		for i, p := range n.Pairs {
			keys[i], vals[i] = rw.expr(p.Key), rw.expr(p.Value)
		}
		return rw.call(n.Token, func(e *exec.Evaluator) (any, error) {
			m := st.newDict(len(keys))
			for i := range keys {
				k, err := eval(e, keys[i])
				if err != nil {
					return nil, err
				}
				v, err := eval(e, vals[i])
				if err != nil {
					return nil, err
				}
				st.dictSet(m, keyString(k), st.norm(v))
			}
			return m, nil
		})
	case *nodes.BinaryExpression:
		return rw.binary(n)
	case *compareExpr:
		return rw.compare(n)
	case *condExpr:
		return rw.cond(n)
	case *nodes.Negation:
		term := rw.expr(n.Term)
		return rw.call(n.Operator, func(e *exec.Evaluator) (any, error) {
			v, err := eval(e, term)
			if err != nil {
				return nil, err
			}
			t, err := truth(v)
			return !t, err
		})
	case *nodes.UnaryExpression:
		term := rw.expr(n.Term)
		neg := n.Negative
		return rw.call(n.Operator, func(e *exec.Evaluator) (any, error) {
			v, err := eval(e, term)
			if err != nil {
				return nil, err
			}
			return unary(neg, v)
		})
	case *nodes.GetAttribute:
		obj := rw.node(n.Node)
		attr, idx := n.Attribute, n.Index
		return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
			o, err := eval(e, obj)
			if err != nil {
				return nil, err
			}
			if err := st.tick(); err != nil {
				return nil, err
			}
			if attr == "" {
				return st.getitem(o, idx)
			}
			return st.getattr(o, attr)
		})
	case *nodes.GetItem:
		obj, arg := rw.node(n.Node), rw.node(n.Arg)
		return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
			o, err := eval(e, obj)
			if err != nil {
				return nil, err
			}
			if arg == nil {
				return nil, fmt.Errorf("missing subscript")
			}
			k, err := eval(e, arg)
			if err != nil {
				return nil, err
			}
			if err := st.tick(); err != nil {
				return nil, err
			}
			return st.getitem(o, k)
		})
	case *nodes.GetSlice:
		obj, lo, hi, step := rw.node(n.Node), rw.node(n.Start), rw.node(n.End), rw.node(n.Step)
		return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
			o, err := eval(e, obj)
			if err != nil {
				return nil, err
			}
			bounds := [3]any{}
			for i, b := range []nodes.Expression{lo, hi, step} {
				if b == nil {
					continue
				}
				if bounds[i], err = eval(e, b); err != nil {
					return nil, err
				}
			}
			return st.slice(o, bounds[0], bounds[1], bounds[2])
		})
	case *nodes.Call:
		rw.exprs(n.Args)
		for k, a := range n.Kwargs {
			n.Kwargs[k] = rw.expr(a)
		}
		n.Func = rw.callee(n.Func, n.Location)
		if _, ok := n.Kwargs["*"]; ok {
			return rw.dynCall(n)
		}
		if _, ok := n.Kwargs["**"]; ok {
			return rw.dynCall(n)
		}
		n.Parent = nil
		return n
	case *nodes.FilteredExpression:
		n.Expression = rw.expr(n.Expression)
		rw.filterCalls(n.Filters)
		return n
	case *nodes.TestExpression:
		n.Expression = rw.expr(n.Expression)
		if n.Test != nil {
			rw.exprs(n.Test.Args)
			for k, a := range n.Test.Kwargs {
				n.Test.Kwargs[k] = rw.expr(a)
			}
		}
		return n
	case *nodes.Pair:
		n.Key, n.Value = rw.expr(n.Key), rw.expr(n.Value)
		return n
	}
	return e
}

// dynCall evaluates a call with *args or **kwargs (already rewritten):
// the callee, the positional arguments then the *args sequence, the
// keyword arguments then the **kwargs mapping, as Jinja2 does.
func (rw *rewriter) dynCall(n *nodes.Call) nodes.Expression {
	st := rw.st
	star, dstar := n.Kwargs["*"], n.Kwargs["**"]
	kw := map[string]nodes.Expression{}
	for k, v := range n.Kwargs {
		if k != "*" && k != "**" {
			kw[k] = v
		}
	}
	fn, args := n.Func, n.Args
	return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
		f, err := eval(e, fn.(nodes.Expression))
		if err != nil {
			return nil, err
		}
		va := exec.NewVarArgs()
		for _, a := range args {
			v := e.Eval(a)
			if err := valueError(v); err != nil {
				return nil, err
			}
			va.Args = append(va.Args, v)
		}
		if star != nil {
			v, err := eval(e, star)
			if err != nil {
				return nil, err
			}
			items, err := st.iterate(v)
			if err != nil {
				return nil, fmt.Errorf("argument after * must be an iterable, not %s", typeName(v))
			}
			for _, x := range items {
				va.Args = append(va.Args, exec.AsValue(x))
			}
		}
		for k, a := range kw {
			v := e.Eval(a)
			if err := valueError(v); err != nil {
				return nil, err
			}
			va.KwArgs[k] = v
		}
		if dstar != nil {
			v, err := eval(e, dstar)
			if err != nil {
				return nil, err
			}
			switch m := v.(type) {
			case *Map:
				for _, k := range m.Keys {
					va.KwArgs[k] = exec.AsValue(m.Values[k])
				}
			case map[string]any:
				for k, x := range m {
					va.KwArgs[k] = exec.AsValue(x)
				}
			default:
				return nil, fmt.Errorf("argument after ** must be a mapping, not %s", typeName(v))
			}
		}
		switch x := f.(type) {
		case func(*exec.VarArgs) (any, error):
			return x(va)
		case func(*exec.VarArgs) *exec.Value:
			v := x(va)
			if err := valueError(v); err != nil {
				return nil, err
			}
			return v.Interface(), nil
		}
		return nil, fmt.Errorf("'%s' object does not take *args or **kwargs here", typeName(f))
	})
}

// parsed rewrites an expression parsed by patchSource, once.
func (rw *rewriter) parsed(pe *parsedExpr) nodes.Expression {
	if !pe.done {
		saved, savedIn := rw.names, rw.inParsed
		rw.names, rw.inParsed = map[string]bool{}, true
		pe.expr = rw.expr(pe.expr)
		pe.names, rw.names, rw.inParsed = rw.names, saved, savedIn
		pe.done = true
	}
	if rw.names != nil {
		for k := range pe.names {
			rw.names[k] = true
		}
	}
	return pe.expr
}

// compare evaluates a comparison chain as Python does: each operand once,
// left to right, stopping at the first false comparison.
func (rw *rewriter) compare(n *compareExpr) nodes.Expression {
	st := rw.st
	first := rw.expr(n.first)
	ops := make([]compareOp, len(n.ops))
	for i, o := range n.ops {
		ops[i] = compareOp{tok: o.tok, op: o.op, expr: rw.expr(o.expr)}
	}
	return rw.call(n.Position(), func(e *exec.Evaluator) (any, error) {
		l, err := eval(e, first)
		if err != nil {
			return nil, err
		}
		for _, o := range ops {
			r, err := eval(e, o.expr)
			if err != nil {
				return nil, err
			}
			if err := st.tick(); err != nil {
				return nil, err
			}
			var ok bool
			switch o.op {
			case "in", "notin":
				if ok, err = st.contains(r, l); err != nil {
					return nil, err
				}
				ok = ok == (o.op == "in")
			default:
				v, err := st.binop(o.op, l, r)
				if err != nil {
					return nil, err
				}
				ok, _ = v.(bool)
			}
			if !ok {
				return false, nil
			}
			l = r
		}
		return true, nil
	})
}

// cond evaluates an inline "a if c else b". Without else, a false
// condition gives an undefined value that prints as nothing, as Jinja2's.
func (rw *rewriter) cond(n *condExpr) nodes.Expression {
	test, then, otherwise := rw.expr(n.test), rw.expr(n.then), rw.expr(n.otherwise)
	line := n.loc.Line
	return rw.call(n.loc, func(e *exec.Evaluator) (any, error) {
		c, err := eval(e, test)
		if err != nil {
			return nil, err
		}
		t, err := truth(c)
		if err != nil {
			return nil, err
		}
		switch {
		case t:
			return eval(e, then)
		case otherwise != nil:
			return eval(e, otherwise)
		}
		return &undefinedVal{err: undefinedf("the inline if-expression on line %d evaluated to false and no else section was defined.", line), lenient: true}, nil
	})
}

func (rw *rewriter) exprList(list []nodes.Expression) []nodes.Expression {
	out := make([]nodes.Expression, len(list))
	for i, e := range list {
		out[i] = rw.expr(e)
	}
	return out
}

func (rw *rewriter) binary(n *nodes.BinaryExpression) nodes.Expression {
	st := rw.st
	op := n.Operator.Token
	if op.Type == tokens.Power {
		if v, ok := st.constNumber(n.Left); ok && isNegative(v) && !jinjaConst(n.Right) {
			// Jinja2 3.1 folds a constant base and writes it unparenthesized
			// into the Python it generates: -3 ** m is -(3 ** m) there
			// (and (-3) ** 2, fully constant, is 9).
			base, _ := unary(true, v)
			right := rw.expr(n.Right)
			return rw.call(op, func(e *exec.Evaluator) (any, error) {
				r, err := eval(e, right)
				if err != nil {
					return nil, err
				}
				p, err := st.binop("**", base, r)
				if err != nil {
					return nil, err
				}
				return unary(true, p)
			})
		}
	}
	left, right := rw.expr(n.Left), rw.expr(n.Right)
	switch op.Type {
	case tokens.And, tokens.Or:
		isAnd := op.Type == tokens.And
		return rw.call(op, func(e *exec.Evaluator) (any, error) {
			l, err := eval(e, left)
			if err != nil {
				return nil, err
			}
			t, err := truth(l)
			if err != nil {
				return nil, err
			}
			if t != isAnd {
				return l, nil
			}
			return eval(e, right)
		})
	}
	sym := op.Val
	return rw.call(op, func(e *exec.Evaluator) (any, error) {
		l, err := eval(e, left)
		if err != nil {
			return nil, err
		}
		r, err := eval(e, right)
		if err != nil {
			return nil, err
		}
		if err := st.tick(); err != nil {
			return nil, err
		}
		v, err := st.binop(sym, l, r)
		if s, ok := v.(string); ok && len(s) >= 1<<10 {
			// building a big string is work too: a step per KiB
			if err := st.charge(len(s) >> 10); err != nil {
				return nil, err
			}
		}
		return v, err
	})
}

// callee rewrites the function part of a call into a closure that returns
// something callable: the bound method, the salt function, the macro... or
// a function returning the lookup error, so that gonja reports the real
// cause instead of "is not callable".
func (rw *rewriter) callee(f nodes.Node, loc *tokens.Token) nodes.Node {
	st := rw.st
	switch n := f.(type) {
	case *nodes.GetAttribute:
		obj := rw.node(n.Node)
		attr, idx := n.Attribute, n.Index
		return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
			o, err := eval(e, obj)
			if err != nil {
				return errFunc(err), nil
			}
			var m any
			if attr == "" {
				m, err = st.getitem(o, idx)
			} else {
				m, err = st.method(o, attr)
			}
			return st.callable(m, err)
		})
	case *nodes.GetItem:
		obj, arg := rw.node(n.Node), rw.node(n.Arg)
		return rw.call(n.Location, func(e *exec.Evaluator) (any, error) {
			o, err := eval(e, obj)
			if err != nil {
				return errFunc(err), nil
			}
			if arg == nil {
				return errFunc(fmt.Errorf("missing subscript")), nil
			}
			k, err := eval(e, arg)
			if err != nil {
				return errFunc(err), nil
			}
			return st.callable(st.getitem(o, k))
		})
	case *nodes.Name:
		name := n.Name.Val
		return rw.call(n.Name, func(e *exec.Evaluator) (any, error) {
			v, ok := e.Environment.Context.Get(name)
			if !ok {
				return errFunc(undefinedf("'%s' is undefined", name)), nil
			}
			return st.callable(v, nil)
		})
	}
	x := rw.node(f)
	return rw.call(loc, func(e *exec.Evaluator) (any, error) {
		return st.callable(eval(e, x))
	})
}

func errFunc(err error) func(*exec.VarArgs) (any, error) {
	if ue, ok := asUndefined(err); ok {
		err = &calledUndefined{ue}
	}
	return func(*exec.VarArgs) (any, error) { return &errVal{err}, nil }
}

// safeCall wraps a function of this package for gonja to call: argument
// errors propagate, returned errors travel as errVal.
func safeCall(f func(*exec.VarArgs) (any, error)) func(*exec.VarArgs) (any, error) {
	return func(va *exec.VarArgs) (any, error) {
		if err := argsError(va); err != nil {
			return &errVal{err}, nil
		}
		v, err := f(va)
		if err != nil {
			return &errVal{err}, nil
		}
		return v, nil
	}
}

// callable checks that v can be called and returns it for gonja to call.
func (st *state) callable(v any, err error) (any, error) {
	if err != nil {
		return errFunc(err), nil
	}
	switch x := v.(type) {
	case *undefinedVal:
		return errFunc(x.err), nil
	case *loopInfo:
		if x.recurse == nil {
			return errFunc(fmt.Errorf("the loop is not recursive: use 'recursive' to call loop()")), nil
		}
		return safeCall(func(va *exec.VarArgs) (any, error) {
			if len(va.Args) != 1 {
				return nil, fmt.Errorf("loop() takes exactly one argument")
			}
			return x.recurse(va.Args[0].Interface())
		}), nil
	case *exec.Value:
		return st.callable(x.Interface(), nil)
	case *errVal:
		return errFunc(x.err), nil
	case func(*exec.VarArgs) (any, error):
		return safeCall(x), nil
	}
	if v != nil && reflect.TypeOf(v).Kind() == reflect.Func {
		return v, nil
	}
	return errFunc(fmt.Errorf("'%s' object is not callable", typeName(v))), nil
}

// constNumber evaluates an expression of numeric (and boolean) literals,
// unary signs and arithmetic, as Jinja2's optimizer folds it.
func (st *state) constNumber(n nodes.Node) (any, bool) {
	switch x := n.(type) {
	case *nodes.Integer:
		return x.Val, true
	case *nodes.Float:
		return x.Val, true
	case *nodes.Bool:
		return x.Val, true
	case *nodes.UnaryExpression:
		v, ok := st.constNumber(x.Term)
		if !ok {
			return nil, false
		}
		r, err := unary(x.Negative, v)
		return r, err == nil
	case *nodes.BinaryExpression:
		switch x.Operator.Token.Type {
		case tokens.Addition, tokens.Subtraction, tokens.Multiply, tokens.Division,
			tokens.FloorDivision, tokens.Modulo, tokens.Power:
		default:
			return nil, false
		}
		l, ok := st.constNumber(x.Left)
		if !ok {
			return nil, false
		}
		r, ok := st.constNumber(x.Right)
		if !ok {
			return nil, false
		}
		v, err := st.binop(x.Operator.Token.Val, l, r)
		return v, err == nil
	}
	return nil, false
}

func isNegative(v any) bool {
	switch x := v.(type) {
	case int:
		return x < 0
	case float64:
		return x < 0 || (x == 0 && math.Signbit(x))
	}
	return false
}

// jinjaConst reports whether Jinja2's optimizer folds n into a constant:
// literals and operators, filters and tests over literals.
func jinjaConst(n nodes.Node) bool {
	switch x := n.(type) {
	case *nodes.Integer, *nodes.Float, *nodes.Bool, *nodes.String, *nodes.None:
		return true
	case *nodes.UnaryExpression:
		return jinjaConst(x.Term)
	case *nodes.Negation:
		return jinjaConst(x.Term)
	case *nodes.BinaryExpression:
		return jinjaConst(x.Left) && jinjaConst(x.Right)
	case *compareExpr:
		if !jinjaConst(x.first) {
			return false
		}
		for _, o := range x.ops {
			if !jinjaConst(o.expr) {
				return false
			}
		}
		return true
	case *condExpr:
		return jinjaConst(x.test) && jinjaConst(x.then) && (x.otherwise == nil || jinjaConst(x.otherwise))
	case *nodes.List:
		return allConst(x.Val)
	case *nodes.Tuple:
		return allConst(x.Val)
	case *nodes.Dict:
		for _, p := range x.Pairs {
			if !jinjaConst(p.Key) || !jinjaConst(p.Value) {
				return false
			}
		}
		return true
	case *nodes.FilteredExpression:
		if !jinjaConst(x.Expression) {
			return false
		}
		for _, f := range x.Filters {
			if !allConst(f.Args) || !allConst(mapValues(f.Kwargs)) {
				return false
			}
		}
		return true
	case *nodes.TestExpression:
		return jinjaConst(x.Expression) && (x.Test == nil || allConst(x.Test.Args) && allConst(mapValues(x.Test.Kwargs)))
	case *nodes.GetAttribute:
		return jinjaConst(x.Node)
	case *nodes.GetItem:
		return jinjaConst(x.Node) && (x.Arg == nil || jinjaConst(x.Arg))
	}
	return false
}

func allConst(list []nodes.Expression) bool {
	for _, e := range list {
		if !jinjaConst(e) {
			return false
		}
	}
	return true
}

func mapValues(m map[string]nodes.Expression) []nodes.Expression {
	out := make([]nodes.Expression, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
