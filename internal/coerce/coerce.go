// Package coerce reads the loosely typed argument values that arrive from
// YAML and JSON (strings, float64, int, bool, lists, maps) as the Go types
// execution and state modules need, the way Salt coerces its arguments.
package coerce

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Describe names a value's kind for error messages.
func Describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	case bool:
		return "boolean " + strconv.FormatBool(t)
	case []any, []string:
		return "a list"
	case map[string]any, map[any]any:
		return "a mapping"
	default:
		if f, ok := Float(v); ok {
			return "number " + strconv.FormatFloat(f, 'g', -1, 64)
		}
		return fmt.Sprintf("a value of type %T", v)
	}
}

// String formats strings, numbers and booleans; false for anything else.
func String(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(t), 'f', -1, 32), true
	case uint64:
		return strconv.FormatUint(t, 10), true
	}
	if n, ok := Int64(v); ok {
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// Int64 converts the Go integer kinds (not floats or strings).
func Int64(v any) (int64, bool) {
	switch t := v.(type) {
	case int:
		return int64(t), true
	case int8:
		return int64(t), true
	case int16:
		return int64(t), true
	case int32:
		return int64(t), true
	case int64:
		return t, true
	case uint8:
		return int64(t), true
	case uint16:
		return int64(t), true
	case uint32:
		return int64(t), true
	case uint:
		if uint64(t) <= math.MaxInt64 {
			return int64(t), true
		}
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t), true
		}
	}
	return 0, false
}

// Int reads integers, whole floats (JSON numbers) and decimal strings.
func Int(v any) (int, bool) {
	if n, ok := Int64(v); ok && n >= math.MinInt && n <= math.MaxInt {
		return int(n), true
	}
	switch t := v.(type) {
	case float64:
		if t == math.Trunc(t) && t >= math.MinInt64 && t < math.MaxInt64 {
			return int(t), true
		}
	case float32:
		return Int(float64(t))
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(t)); err == nil {
			return n, true
		}
	}
	return 0, false
}

// Float reads numbers and numeric strings.
func Float(v any) (float64, bool) {
	if n, ok := Int64(v); ok {
		return float64(n), true
	}
	switch t := v.(type) {
	case float64:
		return t, true
	case float32:
		return float64(t), true
	case uint64:
		return float64(t), true
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

// Bool reads a boolean as Salt's states take one: true/false, the YAML
// 1.1 words (yes/no, on/off, case-insensitive), "1"/"0", the numbers 1
// and 0, and the empty string as false.
func Bool(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "yes", "on", "1":
			return true, true
		case "false", "no", "off", "0", "":
			return false, true
		}
		return false, false
	}
	if n, ok := Int(v); ok && (n == 0 || n == 1) {
		return n == 1, true
	}
	return false, false
}

// StringList reads a list of scalars as strings; a single scalar is a
// one-element list, as Salt accepts for its list arguments (pkgs, names,
// creates, ...). bad is the offending element when ok is false.
func StringList(v any) (out []string, bad any, ok bool) {
	switch t := v.(type) {
	case []string:
		return append([]string(nil), t...), nil, true
	case []any:
		out = make([]string, 0, len(t))
		for _, e := range t {
			s, ok := String(e)
			if !ok {
				return nil, e, false
			}
			out = append(out, s)
		}
		return out, nil, true
	}
	s, ok := String(v)
	if !ok {
		return nil, v, false
	}
	return []string{s}, nil, true
}

// Map reads a mapping: map[string]any as is, map[any]any (older YAML
// decoders) with its keys formatted.
func Map(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			ks, ok := String(k)
			if !ok {
				return nil, false
			}
			m[ks] = e
		}
		return m, true
	}
	return nil, false
}

// Mode reads a unix file mode as Salt does: "0644", "644", "0o644", or an
// integer whose decimal digits are the octal mode (YAML's `mode: 644`).
// The string "keep" gives keep=true (file.recurse's file_mode). ok is
// false for anything else, or a mode above 07777.
func Mode(v any) (mode uint32, keep, ok bool) {
	var s string
	switch t := v.(type) {
	case string:
		s = strings.TrimSpace(t)
		if strings.EqualFold(s, "keep") {
			return 0, true, true
		}
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	case bool:
		return 0, false, false
	default:
		n, ok := Int(v)
		if !ok {
			return 0, false, false
		}
		s = strconv.Itoa(n)
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || s == "" || n > 0o7777 {
		return 0, false, false
	}
	return uint32(n), false, true
}
