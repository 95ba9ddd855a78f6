package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ValueError is the error an UnmarshalYAML method returns for a bad value:
// the strict loader reports it with the file, the line and the key
// ("master.yaml line 4: "api.token_expire" must be ..."). msg reads after
// the key.
func ValueError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d column %d: bad value: %s", n.Line, n.Column, fmt.Sprintf(format, args...))}}
}

// kindError is yaml.v3's own wording for a value of the wrong kind, which
// the loader rewrites in the user's terms.
func kindError(n *yaml.Node, want string) error {
	switch n.Kind {
	case yaml.SequenceNode:
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d column %d: cannot unmarshal !!seq into %s", n.Line, n.Column, want)}}
	case yaml.MappingNode:
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d column %d: cannot unmarshal !!map into %s", n.Line, n.Column, want)}}
	}
	tag := strings.TrimPrefix(n.ShortTag(), "!!")
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d column %d: cannot unmarshal !!%s `%s` into %s", n.Line, n.Column, tag, n.Value, want)}}
}

// String is a setting that must be written as text: `listen: 8000` is an
// error rather than the text "8000".
type String string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *String) UnmarshalYAML(n *yaml.Node) error {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return kindError(n, "string")
	}
	*s = String(n.Value)
	return nil
}

// StringList is a list of non-empty strings, or one string.
type StringList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" || n.Value == "" {
			return ValueError(n, "must be a non-empty string or a list of them")
		}
		*l = StringList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(StringList, 0, len(n.Content))
		for _, c := range n.Content {
			c = resolve(c)
			if c.Kind != yaml.ScalarNode || c.ShortTag() != "!!str" || c.Value == "" {
				return ValueError(c, "must be a non-empty string")
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return ValueError(n, "must be a string or a list of strings")
}

// maxSeconds bounds a Seconds value: ten years.
const maxSeconds = 10 * 365 * 24 * 3600

// Seconds is a duration written as a number of seconds (as Salt writes
// them: `token_expire: 43200`) or as a Go duration ("12h"). It must be
// positive.
type Seconds time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Seconds) UnmarshalYAML(n *yaml.Node) error {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		return ValueError(n, "must be a number of seconds, or like \"12h\"")
	}
	if n.ShortTag() == "!!str" {
		if d, err := time.ParseDuration(n.Value); err == nil && d > 0 && d <= maxSeconds*time.Second {
			*s = Seconds(d)
			return nil
		}
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f > 0 && f <= maxSeconds {
			*s = Seconds(time.Duration(f * float64(time.Second)))
			return nil
		}
	}
	return ValueError(n, "%q is not a positive duration (seconds, or like \"12h\"; at most 10 years)", n.Value)
}
