package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeJSON decodes one JSON document into the values normalize
// returns: nil, bool, string, int64, uint64, float64, json.Number
// (integers beyond 64 bits), map[string]any and []any. It accepts what
// encoding/json accepts and gives what encoding/json's decoding (numbers
// kept as json.Number) followed by normalize gives, in one pass and
// with fewer allocations: ctl decodes every minion's return with it, and
// a state run's return is hundreds of kilobytes.
func DecodeJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, d.errorf("invalid character %s after top-level value", quoteChar(d.data[d.pos]))
	}
	return v, nil
}

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

type jsonDecoder struct {
	data []byte
	pos  int
	buf  []byte // scratch for strings with escapes
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

var errJSONEnd = errors.New("unexpected end of JSON input")

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, errJSONEnd
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		if depth >= maxJSONDepth {
			return nil, d.errorf("exceeded max depth")
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= maxJSONDepth {
			return nil, d.errorf("exceeded max depth")
		}
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("invalid character %s looking for beginning of value", quoteChar(c))
	}
}

func (d *jsonDecoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.data) {
			return errJSONEnd
		}
		if d.data[d.pos] != word[i] {
			return d.errorf("invalid character %s in literal %s", quoteChar(d.data[d.pos]), word)
		}
		d.pos++
	}
	return nil
}

// keyStart checks that an object key's string starts here.
func (d *jsonDecoder) keyStart() error {
	if d.pos >= len(d.data) {
		return errJSONEnd
	}
	if d.data[d.pos] != '"' {
		return d.errorf("invalid character %s looking for beginning of object key string", quoteChar(d.data[d.pos]))
	}
	return nil
}

// colon moves past the ':' after an object key and the space around it.
func (d *jsonDecoder) colon() error {
	d.space()
	if d.pos >= len(d.data) {
		return errJSONEnd
	}
	if d.data[d.pos] != ':' {
		return d.errorf("invalid character %s after object key", quoteChar(d.data[d.pos]))
	}
	d.pos++
	d.space()
	return nil
}

// next moves past what follows an element of an object or array: a
// comma and the space after it (done false), or the container's end
// byte (done true).
func (d *jsonDecoder) next(end byte) (done bool, err error) {
	d.space()
	if d.pos >= len(d.data) {
		return false, errJSONEnd
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		d.space()
		return false, nil
	case end:
		d.pos++
		return true, nil
	}
	what := "array element"
	if end == '}' {
		what = "object key:value pair"
	}
	return false, d.errorf("invalid character %s after %s", quoteChar(d.data[d.pos]), what)
}

func (d *jsonDecoder) object(depth int) (any, error) {
	d.pos++ // {
	d.space()
	m := map[string]any{}
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, nil
	}
	for {
		if err := d.keyStart(); err != nil {
			return nil, err
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if err := d.colon(); err != nil {
			return nil, err
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[k.(string)] = v
		if done, err := d.next('}'); err != nil || done {
			return m, err
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	d.pos++ // [
	d.space()
	s := []any{}
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return s, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		s = append(s, v)
		if done, err := d.next(']'); err != nil || done {
			return s, err
		}
	}
}

// number reads a JSON number and converts it as normNumber does.
func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	integer, err := d.scanNumber()
	if err != nil {
		return nil, err
	}
	text := string(d.data[start:d.pos])
	if integer {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, nil
		}
		if n, err := strconv.ParseUint(text, 10, 64); err == nil {
			return n, nil
		}
		return json.Number(text), nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// out of float64's range: shown as written, as normNumber does
		return text, nil
	}
	return normFloat(f), nil
}

// scanNumber moves past a JSON number, reporting whether it is an
// integer (no fraction, no exponent).
func (d *jsonDecoder) scanNumber() (integer bool, err error) {
	data := d.data
	i := d.pos
	if i < len(data) && data[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i - j
	}
	if i >= len(data) {
		return false, errJSONEnd
	}
	switch {
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		digits()
	default:
		d.pos = i
		return false, d.errorf("invalid character %s in numeric literal", quoteChar(data[i]))
	}
	integer = true
	if i < len(data) && data[i] == '.' {
		integer = false
		i++
		if digits() == 0 {
			d.pos = i
			if i >= len(data) {
				return false, errJSONEnd
			}
			return false, d.errorf("invalid character %s after decimal point in numeric literal", quoteChar(data[i]))
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integer = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			if i >= len(data) {
				return false, errJSONEnd
			}
			return false, d.errorf("invalid character %s in exponent of numeric literal", quoteChar(data[i]))
		}
	}
	d.pos = i
	return integer, nil
}

