package target

import (
	"fmt"
	"testing"
)

// benchMinions builds n minions with a realistic spread of grains.
func benchMinions(n int) []*Minion {
	roles := [][]any{{"web"}, {"web", "nginx"}, {"db"}, {"db", "backup"}, {"cache"}}
	envs := []string{"prod", "test", "staging"}
	oses := []string{"Ubuntu", "Debian", "CentOS", "FreeBSD"}
	ms := make([]*Minion, n)
	for i := range ms {
		r := roles[i%len(roles)]
		ms[i] = &Minion{
			ID: fmt.Sprintf("%s-%05d", r[0], i),
			Grains: map[string]any{
				"roles":    r,
				"env":      envs[i%len(envs)],
				"os":       oses[i%len(oses)],
				"num_cpus": float64(int(1) << (i % 5)),
				"ssd":      i%2 == 0,
				"ipv4":     []any{fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "127.0.0.1"},
				"ec2":      map[string]any{"region": "us-east-1", "tags": map[string]any{"team": envs[i%2]}},
			},
			Pillar: map[string]any{"role": r[0]},
		}
	}
	return ms
}

func benchMatch(b *testing.B, kind, expr string) {
	minions := benchMinions(10000)
	m, err := Compile(kind, expr)
	if err != nil {
		b.Fatal(err)
	}
	matched := 0
	for b.Loop() {
		matched = 0
		for _, mi := range minions {
			if m.Match(mi) {
				matched++
			}
		}
	}
	if matched == 0 {
		b.Fatal("nothing matched")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(minions)), "ns/minion")
}

// BenchmarkCompound matches a compound target against 10,000 minions per
// iteration.
func BenchmarkCompound(b *testing.B) {
	benchMatch(b, "compound", `G@roles:web and not G@env:test or L@db-00002,db-00007 or E@cache-\d+7$ and S@10.0.0.0/16`)
}

func BenchmarkCompoundNested(b *testing.B) {
	benchMatch(b, "compound", "G@ec2:tags:team:prod and (G@os:Ubuntu or G@os:Debian) and not G@ssd:False")
}

func BenchmarkExpr(b *testing.B) {
	benchMatch(b, "expr", `"web" in grains.roles && grains.env == "prod"`)
}

func BenchmarkGlob(b *testing.B) {
	benchMatch(b, "glob", "web-*[16]")
}

func BenchmarkCompileCompound(b *testing.B) {
	for b.Loop() {
		if _, err := Compile("compound", `G@roles:web and not G@env:test or L@db-00002,db-00007 or E@cache-\d+7$ and S@10.0.0.0/16`); err != nil {
			b.Fatal(err)
		}
	}
}
