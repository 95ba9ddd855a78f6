package command

import (
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "salt/auth", true},
		{"salt/*", "salt/job/1/ret/web1", true}, // '*' crosses '/'
		{"salt/job/*/ret/*", "salt/job/123/ret/web.1", true},
		{"salt/job/*/new", "salt/job/123/ret/web1", false},
		{"salt/auth", "salt/auth", true},
		{"salt/auth", "salt/authx", false},
		{"salt/auth", "xsalt/auth", false},
		{"salt/?uth", "salt/auth", true},
		{"salt/?uth", "salt/uth", false},
		{"web[12]", "web1", true},
		{"web[12]", "web3", false},
		{"web[0-9]", "web7", true},
		{"web[!12]", "web3", true},
		{"web[!12]", "web1", false},
		{"web.1", "web.1", true},
		{"web.1", "webx1", false}, // '.' is literal
		{"a+b", "a+b", true},
		{"a+b", "aab", false},
		{"(x)|y", "(x)|y", true},
		{"(x)|y", "y", false},
		{"^$", "^$", true},
		{`a\b`, `a\b`, true},
		{"salt/netapi/hook/déploy/*", "salt/netapi/hook/déploy/x", true},
		{"ü*", "über", true},
		{"?ber", "über", true},
		{"*", "line1\nline2", true},
	}
	for _, tt := range tests {
		g, err := compileTagGlob(tt.pattern)
		if err != nil {
			t.Errorf("compileTagGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := g.Match(tt.s); got != tt.want {
			t.Errorf("tag glob %q match %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestGlobRegexpErrors(t *testing.T) {
	for _, p := range []string{"web[12", "[", "x[]", "[!]"} {
		if g, err := compileTagGlob(p); err == nil {
			t.Errorf("compileTagGlob(%q) = %v, want an error", p, g)
		}
	}
}

func TestFilterKeys(t *testing.T) {
	keys := []proto.KeyInfo{
		{ID: "web1", State: proto.KeyAccepted},
		{ID: "web2", State: proto.KeyPending},
		{ID: "db1", State: proto.KeyAccepted},
	}
	ids := func(ks []proto.KeyInfo) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.ID)
		}
		return out
	}
	if got := ids(filterKeys(keys, proto.KeyRequest{ID: "web*"})); len(got) != 2 || got[0] != "web1" || got[1] != "web2" {
		t.Errorf("filterKeys(web*) = %v", got)
	}
	if got := filterKeys(keys, proto.KeyRequest{All: true, ID: "web*"}); len(got) != 3 {
		t.Errorf("filterKeys(all) = %v", got)
	}
	if got := filterKeys(keys, proto.KeyRequest{}); len(got) != 3 {
		t.Errorf("filterKeys(no id) = %v", got)
	}
	if got := filterKeys(keys, proto.KeyRequest{ID: "nomatch"}); len(got) != 0 {
		t.Errorf("filterKeys(nomatch) = %v", got)
	}
	if got := filterKeys(keys, proto.KeyRequest{ID: "web[1"}); len(got) != 0 {
		t.Errorf("filterKeys(bad glob) = %v", got)
	}
}
