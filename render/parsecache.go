package render

import (
	"math"
	"slices"
	"sync"
)

// ParseCache keeps the data of the SLS texts the yaml (and json) renderer
// parsed, for a later state run rendering the same text: a re-applied
// highstate renders its SLS files to the same text, and parsing a big
// one with yaml.v3 costs far more than copying its data. The data
// depends on the text only (the file name and line map serve errors,
// which are not kept). A caller gets a deep copy of its own, so no
// caller's changes reach another, unless its Context says it does not
// change the data (ReadOnlyData): such callers share one copy, which is
// checked against the kept original before it is handed out again and
// replaced if anything changed it. A text whose data holds a type the
// copy does not know is not kept. A ParseCache is safe for concurrent
// use; a minion keeps one for its lifetime.
type ParseCache struct {
	mu    sync.Mutex
	texts map[string]*parsed
	fifo  []string // kept texts, oldest first
	size  int      // bytes of text kept
}

// parsed is one text's data: the original, never handed out, and the
// copy read-only callers share (nil until one asks).
type parsed struct {
	orig, shared *Map
}

const (
	maxParsedText    = 1 << 20 // a text larger than this is not kept
	maxParsedBytes   = 4 << 20 // total text a ParseCache keeps
	maxParsedEntries = 64
)

// NewParseCache returns an empty ParseCache.
func NewParseCache() *ParseCache { return &ParseCache{texts: map[string]*parsed{}} }

// parseSLSCached is parseSLSYAML through pc (nil: no cache). readOnly
// says the caller does not change what it gets.
func parseSLSCached(pc *ParseCache, text []byte, name string, lines *lineMap, readOnly bool) (*Map, error) {
	if pc == nil || len(text) > maxParsedText {
		return parseSLSYAML(text, name, lines)
	}
	pc.mu.Lock()
	p, ok := pc.texts[string(text)]
	pc.mu.Unlock()
	if ok {
		if readOnly {
			return pc.sharedCopy(p), nil
		}
		if m, ok := copyData(p.orig); ok {
			return m.(*Map), nil
		}
	}
	m, err := parseSLSYAML(text, name, lines)
	if err != nil {
		return nil, err
	}
	if c, ok := copyData(m); ok {
		p := &parsed{orig: c.(*Map)}
		if readOnly {
			p.shared = m
		}
		pc.put(string(text), p)
	}
	return m, nil
}

// sharedCopy returns the copy of p's data read-only callers share, made
// again from the original if a caller changed it after all (a broken
// promise costs a copy, never a wrong result for the next caller).
func (pc *ParseCache) sharedCopy(p *parsed) *Map {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if p.shared == nil || !sameData(p.shared, p.orig) {
		c, _ := copyData(p.orig) // orig holds only what copyData knows
		p.shared = c.(*Map)
	}
	return p.shared
}

// SharedStatus counts the kept texts whose data read-only callers share,
// and among them those whose shared copy no longer equals the original
// (a caller changed it: the next one gets a new copy). For tests and
// diagnostics.
func (pc *ParseCache) SharedStatus() (shared, changed int) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for _, p := range pc.texts {
		if p.shared != nil {
			shared++
			if !sameData(p.shared, p.orig) {
				changed++
			}
		}
	}
	return shared, changed
}

func (pc *ParseCache) put(text string, p *parsed) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if _, ok := pc.texts[text]; ok {
		return
	}
	for len(pc.fifo) > 0 && (pc.size+len(text) > maxParsedBytes || len(pc.fifo) >= maxParsedEntries) {
		old := pc.fifo[0]
		pc.fifo = pc.fifo[1:]
		pc.size -= len(old)
		delete(pc.texts, old)
	}
	pc.texts[text] = p
	pc.fifo = append(pc.fifo, text)
	pc.size += len(text)
}

// sameData reports whether a and b, data of the kinds copyData knows,
// are equal: same types, same values, maps with the same keys in the
// same order.
func sameData(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int:
		y, ok := b.(int)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case uint64:
		y, ok := b.(uint64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case *Map:
		y, ok := b.(*Map)
		if !ok || x == nil || y == nil || len(x.Keys) != len(y.Keys) || len(x.Values) != len(y.Values) || (x.Values == nil) != (y.Values == nil) {
			return false
		}
		for i, k := range x.Keys {
			if y.Keys[i] != k {
				return false
			}
			yv, ok := y.Values[k]
			if !ok || !sameData(x.Values[k], yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameData(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// copyData deep-copies what the YAML stage produces; ok is false for
// anything else.
func copyData(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool, string, int, int64, uint64, float64:
		return x, true
	case *Map:
		if x == nil {
			return nil, false
		}
		m := &Map{Keys: slices.Clone(x.Keys)}
		if x.Values != nil {
			m.Values = make(map[string]any, len(x.Values))
		}
		for k, e := range x.Values {
			c, ok := copyData(e)
			if !ok {
				return nil, false
			}
			m.Values[k] = c
		}
		return m, true
	case []any:
		if x == nil {
			return []any(nil), true
		}
		out := make([]any, len(x))
		for i, e := range x {
			c, ok := copyData(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	}
	return nil, false
}
