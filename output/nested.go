package output

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ANSI colours, Salt's values (salt.utils.color.get_colors).
const (
	ansiCyan        = "\033[0;36m"
	ansiGreen       = "\033[0;32m"
	ansiRed         = "\033[0;31m"
	ansiLightYellow = "\033[1;33m"
	ansiEnd         = "\033[0;0m"
)

type palette struct {
	key, str, list, scalar, red, end string
}

// nested is Salt's nested outputter (salt/output/nested.py) over normalized
// values.
type nested struct {
	b *bytes.Buffer
	c palette
}

func newNested(b *bytes.Buffer, color, failed bool) *nested {
	n := &nested{b: b}
	switch {
	case !color:
	case failed:
		n.c = palette{ansiRed, ansiRed, ansiRed, ansiRed, ansiRed, ansiEnd}
	default:
		n.c = palette{ansiCyan, ansiGreen, ansiGreen, ansiLightYellow, ansiRed, ansiEnd}
	}
	return n
}

// line writes one line as Salt's ustring does:
// indent, colour, prefix, message, end of colour, suffix.
func (n *nested) line(indent int, color, prefix, msg, suffix string) {
	for range indent {
		n.b.WriteByte(' ')
	}
	end := ""
	if color != "" {
		end = n.c.end
	}
	n.b.WriteString(color)
	n.b.WriteString(prefix)
	n.b.WriteString(msg)
	n.b.WriteString(end)
	n.b.WriteString(suffix)
	n.b.WriteByte('\n')
}

// key writes "key:" at indent. The key is escaped: a line break in it
// would start a line at column 0 that reads as another minion's return.
func (n *nested) key(indent int, prefix, k string) { n.line(indent, n.c.key, prefix, Escape(k), ":") }

func (n *nested) display(v any, indent int, prefix string) {
	switch x := v.(type) {
	case map[string]any:
		if indent > 0 {
			n.line(indent, n.c.key, "", "----------", "")
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			n.key(indent, prefix, k)
			n.display(x[k], indent+4, "")
		}
	case []any:
		for _, e := range x {
			switch e.(type) {
			case map[string]any:
				n.line(indent, n.c.list, "", "|_", "")
				n.display(e, indent+2, "")
			case []any:
				n.line(indent, n.c.list, "", "|_", "")
				n.display(e, indent+2, "- ")
			default:
				n.display(e, indent, "- ")
			}
		}
	case string:
		// A multi-line string is shown as Salt shows it, a line each, every
		// line at the value's indent, so that none starts at column 0; the
		// rest of the control characters are escaped.
		pad := strings.Repeat(" ", len(prefix))
		for i, l := range splitLines(x) {
			p := prefix
			if i > 0 {
				p = pad
			}
			n.line(indent, n.c.str, p, Escape(l), "")
		}
	default:
		n.line(indent, n.c.scalar, prefix, scalarText(x), "")
	}
}

// splitLines splits as Python's str.splitlines: no lines for "", and a
// final line break does not start another line. Line breaks are \n, \r\n
// and \r.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// scalarText renders a normalized non-string scalar as Python would print
// it, except that integral floats have no ".0" (JSON does not keep ints
// and floats apart).
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return formatFloat(x)
	case json.Number:
		return x.String()
	}
	return ""
}

// formatFloat writes f without exponent unless it is very large or very
// small, and without ".0" when integral: 1, 0.5, 1000000, 1e+21, 1e-05.
func formatFloat(f float64) string {
	a := math.Abs(f)
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case a >= 1e21 || (a != 0 && a < 1e-4):
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func init() {
	Default.Register(&Outputter{
		Name: string(Text), Aliases: []string{"nested"},
		Doc: "Salt's nested outputter: indented keys and values, highstate returns as Salt's highstate outputter; each return printed as it arrives.",
		Document: func(w io.Writer, v any, s Style) error {
			var b bytes.Buffer
			newNested(&b, s.Color, false).display(v, 0, "")
			if b.Len() == 0 {
				return nil
			}
			_, err := w.Write(b.Bytes())
			return err
		},
		Return: func(w io.Writer, id string, v any, failed bool, s Style) {
			var b bytes.Buffer
			if st, ok := isStateReturn(v); ok {
				highstate(&b, id, st, s)
			} else {
				n := newNested(&b, s.Color, failed)
				n.key(0, "", id)
				n.display(v, 4, "")
			}
			_, _ = w.Write(b.Bytes())
		},
		Missing: func(w io.Writer, ids []string, reason string, s Style) {
			var b bytes.Buffer
			n := newNested(&b, s.Color, false)
			for _, id := range ids {
				n.key(0, "", id)
				n.line(4, n.c.red, "", reason, "")
			}
			_, _ = w.Write(b.Bytes())
		},
	})
}
