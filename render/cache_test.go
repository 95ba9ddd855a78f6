package render

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Renders sharing a Cache give what renders without one give, the text
// is lexed once, and concurrent renders may share it (run with -race).
func TestCacheSharesLexing(t *testing.T) {
	tpl := []byte("{% for j in range(2) %}{{ grains['id'] }}-{{ n }}-{{ j }}|{{ \"a\\\\\" }}\n{% endfor %}\n")
	cache := NewCache()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for k := 0; k < 20; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			c := &Context{Grains: map[string]any{"id": "m1"}, Extra: map[string]any{"n": k}, Cache: cache}
			out, err := Jinja(context.Background(), tpl, "f", c)
			plain, err2 := Jinja(context.Background(), tpl, "f", &Context{Grains: map[string]any{"id": "m1"}, Extra: map[string]any{"n": k}})
			switch {
			case err != nil || err2 != nil:
				errs <- fmt.Errorf("render %d: %v %v", k, err, err2)
			case string(out) != string(plain):
				errs <- fmt.Errorf("render %d: cached %q, uncached %q", k, out, plain)
			case string(out) != fmt.Sprintf("m1-%d-0|a\\\nm1-%d-1|a\\\n\n", k, k):
				errs <- fmt.Errorf("render %d: %q", k, out)
			}
		}(k)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(cache.scans); n != 1 {
		t.Errorf("the cache holds %d texts, want 1", n)
	}
}

