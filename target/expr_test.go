package target

import "testing"

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