// skip moves past one JSON value, checking it, without building it.
func (d *jsonDecoder) skip(depth int) error {
	if d.pos >= len(d.data) {
		return errJSONEnd
	}
	switch c := d.data[d.pos]; {
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return d.errorf("exceeded max depth")
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.pos++
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == end {
			d.pos++
			return nil
		}
		for {
			if c == '{' {
				if err := d.keyStart(); err != nil {
					return err
				}
				if err := d.skipString(); err != nil {
					return err
				}
				if err := d.colon(); err != nil {
					return err
				}
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if done, err := d.next(end); err != nil || done {
				return err
			}
		}
	case c == '"':
		return d.skipString()
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := d.scanNumber()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		return d.errorf("invalid character %s looking for beginning of value", quoteChar(c))
	}
}

// skipString moves past a JSON string, checking its escapes.
func (d *jsonDecoder) skipString() error {
	data := d.data
	for i := d.pos + 1; i < len(data); {
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c < 0x20:
			d.pos = i
			return d.errorf("invalid character %s in string literal", quoteChar(c))
		case c == '\\':
			if i+1 >= len(data) {
				return errJSONEnd
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(data, i+2); !ok {
					d.pos = i + 2
					if i+6 > len(data) {
						return errJSONEnd
					}
					return d.errorf("invalid character in \\u hexadecimal character escape")
				}
				i += 6
			default:
				d.pos = i + 1
				return d.errorf("invalid character %s in string escape code", quoteChar(data[i+1]))
			}
		default:
			i++
		}
	}
	return errJSONEnd
}

// CutMember splits the JSON object data into the raw value of its member
// name (nil when it has none) and the object without that member, which
// it copies. The raw value is checked to be JSON but not decoded: ctl
// takes a minion's return this way, its few fields decoded apart from
// the value, which may be large.
func CutMember(data []byte, name string) (value, rest []byte, err error) {
	d := jsonDecoder{data: data}
	d.space()
	if d.pos >= len(data) || data[d.pos] != '{' {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	d.pos++
	d.space()
	rest = append(make([]byte, 0, 512), '{')
	if d.pos < len(data) && data[d.pos] == '}' {
		d.pos++
	} else {
		for {
			if err := d.keyStart(); err != nil {
				return nil, nil, err
			}
			start := d.pos
			k, err := d.str()
			if err != nil {
				return nil, nil, err
			}
			if err := d.colon(); err != nil {
				return nil, nil, err
			}
			vstart := d.pos
			if err := d.skip(1); err != nil {
				return nil, nil, err
			}
			if k == name {
				value = data[vstart:d.pos] // a repeated member: the last, as a decoder takes
			} else {
				if len(rest) > 1 {
					rest = append(rest, ',')
				}
				rest = append(rest, data[start:d.pos]...)
			}
			done, err := d.next('}')
			if err != nil {
				return nil, nil, err
			}
			if done {
				break
			}
		}
	}
	d.space()
	if d.pos != len(data) {
		return nil, nil, d.errorf("invalid character %s after top-level value", quoteChar(data[d.pos]))
	}
	return value, append(rest, '}'), nil
}

// str reads a JSON string as encoding/json does: invalid UTF-8 and lone
// surrogates become U+FFFD.
func (d *jsonDecoder) str() (any, error) {
	d.pos++ // "
	start := d.pos
	data := d.data
	// fast path: no escapes, ASCII or valid UTF-8
	for i := start; i < len(data); i++ {
		c := data[i]
		if c == '"' {
			d.pos = i + 1
			return string(data[start:i]), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	b := d.buf[:0]
	i := start
	for {
		if i >= len(data) {
			d.pos = i
			return nil, errJSONEnd
		}
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = b
			return string(b), nil
		case c < 0x20:
			d.pos = i
			return nil, d.errorf("invalid character %s in string literal", quoteChar(c))
		case c == '\\':
			if i+1 >= len(data) {
				d.pos = i + 1
				return nil, errJSONEnd
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i += 2
			case 'b':
				b = append(b, '\b')
				i += 2
			case 'f':
				b = append(b, '\f')
				i += 2
			case 'n':
				b = append(b, '\n')
				i += 2
			case 'r':
				b = append(b, '\r')
				i += 2
			case 't':
				b = append(b, '\t')
				i += 2
			case 'u':
				r, ok := hex4(data, i+2)
				if !ok {
					d.pos = i + 2
					if i+6 > len(data) {
						return nil, errJSONEnd
					}
					return nil, d.errorf("invalid character in \\u hexadecimal character escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' {
						r2, ok = hex4(data, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						i += 6
						r = dec
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				d.pos = i + 1
				return nil, d.errorf("invalid character %s in string escape code", quoteChar(e))
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, data[i:i+size]...)
			}
			i += size
		}
	}
}

func hex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}
