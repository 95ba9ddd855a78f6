package target

import (
	"strings"
	"testing"
)

type prefixMatcher string

func (p prefixMatcher) Match(m *Minion) bool { return strings.HasPrefix(m.ID, string(p)) }

// A kind registered from one file (here, this test) is reachable by name,
// by its compound letter and through the flags and names other packages
// read from Registered, with nothing else changed.
func TestRegisteredKindReachable(t *testing.T) {
	register(Kind{Name: "zone_test", Letter: 'Z', Flags: []string{"-Z", "--zone-test"}}, func(expr string) (Matcher, *Error) {
		return prefixMatcher(expr), nil
	})
	t.Cleanup(func() { // the registry is the package's: leave it as found
		delete(registry, "zone_test")
		delete(byLetter, 'Z')
	})
	m, err := Compile("compound", "Z@eu and not eu-db*")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(&Minion{ID: "eu-web1"}) || m.Match(&Minion{ID: "eu-db1"}) || m.Match(&Minion{ID: "us-web1"}) {
		t.Error("compound Z@ term does not match as the kind says")
	}
	if name, ok := KindOfLetter('Z'); !ok || name != "zone_test" || !Known("zone_test") {
		t.Errorf("KindOfLetter(Z) = %q, %v", name, ok)
	}
	found := false
	for _, k := range Registered() {
		if k.Name == "zone_test" && k.Letter == 'Z' && strings.Join(k.Flags, ",") == "-Z,--zone-test" {
			found = true
		}
	}
	if !found {
		t.Errorf("Registered() lacks zone_test: %+v", Registered())
	}
	for name, k := range map[string]Kind{"duplicate name": {Name: "grain"}, "duplicate letter": {Name: "other_test", Letter: 'G'}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: registered", name)
				}
			}()
			register(k, func(string) (Matcher, *Error) { return prefixMatcher(""), nil })
		}()
	}
}

// Every compound letter and flag Salt users type is registered.
func TestSaltLettersAndFlags(t *testing.T) {
	letters := map[byte]string{'G': "grain", 'P': "grain_pcre", 'I': "pillar", 'J': "pillar_pcre", 'L': "list", 'E': "pcre", 'S': "ipcidr"}
	for l, want := range letters {
		if got, ok := KindOfLetter(l); !ok || got != want {
			t.Errorf("%c@ = %q, want %q", l, got, want)
		}
	}
	flags := map[string]string{}
	for _, k := range Registered() {
		for _, f := range k.Flags {
			flags[f] = k.Name
		}
	}
	for f, want := range map[string]string{"-G": "grain", "-P": "grain_pcre", "-E": "pcre", "-L": "list", "-I": "pillar", "-J": "pillar_pcre", "-C": "compound", "-S": "ipcidr", "-X": "expr"} {
		if flags[f] != want {
			t.Errorf("flag %s = %q, want %q", f, flags[f], want)
		}
	}
}
