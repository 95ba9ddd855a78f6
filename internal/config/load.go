package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Doc is a config file with its drop-ins, merged as Salt merges them. It
// knows where each key came from, so that an error found after decoding
// (PathError) names the file and line of the key at fault.
type Doc struct {
	merged *yaml.Node // the merged top-level mapping; nil for no settings
	origin map[*yaml.Node]string
	// Files are the files read, the config file first.
	Files []string
	// Custom are the top-level keys that are no setting: Salt's custom
	// options, which templates read through opts and config.get.
	Custom map[string]any
}

// Load reads the config file path (a missing one is an error only when
// required) and the drop-ins the glob dropIns names beside it
// ("master.d/*.conf", relative to path's directory), merges them as Salt
// does, and decodes the result into v, a pointer to a struct with yaml
// tags, strictly: an unknown key, a value of the wrong kind or a syntax
// error is an error naming the file, the line and the key.
//
// Salt's merge: the drop-ins are read in name order, each merged
// recursively into those before it (mappings key by key, lists appended
// without duplicates); then each top-level key of the drop-ins replaces the
// config file's.
//
// A top-level key that is no field of v is a custom option (Doc.Custom),
// unless it is a near miss of one ("file_root"), which is an error with a
// suggestion. Keys that name a setting but are not fields of v (a Salt
// alias handled by the caller) belong in v as fields too.
func Load(path string, required bool, dropIns string, v any) (*Doc, error) {
	if path == "" {
		return parse(nil, "", v)
	}
	var files []Source
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !required:
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	default:
		files = append(files, Source{Name: path, Data: data})
	}
	if dropIns != "" {
		matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), dropIns))
		if err != nil {
			return nil, fmt.Errorf("config drop-ins %s: %w", dropIns, err)
		}
		sort.Strings(matches)
		for _, f := range matches {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			files = append(files, Source{Name: f, Data: data, DropIn: true})
		}
	}
	return parse(files, dropIns, v)
}

// Source is one config file's text.
type Source struct {
	Name string
	Data []byte
	// DropIn marks a drop-in (master.d/*.conf); drop-ins follow the
	// config file, in name order.
	DropIn bool
}

// Parse is Load on files already read.
func Parse(v any, files ...Source) (*Doc, error) { return parse(files, "", v) }

