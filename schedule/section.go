package schedule

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Section is the `schedule:` section of a minion's config: entry names to
// entries, and Salt's top-level `enabled`. Decoding checks every entry as
// Parse does (keys, kinds, intervals, cron), so that a bad entry is an
// error naming the file, line and key when the config is read, not a
// skipped entry later. Whether an entry's function exists is checked where
// the schedule runs.
type Section map[string]any

// MasterSection is the master config's `schedule:`, whose entries may also
// have tgt and tgt_type.
type MasterSection map[string]any

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Section) UnmarshalYAML(n *yaml.Node) error {
	m, err := decodeSection(n, Options{Source: "config"})
	*s = m
	return err
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *MasterSection) UnmarshalYAML(n *yaml.Node) error {
	m, err := decodeSection(n, Options{Source: "config", Master: true})
	*s = m
	return err
}

func decodeSection(n *yaml.Node, opts Options) (map[string]any, error) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: schedule must be a mapping of entry names to entries", n.Line)}}
	}
	var raw map[string]any
	if err := n.Decode(&raw); err != nil {
		return nil, err
	}
	entries, _ := Parse(raw, opts)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	var msgs []string
	for _, e := range entries {
		if e.Err == nil {
			continue
		}
		line := n.Line
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == e.Name {
				line = n.Content[i].Line
				line = keyLine(n.Content[i+1], e.Err, line)
			}
		}
		msgs = append(msgs, fmt.Sprintf("line %d: %v", line, e.Err))
	}
	if len(msgs) > 0 {
		return raw, &yaml.TypeError{Errors: msgs}
	}
	return raw, nil
}

// keyLine is the line of the entry's key an error is about (its message
// starts with the key's name, or names it as unknown), else def.
func keyLine(entry *yaml.Node, err error, def int) int {
	if entry.Kind != yaml.MappingNode {
		return def
	}
	msg := err.Error()
	if u := errors.Unwrap(err); u != nil {
		msg = u.Error()
	}
	for i := 0; i+1 < len(entry.Content); i += 2 {
		k := entry.Content[i]
		if strings.HasPrefix(msg, k.Value+" ") || strings.HasPrefix(msg, k.Value+":") || strings.Contains(msg, fmt.Sprintf("unknown key %q", k.Value)) {
			return k.Line
		}
	}
	return def
}
