package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Jinja2's expression grammar. gonja's parser gets operator precedence
// wrong in ways that silently change a template's meaning: filters bind
// looser than "in" ('launch' in subject|lower is ('launch' in
// subject)|lower), comparisons do not chain, "is" tests bind looser than
// arithmetic, "not" cannot repeat and an inline if/else is refused inside
// a larger expression. exprParser is a port of jinja2/parser.py's
// expression productions (parse_tuple down to parse_primary) working on
// gonja's tokens and building gonja's nodes, plus compareExpr and
// condExpr for the two constructs gonja has no node for. The rewriter
// turns the result into closures like any other expression.
//
// Precedence, loosest first, as in Jinja2:
//
//	x if c else y
//	or
//	and
//	not (prefix, repeatable)
//	== != < > <= >= in, not in (chained: a < b < c)
//	+ -
//	~
//	* / // %
//	** (left-associative, unlike Python)
//	- + (prefix), then postfix .x [x] (x), then |filter, is test, (call)

type exprParser struct {
	toks  []*tokens.Token
	i     int
	eof   *tokens.Token
	depth int // recursion depth, bounded by maxParseDepth
}

// maxParseDepth bounds the recursion of the parser (and so of the
// evaluation of what it builds): about 300 nested brackets, or 1,000
// chained unary operators or inline ifs. Python's recursion limit stops
// Jinja2 near there; a goroutine out of stack would kill the process.
const maxParseDepth = 1000

// enter counts one level of recursion; leave must follow.
func (p *exprParser) enter() error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.fail(p.cur(), "expression nested too deeply")
	}
	return nil
}

func (p *exprParser) leave() { p.depth-- }

// chained checks a loop that nests the node it builds n levels deep
// (a + b + c, a.b.c, a|f|g).
func (p *exprParser) chained(n int) error {
	if p.depth+n > maxParseDepth {
		return p.fail(p.cur(), "expression nested too deeply")
	}
	return nil
}

func newExprParser(toks []*tokens.Token) *exprParser {
	line := 0
	if len(toks) > 0 {
		line = toks[len(toks)-1].Line
	}
	return &exprParser{toks: toks, eof: &tokens.Token{Type: tokens.EOF, Line: line}}
}

func (p *exprParser) cur() *tokens.Token { return p.look(0) }

func (p *exprParser) look(n int) *tokens.Token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.eof
}

func (p *exprParser) next() *tokens.Token {
	t := p.cur()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *exprParser) fail(t *tokens.Token, format string, args ...any) error {
	return &parser.SyntaxError{Message: fmt.Sprintf(format, args...), Line: t.Line}
}

// describe names a token in an error message as Jinja2 does.
func describe(t *tokens.Token) string {
	switch t.Type {
	case tokens.EOF:
		return "end of template"
	case tokens.VariableEnd:
		return "end of print statement"
	case tokens.BlockEnd:
		return "end of statement block"
	case tokens.String:
		return "string"
	case tokens.Integer:
		return "integer"
	case tokens.Float:
		return "float"
	}
	return fmt.Sprintf("'%s'", t.Val)
}

// keywordTypes are the token types gonja's lexer gives some of Jinja2's
// keywords; Jinja2 lexes them as names.
func isKeywordType(t tokens.Type) bool {
	switch t {
	case tokens.In, tokens.Is, tokens.And, tokens.Or, tokens.Not:
		return true
	}
	return false
}

// isName reports whether t is a name token (keywords included), as
// Jinja2's lexer sees it.
func isName(t *tokens.Token) bool {
	return t.Type == tokens.Name || isKeywordType(t.Type)
}

// kw reports whether t is the keyword (or name) word. gonja lexes "in",
// "is", "and", "or" and "not" as their own types only when a space
// follows; otherwise they are names.
func kw(t *tokens.Token, word string) bool {
	return isName(t) && t.Val == word
}

func (p *exprParser) skipKw(word string) *tokens.Token {
	if kw(p.cur(), word) {
		return p.next()
	}
	return nil
}

