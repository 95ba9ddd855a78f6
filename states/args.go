package states

import (
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"math"
	"sort"
	"strings"
)

// Argument accessors, one argument at a time. States declare their
// arguments as a struct instead (decode.go); these remain for code that
// reads an argument map directly. Values come from YAML or JSON (string,
// int, float64, bool, nil, []any, map[string]any). A null value counts as
// not given. Wrong values give an *ArgError naming the state id, the state
// function and the argument.

// ArgError is a bad state argument.
type ArgError struct {
	ID  string // the state id
	Fun string // the state function (file.managed); may be empty
	Arg string // the argument name; empty: the error is about the state
	Msg string
}

func (e *ArgError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "State '%s'", e.ID)
	if e.Fun != "" {
		fmt.Fprintf(&b, " (%s)", e.Fun)
	}
	if e.Arg != "" {
		fmt.Fprintf(&b, ": argument '%s' %s", e.Arg, e.Msg)
	} else {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	return b.String()
}

// ArgErrorf makes an *ArgError for argument arg of call.
func (c Call) ArgErrorf(arg, format string, args ...any) error {
	return &ArgError{ID: c.ID, Fun: c.Fun, Arg: arg, Msg: fmt.Sprintf(format, args...)}
}

func (c Call) wrongType(arg, want string, v any) error {
	return c.ArgErrorf(arg, "must be %s, got %s", want, coerce.Describe(v))
}

// Has reports whether arg was given with a non-null value.
func (c Call) Has(arg string) bool {
	v, ok := c.Args[arg]
	return ok && v != nil
}

// String returns arg as a string (numbers and booleans are formatted),
// or def when it is not given.
func (c Call) String(arg, def string) (string, error) {
	v, ok := c.Args[arg]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := coerce.String(v)
	if !ok {
		return "", c.wrongType(arg, "a string", v)
	}
	return s, nil
}

// Bool returns arg as a bool (true/false, yes/no, on/off, 1/0 accepted),
// or def when it is not given.
func (c Call) Bool(arg string, def bool) (bool, error) {
	v, ok := c.Args[arg]
	if !ok || v == nil {
		return def, nil
	}
	if b, ok := coerce.Bool(v); ok {
		return b, nil
	}
	return false, c.wrongType(arg, "a boolean", v)
}

// Int returns arg as an int (integral numbers and decimal strings), or
// def when it is not given.
func (c Call) Int(arg string, def int) (int, error) {
	v, ok := c.Args[arg]
	if !ok || v == nil {
		return def, nil
	}
	n, ok := coerce.Int(v)
	if !ok {
		return 0, c.wrongType(arg, "an integer", v)
	}
	return n, nil
}

// Float returns arg as a float64, or def when it is not given.
func (c Call) Float(arg string, def float64) (float64, error) {
	v, ok := c.Args[arg]
	if !ok || v == nil {
		return def, nil
	}
	f, ok := coerce.Float(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, c.wrongType(arg, "a number", v)
	}
	return f, nil
}

// StringList returns arg as a list of strings: a list of scalars, or a
// single scalar as a one-element list. Not given: nil.
func (c Call) StringList(arg string) ([]string, error) {
	v, ok := c.Args[arg]
	if !ok || v == nil {
		return nil, nil
	}
	l, bad, ok := coerce.StringList(v)
	if !ok {
		if _, isList := v.([]any); isList {
			return nil, c.wrongType(arg, "a list of strings", bad)
		}
		return nil, c.wrongType(arg, "a string or a list of strings", v)
	}
	return l, nil
}

// Map returns arg as a mapping (nil when not given).
func (c Call) Map(arg string) (map[string]any, error) {
	v, ok := c.Args[arg]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := asMap(v)
	if !ok {
		return nil, c.wrongType(arg, "a mapping", v)
	}
	return m, nil
}

// asMap accepts map[string]any and map[any]any (older YAML decoders).
func asMap(v any) (map[string]any, bool) { return coerce.Map(v) }

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lookupPath finds a colon-separated key (a:b:c) in nested mappings, as
// Salt's pillar.get does.
func lookupPath(m map[string]any, key string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(key, ":") {
		mm, ok := asMap(cur)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}
