package render

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Error is a rendering error: the file, the 1-based line (0 when unknown),
// the stage that failed ("jinja", "yaml", "render") and the message.
type Error struct {
	File  string
	Line  int
	Stage string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Stage != "" {
		b.WriteString(e.Stage)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// posError gives an error the template position it arose at.
type posError struct {
	file string
	line int
	err  error
}

func (e *posError) Error() string { return e.err.Error() }
func (e *posError) Unwrap() error { return e.err }

// at wraps err with a position unless it already carries one (the
// innermost position is the most precise).
func at(file string, line int, err error) error {
	if err == nil {
		return nil
	}
	var pe *posError
	if findErr(err, &pe) {
		return err
	}
	var re *Error
	if findErr(err, &re) {
		return err
	}
	return &posError{file: file, line: line, err: err}
}

// findErr is errors.As that also looks through gonja's *exec.Value, which
// wraps errors without Unwrap.
func findErr[T error](err error, target *T) bool {
	for i := 0; err != nil && i < 1000; i++ {
		if t, ok := err.(T); ok {
			*target = t
			return true
		}
		err = unwrapOnce(err)
	}
	return false
}

func unwrapOnce(err error) error {
	switch x := err.(type) {
	case *exec.Value:
		if e, ok := x.Interface().(error); ok && e != error(x) {
			return e
		}
		return nil
	case interface{ Unwrap() error }:
		return x.Unwrap()
	case interface{ Cause() error }:
		return x.Cause()
	}
	return nil
}

// rootErr returns the innermost error of a chain.
func rootErr(err error) error {
	for i := 0; i < 1000; i++ {
		next := unwrapOnce(err)
		if next == nil {
			return err
		}
		err = next
	}
	return err
}

// valueErr extracts the error of an error *exec.Value.
func valueErr(v *exec.Value) error {
	if e, ok := v.Interface().(error); ok {
		return e
	}
	if ev, ok := v.Interface().(*errVal); ok {
		return ev.err
	}
	return errors.New(v.Error())
}

// errVal carries an error through gonja as a plain value. gonja turns the
// error a Go function, filter or test returns into a string (its
// ErrInvalidCall is an interface every error satisfies), which would lose
// undefined errors and positions; an errVal is not an error to gonja, so
// it travels untouched to the next piece of this package that looks at
// it.
type errVal struct{ err error }

// valueError returns the error a value carries, if any.
func valueError(v *exec.Value) error {
	if v == nil {
		return nil
	}
	if v.IsError() {
		return valueErr(v)
	}
	if ev, ok := v.Interface().(*errVal); ok {
		return ev.err
	}
	return nil
}

// argsError returns the first error carried by call arguments.
func argsError(va *exec.VarArgs) error {
	if va == nil {
		return nil
	}
	for _, a := range va.Args {
		if err := valueError(a); err != nil {
			return err
		}
	}
	for _, a := range va.KwArgs {
		if err := valueError(a); err != nil {
			return err
		}
	}
	return nil
}

var (
	reNameUndefined = regexp.MustCompile(`^Unable to evaluate name "(.*)"$`)
	reAtLine        = regexp.MustCompile(`at line (\d+)`)
	reParseLine     = regexp.MustCompile(`\(Line: (\d+) Col: \d+`)
)

// isUndefined tells whether err is an undefined variable/attribute error.
func isUndefined(err error) bool {
	var ue *undefinedError
	if findErr(err, &ue) {
		return true
	}
	return reNameUndefined.MatchString(rootErr(err).Error())
}

// asUndefined returns the undefined error in err's chain, turning gonja's
// message for an undefined name into Jinja's.
func asUndefined(err error) (*undefinedError, bool) {
	var ue *undefinedError
	if findErr(err, &ue) {
		return ue, true
	}
	if m := reNameUndefined.FindStringSubmatch(rootErr(err).Error()); m != nil {
		return undefinedf("'%s' is undefined", m[1]), true
	}
	return nil, false
}

// message returns the clean message of an error chain.
func message(err error) string {
	if ue, ok := asUndefined(err); ok {
		return ue.msg
	}
	var se *parser.SyntaxError
	if findErr(err, &se) {
		if m := reUnknownTag.FindStringSubmatch(se.Message); m != nil {
			return fmt.Sprintf("unknown tag '%s'", m[1])
		}
		return se.Message
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "rendering interrupted: " + rootErr(err).Error()
	}
	return cleanMessage(err)
}

// cleanMessage drops the wrappers gonja and this package put around an
// error (positions, "unable to execute ..." layers) and returns the message
// of the first error that says something.
func cleanMessage(err error) string {
	for i := 0; err != nil && i < 1000; i++ {
		switch err.(type) {
		case *posError, *exec.Value:
		default:
			t := fmt.Sprintf("%T", err)
			if !strings.HasPrefix(t, "*errors.with") {
				return err.Error()
			}
		}
		next := unwrapOnce(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
	return err.Error()
}

// calledUndefined is the error of calling an undefined value: unlike using
// an undefined value it is raised at once, even by {% set %}.
type calledUndefined struct{ err *undefinedError }

func (e *calledUndefined) Error() string { return e.err.Error() }

// wrapErr turns any error of the Jinja stage into an *Error.
func (st *state) wrapErr(err error, file string) error {
	var re *Error
	if findErr(err, &re) {
		return re
	}
	line := 0
	var pe *posError
	// the innermost position is the most precise one
	for e := err; e != nil; e = unwrapOnce(e) {
		if p, ok := e.(*posError); ok {
			pe = p
		}
	}
	if pe != nil {
		file, line = pe.file, pe.line
	} else if m := reAtLine.FindAllStringSubmatch(err.Error(), -1); m != nil {
		line, _ = strconv.Atoi(m[len(m)-1][1])
	}
	msg := message(err)
	var cu *calledUndefined
	if _, ok := asUndefined(err); (ok || findErr(err, &cu)) && strings.HasPrefix(msg, "'") {
		msg = "Jinja variable " + msg
	}
	return &Error{File: file, Line: line, Stage: "jinja", Msg: msg}
}

// parseError maps a gonja parse error of template file to an *Error whose
// line points at the culprit: the unclosed block for a missing end tag.
func (st *state) parseError(err error, file string) error {
	var nf *notFoundError
	if findErr(err, &nf) {
		return &Error{File: file, Stage: "jinja", Msg: nf.Error()}
	}
	src, _ := st.load(file)
	line := 0
	msg := message(err)
	var se *parser.SyntaxError
	if findErr(err, &se) {
		line = se.Line
	} else if m := reParseLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	if src != nil {
		if bl, bmsg, ok := checkBlocks(string(src), st); ok {
			line, msg = bl, bmsg
		} else if line == 0 {
			line, msg = lexErrorLine(string(src), st, msg)
		}
	}
	return &Error{File: file, Line: line, Stage: "jinja", Msg: "Jinja syntax error: " + msg}
}

// blockTags are the tags that need an end tag, with the end tags allowed in
// between.
var blockTags = map[string][]string{
	"if": {"elif", "else"}, "for": {"else"}, "macro": nil, "call": nil, "filter": nil,
	"with": nil, "block": nil, "autoescape": nil, "trans": {"pluralize"}, "raw": nil,
	"load_yaml": nil, "load_json": nil, "load_text": nil, "profile": nil, "set": nil,
}

var endTags = map[string]string{
	"endif": "if", "endfor": "for", "endmacro": "macro", "endcall": "call", "endfilter": "filter",
	"endwith": "with", "endblock": "block", "endautoescape": "autoescape", "endtrans": "trans",
	"endraw": "raw", "endload": "load", "endprofile": "profile", "endset": "set",
}

// checkBlocks scans the block tags of src and reports the first nesting
// problem: an end tag that closes nothing or the wrong block, or a block
// left open at the end of the template.
func checkBlocks(src string, st *state) (int, string, bool) {
	type open struct {
		name string
		line int
	}
	var stack []open
	s := tokens.LexAll(src, st.cfg)
	for !s.End() {
		t := s.Next()
		if t == nil || t.Type == tokens.EOF {
			break
		}
		if t.Type == tokens.Error {
			return 0, "", false
		}
		if t.Type != tokens.BlockBegin {
			continue
		}
		begin := t
		name := s.Next()
		if name == nil || name.Type != tokens.Name {
			continue
		}
		// collect the arguments to tell a block set from an inline one
		hasAssign := false
		for !s.End() {
			a := s.Current()
			if a == nil || a.Type == tokens.BlockEnd || a.Type == tokens.EOF {
				break
			}
			if a.Type == tokens.Assign {
				hasAssign = true
			}
			s.Next()
		}
		switch {
		case name.Val == "set" && hasAssign:
		case hasKey(blockTags, name.Val):
			stack = append(stack, open{name.Val, begin.Line})
		case strings.HasPrefix(name.Val, "end"):
			want, known := endTags[name.Val]
			if !known {
				continue
			}
			if len(stack) == 0 {
				return begin.Line, fmt.Sprintf("unexpected '%s': there is no open block to close", name.Val), true
			}
			top := stack[len(stack)-1]
			if top.name != want && !(want == "load" && strings.HasPrefix(top.name, "load_")) {
				return begin.Line, fmt.Sprintf("unexpected '%s': the innermost open block is '%s' (opened on line %d)", name.Val, top.name, top.line), true
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return top.line, fmt.Sprintf("'%s' block opened on line %d is never closed (unexpected end of template)", top.name, top.line), true
	}
	return 0, "", false
}

func hasKey(m map[string][]string, k string) bool {
	_, ok := m[k]
	return ok
}

// lexErrorLine finds the line of the first lexer error (unclosed comment or
// string) from its byte offset, or else the line of the last token.
func lexErrorLine(src string, st *state, msg string) (int, string) {
	norm := normalizeSource(src)
	s := tokens.LexAll(norm, st.cfg)
	last := 0
	for i := 0; i < 1000000; i++ {
		t := s.Current()
		if t == nil || t.Type == tokens.EOF {
			break
		}
		if t.Type == tokens.Error {
			pos := max(0, min(t.Pos, len(norm)))
			msg := t.Val
			if pos == len(norm) || pos == len(strings.TrimSuffix(norm, "\n")) {
				// an unterminated string: gonja reports the text after the quote
				if i := strings.LastIndex(norm[:pos], t.Val); t.Val != "" && i > 0 {
					pos = i
					msg = "unterminated string starting with " + pyQuote(strings.TrimRight(string(norm[i-1])+t.Val, "\n"))
				}
			}
			return 1 + strings.Count(norm[:pos], "\n"), msg
		}
		if t.Line > 0 {
			last = t.Line
		}
		s.Next()
	}
	return last, msg
}

var reUnknownTag = regexp.MustCompile(`^ControlStructure '(.*)' not found \(or beginning not provided\)$`)

func normalizeSource(src string) string {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	return strings.ReplaceAll(src, "\r", "\n")
}
