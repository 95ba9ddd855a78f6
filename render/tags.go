package render

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Control structures. gonja's break, continue, autoescape, block, extends
// and trans are kept; for, if, macro, do and call keep gonja's
// parsers but run here; raw, set, with, filter, include, import and from
// are reimplemented, and Salt's import_yaml/json/text, load_yaml/json/text and
// profile added. They follow Jinja2 and Salt: Python truthiness and
// iteration order, strict undefined values, module exports, and line
// tracking of the output.

func (st *state) buildControlStructures() *exec.ControlStructureSet {
	keep := func(name string) parser.ControlStructureParser {
		p, ok := builtins.ControlStructures.Get(name)
		if !ok {
			panic("gonja lacks control structure " + name)
		}
		return p
	}
	gonjaFor, gonjaIf, gonjaMacro := keep("for"), keep("if"), keep("macro")
	gonjaDo, gonjaCall := keep("do"), keep("call")
	set := map[string]parser.ControlStructureParser{
		"do": func(p, args *parser.Parser) (nodes.ControlStructure, error) {
			cs, err := gonjaDo(p, args)
			if err != nil {
				return nil, err
			}
			return &doCS{base: base{st: st}, expr: cs.(*controlStructures.DoControlStructure).Expression}, nil
		},
		"call": func(p, args *parser.Parser) (nodes.ControlStructure, error) {
			cs, err := gonjaCall(p, args)
			if err != nil {
				return nil, err
			}
			cc := cs.(*controlStructures.CallControlStructure)
			return &callCS{base: base{st: st}, call: cc.Call, body: cc.Body}, nil
		},
		"raw":        st.parseRaw,
		"break":      keep("break"),
		"continue":   keep("continue"),
		"autoescape": keep("autoescape"),
		"block":      keep("block"),
		"extends":    keep("extends"),
		"trans":      keep("trans"),
		"for": func(p, args *parser.Parser) (nodes.ControlStructure, error) {
			cs, err := gonjaFor(p, args)
			if err != nil {
				return nil, err
			}
			f := cs.(*controlStructures.ForControlStructure)
			return &forCS{base: base{st: st, loc: p.Current()}, key: f.Key, value: f.Value, iter: f.ObjectEvaluator,
				cond: f.IfCondition, recursive: f.Recursive, body: f.BodyWrapper, empty: f.EmptyWrapper}, nil
		},
		"if": func(p, args *parser.Parser) (nodes.ControlStructure, error) {
			loc := args.Current()
			cs, err := gonjaIf(p, args)
			if err != nil {
				return nil, err
			}
			f := cs.(*controlStructures.IfControlStructure)
			return &ifCS{base: base{st: st, loc: loc}, conds: f.Conditions, wrappers: f.Wrappers}, nil
		},
		"macro": func(p, args *parser.Parser) (nodes.ControlStructure, error) {
			cs, err := gonjaMacro(p, args)
			if err != nil {
				return nil, err
			}
			return &macroCS{st: st, macro: cs.(*controlStructures.MacroControlStructure).Macro}, nil
		},
		"set":         st.parseSet,
		"with":        st.parseWith,
		"filter":      st.parseFilterBlock,
		"include":     st.parseInclude,
		"import":      st.parseImport("import"),
		"from":        st.parseFrom,
		"import_yaml": st.parseImport("yaml"),
		"import_json": st.parseImport("json"),
		"import_text": st.parseImport("text"),
		"load_yaml":   st.parseLoad("yaml"),
		"load_json":   st.parseLoad("json"),
		"load_text":   st.parseLoad("text"),
		"profile":     st.parseProfile,
	}
	return exec.NewControlStructureSet(set)
}

// base is embedded in every control structure of this package.
type base struct {
	st   *state
	loc  *tokens.Token
	file string
}

func (b *base) Position() *tokens.Token {
	if b.loc == nil {
		return &tokens.Token{}
	}
	return b.loc
}

func (b *base) line() int {
	if b.loc == nil {
		return 0
	}
	return b.loc.Line
}

func (b *base) fail(err error) error { return at(b.file, b.line(), err) }

// eval evaluates an expression in r's scope.
func evalIn(r *exec.Renderer, e nodes.Expression) (any, error) {
	v := r.Eval(e)
	if err := valueError(v); err != nil {
		return nil, err
	}
	return v.Interface(), nil
}

