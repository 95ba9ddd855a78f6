package conformance

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			d := Diff(got, want)
			switch {
			case d != "" && !skip[name]:
				t.Errorf("%s differs from Salt:\n%s", name, d)
			case d == "" && skip[name]:
				t.Errorf("%s now matches Salt: remove it from testdata/known-differences.txt", name)
			case d != "":
				t.Logf("%s (known difference):\n%s", name, d)
			}
		})
	}
}
