package render

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
