// Package target implements SaltStack-style minion targeting: id globs,
// regular expressions, lists, grain and pillar matches, IP/CIDR matches,
// compound expressions and expr-lang expressions.
//
// A target is compiled once with Compile and the resulting Matcher is then
// applied to any number of minions, from any number of goroutines.
//
// Each kind of target lives in its own file and registers its compiler into
// the registry in this file from an init function; the registry is only written
// during package initialisation and is read-only afterwards.
package target

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Minion is what a target is matched against.
type Minion struct {
	ID     string
	Grains map[string]any // JSON-decoded values: map[string]any, []any, string, float64, bool, nil
	Pillar map[string]any // may be nil
}

// Matcher decides whether a minion is targeted. Safe for concurrent use.
type Matcher interface {
	Match(m *Minion) bool
}

// Error is the error returned by Compile for a target that cannot be
// compiled. Kind is the kind of target being compiled (the resolved kind when
// Compile was given the default kind ""), Expr the target expression as given,
// Msg a description of the problem and Pos the byte offset in Expr where the
// problem was found, or -1 when no position applies.
type Error struct {
	Kind, Expr, Msg string
	Pos             int
}

// Error formats e as, for example,
// `bad compound target "G@x:y and": expected a term after "and" at offset 10`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("bad ")
	if e.Kind != "" {
		b.WriteString(e.Kind)
		b.WriteByte(' ')
	}
	b.WriteString("target ")
	b.WriteString(strconv.Quote(e.Expr))
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Pos >= 0 {
		b.WriteString(" at offset ")
		b.WriteString(strconv.Itoa(e.Pos))
	}
	return b.String()
}

// EvalErrorer is implemented by matchers that can fail at run time (expr
// targets). After matching a set of minions, EvalError reports an error
// that made the target match nothing, so that the caller can say so rather
// than "no minions matched". See MatchError.
type EvalErrorer interface {
	EvalError() error
}

// MatchError returns the run-time error that made m match none of the
// minions it was tried on, or nil. Call it after matching.
func MatchError(m Matcher) error {
	if ee, ok := m.(EvalErrorer); ok {
		return ee.EvalError()
	}
	return nil
}

// compileFunc compiles a target expression of one kind. It is only called
// with an expression that is not blank. Errors carry Msg and Pos; Compile
// fills in Kind and Expr.
type compileFunc func(expr string) (Matcher, *Error)

// Kind describes a kind of target, as each kind registers itself once: its
// name (Salt's tgt_type, used by the API and the reactor), its letter in
// compound targets (0: none) and its ctl flags.
type Kind struct {
	Name   string
	Letter byte
	Flags  []string
}

type registered struct {
	Kind
	compile compileFunc
}

// registry maps a kind name to its description and compiler, byLetter a
// compound letter to its kind. Written only by register, which is only
// called from init functions.
var (
	registry = map[string]registered{}
	byLetter = map[byte]string{}
)

// register adds a kind. It panics on a duplicate or empty name or letter,
// which is a programming error.
func register(k Kind, fn compileFunc) {
	if k.Name == "" || fn == nil {
		panic("target: register: empty kind or nil compiler")
	}
	if _, dup := registry[k.Name]; dup {
		panic("target: register: duplicate kind " + strconv.Quote(k.Name))
	}
	if k.Letter != 0 {
		if other, dup := byLetter[k.Letter]; dup {
			panic(fmt.Sprintf("target: register: letter %c of %s is %s's", k.Letter, k.Name, other))
		}
		byLetter[k.Letter] = k.Name
	}
	registry[k.Name] = registered{Kind: k, compile: fn}
}

// Registered lists the registered kinds, sorted by name.
func Registered() []Kind {
	out := make([]Kind, 0, len(registry))
	for _, name := range Kinds() {
		k := registry[name].Kind
		k.Flags = append([]string(nil), k.Flags...)
		out = append(out, k)
	}
	return out
}

// Known reports whether name is a registered kind.
func Known(name string) bool {
	_, ok := registry[name]
	return ok
}

// KindOfLetter returns the kind a compound letter stands for.
func KindOfLetter(letter byte) (string, bool) {
	name, ok := byLetter[letter]
	return name, ok
}

// Kinds lists the registered kinds, sorted. The default kind "" is accepted
// by Compile but is not listed.
func Kinds() []string {
	kinds := make([]string, 0, len(registry))
	for k := range registry {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Compile parses expr as a target of kind. kind is one of: "" (default: if
// expr has the form key:value with a non-empty key and no glob chars in the
// key it is a grain match, else an id glob), "glob", "pcre", "list", "grain",
// "grain_pcre", "pillar", "pillar_pcre", "ipcidr", "compound", "expr".
// Errors are *Error values.
func Compile(kind, expr string) (Matcher, error) {
	resolved := kind
	if kind == "" {
		resolved = defaultKind(expr)
	}
	r, ok := registry[resolved]
	fn := r.compile
	if !ok {
		return nil, &Error{
			Kind: kind,
			Expr: expr,
			Msg:  fmt.Sprintf("unknown target kind %q (known kinds: %s)", kind, strings.Join(Kinds(), ", ")),
			Pos:  -1,
		}
	}
	if strings.TrimSpace(expr) == "" {
		return nil, &Error{Kind: resolved, Expr: expr, Msg: "empty target", Pos: -1}
	}
	m, err := fn(expr)
	if err != nil {
		err.Kind = resolved
		err.Expr = expr
		return nil, err
	}
	return m, nil
}

// defaultKind decides how a target given without a kind is read: key:value
// with a plain (non-glob) key is a grain match, anything else an id glob.
// KindOf is the kind a target of kind k stands for: k itself, or for the
// default kind "" what the expression is read as (glob, or grain for
// key:value), as Salt names it in job listings.
func KindOf(k, expr string) string {
	if k == "" {
		return defaultKind(expr)
	}
	return k
}

func defaultKind(expr string) string {
	key, _, found := strings.Cut(strings.TrimSpace(expr), ":")
	if found && key != "" && !strings.ContainsAny(key, globMeta) {
		return "grain"
	}
	return "glob"
}

// errorf returns an *Error with a message and position; Kind and Expr are
// filled in by Compile.
func errorf(pos int, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Pos: pos}
}

// shift moves a positioned error by off bytes, for errors found in a part of
// a larger expression.
func (e *Error) shift(off int) *Error {
	if e.Pos >= 0 {
		e.Pos += off
	}
	return e
}

// trimSpace trims surrounding white space from s and returns the offset of
// the result in s.
func trimSpace(s string) (string, int) {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	off := len(s) - len(t)
	return strings.TrimRightFunc(t, unicode.IsSpace), off
}
