package target

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func init() {
	register(Kind{Name: "compound", Flags: []string{"-C", "--compound"}}, compileCompound)
}

// Compound targets follow Salt's compound matcher:
//
//	G@roles:web and not G@env:test or L@a,b or web*
//
// A term is a bare id glob or TYPE@PATTERN with TYPE one of
//
//	G grain          P grain_pcre     I pillar     J pillar_pcre
//	L list           E pcre (on ids)  S ipcidr
//
// G, P, I and J take an optional delimiter between the letter and the '@'
// ("G;@key;value") for keys or values that contain ':'. Terms are joined by
// the operators "and", "or" and "not" (lower case) with the precedence
// not > and > or, and grouped with parentheses, which may stand alone or be
// attached to terms: "( G@a:b or web* )" and "(G@a:b or web*)" are the same.
// As in Salt, "not" directly after a term means "and not": "web* not web3"
// is "web* and not web3".
//
// A ')' at the end of a TYPE@ term closes a group only when it is not
// balanced by a '(' within the term, so regular expressions such as
// "P@os:(RedHat|CentOS)" keep their groups. Parentheses inside a bare glob
// always delimit groups.

// unsupportedEngines are Salt's term types that Brine does not offer.
var unsupportedEngines = map[byte]string{
	'R': "range expressions (R@) are not supported",
}

// maxCompoundDepth bounds the nesting of parentheses and "not", which keeps
// the parser's recursion and the matcher tree shallow.
const maxCompoundDepth = 100

type andMatcher []Matcher

func (m andMatcher) Match(mi *Minion) bool {
	for _, x := range m {
		if !x.Match(mi) {
			return false
		}
	}
	return true
}

type orMatcher []Matcher

func (m orMatcher) Match(mi *Minion) bool {
	for _, x := range m {
		if x.Match(mi) {
			return true
		}
	}
	return false
}

type notMatcher struct{ m Matcher }

func (m notMatcher) Match(mi *Minion) bool { return mi != nil && !m.m.Match(mi) }

func compileCompound(expr string) (Matcher, *Error) {
	p := &parser{toks: tokenize(expr)}
	m, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); t.kind {
	case tokEOF:
		return m, nil
	case tokRParen:
		return nil, errorf(t.pos, `unbalanced parentheses: ")" without a matching "("`)
	default:
		return nil, juxtaposed(t)
	}
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokTerm
	tokAnd
	tokOr
	tokNot
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the expression
}

// tokenize splits a compound expression into tokens: white space separates
// words, and parentheses are split off the ends of words (see above).
func tokenize(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += w
			continue
		}
		start := i
		for i < len(s) {
			r, w := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += w
		}
		toks = appendWord(toks, s[start:i], start)
	}
	return append(toks, token{kind: tokEOF, pos: len(s)})
}

func appendWord(toks []token, w string, pos int) []token {
	for len(w) > 0 {
		switch w[0] {
		case '(':
			toks = append(toks, token{kind: tokLParen, text: "(", pos: pos})
			w, pos = w[1:], pos+1
			continue
		case ')':
			toks = append(toks, token{kind: tokRParen, text: ")", pos: pos})
			w, pos = w[1:], pos+1
			continue
		}
		if _, _, _, ok := splitEngine(w); ok {
			body := trimUnbalanced(w)
			toks = append(toks, token{kind: tokTerm, text: body, pos: pos})
			for i := len(body); i < len(w); i++ {
				toks = append(toks, token{kind: tokRParen, text: ")", pos: pos + i})
			}
			return toks
		}
		n := strings.IndexAny(w, "()")
		if n < 0 {
			n = len(w)
		}
		toks = append(toks, wordToken(w[:n], pos))
		w, pos = w[n:], pos+n
	}
	return toks
}

func wordToken(w string, pos int) token {
	kind := tokTerm
	switch w {
	case "and":
		kind = tokAnd
	case "or":
		kind = tokOr
	case "not":
		kind = tokNot
	}
	return token{kind: kind, text: w, pos: pos}
}

