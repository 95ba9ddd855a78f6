package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
)

func render(t *testing.T, src string, c *Context) string {
	t.Helper()
	out, err := Jinja(context.Background(), []byte(src), "test/init.sls", c)
	if err != nil {
		t.Fatalf("render %q: %v", src, err)
	}
	return string(out)
}

func renderErr(t *testing.T, src string, c *Context) *Error {
	t.Helper()
	out, err := Jinja(context.Background(), []byte(src), "test/init.sls", c)
	if err == nil {
		t.Fatalf("render %q: expected an error, got %q", src, out)
	}
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("render %q: error %v is not an *Error", src, err)
	}
	return re
}

func TestMap(t *testing.T) {
	m := NewMap()
	m.Set("b", 1)
	m.Set("a", &Map{Keys: []string{"x"}, Values: map[string]any{"x": []any{&Map{Keys: []string{"y"}, Values: map[string]any{"y": true}}}}})
	m.Set("b", 2)
	if !reflect.DeepEqual(m.Keys, []string{"b", "a"}) {
		t.Fatalf("keys %v", m.Keys)
	}
	if v, ok := m.Get("b"); !ok || v != 2 {
		t.Fatalf("get b = %v %v", v, ok)
	}
	if _, ok := m.Get("nope"); ok {
		t.Fatal("get nope")
	}
	want := map[string]any{"b": 2, "a": map[string]any{"x": []any{map[string]any{"y": true}}}}
	if got := m.ToPlain(); !reflect.DeepEqual(got, want) {
		t.Fatalf("ToPlain = %#v", got)
	}
	m.Delete("b")
	if m.Len() != 1 || m.Keys[0] != "a" {
		t.Fatalf("after delete %v", m.Keys)
	}
	var nilMap *Map
	if _, ok := nilMap.Get("x"); ok || nilMap.ToPlain() != nil || nilMap.Len() != 0 {
		t.Fatal("nil map")
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{File: "webserver/init.sls", Line: 12, Stage: "yaml", Msg: "mapping values are not allowed here"}
	if got := e.Error(); got != "webserver/init.sls:12: yaml: mapping values are not allowed here" {
		t.Fatal(got)
	}
	e.Line = 0
	if got := e.Error(); got != "webserver/init.sls: yaml: mapping values are not allowed here" {
		t.Fatal(got)
	}
}

// A salt function called in f(...).method() runs once: gonja evaluates
// the receiver of a method call twice; the rewriter does not.
func TestSaltCallOnceInMethodChain(t *testing.T) {
	var n atomic.Int32
	c := &Context{Salt: map[string]Func{
		"cmd.run": func(args []any, kw map[string]any) (any, error) {
			n.Add(1)
			return "a.b.c", nil
		},
		"mine.get": func(args []any, kw map[string]any) (any, error) {
			n.Add(1)
			return map[string]any{"m1": []any{"10.0.0.1"}}, nil
		},
	}}
	got := render(t, `{{ salt['cmd.run']('x').split('.') }}|{% for k, v in salt['mine.get']('*', 'network.ip_addrs').items() %}{{ k }}={{ v|first }}{% endfor %}|{{ salt.cmd.run('y').upper() }}`, c)
	if got != "['a', 'b', 'c']|m1=10.0.0.1|A.B.C" {
		t.Fatalf("got %q", got)
	}
	if n.Load() != 3 {
		t.Fatalf("salt functions called %d times, want 3", n.Load())
	}
	// repeated calls are not merged: each one runs, as in Salt
	n.Store(0)
	render(t, `{% for i in range(3) %}{{ salt['cmd.run']('date') }}{% endfor %}`, c)
	if n.Load() != 3 {
		t.Fatalf("loop called cmd.run %d times, want 3", n.Load())
	}
}

func TestSaltFuncArguments(t *testing.T) {
	var gotArgs []any
	var gotKw map[string]any
	c := &Context{Salt: map[string]Func{
		"mine.get": func(args []any, kw map[string]any) (any, error) {
			gotArgs, gotKw = args, kw
			return &Map{Keys: []string{"z", "a"}, Values: map[string]any{"z": []string{"1"}, "a": []string{"2"}}}, nil
		},
	}}
	got := render(t, `{% for id, ips in salt['mine.get']('roles:web', 'network.ip_addrs', expr_form='grain', extra={'k': [1, none]}).items() %}{{ id }}:{{ ips }};{% endfor %}`, c)
	if got != "z:['1'];a:['2'];" {
		t.Fatalf("got %q (a *Map result keeps its order)", got)
	}
	if !reflect.DeepEqual(gotArgs, []any{"roles:web", "network.ip_addrs"}) {
		t.Fatalf("args %#v", gotArgs)
	}
	want := map[string]any{"tgt_type": "grain", "extra": map[string]any{"k": []any{1, nil}}}
	if !reflect.DeepEqual(gotKw, want) {
		t.Fatalf("kwargs %#v, want expr_form renamed tgt_type and plain values", gotKw)
	}
	// a caller's function replaces a default one
	c.Salt["pillar.get"] = func(args []any, kw map[string]any) (any, error) { return "mine", nil }
	if got := render(t, `{{ salt['pillar.get']('x') }}`, c); got != "mine" {
		t.Fatal(got)
	}
	// errors of salt functions name the function
	c.Salt["cmd.run"] = func(args []any, kw map[string]any) (any, error) { return nil, errors.New("exit 1") }
	e := renderErr(t, "a\n{{ salt['cmd.run']('false') }}", c)
	if e.Line != 2 || !strings.Contains(e.Msg, "salt['cmd.run']: exit 1") {
		t.Fatalf("error %v", e)
	}
}

func TestUndefinedSaltFunction(t *testing.T) {
	for _, src := range []string{"x\n{{ salt['nope.fun']() }}", "x\n{{ salt.nope.fun() }}", "x\n{% set v = salt['nope.fun'](1) %}"} {
		e := renderErr(t, src, &Context{})
		if e.Line != 2 || e.Stage != "jinja" || e.Msg != "salt function 'nope.fun' is not available" {
			t.Errorf("%q: %v", src, e)
		}
	}
	if got := render(t, `{{ salt['nope.fun'] is defined }} {{ 'pillar.get' in salt }} {{ 'nope.fun' in salt }}`, &Context{}); got != "False True False" {
		t.Fatal(got)
	}
}

func TestMutationAndOrder(t *testing.T) {
	pillar := map[string]any{
		"users": &Map{Keys: []string{"zed", "alice"}, Values: map[string]any{"zed": 1, "alice": 2}},
		"list":  []any{1},
	}
	c := &Context{Pillar: pillar}
	got := render(t, `{% for u in pillar.users %}{{ u }} {% endfor %}`+
		`{% do pillar.users.update({'bob': 3}) %}{{ pillar.users }} `+
		`{% do pillar.list.append(2) %}{{ pillar.list }} `+
		`{% set d = {'z': 1} %}{% do d.setdefault('a', []).append(1) %}{{ d }}`, c)
	if got != "zed alice {'zed': 1, 'alice': 2, 'bob': 3} [1, 2] {'z': 1, 'a': [1]}" {
		t.Fatalf("got %q", got)
	}
	// the caller's data is not touched
	if pillar["list"].([]any)[0] != 1 || len(pillar["list"].([]any)) != 1 || pillar["users"].(*Map).Len() != 2 {
		t.Fatalf("caller data mutated: %#v", pillar)
	}
	// plain Go maps iterate in sorted order
	c.Pillar = map[string]any{"m": map[string]any{"b": 1, "a": 2, "C": 3}}
	if got := render(t, `{{ pillar.m|list }}`, c); got != "['C', 'a', 'b']" {
		t.Fatal(got)
	}
}

func TestPythonSemantics(t *testing.T) {
	cases := map[string]string{
		`{{ None }}|{{ none }}`:                      "None|None",
		`{{ 2**3 }} {{ 2**0.5 > 1 }}`:                "8 True",
		`{{ -7 // 2 }} {{ -7 % 3 }}`:                 "-4 2",
		`{{ 10 / 4 }} {{ 10 / 5 }}`:                  "2.5 2.0",
		`{{ 'a' ~ None ~ 1.0 }}`:                     "aNone1.0",
		`{{ [1, 'a', None, {'k': (1,)}] }}`:          "[1, 'a', None, {'k': (1,)}]",
		`{{ 'x%sy' % 1 }} {{ '%(a)s' % {'a': 2} }}`:  "x1y 2",
		`{{ '{:>4}|{}'.format('a', None) }}`:         "   a|None",
		`{{ ['a'][-1] }} {{ 'a/b'.split('/')[-1] }}`: "a b",
		`{{ 1 == 1.0 }} {{ (1, 2) == [1, 2] }}`:      "True False",
		`{{ '' or 'x' }} {{ 0 and 1 }}`:              "x 0",
	}
	for src, want := range cases {
		if got := render(t, src, &Context{}); got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

func TestStrictUndefined(t *testing.T) {
	c := &Context{Pillar: map[string]any{"a": map[string]any{"b": 1}}}
	if got := render(t, `{{ x is defined }} {{ pillar.z is defined }} {{ pillar.z|default(3) }} {{ pillar.get('z', 4) }} {% set v = pillar.z %}{{ v is defined }}`, c); got != "False False 3 4 False" {
		t.Fatal(got)
	}
	for src, msg := range map[string]string{
		"{{ x }}":                         "Jinja variable 'x' is undefined",
		"{{ pillar.a.c }}":                "Jinja variable 'dict object' has no attribute 'c'",
		"{% if pillar.z %}{% endif %}":    "Jinja variable 'dict object' has no attribute 'z'",
		"{% for i in nope %}{% endfor %}": "Jinja variable 'nope' is undefined",
		"{{ nope() }}":                    "Jinja variable 'nope' is undefined",
		"{{ pillar.a.b() }}":              "'int' object is not callable",
	} {
		if e := renderErr(t, src, c); e.Msg != msg || e.Line != 1 {
			t.Errorf("%s: %v, want %q at line 1", src, e, msg)
		}
	}
}

func TestSLSVars(t *testing.T) {
	c := &Context{SLS: "webserver.nginx", Saltenv: "prod"}
	out, err := Jinja(context.Background(), []byte(`{{ sls }} {{ slspath }} {{ tpldir }} {{ tplfile }} {{ saltenv }} {{ sls_path }} {{ slsdotpath }} {{ tpldirs }}`), "webserver/nginx.sls", c)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); got != "webserver.nginx webserver webserver webserver/nginx.sls prod webserver webserver ['webserver']" {
		t.Fatal(got)
	}
	out, err = Jinja(context.Background(), []byte(`{{ sls }} {{ slspath }} {{ tpldir }}`), "webserver/init.sls", &Context{})
	if err != nil || string(out) != "webserver webserver webserver" {
		t.Fatalf("%q %v", out, err)
	}
}

func TestLoaders(t *testing.T) {
	fsys := fstest.MapFS{
		"nginx/map.jinja":     {Data: []byte(`{% set nginx = {'pkg': 'nginx'} %}{% from './macros.jinja' import pkg %}`)},
		"nginx/macros.jinja":  {Data: []byte(`{% macro pkg(p) %}{{ p }}.installed{% endmacro %}`)},
		"nginx/defaults.yaml": {Data: []byte("port: {{ 80 + 1 }}\nenabled: yes\n")},
		"nginx/extra.sls":     {Data: []byte("included\n")},
	}
	c := &Context{Loader: FSLoader{fsys}}
	src := `{% from "nginx/map.jinja" import nginx with context %}{% import_yaml "salt://nginx/defaults.yaml" as d %}` +
		`{% include 'nginx/extra.sls' %}{{ nginx.pkg }} {{ d }}`
	if got := render(t, src, c); got != "includednginx {'port': 81, 'enabled': True}" {
		t.Fatalf("got %q", got)
	}
	for _, bad := range []string{"../etc/passwd", "/../x", ""} {
		if _, err := (FSLoader{fsys}).Read(context.Background(), bad); err == nil {
			t.Errorf("%q read", bad)
		}
	}
	if _, err := (MapLoader{}).Read(context.Background(), "x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("MapLoader missing file: %v", err)
	}
	e := renderErr(t, "\n{% include 'nginx/none.sls' %}", c)
	if e.Line != 2 || !strings.Contains(e.Msg, `template "nginx/none.sls" not found`) {
		t.Fatal(e)
	}
	e = renderErr(t, "{% include 'x' %}", &Context{})
	if !strings.Contains(e.Msg, "no file loader") {
		t.Fatal(e)
	}
}

func TestJinjaErrorLines(t *testing.T) {
	c := &Context{Loader: MapLoader{
		"inc/bad.sls":    "line1\nline2 {{ nope }}\n",
		"inc/mid.sls":    "m1\n{% include 'inc/bad.sls' %}\n",
		"inc/syntax.sls": "x\n{% if %}\n",
		"mac.jinja":      "{% macro m(x) %}\n{{ x.missing }}\n{% endmacro %}",
	}}
	cases := []struct {
		src, file string
		line      int
		msg       string
	}{
		{"a\nb\n{% if x %}\nc\n", "test/init.sls", 3, "'if' block opened on line 3 is never closed"},
		{"a\n{% for x in y %}\n{% if x %}\nb\n{% endfor %}\n", "test/init.sls", 5, "the innermost open block is 'if' (opened on line 3)"},
		// as Jinja2: the unexpected token is on line 3
		{"a\n{{ x \nb\n", "test/init.sls", 3, "expected token 'end of print statement', got 'b'"},
		{"a\n{{ x \n", "test/init.sls", 2, "unexpected end of template, expected 'end of print statement'"},
		{"a\n{# x \nb\n", "test/init.sls", 2, "unclosed comment"},
		{"a\n{{ 'abc }}\nb\n", "test/init.sls", 2, "unterminated string"},
		{"a\n{% endif %}\n", "test/init.sls", 2, "no open block"},
		{"a\n{% frobnicate %}\n", "test/init.sls", 2, "unknown tag 'frobnicate'"},
		{"a\nb\n{{ undefined_var }}\n", "test/init.sls", 3, "'undefined_var' is undefined"},
		{"a\n{% include 'inc/mid.sls' %}\n", "inc/bad.sls", 2, "'nope' is undefined"},
		{"a\n{% include 'inc/syntax.sls' %}\n", "inc/syntax.sls", 2, "never closed"},
		{"a\n{% from 'mac.jinja' import m %}\n{{ m({}) }}\n", "mac.jinja", 2, "has no attribute 'missing'"},
		{"a\n{% for i in range(3) %}\n{{ i / 0 }}\n{% endfor %}\n", "test/init.sls", 3, "division by zero"},
		{"a\n{{ raise('custom failure') }}\n", "test/init.sls", 2, "custom failure"},
		{"{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}", "test/init.sls", 1, "nesting depth"},
		{"{% include 'test/init.sls' %}", "test/init.sls", 1, "nesting depth"},
		{"{% set a, b = [1] %}", "test/init.sls", 1, "not enough values to unpack"},
		{"{% set x = 'a' + 1 %}", "test/init.sls", 1, `can only concatenate str (not "int") to str`},
		{"{{ range(100000000) }}", "test/init.sls", 1, "range() too large"},
		{"{{ 'x' * 100000000000 }}", "test/init.sls", 1, "too large"},
	}
	for _, tc := range cases {
		e := renderErr(t, tc.src, c)
		if e.File != tc.file || e.Line != tc.line || !strings.Contains(e.Msg, tc.msg) || e.Stage != "jinja" {
			t.Errorf("%q: got %v, want %s:%d ... %s", tc.src, e, tc.file, tc.line, tc.msg)
		}
	}
}

func TestSLSPipeline(t *testing.T) {
	ctx := context.Background()
	c := &Context{Grains: map[string]any{"os": "Ubuntu"}}
	m, err := SLS(ctx, []byte("{% set pkgs = {'zsh': 1, 'apache': 2} %}\n{% for p in pkgs %}\n{{ p }}:\n  pkg.installed: []\n{% endfor %}\nos-{{ grains.os }}:\n  test.nop\n"), "t/init.sls", c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Keys, []string{"zsh", "apache", "os-Ubuntu"}) {
		t.Fatalf("keys %v", m.Keys)
	}
	if v, _ := m.Get("zsh"); !reflect.DeepEqual(plainValue(v), map[string]any{"pkg.installed": []any{}}) {
		t.Fatalf("zsh = %#v", v)
	}
	// YAML 1.1 scalars, as PyYAML (and so Salt) reads them
	m, err = SLS(ctx, []byte("#!yaml\na: yes\nb: 0755\nc: 1:30\nd: ~\ne: 1.5\nf: 1e5\ng: '0755'\nh: 2001-12-14\ni: 0x1F\nj: Off\nk: .inf\nl: 1_000\nanch: &x {k: 1}\nmerge:\n  <<: *x\n  own: 2\n"), "t.sls", c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": true, "b": 755, "c": 90, "d": nil, "e": 1.5, "f": "1e5", "g": "0755", "h": "2001-12-14",
		"i": 31, "j": false, "l": 1000, "anch": map[string]any{"k": 1}, "merge": map[string]any{"k": 1, "own": 2}}
	got := m.ToPlain()
	delete(got, "k")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	// #!yaml does not render Jinja; empty files are empty mappings
	if m, err := SLS(ctx, []byte("#!yaml\ncmd: echo '{{ x }}'\n"), "t.sls", c); err != nil || m.Values["cmd"] != "echo '{{ x }}'" {
		t.Fatalf("%v %v", m, err)
	}
	for _, src := range []string{"", "# only a comment\n", "{% if false %}a: 1{% endif %}\n"} {
		if m, err := SLS(ctx, []byte(src), "t.sls", c); err != nil || m.Len() != 0 {
			t.Fatalf("%q: %v %v", src, m, err)
		}
	}
	if m, err := SLS(ctx, []byte("#!jinja|json\n{\"a\": {{ [1, 2]|json }}}\n"), "t.sls", c); err != nil || !reflect.DeepEqual(m.ToPlain(), map[string]any{"a": []any{1, 2}}) {
		t.Fatalf("json: %v %v", m, err)
	}
}

func TestSLSErrors(t *testing.T) {
	ctx := context.Background()
	c := &Context{Loader: MapLoader{"inc.sls": "inc-a: 1\n"}}
	cases := []struct {
		src   string
		line  int
		stage string
		msg   string
	}{
		// no Jinja syntax: no rendering, the lines are the file's
		{"a: 1\n  b: 2\n", 2, "yaml", "mapping values are not allowed in this context"},
		{"{# c #}a: 1\n  b: 2\n", 2, "yaml", "mapping values are not allowed in this context (rendered line 2)"},
		{"#!yaml\na: 1\n  b: 2\n", 3, "yaml", "mapping values are not allowed in this context"},
		// a bad indent is reported where it is, not where its block starts
		{"{% set x = 1 %}\na:\n  test.nop:\n    - v: 1\n   - w: 2\n", 5, "yaml", "did not find expected key (in the block that starts on line 2)"},
		{"a:\n  b: 1\n c: 2\n", 3, "yaml", "did not find expected key"},
		{"{% for i in [1, 2] %}\nid{{ i }}:\n  test.nop:\n    - a: 1\n   - b: 2\n{% endfor %}\n", 5, "yaml", "did not find expected key"},
		// three rendered lines come from the loop: the error maps back
		{"{% for i in [1, 2, 3] %}\nid{{ i }}: {}\n{% endfor %}\nbad: [\n", 4, "yaml", "(rendered line 8)"},
		{"{% for i in [1, 2, 3] %}\nid{{ i }}: {}\n{% endfor %}\nok: 1\n  bad: 2\n", 5, "yaml", "(rendered line 9)"},
		{"{% for i in [1,2] %}\nid{{ i }}:\n  pkg.installed: []\n{% endfor %}\nid1:\n  x: y\n", 5, "yaml", "conflicting ID 'id1': defined on line 2 and again on line 5"},
		{"a: 1\nb: 2\na: 3\n", 3, "yaml", "conflicting ID 'a': defined on line 1 and again on line 3"},
		{"top:\n  k: 1\n  k: 2\n", 3, "yaml", "conflicting ID 'k'"},
		{"#!mako|yaml\na: 1\n", 1, "render", `unknown renderer "mako" in the render pipeline "mako|yaml" (available: `},
		{"#!jinja|\na: 1\n", 1, "render", "empty renderer name"},
		{"#!yaml|jinja\na: 1\n", 1, "render", "the jinja renderer renders text, but an earlier renderer in the pipeline produced data"},
		{"#!jinja\na: 1\n", 1, "render", `the render pipeline "jinja" ends in text, not data`},
		{"- a\n- b\n", 0, "yaml", "must render to a mapping"},
		{"a: 1\n---\nb: 2\n", 2, "yaml", "single document"},
		{"x: !!python/object:os.system ls\n", 1, "yaml", "could not determine a constructor"},
		{"#!jinja|yaml|gpg\na: |\n  -----BEGIN PGP MESSAGE-----\n", 0, "gpg", "not supported"},
		{"{% include 'inc.sls' %}\ninc-a: 2\n", 2, "yaml", "conflicting ID 'inc-a'"},
	}
	for _, tc := range cases {
		_, err := SLS(ctx, []byte(tc.src), "web/init.sls", c)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v", tc.src, err)
			continue
		}
		if e.File != "web/init.sls" || e.Line != tc.line || e.Stage != tc.stage || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("%q: got %v, want line %d %s ... %s", tc.src, e, tc.line, tc.stage, tc.msg)
		}
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Jinja(ctx, []byte(`{% for i in range(1000000) %}{% for j in range(1000) %}{{ i }}{% endfor %}{% endfor %}`), "t.sls", &Context{})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

func TestConcurrentRenders(t *testing.T) {
	pillar := map[string]any{"users": map[string]any{"a": 1, "b": 2}, "list": []any{1, 2}}
	c := &Context{
		Grains: map[string]any{"id": "web1"},
		Pillar: pillar,
		Salt: map[string]Func{"test.echo": func(args []any, kw map[string]any) (any, error) {
			return args[0], nil
		}},
		Loader: MapLoader{"m.jinja": "{% macro f(x) %}<{{ x }}>{% endmacro %}"},
	}
	src := []byte("{% from 'm.jinja' import f %}{% do pillar.list.append(3) %}{% for u in pillar.users %}{{ f(u) }}{% endfor %}{{ salt.test.echo(grains.id) }}{{ pillar.list }}")
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				out, err := Jinja(context.Background(), src, "t.sls", c)
				if err != nil {
					errs <- err
					return
				}
				if string(out) != "<a><b>web1[1, 2, 3]" {
					errs <- fmt.Errorf("got %q", out)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestTrailingNewline(t *testing.T) {
	for src, want := range map[string]string{
		"a\n":                                 "a\n",
		"a":                                   "a",
		"a\n\n":                               "a\n\n",
		"{% if true %}a{% endif %}\n":         "a\n",
		"a\n{%- if true -%}\n{%- endif -%}\n": "a\n",
	} {
		if got := render(t, src, &Context{}); got != want {
			t.Errorf("%q -> %q, want %q", src, got, want)
		}
	}
}

func BenchmarkLoop500(b *testing.B) {
	src := []byte(`{% for i in range(500) %}
user-{{ i }}:
  user.present:
    - name: {{ 'u%03d'|format(i) }}
    - uid: {{ 1000 + i }}
    - groups: {{ ['users', grains['os']|lower]|json }}
{%- if i is odd %}
    - shell: /bin/zsh
{%- endif %}
{% endfor %}
`)
	c := &Context{Grains: map[string]any{"os": "Ubuntu"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := SLS(context.Background(), src, "users.sls", c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJinjaLoop500(b *testing.B) {
	src := []byte(`{% for i in range(500) %}{{ i }}: {{ grains.os ~ '-' ~ i }}
{% endfor %}`)
	c := &Context{Grains: map[string]any{"os": "Ubuntu"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Jinja(context.Background(), src, "loop.sls", c); err != nil {
			b.Fatal(err)
		}
	}
}

// The #!py reactor of seed 003 is refused with a clear message, at line 1
// (while no py renderer is registered).
func TestPyRendererRefused(t *testing.T) {
	src, err := os.ReadFile("testdata/code_deploy_py.sls")
	if err != nil {
		t.Fatal(err)
	}
	_, err = SLS(context.Background(), src, "reactor/code-deploy.sls", &Context{})
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 || e.Stage != "render" || !strings.Contains(e.Msg, `unknown renderer "py"`) {
		t.Fatalf("got %v", err)
	}
}
