package glob

import (
	"strings"
	"unicode/utf8"
)

// Fnmatch compiles pattern as Python's fnmatch.translate reads it (see the
// package comment); it never fails.
func Fnmatch(pattern string) *Glob {
	return compiled(pattern, translate(pattern))
}

// CompileFnmatch compiles pattern as Fnmatch does, but refuses a '[' that
// no ']' closes, which Python would silently read as a literal '[': in a
// pattern someone typed (a key glob, a tag glob) it is a mistake.
func CompileFnmatch(pattern string) (*Glob, error) {
	rs := []rune(pattern)
	pos := 0 // byte offset of rs[i]
	for i := 0; i < len(rs); i++ {
		if rs[i] == '[' {
			j := i + 1
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
				return nil, &Error{Pattern: pattern, Msg: "unterminated character class (a '[' needs its ']')", Pos: pos}
			}
			for _, r := range rs[i:j] {
				pos += utf8.RuneLen(r)
			}
			i = j
		}
		pos += utf8.RuneLen(rs[i])
	}
	return Fnmatch(pattern), nil
}

// FnmatchCase reports whether s matches pattern as Python's
// fnmatch.fnmatchcase(s, pattern) does. It compiles pattern on each call:
// hold a Glob from Fnmatch to match many strings.
func FnmatchCase(s, pattern string) bool { return Fnmatch(pattern).Match(s) }

// translate rewrites a Python fnmatch pattern in Compile's syntax, following
// fnmatch.translate: a '[' with no ']' to close it is literal; inside a
// class a leading '!' negates, a ']' right after '[' or '[!' is literal,
// '-' between two characters is a range and a reversed range is dropped;
// an empty class matches nothing and "[!]" with an empty body any
// character; a backslash is an ordinary character everywhere.
func translate(pat string) string {
	var b strings.Builder
	b.Grow(len(pat) + 8)
	rs := []rune(pat)
	for i := 0; i < len(rs); {
		c := rs[i]
		i++
		switch c {
		case '*', '?':
			b.WriteRune(c)
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
			writeClass(&b, rs[i:j])
			i = j + 1
		default:
			writeLiteral(&b, c)
		}
	}
	return b.String()
}

// writeClass writes the class body in (between '[' and ']') in Compile's
// syntax.
func writeClass(b *strings.Builder, in []rune) {
	neg := false
	if len(in) > 0 && in[0] == '!' {
		neg, in = true, in[1:]
	}
	var items strings.Builder
	for p := 0; p < len(in); p++ {
		lo := in[p]
		if p+2 < len(in) && in[p+1] == '-' {
			hi := in[p+2]
			p += 2
			if lo > hi {
				continue // Python drops reversed ranges
			}
			writeClassChar(&items, lo)
			items.WriteByte('-')
			writeClassChar(&items, hi)
			continue
		}
		writeClassChar(&items, lo)
	}
	switch {
	case items.Len() == 0 && neg:
		b.WriteByte('?')
	case items.Len() == 0:
		b.WriteString("[!\x00-\U0010FFFF]") // matches nothing
	case neg:
		b.WriteString("[!" + items.String() + "]")
	default:
		b.WriteString("[" + items.String() + "]")
	}
}

func writeLiteral(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && strings.ContainsRune(Meta, r) {
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}

func writeClassChar(b *strings.Builder, r rune) {
	switch r {
	case '\\', ']', '[', '!', '^', '-':
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}
