package render

import (
	"slices"
	"sync"
)

// ParseCache keeps the data of the SLS texts the yaml (and json) renderer
// parsed, for a later state run rendering the same text: a re-applied
// highstate renders its SLS files to the same text, and parsing a big
// one with yaml.v3 costs far more than copying its data. The data
// depends on the text only (the file name and line map serve errors,
// which are not kept). Every caller gets a deep copy of its own, so no
// caller's changes reach another; a text whose data holds a type the
// copy does not know is not kept. A ParseCache is safe for concurrent
// use; a minion keeps one for its lifetime.
type ParseCache struct {
	mu    sync.Mutex
	texts map[string]*Map
	fifo  []string // kept texts, oldest first
	size  int      // bytes of text kept
}

const (
	maxParsedText    = 1 << 20 // a text larger than this is not kept
	maxParsedBytes   = 4 << 20 // total text a ParseCache keeps
	maxParsedEntries = 64
)

// NewParseCache returns an empty ParseCache.
func NewParseCache() *ParseCache { return &ParseCache{texts: map[string]*Map{}} }

// parseSLSCached is parseSLSYAML through pc (nil: no cache).
func parseSLSCached(pc *ParseCache, text []byte, name string, lines *lineMap) (*Map, error) {
	if pc == nil || len(text) > maxParsedText {
		return parseSLSYAML(text, name, lines)
	}
	pc.mu.Lock()
	kept, ok := pc.texts[string(text)]
	pc.mu.Unlock()
	if ok {
		if m, ok := copyData(kept); ok {
			return m.(*Map), nil
		}
	}
	m, err := parseSLSYAML(text, name, lines)
	if err != nil {
		return nil, err
	}
	if c, ok := copyData(m); ok {
		pc.put(string(text), c.(*Map))
	}
	return m, nil
}

func (pc *ParseCache) put(text string, m *Map) {
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
	pc.texts[text] = m
	pc.fifo = append(pc.fifo, text)
	pc.size += len(text)
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
