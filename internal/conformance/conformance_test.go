package conformance

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/pillar"
)

// known reads testdata/known-differences.txt: cases that do not match
// Salt yet, one name a line ("# comments").
func known(t *testing.T) map[string]bool {
	out := map[string]bool{}
	f, err := os.Open("testdata/known-differences.txt")
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out[strings.Fields(line)[0]] = true
		}
	}
	return out
}

// compare reports a case's difference, checked against the list of known
// differences.
func compare(t *testing.T, name string, got, want any, skip map[string]bool) {
	t.Helper()
	d := Diff(got, want)
	switch {
	case d != "" && !skip[name]:
		t.Errorf("%s differs from Salt:\n%s", name, d)
	case d == "" && skip[name]:
		t.Errorf("%s now matches Salt: remove it from testdata/known-differences.txt", name)
	case d != "":
		t.Logf("%s (known difference):\n%s", name, d)
	}
}

// TestSaltConformance shows each SLS of testdata/salt-conformance (the
// cases of ../shared/salt-conformance, one incompatibility each) with
// state.show_low_sls and compares with Salt's output in expected/.
func TestSaltConformance(t *testing.T) {
	g, err := LoadGrains("testdata/grains.json")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/salt-conformance/expected/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	skip := known(t)
	c := Case{Dir: "testdata/salt-conformance", Grains: g}
	for _, f := range files {
		sls := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(sls, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			exp, err := decodeExpected(b)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := c.Call(context.Background(), "state.show_low_sls", sls)
			if err != nil {
				got = "error: " + err.Error()
			}
			compare(t, "salt-conformance/"+sls, got, exp, skip)
		})
	}
}

// TestFormulas renders each formula under testdata/formulas with its
// pillar.example (state.show_lowstate) and compares with SaltStack
// 3006.1's output. A case listed in known-differences.txt must still
// differ (so the list cannot go stale); every other case must match.
func TestFormulas(t *testing.T) {
	g, err := LoadGrains("testdata/grains.json")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob("testdata/formulas/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no formulas: %v", err)
	}
	skip := known(t)
	for _, dir := range dirs {
		name := "formulas/" + filepath.Base(dir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := Case{Dir: dir, Grains: g}
			want, err := c.Expected()
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := c.Call(context.Background(), "state.show_lowstate")
			if err != nil {
				got = "error: " + err.Error()
			}
			compare(t, name, got, want, skip)
		})
	}
}

// pillarenv= renders with the pillar of that environment only, and opts
// say so; an unknown environment fails loudly.
func TestPillarenv(t *testing.T) {
	c := Case{Dir: "testdata/pillarenv", Grains: map[string]any{"id": "m1"}}
	roots := pillar.Roots{"base": {"testdata/pillarenv/pillar/base"}, "prod": {"testdata/pillarenv/pillar/prod"}}
	c.PillarRoots = roots
	ctx := context.Background()
	for _, tc := range []struct {
		kw       map[string]any
		role, pe string
	}{
		{nil, "prod", "None"},
		{map[string]any{"pillarenv": "base"}, "base", "base"},
		{map[string]any{"pillarenv": "prod"}, "prod", "prod"},
	} {
		got, ok, err := c.CallKw(ctx, "state.show_low_sls", tc.kw, "pe")
		if err != nil || !ok {
			t.Fatalf("%v: %v %v", tc.kw, got, err)
		}
		chunk := got.([]any)[0].(map[string]any)
		if chunk["role"] != tc.role || chunk["pillarenv"] != tc.pe {
			t.Errorf("%v: role %v pillarenv %v, want %s %s", tc.kw, chunk["role"], chunk["pillarenv"], tc.role, tc.pe)
		}
	}
	if _, _, err := c.CallKw(ctx, "state.show_low_sls", map[string]any{"pillarenv": "nosuch"}, "pe"); err == nil || !strings.Contains(err.Error(), "pillarenv 'nosuch'") {
		t.Fatalf("unknown pillarenv: %v", err)
	}
}

// BenchmarkShowLowstateNginx: state.show_lowstate of nginx-formula with its
// pillar.example (pillar compile, render of 14 SLS files, compile).
func BenchmarkShowLowstateNginx(b *testing.B) {
	g, err := LoadGrains("testdata/grains.json")
	if err != nil {
		b.Fatal(err)
	}
	c := Case{Dir: "testdata/formulas/nginx", Grains: g}
	for i := 0; i < b.N; i++ {
		if _, ok, err := c.Call(context.Background(), "state.show_lowstate"); err != nil || !ok {
			b.Fatal(err)
		}
	}
}

// TestShowSLS compares state.show_sls (Salt's high data, before extend
// and requisite_in) with Salt's output in expected-show_sls/.
func TestShowSLS(t *testing.T) {
	g, err := LoadGrains("testdata/grains.json")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/salt-conformance/expected-show_sls/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	skip := known(t)
	c := Case{Dir: "testdata/salt-conformance", Grains: g}
	for _, f := range files {
		sls := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(sls, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			exp, err := decodeExpected(b)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := c.Call(context.Background(), "state.show_sls", sls)
			if err != nil {
				got = "error: " + err.Error()
			}
			compare(t, "show_sls/"+sls, got, exp, skip)
		})
	}
}
