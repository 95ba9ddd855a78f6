package grains

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Delimiter separates the levels of a nested grain key, as in Salt:
// "a:b:c" names grains["a"]["b"]["c"].
const Delimiter = ":"

// Merge deep-merges src into dst: where both hold a map under the same key
// the maps are merged recursively, anything else in src (scalars, lists,
// nulls) replaces what dst had. Values taken from src are deep-copied, so
// later changes to src do not show through dst. A nil dst is left alone.
func Merge(dst, src map[string]any) {
	if dst == nil {
		return
	}
	for k, sv := range src {
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				Merge(dm, sm)
				continue
			}
		}
		dst[k] = copyValue(sv)
	}
}

// Copy returns a deep copy of m (maps and []any lists are copied, scalars
// shared). It returns an empty, non-nil map for a nil m.
func Copy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return Copy(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyValue(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out
	default:
		return v
	}
}

// Traverse looks up a nested key in m, Salt's traverse_dict_and_list: key
// is split on delim (Delimiter when empty); each part indexes a map, or a
// list when the part is a decimal index. The value is returned as stored
// (not copied).
func Traverse(m map[string]any, key, delim string) (any, bool) {
	if delim == "" {
		delim = Delimiter
	}
	// An exact top-level match wins, so keys that contain the delimiter
	// still resolve.
	if v, ok := m[key]; ok {
		return v, true
	}
	var cur any = m
	for _, part := range strings.Split(key, delim) {
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// normalize turns a decoded YAML/JSON value (or one built in Go) into the
// JSON-friendly shapes grains use: map[string]any, []any, string, bool,
// int, float64 and nil. Keys of other map types are formatted with %v,
// timestamps become RFC 3339 strings, other integer kinds become int when
// they fit (float64 otherwise), and anything unknown is formatted with %v.
func normalize(v any) any {
	switch t := v.(type) {
	case nil, string, bool, int, float64:
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalize(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	case int8:
		return int(t)
	case int16:
		return int(t)
	case int32:
		return int(t)
	case int64:
		return int(t)
	case uint8:
		return int(t)
	case uint16:
		return int(t)
	case uint32:
		return int(t)
	case uint:
		if uint64(t) > math.MaxInt {
			return float64(t)
		}
		return int(t)
	case uint64:
		if t > math.MaxInt {
			return float64(t)
		}
		return int(t)
	case float32:
		return float64(t)
	case time.Time:
		return t.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return t.String()
	default:
		return fmt.Sprint(t)
	}
}

// normalizeMap is normalize for a map, never returning nil.
func normalizeMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return normalize(m).(map[string]any)
}
