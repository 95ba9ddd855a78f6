package schedule

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Section is the `schedule:` section of a minion's config: entry names to
// entries, and Salt's top-level `enabled`. Decoding checks that it is a
// mapping; a bad entry does not stop the minion (it is listed with its
// error and skipped, as a bad pillar entry is): the loader reports it with
// its file, line and key through Entry.Key.
type Section map[string]any

// MasterSection is the master config's `schedule:`, whose entries may also
// have tgt and tgt_type. Decoding checks every entry as Parse does (keys,
// kinds, intervals, cron): a bad entry is an error naming the file, line
// and key when the config is read. Whether a runner exists is checked
// where the schedule starts.
type MasterSection map[string]any

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Section) UnmarshalYAML(n *yaml.Node) error {
	m, err := decodeSection(n, Options{Source: "config"}, false)
	*s = m
	return err
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *MasterSection) UnmarshalYAML(n *yaml.Node) error {
	m, err := decodeSection(n, Options{Source: "config", Master: true}, true)
	*s = m
	return err
}

func decodeSection(n *yaml.Node, opts Options, strict bool) (map[string]any, error) {
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
	if !strict {
		return raw, nil
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

// keyLine is the line of the entry's key an error is about, else def.
func keyLine(entry *yaml.Node, err error, def int) int {
	if entry.Kind != yaml.MappingNode {
		return def
	}
	key := errorKey(entry.Content, err)
	for i := 0; i+1 < len(entry.Content); i += 2 {
		if entry.Content[i].Value == key {
			return entry.Content[i].Line
		}
	}
	return def
}

// errorKey is the key of the entry (mapping keys and values, alternating)
// an error is about: its message starts with the key's name, or names it
// as unknown; "" for none.
func errorKey(content []*yaml.Node, err error) string {
	var keys []string
	for i := 0; i+1 < len(content); i += 2 {
		keys = append(keys, content[i].Value)
	}
	return matchKey(keys, err)
}

func matchKey(keys []string, err error) string {
	msg := err.Error()
	if u := errors.Unwrap(err); u != nil {
		msg = u.Error()
	}
	for _, k := range keys {
		if strings.HasPrefix(msg, k+" ") || strings.HasPrefix(msg, k+":") || strings.Contains(msg, fmt.Sprintf("unknown key %q", k)) {
			return k
		}
	}
	return ""
}

// Key is the key of the entry that Err is about ("" when it is about the
// entry as a whole), for an error that names its line.
func (e *Entry) Key() string {
	m, ok := e.Raw.(map[string]any)
	if e.Err == nil || !ok {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return matchKey(keys, e.Err)
}
