package command

import (
	"encoding/json"
	"strings"
	"testing"
)

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"test.ping\x00*",
		"--out=json\x00test.ping\x00roles:web\x00-G",
		"-t\x003\x00--\x00-L",
		"-L\x00-G",
		"--timeout=-1",
		"-1\x00-2.5\x00--async",
		"--batch\x0010%\x00-y\x00-A",
		"--limit=3\x00--bogus",
		"-",
		"--",
	} {
		f.Add(s)
	}
	tgtTypes := map[string]bool{"": true}
	for _, v := range tgtFlags {
		tgtTypes[v] = true
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		g, err := parseArgs(args)
		if err != nil {
			return
		}
		if g.Timeout <= 0 {
			t.Errorf("parseArgs(%q): timeout %v", args, g.Timeout)
		}
		if g.Limit < 0 {
			t.Errorf("parseArgs(%q): limit %v", args, g.Limit)
		}
		if !tgtTypes[g.TgtType] {
			t.Errorf("parseArgs(%q): target type %q", args, g.TgtType)
		}
		if len(g.Positional) > len(args) {
			t.Errorf("parseArgs(%q): %d positional words from %d", args, len(g.Positional), len(args))
		}
	})
}

func FuzzYamlify(f *testing.F) {
	for _, s := range []string{
		"True", "3", "1.5", "hello", "echo a: b", `{"a": 1}`, "[1,2]", "{a:",
		"20240102030405123456", ".inf", "[.nan]", "None", "~", "{1: a}", "&a [*a]",
		"x=y", "pillar={a: b}", "!!binary aGk=", "- a", "? a", "|\n  x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := yamlify(s)
		if err != nil {
			if tr := strings.TrimSpace(s); tr == "" || (tr[0] != '{' && tr[0] != '[') {
				t.Errorf("yamlify(%q): error %v for a value that is not a flow collection", s, err)
			}
			return
		}
		if _, err := json.Marshal(v); err != nil {
			t.Errorf("yamlify(%q) = %#v cannot be sent as JSON: %v", s, v, err)
		}
		// parseFunArgs goes through the same path and must not panic either.
		_, _, _ = parseFunArgs([]string{s, "k=" + s})
	})
}
