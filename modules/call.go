package modules

import (
	"github.com/brine-cm/brine/internal/coerce"
	"strings"

	"github.com/brine-cm/brine/proto"
)

// Call is one invocation's arguments: positional args then key=value
// kwargs; values are YAML-parsed (string, int, float64, bool, nil, []any,
// map[string]any), or JSON-decoded (numbers as float64).
//
// The accessors take the parameter's position i (negative: keyword only)
// and name: the positional argument wins, then the keyword, then the
// default. A null value counts as not given. Wrong or missing values give
// a *proto.Error of kind proto.ErrBadArgument naming the parameter (and,
// once returned through a registered Function, the function).
type Call struct {
	Args   []any
	Kwargs map[string]any
	// JID is the job the call runs for ("" outside a job).
	JID string
}

// value returns the raw argument at position i or keyword name.
func (c Call) value(i int, name string) (any, bool) {
	if i >= 0 && i < len(c.Args) {
		return c.Args[i], true
	}
	if name != "" {
		if v, ok := c.Kwargs[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// Has reports whether the argument was given, positionally or by keyword
// (even as null).
func (c Call) Has(i int, name string) bool {
	_, ok := c.value(i, name)
	return ok
}

// String returns the argument as a string. Numbers and booleans are
// formatted (YAML turns `cmd.run true` into a bool); lists and maps are
// an error.
func (c Call) String(i int, name string, def *string) (string, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		if def != nil {
			return *def, nil
		}
		return "", missingArg(name)
	}
	s, ok := coerce.String(v)
	if !ok {
		return "", wrongType(name, "a string", v)
	}
	return s, nil
}

// Int returns the argument as an int: integers, integral floats and
// decimal strings are accepted.
func (c Call) Int(i int, name string, def *int) (int, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		if def != nil {
			return *def, nil
		}
		return 0, missingArg(name)
	}
	n, ok := coerce.Int(v)
	if !ok {
		return 0, wrongType(name, "an integer", v)
	}
	return n, nil
}

// Float returns the argument as a float64: numbers and numeric strings
// are accepted.
func (c Call) Float(i int, name string, def *float64) (float64, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		if def != nil {
			return *def, nil
		}
		return 0, missingArg(name)
	}
	f, ok := coerce.Float(v)
	if !ok {
		return 0, wrongType(name, "a number", v)
	}
	return f, nil
}

// Bool returns the argument as a bool: booleans, 0/1 and the strings
// true/false, yes/no, on/off, 1/0 (any case) are accepted.
func (c Call) Bool(i int, name string, def *bool) (bool, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		if def != nil {
			return *def, nil
		}
		return false, missingArg(name)
	}
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "yes", "on", "1":
			return true, nil
		case "false", "no", "off", "0":
			return false, nil
		}
	default:
		if n, ok := coerce.Int(v); ok && (n == 0 || n == 1) {
			return n == 1, nil
		}
	}
	return false, wrongType(name, "a boolean", v)
}

// ptr returns a pointer to v, for defaults.
func ptr[T any](v T) *T { return &v }

func badArg(format string, args ...any) *proto.Error {
	return proto.Errorf(proto.ErrBadArgument, format, args...)
}

func missingArg(name string) *proto.Error {
	return badArg("missing required argument '%s'", name)
}

func wrongType(name, want string, v any) *proto.Error {
	return badArg("argument '%s' must be %s, got %s", name, want, coerce.Describe(v))
}