// capture renders w into a string in a child scope of r.
func capture(r *exec.Renderer, w *nodes.Wrapper) (string, error) {
	var buf bytes.Buffer
	sub := r.Inherit()
	sub.Output = &buf
	if err := sub.ExecuteWrapper(w); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// exportVar records a module-level variable of the template running in r.
func exportVar(r *exec.Renderer, name string, v any) {
	if strings.HasPrefix(name, "_") {
		return
	}
	if m, ok := r.Environment.Context.Get(exportsKey); ok {
		if exports, ok := m.(map[string]any); ok && exports != nil {
			exports[name] = v
		}
	}
}

// ---------------------------------------------------------------- data

// dataCS writes template text (gonja's Data node, trimmed as it would be).
type dataCS struct {
	base
	text  string
	first int // template line of the first byte of text
}

func (c *dataCS) String() string { return fmt.Sprintf("data(line %d)", c.first) }

func (c *dataCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	setPos(r.Output, c.file, c.first, true)
	_, err := io.WriteString(r.Output, c.text)
	return err
}

func newDataCS(st *state, file string, n *nodes.Data) *dataCS {
	out := n.Data.Val
	if text, ok := st.elidedText(out); ok {
		out = text
	}
	line := n.Data.Line
	trimmedLeft := func(s string) {
		line += strings.Count(out[:len(out)-len(s)], "\n")
		out = s
	}
	if n.RemoveFirstLineReturn {
		s := strings.TrimPrefix(out, "\r\n")
		s = strings.TrimPrefix(s, "\n")
		trimmedLeft(s)
	}
	if n.Trim.Left {
		trimmedLeft(strings.TrimLeft(out, " \r\n\t"))
	}
	if n.Trim.Right {
		out = strings.TrimRight(out, " \r\n\t")
	}
	if n.RemoveTrailingWhiteSpaceFromLastLine {
		lines := strings.Split(out, "\n")
		lines[len(lines)-1] = strings.TrimRight(lines[len(lines)-1], " \n\t\r")
		out = strings.Join(lines, "\n")
	}
	return &dataCS{base: base{st: st, loc: n.Data, file: file}, text: out, first: line}
}

// ---------------------------------------------------------------- output

// outputCS prints an expression ({{ ... }}) with Python's str(). An
// inline "a if b else c" is part of the expression (see exprparse.go).
type outputCS struct {
	base
	expr nodes.Expression
}

func (c *outputCS) String() string { return fmt.Sprintf("output(line %d)", c.line()) }

func (c *outputCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	if err := c.st.tick(); err != nil {
		return err
	}
	v, err := evalIn(r, c.expr)
	if err != nil {
		return c.fail(err)
	}
	if u, ok := v.(*undefinedVal); ok {
		if !u.lenient {
			return c.fail(u.err)
		}
		v = ""
	}
	setPos(r.Output, c.file, c.line(), false)
	_, err = io.WriteString(r.Output, pyStr(c.st, v))
	return err
}

// ---------------------------------------------------------------- if

type ifCS struct {
	base
	conds    []nodes.Expression
	wrappers []*nodes.Wrapper
}

func (c *ifCS) String() string { return fmt.Sprintf("if(line %d)", c.line()) }

func (c *ifCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	for i, cond := range c.conds {
		v, err := evalIn(r, cond)
		if err == nil {
			var t bool
			if t, err = truth(v); err == nil && t {
				return r.ExecuteIfWrapper(c.wrappers[i])
			}
		}
		if err != nil {
			return at(c.file, lineOf(cond, c.line()), err)
		}
	}
	if len(c.wrappers) > len(c.conds) {
		return r.ExecuteIfWrapper(c.wrappers[len(c.conds)])
	}
	return nil
}

func lineOf(n nodes.Node, fallback int) int {
	if n != nil {
		if p := n.Position(); p != nil && p.Line > 0 {
			return p.Line
		}
	}
	return fallback
}

// ---------------------------------------------------------------- for

type forCS struct {
	base
	key, value  string
	iter, cond  nodes.Expression
	recursive   bool
	body, empty *nodes.Wrapper
}

func (c *forCS) String() string { return fmt.Sprintf("for(line %d)", c.line()) }

func (c *forCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	v, err := evalIn(r, c.iter)
	if err != nil {
		return c.fail(err)
	}
	return c.run(r, v, 1, r.Output)
}

type binding struct{ key, value any }

func (c *forCS) bind(ctx *exec.Context, b binding) {
	ctx.Set(c.key, b.key)
	if c.value != "" {
		ctx.Set(c.value, b.value)
	}
}

func (c *forCS) run(r *exec.Renderer, v any, depth int, out io.Writer) error {
	st := c.st
	items, err := st.iterate(v)
	if err != nil {
		return c.fail(err)
	}
	var binds []binding
	for i, it := range items {
		if i%4096 == 4095 {
			if err := st.ctx.Err(); err != nil {
				return err
			}
		}
		b := binding{key: st.norm(it)}
		if c.value != "" {
			pair, err := st.unpack(it, 2)
			if err != nil {
				return c.fail(err)
			}
			b = binding{key: st.norm(pair[0]), value: st.norm(pair[1])}
		}
		if c.cond != nil {
			sub := scope(r)
			c.bind(sub.Environment.Context, b)
			cv, err := evalIn(sub, c.cond)
			if err != nil {
				return at(c.file, lineOf(c.cond, c.line()), err)
			}
			t, err := truth(cv)
			if err != nil {
				return at(c.file, lineOf(c.cond, c.line()), err)
			}
			if !t {
				continue
			}
		}
		binds = append(binds, b)
	}
	if len(binds) == 0 {
		if c.empty != nil {
			sub := r.Inherit()
			sub.Output = out
			return sub.ExecuteWrapper(c.empty)
		}
		return nil
	}
	loop := &loopInfo{length: len(binds), depth: depth}
	if c.recursive {
		loop.recurse = func(items any) (string, error) {
			if st.depth >= maxDepth {
				return "", fmt.Errorf("maximum recursion depth (%d) exceeded in a recursive loop", maxDepth)
			}
			st.depth++
			defer func() { st.depth-- }()
			var buf bytes.Buffer
			if err := c.run(r, items, depth+1, &buf); err != nil {
				return "", err
			}
			return buf.String(), nil
		}
	}
	values := make([]any, len(binds))
	for i, b := range binds {
		if c.value != "" {
			values[i] = tuple{b.key, b.value}
		} else {
			values[i] = b.key
		}
	}
	loop.items = values
	for i, b := range binds {
		if err := st.tick(); err != nil {
			return err
		}
		sub := scope(r)
		sub.Output = out
		c.bind(sub.Environment.Context, b)
		loop.index0 = i
		sub.Environment.Context.Set("loop", loop)
		if err := nodes.Walk(sub, c.body); err != nil {
			var brk *controlStructures.LoopBreakError
			var cont *controlStructures.LoopContinueError
			if findErr(err, &brk) {
				break
			}
			if findErr(err, &cont) {
				continue
			}
			return err
		}
	}
	return nil
}

// scope is a child renderer of r with its own variable layer, as
// r.Inherit() without copying the configuration, which nothing here
// changes (a loop iteration used to cost two full Inherits).
func scope(r *exec.Renderer) *exec.Renderer {
	env := r.Environment
	return &exec.Renderer{
		Config: r.Config,
		Environment: &exec.Environment{
			Context:           env.Context.Inherit(),
			Tests:             env.Tests,
			Filters:           env.Filters,
			ControlStructures: env.ControlStructures,
			Methods:           env.Methods,
		},
		Template: r.Template,
		RootNode: r.RootNode,
		Output:   r.Output,
		Loader:   r.Loader,
	}
}

// unpack splits v into exactly n values, as Python's a, b = v.
func (st *state) unpack(v any, n int) ([]any, error) {
	if _, ok := v.(*undefinedVal); ok {
		return nil, v.(*undefinedVal).err
	}
	switch v.(type) {
	case nil, int, float64, bool:
		return nil, fmt.Errorf("cannot unpack non-iterable %s object", typeName(v))
	}
	items, err := st.iterate(v)
	if err != nil {
		return nil, fmt.Errorf("cannot unpack non-iterable %s object", typeName(v))
	}
	if len(items) > n {
		return nil, fmt.Errorf("too many values to unpack (expected %d)", n)
	}
	if len(items) < n {
		return nil, fmt.Errorf("not enough values to unpack (expected %d, got %d)", n, len(items))
	}
	return items, nil
}

// loopInfo is Jinja's loop variable.
type loopInfo struct {
	index0  int
	length  int
	depth   int
	items   []any
	last    any
	hasLast bool
	recurse func(items any) (string, error)
}

// GetAttribute implements exec.AttributeGetter.
func (l *loopInfo) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "index":
		return exec.AsValue(l.index0 + 1), true
	case "index0":
		return exec.AsValue(l.index0), true
	case "revindex":
		return exec.AsValue(l.length - l.index0), true
	case "revindex0":
		return exec.AsValue(l.length - l.index0 - 1), true
	case "first":
		return exec.AsValue(l.index0 == 0), true
	case "last":
		return exec.AsValue(l.index0 == l.length-1), true
	case "length":
		return exec.AsValue(l.length), true
	case "depth":
		return exec.AsValue(l.depth), true
	case "depth0":
		return exec.AsValue(l.depth - 1), true
	case "previtem":
		if l.index0 == 0 {
			return exec.AsValue(&undefinedVal{err: undefinedf("there is no previous item")}), true
		}
		return exec.AsValue(l.items[l.index0-1]), true
	case "nextitem":
		if l.index0+1 >= len(l.items) {
			return exec.AsValue(&undefinedVal{err: undefinedf("there is no next item")}), true
		}
		return exec.AsValue(l.items[l.index0+1]), true
	case "cycle":
		return exec.AsValue(func(va *exec.VarArgs) (any, error) {
			if len(va.Args) == 0 {
				return nil, fmt.Errorf("no items for cycling given")
			}
			return va.Args[l.index0%len(va.Args)].Interface(), nil
		}), true
	case "changed":
		return exec.AsValue(func(va *exec.VarArgs) (any, error) {
			vals := make([]any, len(va.Args))
			for i, a := range va.Args {
				vals[i] = a.Interface()
			}
			cur := any(tuple(vals))
			if l.hasLast && pyEqual(cur, l.last) {
				return false, nil
			}
			l.last, l.hasLast = cur, true
			return true, nil
		}), true
	}
	return nil, false
}