// trimUnbalanced drops the trailing ')' characters of a TYPE@ term that are
// not balanced by a '(' inside it. Escaped characters and bracketed
// character classes are skipped when counting.
func trimUnbalanced(w string) string {
	depth := 0
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '\\':
			i++
		case '[':
			j := i + 1
			if j < len(w) && (w[j] == '^' || w[j] == '!') {
				j++
			}
			if j < len(w) && w[j] == ']' {
				j++
			}
			for j < len(w) && w[j] != ']' {
				if w[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(w) {
				i = j
			}
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	for depth < 0 && strings.HasSuffix(w, ")") {
		w = w[:len(w)-1]
		depth++
	}
	return w
}

// splitEngine splits a TYPE@PATTERN term. A single upper-case letter before
// '@' is always taken as a type (an unknown one is an error later); a
// letter, a delimiter and '@' only for the types that take a delimiter.
func splitEngine(w string) (letter byte, delim, pattern string, ok bool) {
	if len(w) < 2 || w[0] < 'A' || w[0] > 'Z' {
		return 0, "", "", false
	}
	if w[1] == '@' {
		return w[0], "", w[2:], true
	}
	if strings.IndexByte("GPIJ", w[0]) < 0 {
		return 0, "", "", false
	}
	_, size := utf8.DecodeRuneInString(w[1:])
	if 1+size < len(w) && w[1+size] == '@' {
		return w[0], w[1 : 1+size], w[2+size:], true
	}
	return 0, "", "", false
}

// compileTerm compiles one term; errors point at the term.
func compileTerm(t token) (Matcher, *Error) {
	letter, delim, pattern, isEngine := splitEngine(t.text)
	if !isEngine {
		g, err := compileGlob(t.text)
		if err != nil {
			return nil, termError(t, "glob", 0, err)
		}
		return globMatcher{g}, nil
	}
	prefix := t.text[:len(t.text)-len(pattern)]
	kind, known := KindOfLetter(letter)
	if !known {
		if msg, ok := unsupportedEngines[letter]; ok {
			return nil, errorf(t.pos, "%s", msg)
		}
		return nil, errorf(t.pos, "unknown target type %q in term %q (known types: G@ P@ I@ J@ L@ E@ S@)", prefix, t.text)
	}
	if pattern == "" {
		return nil, errorf(t.pos, "empty pattern after %q", prefix)
	}
	var (
		m   Matcher
		err *Error
	)
	if delim != "" {
		m, err = compileSubdict(pattern, delim, letter == 'P' || letter == 'J', letter == 'I' || letter == 'J')
	} else {
		m, err = registry[kind].compile(pattern)
	}
	if err != nil {
		return nil, termError(t, kind, len(prefix), err)
	}
	return m, nil
}

// termError wraps the error of a term's kind compiler; patternOff is where
// the term's pattern starts within the term.
func termError(t token, kind string, patternOff int, err *Error) *Error {
	pos := t.pos
	if err.Pos >= 0 {
		pos += patternOff + err.Pos
	}
	return errorf(pos, "%s term %q: %s", kind, t.text, err.Msg)
}

type parser struct {
	toks  []token
	i     int // index of the next token; toks ends with tokEOF
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) advance() {
	if p.toks[p.i].kind != tokEOF {
		p.i++
	}
}

// parseOr parses: and { "or" and }.
func (p *parser) parseOr() (Matcher, *Error) {
	m, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	var terms orMatcher
	for p.peek().kind == tokOr {
		p.advance()
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
	if terms == nil {
		return m, nil
	}
	return append(orMatcher{m}, terms...), nil
}

// parseAnd parses: not { ("and" | <before "not">) not }.
func (p *parser) parseAnd() (Matcher, *Error) {
	m, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	var terms andMatcher
	for {
		switch p.peek().kind {
		case tokAnd:
			p.advance()
		case tokNot:
			// Salt reads "a not b" as "a and not b".
		default:
			if terms == nil {
				return m, nil
			}
			return append(andMatcher{m}, terms...), nil
		}
		n, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
}

// parseNot parses: "not" not | primary.
func (p *parser) parseNot() (Matcher, *Error) {
	t := p.peek()
	if t.kind != tokNot {
		return p.parsePrimary()
	}
	p.advance()
	if p.depth++; p.depth > maxCompoundDepth {
		return nil, errorf(t.pos, "too deeply nested (more than %d levels)", maxCompoundDepth)
	}
	m, err := p.parseNot()
	p.depth--
	if err != nil {
		return nil, err
	}
	if n, ok := m.(notMatcher); ok {
		return n.m, nil // not not x
	}
	return notMatcher{m}, nil
}

// parsePrimary parses: term | "(" or ")".
func (p *parser) parsePrimary() (Matcher, *Error) {
	t := p.peek()
	switch t.kind {
	case tokTerm:
		p.advance()
		return compileTerm(t)
	case tokLParen:
		p.advance()
		if p.depth++; p.depth > maxCompoundDepth {
			return nil, errorf(t.pos, "too deeply nested (more than %d levels)", maxCompoundDepth)
		}
		m, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		switch c := p.peek(); c.kind {
		case tokRParen:
			p.advance()
			return m, nil
		case tokEOF:
			return nil, errorf(t.pos, `unbalanced parentheses: "(" is never closed`)
		default:
			return nil, juxtaposed(c)
		}
	}
	return nil, p.expectedTerm(t)
}

// expectedTerm is the error for a missing term where t stands.
func (p *parser) expectedTerm(t token) *Error {
	msg := "expected a term"
	if p.i > 0 {
		msg += " after " + strconv.Quote(p.toks[p.i-1].text)
	} else if t.kind != tokEOF {
		msg += " at the start"
	}
	if t.kind == tokEOF {
		return errorf(t.pos, "%s", msg)
	}
	return errorf(t.pos, "%s, found %q", msg, t.text)
}

// juxtaposed is the error for a term or group that follows another without
// an operator.
func juxtaposed(t token) *Error {
	return errorf(t.pos, "expected and/or before %q", t.text)
}
