package render

import (
	"context"
	"math"
	"testing"
)

// renderCached renders tpl with one Cache, as the renders of a state run do.
func renderCached(t *testing.T, cache *Cache, tpl string, c *Context) string {
	t.Helper()
	c.Cache = cache
	out, err := Jinja(context.Background(), []byte(tpl), "f", c)
	if err != nil {
		t.Fatalf("render %q: %v", tpl, err)
	}
	return string(out)
}

// A render of a state run reuses the grains, pillar and opts converted
// for the previous one while they are unchanged; the test is not vacuous.
func TestConvGlobalReused(t *testing.T) {
	cache := NewCache()
	g := map[string]any{"id": "m1", "ip": []any{"10.0.0.1"}, "n": map[string]any{"a": 1}}
	renderCached(t, cache, "{{ grains.id }}", &Context{Grains: g})
	st := cache.getState()
	first := st.conv[0]
	cache.putState(st)
	if first == nil {
		t.Fatal("no conversion kept")
	}
	renderCached(t, cache, "{{ grains.id }}", &Context{Grains: g})
	st = cache.getState()
	defer cache.putState(st)
	if mapID(st.conv[0]) != mapID(first) {
		t.Error("unchanged grains converted again")
	}
}

// Whatever a render does to its grains, pillar or opts, or whatever
// changes the caller's data between renders, the next render sees the
// caller's data as it is then.
func TestConvGlobalNeverStale(t *testing.T) {
	show := "{{ grains.id }} {{ grains.ip|join(',') }} {{ grains.n.a }} {{ grains.f }} {{ pillar|tojson }} {{ opts.test }}"
	fresh := func(g, p, o map[string]any) string {
		out, err := Jinja(context.Background(), []byte(show), "f", &Context{Grains: g, Pillar: p, Opts: o})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	mk := func() (g, p, o map[string]any) {
		return map[string]any{"id": "m1", "ip": []any{"10.0.0.1"}, "n": map[string]any{"a": 1}, "f": 0.5},
			map[string]any{"k": map[string]any{"x": []any{1, 2}}, "y": map[string]any{"x": []any{1, 2}}, "ip": []any{"10.0.0.1"}},
			map[string]any{"test": false}
	}
	for _, tc := range []struct{ name, mutate string }{
		{"update", "{% do grains.update({'id': 'other'}) %}"},
		{"nested dict", "{% do grains.n.update({'a': 2}) %}"},
		{"list append", "{% do grains.ip.append('x') %}"},
		{"list item", "{% do grains.ip.pop() %}{% do grains.ip.append('10.0.0.2') %}"},
		{"pillar nested", "{% do pillar.k.x.append(3) %}"},
		{"pop and back", "{% set v = grains.pop('n') %}{% do grains.update({'n': {'a': 1}}) %}"},
		{"opts", "{% do opts.update({'test': true}) %}"},
		{"type", "{% do grains.update({'f': '0.5'}) %}"},
		{"int for float", "{% do grains.update({'f': 1}) %}"},
		// equal values, but one dict (or list) twice: a later render
		// changing one would change the other
		{"aliased dicts", "{% do pillar.update({'k': pillar.y}) %}"},
		{"aliased lists", "{% do pillar.k.update({'x': pillar.y.x}) %}"},
		{"across globals", "{% do pillar.update({'ip': grains.ip}) %}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := NewCache()
			g, p, o := mk()
			want := fresh(mk())
			renderCached(t, cache, tc.mutate, &Context{Grains: g, Pillar: p, Opts: o})
			if got := renderCached(t, cache, show, &Context{Grains: g, Pillar: p, Opts: o}); got != want {
				t.Errorf("after %s: %q, want %q", tc.mutate, got, want)
			}
			// a change through one of two aliased containers must not show
			// through the other
			const change = "{% do pillar.y.x.append(9) %}{% do grains.ip.append('x') %}{{ pillar|tojson }}"
			plain, err := Jinja(context.Background(), []byte(change), "f", &Context{Grains: g, Pillar: p, Opts: o})
			if err != nil {
				t.Fatal(err)
			}
			if got := renderCached(t, cache, change, &Context{Grains: g, Pillar: p, Opts: o}); got != string(plain) {
				t.Errorf("after %s, a change: %q, want %q", tc.mutate, got, plain)
			}
			if got := renderCached(t, cache, show, &Context{Grains: g, Pillar: p, Opts: o}); got != want {
				t.Errorf("after %s and a change: %q, want %q", tc.mutate, got, want)
			}
		})
	}
	t.Run("caller changes", func(t *testing.T) {
		cache := NewCache()
		g, p, o := mk()
		renderCached(t, cache, show, &Context{Grains: g, Pillar: p, Opts: o})
		// in place, as a state changing the run's grains would
		g["id"] = "m2"
		g["n"].(map[string]any)["a"] = 3
		g["ip"].([]any)[0] = "10.9.9.9"
		g["f"] = 0.0
		p["new"] = true
		want := fresh(g, p, o)
		if got := renderCached(t, cache, show, &Context{Grains: g, Pillar: p, Opts: o}); got != want {
			t.Errorf("after in-place changes: %q, want %q", got, want)
		}
		// equal to the float before, but printed differently
		g["f"] = math.Copysign(0, -1)
		want = fresh(g, p, o)
		if got := renderCached(t, cache, show, &Context{Grains: g, Pillar: p, Opts: o}); got != want {
			t.Errorf("after in-place changes: %q, want %q", got, want)
		}
		// replaced (saltutil.refresh_pillar)
		p2 := map[string]any{"k": "v"}
		want = fresh(g, p2, o)
		if got := renderCached(t, cache, show, &Context{Grains: g, Pillar: p2, Opts: o}); got != want {
			t.Errorf("after a new pillar: %q, want %q", got, want)
		}
		if got := renderCached(t, cache, show, &Context{Grains: g, Opts: o}); got != fresh(g, nil, o) {
			t.Errorf("after no pillar: %q", got)
		}
	})
}

// An ordered pillar (*Map) keeps its file order in every render, whatever
// an earlier render did to its copy.
func TestConvGlobalOrderedPillar(t *testing.T) {
	cache := NewCache()
	p := map[string]any{"m": &Map{Keys: []string{"b", "a"}, Values: map[string]any{"b": 1, "a": 2}}}
	const show = "{% for k in pillar.m %}{{ k }}{% endfor %}"
	if got := renderCached(t, cache, show, &Context{Pillar: p}); got != "ba" {
		t.Fatalf("got %q", got)
	}
	renderCached(t, cache, "{% set v = pillar.m.pop('b') %}{% do pillar.m.update({'b': 1}) %}{% for k in pillar.m %}{{ k }}{% endfor %}", &Context{Pillar: p})
	if got := renderCached(t, cache, show, &Context{Pillar: p}); got != "ba" {
		t.Errorf("after a reorder: %q, want ba", got)
	}
}
