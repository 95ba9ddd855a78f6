package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Map is an ordered mapping: Keys holds the keys in declaration order and
// Values the value of each key. Values are string, int, float64, bool, nil,
// []any or *Map.
type Map struct {
	Keys   []string
	Values map[string]any
}

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{Values: map[string]any{}} }

// Get returns the value of k and whether k is present.
func (m *Map) Get(k string) (any, bool) {
	if m == nil || m.Values == nil {
		return nil, false
	}
	v, ok := m.Values[k]
	return v, ok
}

// Set sets k to v, appending k to Keys when it is new.
func (m *Map) Set(k string, v any) {
	if m.Values == nil {
		m.Values = map[string]any{}
	}
	if _, ok := m.Values[k]; !ok {
		m.Keys = append(m.Keys, k)
	}
	m.Values[k] = v
}

// Delete removes k.
func (m *Map) Delete(k string) {
	if _, ok := m.Values[k]; !ok {
		return
	}
	delete(m.Values, k)
	for i, key := range m.Keys {
		if key == k {
			m.Keys = append(m.Keys[:i:i], m.Keys[i+1:]...)
			break
		}
	}
}

// Len returns the number of keys.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.Keys)
}

// ToPlain converts m deeply into map[string]any, turning every nested *Map
// into a map[string]any and copying lists.
func (m *Map) ToPlain() map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m.Keys))
	for _, k := range m.Keys {
		out[k] = plainValue(m.Values[k])
	}
	return out
}

func plainValue(v any) any {
	switch x := v.(type) {
	case *Map:
		return x.ToPlain()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainValue(e)
		}
		return out
	default:
		return v
	}
}

// MarshalJSON writes m as a JSON object with its keys in order, so that
// data sent as JSON (a pillar from the master to its minion) keeps the
// order of the files it came from; DecodeOrderedJSON reads it back.
func (m *Map) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := MarshalData(m.Values[k])
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalData encodes v as encoding/json does, but for floats, which keep
// a fraction ("70.0", where encoding/json writes 70): a float read from
// YAML (threshold: 70.0) stays a float for whoever decodes it keeping
// integers integers (the minion's templates see 70.0 and "is float", as
// in Salt). It walks *Map (keys in order), map[string]any (keys sorted),
// []any and scalars itself; any other type goes through encoding/json.
func MarshalData(v any) ([]byte, error) {
	if !hasFloat(v) {
		return json.Marshal(v) // the same bytes, in one call
	}
	return appendData(nil, v)
}

// hasFloat reports whether v holds a float where appendData writes it
// itself (not inside a value encoding/json encodes).
func hasFloat(v any) bool {
	switch x := v.(type) {
	case float64, float32:
		return true
	case *Map:
		if x == nil {
			return false
		}
		for _, e := range x.Values {
			if hasFloat(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasFloat(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasFloat(e) {
				return true
			}
		}
	}
	return false
}

func appendData(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case float64:
		return appendFloatData(b, x)
	case float32:
		return appendFloatData(b, float64(x))
	case *Map:
		mb, err := x.MarshalJSON()
		if err != nil {
			return b, err
		}
		return append(b, mb...), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendData(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
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
			kb, err := json.Marshal(k)
			if err != nil {
				return b, err
			}
			b = append(append(b, kb...), ':')
			if b, err = appendData(b, x[k]); err != nil {
				return b, fmt.Errorf("key %q: %w", k, err)
			}
		}
		return append(b, '}'), nil
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, vb...), nil
}

// appendFloatData writes f as encoding/json does, with ".0" when that
// has neither a fraction nor an exponent.
func appendFloatData(b []byte, f float64) ([]byte, error) {
	fb, err := json.Marshal(f)
	if err != nil {
		return b, err // NaN and infinities are not JSON
	}
	b = append(b, fb...)
	if !bytes.ContainsAny(fb, ".eE") {
		b = append(b, ".0"...)
	}
	return b, nil
}

// DecodeOrderedJSON decodes a JSON document keeping object key order:
// objects become *Map, arrays []any, numbers int (when integral) or
// float64.
func DecodeOrderedJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSONValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("extra data after the JSON document")
	}
	return v, nil
}

// MergeOrdered merges src into dst as Salt merges pillar files (its
// "smart"/"recurse" strategy without list merging): nested mappings merge
// key by key, anything else replaces; a key already in dst keeps its
// place, new keys go last.
func MergeOrdered(dst, src *Map) {
	for _, k := range src.Keys {
		sv := src.Values[k]
		if sm, ok := sv.(*Map); ok {
			if dm, ok := dst.Values[k].(*Map); ok {
				MergeOrdered(dm, sm)
				continue
			}
		}
		dst.Set(k, sv)
	}
}