// ---------------------------------------------------------------- set

type setCS struct {
	base
	targets []string
	nsObj   string // {% set ns.attr = ... %}
	nsAttr  string
	exprs   []nodes.Expression // more than one: a tuple
	body    *nodes.Wrapper
	filters []*nodes.FilterCall
	top     bool
}

func (c *setCS) String() string { return fmt.Sprintf("set(line %d)", c.line()) }

func (st *state) parseSet(p, args *parser.Parser) (nodes.ControlStructure, error) {
	c := &setCS{base: base{st: st, loc: p.Current()}}
	name := args.Match(tokens.Name)
	if name == nil {
		return nil, args.Error("expected a variable name after 'set'", args.Current())
	}
	if args.Match(tokens.Dot) != nil {
		attr := args.Match(tokens.Name)
		if attr == nil {
			return nil, args.Error("expected an attribute name", args.Current())
		}
		c.nsObj, c.nsAttr = name.Val, attr.Val
	} else {
		c.targets = []string{name.Val}
		for args.Match(tokens.Comma) != nil {
			n := args.Match(tokens.Name)
			if n == nil {
				return nil, args.Error("expected a variable name", args.Current())
			}
			c.targets = append(c.targets, n.Val)
		}
	}
	if args.Match(tokens.Assign) == nil {
		// block set: {% set x %}...{% endset %}, optionally filtered
		if c.nsObj != "" || len(c.targets) != 1 {
			return nil, args.Error("a block set takes one variable name", args.Current())
		}
		if args.Match(tokens.Pipe) != nil {
			for {
				f, err := args.ParseFilter()
				if err != nil {
					return nil, err
				}
				c.filters = append(c.filters, f)
				if args.Match(tokens.Pipe) == nil {
					break
				}
			}
		}
		if !args.End() {
			return nil, args.Error("expected '=' or the end of the tag", args.Current())
		}
		w, end, err := p.WrapUntil("endset")
		if err != nil {
			return nil, err
		}
		if !end.End() {
			return nil, end.Error("endset takes no arguments", end.Current())
		}
		c.body = w
		return c, nil
	}
	for {
		e, err := args.ParseExpression()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, args.Error("expected an expression", args.Current())
		}
		c.exprs = append(c.exprs, e)
		if args.Match(tokens.Comma) == nil || args.End() {
			break
		}
	}
	if !args.End() {
		return nil, args.Error("unexpected tokens in 'set'", args.Current())
	}
	return c, nil
}

