package output

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendJSON appends v, a normalized value (see normalize), as
// encoding/json's Encoder with SetIndent("", indent-per-level spaces) and
// SetEscapeHTML(false) writes it, map keys sorted, and with the DEL and C1
// control characters escaped as EscapeJSON does. It walks the few types
// normalize leaves directly: a state run's return is a few hundred
// kilobytes, and encoding/json's reflection and second indenting pass
// were most of ctl's time after the return arrived. A value of another
// type goes through encoding/json.
func appendJSON(b []byte, v any, level int) ([]byte, error) {
	return (&jsonWriter{b: b}).value(v, level)
}

// jsonWriter appends JSON to b and, when w is set, hands b to w whenever
// it holds over jsonFlushAt bytes: a large document is written through a
// small buffer (fresh memory is slow to touch, and a short-lived ctl
// touches every page of a buffer as large as the document).
type jsonWriter struct {
	b   []byte
	w   io.Writer
	err error
}

const jsonFlushAt = 32 << 10

func (j *jsonWriter) flush() error {
	if j.w == nil || j.err != nil {
		return j.err
	}
	if _, err := j.w.Write(j.b); err != nil {
		j.err = err
		return err
	}
	j.b = j.b[:0]
	return nil
}

func (j *jsonWriter) value(v any, level int) ([]byte, error) {
	if j.w != nil && len(j.b) > jsonFlushAt {
		if err := j.flush(); err != nil {
			return j.b, err
		}
	}
	if x, ok := v.(rawJSON); ok {
		// a return as its minion sent it, checked when added: transcoded
		// through this writer's buffer
		b, ok, err := transcodeJSON(j.b, x, level, j.w)
		j.b = b
		if err != nil {
			j.err = err
			return b, err
		}
		if !ok {
			return b, fmt.Errorf("internal error: a return checked for the json format does not transcode")
		}
		return b, nil
	}
	b := j.b
	defer func() { j.b = b }()
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		return appendJSONFloat(b, x)
	case json.Number:
		if x == "" {
			return append(b, '0'), nil
		}
		if isInteger(string(x)) {
			return append(b, x...), nil
		}
	case map[string]any:
		if len(x) == 0 {
			return append(b, "{}"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIndent(b, level+1)
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			j.b = b
			var err error
			if b, err = j.value(x[k], level+1); err != nil {
				return b, err
			}
		}
		b = appendIndent(b, level)
		return append(b, '}'), nil
	case []any:
		if len(x) == 0 {
			return append(b, "[]"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIndent(b, level+1)
			j.b = b
			var err error
			if b, err = j.value(e, level+1); err != nil {
				return b, err
			}
		}
		b = appendIndent(b, level)
		return append(b, ']'), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	// Re-encode through the generic form so that it is indented and
	// escaped as the rest.
	var generic any
	if err := json.Unmarshal(enc, &generic); err != nil {
		return b, err
	}
	j.b = b
	b, err = j.value(normalize(generic), level)
	return b, err
}

// jsonSafe reports whether appendJSON writes v without an error: it is
// made of the types normalize returns only.
func jsonSafe(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return x == "" || isInteger(string(x))
	case rawJSON:
		return true
	case map[string]any:
		for _, e := range x {
			if !jsonSafe(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !jsonSafe(e) {
				return false
			}
		}
		return true
	}
	return isNormal(v)
}

func appendIndent(b []byte, level int) []byte {
	b = append(b, '\n')
	for i := 0; i < level; i++ {
		b = append(b, "    "...)
	}
	return b
}

// appendJSONFloat formats f as encoding/json does.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does without HTML escaping
// (invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped), and escapes DEL
// and the C1 controls as EscapeJSON does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029' || (r >= 0x80 && r <= 0x9f):
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
