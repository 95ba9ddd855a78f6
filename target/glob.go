package target

import (
	"strings"
	"unicode/utf8"
)

func init() {
	register("glob", compileGlobTarget)
}

// globMatcher matches the minion id against a shell glob, like Salt's
// default (fnmatch) targeting.
type globMatcher struct{ g *glob }

func (m globMatcher) Match(mi *Minion) bool { return mi != nil && m.g.match(mi.ID) }

func compileGlobTarget(expr string) (Matcher, *Error) {
	pattern, off := trimSpace(expr)
	g, err := compileGlob(pattern)
	if err != nil {
		return nil, err.shift(off)
	}
	return globMatcher{g}, nil
}

// globMeta are the bytes that make a pattern a glob rather than a literal.
const globMeta = `*?[\`

// glob is a compiled shell pattern. The syntax is that of path.Match except
// that '/' is an ordinary character:
//
//   - any sequence of characters, including the empty one
//     ?       any single character
//     [...]   a character class: single characters and ranges lo-hi, negated
//     by a leading '!' or '^'; a ']' first in the class and a '-' first
//     or last are literal, as in fnmatch
//     \c      the character c
type glob struct {
	pattern string
	kind    globKind
	lit     string // the literal part for the fast kinds
}

type globKind uint8

const (
	globGeneral  globKind = iota
	globExact             // no metacharacters: lit
	globAll               // only stars
	globPrefix            // lit*
	globSuffix            // *lit
	globContains          // *lit*
)

// compileGlob validates pattern and picks a fast path for the common shapes.
// Error positions are byte offsets into pattern.
func compileGlob(pattern string) (*glob, *Error) {
	for i := 0; i < len(pattern); {
		switch pattern[i] {
		case '\\':
			if i+1 >= len(pattern) {
				return nil, errorf(i, "invalid glob: trailing backslash")
			}
			_, w := utf8.DecodeRuneInString(pattern[i+1:])
			i += 1 + w
		case '[':
			_, end, err := matchClass(pattern, i, -1)
			if err != nil {
				return nil, err
			}
			i = end
		default:
			i++
		}
	}

	g := &glob{pattern: pattern}
	trimmed := strings.Trim(pattern, "*")
	switch {
	case !strings.ContainsAny(pattern, globMeta):
		g.kind, g.lit = globExact, pattern
	case trimmed == "":
		g.kind = globAll
	case strings.ContainsAny(trimmed, globMeta):
		g.kind = globGeneral
	case pattern == trimmed+"*":
		g.kind, g.lit = globPrefix, trimmed
	case pattern == "*"+trimmed:
		g.kind, g.lit = globSuffix, trimmed
	case pattern == "*"+trimmed+"*":
		g.kind, g.lit = globContains, trimmed
	}
	return g, nil
}

// match reports whether s matches the whole pattern.
func (g *glob) match(s string) bool {
	switch g.kind {
	case globExact:
		return s == g.lit
	case globAll:
		return true
	case globPrefix:
		return strings.HasPrefix(s, g.lit)
	case globSuffix:
		return strings.HasSuffix(s, g.lit)
	case globContains:
		return strings.Contains(s, g.lit)
	}
	return globMatch(g.pattern, s)
}

// globMatch matches s against a validated pattern. It splits the pattern at
// stars into fixed-width chunks and places each chunk at its leftmost
// possible position, which is optimal because every chunk but the first is
// preceded by a star; only the last chunk has to be tried at every position.
// The cost is O(len(pattern)*len(s)).
func globMatch(pattern, s string) bool {
Pattern:
	for len(pattern) > 0 {
		star, chunk, rest := scanChunk(pattern)
		pattern = rest
		if star && chunk == "" {
			return true // a trailing star matches whatever is left
		}
		t, ok := matchChunk(chunk, s)
		if ok && (len(t) == 0 || len(pattern) > 0) {
			s = t
			continue
		}
		if star {
			for i := 0; i < len(s); {
				_, w := utf8.DecodeRuneInString(s[i:])
				i += w
				t, ok := matchChunk(chunk, s[i:])
				if ok {
					if len(pattern) == 0 && len(t) > 0 {
						continue // the last chunk must reach the end
					}
					s = t
					continue Pattern
				}
			}
		}
		return false
	}
	return len(s) == 0
}

// scanChunk splits off the leading stars and the following star-free chunk.
func scanChunk(pattern string) (star bool, chunk, rest string) {
	for len(pattern) > 0 && pattern[0] == '*' {
		pattern = pattern[1:]
		star = true
	}
	i := 0
	for i < len(pattern) && pattern[i] != '*' {
		switch pattern[i] {
		case '\\':
			i += 2
		case '[':
			_, i, _ = matchClass(pattern, i, -1)
		default:
			i++
		}
	}
	if i > len(pattern) {
		i = len(pattern)
	}
	return star, pattern[:i], pattern[i:]
}

// matchChunk matches a star-free chunk against a prefix of s and returns the
// rest of s.
func matchChunk(chunk, s string) (rest string, ok bool) {
	for len(chunk) > 0 {
		switch chunk[0] {
		case '[':
			if len(s) == 0 {
				return "", false
			}
			r, w := utf8.DecodeRuneInString(s)
			in, end, _ := matchClass(chunk, 0, r)
			if !in {
				return "", false
			}
			s, chunk = s[w:], chunk[end:]
		case '?':
			if len(s) == 0 {
				return "", false
			}
			_, w := utf8.DecodeRuneInString(s)
			s, chunk = s[w:], chunk[1:]
		case '\\':
			chunk = chunk[1:] // validated: a character follows
			fallthrough
		default:
			if len(s) == 0 || s[0] != chunk[0] {
				return "", false
			}
			s, chunk = s[1:], chunk[1:]
		}
	}
	return s, true
}

// matchClass parses the character class that starts at pattern[i] == '[',
// reports whether r is in it and returns the offset just past the closing
// ']'. Pass r = -1 only to validate or skip the class.
func matchClass(pattern string, i int, r rune) (in bool, end int, err *Error) {
	start := i
	i++ // '['
	negate := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		negate = true
		i++
	}
	first := true
	for {
		if i >= len(pattern) {
			return false, len(pattern), errorf(start, "invalid glob: unterminated character class")
		}
		if pattern[i] == ']' && !first {
			i++
			break
		}
		first = false
		loStart := i
		lo, n, err := classChar(pattern, i)
		if err != nil {
			return false, len(pattern), err
		}
		i += n
		hi := lo
		if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
			hi, n, err = classChar(pattern, i+1)
			if err != nil {
				return false, len(pattern), err
			}
			if hi < lo {
				return false, len(pattern), errorf(loStart, "invalid glob: character range %q is out of order", pattern[loStart:i+1+n])
			}
			i += 1 + n
		}
		if lo <= r && r <= hi {
			in = true
		}
	}
	return in != negate, i, nil
}

// classChar decodes one possibly escaped character of a class.
func classChar(pattern string, i int) (r rune, n int, err *Error) {
	if pattern[i] == '\\' {
		if i+1 >= len(pattern) {
			return 0, 0, errorf(i, "invalid glob: trailing backslash")
		}
		r, w := utf8.DecodeRuneInString(pattern[i+1:])
		return r, 1 + w, nil
	}
	r, w := utf8.DecodeRuneInString(pattern[i:])
	return r, w, nil
}
