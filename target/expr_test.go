package target

import (
	"strings"
	"testing"
)

func TestExpr(t *testing.T) {
	all := "web1 web2 db1 db2 mon-1.example.com bare"
	runMatchCases(t, "expr", []matchCase{
		{`"web" in grains.roles && grains.env == "prod"`, "web1"},
		{`grains.env == "prod"`, "web1 db1"},
		{`grains.env != "prod"`, "web2 db2 mon-1.example.com bare"}, // a missing grain is nil
		{`"web" in grains.roles`, "web1 web2"},                      // in a missing list is false
		{`"web" not in grains.roles`, "db1 db2 mon-1.example.com bare"},
		{`grains.num_cpus > 4`, "db1 db2"}, // nil > 4 is a run-time error: no match
		{`grains.num_cpus >= 2 && grains.num_cpus <= 8`, "web1 web2 db2"},
		{`id startsWith "web"`, "web1 web2"},
		{`id matches "^db\\d$"`, "db1 db2"},
		{`id == "bare"`, "bare"},
		{`grains.ssd == true`, "web1 db1"},
		{`grains.ssd`, "web1 db1"}, // bool at run time
		{`grains.env`, ""},         // not a bool: no match
		{`grains.ec2?.tags?.Name == "web1"`, "web1"},
		{`grains.ec2.tags.Name == "web2"`, "web2"},
		{`!(grains.ec2?.region == "us-east-1")`, "web2 db1 db2 mon-1.example.com bare"},
		{`pillar.role == "database"`, "db1 db2"}, // web2 and bare have no pillar
		{`pillar?.app?.branch startsWith "release"`, "db1"},
		{`len(grains.roles) == 0`, "mon-1.example.com"},
		{`grains.os in ["Ubuntu", "Debian"]`, "web1 web2 db2"},
		{`any(grains.ipv4 ?? [], {# startsWith "10."})`, "web1 web2 db1"},
		{`grains["os_family"] == "RedHat"`, "db1"},
		{`grains.nonexistent == nil`, all},
		{`true`, all},
		{`false`, ""},
		{`let n = grains.num_cpus ?? 0; n > 1 and n < 16`, "web1 web2 db2"},
	})
}

func TestExprErrors(t *testing.T) {
	runErrorCases(t, "expr", []errorCase{
		{`grains.env ==`, "invalid expression: unexpected token EOF", 12},
		{`grains.env == "prod" &&`, "invalid expression: unexpected token EOF", 22},
		{`foo == 1`, "invalid expression: unknown name foo", 0},
		{`id == 1 +`, "invalid expression", 8},
		{`1 + 2`, "invalid expression: expected bool, but got int", -1},
		{`id`, "invalid expression: expected bool, but got string", -1},
		{`"é" == é`, "invalid expression: unknown name é", 8},
		{`grains.env == "prod`, "invalid expression: literal not terminated", 19},
		{``, "empty target", -1},
	})
}

func TestExprEvalError(t *testing.T) {
	minions := []*Minion{
		{ID: "web1", Grains: map[string]any{"num_cpus": float64(4)}},
		{ID: "web2", Grains: map[string]any{"num_cpus": float64(8)}},
	}
	matchAll := func(src string) (int, error) {
		m, err := Compile("expr", src)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, mi := range minions {
			if m.Match(mi) {
				n++
			}
		}
		return n, MatchError(m)
	}
	// A type error on every minion is an error, not "no minions matched".
	n, err := matchAll(`grains.num_cpus > "4"`)
	if n != 0 || err == nil || !strings.Contains(err.Error(), `bad expr target "grains.num_cpus > \"4\"": the expression failed on every minion (2)`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("type error: %d matched, err %v", n, err)
	}
	// Failing on some minions only (a grain they lack) is not.
	minions = append(minions, &Minion{ID: "db1", Grains: map[string]any{}})
	if n, err := matchAll(`grains.num_cpus + 1 > 5`); n != 1 || err != nil {
		t.Errorf("partial failure: %d matched, err %v", n, err)
	}
	// Nothing to match against, or a plain miss, is no error.
	if n, err := matchAll(`grains.num_cpus > 100`); n != 0 || err != nil {
		t.Errorf("plain miss: %d matched, err %v", n, err)
	}
	m, _ := Compile("glob", "web*")
	if MatchError(m) != nil {
		t.Error("a glob has no evaluation error")
	}
}