func (p *exprParser) expect(typ tokens.Type, what string) (*tokens.Token, error) {
	t := p.cur()
	if t.Type != typ {
		return nil, p.fail(t, "expected token '%s', got %s", what, describe(t))
	}
	return p.next(), nil
}

func (p *exprParser) expectName() (*tokens.Token, error) {
	t := p.cur()
	if !isName(t) {
		return nil, p.fail(t, "expected token 'name', got %s", describe(t))
	}
	return p.next(), nil
}

// withType returns t, or a copy of it with type typ.
func withType(t *tokens.Token, typ tokens.Type) *tokens.Token {
	if t.Type == typ {
		return t
	}
	c := *t
	c.Type = typ
	return &c
}

// isTupleEnd is Jinja2's is_tuple_end: the end of a print or block tag,
// a closing parenthesis, or one of the extra end words.
func (p *exprParser) isTupleEnd(extraEnd []string) bool {
	t := p.cur()
	switch t.Type {
	case tokens.VariableEnd, tokens.BlockEnd, tokens.RightParenthesis, tokens.EOF:
		return true
	}
	for _, w := range extraEnd {
		if kw(t, w) {
			return true
		}
	}
	return false
}

// parseTuple is Jinja2's parse_tuple: one expression, or a tuple of
// comma-separated ones.
func (p *exprParser) parseTuple(withCondexpr bool, extraEnd []string, explicitParens bool) (nodes.Expression, error) {
	start := p.cur()
	var args []nodes.Expression
	isTuple := false
	for {
		if len(args) > 0 {
			if _, err := p.expect(tokens.Comma, ","); err != nil {
				return nil, err
			}
		}
		if p.isTupleEnd(extraEnd) {
			break
		}
		e, err := p.parseExpression(withCondexpr)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
		if p.cur().Type == tokens.Comma {
			isTuple = true
		} else {
			break
		}
	}
	if !isTuple {
		if len(args) > 0 {
			return args[0], nil
		}
		if !explicitParens {
			return nil, p.fail(p.cur(), "expected an expression, got %s", describe(p.cur()))
		}
	}
	if args == nil {
		args = []nodes.Expression{}
	}
	return &nodes.Tuple{Location: start, Val: args}, nil
}

func (p *exprParser) parseExpression(withCondexpr bool) (nodes.Expression, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if withCondexpr {
		return p.parseCondexpr()
	}
	return p.parseOr()
}

// condExpr is Jinja2's inline "then if test else otherwise".
type condExpr struct {
	loc                   *tokens.Token
	test, then, otherwise nodes.Expression
}

func (c *condExpr) Position() *tokens.Token { return c.loc }
func (c *condExpr) String() string {
	return fmt.Sprintf("CondExpr(%s if %s else %v)", c.then, c.test, c.otherwise)
}

func (p *exprParser) parseCondexpr() (nodes.Expression, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	expr1, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for {
		ifTok := p.skipKw("if")
		if ifTok == nil {
			return expr1, nil
		}
		expr2, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		var expr3 nodes.Expression
		if p.skipKw("else") != nil {
			if expr3, err = p.parseCondexpr(); err != nil {
				return nil, err
			}
		}
		expr1 = &condExpr{loc: ifTok, test: expr2, then: expr1, otherwise: expr3}
	}
}

func (p *exprParser) parseOr() (nodes.Expression, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for kw(p.cur(), "or") {
		op := withType(p.next(), tokens.Or)
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &nodes.BinaryExpression{Left: left, Right: right, Operator: &nodes.BinOperator{Token: op}}
	}
	return left, nil
}

func (p *exprParser) parseAnd() (nodes.Expression, error) {
	left, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for kw(p.cur(), "and") {
		op := withType(p.next(), tokens.And)
		right, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		left = &nodes.BinaryExpression{Left: left, Right: right, Operator: &nodes.BinOperator{Token: op}}
	}
	return left, nil
}

func (p *exprParser) parseNot() (nodes.Expression, error) {
	if kw(p.cur(), "not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		op := p.next()
		term, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &nodes.Negation{Operator: op, Term: term}, nil
	}
	return p.parseCompare()
}

