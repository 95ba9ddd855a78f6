package reactor

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/render"
)

// yamlMap decodes YAML into the ordered shape render.SLS produces
// (*render.Map, []any, string, int, float64, bool, nil), without Jinja.
func yamlMap(text []byte) (*render.Map, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return render.NewMap(), nil
	}
	v, err := nodeValue(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	m, ok := v.(*render.Map)
	if !ok {
		return nil, fmt.Errorf("top level is not a mapping")
	}
	return m, nil
}

func nodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("too deep")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return nil, fmt.Errorf("aliases not supported")
	case yaml.MappingNode:
		m := render.NewMap()
		for i := 0; i+1 < len(n.Content); i += 2 {
			var k any
			if err := n.Content[i].Decode(&k); err != nil {
				return nil, err
			}
			v, err := nodeValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m.Set(fmt.Sprint(k), v)
		}
		return m, nil
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case nil, string, int, float64, bool:
			return x, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("unexpected node kind %d", n.Kind)
}

func parseYAML(t *testing.T, text string) ([]Reaction, error) {
	t.Helper()
	m, err := yamlMap([]byte(text))
	if err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return ParseReactions(m)
}

func TestParseReactions(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []Reaction
	}{
		{"local new", `
d:
  local.state.sls:
    - tgt: 'roles:web'
    - tgt_type: grain
    - arg: [app.deploy, prod]
    - kwarg: {test: true}
    - pillar: {a: 1}
`, []Reaction{{ID: "d", Type: "local", Fun: "state.sls", Tgt: "roles:web", TgtType: "grain",
			Arg: []any{"app.deploy", "prod"}, Kwarg: map[string]any{"test": true, "pillar": map[string]any{"a": 1}}}}},
		{"function under the type", `
d:
  local:
    - state.sls
    - tgt: web*
    - arg: [x]
e:
  runner:
    - fun: manage.up
`, []Reaction{
			{ID: "d", Type: "local", Fun: "state.sls", Tgt: "web*", TgtType: "glob", Arg: []any{"x"}, Kwarg: map[string]any{}},
			{ID: "e", Type: "runner", Fun: "manage.up", Arg: []any{}, Kwarg: map[string]any{}},
		}},
		{"cmd alias, list target, single arg, ignored options", `
c:
  cmd.cmd.run:
    - tgt: [web1, web2]
    - expr_form: list
    - arg: uptime
    - ret: syslog
    - name: c
    - runas: nobody
`, []Reaction{{ID: "c", Type: "local", Fun: "cmd.run", Tgt: "web1,web2", TgtType: "list", Arg: []any{"uptime"},
			Kwarg: map[string]any{"runas": "nobody"}, Warnings: []string{"name ignored", "ret ignored"}}}},
		{"runner legacy and new", `
o1:
  runner.state.orchestrate:
    - mods: orch.a
    - pillar: {k: v}
o2:
  runner.state.orchestrate:
    - args:
      - mods: orch.b
      - saltenv: prod
    - mods: ignored
    - arg: [x]
`, []Reaction{
			{ID: "o1", Type: "runner", Fun: "state.orchestrate", Arg: []any{}, Kwarg: map[string]any{"mods": "orch.a", "pillar": map[string]any{"k": "v"}}},
			{ID: "o2", Type: "runner", Fun: "state.orchestrate", Arg: []any{}, Kwarg: map[string]any{"mods": "orch.b", "saltenv": "prod"},
				Warnings: []string{"arg ignored because args is present", "mods ignored because args is present"}},
		}},
		{"wheel key name and match", `
a:
  wheel.key.accept:
    - name: web1
b:
  wheel.key.delete:
    - match: web2
    - name: other
c:
  wheel.config.values:
    - name: x
`, []Reaction{
			{ID: "a", Type: "wheel", Fun: "key.accept", Arg: []any{}, Kwarg: map[string]any{"match": "web1"}},
			{ID: "b", Type: "wheel", Fun: "key.delete", Arg: []any{}, Kwarg: map[string]any{"match": "web2", "name": "other"}},
			{ID: "c", Type: "wheel", Fun: "config.values", Arg: []any{}, Kwarg: map[string]any{"name": "x"}},
		}},
		{"caller positional and keyword args", `
p:
  caller.cmd.run:
    - args: [echo hi]
k:
  caller.state.sls:
    - args:
      - mods: web
`, []Reaction{
			{ID: "p", Type: "caller", Fun: "cmd.run", Arg: []any{"echo hi"}, Kwarg: map[string]any{}},
			{ID: "k", Type: "caller", Fun: "state.sls", Arg: []any{}, Kwarg: map[string]any{"mods": "web"}},
		}},
		{"if at both levels, several types under one ID", `
x:
  if: data.a
  local.test.ping:
    - if: data.b
    - tgt: '*'
  runner.manage.up: []
`, []Reaction{
			{ID: "x", Type: "local", Fun: "test.ping", Tgt: "*", TgtType: "glob", Arg: []any{}, Kwarg: map[string]any{}, If: "(data.a) && (data.b)"},
			{ID: "x", Type: "runner", Fun: "manage.up", Arg: []any{}, Kwarg: map[string]any{}, If: "data.a"},
		}},
		{"empty", ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseYAML(t, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got\n%#v\nwant\n%#v", got, tc.want)
			}
		})
	}
}

