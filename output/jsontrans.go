package output

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// A return arrives at ctl as JSON. For the json format it is re-indented
// here in one pass, straight from those bytes, when that gives exactly
// what decoding it and encoding the value would (see transcodeJSON):
// decoding a state run's return into maps only to print them again was
// most of ctl's time after the return arrived.

// rawJSON is a return value as its minion sent it, which transcodeJSON
// was found to print as decoding it would (a value of the json format's
// document, at nesting level 1): the printer transcodes it again as it
// writes the document, through its small buffer, rather than keeping a
// second copy of it.
type rawJSON []byte

// transcodeJSON re-encodes the JSON value data as appendJSON encodes its
// decoded value (DecodeJSON) at the given nesting level, appending to
// out, and handing what it has to w (when not nil) whenever it holds over
// jsonFlushAt bytes. It gives up (ok false) where that would take more
// than re-indenting and re-escaping: an object whose keys are not in
// strictly increasing order (they must be sorted, or a repeated key
// dropped), or data that is not one valid JSON value; with w set, what
// was handed to w before then is wrong, so callers check with a w that
// discards first. Go's encoding/json, which minions encode returns with,
// writes map keys sorted, so a return is normally transcoded.
func transcodeJSON(out []byte, data []byte, level int, w io.Writer) (_ []byte, ok bool, err error) {
	t := transcoder{d: jsonDecoder{data: data}, out: out, w: w}
	t.d.space()
	if !t.value(level, 0) {
		return t.out, false, t.err
	}
	t.d.space()
	if t.d.pos != len(data) {
		return t.out, false, t.err
	}
	return t.out, true, t.err
}

// checkTranscodable reports whether transcodeJSON takes data, without
// keeping what it writes.
func checkTranscodable(data []byte) bool {
	_, ok, err := transcodeJSON(make([]byte, 0, jsonFlushAt+4096), data, 1, io.Discard)
	return ok && err == nil
}

type transcoder struct {
	d   jsonDecoder
	out []byte
	w   io.Writer
	err error
}

// flush hands out to w when it is large; false when w failed.
func (t *transcoder) flush() bool {
	if t.w == nil || len(t.out) < jsonFlushAt {
		return t.err == nil
	}
	if t.err == nil {
		if _, err := t.w.Write(t.out); err != nil {
			t.err = err
		}
	}
	t.out = t.out[:0]
	return t.err == nil
}

func (t *transcoder) value(level, depth int) bool {
	d := &t.d
	if d.pos >= len(d.data) || depth >= maxJSONDepth {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return t.object(level, depth+1)
	case c == '[':
		return t.array(level, depth+1)
	case c == '"':
		return t.str()
	case c == 't':
		t.out = append(t.out, "true"...)
		return d.literal("true") == nil
	case c == 'f':
		t.out = append(t.out, "false"...)
		return d.literal("false") == nil
	case c == 'n':
		t.out = append(t.out, "null"...)
		return d.literal("null") == nil
	default:
		start := d.pos
		integer, err := d.scanNumber()
		if err != nil {
			return false
		}
		text := d.data[start:d.pos]
		if integer {
			// JSON's integer grammar is strconv's canonical form but
			// for -0 (an int64 0 then, written 0): digits as they are
			if string(text) == "-0" {
				text = text[1:]
			}
			t.out = append(t.out, text...)
			return true
		}
		if f, err := strconv.ParseFloat(string(text), 64); err == nil {
			t.out, err = appendJSONFloat(t.out, f)
			return err == nil
		}
		// out of float64's range: as DecodeJSON gives it
		d.pos = start
		v, err := d.number()
		if err != nil {
			return false
		}
		if t.out, err = appendJSON(t.out, v, level); err != nil {
			return false
		}
		return true
	}
}

// str copies a string that is printable ASCII without escapes as it is
// (appendJSONString writes it the same); any other is decoded and
// written by appendJSONString.
func (t *transcoder) str() bool {
	d := &t.d
	start := d.pos
	for i := start + 1; i < len(d.data); i++ {
		c := d.data[i]
		if c == '"' {
			t.out = append(t.out, d.data[start:i+1]...)
			d.pos = i + 1
			return true
		}
		if c == '\\' || c < 0x20 || c >= 0x7f {
			break
		}
	}
	s, err := d.str()
	if err != nil {
		return false
	}
	t.out = appendJSONString(t.out, s.(string))
	return true
}

// key reads an object key: its raw bytes between the quotes when they
// are printable ASCII without escapes, else the decoded string.
func (t *transcoder) key() (raw []byte, decoded string, escaped, ok bool) {
	d := &t.d
	start := d.pos
	for i := start + 1; i < len(d.data); i++ {
		c := d.data[i]
		if c == '"' {
			d.pos = i + 1
			return d.data[start+1 : i], "", false, true
		}
		if c == '\\' || c < 0x20 || c >= 0x7f {
			break
		}
	}
	s, err := d.str()
	if err != nil {
		return nil, "", false, false
	}
	return nil, s.(string), true, true
}

func (t *transcoder) object(level, depth int) bool {
	d := &t.d
	d.pos++ // {
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		t.out = append(t.out, "{}"...)
		return true
	}
	t.out = append(t.out, '{')
	// the previous key: its raw bytes, or the decoded string when it had
	// escapes (keys compare as Go strings, byte by byte, either way)
	var prevRaw []byte
	var prevDec string
	prevEscaped := false
	first := true
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return false
		}
		raw, dec, escaped, ok := t.key()
		if !ok {
			return false
		}
		if !first {
			var cmp int
			switch {
			case !escaped && !prevEscaped:
				cmp = bytes.Compare(raw, prevRaw)
			case escaped && prevEscaped:
				cmp = strings.Compare(dec, prevDec)
			case escaped:
				cmp = strings.Compare(dec, string(prevRaw))
			default:
				cmp = strings.Compare(string(raw), prevDec)
			}
			if cmp <= 0 {
				return false // not sorted, or a repeated key
			}
			t.out = append(t.out, ',')
		}
		first = false
		t.out = appendIndent(t.out, level+1)
		if escaped {
			t.out = appendJSONString(t.out, dec)
		} else {
			t.out = append(t.out, '"')
			t.out = append(t.out, raw...)
			t.out = append(t.out, '"')
		}
		prevRaw, prevDec, prevEscaped = raw, dec, escaped
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return false
		}
		d.pos++
		d.space()
		t.out = append(t.out, ": "...)
		if !t.value(level+1, depth) || !t.flush() {
			return false
		}
		d.space()
		if d.pos >= len(d.data) {
			return false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.space()
		case '}':
			d.pos++
			t.out = appendIndent(t.out, level)
			t.out = append(t.out, '}')
			return true
		default:
			return false
		}
	}
}

func (t *transcoder) array(level, depth int) bool {
	d := &t.d
	d.pos++ // [
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		t.out = append(t.out, "[]"...)
		return true
	}
	t.out = append(t.out, '[')
	for first := true; ; first = false {
		if !first {
			t.out = append(t.out, ',')
		}
		t.out = appendIndent(t.out, level+1)
		if !t.value(level+1, depth) || !t.flush() {
			return false
		}
		d.space()
		if d.pos >= len(d.data) {
			return false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.space()
		case ']':
			d.pos++
			t.out = appendIndent(t.out, level)
			t.out = append(t.out, ']')
			return true
		default:
			return false
		}
	}
}