// compareExpr is a comparison chain: a < b <= c is a < b and b <= c, with
// b evaluated once, stopping at the first false comparison.
type compareExpr struct {
	first nodes.Expression
	ops   []compareOp
}

type compareOp struct {
	tok  *tokens.Token
	op   string // ==, !=, <, >, <=, >=, in, notin
	expr nodes.Expression
}

func (c *compareExpr) Position() *tokens.Token { return c.ops[0].tok }
func (c *compareExpr) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Compare(%s", c.first)
	for _, o := range c.ops {
		fmt.Fprintf(&b, " %s %s", o.op, o.expr)
	}
	b.WriteString(")")
	return b.String()
}

var compareSyms = map[tokens.Type]string{
	tokens.Equals:             "==",
	tokens.Ne:                 "!=",
	tokens.LowerThan:          "<",
	tokens.GreaterThan:        ">",
	tokens.LowerThanOrEqual:   "<=",
	tokens.GreaterThanOrEqual: ">=",
}

func (p *exprParser) parseCompare() (nodes.Expression, error) {
	expr, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	var ops []compareOp
	for {
		t := p.cur()
		var op string
		if sym, ok := compareSyms[t.Type]; ok {
			p.next()
			op = sym
		} else if kw(t, "in") {
			p.next()
			op = "in"
		} else if kw(t, "not") && kw(p.look(1), "in") {
			p.next()
			p.next()
			op = "notin"
		} else {
			break
		}
		right, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		ops = append(ops, compareOp{tok: t, op: op, expr: right})
	}
	if len(ops) == 0 {
		return expr, nil
	}
	return &compareExpr{first: expr, ops: ops}, nil
}

func (p *exprParser) binary(next func() (nodes.Expression, error), types ...tokens.Type) (nodes.Expression, error) {
	left, err := next()
	if err != nil {
		return nil, err
	}
	for n := 1; ; n++ {
		t := p.cur()
		match := false
		for _, typ := range types {
			if t.Type == typ {
				match = true
			}
		}
		if !match {
			return left, nil
		}
		if err := p.chained(n); err != nil {
			return nil, err
		}
		p.next()
		right, err := next()
		if err != nil {
			return nil, err
		}
		left = &nodes.BinaryExpression{Left: left, Right: right, Operator: &nodes.BinOperator{Token: t}}
	}
}

func (p *exprParser) parseMath1() (nodes.Expression, error) {
	return p.binary(p.parseConcat, tokens.Addition, tokens.Subtraction)
}

func (p *exprParser) parseConcat() (nodes.Expression, error) {
	return p.binary(p.parseMath2, tokens.Tilde)
}

func (p *exprParser) parseMath2() (nodes.Expression, error) {
	return p.binary(p.parsePow, tokens.Multiply, tokens.Division, tokens.FloorDivision, tokens.Modulo)
}

func (p *exprParser) parsePow() (nodes.Expression, error) {
	return p.binary(func() (nodes.Expression, error) { return p.parseUnary(true) }, tokens.Power)
}

func (p *exprParser) parseUnary(withFilter bool) (nodes.Expression, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.cur()
	var node nodes.Expression
	var err error
	switch t.Type {
	case tokens.Subtraction, tokens.Addition:
		p.next()
		term, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		node = &nodes.UnaryExpression{Operator: t, Negative: t.Type == tokens.Subtraction, Term: term}
	default:
		if node, err = p.parsePrimary(); err != nil {
			return nil, err
		}
	}
	if node, err = p.parsePostfix(node); err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(node)
	}
	return node, nil
}

// unquote turns a string token's text into its value as gonja's parser
// does.
// unquote is a String token's value: lexTokens decoded it from the
// source with Python's escapes.
func unquote(t *tokens.Token) (string, error) {
	return t.Val, nil
}