func TestParseReactionErrors(t *testing.T) {
	for text, want := range map[string]string{
		"x: 1":                                                      "want a mapping",
		"x: {}":                                                     "no reaction type",
		"x: {foo.bar: []}":                                          "unknown reaction type",
		"x: {local.test.ping: {tgt: a}}":                            "got a mapping",
		"x: {local.test.ping: [{arg: [1]}]}":                        "no tgt",
		"x: {local.test.ping: [{tgt: ''}]}":                         "tgt",
		"x: {local.test.ping: [{tgt: a}, 3]}":                       "single-key mapping",
		"x: {local: [{tgt: a}]}":                                    "no function",
		"x: {local.test: [{tgt: a}]}":                               "bad function name",
		"x: {local.test.ping: [foo.bar, {tgt: a}]}":                 "unexpected string",
		"x: {local: [a.b, {fun: c.d}, {tgt: a}]}":                   "function given twice",
		"x: {local.test.ping: [{tgt: a}, {arg: {}}]}":               "arg must be a list",
		"x: {local.test.ping: [{tgt: a}, {kwarg: 1}]}":              "kwarg must be a mapping",
		"x: {local.a.b: [{tgt: a}, {tgt_type: g}, {expr_form: l}]}": "disagree",
		"x: {caller.a.b: [{tgt: a}]}":                               "not allowed",
		"x: {runner.a.b: [{args: [1]}]}":                            "args",
		"x: {runner.a.b: [{if: 3}]}":                                "if:",
		"x: {if: '', runner.a.b: []}":                               "empty expression",
		"x: {runner.a.b: [{pillar: [1]}]}":                          "pillar must be a mapping",
		"x: {runner.a.b: 7}":                                        "want a list",
	} {
		_, err := parseYAML(t, text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", text, err, want)
		}
	}
}

func TestParseRules(t *testing.T) {
	rules, err := ParseRules([]map[string][]string{
		{"salt/netapi/hook/deploy/*": {"/srv/reactor/deploy.sls"}},
		{"b/*": {"x.sls"}, "a/*": {"y.sls", "salt://z.sls"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Pattern: "salt/netapi/hook/deploy/*", Files: []string{"/srv/reactor/deploy.sls"}},
		{Pattern: "a/*", Files: []string{"y.sls", "salt://z.sls"}},
		{Pattern: "b/*", Files: []string{"x.sls"}},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Fatalf("rules = %+v", rules)
	}
	for _, bad := range [][]map[string][]string{
		{{}}, {{"": {"x"}}}, {{"a": nil}}, {{"a": {" "}}},
	} {
		if _, err := ParseRules(bad); err == nil {
			t.Errorf("ParseRules(%v) accepted", bad)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, tag string
		want     bool
	}{
		{"salt/netapi/hook/deploy/*", "salt/netapi/hook/deploy/app", true},
		{"salt/netapi/hook/deploy/*", "salt/netapi/hook/deploy/a/b/c", true}, // '*' crosses '/'
		{"salt/netapi/hook/deploy/*", "salt/netapi/hook/deployx", false},
		{"salt/*/ret/*", "salt/job/20260101/ret/web1", true},
		{"salt/minion/*/start", "salt/minion/web1/start", true},
		{"salt/minion/*/start", "salt/minion/web1/start/x", false},
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"salt/minion/web?/start", "salt/minion/web1/start", true},
		{"salt/minion/web?/start", "salt/minion/web12/start", false},
		{"salt/minion/web[12]/start", "salt/minion/web2/start", true},
		{"salt/minion/web[!12]/start", "salt/minion/web2/start", false},
		{"salt/minion/web[!12]/start", "salt/minion/web3/start", true},
		{"web[a-c]", "webb", true},
		{"web[a-c]", "webd", false},
		{"web[c-a]", "webb", false}, // reversed range is empty
		{"web[]]", "web]", true},
		{"web[!]]", "web]", false},
		{"web[-a]", "web-", true},
		{"web[a-]", "web-", true},
		{"web[", "web[", true}, // unclosed: literal
		{"a.b", "axb", false},  // regexp characters are literal
		{"a+b(c)", "a+b(c)", true},
		{`a\*`, `a\xyz`, true}, // no escape character
		{"SALT/*", "salt/x", false},
		{"é*", "été", true},
		{"[é]x", "éx", true},
		{"a*b*c", "aXbYbZc", true},
		{"**", "x/y", true},
		{"web[!]", "web!", false}, // "[!]" with no closing: "[" literal then "!]"
		{"web[!]", "web[!]", true},
	} {
		if got := Match(tc.pat, tc.tag); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pat, tc.tag, got, tc.want)
		}
	}
}

