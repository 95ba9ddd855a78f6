package render

import (
	"strings"
	"testing"
)

func TestCheckSyntax(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"a: {{ data['x']['y'] }}\n", ""},
		{"plain: yaml\n", ""},
		{"#!yaml\na: b\n", ""},
		{"a: 1\n{% if data['x'] %}\nb: 2\n", "f.sls:2: jinja: Jinja syntax error:"},
		{"a: {{ data[ }}\n", "f.sls:1: jinja: Jinja syntax error:"},
		{"#!jinja|nosuch\na: b\n", `f.sls:1: render: unknown renderer "nosuch"`},
		{"{% include 'missing.sls' %}\n", ""}, // loads nothing
	} {
		err := CheckSyntax([]byte(c.text), "f.sls")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.text, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%q: got %v, want %s...", c.text, err, c.want)
		}
	}
	if HasJinja([]byte("a: {b: c}\n")) || !HasJinja([]byte("a: {# c #}\n")) {
		t.Error("HasJinja")
	}
}
