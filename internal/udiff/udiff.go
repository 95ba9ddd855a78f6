// Package udiff computes unified diffs in the shape Salt shows (Python's
// difflib.unified_diff with empty file names, three lines of context),
// for the state modules' changes and the execution modules' returns.
package udiff

import (
	"strconv"
	"strings"
)

// Unified diffs for the "diff" change key, in the shape Salt shows
// (Python's difflib.unified_diff with empty file names, three lines of
// context). Lines without a final newline are marked as diff(1) does.

// diffContext is the number of unchanged lines around each change.
const diffContext = 3

// maxDiffEdits bounds the Myers search (memory grows with its square);
// beyond it the differing middle is shown as removed then added, which
// is still a correct diff.
const maxDiffEdits = 1000

type diffKind uint8

const (
	diffEqual diffKind = iota
	diffDelete
	diffInsert
)

type diffOp struct {
	kind diffKind
	a, b int // line index in a (delete, equal) and in b (insert, equal)
}

// splitLines splits text after each newline, keeping the newlines.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Unified is the unified diff from old to new, or "" when they are
// equal.
func Unified(oldText, newText string) string {
	if oldText == newText {
		return ""
	}
	a, b := splitLines(oldText), splitLines(newText)
	ops := diffLines(a, b)
	var sb strings.Builder
	sb.WriteString("--- \n+++ \n")
	for _, h := range diffHunks(ops, diffContext) {
		hunk := ops[h[0]:h[1]]
		aStart, bStart, aLen, bLen := -1, -1, 0, 0
		for _, op := range hunk {
			switch op.kind {
			case diffEqual:
				aLen++
				bLen++
			case diffDelete:
				aLen++
			case diffInsert:
				bLen++
			}
		}
		aStart, bStart = hunkStarts(ops, h[0])
		sb.WriteString("@@ -" + diffRange(aStart, aLen) + " +" + diffRange(bStart, bLen) + " @@\n")
		for _, op := range hunk {
			var line string
			switch op.kind {
			case diffEqual:
				sb.WriteByte(' ')
				line = a[op.a]
			case diffDelete:
				sb.WriteByte('-')
				line = a[op.a]
			case diffInsert:
				sb.WriteByte('+')
				line = b[op.b]
			}
			sb.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
	}
	return sb.String()
}

// hunkStarts is the position in a and in b where the op at index i
// starts.
func hunkStarts(ops []diffOp, i int) (int, int) {
	aPos, bPos := 0, 0
	for _, op := range ops[:i] {
		switch op.kind {
		case diffEqual:
			aPos, bPos = op.a+1, op.b+1
		case diffDelete:
			aPos = op.a + 1
		case diffInsert:
			bPos = op.b + 1
		}
	}
	return aPos, bPos
}

// diffRange formats a hunk range as difflib does.
func diffRange(start, length int) string {
	begin := start + 1
	if length == 1 {
		return strconv.Itoa(begin)
	}
	if length == 0 {
		begin--
	}
	return strconv.Itoa(begin) + "," + strconv.Itoa(length)
}

// diffHunks groups ops into [start, end) ranges around changes, with ctx
// unchanged lines of context; changes closer than 2*ctx share a hunk.
func diffHunks(ops []diffOp, ctx int) [][2]int {
	var hunks [][2]int
	for i := 0; i < len(ops); {
		if ops[i].kind == diffEqual {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i
		for {
			for end < len(ops) && ops[end].kind != diffEqual {
				end++
			}
			j := end
			for j < len(ops) && ops[j].kind == diffEqual {
				j++
			}
			if j < len(ops) && j-end <= 2*ctx {
				end = j
				continue
			}
			end = min(end+ctx, j)
			break
		}
		hunks = append(hunks, [2]int{start, end})
		i = end
	}
	return hunks
}

// diffLines is an edit script from a to b: common prefix and suffix, and
// Myers' shortest edit script in between.
func diffLines(a, b []string) []diffOp {
	ids := map[string]int{}
	intern := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := intern(a), intern(b)
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{diffEqual, i, i})
	}
	mid, ok := myers(x[pre:len(x)-suf], y[pre:len(y)-suf], maxDiffEdits)
	if !ok {
		mid = nil
		for i := pre; i < len(x)-suf; i++ {
			mid = append(mid, diffOp{diffDelete, i - pre, 0})
		}
		for j := pre; j < len(y)-suf; j++ {
			mid = append(mid, diffOp{diffInsert, 0, j - pre})
		}
	}
	for _, op := range mid {
		op.a += pre
		op.b += pre
		ops = append(ops, op)
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, diffOp{diffEqual, len(x) - suf + i, len(y) - suf + i})
	}
	return ops
}

// myers is the shortest edit script from a to b, or false when it needs
// more than maxD edits.
func myers(a, b []int, maxD int) ([]diffOp, bool) {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil, true
	}
	total := n + m
	off := total + 1
	v := make([]int, 2*total+3)
	var trace [][]int // trace[d] holds v[-d-1 .. d+1] before step d
	for d := 0; d <= total; d++ {
		if d > maxD {
			return nil, false
		}
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return myersBacktrack(trace, n, m), true
			}
		}
	}
	return nil, false
}

func myersBacktrack(trace [][]int, n, m int) []diffOp {
	var rev []diffOp
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		snap := trace[d]
		at := func(k int) int { return snap[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, diffOp{diffEqual, x, y})
		}
		if d > 0 {
			if x == prevX {
				y--
				rev = append(rev, diffOp{diffInsert, x, y})
			} else {
				x--
				rev = append(rev, diffOp{diffDelete, x, y})
			}
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
