package highstate

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/brine-cm/brine/render"
)

func TestCompileForms(t *testing.T) {
	p := mustCompile(t, Options{}, map[string]string{
		"web": `
dotted:
  test.nop:
    - foo: bar
    - order: 5
    - require:
      - listed
listed:
  test:
    - nop
    - name: the-name
short: test.nop
multi:
  test.nop: []
  hstest.plain:
    - rec: x
many:
  test.nop:
    - names:
      - one
      - two:
        - foo: special
      - 3
    - foo: default
`}, "web")
	type row struct{ id, name, fun string }
	var got []row
	for _, c := range p.Chunks {
		got = append(got, row{c.ID, c.Name, c.Fun})
	}
	want := []row{
		{"listed", "the-name", "test.nop"},
		{"dotted", "dotted", "test.nop"},
		{"short", "short", "test.nop"},
		{"multi", "multi", "test.nop"},
		{"multi", "multi", "hstest.plain"},
		{"many", "one", "test.nop"},
		{"many", "two", "test.nop"},
		{"many", "3", "test.nop"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("chunks\n got %v\nwant %v", got, want)
	}
	for i, c := range p.Chunks {
		if c.RunNum != i {
			t.Errorf("%s: RunNum %d at %d", c.ID, c.RunNum, i)
		}
	}
	dotted := p.Chunks[1]
	if !reflect.DeepEqual(dotted.Args, map[string]any{"foo": "bar"}) {
		t.Errorf("dotted args %v: compiler keywords must not be passed", dotted.Args)
	}
	if dotted.Order != 5 || dotted.SLS != "web" || dotted.File != "web.sls" || dotted.Saltenv != "base" {
		t.Errorf("dotted: %+v", dotted)
	}
	if len(dotted.Requisites) != 1 || dotted.Requisites[0].Kind != "require" || !reflect.DeepEqual(dotted.Requisites[0].RunNums, []int{0}) {
		t.Errorf("dotted requisites %+v", dotted.Requisites)
	}
	if got := p.Chunks[6].Args["foo"]; got != "special" {
		t.Errorf("names override: foo=%v", got)
	}
	if got := p.Chunks[5].Args["foo"]; got != "default" {
		t.Errorf("names default: foo=%v", got)
	}
	if tag := p.Chunks[4].Tag(); tag != "hstest_|-multi_|-multi_|-plain" {
		t.Errorf("tag %q", tag)
	}
}

func TestIncludesComeFirst(t *testing.T) {
	src := newSource(t, map[string]string{
		"top": `
include:
  - web
  - sls: db
top-state: test.nop
`,
		"web": `
include:
  - .nginx
  - .app
web-state: test.nop
`,
		"web.nginx": `
include:
  - ..common
nginx-state: test.nop
`,
		"web.app": `
include:
  - .tools
  - common
app-state: test.nop
`,
		"web.tools": `tools-state: test.nop`,
		"common":    `common-state: test.nop`,
		"db": `
include:
  - dev: extra
db-state: test.nop
`,
		"dev:extra": `extra-state: test.nop`,
	})
	src.names["web"] = "web/init.sls"
	p, err := Compile(context.Background(), Options{Source: src}, []string{"top", "web"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"common-state", "nginx-state", "tools-state", "app-state", "web-state", "extra-state", "db-state", "top-state"}
	if got := planIDs(p); !equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
	if len(src.loads) != 8 {
		t.Errorf("each sls loaded once, got %v", src.loads)
	}
	for _, c := range p.Chunks {
		if c.ID == "extra-state" && (c.Saltenv != "dev" || c.SLS != "extra") {
			t.Errorf("extra-state: saltenv %q sls %q", c.Saltenv, c.SLS)
		}
	}
}

func TestRelativeIncludes(t *testing.T) {
	for _, tc := range []struct {
		name, sls, file, inc, want string
	}{
		{"init package", "web", "web/init.sls", ".nginx", "web.nginx"},
		{"module sibling", "web.app", "web/app.sls", ".nginx", "web.nginx"},
		{"parent", "web.app", "web/app.sls", "..base", "base"},
		{"top level file", "web", "web.sls", ".nginx", "nginx"},
		{"init two up", "web.app", "web/app/init.sls", "..x", "web.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newSource(t, map[string]string{
				tc.sls:  "include: [" + tc.inc + "]\nown: test.nop\n",
				tc.want: "target: test.nop\n",
			})
			src.names[tc.sls] = tc.file
			p, err := Compile(context.Background(), Options{Source: src}, []string{tc.sls})
			if err != nil {
				t.Fatal(err)
			}
			if got := planIDs(p); !equal(got, []string{"target", "own"}) {
				t.Fatalf("got %v", got)
			}
		})
	}
	errs := compileErrors(t, map[string]string{"web": "include: ['...far']\nx: test.nop\n"}, "web")
	wantError(t, errs, "relative include of '...far'", "goes beyond top level package")
}

