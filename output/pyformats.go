package output

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Salt's outputters that print Python's text: raw, txt, pprint,
// newline_values_only, and quiet, which prints nothing. Like Salt's, they
// print each minion's return as {id: return} as it arrives; a minion that
// did not return prints as a return of Salt's "Minion did not return"
// message.

func init() {
	perMinion := func(render func(id string, v any, s Style) string) (func(io.Writer, string, any, bool, Style), func(io.Writer, []string, string, Style)) {
		ret := func(w io.Writer, id string, v any, _ bool, s Style) {
			_, _ = io.WriteString(w, render(id, v, s))
		}
		missing := func(w io.Writer, ids []string, reason string, s Style) {
			for _, id := range ids {
				_, _ = io.WriteString(w, render(id, reason, s))
			}
		}
		return ret, missing
	}

	raw := func(_ string, v any, _ Style) string { return Escape(pyStr(v)) + "\n" }
	r, m := perMinion(func(id string, v any, s Style) string { return raw(id, map[string]any{id: v}, s) })
	Default.Register(&Outputter{
		Name: "raw", Doc: "Python's str() of each return, {id: return} (Salt's raw outputter).",
		Document: func(w io.Writer, v any, s Style) error { _, err := io.WriteString(w, raw("", v, s)); return err },
		Return:   r, Missing: m,
	})

	r, m = perMinion(func(id string, v any, _ Style) string { return txt(map[string]any{id: v}) })
	Default.Register(&Outputter{
		Name: "txt", Doc: "One line per line of each return, prefixed by the minion id (Salt's txt outputter).",
		Document: func(w io.Writer, v any, _ Style) error { _, err := io.WriteString(w, txt(v)); return err },
		Return:   r, Missing: m,
	})

	pp := func(v any, s Style) string {
		indent := 1
		if s.IndentSet && s.Indent >= 0 {
			indent = s.Indent
		}
		return Escape(pyPformat(v, indent)) + "\n"
	}
	r, m = perMinion(func(id string, v any, s Style) string { return pp(map[string]any{id: v}, s) })
	Default.Register(&Outputter{
		Name: "pprint", Aliases: []string{"pprint_out"}, Doc: "Python's pprint of each return, {id: return} (Salt's pprint outputter; --out-indent sets its indent).",
		Document: func(w io.Writer, v any, s Style) error { _, err := io.WriteString(w, pp(v, s)); return err },
		Return:   r, Missing: m,
	})

	r, m = perMinion(func(id string, v any, _ Style) string { return valuesOnly(map[string]any{id: v}) })
	Default.Register(&Outputter{
		Name: "newline_values_only", Doc: "Only the values, one per line; a list return gives one line per item (Salt's newline_values_only outputter).",
		Document: func(w io.Writer, v any, _ Style) error {
			m, ok := v.(map[string]any)
			if !ok {
				m = map[string]any{"": v}
			}
			_, err := io.WriteString(w, valuesOnly(m))
			return err
		},
		Return: r, Missing: m,
	})

	Default.Register(&Outputter{
		Name: "quiet", Doc: "Prints nothing; the exit code and errors on stderr still tell (Salt's quiet outputter).",
		Document: func(io.Writer, any, Style) error { return nil },
		Return:   func(io.Writer, string, any, bool, Style) {},
		Missing:  func(io.Writer, []string, string, Style) {},
	})
}

// txt is Salt's txt outputter: for a map, "key: line" for each line of a
// string value, "key: str(value)" otherwise; anything else as str().
func txt(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		if s, ok := v.(string); ok {
			// Each line escaped, the line breaks kept: a runner's text
			// (a boot script) prints as text.
			var b strings.Builder
			for _, line := range pySplitLines(s) {
				b.WriteString(Escape(line))
				b.WriteByte('\n')
			}
			return b.String()
		}
		return Escape(pyPformat(v, 1)) + "\n"
	}
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		if s, ok := m[k].(string); ok {
			for _, line := range pySplitLines(s) {
				fmt.Fprintf(&b, "%s: %s\n", Escape(k), Escape(line))
			}
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", Escape(k), Escape(pyStr(m[k])))
	}
	return b.String()
}

// pySplitLines is Python's str.splitlines().
func pySplitLines(s string) []string {
	lines := pySplitLinesKeep(s)
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r"), "\v\f\x1c\x1d\x1e\u0085\u2028\u2029")
	}
	return lines
}

// valuesOnly is Salt's newline_values_only: each minion's value, a list's
// items one per line, the ids dropped.
func valuesOnly(m map[string]any) string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var lines []string
	for _, id := range ids {
		if l, ok := m[id].([]any); ok {
			for _, e := range l {
				lines = append(lines, EscapeLines(pyStr(e)))
			}
			continue
		}
		lines = append(lines, EscapeLines(pyStr(m[id])))
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
