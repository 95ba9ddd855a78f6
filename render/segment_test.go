package render

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// renderWith renders src as the top-level template name, in segments of
// about size bytes when size > 0, whole otherwise. It returns the state
// (for its segment count and root variables).
func renderWith(src, name string, c *Context, size int) (string, *lineMap, *state, error) {
	st := newState(context.Background(), c, name)
	st.segmentMin = -1
	if size > 0 {
		st.segmentMin, st.segmentSize = 0, size
	}
	out, lm, err := st.render([]byte(src), name)
	return string(out), lm, st, err
}

// sameAsWhole renders src whole and in segments of size bytes and fails
// unless output, line map and error are identical. It returns the number
// of segments rendered.
func sameAsWhole(t *testing.T, src, name string, newCtx func() *Context, size int) int {
	t.Helper()
	want, wantLM, _, wantErr := renderWith(src, name, newCtx(), 0)
	got, gotLM, st, gotErr := renderWith(src, name, newCtx(), size)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%s: error in segments:\n  %v\nwhole:\n  %v", name, gotErr, wantErr)
	}
	if got != want {
		t.Fatalf("%s: output in segments differs:\n%s", name, lineDiff(want, got))
	}
	if wantErr == nil && !reflect.DeepEqual(gotLM, wantLM) {
		t.Fatalf("%s: line map in segments differs", name)
	}
	return st.segments
}

