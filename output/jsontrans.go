package output

import (
	"bytes"
	"io"
	"slices"
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
// jsonFlushAt bytes: objects' members sorted by key, re-indented and
// re-escaped. It gives up (ok false) on an object with a repeated key
// (decoding keeps the last one) and on data that is not one valid JSON
// value; with w set, what was handed to w before then is wrong, so
// callers check with a w that discards first.
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
	d       jsonDecoder
	out     []byte
	w       io.Writer
	err     error
	members []member // the members of the objects being written, outermost first
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

// maxTranscodeDepth is the nesting past which a value is decoded rather
// than transcoded: an object's members are scanned once for their spans
// and again as they are written, so each level scans what it holds again
// (a state run's return is 4 or 5 levels deep; a hostile one 10,000 deep
// would make the work quadratic).
const maxTranscodeDepth = 32

func (t *transcoder) value(level, depth int) bool {
	d := &t.d
	if d.pos >= len(d.data) || depth >= maxTranscodeDepth {
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

// member is an object member as transcoder.object reads it: its key
// (raw bytes when printable ASCII without escapes, else decoded) and the
// span of its value.
type member struct {
	raw          []byte
	dec          string
	escaped      bool
	vstart, vend int
}

func compareKeys(a, b *member) int {
	switch {
	case !a.escaped && !b.escaped:
		return bytes.Compare(a.raw, b.raw)
	case a.escaped && b.escaped:
		return strings.Compare(a.dec, b.dec)
	case a.escaped:
		return strings.Compare(a.dec, string(b.raw))
	default:
		return strings.Compare(string(a.raw), b.dec)
	}
}

// object writes an object with its members sorted by key, as appendJSON
// writes a map (a minion's results are structs, their fields in
// declaration order). It reads the members' spans first, then writes
// each; a repeated key gives up (decoding keeps the last one).
func (t *transcoder) object(level, depth int) bool {
	d := &t.d
	d.pos++ // {
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		t.out = append(t.out, "{}"...)
		return true
	}
	base := len(t.members)
	defer func() { t.members = t.members[:base] }()
	sorted := true
	for {
		if d.keyStart() != nil {
			return false
		}
		raw, dec, escaped, ok := t.key()
		if !ok || d.colon() != nil {
			return false
		}
		m := member{raw: raw, dec: dec, escaped: escaped, vstart: d.pos}
		if d.skip(depth) != nil {
			return false
		}
		m.vend = d.pos
		if n := len(t.members); n > base && compareKeys(&t.members[n-1], &m) >= 0 {
			sorted = false
		}
		t.members = append(t.members, m)
		done, err := d.next('}')
		if err != nil {
			return false
		}
		if done {
			break
		}
	}
	end := d.pos
	n := len(t.members) - base
	if !sorted {
		ms := t.members[base:]
		slices.SortStableFunc(ms, func(a, b member) int { return compareKeys(&a, &b) })
		for i := 1; i < n; i++ {
			if compareKeys(&ms[i-1], &ms[i]) == 0 {
				return false // a repeated key
			}
		}
	}
	t.out = append(t.out, '{')
	for i := 0; i < n; i++ {
		m := t.members[base+i] // a copy: writing the value may grow t.members
		if i > 0 {
			t.out = append(t.out, ',')
		}
		t.out = appendIndent(t.out, level+1)
		if m.escaped {
			t.out = appendJSONString(t.out, m.dec)
		} else {
			t.out = append(t.out, '"')
			t.out = append(t.out, m.raw...)
			t.out = append(t.out, '"')
		}
		t.out = append(t.out, ": "...)
		d.pos = m.vstart
		if !t.value(level+1, depth) || d.pos != m.vend || !t.flush() {
			return false
		}
	}
	d.pos = end
	t.out = appendIndent(t.out, level)
	t.out = append(t.out, '}')
	return true
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
		done, err := d.next(']')
		if err != nil {
			return false
		}
		if done {
			t.out = appendIndent(t.out, level)
			t.out = append(t.out, ']')
			return true
		}
	}
}