func TestRedaction(t *testing.T) {
	kw := map[string]any{"pillar": map[string]any{"b": 1, "a": map[string]any{"secret": "x"}}, "mods": "m"}
	got := redactKwarg(&Reaction{Type: TypeLocal, Fun: "state.sls", Kwarg: kw})
	if !reflect.DeepEqual(got, map[string]any{"pillar": []string{"a", "b"}, "mods": "m"}) {
		t.Fatalf("redactKwarg = %v", got)
	}
	if _, ok := kw["pillar"].(map[string]any); !ok {
		t.Fatal("redactKwarg changed its input")
	}
	if got := redactKwarg(&Reaction{Type: TypeRunner, Fun: "state.orchestrate", Kwarg: map[string]any{"pillar": "str"}}); got["pillar"] != "<redacted>" {
		t.Fatalf("non-map pillar = %v", got)
	}
	if got := redactKwarg(&Reaction{Type: TypeLocal, Fun: "test.ping"}); got == nil || len(got) != 0 {
		t.Fatalf("no kwargs = %#v", got)
	}
	args := redactArgs(&Reaction{Type: TypeLocal, Fun: "state.sls", Arg: []any{"web", `pillar={"pw": "x"}`, map[string]any{"pillar": map[string]any{"pw": "x"}}}})
	if s := fmt.Sprint(args); strings.Contains(s, "pw:") || strings.Contains(s, `"x"`) || !strings.Contains(s, "web") {
		t.Fatalf("redactArgs = %v", s)
	}
	// What is secret is what the module declares where it registers.
	for _, typ := range []string{TypeLocal, TypeCaller} {
		r := &Reaction{Type: typ, Fun: "cmd.run", Arg: []any{"mysql -phunter2"}, Kwarg: map[string]any{"env": map[string]any{"PW": "hunter2"}}}
		if s := fmt.Sprint(redactArgs(r), redactKwarg(r)); strings.Contains(s, "hunter2") || redactArgs(r) != "<1 args>" {
			t.Fatalf("%s cmd.run shows %s", typ, s)
		}
	}
	if got := redactArgs(&Reaction{Type: TypeLocal, Fun: "test.echo", Arg: []any{"hello"}}); !reflect.DeepEqual(got, []any{"hello"}) {
		t.Fatalf("test.echo args = %v", got)
	}
	// Runner functions are not execution modules: only pillar= is hidden.
	if got := redactArgs(&Reaction{Type: TypeRunner, Fun: "state.orchestrate", Arg: []any{"orch.deploy", "pillar=x"}}); !reflect.DeepEqual(got, []any{"orch.deploy", "pillar=<redacted>"}) {
		t.Fatalf("runner args = %v", got)
	}
	if redactResult("pillar.show_pillar", map[string]any{"pw": "x"}) != "<redacted>" || redactResult("manage.up", 1) != 1 {
		t.Fatal("redactResult")
	}
	if got := limitResult(strings.Repeat("x", maxResult+1)); got != fmt.Sprintf("<result too large: %d bytes>", maxResult+3) {
		t.Fatalf("limitResult(large) = %.40v", got)
	}
	if got, _ := limitResult(make(chan int)).(string); !strings.HasPrefix(got, "<result not encodable") {
		t.Fatalf("limitResult(chan) = %v", got)
	}
	if got := limitResult(map[string]any{"a": 1}); !reflect.DeepEqual(got, map[string]any{"a": 1}) {
		t.Fatalf("limitResult(small) = %v", got)
	}
}
