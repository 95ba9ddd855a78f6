package render

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Jinja2 string literals, which gonja's lexer gets wrong in two ways: a
// literal ending in an escaped backslash ("\\" or 'x\\') never ends (it
// takes the closing quote for an escaped one), and only \" and \' are
// unescaped. lexTokens therefore lexes a copy of the source in which every
// escaped backslash inside a tag's string literal is masked (same length,
// no backslash), and then gives each String token its value decoded from
// the original text with Python's escapes, as Jinja2 does.

// maskBackslashes returns src with each "\\" inside a string literal of a
// {{ }} or {% %} tag replaced by two maskByte bytes; ok false when there
// was nothing to mask (src is returned as is).
func maskBackslashes(src string) (string, bool) {
	if !strings.Contains(src, `\\`) {
		return src, false
	}
	var b []byte
	for i := 0; i < len(src); {
		j := strings.IndexByte(src[i:], '{')
		if j < 0 || i+j+1 >= len(src) {
			break
		}
		i += j
		switch src[i+1] {
		case '#':
			k := strings.Index(src[i+2:], "#}")
			if k < 0 {
				i = len(src)
				continue
			}
			i += 2 + k + 2
			continue
		case '{', '%':
		default:
			i++
			continue
		}
		closer := "}}"
		if src[i+1] == '%' {
			closer = "%}"
			if end, ok := rawBlockEnd(src, i); ok {
				i = end
				continue
			}
		}
		i += 2
		for i < len(src) && !strings.HasPrefix(src[i:], closer) {
			c := src[i]
			if c != '"' && c != '\'' {
				i++
				continue
			}
			i++
			for i < len(src) && src[i] != c {
				if src[i] == '\\' && i+1 < len(src) {
					if src[i+1] == '\\' {
						if b == nil {
							b = []byte(src)
						}
						b[i], b[i+1] = maskByte, maskByte
					}
					i += 2
					continue
				}
				i++
			}
			i++
		}
		i += 2
	}
	if b == nil {
		return src, false
	}
	return string(b), true
}

// maskByte stands for half an escaped backslash while gonja lexes (NUL
// bytes in a template are refused before lexing, so it cannot clash).
const maskByte = 0

// rawBlockEnd: at src[i:] "{% raw %}", the position after its
// "{% endraw %}".
func rawBlockEnd(src string, i int) (int, bool) {
	k := strings.Index(src[i:], "%}")
	if k < 0 {
		return 0, false
	}
	inner := strings.Trim(src[i+2:i+k], "-+ \t\r\n")
	if inner != "raw" {
		return 0, false
	}
	for p := i + k + 2; ; {
		e := strings.Index(src[p:], "{%")
		if e < 0 {
			return len(src), true
		}
		p += e
		f := strings.Index(src[p:], "%}")
		if f < 0 {
			return len(src), true
		}
		if strings.Trim(src[p+2:p+f], "-+ \t\r\n") == "endraw" {
			return p + f + 2, true
		}
		p += 2
	}
}

// literalAt decodes the string literal starting at src[pos] (its opening
// quote) with Python's escapes.
func literalAt(src string, pos int) (string, bool) {
	if pos < 0 || pos >= len(src) || (src[pos] != '"' && src[pos] != '\'') {
		return "", false
	}
	q := src[pos]
	var b strings.Builder
	for i := pos + 1; i < len(src); {
		c := src[i]
		switch {
		case c == q:
			return b.String(), true
		case c == '\\' && i+1 < len(src):
			n, adv := pyEscape(src[i+1:])
			b.WriteString(n)
			i += 1 + adv
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", false
}

// pyEscape decodes the escape after a backslash (s starts after it):
// the text it stands for and the bytes it used. Unknown escapes keep
// their backslash, as in Python.
func pyEscape(s string) (string, int) {
	switch s[0] {
	case '\n':
		return "", 1
	case '\\':
		return `\`, 1
	case '\'':
		return "'", 1
	case '"':
		return `"`, 1
	case 'a':
		return "\a", 1
	case 'b':
		return "\b", 1
	case 'f':
		return "\f", 1
	case 'n':
		return "\n", 1
	case 'r':
		return "\r", 1
	case 't':
		return "\t", 1
	case 'v':
		return "\v", 1
	case 'x', 'u', 'U':
		n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[0]]
		if len(s) > n {
			if v, err := strconv.ParseUint(s[1:1+n], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				return string(rune(v)), 1 + n
			}
		}
	case '0', '1', '2', '3', '4', '5', '6', '7':
		n := 1
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			n++
		}
		v, _ := strconv.ParseUint(s[:n], 8, 32)
		return string(rune(v)), n
	}
	r, size := utf8.DecodeRuneInString(s)
	return `\` + string(r), size
}