// Every idiom and seed template, cut wherever a cut is allowed, renders
// as it does whole (which the compat tests check against Jinja2).
func TestSegmentsCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/idioms/*.jinja")
	seeds, _ := filepath.Glob("testdata/*.sls")
	segments := 0
	for _, f := range append(files, seeds...) {
		ctxFile := "testdata/idioms/context.json"
		if strings.HasSuffix(f, ".sls") {
			ctxFile = strings.TrimSuffix(f, ".sls") + ".json"
			if _, err := os.Stat(ctxFile); err != nil {
				continue
			}
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		newCtx := func() *Context { c, _ := caseContext(t, ctxFile); return c }
		name := "idioms/" + filepath.Base(f)
		if strings.HasSuffix(f, ".sls") {
			name = filepath.Base(f)
			if _, raw := caseContext(t, ctxFile); raw != nil {
				if v, ok := raw.Get("name"); ok {
					name = v.(string)
				}
			}
		}
		n := sameAsWhole(t, string(src), name, newCtx, 1)
		t.Logf("%s: %d segments", name, n)
		segments += n
	}
	if segments < 15 {
		t.Fatalf("only %d segments rendered over the corpus", segments)
	}
}

// bigTemplate generates an SLS of n groups of states using, across
// segments, top-level variables, a namespace, a list, macros defined at
// the top and midway, an imported module, call blocks, loops, raw blocks,
// comments, block sets and whitespace control. extra is inserted before
// group at.
func bigTemplate(n, at int, extra string) string {
	var b strings.Builder
	b.WriteString(`{%- set root = pillar.get('app:root', '/srv/app') %}
{%- import 'lib/macros.jinja' as lib %}
{%- from 'lib/macros.jinja' import port %}
{%- set ns = namespace(count=0) %}
{%- set seen = [] %}
{%- macro state(i, kind='file') -%}
{{ kind }}_{{ i }}:
  {{ kind }}.managed:
    - name: {{ root }}/{{ kind }}/{{ i }}
{%- endmacro %}
{%- macro fails(d) %}
{{ d.nokey }}
{%- endmacro %}
`)
	for i := 0; i < n; i++ {
		if i == at {
			b.WriteString(extra)
		}
		fmt.Fprintf(&b, "{{ state(%d) }}\n", i)
		fmt.Fprintf(&b, "    - mode: '0644'\nmark_%d:\n  test.nop:\n    - order: {{ ns.count }}\n", i)
		fmt.Fprintf(&b, "{%% set ns.count = ns.count + 1 %%}{%% do seen.append(%d) %%}\n", i)
		switch i % 7 {
		case 0:
			fmt.Fprintf(&b, "pkgs_%d:\n  pkg.installed:\n    - pkgs:\n{%% for p in ['a', 'b', 'c'] %%}      - lib{{ p }}{{ loop.index }}-%d\n{%% endfor %%}", i, i)
		case 1:
			fmt.Fprintf(&b, "{%% if i is not defined and %d is odd %%}\nodd_%d:\n  test.nop:\n    - port: {{ port(%d) }}\n{%% else %%}\neven_%d: {}\n{%% endif %%}\n", i, i, i, i)
		case 2:
			fmt.Fprintf(&b, "{%% call lib.wrap('w_%d') %%}    - text: {{ seen|length }}{%% endcall %%}\n", i)
		case 3:
			fmt.Fprintf(&b, "raw_%d:\n  cmd.run:\n    - name: {%% raw %%}echo {{ not jinja }}{%% endraw %%}\n{# a comment\n  over lines #}\n", i)
		case 4:
			fmt.Fprintf(&b, "{%% set body %%}\nblock_%d:\n  test.nop: []\n{%% endset %%}{{ body }}\n", i)
		case 5:
			fmt.Fprintf(&b, "trim_%d:\n  test.nop:\n    - last: {{ seen[-1] -}}\n   \n    {%%- if true %%}\n    - lib: {{ lib.name }}\n{%%- endif %%}\n", i)
		case 6:
			if i == 6 {
				b.WriteString("{% macro later(x) %}later_{{ x }}_{{ ns.count }}{% endmacro %}\n")
			}
			fmt.Fprintf(&b, "id_%d:\n  test.nop:\n    - by: {{ later(%d) }}\n    - root: {{ root }}\n", i, i)
		}
		if i == n/2 {
			b.WriteString("{% set root = '/opt/app' %}\n")
		}
	}
	b.WriteString("total:\n  test.nop:\n    - count: {{ ns.count }}\n    - seen: {{ seen|length }}\n")
	return b.String()
}

func bigContext(maxSteps int) func() *Context {
	return func() *Context {
		return &Context{
			Pillar:   map[string]any{"app": map[string]any{"root": "/srv/www"}},
			MaxSteps: maxSteps,
			Loader: MapLoader{"lib/macros.jinja": `{% set name = 'lib' %}
{%- macro port(i) %}{{ 8000 + i }}{% endmacro %}
{%- macro wrap(id) -%}
{{ id }}:
  test.nop:
{{ caller() }}
{%- endmacro %}
{%- macro broken(x) %}
{{ x.missing }}
{%- endmacro %}`},
		}
	}
}

// lineOf is the 1-based line of the first occurrence of s in src.
func srcLineOf(t *testing.T, src, s string) int {
	t.Helper()
	i := strings.Index(src, s)
	if i < 0 {
		t.Fatalf("%q not in template", s)
	}
	return strings.Count(src[:i], "\n") + 1
}

// A big template renders in segments to the same output, line map and
// errors as whole, and each error names the template line it comes from.
func TestSegmentsBigTemplate(t *testing.T) {
	const n = 600
	src := bigTemplate(n, -1, "")
	if segs := sameAsWhole(t, src, "app/init.sls", bigContext(0), 2048); segs < 20 {
		t.Fatalf("only %d segments", segs)
	}
	// the result is the SLS it should be
	out, lm, _, err := renderWith(src, "app/init.sls", bigContext(0)(), 2048)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseSLSYAML([]byte(out), "app/init.sls", lm)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := m.Get("total")
	if s := fmt.Sprint(plainValue(total)); !strings.Contains(s, fmt.Sprintf("map[count:%d] map[seen:%d]", n, n)) {
		t.Fatalf("total: %s", s)
	}
	if !strings.Contains(out, "later_594_595") || !strings.Contains(out, "port: 8001") || !strings.Contains(out, "/opt/app/file/599") ||
		!strings.Contains(out, "name: echo {{ not jinja }}") || !strings.Contains(out, "last: 5\n    - lib: lib\n") {
		t.Fatalf("unexpected output:\n%s", out[:2000])
	}

	errCases := []struct{ name, extra, marker, want string }{
		{"undefined", "bad:\n  x: {{ nothere }}\n", "nothere", "'nothere' is undefined"},
		{"argument", "{{ state(none.attr) }}\n", "none.attr", "has no attribute 'attr'"},
		{"macro of the first segment", "{{ fails({}) }}\n", "d.nokey", "has no attribute 'nokey'"},
		{"imported macro", "{{ lib.broken({}) }}\n", "", "has no attribute 'missing'"},
		{"raise", "{{ raise('stop at ' ~ ns.count) }}\n", "raise(", "stop at 500"},
		{"syntax", "{% for x in [1] %}{{ x }}\n", "", "Jinja syntax error"},
		{"syntax expr", "{{ 1 + }}\n", "1 + ", "Jinja syntax error"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			src := bigTemplate(n, 500, tc.extra)
			segs := sameAsWhole(t, src, "app/init.sls", bigContext(0), 2048)
			_, _, _, err := renderWith(src, "app/init.sls", bigContext(0)(), 2048)
			e, ok := err.(*Error)
			if !ok || !strings.Contains(e.Msg, tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.HasPrefix(tc.name, "syntax") {
				if segs != 0 {
					t.Fatalf("a template with a syntax error rendered %d segments", segs)
				}
			} else if segs < 10 {
				t.Fatalf("error after %d segments, want it in a late one", segs)
			}
			if tc.marker != "" && e.Line != srcLineOf(t, src, tc.marker) {
				t.Fatalf("error at line %d, want %d: %v", e.Line, srcLineOf(t, src, tc.marker), e)
			}
		})
	}
	// the budget stops the render at the same line
	t.Run("budget", func(t *testing.T) {
		sameAsWhole(t, bigTemplate(n, -1, ""), "app/init.sls", bigContext(5000), 2048)
		_, _, st, err := renderWith(bigTemplate(n, -1, ""), "app/init.sls", bigContext(5000)(), 2048)
		if e, ok := err.(*Error); !ok || !strings.Contains(e.Msg, "budget") || e.Line < 100 || st.segments < 5 {
			t.Fatalf("got %v after %d segments", err, st.segments)
		}
	})
	// a YAML error late in the output names the template line
	t.Run("yaml", func(t *testing.T) {
		src := bigTemplate(n, 500, "file_3:\n  dup: {{ root }}\n")
		whole, wlm, _, _ := renderWith(src, "app/init.sls", bigContext(0)(), 0)
		segs, slm, _, _ := renderWith(src, "app/init.sls", bigContext(0)(), 2048)
		_, werr := parseSLSYAML([]byte(whole), "app/init.sls", wlm)
		_, serr := parseSLSYAML([]byte(segs), "app/init.sls", slm)
		if fmt.Sprint(werr) != fmt.Sprint(serr) {
			t.Fatalf("segments: %v\nwhole: %v", serr, werr)
		}
		if e, ok := serr.(*Error); !ok || e.Line != srcLineOf(t, src, "file_3:\n  dup") {
			t.Fatalf("got %v, want line %d", serr, srcLineOf(t, src, "file_3:\n  dup"))
		}
	})
}

// What a segmented render keeps of its segments does not grow with the
// template: the closures of rendered segments are dropped, only those of
// macros stay.
func TestSegmentsDropClosures(t *testing.T) {
	closures := func(n int) (kept, made int) {
		_, _, st, err := renderWith(bigTemplate(n, -1, ""), "app/init.sls", bigContext(0)(), 2048)
		if err != nil {
			t.Fatal(err)
		}
		for k := range st.fnVars {
			if strings.HasPrefix(k, "__brine_") {
				kept++
			}
		}
		return kept, st.closures
	}
	// macros and call blocks keep theirs (a few per call block)
	k1, m1 := closures(200)
	k2, m2 := closures(800)
	if m2 < 3*m1 || k2-k1 > (m2-m1)/20 {
		t.Fatalf("200 groups: %d closures made, %d kept; 800 groups: %d made, %d kept", m1, k1, m2, k2)
	}
}

// Templates that cannot be cut safely render whole.
func TestSegmentCutsRefused(t *testing.T) {
	st := newState(context.Background(), nil, "x.sls")
	body := strings.Repeat("a: b\nc: d\n", 50)
	for _, src := range []string{
		"{% extends 'base.sls' %}\n" + body,
		body + "{% block x %}" + body + "{% endblock %}\n" + body,
		body + "{% endif %}\n" + body,
		body + "{% if x %}\n" + body,
	} {
		if cuts := segmentCuts(src, st, 16); cuts != nil {
			t.Errorf("cut at %v:\n%s", cuts, src[:60])
		}
	}
	// cuts fall only at depth 0, between non-blank characters
	src := body + "{% for x in y %}\n" + body + "{% endfor %}{% set v %}\n" + body + "{% endset %}\n" + body
	cuts := segmentCuts(src, st, 16)
	if len(cuts) < 10 {
		t.Fatalf("cuts %v", cuts)
	}
	open1, close1 := strings.Index(src, "{% for"), strings.Index(src, "{% endfor")
	open2, close2 := strings.Index(src, "{% set v"), strings.Index(src, "{% endset")
	for _, p := range cuts {
		if (p > open1 && p < close1) || (p > open2 && p < close2) || src[p] != '\n' || src[p-1] == ' ' || src[p+1] == '\n' {
			t.Fatalf("bad cut at %d: %q", p, src[p-5:p+5])
		}
	}
}

// Random templates mixing top-level text, whitespace control, sets,
// macros, loops, conditions, comments, raw blocks and errors render in
// segments (cut wherever allowed) exactly as whole.
func TestSegmentsRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	texts := []string{"k: v\nnext: 1\n", "word\nword2", "  indented\nx", "\t\n", "a\n\n\nb", "x\ny\n", "\n", " ", "p\nq \n r\ns"}
	segments := 0
	for iter := 0; iter < 300; iter++ {
		var b strings.Builder
		b.WriteString("{% set v = 'v' %}{% set ns = namespace(items=[]) %}")
		macros := 0
		for i := 0; i < 40; i++ {
			switch rng.Intn(16) {
			case 0:
				fmt.Fprintf(&b, "{%% set v = v ~ '%d' %%}", i)
			case 1:
				fmt.Fprintf(&b, "{%%- set v = v ~ '%d' -%%}", i)
			case 2:
				b.WriteString("{{- v -}}")
			case 3:
				b.WriteString("{% for i in range(2) %}a{{ i }}\nb{{ loop.index }}{% endfor %}")
			case 4:
				b.WriteString("{% if v|length is odd %}odd\nline{% else %}even\nline{% endif %}")
			case 5:
				fmt.Fprintf(&b, "{%% macro m%d(x) %%}m{{ x }}\nz{{ v }}{%% endmacro %%}", macros)
				macros++
			case 6:
				if macros > 0 {
					fmt.Fprintf(&b, "{{ m%d(%d) }}", rng.Intn(macros), i)
				}
			case 7:
				b.WriteString("{# c\nc #}")
			case 8:
				b.WriteString("{% raw %}r\n{{ x }}\nr{% endraw %}")
			case 9:
				b.WriteString("{% set blk %}s\nt{{ v }}{% endset %}{{ blk }}")
			case 10:
				fmt.Fprintf(&b, "{%% do ns.items.append(%d) %%}{{ ns.items|length }}", i)
			case 11:
				if rng.Intn(30) == 0 {
					fmt.Fprintf(&b, "{{ undefined_%d }}", i)
				} else {
					b.WriteString("{{ v[-1] }}")
				}
			case 12:
				b.WriteString("{%- if true %}\nt\nu\n{%- endif %}")
			default:
				b.WriteString(texts[rng.Intn(len(texts))])
			}
			b.WriteString(texts[rng.Intn(len(texts))])
		}
		src := b.String()
		if rng.Intn(2) == 0 {
			src += "\n"
		}
		segments += sameAsWhole(t, src, "r/init.sls", func() *Context { return &Context{} }, 1+rng.Intn(40))
	}
	if segments < 3000 {
		t.Fatalf("only %d segments", segments)
	}
}

// The benchmark's Jinja SLS renders in segments to the same text and
// the same data as whole.
func TestSegmentsBenchTemplate(t *testing.T) {
	src := string(bigSLS(600<<10, true))
	newCtx := func() *Context { return &Context{Grains: map[string]any{"app_user": "www"}} }
	if segs := sameAsWhole(t, src, "big/init.sls", newCtx, 64<<10); segs < 8 {
		t.Fatalf("only %d segments", segs)
	}
}
