package glob

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// fnmatchCases were checked against CPython 3.11's fnmatch.fnmatchcase.
var fnmatchCases = []struct {
	pattern, s string
	want       bool
}{
	{"web*", "web1", true},
	{"*", "a/b", true},
	{"a*c", "a/b/c", true},
	{"[web", "[web", true},
	{"[web", "w", false},
	{"[!]a]", "b", true},
	{"[!]a]", "]", false},
	{"[]a]", "]", true},
	{"[^a]", "^", true},
	{"[^a]", "b", false},
	{"[!a]", "b", true},
	{"[z-a]", "m", false},
	{"[az-ab]", "b", true},
	{"[az-ab]", "m", false},
	{"[a-]", "-", true},
	{"[-a]", "-", true},
	{"[!-a]", "b", true},
	{"[!-a]", "-", false},
	{"[--a]", "0", true},
	{"a\\*", "a\\b", true},
	{"a\\*", "a*", false},
	{"[\\]]", "\\]", true},
	{"[\\]", "\\", true},
	{"[!]", "!", false},
	{"[!]", "x", false},
	{"[!]]", "a", true},
	{"[]]", "]", true},
	{"[]", "[]", true},
	{"a?c", "abc", true},
	{"a?c", "a/c", true},
	{"*.sls", "x.sls", true},
	{"salt/job/*/ret/*", "salt/job/1/ret/web-1", true},
	{"[a-c-e]", "-", true},
	{"[a-c-e]", "d", false},
	{"[a-c-e]", "e", true},
	{"é*", "éa", true},
	{"[à-ï]", "é", true},
	{"**", "x", true},
	{"*[", "a[", true},
	{"[!a-z]*", "Web", true},
	{"web[0-9]", "web5", true},
	{"web[0-9", "web[0-9", true},
	{"x[*]y", "x*y", true},
	{"x[?]", "x?", true},
	{"[[]", "[", true},
	{"[a[]", "[", true},
	{"a[]]b", "a]b", true},
	{"[!!]", "!", false},
	{"[!!]", "a", true},
	{"[\\-a]", "b", false},
	{"[\\-a]", "-", false},
	{"[\\-a]", "\\", true},
}

func TestFnmatchLikePython(t *testing.T) {
	for _, c := range fnmatchCases {
		if got := FnmatchCase(c.s, c.pattern); got != c.want {
			t.Errorf("FnmatchCase(%q, %q) = %v, Python says %v (translated %q)", c.s, c.pattern, got, c.want, translate(c.pattern))
		}
	}
}

func TestCompileFnmatch(t *testing.T) {
	for _, c := range []struct {
		pattern string
		pos     int
	}{{"[web", 0}, {"ab[!]", 2}, {"é[]", 2}, {"[a]x[", 4}, {"*[[]-[", 5}} {
		_, err := CompileFnmatch(c.pattern)
		ge, ok := err.(*Error)
		if !ok || ge.Pos != c.pos || !strings.Contains(ge.Msg, "unterminated") {
			t.Errorf("CompileFnmatch(%q) = %v, want unterminated class at %d", c.pattern, err, c.pos)
		}
	}
	// The cases where Python reads a '[' as a literal for want of a ']'.
	unterminated := map[string]bool{"[web": true, "[!]": true, "[]": true, "*[": true, "web[0-9": true}
	for _, c := range fnmatchCases {
		g, err := CompileFnmatch(c.pattern)
		if (err != nil) != unterminated[c.pattern] {
			t.Errorf("CompileFnmatch(%q): %v", c.pattern, err)
		}
		if err != nil {
			continue
		}
		if got := g.Match(c.s); got != c.want {
			t.Errorf("CompileFnmatch(%q).Match(%q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// pyTranslate is a direct port of CPython's fnmatch.translate to a Go
// regular expression: the reference for FuzzFnmatch.
func pyTranslate(pat string) string {
	rs := []rune(pat)
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(rs); {
		c := rs[i]
		i++
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i
			if j < len(rs) && rs[j] == '!' {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				b.WriteString(`\[`)
				continue
			}
			in := rs[i:j]
			i = j + 1
			neg := len(in) > 0 && in[0] == '!'
			if neg {
				in = in[1:]
			}
			var items strings.Builder
			for p := 0; p < len(in); p++ {
				lo := in[p]
				if p+2 < len(in) && in[p+1] == '-' {
					hi := in[p+2]
					p += 2
					if lo <= hi {
						fmt.Fprintf(&items, `\x{%x}-\x{%x}`, lo, hi)
					}
					continue
				}
				fmt.Fprintf(&items, `\x{%x}`, lo)
			}
			switch {
			case items.Len() == 0 && neg:
				b.WriteString(`.`)
			case items.Len() == 0:
				b.WriteString(`[^\x00-\x{10ffff}]`)
			case neg:
				b.WriteString(`[^` + items.String() + `]`)
			default:
				b.WriteString(`[` + items.String() + `]`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	return b.String()
}

func FuzzFnmatch(f *testing.F) {
	for _, c := range fnmatchCases {
		f.Add(c.pattern, c.s)
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		re := regexp.MustCompile(pyTranslate(pattern))
		if got, want := FnmatchCase(s, pattern), re.MatchString(s); got != want {
			t.Fatalf("FnmatchCase(%q, %q) = %v, fnmatch.translate says %v (translated %q)", s, pattern, got, want, translate(pattern))
		}
	})
}
