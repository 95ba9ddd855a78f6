package render

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const cachedSLS = `{% set n = grains.n %}
a:
  pkg.installed:
    - pkgs: &p [x, y]
    - version: 1.2
    - refresh: yes
    - n: {{ n }}
    - big: 12345678901234567890
    - none: ~
    - empty: {}
    - list: []
b:
  file.managed:
    - names: *p
    - context: {k: {deep: [1, {z: 2}]}}
`

// renderSLS renders cachedSLS through the jinja|yaml pipeline.
func renderSLS(t *testing.T, pc *ParseCache, text, name string, n int) (*Map, error) {
	t.Helper()
	return SLS(context.Background(), []byte(text), name, &Context{Grains: map[string]any{"n": n}, Parsed: pc})
}

// A parse served by the cache is what parsing gives, and each caller's
// data is its own: changing it changes no later result.
func TestParseCacheCopies(t *testing.T) {
	pc := NewParseCache()
	want, err := renderSLS(t, nil, cachedSLS, "s.sls", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		got, err := renderSLS(t, pc, cachedSLS, "s.sls", 1)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("render %d: %#v, want %#v", i, got, want)
		}
		// what highstate or a state might do to its data
		a, _ := got.Get("a")
		am := a.(*Map)
		am.Values["pkg.installed"] = "changed"
		am.Keys = append(am.Keys, "extra")
		b, _ := got.Get("b")
		args := b.(*Map).Values["file.managed"].([]any)
		args[0].(*Map).Values["names"].([]any)[0] = "changed"
		ctx := args[1].(*Map).Values["context"].(*Map)
		ctx.Values["k"].(*Map).Values["deep"].([]any)[1].(*Map).Values["z"] = 3
		got.Keys = got.Keys[:1]
	}
	if n := len(pc.texts); n != 1 {
		t.Errorf("%d texts kept, want 1", n)
	}
	// another rendering is another text
	other, err := renderSLS(t, pc, cachedSLS, "s.sls", 2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := other.Get("a")
	if args := a.(*Map).Values["pkg.installed"].([]any); fmt.Sprint(args[3].(*Map).Values["n"]) != "2" {
		t.Errorf("second text: %v", args[3])
	}
}

// Errors are not kept: each render of a bad text fails, naming its file.
func TestParseCacheErrors(t *testing.T) {
	pc := NewParseCache()
	for _, name := range []string{"one.sls", "two.sls"} {
		_, err := renderSLS(t, pc, "a: [1\nb: 2\n", name, 1)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(pc.texts); n != 0 {
		t.Errorf("%d texts kept, want 0", n)
	}
}

// The cache stays within its bounds, and is safe for concurrent use.
func TestParseCacheBounded(t *testing.T) {
	pc := NewParseCache()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				text := fmt.Sprintf("id%d:\n  test.nop:\n    - n: %d\n", i, i)
				m, err := parseSLSCached(pc, []byte(text), "s.sls", nil, g%2 == 0)
				if err != nil {
					t.Error(err)
					return
				}
				v, _ := m.Get(fmt.Sprintf("id%d", i))
				args, _ := v.(*Map).Values["test.nop"].([]any)
				if len(args) != 1 || !reflect.DeepEqual(args[0], &Map{Keys: []string{"n"}, Values: map[string]any{"n": i}}) {
					t.Errorf("text %d: %#v", i, args)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if n := len(pc.texts); n > maxParsedEntries || len(pc.fifo) != n {
		t.Errorf("%d texts kept (%d in order), at most %d", n, len(pc.fifo), maxParsedEntries)
	}
}

// Read-only callers share one copy of a text's data; one that changes it
// after all costs a new copy, never a wrong result for the next caller;
// other callers still get copies of their own.
func TestParseCacheReadOnlyShares(t *testing.T) {
	pc := NewParseCache()
	want, err := renderSLS(t, nil, cachedSLS, "s.sls", 1)
	if err != nil {
		t.Fatal(err)
	}
	ro := func() *Map {
		t.Helper()
		m, err := SLS(context.Background(), []byte(cachedSLS), "s.sls", &Context{Grains: map[string]any{"n": 1}, Parsed: pc, ReadOnlyData: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("read-only render: %#v, want %#v", m, want)
		}
		return m
	}
	first := ro()
	second := ro()
	if first != second {
		t.Error("two read-only renders of the same text got two copies")
	}
	own, err := renderSLS(t, pc, cachedSLS, "s.sls", 1)
	if err != nil {
		t.Fatal(err)
	}
	if own == first {
		t.Error("a caller that may change its data got the shared copy")
	}
	for _, change := range []func(m *Map){
		func(m *Map) { m.Keys[0], m.Keys[1] = m.Keys[1], m.Keys[0] },
		func(m *Map) {
			b, _ := m.Get("b")
			ctx := b.(*Map).Values["file.managed"].([]any)[1].(*Map).Values["context"].(*Map)
			ctx.Values["k"].(*Map).Values["deep"].([]any)[1].(*Map).Values["z"] = 3
		},
		func(m *Map) {
			a, _ := m.Get("a")
			args := a.(*Map).Values["pkg.installed"].([]any)
			args[1].(*Map).Values["version"] = "1.2"
		},
		func(m *Map) { m.Values["c"] = 1; m.Keys = append(m.Keys, "c") },
	} {
		m := ro()
		change(m) // a broken promise
		if again := ro(); again == m {
			t.Error("a changed shared copy was handed out again")
		}
	}
}

func TestSameData(t *testing.T) {
	mk := func(kv ...any) *Map {
		m := NewMap()
		for i := 0; i+1 < len(kv); i += 2 {
			m.Set(kv[i].(string), kv[i+1])
		}
		return m
	}
	same := [][2]any{{nil, nil}, {1, 1}, {int64(1), int64(1)}, {"a", "a"}, {1.5, 1.5}, {[]any{1, "x"}, []any{1, "x"}},
		{mk("a", 1, "b", []any{mk("c", nil)}), mk("a", 1, "b", []any{mk("c", nil)})}}
	differ := [][2]any{{nil, 0}, {1, int64(1)}, {1, 2}, {1.0, 1}, {0.0, math.Copysign(0, -1)}, {[]any{}, []any(nil)}, {[]any{1}, []any{1, 2}},
		{mk("a", 1, "b", 2), mk("b", 2, "a", 1)}, {mk("a", 1), mk("a", 2)}, {mk("a", []any{1}), mk("a", []any{2})}, {true, "true"}}
	for _, c := range same {
		if !sameData(c[0], c[1]) {
			t.Errorf("%#v and %#v: not the same", c[0], c[1])
		}
	}
	for _, c := range differ {
		if sameData(c[0], c[1]) {
			t.Errorf("%#v and %#v: the same", c[0], c[1])
		}
	}
}