func (p *exprParser) parsePrimary() (nodes.Expression, error) {
	t := p.cur()
	if isName(t) {
		// keywords in operand position are names, as in Jinja2
		p.next()
		switch t.Val {
		case "true", "True":
			return &nodes.Bool{Location: t, Val: true}, nil
		case "false", "False":
			return &nodes.Bool{Location: t, Val: false}, nil
		case "none", "None":
			return &nodes.None{Location: t}, nil
		}
		return &nodes.Name{Name: withType(t, tokens.Name)}, nil
	}
	switch t.Type {
	case tokens.String:
		var b strings.Builder
		for p.cur().Type == tokens.String {
			s, err := unquote(p.next())
			if err != nil {
				return nil, p.fail(t, "%s", err)
			}
			b.WriteString(s)
		}
		return &nodes.String{Location: t, Val: b.String()}, nil
	case tokens.Integer:
		p.next()
		i, err := strconv.ParseInt(strings.ReplaceAll(t.Val, "_", ""), 0, 64)
		if err != nil {
			return nil, p.fail(t, "integer literal %s does not fit in 64 bits", t.Val)
		}
		return &nodes.Integer{Location: t, Val: int(i)}, nil
	case tokens.Float:
		p.next()
		f, err := strconv.ParseFloat(strings.ReplaceAll(t.Val, "_", ""), 64)
		if err != nil {
			return nil, p.fail(t, "invalid float literal %s", t.Val)
		}
		return &nodes.Float{Location: t, Val: f}, nil
	case tokens.LeftParenthesis:
		p.next()
		e, err := p.parseTuple(true, nil, true)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokens.RightParenthesis, ")"); err != nil {
			return nil, err
		}
		return e, nil
	case tokens.LeftBracket:
		return p.parseList()
	case tokens.LeftBrace:
		return p.parseDict()
	}
	return nil, p.fail(t, "unexpected %s", describe(t))
}

func (p *exprParser) parseList() (nodes.Expression, error) {
	start := p.next()
	items := []nodes.Expression{}
	for p.cur().Type != tokens.RightBracket {
		if len(items) > 0 {
			if _, err := p.expect(tokens.Comma, ","); err != nil {
				return nil, err
			}
		}
		if p.cur().Type == tokens.RightBracket {
			break
		}
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	if _, err := p.expect(tokens.RightBracket, "]"); err != nil {
		return nil, err
	}
	return &nodes.List{Location: start, Val: items}, nil
}

func (p *exprParser) parseDict() (nodes.Expression, error) {
	start := p.next()
	d := &nodes.Dict{Token: start, Pairs: []*nodes.Pair{}}
	for p.cur().Type != tokens.RightBrace {
		if len(d.Pairs) > 0 {
			if _, err := p.expect(tokens.Comma, ","); err != nil {
				return nil, err
			}
		}
		if p.cur().Type == tokens.RightBrace {
			break
		}
		k, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokens.Colon, ":"); err != nil {
			return nil, err
		}
		v, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		d.Pairs = append(d.Pairs, &nodes.Pair{Key: k, Value: v})
	}
	if _, err := p.expect(tokens.RightBrace, "}"); err != nil {
		return nil, err
	}
	return d, nil
}

