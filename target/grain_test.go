package target

import (
	"math"
	"testing"
)

func TestGrain(t *testing.T) {
	runMatchCases(t, "grain", []matchCase{
		{"os:Ubuntu", "web1 web2"},
		{"os:ubuntu", "web1 web2"}, // case-insensitive, as Salt lower-cases both sides
		{"os:*BSD", "mon-1.example.com"},
		{"env:prod", "web1 db1"},
		{"env:*", "web1 web2 db1 db2"},
		{"env:", ""},
		{"missing:*", ""},
		// lists match when any element does
		{"roles:web", "web1 web2"},
		{"roles:db", "db1 db2"},
		{"roles:*", "web1 web2 db1 db2"}, // an empty list has no element to match
		{"roles:ngin?", "web1"},
		// numbers are formatted like JSON
		{"num_cpus:4", "web1"},
		{"num_cpus:1*", "db1 mon-1.example.com"},
		{"num_cpus:4.0", ""},
		{"mem_gb:7.5", "web1"},
		// booleans as Python prints them, or true/false in any case
		{"ssd:True", "web1 db1"},
		{"ssd:true", "web1 db1"},
		{"ssd:TRUE", "web1 db1"},
		{"ssd:T*", "web1 db1"},
		{"ssd:False", "web2 db2"},
		{"ssd:false", "web2 db2"},
		{"ssd:1", ""},
		{"cpu_flags:None", "db2"}, // null
		// nested dicts
		{"ec2:region:us-east-1", "web1"},
		{"ec2:region:us-*", "web1 web2"},
		{"ec2:tags:Name:web2", "web2"},
		{"ec2:tags:team:blue", "web1"},
		// a dict at the end of the path matches one of its keys
		{"ec2:tags:team", "web1"},
		{"ec2:tags:*", "web1 web2"},
		{"ec2:reg*", "web1 web2"},
		{"ec2:*", "web1 web2"}, // db1's ec2 is empty
		{"ec2:nokey", ""},
		// values that contain the delimiter
		{"ipv4:10.0.0.*", "web1 web2"},
		{"ipv4:192.168.1.10", "db2"}, // a string grain
		{"ipv6:2001:db8::11", "web1"},
		{"ipv6:::1", "web1"},
		{"url:http://mon:8080/", "mon-1.example.com"},
		{"url:http://*", "mon-1.example.com"},
		{"owner:Mixed Case", "mon-1.example.com"},
		// lists by index, and lists of dicts
		{"ipv4:0:10.0.0.11", "web1"},
		{"ipv4:-1:127.*", "web1"},
		{"roles:1:backup", "db1"},
		{"roles:5:*", ""},
		{"mounts:fs:zfs", "mon-1.example.com"},
		{"mounts:fs:ufs", "mon-1.example.com"}, // as Salt: each dict element is searched
		{"mounts:path", "mon-1.example.com"},
		{"mounts:1:path:/var", "mon-1.example.com"},
		{"mounts:0:path:/var", ""},
		// surrounding white space is ignored
		{"  os:Ubuntu  ", "web1 web2"},
	})
}

func TestGrainPCRE(t *testing.T) {
	runMatchCases(t, "grain_pcre", []matchCase{
		{"os:(Ubuntu|CentOS)", "web1 web2 db1"},
		{"os:Ub", "web1 web2"}, // anchored at the start only
		{"os:.*BSD$", "mon-1.example.com"},
		{"os:ubuntu", "web1 web2"},
		{"os:(?i)ubuntu", "web1 web2"},
		{"roles:^(db|web)$", "web1 web2 db1 db2"},
		{`num_cpus:\d{2}`, "db1"},
		{"ssd:true", "web1 db1"},
		{"ssd:(?:T|t)rue$", "web1 db1"},
		{"ec2:region:us-(east|west)-[12]", "web1 web2"},
		{"ec2:tags:te", "web1"}, // dict keys
		{`ipv6:2001:db8::\d+`, "web1"},
		{`ipv4:(?:10\.0\.0|172\.16)\.`, "web1 web2 mon-1.example.com"},
	})
}

func TestGrainErrors(t *testing.T) {
	runErrorCases(t, "grain", []errorCase{
		{"os", `grain target must have the form key:value (missing ":")`, -1},
		{":Ubuntu", `missing grain name before ":"`, 0},
		{"os:[Ubuntu", "unterminated character class", 3},
		{"  os:[a-", "unterminated character class", 5},
		{"", "empty target", -1},
	})
	runErrorCases(t, "grain_pcre", []errorCase{
		{"os:(Ubuntu", "missing closing )", -1},
		{"os", "missing", -1},
	})
}

func TestScalarString(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{"s", "s"},
		{4.0, "4"},
		{-0.5, "-0.5"},
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{1e-7, "1e-7"},
		{float32(2.5), "2.5"},
		{math.Inf(1), "+Inf"},
		{3, "3"},
		{true, "True"},
		{false, "False"},
		{nil, "None"},
	}
	for _, c := range cases {
		if got := scalarString(c.v); got != c.want {
			t.Errorf("scalarString(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestGrainGoValues checks values that do not come from JSON (static grains
// from YAML hold ints).
func TestGrainGoValues(t *testing.T) {
	m, err := Compile("grain", "num_cpus:8")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(&Minion{ID: "a", Grains: map[string]any{"num_cpus": 8}}) {
		t.Error("int grain 8 does not match num_cpus:8")
	}
	if m.Match(&Minion{ID: "a", Grains: map[string]any{"num_cpus": 9}}) {
		t.Error("int grain 9 matches num_cpus:8")
	}
}
