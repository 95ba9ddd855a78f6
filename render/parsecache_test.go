package render

import (
	"context"
	"fmt"
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
				m, err := parseSLSCached(pc, []byte(text), "s.sls", nil)
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
