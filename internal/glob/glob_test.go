package glob

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		pattern, msg string
		pos          int
	}{
		{"[web", "unterminated character class", 0},
		{"web[12", "unterminated character class", 3},
		{"[]", "unterminated character class", 0},
		{"[z-a]*", `character range "z-a" is out of order`, 1},
		{`web\`, "trailing backslash", 3},
		{`[a\`, "trailing backslash", 2},
	} {
		_, err := Compile(c.pattern)
		var ge *Error
		if !errors.As(err, &ge) {
			t.Errorf("Compile(%q) = %v, want an *Error", c.pattern, err)
			continue
		}
		if !strings.Contains(ge.Msg, c.msg) || ge.Pos != c.pos || ge.Pattern != c.pattern {
			t.Errorf("Compile(%q) = %+v, want %q at %d", c.pattern, ge, c.msg, c.pos)
		}
		if !strings.Contains(err.Error(), "invalid glob") || !strings.Contains(err.Error(), c.pattern) {
			t.Errorf("Compile(%q) error %q does not name the pattern", c.pattern, err)
		}
	}
	if ok, err := Match("[web", "web"); ok || err == nil {
		t.Errorf("Match on a bad pattern = %v, %v", ok, err)
	}
}

func TestFastPaths(t *testing.T) {
	for _, c := range []struct {
		pattern string
		k       kind
		yes, no string
	}{
		{"web1", exact, "web1", "web10"},
		{"web*", prefix, "web-1", "db-1"},
		{"*.com", suffix, "a.com", "a.org"},
		{"*web*", contains, "a-web-b", "a-db-b"},
		{"w?b*", general, "web1", "wb1"},
		{`web\*`, general, "web*", "web1"},
	} {
		g := MustCompile(c.pattern)
		if g.kind != c.k || !g.Match(c.yes) || g.Match(c.no) || g.String() != c.pattern {
			t.Errorf("%q: kind %d, match(%q)=%v, match(%q)=%v", c.pattern, g.kind, c.yes, g.Match(c.yes), c.no, g.Match(c.no))
		}
	}
	if g := MustCompile("**"); g.kind != all || !g.Match("") || !g.Match("a/b.c") {
		t.Error("only stars match everything")
	}
	if !MustCompile("").Match("") || MustCompile("").Match("a") {
		t.Error("the empty pattern matches only the empty string")
	}
}

func TestIsGlob(t *testing.T) {
	for s, want := range map[string]bool{"web1": false, "web*": true, "a?": true, "[ab]": true, `a\b`: false} {
		if IsGlob(s) != want {
			t.Errorf("IsGlob(%q) != %v", s, want)
		}
	}
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
		g, err := Compile(c.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.pattern, err)
		}
		if got := g.Match(c.s); got != c.want {
			t.Errorf("glob %q match %q = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if got := match(c.pattern, c.s); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
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
		g, err := Compile(pattern)
		if err != nil {
			return
		}
		re, rerr := regexp.Compile(globRegexp(pattern))
		if rerr != nil {
			t.Fatalf("reference for %q: %v", pattern, rerr)
		}
		if got, want := g.Match(s), re.MatchString(s); got != want {
			t.Fatalf("glob %q match %q = %v, reference %s says %v", pattern, s, got, re, want)
		}
	})
}
