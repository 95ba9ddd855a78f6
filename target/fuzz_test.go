package target

import (
	"errors"
	"testing"
)

// checkCompile compiles kind/expr and checks that a failure is a well-formed
// *Error and that an accepted target can be matched against every fixture
// minion (and nil) without panicking.
func checkCompile(t *testing.T, minions []*Minion, kind, expr string) {
	m, err := Compile(kind, expr)
	if err != nil {
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("Compile(%q, %q) error %T is not *Error: %v", kind, expr, err, err)
		}
		if m != nil {
			t.Fatalf("Compile(%q, %q) returned a Matcher with its error", kind, expr)
		}
		if te.Expr != expr || te.Msg == "" || te.Pos < -1 || te.Pos > len(expr) {
			t.Fatalf("Compile(%q, %q) malformed error %#v", kind, expr, te)
		}
		_ = err.Error()
		return
	}
	if m == nil {
		t.Fatalf("Compile(%q, %q) = nil, nil", kind, expr)
	}
	for _, mi := range minions {
		m.Match(mi)
	}
	m.Match(nil)
	m.Match(&Minion{})
}

var compoundSeeds = []string{
	"G@roles:web and not G@env:test or L@a,b or web*",
	"( G@a:b or web* )",
	"(G@a:b or web*)",
	"not(G@os:Ubuntu) and (P@os:(RedHat|CentOS) or E@web(1|2))",
	"I@app:branch:main or J@role:^data and S@10.0.0.0/8",
	"G;@ipv6;2001:db8::1 or G|@ec2|tags|Name|web*",
	"web* not web2",
	"G@x:y and",
	"((a)",
	"a b",
	"Z@x",
	"N@group",
	"L@,",
	`E@a\)) or E@[)]`,
	"G@roles:[wd]* and G@num_cpus:1? or G@ssd:TRUE",
	"G@mounts:fs:zfs or G@ipv4:0:10.* or G@ec2:*",
	"not not not *",
	"",
}

func FuzzCompound(f *testing.F) {
	for _, s := range compoundSeeds {
		f.Add(s)
	}
	minions := fixture(f)
	f.Fuzz(func(t *testing.T, expr string) {
		checkCompile(t, minions, "compound", expr)
	})
}

func FuzzCompile(f *testing.F) {
	kinds := append([]string{""}, Kinds()...)
	for i, k := range kinds {
		f.Add(uint8(i), everyKind[k])
	}
	for _, s := range compoundSeeds {
		f.Add(uint8(0), s)
	}
	for _, s := range []string{
		"os:[a-", "ipv6:::1", "a:b:c:d:e", "ec2:tags:Name:web?", "ssd:true", "num_cpus:4",
		"10.0.0.0/33", "fe80::1%eth0", "::ffff:10.0.0.1", "a)(b", "(?i)WEB", `\`, "[]a]",
		`grains.ec2.tags.Name == "x"`, `any(grains.ipv4, {# startsWith "10."})`, `1..1000000 | len() > 0`,
	} {
		for i := range kinds {
			f.Add(uint8(i), s)
		}
	}
	minions := fixture(f)
	f.Fuzz(func(t *testing.T, k uint8, expr string) {
		checkCompile(t, minions, kinds[int(k)%len(kinds)], expr)
	})
}