func (p *exprParser) parsePostfix(node nodes.Expression) (nodes.Expression, error) {
	for n := 1; ; n++ {
		if err := p.chained(n); err != nil {
			return nil, err
		}
		var err error
		switch p.cur().Type {
		case tokens.Dot, tokens.LeftBracket:
			node, err = p.parseSubscript(node)
		case tokens.LeftParenthesis:
			node, err = p.parseCall(node)
		default:
			return node, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *exprParser) parseFilterExpr(node nodes.Expression) (nodes.Expression, error) {
	for n := 1; ; n++ {
		if err := p.chained(n); err != nil {
			return nil, err
		}
		var err error
		switch t := p.cur(); {
		case t.Type == tokens.Pipe:
			node, err = p.parseFilter(node)
		case kw(t, "is"):
			node, err = p.parseTest(node)
		case t.Type == tokens.LeftParenthesis:
			node, err = p.parseCall(node)
		default:
			return node, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *exprParser) parseSubscript(node nodes.Expression) (nodes.Expression, error) {
	t := p.next()
	if t.Type == tokens.Dot {
		a := p.cur()
		switch {
		case isName(a):
			p.next()
			return &nodes.GetAttribute{Location: t, Node: node, Attribute: a.Val}, nil
		case a.Type == tokens.Integer:
			p.next()
			i, err := strconv.Atoi(a.Val)
			if err != nil {
				return nil, p.fail(a, "invalid index %s", a.Val)
			}
			return &nodes.GetItem{Location: t, Node: node, Arg: &nodes.Integer{Location: a, Val: i}}, nil
		}
		return nil, p.fail(a, "expected name or number")
	}
	// [ ... ]
	var args []nodes.Expression
	var slice *nodes.GetSlice
	for p.cur().Type != tokens.RightBracket {
		if len(args) > 0 {
			if _, err := p.expect(tokens.Comma, ","); err != nil {
				return nil, err
			}
		}
		a, sl, err := p.parseSubscribed(t, node)
		if err != nil {
			return nil, err
		}
		if sl != nil {
			slice = sl
		}
		args = append(args, a)
	}
	if _, err := p.expect(tokens.RightBracket, "]"); err != nil {
		return nil, err
	}
	switch {
	case len(args) == 0:
		return nil, p.fail(t, "expected an expression, got ']'")
	case len(args) == 1 && slice != nil:
		return slice, nil
	case slice != nil:
		return nil, p.fail(t, "slices inside a tuple subscript are not supported")
	case len(args) == 1:
		return &nodes.GetItem{Location: t, Node: node, Arg: args[0]}, nil
	}
	return &nodes.GetItem{Location: t, Node: node, Arg: &nodes.Tuple{Location: t, Val: args}}, nil
}

// parseSubscribed parses one subscript: an expression or a slice.
func (p *exprParser) parseSubscribed(loc *tokens.Token, obj nodes.Expression) (nodes.Expression, *nodes.GetSlice, error) {
	var bounds [3]nodes.Expression
	if p.cur().Type == tokens.Colon {
		p.next()
	} else {
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, nil, err
		}
		if p.cur().Type != tokens.Colon {
			return e, nil, nil
		}
		p.next()
		bounds[0] = e
	}
	endOfPart := func() bool {
		t := p.cur().Type
		return t == tokens.RightBracket || t == tokens.Comma
	}
	if p.cur().Type != tokens.Colon && !endOfPart() {
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, nil, err
		}
		bounds[1] = e
	}
	if p.cur().Type == tokens.Colon {
		p.next()
		if !endOfPart() {
			e, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, err
			}
			bounds[2] = e
		}
	}
	sl := &nodes.GetSlice{Location: loc, Node: obj}
	// nil nodes.Node fields must stay untyped nil
	if bounds[0] != nil {
		sl.Start = bounds[0]
	}
	if bounds[1] != nil {
		sl.End = bounds[1]
	}
	if bounds[2] != nil {
		sl.Step = bounds[2]
	}
	return sl, sl, nil
}

// parseCallArgs parses "(args, key=value, *args, **kwargs)" with
// Jinja2's rules; *args and **kwargs come back under the keyword names
// "*" and "**" (names no template can write).
func (p *exprParser) parseCallArgs() ([]nodes.Expression, map[string]nodes.Expression, error) {
	if _, err := p.expect(tokens.LeftParenthesis, "("); err != nil {
		return nil, nil, err
	}
	args := []nodes.Expression{}
	kwargs := map[string]nodes.Expression{}
	requireComma := false
	named := 0
	for p.cur().Type != tokens.RightParenthesis {
		if requireComma {
			if _, err := p.expect(tokens.Comma, ","); err != nil {
				return nil, nil, err
			}
			if p.cur().Type == tokens.RightParenthesis {
				break
			}
		}
		t := p.cur()
		_, dynArgs := kwargs["*"]
		_, dynKwargs := kwargs["**"]
		switch {
		case t.Type == tokens.Multiply:
			if dynArgs || dynKwargs {
				return nil, nil, p.fail(t, "invalid syntax for function call expression")
			}
			p.next()
			v, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, err
			}
			kwargs["*"] = v
		case t.Type == tokens.Power:
			if dynKwargs {
				return nil, nil, p.fail(t, "invalid syntax for function call expression")
			}
			p.next()
			v, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, err
			}
			kwargs["**"] = v
		case isName(t) && p.look(1).Type == tokens.Assign:
			if dynKwargs {
				return nil, nil, p.fail(t, "invalid syntax for function call expression")
			}
			p.next()
			p.next()
			v, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, err
			}
			if _, dup := kwargs[t.Val]; dup {
				return nil, nil, p.fail(t, "keyword argument repeated: %s", t.Val)
			}
			kwargs[t.Val] = v
			named++
		default:
			if named > 0 || dynArgs || dynKwargs {
				return nil, nil, p.fail(t, "invalid syntax for function call expression")
			}
			v, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, err
			}
			args = append(args, v)
		}
		requireComma = true
	}
	if _, err := p.expect(tokens.RightParenthesis, ")"); err != nil {
		return nil, nil, err
	}
	return args, kwargs, nil
}

