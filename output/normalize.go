package output

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// normalize turns any value into the few types the renderers know: nil,
// bool, string, int64, uint64, float64 (finite), json.Number (integers too
// big for 64 bits), map[string]any and []any.
//
// Structs and types with their own JSON form (time.Time, proto types) go
// through encoding/json so every format shows their JSON field names.
// Maps with non-string keys use the keys' text. NaN and infinities become
// the strings "NaN", "Infinity", "-Infinity". What cannot be represented
// (channels, functions, ...) is shown as fmt's %v.
func normalize(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case bool, string, int64, uint64:
		return x
	case int:
		return int64(x)
	case float64:
		return normFloat(x)
	case json.Number:
		return normNumber(x)
	case map[string]any:
		if isNormal(x) {
			return x // nothing to convert: no copy (a state run's return is large)
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case []any:
		if isNormal(x) {
			return x
		}
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = normalize(e)
		}
		return s
	case json.Marshaler, encoding.TextMarshaler:
		return viaJSON(x)
	}

	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		return rv.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint()
	case reflect.Float32:
		// Shortest float32 text, so float32(0.1) shows as 0.1.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(rv.Float(), 'g', -1, 32), 64)
		return normFloat(f)
	case reflect.Float64:
		return normFloat(rv.Float())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		if rv.Elem().Kind() == reflect.Struct {
			return viaJSON(v)
		}
		return normalize(rv.Elem().Interface())
	case reflect.Map:
		if rv.IsNil() {
			return nil
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[keyText(it.Key())] = normalize(it.Value().Interface())
		}
		return m
	case reflect.Slice:
		if rv.IsNil() {
			return nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return viaJSON(v) // []byte: base64, as encoding/json
		}
		fallthrough
	case reflect.Array:
		s := make([]any, rv.Len())
		for i := range s {
			s[i] = normalize(rv.Index(i).Interface())
		}
		return s
	case reflect.Struct:
		return viaJSON(v)
	}
	return fmt.Sprintf("%v", v)
}

// isNormal reports whether v is already made only of the types normalize
// returns, so that it can be used as it is. Outputters never modify the
// values they are given.
func isNormal(v any) bool {
	switch x := v.(type) {
	case nil, bool, string, int64, uint64:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case map[string]any:
		for _, e := range x {
			if !isNormal(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !isNormal(e) {
				return false
			}
		}
		return true
	}
	return false // json.Number among them: normNumber may turn it into an int
}

// viaJSON normalizes v through its JSON encoding. An error value with no
// JSON fields is shown as its message.
func viaJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		if e, ok := v.(error); ok {
			return e.Error()
		}
		return fmt.Sprintf("%v", v)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return fmt.Sprintf("%v", v)
	}
	if m, ok := out.(map[string]any); ok && len(m) == 0 {
		if e, ok := v.(error); ok {
			return e.Error()
		}
	}
	return normalize(out)
}

func keyText(k reflect.Value) string {
	if k.Kind() == reflect.Interface && !k.IsNil() {
		k = k.Elem()
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if b, err := tm.MarshalText(); err == nil {
			return string(b)
		}
	}
	switch x := normalize(k.Interface()).(type) {
	case string:
		return x
	case nil, bool, int64, uint64, float64, json.Number:
		return scalarText(x)
	}
	return fmt.Sprintf("%v", k.Interface())
}

func normFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

// normNumber turns a JSON number into int64, uint64 or float64; integers
// beyond 64 bits stay json.Number so no digit is lost.
func normNumber(n json.Number) any {
	s := n.String()
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u
	}
	if !strings.ContainsAny(s, ".eE") && isInteger(s) {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return normFloat(f)
	}
	return s
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
