package target

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGlob(t *testing.T) {
	runMatchCases(t, "glob", []matchCase{
		{"*", "web1 web2 db1 db2 mon-1.example.com bare"},
		{"web*", "web1 web2"},
		{"  web*  ", "web1 web2"},
		{"web1", "web1"},
		{"web?", "web1 web2"},
		{"*1", "web1 db1"},
		{"*b*", "web1 web2 db1 db2 bare"},
		{"[dw]*[2]", "web2 db2"},
		{"[!w]*", "db1 db2 mon-1.example.com bare"},
		{"[^w]*", "db1 db2 mon-1.example.com bare"},
		{"*.example.com", "mon-1.example.com"},
		{"mon-[0-9].*", "mon-1.example.com"},
		{"d?[1-1]", "db1"},
		{"nothing*", ""},
		{"WEB*", ""}, // case-sensitive, like fnmatch on POSIX
	})
}

func TestGlobErrors(t *testing.T) {
	runErrorCases(t, "glob", []errorCase{
		{"web[12", "unterminated character class", 3},
		{"[]", "unterminated character class", 0},
		{"[z-a]*", `character range "z-a" is out of order`, 1},
		{`web\`, "trailing backslash", 3},
		{"  [a", "unterminated character class", 2},
		{"", "empty target", -1},
		{" \t", "empty target", -1},
	})
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**", "a/b", true},
		{"a*", "a/b/c", true}, // '/' is not special
		{"*/c", "a/b/c", true},
		{"a?c", "a/c", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"*a*a*a*a*a*b", strings.Repeat("a", 100), false},
		{"[]a]", "]", true},
		{"[]a]", "a", true},
		{"[!]a]", "b", true},
		{"[!]a]", "]", false},
		{"[a-]", "-", true},
		{"[-a]", "-", true},
		{`[\]]`, "]", true},
		{`\*`, "*", true},
		{`\*`, "a", false},
		{`a\?`, "a?", true},
		{"?", "é", true},
		{"??", "é", false},
		{"[à-ï]", "é", true},
		{"*é", "café", true},
		{"*.com", "x.co", false},
	}
	for _, c := range cases {
		g, err := compileGlob(c.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", c.pattern, err)
		}
		if got := g.match(c.s); got != c.want {
			t.Errorf("glob %q match %q = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// globRegexp translates a valid glob to an equivalent regular expression, as
// Python's fnmatch.translate does; the reference for FuzzGlob.
func globRegexp(pattern string) string {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
			i++
		case '?':
			b.WriteString(".")
			i++
		case '\\':
			r, w := utf8.DecodeRuneInString(pattern[i+1:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += 1 + w
		case '[':
			_, end, _ := matchClass(pattern, i, -1)
			j := i + 1
			b.WriteByte('[')
			if pattern[j] == '!' || pattern[j] == '^' {
				b.WriteByte('^')
				j++
			}
			first := true
			for j < end-1 {
				if pattern[j] == ']' && !first {
					break
				}
				first = false
				lo, n, _ := classChar(pattern, j)
				j += n
				b.WriteString(classLit(lo))
				if j+1 < end && pattern[j] == '-' && pattern[j+1] != ']' {
					hi, n, _ := classChar(pattern, j+1)
					j += 1 + n
					b.WriteByte('-')
					b.WriteString(classLit(hi))
				}
			}
			b.WriteByte(']')
			i = end
		default:
			r, w := utf8.DecodeRuneInString(pattern[i:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += w
		}
	}
	b.WriteString(`\z`)
	return b.String()
}

// classLit writes r for use inside a regular expression character class.
func classLit(r rune) string {
	if r == '-' {
		return `\-`
	}
	return regexp.QuoteMeta(string(r))
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"web*", "web1"}, {"*a*b", "xaxb"}, {"[!a-c]?", "dx"}, {"[]x]*", "]]"},
		{`\[*`, "[a"}, {"*.example.com", "mon-1.example.com"}, {"[é-ü]", "ñ"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		re, rerr := regexp.Compile(globRegexp(pattern))
		if rerr != nil {
			t.Fatalf("reference for %q: %v", pattern, rerr)
		}
		if got, want := g.match(s), re.MatchString(s); got != want {
			t.Fatalf("glob %q match %q = %v, reference %s says %v", pattern, s, got, re, want)
		}
	})
}
