package render

import (
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzSLS feeds arbitrary SLS sources through both stages. Errors are
// expected; panics (recovered into "internal error") and hangs are not.
func FuzzSLS(f *testing.F) {
	seeds := []string{
		"a: 1\n",
		"{% for i in range(3) %}\nid{{ i }}:\n  pkg.installed: []\n{% endfor %}\n",
		"{% set d = {'a': [1, 2], 'b': none} %}{% do d.update({'c': d.a|length}) %}x: {{ d|yaml }}\n",
		"{% from 'm.jinja' import f with context %}{{ f(grains.id) }}: {{ salt['pillar.get']('a:b', 'x') }}\n",
		"{% import_yaml 'd.yaml' as d %}{% load_yaml as y %}k: {{ d.k }}{% endload %}{{ y|json }}\n",
		"{% macro m(a, b=2) %}{{ a ~ b }}{% endmacro %}{{ m(1) }} {{ '%s-%05.1f' % ('a', 2.5) }} {{ '{:>4}'.format(1) }}\n",
		"{% set ns = namespace(x=0) %}{% for k, v in pillar|dictsort if v %}{% set ns.x = ns.x + 1 %}{% endfor %}n: {{ ns.x }}\n",
		"#!yaml\na: &x {b: [1, yes, 0755, ~]}\nc: *x\nd:\n  <<: *x\n",
		"{% if x %}\n", "{{ 'abc }}", "{# c", "{{ [1,2,}", "a: [\n", "{% raw %}{{ x }}{% endraw %}",
		"{{ salt.cmd.run('x').split()[-1:] }} {{ (1, 2)[::-1] }} {{ 'a' * 3 }} {{ 7 // -2 }} {{ 2 ** 10 }}",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	c := &Context{
		Grains: map[string]any{"id": "web1", "roles": []any{"web"}},
		Pillar: map[string]any{"a": map[string]any{"b": 1}, "c": 0, "d": "x"},
		Salt: map[string]Func{"cmd.run": func(args []any, kw map[string]any) (any, error) {
			return "out put", nil
		}},
		Loader: MapLoader{
			"m.jinja": "{% macro f(x) %}<{{ x }}>{% endmacro %}",
			"d.yaml":  "k: v\n",
		},
	}
	f.Fuzz(func(t *testing.T, src string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := SLS(ctx, []byte(src), "fuzz.sls", c)
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%q: %v", src, err)
		}
		_, err = Jinja(ctx, []byte(src), "fuzz.sls", c)
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%q: %v", src, err)
		}
	})
}

// Odd and broken templates fail cleanly: no panic inside gonja.
func TestNoInternalErrors(t *testing.T) {
	for _, src := range []string{
		"{% trans %}{% endtrans %}", "{% trans x=1 %}{{ x }}{% pluralize %}y{% endtrans %}", "{% block %}{% endblock %}",
		"{% block a %}{% endblock b %}", "{% extends %}", "{% extends 'x' %}", "{% autoescape %}{% endautoescape %}",
		"{% autoescape false %}<{% endautoescape %}", "{% break %}", "{% continue %}", "{% for %}", "{% for x in %}{% endfor %}",
		"{% if %}{% endif %}", "{% macro %}{% endmacro %}", "{% macro m( %}{% endmacro %}", "{% call %}{% endcall %}",
		"{% call x %}{% endcall %}", "{% do %}", "{% set %}", "{% set x %}", "{% set x = %}", "{% with %}{% endwith %}",
		"{% filter %}{% endfilter %}", "{% include %}", "{% import %}", "{% from %}", "{% from 'x' import %}", "{% load_yaml %}{% endload %}",
		"{% raw %}{{ x }}{% endraw %}", "{{ }}", "{{ ( }}", "{{ [ }}", "{{ {1: } }}", "{{ a. }}", "{{ a[ }}", "{{ a[1:2:3:4] }}",
		"{{ loop }}", "{% for x in [1] %}{{ loop(1) }}{% endfor %}", "{{ self }}", "{{ caller() }}", "{{ range() }}", "{{ dict(1, 2) }}",
		"{{ namespace(1) }}", "{{ 1 is foo }}", "{{ 1|foo }}", "{{ x is defined(1) }}", "{{ ''.join(1) }}", "{{ 'a'.format(**x) }}",
		"{{ [1][0:] }}", "{{ 'x'[::0] }}", "{{ {}.items }}", "{{ lipsum() is string }}", "{{ cycler(1,2).next() }}", "{{ joiner()() }}",
		"{% for a, b in [1] %}{% endfor %}", "{{ 1 in 1 }}", "{{ -'a' }}", "{{ 'a' < 1 }}", "{{ [1] * -1 }}", "{{ 10 ** -1 }}", "{{ 0 ** -1 }}",
		"{{ (-8) ** 0.5 }}", "{{ 'x'|indent(-1) }}", "{{ [1]|batch(0)|list }}", "{{ [1]|slice(0)|list }}", "{{ 'abc'|truncate(-1) }}",
		"{{ 'a'|center(-5) }}", "{{ 'a'|wordwrap(0) }}", "{{ 1|round(-1) }}", "{{ 'x'|int(base=40) }}", "{{ ''|first }}", "{{ none|length }}",
		"{{ {'a':1}|groupby('x')|list }}", "{{ [1]|map()|list }}", "{{ [1]|sort(attribute='x') }}", "{{ [{'a': 1}, 2]|map(attribute='a')|list }}",
		"{{ 'x'|xmlattr }}", "{{ {'a': 1}|xmlattr }}", "{{ [1]|random }}", "{{ []|random }}", "{{ 'x'|urlize }}", "{{ 1|filesizeformat }}",
		"{{ 'x'|format(1, a=2) }}", "{{ '%(a)s'|format(a=1) }}", "{{ '%*d' % (1,) }}", "{{ '%c' % 99999999 }}", "{{ '{:,}'.format('x') }}",
		"{{ '{0:{1}}'.format(1, '>5') }}", "{{ '{'.format() }}", "{{ '}'.format() }}", "{{ '{0[}'.format(1) }}", "{{ '{!z}'.format(1) }}",
		"{{ 'x'.split('') }}", "{{ 'x'.replace() }}", "{{ 'x'.encode() }}", "{{ 'x'.expandtabs() }}", "{{ 'x'.capwords() }}",
		"{% set ns = namespace() %}{% set ns.a.b = 1 %}", "{% set x.y = 1 %}", "{% set a, = 1, %}", "{{ salt }}", "{{ salt['a'] }}", "{{ salt[1] }}",
		"{{ grains|yaml }}", "{{ salt|tojson }}", "{{ range|json }}", "{{ {'a': range}|yaml }}", "{{ loop is defined }}",
	} {
		out, err := Jinja(context.Background(), []byte(src), "e.sls", &Context{})
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Errorf("%q: %v", src, strings.SplitN(err.Error(), "\n", 2)[0])
		}
		_ = out
	}
}
