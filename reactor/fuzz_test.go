package reactor

import (
	"encoding/json"
	"testing"
)

// FuzzReactionParse feeds arbitrary YAML, in the shape render.SLS returns,
// to ParseReactions and the redaction of what it yields: nothing may
// panic, and what parses must be well formed.
func FuzzReactionParse(f *testing.F) {
	for _, s := range []string{
		deploySLS[len("{% set target = tag.split('/')[-1] %}\n"):],
		"d:\n  local.state.sls:\n    - tgt: 'roles:web'\n    - expr_form: grain\n    - arg: [a, b]\n",
		"o:\n  runner.state.orchestrate:\n    - args:\n      - mods: x\n      - pillar: {a: 1}\n",
		"a:\n  wheel.key.accept:\n    - match: web1\n",
		"c:\n  caller.cmd.run:\n    - args: [echo]\n",
		"x:\n  if: data.a\n  local:\n    - test.ping\n    - tgt: [a, b]\n    - pillar: {p: 1}\n",
		"x: {local.a.b: [{tgt: 1.5}, {arg: 3}, {kwarg: {pillar: 2}}]}\n",
		"x: {runner.a.b: [{args: {a: 1}}, {arg: [1]}, {kwarg: {}}, {name: n}]}\n",
		"x: {wheel.key.delete: [{name: [1]}, {if: true}]}\n",
		"x: [1, 2]\n", "x: {y: 1}\n", "", "{}\n", "x:\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		m, err := yamlMap(text)
		if err != nil {
			return
		}
		rs, err := ParseReactions(m)
		if err != nil {
			return
		}
		for i := range rs {
			r := &rs[i]
			if r.Fun == "" || r.Type == "" || r.Arg == nil || r.Kwarg == nil {
				t.Fatalf("malformed reaction %+v", r)
			}
			if r.Type == TypeLocal && (r.Tgt == "" || r.TgtType == "") {
				t.Fatalf("local reaction without target: %+v", r)
			}
			ev := map[string]any{"arg": redactArgs(r), "kwarg": redactKwarg(r), "tag": ResultTag(r.ID)}
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("result event does not encode: %v", err)
			}
		}
	})
}

// FuzzGlob checks that every fnmatch pattern compiles and matches itself
// when it has no special characters.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"salt/*", "a[!b-c]?", "[", "[]]", "[!]", "é[é-ü]", "a\\*"} {
		f.Add(s, "salt/x")
	}
	f.Fuzz(func(t *testing.T, pat, tag string) {
		re, err := compileGlob(pat)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", pat, err)
		}
		re.Match(tag)
	})
}