func (c *setCS) value(r *exec.Renderer) (any, error) {
	st := c.st
	if c.body != nil {
		s, err := capture(r, c.body)
		if err != nil {
			return nil, err
		}
		v := exec.AsValue(s)
		for _, f := range c.filters {
			v = r.Evaluator().ExecuteFilter(f, v)
			if err := valueError(v); err != nil {
				return nil, err
			}
		}
		return st.norm(v.Interface()), nil
	}
	exprs := c.exprs
	vals := make([]any, len(exprs))
	for i, e := range exprs {
		v, err := evalIn(r, e)
		if err != nil {
			if ue, ok := asUndefined(err); ok && len(exprs) == 1 {
				return &undefinedVal{err: ue}, nil
			}
			return nil, err
		}
		vals[i] = st.norm(v)
	}
	if len(vals) == 1 {
		return vals[0], nil
	}
	return tuple(vals), nil
}

func (c *setCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	if err := c.st.tick(); err != nil {
		return err
	}
	v, err := c.value(r)
	if err != nil {
		return c.fail(err)
	}
	ctx := r.Environment.Context
	if c.nsObj != "" {
		obj, ok := ctx.Get(c.nsObj)
		if !ok {
			return c.fail(undefinedf("'%s' is undefined", c.nsObj))
		}
		ns, ok := obj.(*namespace)
		if !ok {
			return c.fail(fmt.Errorf("cannot assign attribute on non-namespace object"))
		}
		ns.set(c.nsAttr, v)
		return nil
	}
	if len(c.targets) == 1 {
		ctx.Set(c.targets[0], v)
		if c.top {
			exportVar(r, c.targets[0], v)
		}
		return nil
	}
	vals, err := c.st.unpack(v, len(c.targets))
	if err != nil {
		return c.fail(err)
	}
	for i, name := range c.targets {
		ctx.Set(name, c.st.norm(vals[i]))
		if c.top {
			exportVar(r, name, vals[i])
		}
	}
	return nil
}

// ---------------------------------------------------------------- with

type withCS struct {
	base
	names []string
	exprs []nodes.Expression
	body  *nodes.Wrapper
}

func (c *withCS) String() string { return fmt.Sprintf("with(line %d)", c.line()) }

