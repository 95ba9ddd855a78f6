package api

import (
	"fmt"
	"regexp"
	"strings"
)

// globMeta are the bytes that make a pattern a glob rather than a literal.
const globMeta = `*?[\`

// compileGlob turns a shell pattern into an anchored regular expression
// with the semantics of Salt's fnmatch and of Brine's glob targets: '*'
// matches any run of characters including '/' and '.', '?' any one
// character, [...] a class (negated by a leading '!' or '^'), and \c the
// character c.
func compileGlob(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch c {
		case '*':
			for i < len(pattern) && pattern[i] == '*' {
				i++
			}
			b.WriteString(`.*`)
			continue
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 >= len(pattern) {
				return nil, fmt.Errorf("invalid glob %q: trailing backslash", pattern)
			}
			r, n := firstRune(pattern[i+1:])
			b.WriteString(regexp.QuoteMeta(r))
			i += 1 + n
			continue
		case '[':
			end, class, err := globClass(pattern, i)
			if err != nil {
				return nil, err
			}
			b.WriteString(class)
			i = end
			continue
		default:
			r, n := firstRune(pattern[i:])
			b.WriteString(regexp.QuoteMeta(r))
			i += n
			continue
		}
		i++
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

func firstRune(s string) (string, int) {
	for i := range s {
		if i > 0 {
			return s[:i], i
		}
	}
	return s, len(s)
}

// globClass translates the class that starts at pattern[start] ('[') and
// returns the index just past its closing ']'.
func globClass(pattern string, start int) (int, string, error) {
	i := start + 1
	var b strings.Builder
	b.WriteString("[")
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		b.WriteString("^")
		i++
	}
	first := true
	for {
		if i >= len(pattern) {
			return 0, "", fmt.Errorf("invalid glob %q: unclosed '['", pattern)
		}
		c := pattern[i]
		if c == ']' && !first {
			b.WriteString("]")
			return i + 1, b.String(), nil
		}
		first = false
		switch {
		case c == '\\':
			if i+1 >= len(pattern) {
				return 0, "", fmt.Errorf("invalid glob %q: trailing backslash", pattern)
			}
			r, n := firstRune(pattern[i+1:])
			b.WriteString(classQuote(r))
			i += 1 + n
		case c == '-' && i+1 < len(pattern) && pattern[i+1] != ']' && b.Len() > 1 && !strings.HasSuffix(b.String(), "[^"):
			b.WriteString("-")
			i++
		default:
			r, n := firstRune(pattern[i:])
			b.WriteString(classQuote(r))
			i += n
		}
	}
}

func classQuote(r string) string {
	switch r {
	case `\`, `]`, `[`, `^`, `-`:
		return `\` + r
	}
	return r
}

// matchGlob reports whether s matches pattern; a pattern that does not
// compile matches nothing.
func matchGlob(pattern, s string) bool {
	re, err := compileGlob(pattern)
	return err == nil && re.MatchString(s)
}
