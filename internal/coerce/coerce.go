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
