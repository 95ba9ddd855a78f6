package output

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape makes s safe to print on one line of a terminal: control
// characters (C0, DEL and C1, ESC among them) and bytes that are not UTF-8
// are shown as Go escapes (\n, \r, \x1b, \u009b, \xff), so that text a
// minion returned can neither start a line of its own (forging another
// minion's "web-9: True") nor move the cursor, change colours or set the
// terminal's title. A tab is kept: it cannot start a line. A backslash is
// kept as is, so ordinary text reads unchanged.
func Escape(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f || c == '\t' {
				i++
				continue
			}
			break
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 || r >= 0x80 && r <= 0x9f {
			break
		}
		i += w
	}
	if i == len(s) {
		return s // the common case: nothing to escape
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && w == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteByte('\t')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	return b.String()
}

// EscapeLines is Escape for text whose line breaks are meant: each line
// is escaped and the "\n" between them kept.
func EscapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}