func (st *state) parseWith(p, args *parser.Parser) (nodes.ControlStructure, error) {
	c := &withCS{base: base{st: st, loc: p.Current()}}
	for !args.End() {
		name := args.Match(tokens.Name)
		if name == nil {
			return nil, args.Error("expected a variable name", args.Current())
		}
		if args.Match(tokens.Assign) == nil {
			return nil, args.Error("expected '='", args.Current())
		}
		e, err := args.ParseExpression()
		if err != nil {
			return nil, err
		}
		c.names = append(c.names, name.Val)
		c.exprs = append(c.exprs, e)
		if args.Match(tokens.Comma) == nil {
			break
		}
	}
	if !args.End() {
		return nil, args.Error("unexpected tokens in 'with'", args.Current())
	}
	w, end, err := p.WrapUntil("endwith")
	if err != nil {
		return nil, err
	}
	if !end.End() {
		return nil, end.Error("endwith takes no arguments", end.Current())
	}
	c.body = w
	return c, nil
}

func (c *withCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sub := r.Inherit()
	for i, e := range c.exprs {
		v, err := evalIn(r, e)
		if err != nil {
			if ue, ok := asUndefined(err); ok {
				v = &undefinedVal{err: ue}
			} else {
				return c.fail(err)
			}
		}
		sub.Environment.Context.Set(c.names[i], c.st.norm(v))
	}
	return sub.ExecuteWrapper(c.body)
}

// ---------------------------------------------------------------- filter

type filterCS struct {
	base
	filters []*nodes.FilterCall
	body    *nodes.Wrapper
}

func (c *filterCS) String() string { return fmt.Sprintf("filter(line %d)", c.line()) }

func (st *state) parseFilterBlock(p, args *parser.Parser) (nodes.ControlStructure, error) {
	c := &filterCS{base: base{st: st, loc: p.Current()}}
	for !args.End() {
		f, err := args.ParseFilter()
		if err != nil {
			return nil, err
		}
		c.filters = append(c.filters, f)
		if args.Match(tokens.Pipe) == nil {
			break
		}
	}
	if len(c.filters) == 0 || !args.End() {
		return nil, args.Error("expected a filter chain", args.Current())
	}
	w, _, err := p.WrapUntil("endfilter")
	if err != nil {
		return nil, err
	}
	c.body = w
	return c, nil
}

func (c *filterCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	s, err := capture(r, c.body)
	if err != nil {
		return err
	}
	v := exec.AsValue(s)
	for _, f := range c.filters {
		v = r.Evaluator().ExecuteFilter(f, v)
		if err := valueError(v); err != nil {
			return c.fail(err)
		}
	}
	setPos(r.Output, c.file, c.line(), false)
	_, err = io.WriteString(r.Output, pyStr(c.st, v.Interface()))
	return err
}

// ---------------------------------------------------------------- macro

type macroCS struct {
	st    *state
	file  string
	macro *nodes.Macro
	top   bool
	// the body refers to varargs / kwargs: the macro accepts extra
	// positional / keyword arguments (Jinja's implicit parameters)
	usesVarargs, usesKwargs bool
}

func (c *macroCS) Position() *tokens.Token {
	if c.macro.Location == nil {
		return &tokens.Token{}
	}
	return c.macro.Location
}
func (c *macroCS) String() string { return fmt.Sprintf("macro(%s)", c.macro.Name) }

func (c *macroCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	fn := c.st.macroFunc(c, r)
	r.Environment.Context.Set(c.macro.Name, fn)
	if c.top {
		exportVar(r, c.macro.Name, fn)
	}
	return nil
}

