// Package glob is Brine's one implementation of shell-style patterns, with
// the semantics of Python's fnmatch.fnmatchcase that Salt uses for minion
// ids, key names, event tags and state ids: '*' matches any run of
// characters ('/' and '.' included), '?' any one character, and [...] a
// class of characters; matching is case-sensitive and covers the whole
// string.
//
// Three front ends share one matcher:
//
//   - Compile reads a pattern an operator typed (a target, a key glob, a tag
//     glob in a config file) and refuses one that cannot mean what was
//     meant: an unterminated class, a trailing backslash, a reversed range.
//     A backslash escapes the next character; a class may be negated with
//     '!' or '^'.
//   - Fnmatch reads a pattern exactly as Python's fnmatch does, for what must
//     match as it does in Salt (SLS requisites, reactor tags): it never
//     fails; a '[' without a closing ']' is a literal '[', a backslash is an
//     ordinary character, only '!' negates a class and a reversed range is
//     empty.
//   - CompileFnmatch is Fnmatch for patterns someone types where Salt uses
//     fnmatch (key globs, event tag globs, autosign lines): the same
//     reading, but an unterminated class is an error, not a literal '['.
package glob

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Meta are the bytes that make a pattern for Compile a glob rather than a
// literal.
const Meta = `*?[\`

// IsGlob reports whether s has one of fnmatch's metacharacters, '*', '?' or
// '['.
func IsGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// Error is a pattern Compile refuses: Msg says why and Pos is the byte
// offset in Pattern where the problem starts.
type Error struct {
	Pattern string
	Msg     string
	Pos     int
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid glob %q: %s at offset %d", e.Pattern, e.Msg, e.Pos)
}

// Glob is a compiled pattern. It is immutable and safe for concurrent use.
type Glob struct {
	source  string // as given
	pattern string // in Compile's syntax
	kind    kind
	lit     string // the literal part for the fast kinds
}

type kind uint8

const (
	general  kind = iota
	exact         // no metacharacters: lit
	all           // only stars
	prefix        // lit*
	suffix        // *lit
	contains      // *lit*
)

// String returns the pattern as it was given.
func (g *Glob) String() string { return g.source }

// Compile validates pattern (see the package comment for its syntax) and
// compiles it.
func Compile(pattern string) (*Glob, error) {
	for i := 0; i < len(pattern); {
		switch pattern[i] {
		case '\\':
			if i+1 >= len(pattern) {
				return nil, &Error{pattern, "trailing backslash", i}
			}
			_, w := utf8.DecodeRuneInString(pattern[i+1:])
			i += 1 + w
		case '[':
			_, end, err := matchClass(pattern, i, -1)
			if err != nil {
				err.Pattern = pattern
				return nil, err
			}
			i = end
		default:
			i++
		}
	}
	return compiled(pattern, pattern), nil
}

// MustCompile is Compile for patterns known to be valid; it panics on an
// invalid one.
func MustCompile(pattern string) *Glob {
	g, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return g
}

// compiled picks a fast path for the common shapes of a validated pattern.
func compiled(source, pattern string) *Glob {
	g := &Glob{source: source, pattern: pattern}
	trimmed := strings.Trim(pattern, "*")
	switch {
	case !strings.ContainsAny(pattern, Meta):
		g.kind, g.lit = exact, pattern
	case trimmed == "":
		g.kind = all
	case strings.ContainsAny(trimmed, Meta):
		g.kind = general
	case pattern == trimmed+"*":
		g.kind, g.lit = prefix, trimmed
	case pattern == "*"+trimmed:
		g.kind, g.lit = suffix, trimmed
	case pattern == "*"+trimmed+"*":
		g.kind, g.lit = contains, trimmed
	}
	return g
}

// Match reports whether s matches the whole pattern.
func (g *Glob) Match(s string) bool {
	switch g.kind {
	case exact:
		return s == g.lit
	case all:
		return true
	case prefix:
		return strings.HasPrefix(s, g.lit)
	case suffix:
		return strings.HasSuffix(s, g.lit)
	case contains:
		return strings.Contains(s, g.lit)
	}
	return match(g.pattern, s)
}

// Match compiles pattern with Compile and matches s against it.
func Match(pattern, s string) (bool, error) {
	g, err := Compile(pattern)
	if err != nil {
		return false, err
	}
	return g.Match(s), nil
}

// match matches s against a validated pattern. It splits the pattern at
// stars into fixed-width chunks and places each chunk at its leftmost
// possible position, which is optimal because every chunk but the first is
// preceded by a star; only the last chunk has to be tried at every position.
// The cost is O(len(pattern)*len(s)).
func match(pattern, s string) bool {
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
			return false, len(pattern), &Error{Msg: "unterminated character class (a '[' needs its ']')", Pos: start}
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
				return false, len(pattern), &Error{Msg: fmt.Sprintf("character range %q is out of order", pattern[loStart:i+1+n]), Pos: loStart}
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
			return 0, 0, &Error{Msg: "trailing backslash", Pos: i}
		}
		r, w := utf8.DecodeRuneInString(pattern[i+1:])
		return r, 1 + w, nil
	}
	r, w := utf8.DecodeRuneInString(pattern[i:])
	return r, w, nil
}
