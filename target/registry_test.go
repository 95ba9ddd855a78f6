package target

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestKinds(t *testing.T) {
	want := []string{"compound", "expr", "glob", "grain", "grain_pcre", "ipcidr", "list", "nodegroup", "pcre", "pillar", "pillar_pcre"}
	if got := Kinds(); !slices.Equal(got, want) {
		t.Errorf("Kinds() = %q, want %q", got, want)
	}
}

func TestDefaultKind(t *testing.T) {
	runMatchCases(t, "", []matchCase{
		{"roles:web", "web1 web2"},       // key:value is a grain match
		{"ec2:region:us-*", "web1 web2"}, // nested
		{"ipv6:2001:db8::11", "web1"},    // value with colons
		{"web*", "web1 web2"},            // anything else an id glob
		{"db1", "db1"},                   //
		{"web*:x", ""},                   // a glob in the key: an id glob
		{"[a-z]*:x", ""},                 //
		{":x", ""},                       // empty key: an id glob
		{"mon-1.example.com", "mon-1.example.com"},
	})
	for expr, want := range map[string]string{
		"roles:web": "grain", "a:b:c": "grain", "web*": "glob", "w?b:x": "glob",
		":x": "glob", "x": "glob", "": "glob", " os:x": "grain",
	} {
		if got := defaultKind(expr); got != want {
			t.Errorf("defaultKind(%q) = %q, want %q", expr, got, want)
		}
	}
}

func TestDefaultKindErrors(t *testing.T) {
	_, err := Compile("", "web[1")
	var te *Error
	if !errors.As(err, &te) || te.Kind != "glob" || te.Pos != 3 {
		t.Errorf(`Compile("", "web[1") error = %#v`, err)
	}
	_, err = Compile("", "os:[Ubuntu")
	if !errors.As(err, &te) || te.Kind != "grain" || te.Pos != 3 {
		t.Errorf(`Compile("", "os:[Ubuntu") error = %#v`, err)
	}
}

func TestUnknownKind(t *testing.T) {
	m, err := Compile("range", "web*")
	var te *Error
	if m != nil || !errors.As(err, &te) {
		t.Fatalf("Compile(nodegroup) = %v, %v; want an *Error", m, err)
	}
	want := `bad range target "web*": unknown target kind "range" (known kinds: compound, expr, glob, grain, grain_pcre, ipcidr, list, nodegroup, pcre, pillar, pillar_pcre)`
	if err.Error() != want || te.Pos != -1 || te.Kind != "range" {
		t.Errorf("error = %q (pos %d), want %q", err, te.Pos, want)
	}
}

func TestErrorString(t *testing.T) {
	cases := []struct {
		err  Error
		want string
	}{
		{Error{Kind: "compound", Expr: "G@x and", Msg: `expected a term after "and"`, Pos: 7}, `bad compound target "G@x and": expected a term after "and" at offset 7`},
		{Error{Kind: "pcre", Expr: "a(", Msg: "invalid", Pos: -1}, `bad pcre target "a(": invalid`},
		{Error{Expr: "x", Msg: "m", Pos: -1}, `bad target "x": m`},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

// everyKind has a valid expression of each kind.
var everyKind = map[string]string{
	"":            "roles:web",
	"glob":        "web*",
	"pcre":        "web",
	"list":        "web1,db1",
	"grain":       "ec2:tags:*",
	"grain_pcre":  "os:(Ubuntu|CentOS)",
	"pillar":      "app:branch:*",
	"pillar_pcre": "role:d",
	"ipcidr":      "10.0.0.0/8",
	"compound":    "G@roles:web and not G@env:test or L@db1,db2 or (E@mon and S@172.16.0.0/12)",
	"expr":        `"web" in grains.roles && grains.env == "prod" || pillar?.role == "database"`,
}

func TestEveryKindCovered(t *testing.T) {
	for _, k := range Kinds() {
		if k == "nodegroup" {
			continue // expanded into a compound target before Compile (nodegroup_test.go)
		}
		if _, ok := everyKind[k]; !ok {
			t.Errorf("kind %q has no entry in everyKind", k)
		}
	}
}

func TestNilMinion(t *testing.T) {
	empty := &Minion{}
	for kind, expr := range everyKind {
		m, err := Compile(kind, expr)
		if err != nil {
			t.Fatal(err)
		}
		if m.Match(nil) {
			t.Errorf("Compile(%q, %q) matches a nil minion", kind, expr)
		}
		m.Match(empty)
	}
	m, _ := Compile("compound", "not web1")
	if m.Match(nil) {
		t.Error("not web1 matches a nil minion")
	}
}

// TestConcurrentMatch shares each compiled Matcher between goroutines; run
// with -race.
func TestConcurrentMatch(t *testing.T) {
	minions := fixture(t)
	for kind, expr := range everyKind {
		m, err := Compile(kind, expr)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]bool, len(minions))
		for i, mi := range minions {
			want[i] = m.Match(mi)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					for i, mi := range minions {
						if got := m.Match(mi); got != want[i] {
							t.Errorf("Compile(%q, %q): concurrent Match(%s) = %v, want %v", kind, expr, mi.ID, got, want[i])
							return
						}
					}
				}
			})
		}
		wg.Wait()
	}
}

// TestConcurrentLazyValues exercises the lazily compiled value patterns of
// grain matches from many goroutines at once.
func TestConcurrentLazyValues(t *testing.T) {
	minions := fixture(t)
	for range 20 {
		m, err := Compile("grain_pcre", "ec2:tags:Name:web.*")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if !m.Match(minions[0]) {
					t.Error("no match")
				}
			})
		}
		wg.Wait()
	}
}
