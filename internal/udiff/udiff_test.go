package udiff

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Expected outputs are Python's difflib.unified_diff(a, b, "", "").
func TestUnifiedDiffMatchesDifflib(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"a\nb\nc\n", "a\nB\nc\n", "--- \n+++ \n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"", "x\ny\n", "--- \n+++ \n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\nX\n4\n5\n6\n7\n8\n9\n10\nY\n12\n",
			"--- \n+++ \n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+X\n 4\n 5\n 6\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\nX\n5\n6\n7\nY\n",
			"--- \n+++ \n@@ -1,8 +1,8 @@\n 1\n 2\n 3\n-4\n+X\n 5\n 6\n 7\n-8\n+Y\n"},
		{"a\nb\n", "", "--- \n+++ \n@@ -1,2 +0,0 @@\n-a\n-b\n"},
		{"same\n", "same\n", ""},
	}
	for _, c := range cases {
		if got := Unified(c.a, c.b); got != c.want {
			t.Errorf("Unified(%q, %q) =\n%q\nwant\n%q", c.a, c.b, got, c.want)
		}
	}
}

func TestUnifiedDiffNoFinalNewline(t *testing.T) {
	got := Unified("a\nb", "a\nc")
	want := "--- \n+++ \n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// applyDiff rebuilds new from old and the ops, checking the edit script.
func TestDiffLinesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a'+r.IntN(4))) + "\n"
		}
		return out
	}
	for i := 0; i < 300; i++ {
		a, b := gen(r.IntN(30)), gen(r.IntN(30))
		ops := diffLines(a, b)
		var gotA, gotB []string
		for _, op := range ops {
			switch op.kind {
			case diffEqual:
				if a[op.a] != b[op.b] {
					t.Fatalf("equal op joins different lines")
				}
				gotA, gotB = append(gotA, a[op.a]), append(gotB, b[op.b])
			case diffDelete:
				gotA = append(gotA, a[op.a])
			case diffInsert:
				gotB = append(gotB, b[op.b])
			}
		}
		if strings.Join(gotA, "") != strings.Join(a, "") || strings.Join(gotB, "") != strings.Join(b, "") {
			t.Fatalf("ops do not rebuild the inputs:\na=%q\nb=%q\nops=%v", a, b, ops)
		}
	}
}

func TestDiffFallsBackBeyondEditLimit(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 3000; i++ {
		a.WriteString("x" + string(rune('a'+i%26)) + "\n")
		b.WriteString("y" + string(rune('a'+i%26)) + "\n")
	}
	d := Unified(a.String(), b.String())
	if !strings.HasPrefix(d, "--- \n+++ \n@@ -1,3000 +1,3000 @@\n-xa\n") {
		t.Fatalf("unexpected diff start: %q", d[:60])
	}
}