// macroFunc builds the function a macro call runs: arguments bound as
// Jinja binds them (missing ones are undefined), the body rendered in a
// child scope of the scope the macro was defined in.
func (st *state) macroFunc(c *macroCS, r *exec.Renderer) func(*exec.VarArgs) *exec.Value {
	m := c.macro
	names := make([]string, len(m.Kwargs))
	for i, p := range m.Kwargs {
		if s, ok := p.Key.(*nodes.String); ok {
			names[i] = s.Val
		}
	}
	fail := func(err error) *exec.Value { return exec.AsValue(&errVal{at(c.file, m.Location.Line, err)}) }
	return func(va *exec.VarArgs) *exec.Value {
		if err := argsError(va); err != nil {
			return exec.AsValue(&errVal{err})
		}
		if st.depth >= maxDepth {
			return fail(fmt.Errorf("maximum template nesting depth (%d) exceeded calling macro '%s'", maxDepth, m.Name))
		}
		if err := st.tick(); err != nil {
			return fail(err)
		}
		st.depth++
		defer func() { st.depth-- }()
		var caller any
		if st.pendingCaller != nil {
			caller = st.pendingCaller
		}
		st.pendingCaller = nil
		var out bytes.Buffer
		sub := r.Inherit()
		sub.Output = &out
		ctx := sub.Environment.Context
		bound := make([]bool, len(names))
		var extra []any
		for i, a := range va.Args {
			if i < len(names) {
				ctx.Set(names[i], st.norm(a.Interface()))
				bound[i] = true
				continue
			}
			if !c.usesVarargs && m.VarArgsName == "" {
				return fail(fmt.Errorf("macro '%s' takes not more than %d argument(s)", m.Name, len(names)))
			}
			extra = append(extra, st.norm(a.Interface()))
		}
		extraKw := st.newDict(0)
		kwNames := make([]string, 0, len(va.KwArgs))
		for k := range va.KwArgs {
			kwNames = append(kwNames, k)
		}
		sort.Strings(kwNames)
		for _, k := range kwNames {
			v := st.norm(va.KwArgs[k].Interface())
			i := indexOf(names, k)
			switch {
			case i >= 0 && bound[i]:
				return fail(fmt.Errorf("macro '%s' got multiple values for argument '%s'", m.Name, k))
			case i >= 0:
				ctx.Set(k, v)
				bound[i] = true
			case k == "caller" && caller == nil:
				caller = v
			case c.usesKwargs || m.KwArgsName != "":
				st.dictSet(extraKw, k, v)
			default:
				return fail(fmt.Errorf("macro '%s' takes no keyword argument '%s'", m.Name, k))
			}
		}
		for i, p := range m.Kwargs {
			if bound[i] {
				continue
			}
			v := sub.Eval(p.Value)
			if err := valueError(v); err != nil {
				if ue, ok := asUndefined(err); ok {
					ctx.Set(names[i], &undefinedVal{err: ue})
					continue
				}
				return fail(err)
			}
			ctx.Set(names[i], st.norm(v.Interface()))
		}
		if extra == nil {
			extra = []any{}
		}
		ctx.Set("varargs", tuple(extra))
		ctx.Set("kwargs", extraKw)
		if m.VarArgsName != "" {
			ctx.Set(m.VarArgsName, tuple(extra))
		}
		if m.KwArgsName != "" {
			ctx.Set(m.KwArgsName, extraKw)
		}
		if caller != nil {
			ctx.Set("caller", caller)
		}
		if err := sub.ExecuteWrapper(m.Wrapper); err != nil {
			return exec.AsValue(&errVal{err})
		}
		return exec.AsSafeValue(out.String())
	}
}

// callCS is {% call macro(...) %}body{% endcall %}: the body is the
// macro's caller().
type callCS struct {
	base
	call *nodes.Call
	body *nodes.Wrapper
}

func (c *callCS) String() string { return fmt.Sprintf("call(line %d)", c.line()) }

func (c *callCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	st := c.st
	body := c.body
	caller := func(va *exec.VarArgs) *exec.Value {
		s, err := capture(r, body)
		if err != nil {
			return exec.AsValue(&errVal{err})
		}
		return exec.AsSafeValue(s)
	}
	st.pendingCaller = caller
	v, err := evalIn(r, c.call)
	st.pendingCaller = nil
	if err != nil {
		return c.fail(err)
	}
	setPos(r.Output, c.file, c.line(), false)
	_, err = io.WriteString(r.Output, pyStr(st, v))
	return err
}

// doCS is {% do expr %}.
type doCS struct {
	base
	expr nodes.Expression
}

func (c *doCS) String() string { return fmt.Sprintf("do(line %d)", c.line()) }

func (c *doCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	if err := c.st.tick(); err != nil {
		return err
	}
	if _, err := evalIn(r, c.expr); err != nil {
		return c.fail(err)
	}
	return nil
}

// ---------------------------------------------------------------- include

type includeCS struct {
	base
	expr          nodes.Expression
	ignoreMissing bool
	withContext   bool
}

func (c *includeCS) String() string { return fmt.Sprintf("include(line %d)", c.line()) }

// parseContextClause reads an optional "with context"/"without context".
func parseContextClause(args *parser.Parser, dflt bool) bool {
	if tok := args.MatchName("with", "without"); tok != nil {
		if args.MatchName("context") != nil {
			return tok.Val == "with"
		}
		args.Stream().Backup()
	}
	return dflt
}

func (st *state) parseInclude(p, args *parser.Parser) (nodes.ControlStructure, error) {
	c := &includeCS{base: base{st: st, loc: p.Current()}}
	e, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	c.expr = e
	if args.MatchName("ignore") != nil {
		if args.MatchName("missing") == nil {
			return nil, args.Error("expected 'missing' after 'ignore'", args.Current())
		}
		c.ignoreMissing = true
	}
	c.withContext = parseContextClause(args, true)
	if !args.End() {
		return nil, args.Error("unexpected tokens in 'include'", args.Current())
	}
	return c, nil
}

// templateNames turns an include/import target into candidate names.
func (st *state) templateNames(v any) ([]string, error) {
	if s, ok := v.(string); ok {
		return []string{s}, nil
	}
	if items, ok := listItems(v); ok {
		var names []string
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("template names must be strings, not %s", typeName(it))
			}
			names = append(names, s)
		}
		return names, nil
	}
	if u, ok := v.(*undefinedVal); ok {
		return nil, u.err
	}
	return nil, fmt.Errorf("template name must be a string, not %s", typeName(v))
}

