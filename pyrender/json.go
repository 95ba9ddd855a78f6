package pyrender

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/brine-cm/brine/render"
)

// encode writes v as JSON, keeping the order of *render.Map keys (Python
// dicts keep it too).
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeTo(&buf, v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeTo(buf *bytes.Buffer, v any, depth int) error {
	if depth > 1000 {
		return fmt.Errorf("value nested too deeply")
	}
	writeKey := func(k string) {
		b, _ := json.Marshal(k)
		buf.Write(b)
		buf.WriteByte(':')
	}
	switch t := v.(type) {
	case *render.Map:
		if t == nil {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('{')
		for i, k := range t.Keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeKey(k)
			if err := encodeTo(buf, t.Values[k], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeKey(k)
			if err := encodeTo(buf, t[k], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeTo(buf, e, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("%v cannot be passed", t)
		}
		b, _ := json.Marshal(t)
		buf.Write(b)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}

// decodeOrdered parses JSON with objects as *render.Map in document
// order; integral numbers become int.
func decodeOrdered(data []byte) (any, error) { return decode(data, true) }

// decodePlain parses JSON with objects as map[string]any.
func decodePlain(data []byte) (any, error) { return decode(data, false) }

func decode(data []byte, ordered bool) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, ordered)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, ordered bool) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := render.NewMap()
			plain := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, ordered)
				if err != nil {
					return nil, err
				}
				if ordered {
					m.Set(k, v)
				} else {
					plain[k] = v
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if ordered {
				return m, nil
			}
			return plain, nil
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeValue(dec, ordered)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return out, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return int(n), nil
		}
		f, err := t.Float64()
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	return tok, nil
}
