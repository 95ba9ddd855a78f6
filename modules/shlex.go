package modules

import (
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/proto"
)

// shlexSplit splits s as Python's shlex.split (POSIX mode): whitespace
// separates words; single quotes keep everything; double quotes keep all
// but \" \\ \$ \`; a backslash outside quotes escapes the next character.
func shlexSplit(s string) ([]string, *proto.Error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, badArg("no closing quotation in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, badArg("no closing quotation in %q", s)
			}
			inWord = true
		case ch == '\\':
			if i+1 >= len(s) {
				return nil, badArg("no escaped character in %q", s)
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// optsArg reads an options argument as Salt's _format_opts does: a string
// split as a shell would, or a list of words.
func optsArg(c Call, i int, name string) ([]string, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		return nil, nil
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := coerce.String(e)
			if !ok {
				return nil, wrongType(name, "a string or a list of strings", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := coerce.String(v)
	if !ok {
		return nil, wrongType(name, "a string or a list of strings", v)
	}
	words, err := shlexSplit(s)
	if err != nil {
		return nil, badArg("argument '%s': %s", name, err.Message)
	}
	return words, nil
}
