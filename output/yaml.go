package output

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// encodeYAML writes normalized v as one YAML document, block style,
// indented by 2, map keys sorted.
func encodeYAML(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(yamlNode(v)); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// yamlNode builds the node tree so numbers print as in the text format
// (1000000, not 1e+06) and strings that look like other types are quoted.
func yamlNode(v any) *yaml.Node {
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	switch x := v.(type) {
	case nil:
		return scalar("!!null", "null")
	case bool:
		return scalar("!!bool", strconv.FormatBool(x))
	case string:
		n := scalar("!!str", x)
		if yaml11Bool[x] {
			// Plain in YAML 1.2, a bool to YAML 1.1 readers (PyYAML, Salt).
			n.Style = yaml.DoubleQuotedStyle
		}
		return n
	case int64:
		return scalar("!!int", strconv.FormatInt(x, 10))
	case uint64:
		return scalar("!!int", strconv.FormatUint(x, 10))
	case json.Number:
		// An integer beyond 64 bits: written plain, with no tag.
		return scalar("", x.String())
	case float64:
		s := formatFloat(x)
		if isInteger(s) {
			return scalar("!!int", s)
		}
		return scalar("!!float", s)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range x {
			n.Content = append(n.Content, yamlNode(e))
		}
		return n
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			n.Content = append(n.Content, scalar("!!str", k), yamlNode(x[k]))
		}
		return n
	}
	return scalar("!!null", "null")
}

// yaml11Bool lists the YAML 1.1 booleans that YAML 1.2 reads as strings.
var yaml11Bool = map[string]bool{}

func init() {
	for _, w := range []string{"y", "yes", "n", "no", "on", "off"} {
		for _, s := range []string{w, strings.ToUpper(w[:1]) + w[1:], strings.ToUpper(w)} {
			yaml11Bool[s] = true
		}
	}
}
