// Package config is the one strict YAML loader of Brine's config files
// (master, minion): an unknown key is an error, and every error names the
// file, the line and the key in the user's words, never a Go type, with a
// suggestion for a near miss.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DecodeStrict decodes the YAML document data (read from file) into v, a
// pointer to a struct with yaml tags. An empty document, or one with only
// comments, leaves v as it is.
func DecodeStrict(file string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) { // only comments
		return nil
	}
	if err == nil {
		// yaml.v3 truncates 2.5 into an int field without a word.
		var root yaml.Node
		if yaml.Unmarshal(data, &root) == nil {
			if msg := fractions(&root, reflect.TypeOf(v), nil); msg != "" {
				return fmt.Errorf("%s %s", file, msg)
			}
		}
	}
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	keys := knownKeys(reflect.TypeOf(v))
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		msgs = append(msgs, file+" "+explain(e, &root, keys))
	}
	return errors.New(strings.Join(msgs, "\n"))
}

var (
	unknownRe = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)
	typeRe    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+) `(.*)` into (.+)$")
	// A list or mapping given where a value of another kind belongs.
	kindRe = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(seq|map) into (.+)$`)
	lineRe = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// explain rewrites one of yaml.v3's type errors in the user's terms.
func explain(msg string, root *yaml.Node, keys map[string][]string) string {
	if m := unknownRe.FindStringSubmatch(msg); m != nil {
		out := fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
		if at := keyPath(root, atoi(m[1]), m[2]); at != "" {
			out = fmt.Sprintf("line %s: unknown key %q in %s", m[1], m[2], at)
		}
		if s := suggest(m[2], keys[m[3]]); s != "" {
			out += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return out
	}
	if m := typeRe.FindStringSubmatch(msg); m != nil {
		line := atoi(m[1])
		key := valueKey(root, line)
		what := "the value"
		if key != "" {
			what = strconv.Quote(key)
		}
		return fmt.Sprintf("line %s: %s must be %s, not %s %s", m[1], what, describeGo(m[4]), describeYAML(m[2]), shorten(m[3]))
	}
	if m := kindRe.FindStringSubmatch(msg); m != nil {
		line := atoi(m[1])
		what := "the value"
		if key := collectionKey(root, line); key != "" {
			what = strconv.Quote(key)
		}
		return fmt.Sprintf("line %s: %s must be %s, not %s", m[1], what, describeGo(m[3]), describeYAML(m[2]))
	}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		return "line " + m[1] + ": " + m[2]
	}
	return msg
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func shorten(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// describeGo names a Go type as a config value kind.
func describeGo(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "time.Duration"):
		return "a duration"
	}
	return "a mapping" // a struct
}

// describeYAML names a YAML tag as the user wrote the value.
func describeYAML(tag string) string {
	switch tag {
	case "str":
		return "the text"
	case "int", "float":
		return "the number"
	case "bool":
		return "the boolean"
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "null":
		return "null"
	}
	return tag
}

// keyPath finds the mapping key named key on line and returns the dotted
// path of the mapping that holds it ("" at the top).
func keyPath(root *yaml.Node, line int, key string) string {
	var path string
	var walk func(n *yaml.Node, prefix []string) bool
	walk = func(n *yaml.Node, prefix []string) bool {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				if walk(c, prefix) {
					return true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Line == line && k.Value == key {
					path = strings.Join(prefix, ".")
					return true
				}
				if walk(v, append(prefix, k.Value)) {
					return true
				}
			}
		}
		return false
	}
	walk(root, nil)
	return path
}

// valueKey finds the dotted key whose value starts on line.
func valueKey(root *yaml.Node, line int) string {
	var found string
	var walk func(n *yaml.Node, prefix []string) bool
	walk = func(n *yaml.Node, prefix []string) bool {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if walk(c, prefix) {
					return true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := append(prefix[:len(prefix):len(prefix)], fmt.Sprintf("[%d]", i))
				if c.Kind == yaml.ScalarNode && c.Line == line {
					found = joinPath(p)
					return true
				}
				if walk(c, p) {
					return true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := append(prefix[:len(prefix):len(prefix)], k.Value)
				if v.Line == line && v.Kind != yaml.MappingNode {
					found = joinPath(p)
					return true
				}
				if walk(v, p) {
					return true
				}
			}
		}
		return false
	}
	walk(root, nil)
	return found
}

// collectionKey finds the dotted key whose list or mapping value starts
// on line: the deepest, as a block mapping also starts on the line of its
// first key.
func collectionKey(root *yaml.Node, line int) string {
	found, depth := "", -1
	var walk func(n *yaml.Node, prefix []string)
	walk = func(n *yaml.Node, prefix []string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := append(prefix[:len(prefix):len(prefix)], k.Value)
				if v.Line == line && (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(p) > depth {
					found, depth = joinPath(p), len(p)
				}
				walk(v, p)
			}
		}
	}
	walk(root, nil)
	return found
}

func joinPath(p []string) string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// knownKeys maps each struct type reachable from t (by yaml.v3's name for
// it, e.g. "master.Config") to its keys.
func knownKeys(t reflect.Type) map[string][]string {
	out := map[string][]string{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		name := t.String()
		if _, seen := out[name]; seen {
			return
		}
		out[name] = nil
		var keys []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "-" {
				continue
			}
			if tag == "" {
				tag = strings.ToLower(f.Name)
			}
			keys = append(keys, tag)
			visit(f.Type)
		}
		sort.Strings(keys)
		out[name] = keys
	}
	visit(t)
	return out
}

// suggest returns the known key nearest to key, if it is a near miss.
func suggest(key string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		d := distance(strings.ToLower(key), strings.ToLower(k))
		if d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len(key) > 8 {
		limit = 3
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// fractions finds a number with a fraction given for a whole-number
// setting, walking the document along the config's type.
func fractions(n *yaml.Node, t reflect.Type, path []string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if m := fractions(c, t, path); m != "" {
				return m
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var ft reflect.Type
			switch t.Kind() {
			case reflect.Map:
				ft = t.Elem()
			case reflect.Struct:
				ft = fieldType(t, k.Value)
			}
			if ft == nil {
				continue
			}
			if m := fractions(v, ft, append(path[:len(path):len(path)], k.Value)); m != "" {
				return m
			}
		}
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, c := range n.Content {
				if m := fractions(c, t.Elem(), append(path[:len(path):len(path)], fmt.Sprintf("[%d]", i))); m != "" {
					return m
				}
			}
		}
	case yaml.ScalarNode:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if n.Tag == "!!float" && t.String() != "time.Duration" {
				if f, err := strconv.ParseFloat(n.Value, 64); err != nil || f != float64(int64(f)) {
					return fmt.Sprintf("line %d: %q must be a whole number, not the number %q", n.Line, joinPath(path), n.Value)
				}
			}
		}
	}
	return ""
}

// fieldType is the type of the struct field whose yaml key is key.
func fieldType(t reflect.Type, key string) reflect.Type {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		if tag == key && f.IsExported() {
			return f.Type
		}
	}
	return nil
}