// BenchmarkTemplate500 is the template of make bench's 500 file.managed
// states rendered 500 times with one Cache, as a state run does.
func BenchmarkTemplate500(b *testing.B) {
	tpl := []byte("{% for j in range(3) %}{{ grains['id'] }}-{{ n }}-{{ j }}\n{% endfor %}\n")
	g := map[string]any{"id": "bench-1"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cache := NewCache()
		for k := 0; k < 500; k++ {
			c := &Context{Grains: g, Extra: map[string]any{"n": k}, Cache: cache}
			if _, err := Jinja(context.Background(), tpl, "f", c); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// A Cache reuses a compiled template between renders, and the renders
// give what renders without a Cache give: nothing one render builds or
// changes (lists, dicts, namespaces, macros, imports) reaches the next.
func TestCacheReuseRendersAlike(t *testing.T) {
	files := MapLoader{
		"lib/macros.jinja": "{% macro acc(x, l=[]) %}{% do l.append(x) %}{{ l }}{% endmacro %}{% set shared = {'n': 0} %}",
		"lib/map.jinja":    "{% set m = {'a': [1]} %}{% do m['a'].append(n) %}",
		"lib/base.jinja":   "<{% block body %}base{% endblock %}>",
		"lib/inc.jinja":    "inc {{ n }} {{ tpldir }}",
	}
	tpls := []string{
		"{% set l = [] %}{% do l.append(n) %}{{ l }}",
		"{% set d = {} %}{% do d.update({'k': n}) %}{{ d }}{% do d.setdefault('z', n) %}{{ d }}",
		"{% set ns = namespace(c=0) %}{% for i in range(n) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}",
		"{% from 'lib/macros.jinja' import acc, shared with context %}{{ acc(n) }}{{ acc(n) }}{% do shared.update({'n': n}) %}{{ shared }}",
		"{% import 'lib/map.jinja' as mp with context %}{{ mp.m }}",
		"{% extends 'lib/base.jinja' %}{% block body %}child {{ n }}{% endblock %}",
		"{% include 'lib/inc.jinja' %}|{{ pillar.get('p', []) }}{% do pillar.setdefault('p', []).append(n) %}{{ pillar.p }}",
		"{% macro m(a) %}[{{ a }}{{ caller() if caller is defined else '' }}]{% endmacro %}{% call m(n) %}c{{ n }}{% endcall %}{{ m(n * 2) }}",
		"{{ grains.id ~ '-' ~ n }}{% if n is even %} even{% else %} odd{% endif %}{{ [n, n+1] | join(',') }}{{ salt['pillar.get']('q', n) }}",
		// the globals layer one render leaves is only reused unchanged
		"{% do tpldirs.append(n) %}{{ tpldirs }}{% set grains = {'id': n} %}{{ grains.id }}{{ tpldir }}{{ sls }}",
		"{% do grains.update({'k': n}) %}{{ grains }}{% do opts.setdefault('x', []).append(n) %}{{ opts.x }}{{ saltenv }}",
	}
	cache := NewCache()
	for round := 0; round < 3; round++ {
		for i, tpl := range tpls {
			for _, n := range []int{1, 2, 3} {
				mk := func(c *Cache) *Context {
					return &Context{Grains: map[string]any{"id": "m1"}, Pillar: map[string]any{"q": round}, Extra: map[string]any{"n": n}, Loader: files, Cache: c}
				}
				name := fmt.Sprintf("t%d.j2", i)
				got, err := Jinja(context.Background(), []byte(tpl), name, mk(cache))
				want, err2 := Jinja(context.Background(), []byte(tpl), name, mk(nil))
				if err != nil || err2 != nil {
					t.Fatalf("template %d: %v / %v", i, err, err2)
				}
				if string(got) != string(want) {
					t.Errorf("template %d, round %d, n=%d: with the cache %q, without %q", i, round, n, got, want)
				}
			}
		}
	}
	// one state served every render one after the other, and its
	// templates were compiled once: the later rounds made no closures
	if len(cache.idle) != 1 {
		t.Fatalf("%d idle states, want 1", len(cache.idle))
	}
	made := cache.idle[0].closures
	for i, tpl := range tpls {
		if _, err := Jinja(context.Background(), []byte(tpl), fmt.Sprintf("t%d.j2", i), &Context{Grains: map[string]any{"id": "m1"}, Extra: map[string]any{"n": 1}, Loader: files, Cache: cache}); err != nil {
			t.Fatal(err)
		}
	}
	if got := cache.idle[0].closures; got != made {
		t.Errorf("rendering the templates again made %d closures", got-made)
	}
}

// A template reused from an earlier render is compiled again when its
// source, a file it imports or the template it extends changed (another
// saltenv, a file changed on the master); errors name the render's own
// file and line.
func TestCacheReuseSeesChanges(t *testing.T) {
	cache := NewCache()
	render := func(tpl string, files MapLoader, extra map[string]any) (string, error) {
		out, err := Jinja(context.Background(), []byte(tpl), "app/t.j2", &Context{Loader: files, Cache: cache, Extra: extra})
		return string(out), err
	}
	ext := "{% extends 'base.jinja' %}{% block b %}x{% endblock %}"
	for _, c := range []struct{ base, want string }{{"A{% block b %}{% endblock %}", "A"}, {"B{% block b %}{% endblock %}", "B"}} {
		out, err := render(ext, MapLoader{"base.jinja": c.base}, nil)
		if err != nil || out != c.want+"x" {
			t.Errorf("extends with base %q: %q, %v; want %q", c.base, out, err, c.want+"x")
		}
	}
	imp := "{% from 'map.jinja' import v %}{{ v }}"
	for _, v := range []string{"one", "two"} {
		out, err := render(imp, MapLoader{"map.jinja": "{% set v = '" + v + "' %}"}, nil)
		if err != nil || out != v {
			t.Errorf("import of v=%s: %q, %v", v, out, err)
		}
	}
	for _, src := range []string{"first {{ n }}", "second {{ n }}"} {
		out, err := render(src, nil, map[string]any{"n": 1})
		if err != nil || out != strings.TrimSuffix(src, "{{ n }}")+"1" {
			t.Errorf("source %q: %q, %v", src, out, err)
		}
	}
	// a caller that reuses its buffer for the next text
	buf := []byte("A {{ n }}")
	for _, first := range []byte("AB") {
		buf[0] = first
		out, err := Jinja(context.Background(), buf, "app/buf.j2", &Context{Cache: cache, Extra: map[string]any{"n": 1}})
		if err != nil || string(out) != string(first)+" 1" {
			t.Errorf("buffer starting %c: %q, %v", first, out, err)
		}
	}
	tpl := "line1\n{{ n }}\n{{ missing }}\n"
	if _, err := render(tpl, nil, map[string]any{"n": 1}); err == nil {
		t.Fatal("an undefined variable rendered")
	}
	_, err := Jinja(context.Background(), []byte(tpl), "other/u.j2", &Context{Cache: cache, Extra: map[string]any{"n": 1}})
	if err == nil || !strings.Contains(err.Error(), "other/u.j2") || !strings.Contains(err.Error(), "other/u.j2:3:") {
		t.Errorf("error of the second file: %v; want other/u.j2:3", err)
	}
}
