package render

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML stage. Salt loads SLS data with PyYAML (YAML 1.1): plain
// scalars such as yes/no/on/off are booleans, 0755 is 755 (Salt's loader
// strips leading zeros rather than reading octal), 1:30
// is a base-60 int, "<<" merges mappings; and its loader refuses duplicate
// keys. yaml.v3 parses; the scalars are resolved here the PyYAML way.
// Timestamps stay strings (PyYAML would build datetime objects).

// yconv converts yaml.v3 nodes into *Map/[]any/scalars.
type yconv struct {
	file   string
	lines  *lineMap
	budget int
	depth  int
}

const maxYAMLNodes = 5000000

// where maps a line of the YAML text to the template position.
func (c *yconv) where(line int) (string, int, string) {
	if c.lines == nil {
		return c.file, line, ""
	}
	note := fmt.Sprintf(" (rendered line %d)", line)
	if p, ok := c.lines.at(line); ok {
		f := p.file
		if f == "" {
			f = c.file
		}
		if f != c.file {
			note = fmt.Sprintf(" (rendered line %d, from %s line %d)", line, f, p.line)
			return c.file, 0, note
		}
		return f, p.line, note
	}
	return c.file, 0, note
}

func (c *yconv) errorf(line int, format string, args ...any) error {
	file, l, note := c.where(line)
	return &Error{File: file, Line: l, Stage: "yaml", Msg: fmt.Sprintf(format, args...) + note}
}