func parse(files []Source, dropIns string, v any) (*Doc, error) {
	d := &Doc{origin: map[*yaml.Node]string{}, Custom: map[string]any{}}
	var errs []string
	var base *yaml.Node
	acc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range files {
		root, msgs := d.check(f.Name, f.Data, v)
		errs = append(errs, msgs...)
		switch {
		case root == nil:
		case f.DropIn:
			update(acc, root)
		case base == nil:
			base = root
		default:
			return nil, fmt.Errorf("config: %s and %s are both main config files", d.Files[0], f.Name)
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if len(acc.Content) > 0 {
		merged := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if base != nil {
			merged.Content = append(merged.Content, base.Content...)
		}
		for i := 0; i+1 < len(acc.Content); i += 2 {
			set(merged, acc.Content[i], acc.Content[i+1])
		}
		base = merged
	}
	if base == nil {
		return d, nil
	}
	d.merged = base
	known := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	fields := topKeys(reflect.TypeOf(v))
	for i := 0; i+1 < len(d.merged.Content); i += 2 {
		k, val := d.merged.Content[i], d.merged.Content[i+1]
		if fields[k.Value] {
			known.Content = append(known.Content, k, val)
			continue
		}
		var x any
		if err := val.Decode(&x); err != nil {
			return nil, d.Errorf([]any{k.Value}, "%v", err)
		}
		d.Custom[k.Value] = x
	}
	for _, k := range []string{"include", "default_include"} {
		if _, ok := d.Custom[k]; ok && dropIns != "" {
			return nil, d.Errorf([]any{k}, "Salt's %s is not supported: put the files in %s beside the config file", k, dropIns)
		}
	}
	if err := known.Decode(v); err != nil {
		// Each file decoded on its own, so only a check across keys of a
		// section (a schedule entry given seconds by one drop-in and cron
		// by another) fails here.
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %w", strings.Join(d.Files, ", "), err)
		}
		msgs := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			msgs = append(msgs, merged(e, d))
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	return d, nil
}

// merged names the file of an error found in the merged document: yaml.v3
// gives only a line, which is the line in whichever file the value came
// from.
func merged(msg string, d *Doc) string {
	m := lineRe.FindStringSubmatch(msg)
	if m == nil {
		return strings.Join(d.Files, ", ") + ": " + msg
	}
	var files []string
	line := atoi(m[1])
	for n, f := range d.origin {
		if n.Line == line && !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		files = d.Files
	}
	return fmt.Sprintf("%s line %s (merged with the drop-ins): %s", strings.Join(files, " or "), m[1], m[2])
}

// check parses one file, records where its nodes come from and decodes it
// on its own into a fresh value of v's type, to report its errors with its
// name and lines. It returns the file's top-level mapping (nil for a file
// without settings) and the errors.
func (d *Doc) check(file string, data []byte, v any) (*yaml.Node, []string) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	d.Files = append(d.Files, file)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, []string{fmt.Sprintf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 { // only comments
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, []string{fmt.Sprintf("%s line %d: the file must be a mapping of settings (key: value)", file, root.Line)}
	}
	markOrigin(root, file, d.origin)

	// Strict decoding of the known keys; the others land in Extra.
	t := reflect.TypeOf(v).Elem()
	wrapper := reflect.StructOf([]reflect.StructField{
		{Name: "Config", Type: t, Tag: `yaml:",inline"`},
		{Name: "Extra", Type: reflect.TypeOf(map[string]any{}), Tag: `yaml:",inline"`},
	})
	w := reflect.New(wrapper)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(w.Interface())
	var msgs []string
	if err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, []string{fmt.Sprintf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))}
		}
		keys := knownKeys(reflect.TypeOf(v))
		for _, e := range te.Errors {
			msgs = append(msgs, file+" "+explain(e, &doc, keys))
		}
	} else if m := fractions(&doc, t, nil); m != "" {
		msgs = append(msgs, file+" "+m)
	}
	// Near misses among the keys that are no setting.
	fields := topKeys(reflect.TypeOf(v))
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if fields[k.Value] {
			continue
		}
		if SaltSetting(k.Value) {
			continue // Salt's own, not a typo: a custom option
		}
		if s := nearMiss(k.Value, names); s != "" {
			msgs = append(msgs, fmt.Sprintf("%s line %d: unknown key %q (did you mean %q?)", file, k.Line, k.Value, s))
		}
	}
	return root, msgs
}

func markOrigin(n *yaml.Node, file string, origin map[*yaml.Node]string) {
	origin[n] = file
	for _, c := range n.Content {
		markOrigin(c, file, origin)
	}
}

// update merges the mapping src into the mapping dst as Salt's
// dictupdate.update(dst, src, recursive_update=True, merge_lists=True):
// mappings key by key, lists appended with the items dst lacks, anything
// else replaced. Nodes of dst are copied before they change, so the files'
// own trees stay as read.
func update(dst, src *yaml.Node) {
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, v := src.Content[i], resolve(src.Content[i+1])
		j := find(dst, k.Value)
		if j < 0 {
			dst.Content = append(dst.Content, k, src.Content[i+1])
			continue
		}
		old := resolve(dst.Content[j+1])
		switch {
		case old.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
			merged := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: old.Line, Column: old.Column}
			merged.Content = append(merged.Content, old.Content...)
			update(merged, v)
			dst.Content[j+1] = merged
		case old.Kind == yaml.SequenceNode && v.Kind == yaml.SequenceNode:
			merged := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: old.Line, Column: old.Column}
			merged.Content = append(merged.Content, old.Content...)
			for _, item := range v.Content {
				if !containsValue(merged.Content, item) {
					merged.Content = append(merged.Content, item)
				}
			}
			dst.Content[j+1] = merged
		default:
			dst.Content[j], dst.Content[j+1] = k, src.Content[i+1]
		}
	}
}

// set replaces (or adds) key k of the mapping m.
func set(m, k, v *yaml.Node) {
	if j := find(m, k.Value); j >= 0 {
		m.Content[j], m.Content[j+1] = k, v
		return
	}
	m.Content = append(m.Content, k, v)
}

