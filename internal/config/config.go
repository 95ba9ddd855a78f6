// Package config is the one strict YAML loader of Brine's config files
// (master, minion): Load reads a file with its drop-ins (master.d/*.conf),
// merged as Salt merges them; inside the settings an unknown key is an
// error, and every error names the file, the line and the key in the
// user's words, never a Go type, with a suggestion for a near miss. A
// top-level key that is no setting is a custom option, unless it is a near
// miss of one. DecodeStrict checks one document the same way.
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
	typeRe    = regexp.MustCompile("^line (\\d+)(?: column (\\d+))?: cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
	badRe     = regexp.MustCompile(`^line (\d+) column (\d+): bad value: (.*)$`)
	lineRe    = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// explain rewrites one of yaml.v3's type errors in the user's terms.
func explain(msg string, root *yaml.Node, info typeInfo) string {
	if m := unknownRe.FindStringSubmatch(msg); m != nil {
		out := fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
		if at := keyPath(root, atoi(m[1]), m[2]); at != "" {
			out = fmt.Sprintf("line %s: unknown key %q in %s", m[1], m[2], at)
		}
		if h := keyHint(m[3], m[2], info); h != "" {
			out += " (" + h + ")"
		} else if s := suggest(m[2], info.keys[m[3]]); s != "" {
			out += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return out
	}
	if m := typeRe.FindStringSubmatch(msg); m != nil {
		key := valueKey(root, atoi(m[1]), atoi(m[2]), m[4], m[3])
		what := "the value"
		if key != "" {
			what = strconv.Quote(key)
		}
		if m[3] == "seq" || m[3] == "map" {
			return fmt.Sprintf("line %s: %s must be %s, not %s", m[1], what, describeGo(m[5]), describeYAML(m[3]))
		}
		return fmt.Sprintf("line %s: %s must be %s, not %s %s", m[1], what, describeGo(m[5]), describeYAML(m[3]), shorten(m[4]))
	}
	if m := badRe.FindStringSubmatch(msg); m != nil {
		if key := valueKey(root, atoi(m[1]), atoi(m[2]), "", ""); key != "" {
			return fmt.Sprintf("line %s: %q %s", m[1], key, m[3])
		}
		return "line " + m[1] + ": " + m[3]
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

// valueKey finds the dotted key of the value that starts on line: the one
// at column col when col is known, else the deepest scalar whose text is
// value (or the collection, for tag seq or map), else the deepest value on
// the line.
func valueKey(root *yaml.Node, line, col int, value, tag string) string {
	type cand struct {
		path  []string
		n     *yaml.Node
		depth int
	}
	var cands []cand
	var walk func(n *yaml.Node, prefix []string)
	visit := func(n *yaml.Node, p []string) {
		if n.Line == line {
			cands = append(cands, cand{p, n, len(p)})
		}
		walk(n, p)
	}
	walk = func(n *yaml.Node, prefix []string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				visit(c, append(prefix[:len(prefix):len(prefix)], fmt.Sprintf("[%d]", i)))
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				visit(v, append(prefix[:len(prefix):len(prefix)], k.Value))
			}
		}
	}
	walk(root, nil)
	best := -1
	score := func(c cand) int {
		s := c.depth
		if col > 0 && c.n.Column == col {
			s += 10000
		}
		if col == 0 && value != "" && c.n.Kind == yaml.ScalarNode && c.n.Value == value {
			s += 1000
		}
		switch {
		case col == 0 && tag == "seq" && c.n.Kind == yaml.SequenceNode,
			col == 0 && tag == "map" && c.n.Kind == yaml.MappingNode:
			s += 1000
		case c.n.Kind == yaml.MappingNode && col == 0:
			s -= 100 // a mapping is rarely the value at fault
		}
		return s
	}
	for i, c := range cands {
		if best < 0 || score(c) > score(cands[best]) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return joinPath(cands[best].path)
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

// A KeyHinter is a section that says more about a key it does not have
// than "unknown key": `webhook_disable_auth` in api: is salt-api's, and
// belongs in rest_cherrypy:. KeyHint returns "" for no hint.
type KeyHinter interface {
	KeyHint(key string) string
}

var keyHinterType = reflect.TypeOf((*KeyHinter)(nil)).Elem()

// keyHint asks the struct type named typeName, if it is a KeyHinter,
// about key.
func keyHint(typeName, key string, info typeInfo) string {
	t, ok := info.hinters[typeName]
	if !ok {
		return ""
	}
	return reflect.New(t).Interface().(KeyHinter).KeyHint(key)
}

// typeInfo is what explain needs to know of the config's struct types, by
// yaml.v3's name for them ("master.Config"): their keys, and which are
// KeyHinters.
type typeInfo struct {
	keys    map[string][]string
	hinters map[string]reflect.Type
}

// knownKeys describes each struct type reachable from t.
func knownKeys(t reflect.Type) typeInfo {
	info := typeInfo{keys: map[string][]string{}, hinters: map[string]reflect.Type{}}
	out := info.keys
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
		keys := structKeys(t)
		sort.Strings(keys)
		out[name] = keys
		if reflect.PointerTo(t).Implements(keyHinterType) {
			info.hinters[name] = t
		}
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				visit(f.Type)
			}
		}
	}
	visit(t)
	return info
}

// yamlKey is the key of a struct field and whether it is inlined; "" for
// a field that is no key.
func yamlKey(f reflect.StructField) (key string, inline bool) {
	if !f.IsExported() {
		return "", false
	}
	parts := strings.Split(f.Tag.Get("yaml"), ",")
	if parts[0] == "-" {
		return "", false
	}
	for _, p := range parts[1:] {
		if p == "inline" {
			return "", true
		}
	}
	if parts[0] == "" {
		return strings.ToLower(f.Name), false
	}
	return parts[0], false
}

// structKeys are the keys of the struct type t, with those of its inlined
// structs.
func structKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, inline := yamlKey(f)
		switch {
		case inline:
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				keys = append(keys, structKeys(ft)...)
			}
		case key != "":
			keys = append(keys, key)
		}
	}
	return keys
}

// Suggest returns the known key nearest to key, if it is a near miss:
// the "did you mean" of an unknown key.
func Suggest(key string, known []string) string { return suggest(key, known) }

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

// Distance is the Levenshtein distance between a and b (for suggestions
// of near misses elsewhere, such as cloud provider names).
func Distance(a, b string) int { return distance(a, b) }

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
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return "" // the type checks its own values
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

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// fieldType is the type of the struct field whose yaml key is key,
// looking into inlined structs.
func fieldType(t reflect.Type, key string) reflect.Type {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		k, inline := yamlKey(f)
		if inline {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if x := fieldType(ft, key); x != nil {
					return x
				}
			}
			continue
		}
		if k == key {
			return f.Type
		}
	}
	return nil
}