func TestIncludeErrors(t *testing.T) {
	errs := compileErrors(t, map[string]string{
		"web": "include:\n  - missing\n  - 42\nx:\n  test.nop:\n    - require:\n      - sls: missing\n",
	}, "web", "absent")
	if len(errs) != 3 {
		t.Errorf("a missing sls must not also report the requisites into it: %q", errs)
	}
	wantError(t, errs, "Specified SLS missing in saltenv base is not available")
	// one the caller names is worded as Salt's render_highstate does
	wantError(t, errs, "No matching sls found for 'absent' in env 'base'")
	wantError(t, errs, "Include 42", "web.sls")
}

func TestExtend(t *testing.T) {
	p := mustCompile(t, Options{}, map[string]string{
		"base": `
conf:
  hstest.plain:
    - rec: x
    - mode: 644
    - require:
      - other
other: test.nop
more: test.nop
named:
  test.nop:
    - name: /etc/named
`,
		"site": `
include:
  - base
extend:
  conf:
    hstest.plain:
      - mode: 600
      - user: www
      - require:
        - more
    test.nop: []
  /etc/named:
    test.nop:
      - extra: 1
`,
	}, "site")
	var conf, confNop, named Chunk
	for _, c := range p.Chunks {
		switch {
		case c.ID == "conf" && c.Fun == "hstest.plain":
			conf = c
		case c.ID == "conf":
			confNop = c
		case c.ID == "named":
			named = c
		}
	}
	if conf.Args["mode"] != 600 || conf.Args["user"] != "www" || conf.SLS != "base" {
		t.Errorf("extended args %v (sls %s)", conf.Args, conf.SLS)
	}
	var targets []string
	for _, r := range conf.Requisites {
		targets = append(targets, r.Kind+":"+r.Target)
	}
	if !equal(targets, []string{"require:other", "require:more"}) {
		t.Errorf("requisites are appended to: %v", targets)
	}
	if confNop.Fun != "test.nop" {
		t.Errorf("extend adds a state declaration: %+v", confNop)
	}
	if named.Args["extra"] != 1 {
		t.Errorf("extend by name: %v", named.Args)
	}

	errs := compileErrors(t, map[string]string{
		"site": "extend:\n  ghost:\n    test.nop:\n      - foo: 1\nreal: test.nop\n",
	}, "site")
	wantError(t, errs, "Cannot extend ID 'ghost'", "site.sls")
}

func TestExclude(t *testing.T) {
	p := mustCompile(t, Options{}, map[string]string{
		"top": `
include:
  - a
  - b
exclude:
  - sls: b
  - id: a2
keep: test.nop
`,
		"a": "a1: test.nop\na2: test.nop\n",
		"b": "b1: test.nop\n",
	}, "top")
	if got := planIDs(p); !equal(got, []string{"a1", "keep"}) {
		t.Fatalf("got %v", got)
	}
}

func TestDuplicateIDAcrossFiles(t *testing.T) {
	src := newSource(t, map[string]string{
		"top": "include: [a, b]\nx: test.nop\n",
		"a":   "dup: test.nop\n",
		"b":   "dup:\n  test.nop:\n    - foo: 1\n",
	})
	src.names["b"] = "b/init.sls"
	_, err := Compile(context.Background(), Options{Source: src}, []string{"top"})
	if err == nil {
		t.Fatal("compiled")
	}
	wantError(t, err.(*CompileError).Errors, "conflicting ID is 'dup'", "SLS 'base:a' (a.sls)", "SLS 'base:b' (b/init.sls)")
}

func TestMissingRequisiteTargets(t *testing.T) {
	errs := compileErrors(t, map[string]string{
		"web": `
a:
  test.nop:
    - require:
      - file: nope
      - present
    - watch:
      - sls: nosuch
    - listen:
      - ghost
b:
  test.nop:
    - onchanges_in:
      - missing-too
present: test.nop
`}, "web")
	wantError(t, errs, "[require: (file: nope)]", "state 'a' (test.nop) in SLS 'web' (web.sls)")
	wantError(t, errs, "[watch: (sls: nosuch)]")
	wantError(t, errs, "[listen: (id: ghost)]")
	wantError(t, errs, "[onchanges_in: (id: missing-too)]", "state 'b'")
	if len(errs) != 4 {
		t.Errorf("want 4 errors, got %q", errs)
	}
}