// findTemplate compiles the first existing template among names.
func (st *state) findTemplate(r *exec.Renderer, names []string) (*tmpl, error) {
	from := currentTemplate(r)
	var lastErr error
	for _, n := range names {
		t, err := st.compile(resolvePath(from, n))
		if err == nil {
			return t, nil
		}
		var nf *notFoundError
		if !findErr(err, &nf) {
			return nil, err
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("no template name given")
	}
	return nil, lastErr
}

func (c *includeCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	v, err := evalIn(r, c.expr)
	if err != nil {
		return c.fail(err)
	}
	names, err := c.st.templateNames(v)
	if err != nil {
		return c.fail(err)
	}
	t, err := c.st.findTemplate(r, names)
	if err != nil {
		var nf *notFoundError
		if c.ignoreMissing && findErr(err, &nf) {
			return nil
		}
		return c.fail(err)
	}
	if c.st.depth >= maxDepth {
		return c.fail(fmt.Errorf("maximum template nesting depth (%d) exceeded including %q", maxDepth, t.name))
	}
	parent := c.st.root
	if c.withContext {
		// included templates see the includer's variables, but not loop
		parent = r.Environment.Context.Inherit()
		parent.Set("loop", &undefinedVal{err: undefinedf("'loop' is undefined")})
	}
	if err := c.st.execute(t, parent, r.Output, nil); err != nil {
		return atMsg(t.name, err)
	}
	return nil
}

// atMsg positions err in file, taking the line from gonja's message when
// nothing more precise is known.
func atMsg(file string, err error) error {
	line := 0
	if m := reAtLine.FindAllStringSubmatch(err.Error(), -1); m != nil {
		fmt.Sscan(m[len(m)-1][1], &line)
	}
	return at(file, line, err)
}

// ---------------------------------------------------------------- import

// importCS is {% import %} and Salt's {% import_yaml/json/text %}.
type importCS struct {
	base
	kind        string // import, yaml, json, text
	expr        nodes.Expression
	alias       string
	withContext bool
	top         bool
}

func (c *importCS) String() string { return fmt.Sprintf("import(line %d)", c.line()) }

func (st *state) parseImport(kind string) parser.ControlStructureParser {
	return func(p, args *parser.Parser) (nodes.ControlStructure, error) {
		c := &importCS{base: base{st: st, loc: p.Current()}, kind: kind}
		e, err := args.ParseExpression()
		if err != nil {
			return nil, err
		}
		c.expr = e
		if args.MatchName("as") == nil {
			return nil, args.Error("expected 'as'", args.Current())
		}
		alias := args.Match(tokens.Name)
		if alias == nil {
			return nil, args.Error("expected a variable name after 'as'", args.Current())
		}
		c.alias = alias.Val
		c.withContext = parseContextClause(args, false)
		if !args.End() {
			return nil, args.Error("unexpected tokens in 'import'", args.Current())
		}
		return c, nil
	}
}

// importModule renders the template named by expr as a module.
func (st *state) importModule(r *exec.Renderer, expr nodes.Expression, withContext bool) (*module, error) {
	v, err := evalIn(r, expr)
	if err != nil {
		return nil, err
	}
	if m, ok := v.(*module); ok {
		return m, nil
	}
	names, err := st.templateNames(v)
	if err != nil {
		return nil, err
	}
	t, err := st.findTemplate(r, names)
	if err != nil {
		return nil, err
	}
	parent := st.root
	if withContext {
		parent = r.Environment.Context
	}
	exports := map[string]any{}
	var body bytes.Buffer
	if err := st.execute(t, parent, &body, exports); err != nil {
		return nil, atMsg(t.name, err)
	}
	return &module{name: t.name, vars: exports, body: body.String()}, nil
}

func (c *importCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	mod, err := c.st.importModule(r, c.expr, c.withContext)
	if err != nil {
		return c.fail(err)
	}
	var v any = mod
	switch c.kind {
	case "yaml":
		v, err = c.st.loadYAML(mod.body)
	case "json":
		v, err = c.st.loadJSON(mod.body)
	case "text":
		v = mod.body
	}
	if err != nil {
		return c.fail(fmt.Errorf("%s: %w", mod.name, err))
	}
	r.Environment.Context.Set(c.alias, v)
	if c.top && c.kind != "import" {
		exportVar(r, c.alias, v)
	}
	return nil
}

type fromCS struct {
	base
	expr        nodes.Expression
	names       [][2]string // name, alias
	withContext bool
}

func (c *fromCS) String() string { return fmt.Sprintf("from(line %d)", c.line()) }

func (st *state) parseFrom(p, args *parser.Parser) (nodes.ControlStructure, error) {
	c := &fromCS{base: base{st: st, loc: p.Current()}}
	e, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	c.expr = e
	if args.MatchName("import") == nil {
		return nil, args.Error("expected 'import'", args.Current())
	}
	for !args.End() {
		if tok := args.CurrentName("with", "without"); tok != nil {
			if nx := args.Peek(tokens.Name); nx != nil && nx.Val == "context" {
				break
			}
		}
		name := args.Match(tokens.Name)
		if name == nil {
			return nil, args.Error("expected a name to import", args.Current())
		}
		alias := name.Val
		if args.MatchName("as") != nil {
			a := args.Match(tokens.Name)
			if a == nil {
				return nil, args.Error("expected a name after 'as'", args.Current())
			}
			alias = a.Val
		}
		c.names = append(c.names, [2]string{name.Val, alias})
		if args.Match(tokens.Comma) == nil {
			break
		}
	}
	c.withContext = parseContextClause(args, false)
	if len(c.names) == 0 || !args.End() {
		return nil, args.Error("malformed 'from' tag", args.Current())
	}
	return c, nil
}

func (c *fromCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	mod, err := c.st.importModule(r, c.expr, c.withContext)
	if err != nil {
		return c.fail(err)
	}
	for _, n := range c.names {
		v, ok := mod.vars[n[0]]
		if !ok {
			v = &undefinedVal{err: undefinedf("the template %s (imported on line %d) does not export the requested name %s", pyQuote(mod.name), c.line(), pyQuote(n[0]))}
		}
		r.Environment.Context.Set(n[1], v)
	}
	return nil
}

// ---------------------------------------------------------------- load

// loadCS is Salt's {% load_yaml as x %}...{% endload %} (and json, text).
type loadCS struct {
	base
	kind  string
	alias string
	body  *nodes.Wrapper
	top   bool
}

func (c *loadCS) String() string { return fmt.Sprintf("load_%s(line %d)", c.kind, c.line()) }

func (st *state) parseLoad(kind string) parser.ControlStructureParser {
	return func(p, args *parser.Parser) (nodes.ControlStructure, error) {
		c := &loadCS{base: base{st: st, loc: p.Current()}, kind: kind}
		if args.MatchName("as") == nil {
			return nil, args.Error("expected 'as'", args.Current())
		}
		alias := args.Match(tokens.Name)
		if alias == nil {
			return nil, args.Error("expected a variable name after 'as'", args.Current())
		}
		c.alias = alias.Val
		if !args.End() {
			return nil, args.Error("unexpected tokens in 'load_"+kind+"'", args.Current())
		}
		w, end, err := p.WrapUntil("endload")
		if err != nil {
			return nil, err
		}
		if !end.End() {
			return nil, end.Error("endload takes no arguments", end.Current())
		}
		c.body = w
		return c, nil
	}
}

func (c *loadCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	s, err := capture(r, c.body)
	if err != nil {
		return err
	}
	var v any
	switch c.kind {
	case "yaml":
		v, err = c.st.loadYAML(s)
	case "json":
		v, err = c.st.loadJSON(s)
	default:
		v = s
	}
	if err != nil {
		return c.fail(err)
	}
	r.Environment.Context.Set(c.alias, v)
	if c.top {
		exportVar(r, c.alias, v)
	}
	return nil
}

// rawCS is {% raw %}...{% endraw %} (gonja's panics on an empty block).
type rawCS struct {
	base
	data *nodes.Data
	text *dataCS
}

func (c *rawCS) String() string { return fmt.Sprintf("raw(line %d)", c.line()) }

func (st *state) parseRaw(p, args *parser.Parser) (nodes.ControlStructure, error) {
	c := &rawCS{base: base{st: st}}
	if !args.End() {
		return nil, args.Error("raw takes no arguments", args.Current())
	}
	w, _, err := p.WrapUntil("endraw")
	if err != nil {
		return nil, err
	}
	switch len(w.Nodes) {
	case 0:
	case 1:
		d, ok := w.Nodes[0].(*nodes.Data)
		if !ok {
			return nil, p.Error("raw can only contain text", w.Nodes[0].Position())
		}
		c.data = d
	default:
		return nil, p.Error("raw can only contain text", w.Nodes[1].Position())
	}
	return c, nil
}

func (c *rawCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	if c.text == nil {
		return nil
	}
	return c.text.Execute(r, nil)
}

// profileCS is Salt's {% profile as 'label' %}...{% endprofile %}: it only
// renders its body (Salt logs the time taken).
type profileCS struct {
	base
	body *nodes.Wrapper
}

func (c *profileCS) String() string { return fmt.Sprintf("profile(line %d)", c.line()) }

func (st *state) parseProfile(p, args *parser.Parser) (nodes.ControlStructure, error) {
	c := &profileCS{base: base{st: st, loc: p.Current()}}
	for !args.End() {
		args.Next()
	}
	w, _, err := p.WrapUntil("endprofile")
	if err != nil {
		return nil, err
	}
	c.body = w
	return c, nil
}

func (c *profileCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	return r.ExecuteIfWrapper(c.body)
}