func find(m *yaml.Node, key string) int {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return j
		}
	}
	return -1
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func containsValue(list []*yaml.Node, item *yaml.Node) bool {
	var want any
	if item.Decode(&want) != nil {
		return false
	}
	for _, n := range list {
		var got any
		if n.Decode(&got) == nil && reflect.DeepEqual(got, want) {
			return true
		}
	}
	return false
}

// topKeys are the top-level keys of the struct *T.
func topKeys(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := map[string]bool{}
	for _, k := range structKeys(t) {
		out[k] = true
	}
	return out
}

// nearMiss is the setting key is a near miss of, if any: stricter than the
// suggestion for a key that is an error anyway, since a key that is no near
// miss is a custom option.
func nearMiss(key string, known []string) string {
	limit := 1
	if len([]rune(key)) > 5 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, k := range known {
		if d := osaDistance(strings.ToLower(key), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// osaDistance is the optimal string alignment distance: Levenshtein with
// the swap of two neighbours ("lsiten") as one edit.
func osaDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// A PathError is a bad value found after decoding (a check across keys, a
// value out of range), at a key path: map keys as strings, list indexes as
// ints ("api", "hooks", 0, "auth"). Doc.Locate turns it into an error
// naming the file and line.
type PathError struct {
	Path []any
	Msg  string
}

func (e *PathError) Error() string {
	if len(e.Path) == 0 {
		return e.Msg
	}
	return PathString(e.Path) + ": " + e.Msg
}

// Errorf makes a PathError.
func Errorf(path []any, format string, args ...any) error {
	return &PathError{Path: append([]any(nil), path...), Msg: fmt.Sprintf(format, args...)}
}

// PathString writes a key path as the user reads it: api.hooks[0].auth.
func PathString(path []any) string {
	var b strings.Builder
	for i, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, p)
		}
	}
	return b.String()
}

// Errorf is a PathError located in the document.
func (d *Doc) Errorf(path []any, format string, args ...any) error {
	return d.Locate(Errorf(path, format, args...))
}

// Locate prefixes err with the file and line of the key it is about, when
// it is (or wraps) a PathError whose key, or a key above it, is in the
// document; other errors come back as they are.
func (d *Doc) Locate(err error) error {
	var pe *PathError
	if err == nil || d == nil || !errors.As(err, &pe) {
		return err
	}
	file, line := d.Where(pe.Path)
	if line == 0 {
		if len(d.Files) > 0 {
			return fmt.Errorf("%s: %w", d.Files[0], err)
		}
		return err
	}
	return fmt.Errorf("%s line %d: %w", file, line, err)
}

// Where is the file and line of the deepest key of path in the merged
// document (0 when not even the first key is there).
func (d *Doc) Where(path []any) (file string, line int) {
	if d == nil || d.merged == nil {
		return "", 0
	}
	n := d.merged
	for _, p := range path {
		n = resolve(n)
		var next, at *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				if j := find(n, p); j >= 0 {
					at, next = n.Content[j], n.Content[j+1]
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p >= 0 && p < len(n.Content) {
				at, next = n.Content[p], n.Content[p]
			}
		}
		if at == nil {
			break
		}
		if f, ok := d.origin[at]; ok {
			file, line = f, at.Line
		}
		n = next
	}
	return file, line
}

// Has says whether the top-level key is set in the document.
func (d *Doc) Has(key string) bool {
	return d != nil && d.merged != nil && find(d.merged, key) >= 0
}

//go:embed salt_settings.txt
var saltSettingsText string

// saltSettings are the names in salt_settings.txt.
var saltSettings = func() map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(saltSettingsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out
}()

// SaltSetting says whether key is one of SaltStack's own master, minion or
// salt-api settings.
func SaltSetting(key string) bool { return saltSettings[key] }

// SaltSettings are the custom options that are Salt settings Brine does
// not implement (Salt's pillar_opts, worker_threads, ...), sorted: the
// loader keeps them as custom options, the caller warns that they do
// nothing else.
func (d *Doc) SaltSettings() []string {
	var keys []string
	for _, k := range d.CustomKeys() {
		if SaltSetting(k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// CustomKeys are the custom options' names, sorted.
func (d *Doc) CustomKeys() []string {
	keys := make([]string, 0, len(d.Custom))
	for k := range d.Custom {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