func TestUnknownFunctionAndMissingArgument(t *testing.T) {
	errs := compileErrors(t, map[string]string{
		"web": `
a:
  nosuch.thing:
    - foo: 1
b:
  test.bogus: []
c:
  hstest.needs:
    - other: 1
d:
  hstest.needs:
    - value: 1
`}, "web")
	wantError(t, errs, "State 'nosuch.thing' was not found", "SLS 'web' (web.sls)", "ID 'a'")
	wantError(t, errs, "State 'test.bogus' was not found", "ID 'b'")
	wantError(t, errs, "state 'c' (hstest.needs)", "missing required argument 'value'")
	if len(errs) != 3 {
		t.Errorf("want 3 errors, got %q", errs)
	}
}

func TestBadStructure(t *testing.T) {
	errs := compileErrors(t, map[string]string{
		"bad": `
notdict: 42
notlist:
  test.nop: foo
twofuns:
  test.nop:
    - succeed_with_changes
nofun:
  test:
    - foo: bar
multikey:
  test.nop:
    - require:
      - test: x
      b: 2
latein:
  test.nop:
    - a: 1
      require_in:
      - test: x
trailing:
  test.nop:
sametype:
  test.nop: []
  test.succeed_with_changes: []
badreq:
  test.nop:
    - require: other
dotreq:
  test.nop:
    - require:
      - test.nop: notdict
badorder:
  test.nop:
    - failhard: maybe
names:
  test.nop:
    - names: one
include: notalist
`}, "bad")
	for _, parts := range [][]string{
		{"ID notdict in SLS 'bad' (bad.sls) is not a dictionary"},
		{"State 'notlist' in SLS 'bad' (bad.sls) is not formed as a list"},
		{"Too many functions declared in state 'twofuns'", "succeed_with_changes"},
		{"No function declared in state 'nofun'"},
		{"Multiple dictionaries defined in argument of state 'multikey'"},
		{"State 'latein'", "requisite 'require_in' shares an argument with 'a'"},
		{"'trailing'", "trailing colon"},
		{"'sametype'", "multiple state declarations of the same type"},
		{"The require statement in state 'badreq'", "needs to be formed as a list"},
		{"Invalid requisite type 'test.nop'", "did you mean 'test'"},
		{"failhard must be a boolean"},
		{"'names' argument in state 'names'", "list"},
		{"Include Declaration in SLS 'bad' (bad.sls) is not formed as a list"},
	} {
		wantError(t, errs, parts...)
	}
}

func TestRequisiteCycles(t *testing.T) {
	errs := compileErrors(t, map[string]string{
		"web": `
a:
  test.nop:
    - require:
      - b
b:
  test.nop:
    - require:
      - a
c:
  test.nop:
    - require_in:
      - d
    - onchanges:
      - e
d:
  test.nop:
    - watch_in:
      - e
e: test.nop
self:
  test.nop:
    - require:
      - self
`}, "web")
	wantError(t, errs, "requisite cycle: a -> b -> a")
	wantError(t, errs, "requisite cycle: c -> e -> d -> c")
	wantError(t, errs, "requisite cycle: self -> self")
	if len(errs) != 3 {
		t.Errorf("want 3 errors, got %q", errs)
	}

	// prereq on a state that requires the prereq-ing one: its test run
	// needs the state it would run before.
	errs = compileErrors(t, map[string]string{
		"web": `
graceful:
  test.nop:
    - prereq:
      - deploy
deploy:
  test.nop:
    - require:
      - graceful
`}, "web")
	wantError(t, errs, "requisite cycle: graceful -> deploy (prereq test) -> graceful")
}

func TestOrdering(t *testing.T) {
	p := mustCompile(t, Options{}, map[string]string{
		"web": `
a: test.nop
b:
  test.nop:
    - require:
      - z
c:
  test.nop:
    - order: last
d: test.nop
e:
  test.nop:
    - order: first
f:
  test.nop:
    - order: 1
z: test.nop
`}, "web")
	want := []string{"e", "f", "a", "z", "b", "d", "c"}
	if got := planIDs(p); !equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
	if p.Chunks[0].Order != 0 || p.Chunks[1].Order != 1 || p.Chunks[2].Order != 10000 {
		t.Errorf("orders: %d %d %d", p.Chunks[0].Order, p.Chunks[1].Order, p.Chunks[2].Order)
	}
	// a requisite runs as early as the earliest state needing it, even
	// with "order: last" (as in Salt)
	p = mustCompile(t, Options{}, map[string]string{
		"web": `
a:
  test.nop:
    - require:
      - late
b: test.nop
late:
  test.nop:
    - order: last
`}, "web")
	if got := planIDs(p); !equal(got, []string{"late", "a", "b"}) {
		t.Fatalf("order %v", got)
	}
}