// noDynArgs refuses *args and **kwargs where only plain arguments are
// taken (filters and tests).
func (p *exprParser) noDynArgs(t *tokens.Token, kwargs map[string]nodes.Expression) error {
	_, a := kwargs["*"]
	_, k := kwargs["**"]
	if a || k {
		return p.fail(t, "*args and **kwargs in filter and test calls are not supported")
	}
	return nil
}

func (p *exprParser) parseCall(node nodes.Expression) (nodes.Expression, error) {
	loc := p.cur()
	args, kwargs, err := p.parseCallArgs()
	if err != nil {
		return nil, err
	}
	return &nodes.Call{Location: loc, Func: node, Args: args, Kwargs: kwargs}, nil
}

func (p *exprParser) parseFilter(node nodes.Expression) (nodes.Expression, error) {
	fe := &nodes.FilteredExpression{Expression: node}
	for p.cur().Type == tokens.Pipe {
		p.next()
		name, err := p.expectName()
		if err != nil {
			return nil, err
		}
		fc := &nodes.FilterCall{Token: name, Name: name.Val, Args: []nodes.Expression{}, Kwargs: map[string]nodes.Expression{}}
		for p.cur().Type == tokens.Dot {
			p.next()
			part, err := p.expectName()
			if err != nil {
				return nil, err
			}
			fc.Name += "." + part.Val
		}
		if p.cur().Type == tokens.LeftParenthesis {
			if fc.Args, fc.Kwargs, err = p.parseCallArgs(); err != nil {
				return nil, err
			}
			if err := p.noDynArgs(name, fc.Kwargs); err != nil {
				return nil, err
			}
		}
		fe.Filters = append(fe.Filters, fc)
	}
	return fe, nil
}

func (p *exprParser) parseTest(node nodes.Expression) (nodes.Expression, error) {
	p.next() // is
	negated := p.skipKw("not")
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	tc := &nodes.TestCall{Token: name, Name: name.Val, Args: []nodes.Expression{}, Kwargs: map[string]nodes.Expression{}}
	for p.cur().Type == tokens.Dot {
		p.next()
		part, err := p.expectName()
		if err != nil {
			return nil, err
		}
		tc.Name += "." + part.Val
	}
	t := p.cur()
	switch {
	case t.Type == tokens.LeftParenthesis:
		if tc.Args, tc.Kwargs, err = p.parseCallArgs(); err != nil {
			return nil, err
		}
		if err := p.noDynArgs(name, tc.Kwargs); err != nil {
			return nil, err
		}
	case (isName(t) || t.Type == tokens.String || t.Type == tokens.Integer || t.Type == tokens.Float ||
		t.Type == tokens.LeftBracket || t.Type == tokens.LeftBrace) &&
		!kw(t, "else") && !kw(t, "or") && !kw(t, "and"):
		if kw(t, "is") {
			return nil, p.fail(t, "You cannot chain multiple tests with is")
		}
		arg, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if arg, err = p.parsePostfix(arg); err != nil {
			return nil, err
		}
		tc.Args = []nodes.Expression{arg}
	}
	var out nodes.Expression = &nodes.TestExpression{Expression: node, Test: tc}
	if negated != nil {
		out = &nodes.Negation{Operator: negated, Term: out}
	}
	return out, nil
}
