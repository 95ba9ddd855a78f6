package target

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

func init() {
	register(Kind{Name: "expr", Flags: []string{"-X", "--expr"}}, compileExpr)
}

// exprEnv is what an expr target sees: id, grains and pillar.
type exprEnv struct {
	ID     string         `expr:"id"`
	Grains map[string]any `expr:"grains"`
	Pillar map[string]any `expr:"pillar"`
}

// exprMatcher evaluates an expr-lang boolean expression, e.g.
//
//	"web" in grains.roles && grains.env == "prod"
//
// A missing map key reads as nil, so comparisons with it are false and "in"
// a missing list is false; use ?. to step through dicts that may be missing
// (grains.os?.family). Any run-time error, such as a member access on nil or
// comparing nil with a number, means no match for that minion; when the
// expression fails on every minion it was tried on, EvalError says so.
type exprMatcher struct {
	src     string
	program *vm.Program
	pool    sync.Pool // *exprRun; a VM is not safe for concurrent use

	evals, fails atomic.Int64
	firstErr     atomic.Pointer[string]
}

// exprRun is the per-evaluation state, pooled to avoid allocations.
type exprRun struct {
	vm  vm.VM
	env exprEnv
}

func compileExpr(src string) (m Matcher, err *Error) {
	defer func() {
		// expr's compiler should not panic; if it does, the target is
		// at fault, not the caller.
		if r := recover(); r != nil {
			m, err = nil, errorf(-1, "invalid expression: %v", r)
		}
	}()
	program, cerr := expr.Compile(src, expr.Env(exprEnv{}), expr.AsBool())
	if cerr != nil {
		return nil, exprError(src, cerr)
	}
	em := &exprMatcher{src: src, program: program}
	em.pool.New = func() any { return new(exprRun) }
	return em, nil
}

func (m *exprMatcher) Match(mi *Minion) bool {
	if mi == nil {
		return false
	}
	r := m.pool.Get().(*exprRun)
	r.env = exprEnv{ID: mi.ID, Grains: mi.Grains, Pillar: mi.Pillar}
	out, err := r.vm.Run(m.program, &r.env)
	r.env = exprEnv{} // do not keep the minion's maps alive
	m.pool.Put(r)
	m.evals.Add(1)
	if err != nil {
		m.fails.Add(1)
		msg := err.Error()
		m.firstErr.CompareAndSwap(nil, &msg)
		return false
	}
	b, ok := out.(bool)
	return ok && b
}

// EvalError reports an expression that failed at run time on every minion
// it was matched against (a type error such as grains.num_cpus > "4"):
// the target is wrong, which "no minions matched" would hide. It is nil
// when the expression evaluated on at least one minion.
func (m *exprMatcher) EvalError() error {
	n := m.evals.Load()
	if n == 0 || m.fails.Load() < n {
		return nil
	}
	msg := ""
	if p := m.firstErr.Load(); p != nil {
		msg, _, _ = strings.Cut(*p, "\n") // expr adds the source and a caret
	}
	return &Error{Kind: "expr", Expr: m.src, Msg: fmt.Sprintf("the expression failed on every minion (%d): %s", n, msg), Pos: -1}
}

// exprError converts an expr-lang compile error, whose location counts
// runes, into an *Error with a byte offset.
func exprError(src string, err error) *Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return errorf(-1, "invalid expression: %v", err)
	}
	pos := -1
	if fe.From >= 0 && fe.From <= utf8.RuneCountInString(src) {
		pos = 0
		for n := 0; n < fe.From; n++ {
			_, w := utf8.DecodeRuneInString(src[pos:])
			pos += w
		}
	}
	return &Error{Msg: fmt.Sprintf("invalid expression: %s", fe.Message), Pos: pos}
}