func TestRequireSLS(t *testing.T) {
	p := mustCompile(t, Options{}, map[string]string{
		"top": `
include:
  - app
  - db
first:
  test.nop:
    - require:
      - sls: db
    - order: first
`,
		"app":      "app1: test.nop\n",
		"db":       "include: [dbcommon]\ndb1: test.nop\ndb2: test.nop\n",
		"dbcommon": "dbc: test.nop\n",
	}, "top")
	// "sls: db" names db's own states, not those of dbcommon that db
	// includes (Salt matches each state's __sls__)
	if got := planIDs(p); !equal(got, []string{"db1", "db2", "first", "app1", "dbc"}) {
		t.Fatalf("order %v", got)
	}
	var first Chunk
	for _, c := range p.Chunks {
		if c.ID == "first" {
			first = c
		}
	}
	if len(first.Requisites) != 1 || len(first.Requisites[0].RunNums) != 2 {
		t.Errorf("require sls: %+v", first.Requisites)
	}
}

func TestCompileHigh(t *testing.T) {
	high := map[string]*render.Map{
		"one": yamlMap(t, "include: [two, three]\na: test.nop\n"),
		"two": yamlMap(t, "b: test.nop\n"),
	}
	src := newSource(t, map[string]string{"three": "c: test.nop\n"})
	p, err := CompileHigh(Options{Source: src}, high, []string{"one"})
	if err != nil {
		t.Fatal(err)
	}
	if got := planIDs(p); !equal(got, []string{"b", "c", "a"}) {
		t.Fatalf("order %v", got)
	}
	_, err = CompileHigh(Options{}, high, nil)
	if err == nil || !strings.Contains(err.Error(), "Specified SLS three in saltenv base is not available") {
		t.Fatalf("err %v", err)
	}
	p, err = CompileHigh(Options{}, map[string]*render.Map{"x": yamlMap(t, "y: test.nop\n")}, nil)
	if err != nil || len(p.Chunks) != 1 {
		t.Fatalf("%v %v", p, err)
	}
}

func TestGlobs(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"web*", "web.nginx", true},
		{"*", "/etc/a/b", true},
		{"/etc/*.conf", "/etc/a/b.conf", true},
		{"w?b", "web", true},
		{"w?b", "weeb", false},
		{"[ab]x", "bx", true},
		{"[!ab]x", "bx", false},
		{"[!ab]x", "cx", true},
		{"a.b", "axb", false},
		{"[x", "[x", true},
	} {
		if got := fnmatch(tc.pat, tc.s); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v", tc.pat, tc.s, got)
		}
	}
}

func TestRequisiteOnOneName(t *testing.T) {
	p := mustCompile(t, Options{}, map[string]string{
		"web": `
after-vim:
  test.nop:
    - require:
      - test: vim
after-all:
  test.nop:
    - require:
      - editors
    - watch:
      - test: "e*"
editors:
  test.nop:
    - names:
      - vim
      - emacs
`}, "web")
	if got := planIDs(p); !equal(got, []string{"editors", "after-vim", "editors", "after-all"}) {
		t.Fatalf("order %v", got)
	}
	if p.Chunks[0].Name != "vim" || p.Chunks[2].Name != "emacs" {
		t.Fatalf("names %s %s", p.Chunks[0].Name, p.Chunks[2].Name)
	}
	if got := p.Chunks[1].Requisites[0].RunNums; !reflect.DeepEqual(got, []int{0}) {
		t.Errorf("require test: vim matched %v", got)
	}
	for _, r := range p.Chunks[3].Requisites {
		if !reflect.DeepEqual(r.RunNums, []int{0, 2}) {
			t.Errorf("%s %s: %v", r.Kind, r.Target, r.RunNums)
		}
	}
}

func TestPlainMapsInRenderedData(t *testing.T) {
	m := render.NewMap()
	m.Set("x", map[string]any{"test.nop": []any{map[string]any{"require": []any{map[string]any{"test": "y"}}}}})
	m.Set("y", "test.nop")
	p, err := CompileHigh(Options{}, map[string]*render.Map{"s": m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := planIDs(p); !equal(got, []string{"y", "x"}) {
		t.Fatalf("order %v", got)
	}
	if _, ok := m.Values["x"].(map[string]any); !ok {
		t.Error("caller's data changed")
	}
}

// An ID three SLS declare: Salt reports each declaration against the one
// before it in its high data (the includer's own IDs first).
func TestDuplicateIDChain(t *testing.T) {
	errs := compileErrors(t, map[string]string{
		"top": "include: [a, b]\ndup: test.nop\n",
		"a":   "dup:\n  test.nop:\n    - x: 1\n",
		"b":   "dup:\n  test.nop:\n    - x: 2\n",
	}, "top")
	wantError(t, errs, "conflicting ID is 'dup'", "SLS 'base:top' (top.sls) and SLS 'base:a' (a.sls)")
	wantError(t, errs, "conflicting ID is 'dup'", "SLS 'base:a' (a.sls) and SLS 'base:b' (b.sls)")
	if len(errs) != 2 {
		t.Errorf("want 2 errors, got %q", errs)
	}
}
