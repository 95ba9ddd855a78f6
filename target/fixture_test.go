package target

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// fixtureJSON is decoded with encoding/json so that grain values have the
// types the package documents (float64 numbers, []any lists, ...).
const fixtureJSON = `[
 {"ID": "web1",
  "Grains": {"roles": ["web", "nginx"], "env": "prod", "os": "Ubuntu", "os_family": "Debian",
             "num_cpus": 4, "mem_gb": 7.5, "ssd": true, "virtual": "kvm",
             "ipv4": ["10.0.0.11", "127.0.0.1"], "ipv6": ["::1", "2001:db8::11"],
             "ec2": {"region": "us-east-1", "tags": {"Name": "web1", "team": "blue"}}},
  "Pillar": {"app": {"branch": "main", "replicas": 3}, "role": "frontend"}},
 {"ID": "web2",
  "Grains": {"roles": ["web"], "env": "test", "os": "Ubuntu", "os_family": "Debian",
             "num_cpus": 2, "ssd": false, "ipv4": ["10.0.0.12"],
             "ec2": {"region": "us-west-2", "tags": {"Name": "web2"}}},
  "Pillar": null},
 {"ID": "db1",
  "Grains": {"roles": ["db", "backup"], "env": "prod", "os": "CentOS", "os_family": "RedHat",
             "num_cpus": 16, "ssd": true, "ipv4": ["10.0.1.5"], "ec2": {}},
  "Pillar": {"app": {"branch": "release-1.2"}, "role": "database"}},
 {"ID": "db2",
  "Grains": {"roles": ["db"], "env": "staging", "os": "Debian", "os_family": "Debian",
             "num_cpus": 8, "ssd": false, "ipv4": "192.168.1.10", "cpu_flags": null},
  "Pillar": {"role": "database", "mysql": {"enabled": true}}},
 {"ID": "mon-1.example.com",
  "Grains": {"roles": [], "os": "FreeBSD", "num_cpus": 1, "ipv4": ["172.16.0.1", "not-an-ip"],
             "mounts": [{"path": "/", "fs": "zfs"}, {"path": "/var", "fs": "ufs"}],
             "url": "http://mon:8080/", "owner": "Mixed Case"},
  "Pillar": {}},
 {"ID": "bare"}
]`

func fixture(t testing.TB) []*Minion {
	t.Helper()
	var ms []*Minion
	if err := json.Unmarshal([]byte(fixtureJSON), &ms); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return ms
}

// matchIDs compiles kind/expr and returns the sorted ids of the fixture
// minions it matches.
func matchIDs(t *testing.T, minions []*Minion, kind, expr string) []string {
	t.Helper()
	m, err := Compile(kind, expr)
	if err != nil {
		t.Fatalf("Compile(%q, %q): %v", kind, expr, err)
	}
	ids := []string{}
	for _, mi := range minions {
		if m.Match(mi) {
			ids = append(ids, mi.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

type matchCase struct {
	expr string
	want string // space-separated ids, any order; "" for none
}

// runMatchCases checks each case's expression of kind against the fixture.
func runMatchCases(t *testing.T, kind string, cases []matchCase) {
	t.Helper()
	minions := fixture(t)
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			want := strings.Fields(c.want)
			slices.Sort(want)
			if want == nil {
				want = []string{}
			}
			got := matchIDs(t, minions, kind, c.expr)
			if !slices.Equal(got, want) {
				t.Errorf("Compile(%q, %q) matched %q, want %q", kind, c.expr, got, want)
			}
		})
	}
}

type errorCase struct {
	expr    string
	wantMsg string // substring of Error()
	wantPos int
}

func runErrorCases(t *testing.T, kind string, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			m, err := Compile(kind, c.expr)
			if err == nil {
				t.Fatalf("Compile(%q, %q) = %T, want an error", kind, c.expr, m)
			}
			if m != nil {
				t.Errorf("Compile(%q, %q) returned a Matcher with its error", kind, c.expr)
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Compile(%q, %q) error %T is not *Error", kind, c.expr, err)
			}
			if te.Expr != c.expr {
				t.Errorf("Error.Expr = %q, want %q", te.Expr, c.expr)
			}
			if !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("Compile(%q, %q) error %q does not contain %q", kind, c.expr, err, c.wantMsg)
			}
			if te.Pos != c.wantPos {
				t.Errorf("Compile(%q, %q) error position %d, want %d (%v)", kind, c.expr, te.Pos, c.wantPos, err)
			}
		})
	}
}
