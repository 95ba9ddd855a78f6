package output

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python's repr() and pprint.pformat() of the values returns hold, for the
// outputters that print Python's text (raw, txt, pprint,
// newline_values_only). Maps print with their keys sorted, as pprint
// does (Go maps have no order to keep).

// pyRepr is repr(v).
func pyRepr(v any) string {
	var b strings.Builder
	writePyRepr(&b, v)
	return b.String()
}

// pyStr is str(v): a string as itself, everything else as repr.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func writePyRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		b.WriteString(pyStrRepr(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float64:
		b.WriteString(pyFloatRepr(x))
	case json.Number:
		b.WriteString(x.String())
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyStrRepr(k))
			b.WriteString(": ")
			writePyRepr(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyRepr(b, e)
		}
		b.WriteByte(']')
	default:
		writePyRepr(b, normalize(v))
	}
}

// pyStrRepr is Python 3's repr of a str: single quotes unless the text
// holds a single quote and no double one; \t \n \r and the backslash
// escaped; other unprintable characters as \x, \u or \U escapes.
func pyStrRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == utf8.RuneError || !unicode.IsPrint(r):
			switch {
			case r < 0x100:
				b.WriteString(`\x` + pad(strconv.FormatInt(int64(r), 16), 2))
			case r < 0x10000:
				b.WriteString(`\u` + pad(strconv.FormatInt(int64(r), 16), 4))
			default:
				b.WriteString(`\U` + pad(strconv.FormatInt(int64(r), 16), 8))
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// pyFloatRepr is Python's repr of a float: the shortest text that reads
// back, positional for exponents -4..15 (with ".0" when whole), else
// "1e+16" style.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return mant + "e" + sign + pad(strconv.Itoa(exp), 2)
}

// pyPformat is pprint.pformat(v, indent=indent, width=80): Python's
// algorithm, so that long values wrap where Python wraps them.
func pyPformat(v any, indent int) string {
	p := &pprinter{perLevel: indent, width: 80}
	p.format(v, 0, 0, 0)
	return p.b.String()
}

type pprinter struct {
	b        strings.Builder
	perLevel int
	width    int
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

func (p *pprinter) format(v any, indent, allowance, level int) {
	rep := pyRepr(v)
	if runeLen(rep) > p.width-indent-allowance {
		switch x := v.(type) {
		case map[string]any:
			p.dict(x, indent, allowance, level+1)
			return
		case []any:
			p.list(x, indent, allowance, level+1)
			return
		case string:
			p.str(x, indent, allowance, level+1)
			return
		}
	}
	p.b.WriteString(rep)
}

func (p *pprinter) dict(m map[string]any, indent, allowance, level int) {
	p.b.WriteByte('{')
	if p.perLevel > 1 {
		p.b.WriteString(strings.Repeat(" ", p.perLevel-1))
	}
	keys := sortedKeys(m)
	indent += p.perLevel
	allowance++
	delim := ",\n" + strings.Repeat(" ", indent)
	for i, k := range keys {
		last := i == len(keys)-1
		rep := pyStrRepr(k)
		p.b.WriteString(rep)
		p.b.WriteString(": ")
		a := 1
		if last {
			a = allowance
		}
		p.format(m[k], indent+runeLen(rep)+2, a, level)
		if !last {
			p.b.WriteString(delim)
		}
	}
	p.b.WriteByte('}')
}

func (p *pprinter) list(l []any, indent, allowance, level int) {
	p.b.WriteByte('[')
	indent += p.perLevel
	allowance++
	if p.perLevel > 1 {
		p.b.WriteString(strings.Repeat(" ", p.perLevel-1))
	}
	delim := ",\n" + strings.Repeat(" ", indent)
	for i, e := range l {
		last := i == len(l)-1
		if i > 0 {
			p.b.WriteString(delim)
		}
		a := 1
		if last {
			a = allowance
		}
		p.format(e, indent, a, level)
	}
	p.b.WriteByte(']')
}

// str is pprint's _pprint_str: a long string split at line ends and
// between words into adjacent literals (in parentheses at the top).
func (p *pprinter) str(s string, indent, allowance, level int) {
	if s == "" {
		p.b.WriteString(pyStrRepr(s))
		return
	}
	lines := pySplitLinesKeep(s)
	if level == 1 {
		indent++
		allowance++
	}
	maxWidth := p.width - indent
	maxWidth1 := maxWidth
	var chunks []string
	for i, line := range lines {
		rep := pyStrRepr(line)
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if runeLen(rep) <= maxWidth1 {
			chunks = append(chunks, rep)
			continue
		}
		parts := wordParts(line)
		maxWidth2 := maxWidth
		current := ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if runeLen(pyStrRepr(candidate)) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, pyStrRepr(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, pyStrRepr(current))
		}
	}
	if len(chunks) == 1 {
		p.b.WriteString(pyStrRepr(s))
		return
	}
	if level == 1 {
		p.b.WriteByte('(')
	}
	for i, c := range chunks {
		if i > 0 {
			p.b.WriteString("\n" + strings.Repeat(" ", indent))
		}
		p.b.WriteString(c)
	}
	if level == 1 {
		p.b.WriteByte(')')
	}
}

// wordParts is re.findall(r'\S*\s*', s) without its final empty match.
func wordParts(s string) []string {
	var parts []string
	for len(s) > 0 {
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			parts = append(parts, s)
			break
		}
		j := strings.IndexFunc(s[i:], func(r rune) bool { return !unicode.IsSpace(r) })
		if j < 0 {
			parts = append(parts, s)
			break
		}
		parts = append(parts, s[:i+j])
		s = s[i+j:]
	}
	return parts
}

// pySplitLinesKeep is Python's str.splitlines(True).
func pySplitLinesKeep(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				w = 2
			}
			fallthrough
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i+w])
			start = i + w
		}
		i += w
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
