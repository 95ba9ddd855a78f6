package render

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// bigYAML repeats block (with %d for a counter) until the text passes
// size, with head before and tail after.
func bigYAML(head, block, tail string, size int) []byte {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, block, i, i)
	}
	b.WriteString(tail)
	return []byte(b.String())
}

// Chunked parsing of a big SLS gives what parsing it whole gives, result
// or error, whatever the text holds.
func TestYAMLChunkedSameAsWhole(t *testing.T) {
	const size = 40 << 10 // in chunks of 2 KiB
	block := "id_%d:\n  pkg.installed:\n    - name: p%d\n"
	cases := map[string][]byte{
		"plain":              bigYAML("# head\n\n", block, "", size),
		"comments and seqs":  bigYAML("", "# c\nid_%d:\n- a\n- %d\n\n", "", size),
		"dash key":           bigYAML("", "-id_%d: %d\n", "", size),
		"anchor across":      bigYAML("base: &b {x: 1}\n", "id_%d:\n  <<: *b\n  n: %d\n", "", size),
		"alias at end":       bigYAML("base: &b [1, 2]\n", block, "last: *b\n", size),
		"duplicate id":       bigYAML("id_3: first\n", block, "", size),
		"duplicate late":     bigYAML("", block, "id_1: again\n", size),
		"flow at column 0":   bigYAML("", block, "flow: [1,\n2]\nafter: 1\n", size),
		"quoted at column 0": bigYAML("", block, "q: 'a\nb: c'\n", size),
		"syntax error late":  bigYAML("", block, "bad: [\n", size),
		"constructor error":  bigYAML("x: !!python/object:os.system ls\n", block, "", size),
		"tab indented":       bigYAML("", "id_%d:\n\t- %d\n", "", size),
		"document marker":    bigYAML("", block, "---\nz: 1\n", size),
		"top-level sequence": bigYAML("", "- %d %d\n", "", size),
		"merge dup":          bigYAML("b: &b {n: 0}\n", "id_%d:\n  <<: *b\n  n: %d\n  n: 2\n", "", size),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			got, gerr := parseWholeSLS(text, "big.sls", nil)
			if m, ok := parseChunked(text, "big.sls", nil, 2<<10); ok {
				got, gerr = m, nil
			}
			want, werr := parseWholeSLS(text, "big.sls", nil)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("chunked error %v, whole %v", gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("chunked and whole results differ")
			}
		})
	}
	// these are actually parsed in chunks, and SLS files above 4 chunks
	// are
	for _, name := range []string{"plain", "comments and seqs", "dash key"} {
		if _, ok := parseChunked(cases[name], "big.sls", nil, 2<<10); !ok {
			t.Errorf("%s: not parsed in chunks", name)
		}
	}
	big := bigYAML("", block, "", 5*yamlChunk)
	got, err := parseSLSYAML(big, "big.sls", nil)
	want, _ := parseWholeSLS(big, "big.sls", nil)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("big SLS: %v", err)
	}
}