func (c *yconv) convert(n *yaml.Node) (any, error) {
	c.budget++
	if c.budget > maxYAMLNodes {
		return nil, c.errorf(n.Line, "document too large (alias expansion?)")
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 1000 {
		return nil, c.errorf(n.Line, "document nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0])
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errorf(n.Line, "unknown alias")
		}
		return c.convert(n.Alias)
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.SequenceNode:
		if explicitTag(n) && n.Tag != "!!seq" {
			return nil, c.errorf(n.Line, "could not determine a constructor for the tag %q", n.Tag)
		}
		out := make([]any, 0, len(n.Content))
		for _, it := range n.Content {
			v, err := c.convert(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if explicitTag(n) && n.Tag != "!!map" {
			return nil, c.errorf(n.Line, "could not determine a constructor for the tag %q", n.Tag)
		}
		return c.mapping(n)
	}
	return nil, c.errorf(n.Line, "unexpected YAML node")
}

func explicitTag(n *yaml.Node) bool { return n.Style&yaml.TaggedStyle != 0 }

func (c *yconv) mapping(n *yaml.Node) (*Map, error) {
	m := &Map{Keys: make([]string, 0, len(n.Content)/2), Values: make(map[string]any, len(n.Content)/2)}
	// merge keys: their pairs come first, explicit keys override them
	var merged []*Map
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.ScalarNode && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 && k.Value == "<<" && !explicitTag(k) {
			mv, err := c.mergeSources(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			merged = append(merged, mv...)
		}
	}
	var explicitKeys map[string]bool
	var seen map[string]int // explicit keys so far, when merges add others
	if len(merged) > 0 {
		seen = map[string]int{}
		explicitKeys = map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, ok := c.key(n.Content[i]); ok && !isMergeKey(n.Content[i]) {
				explicitKeys[k] = true
			}
		}
	}
	for _, src := range merged {
		for _, k := range src.Keys {
			if explicitKeys[k] {
				continue
			}
			if _, dup := m.Values[k]; dup {
				continue
			}
			m.Set(k, src.Values[k])
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if isMergeKey(kn) {
			continue
		}
		k, ok := c.key(kn)
		if !ok {
			return nil, c.errorf(kn.Line, "mapping keys must be scalars")
		}
		if _, exists := m.Values[k]; exists {
			// an explicit key twice is an error; over a merged one, it wins
			first, dup := 0, true
			if seen != nil {
				first, dup = seen[k]
			} else {
				first, _ = explicitLine(c, n, i, k)
			}
			if dup {
				_, fl, _ := c.where(first)
				_, sl, _ := c.where(kn.Line)
				if fl > 0 && sl > 0 {
					return nil, c.errorf(kn.Line, "conflicting ID %s: defined on line %d and again on line %d", pyQuote(k), fl, sl)
				}
				return nil, c.errorf(kn.Line, "conflicting ID %s: defined on rendered lines %d and %d", pyQuote(k), first, kn.Line)
			}
		}
		if seen != nil {
			seen[k] = kn.Line
		}
		v, err := c.convert(vn)
		if err != nil {
			return nil, err
		}
		if _, fromMerge := m.Values[k]; fromMerge {
			m.Values[k] = v
			continue
		}
		m.Set(k, v)
	}
	return m, nil
}

// explicitLine returns the line of an earlier explicit key k of mapping n
// (before pair i), if there is one.
func explicitLine(c *yconv, n *yaml.Node, i int, k string) (int, bool) {
	for j := 0; j < i; j += 2 {
		kj := n.Content[j]
		if isMergeKey(kj) {
			continue
		}
		if s, ok := c.key(kj); ok && s == k {
			return kj.Line, true
		}
	}
	return 0, false
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 && !explicitTag(k) && k.Value == "<<"
}

func (c *yconv) mergeSources(v *yaml.Node) ([]*Map, error) {
	val, err := c.convert(v)
	if err != nil {
		return nil, err
	}
	switch x := val.(type) {
	case *Map:
		return []*Map{x}, nil
	case []any:
		var out []*Map
		for _, e := range x {
			m, ok := e.(*Map)
			if !ok {
				return nil, c.errorf(v.Line, "expected a mapping for merging, but found %T", e)
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, c.errorf(v.Line, "expected a mapping or list of mappings for merging")
}

// key returns the string form of a mapping key: its text.
func (c *yconv) key(n *yaml.Node) (string, bool) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

func (c *yconv) scalar(n *yaml.Node) (any, error) {
	if explicitTag(n) {
		switch n.Tag {
		case "!!str":
			return n.Value, nil
		case "!!int":
			if v, ok := constructInt(n.Value); ok {
				return v, nil
			}
			return nil, c.errorf(n.Line, "invalid int %q", n.Value)
		case "!!float":
			if v, ok := constructFloat(n.Value); ok {
				return v, nil
			}
			return nil, c.errorf(n.Line, "invalid float %q", n.Value)
		case "!!bool":
			return constructBool(n.Value), nil
		case "!!null":
			return nil, nil
		case "!!binary":
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
			if err != nil {
				return nil, c.errorf(n.Line, "invalid binary data: %v", err)
			}
			return string(b), nil
		case "!!timestamp":
			return n.Value, nil
		}
		return nil, c.errorf(n.Line, "could not determine a constructor for the tag %q", n.Tag)
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return unicodeLiteral(n.Value), nil
	}
	v := resolveValue(n.Value)
	if s, ok := v.(string); ok {
		return unicodeLiteral(s), nil
	}
	return v, nil
}

var reUnicodeLiteral = regexp.MustCompile(`^[uU](['"])(.+)(['"])$`)

// unicodeLiteral undoes a Python 2 unicode literal written as a string
// (u'text'), as Salt's loader does (it evals them).
func unicodeLiteral(s string) string {
	m := reUnicodeLiteral.FindStringSubmatch(s)
	if m == nil || m[1] != m[3] {
		return s
	}
	r := strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`, `\n`, "\n", `\t`, "\t", `\r`, "\r")
	return r.Replace(m[2])
}

// resolveValue turns a plain scalar into its YAML 1.1 value.
func resolveValue(s string) any {
	switch resolvePlain(s) {
	case "null":
		return nil
	case "bool":
		return constructBool(s)
	case "int":
		if v, ok := constructInt(s); ok {
			return v
		}
	case "float":
		if v, ok := constructFloat(s); ok {
			return v
		}
	}
	return s
}

func constructBool(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "true", "on":
		return true
	}
	return false
}

func constructInt(s string) (any, bool) {
	// Salt's SaltYamlSafeLoader.construct_scalar strips the leading zeros
	// of an unsigned int that is not binary or hex, so "mode: 0644" reaches
	// the state as 644 and means what it says (plain PyYAML would read the
	// octal 420; a signed "-0644" still is).
	if strings.HasPrefix(s, "0") && !strings.HasPrefix(s, "0b") && !strings.HasPrefix(s, "0x") {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			s = "0"
		}
	}
	v := strings.ReplaceAll(s, "_", "")
	sign := 1
	if strings.HasPrefix(v, "-") {
		sign = -1
	}
	v = strings.TrimLeft(v, "+-")
	if v == "" {
		return nil, false
	}
	var n *big
	switch {
	case v == "0":
		return 0, true
	case strings.HasPrefix(v, "0b"):
		n = parseBig(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		n = parseBig(v[2:], 16)
	case v[0] == '0':
		n = parseBig(v, 8)
	case strings.Contains(v, ":"):
		total := 0.0
		base := 1.0
		parts := strings.Split(v, ":")
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := strconv.Atoi(parts[i])
			if err != nil {
				return nil, false
			}
			total += float64(d) * base
			base *= 60
		}
		if total <= math.MaxInt64 {
			return sign * int(total), true
		}
		return float64(sign) * total, true
	default:
		n = parseBig(v, 10)
	}
	if n == nil {
		return nil, false
	}
	if n.fits {
		return sign * n.i, true
	}
	return float64(sign) * n.f, true
}

type big struct {
	i    int
	f    float64
	fits bool
}

func parseBig(s string, base int) *big {
	if i, err := strconv.ParseInt(s, base, 64); err == nil {
		return &big{i: int(i), fits: true}
	} else if errors.Is(err, strconv.ErrRange) {
		f := 0.0
		for _, c := range s {
			d, err := strconv.ParseInt(string(c), base, 64)
			if err != nil {
				return nil
			}
			f = f*float64(base) + float64(d)
		}
		return &big{f: f}
	}
	return nil
}

func constructFloat(s string) (any, bool) {
	v := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if strings.HasPrefix(v, "-") {
		sign = -1
	}
	v = strings.TrimLeft(v, "+-")
	switch {
	case v == ".inf":
		return sign * math.Inf(1), true
	case v == ".nan":
		return math.NaN(), true
	case strings.Contains(v, ":"):
		total, base := 0.0, 1.0
		parts := strings.Split(v, ":")
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := strconv.ParseFloat(parts[i], 64)
			if err != nil {
				return nil, false
			}
			total += d * base
			base *= 60
		}
		return sign * total, true
	}
	if strings.HasSuffix(v, ".") {
		v += "0"
	}
	if strings.HasPrefix(v, ".") {
		v = "0" + v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, false
	}
	return sign * f, true
}

var reYAMLErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError maps a yaml.v3 error to an *Error.
func (c *yconv) yamlError(err error) error {
	msg := err.Error()
	if m := reYAMLErr.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return c.errorf(line, "%s", m[2])
	}
	return &Error{File: c.file, Stage: "yaml", Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// locate reports a YAML error at the line that causes it. yaml.v3 names
// the line where the enclosing block starts for errors such as "did not
// find expected key" (a bad indent further down); the offending line is
// the last line of the shortest prefix of text failing with the same
// message, found by bisection (only on the error path).
func (c *yconv) locate(text []byte, err error) error {
	m := reYAMLErr.FindStringSubmatch(err.Error())
	if m == nil || !strings.HasPrefix(m[2], "did not find expected") {
		return c.yamlError(err)
	}
	start, _ := strconv.Atoi(m[1])
	var ends []int // byte offset after each line
	for i, b := range text {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(text) {
		ends = append(ends, len(text))
	}
	same := func(n int) bool { // the first n lines fail the same way
		var doc yaml.Node
		e := yaml.NewDecoder(bytes.NewReader(text[:ends[n-1]])).Decode(&doc)
		if e == nil || errors.Is(e, io.EOF) {
			return false
		}
		mm := reYAMLErr.FindStringSubmatch(e.Error())
		return mm != nil && mm[2] == m[2]
	}
	lo, hi := start, len(ends) // same(hi) holds: the whole text fails so
	if lo < 1 {
		lo = 1
	}
	if lo > hi || !same(hi) {
		return c.yamlError(err)
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if same(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if hi == start {
		return c.yamlError(err)
	}
	return c.errorf(hi, "%s (in the block that starts on line %d)", m[2], c.templateLine(start))
}

// templateLine maps a rendered line to the template line it came from
// (itself when Jinja did not run).
func (c *yconv) templateLine(line int) int {
	if c.lines == nil {
		return line
	}
	if p, ok := c.lines.at(line); ok && (p.file == "" || p.file == c.file) {
		return p.line
	}
	return line
}

// decodeOne decodes the single document of text.
func (c *yconv) decodeOne(text []byte) (any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, c.locate(text, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, c.errorf(extra.Line, "expected a single document in the stream, but found another document")
	} else if !errors.Is(err, io.EOF) {
		return nil, c.yamlError(err)
	}
	return c.convert(&doc)
}

// parseSLSYAML is the YAML stage of an SLS file.
func parseSLSYAML(text []byte, name string, lines *lineMap) (*Map, error) {
	if len(text) > 4*yamlChunk {
		if m, ok := parseChunked(text, name, lines, yamlChunk); ok {
			return m, nil
		}
	}
	return parseWholeSLS(text, name, lines)
}

// parseWholeSLS parses text as one YAML document.
func parseWholeSLS(text []byte, name string, lines *lineMap) (*Map, error) {
	c := &yconv{file: name, lines: lines}
	v, err := c.decodeOne(text)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil:
		return NewMap(), nil
	case *Map:
		return x, nil
	}
	return nil, &Error{File: name, Stage: "yaml", Msg: fmt.Sprintf("SLS file must render to a mapping of IDs, not %s", typeNameGo(v))}
}

// yamlChunk is the size of the groups of top-level IDs parseChunked
// parses at a time.
const yamlChunk = 64 << 10

// parseChunked parses a big SLS a group of top-level IDs (of about
// chunkSize bytes, yamlChunk but in tests) at a time, so
// that yaml.v3's node tree (some 20 bytes per byte of text) exists for one
// group only. A group starts at a line holding a top-level key. ok is
// false when the text cannot be split this way (document markers,
// directives, complex keys, a top-level sequence) or a group does not
// convert on its own (an alias to an anchor of another group, a
// construct continued at column 0, an ID in two groups, any error): the
// caller then parses the whole text, which gives the same result, or the
// error a whole parse gives.
func parseChunked(text []byte, name string, lines *lineMap, chunkSize int) (*Map, bool) {
	c := &yconv{file: name, lines: lines}
	out := NewMap()
	flush := func(chunk []byte) bool {
		v, err := c.decodeOne(chunk)
		if err != nil {
			return false
		}
		switch m := v.(type) {
		case nil:
			return true // comments only
		case *Map:
			for _, k := range m.Keys {
				if _, dup := out.Values[k]; dup {
					return false
				}
				out.Set(k, m.Values[k])
			}
			return true
		}
		return false
	}
	start := 0
	for pos := 0; pos < len(text); {
		next := len(text)
		if i := bytes.IndexByte(text[pos:], '\n'); i >= 0 {
			next = pos + i + 1
		}
		line := text[pos:next]
		switch {
		case bytes.HasPrefix(line, []byte("---")), bytes.HasPrefix(line, []byte("...")),
			line[0] == '%', line[0] == '?':
			return nil, false
		case pos-start >= chunkSize && isTopLevelKey(line):
			if !flush(text[start:pos]) {
				return nil, false
			}
			start = pos
		}
		pos = next
	}
	if !flush(text[start:]) {
		return nil, false
	}
	return out, true
}

// isTopLevelKey reports whether line can start a top-level mapping entry:
// it starts at column 0 and is neither blank, a comment nor a sequence
// item.
func isTopLevelKey(line []byte) bool {
	switch line[0] {
	case ' ', '\t', '\r', '\n', '#':
		return false
	case '-':
		return len(line) > 1 && line[1] != ' ' && line[1] != '\t' && line[1] != '\r' && line[1] != '\n'
	}
	return true
}

func typeNameGo(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case int, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// loadYAML is Salt's load_yaml: text to template values.
func (st *state) loadYAML(s string) (any, error) {
	c := &yconv{file: "<load_yaml>"}
	v, err := c.decodeOne([]byte(s))
	if err != nil {
		var re *Error
		if errors.As(err, &re) {
			if re.Line > 0 {
				return nil, fmt.Errorf("YAML error at line %d: %s", re.Line, re.Msg)
			}
			return nil, fmt.Errorf("YAML error: %s", re.Msg)
		}
		return nil, err
	}
	return st.in(v), nil
}
