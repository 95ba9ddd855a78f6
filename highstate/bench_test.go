package highstate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/brine-cm/brine/render"
)

// BenchmarkCompileRun500 compiles and runs 500 test.nop states, each
// requiring the one before.
func BenchmarkCompileRun500(b *testing.B) {
	var sb strings.Builder
	for i := range 500 {
		fmt.Fprintf(&sb, "s%d:\n  test.nop:\n    - order: %d\n", i, 500-i)
		if i > 0 {
			fmt.Fprintf(&sb, "    - require:\n      - s%d\n", i-1)
		}
	}
	high := map[string]*render.Map{"bench": yamlMap(b, sb.String())}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := CompileHigh(Options{}, high, nil)
		if err != nil {
			b.Fatal(err)
		}
		res := p.Run(ctx, Options{})
		if len(res) != 500 {
			b.Fatalf("%d results", len(res))
		}
	}
}

// BenchmarkCompileSLSRequisites: 500 states each requiring a whole
// 500-state sls.
func BenchmarkCompileSLSRequisites(b *testing.B) {
	var base, top strings.Builder
	top.WriteString("include: [base]\n")
	for i := range 500 {
		fmt.Fprintf(&base, "b%d: test.nop\n", i)
		fmt.Fprintf(&top, "t%d:\n  test.nop:\n    - require:\n      - sls: base\n", i)
	}
	high := map[string]*render.Map{"base": yamlMap(b, base.String()), "top": yamlMap(b, top.String())}
	for b.Loop() {
		if _, err := CompileHigh(Options{}, high, []string{"top"}); err != nil {
			b.Fatal(err)
		}
	}
}
