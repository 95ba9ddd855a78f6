package render

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"
)

// A port of the parts of PyYAML's emitter that yaml.safe_dump uses, so
// that Salt's yaml filter ({{ data|yaml }}, flow style by default) prints
// exactly what Salt prints: PyYAML's scalar styles, quoting, sorted keys,
// anchors for repeated containers and line folding at 80 columns.

const (
	yamlBestWidth  = 80
	yamlBestIndent = 2
)

// pyYAMLDump is yaml.safe_dump(v, default_flow_style=flow) ("None" flow
// style is not offered by the filter).
func (st *state) pyYAMLDump(v any, flow bool) (string, error) {
	return st.pyYAMLDumpStyle(v, &flow)
}

// pyYAMLDumpStyle is pyYAMLDump with PyYAML's default_flow_style: nil
// (None) writes collections of scalars in flow style, others in block.
func (st *state) pyYAMLDumpStyle(v any, flow *bool) (string, error) {
	return st.pyYAMLEmit(newEmitter(st), v, flow)
}

// pyYAMLEmit dumps v through the emitter e.
func (st *state) pyYAMLEmit(e *emitter, v any, flow *bool) (string, error) {
	e.flowDefault = flow
	n, err := e.represent(v, 0)
	if err != nil {
		return "", err
	}
	e.countAnchors(n)
	// document start is implicit; document end writes an indent
	e.node(n, true, false, false, false)
	e.writeIndent()
	if e.openEnded {
		e.writeIndicator("...", true, false, false)
		e.writeIndent()
	}
	return e.b.String(), nil
}

// ynode is a represented node, as PyYAML's representer builds them.
type ynode struct {
	kind     byte // 's' scalar, 'q' sequence, 'm' mapping
	value    string
	implicit [2]bool
	flow     bool
	items    []*ynode // sequence items, or key, value, key, value...
	id       uintptr  // container identity, for anchors
}

type emitter struct {
	st          *state
	b           strings.Builder
	column      int
	whitespace  bool
	indention   bool
	openEnded   bool
	indent      int // -1 is None
	indents     []int
	flowLevel   int
	flowDefault *bool
	// asciiOnly is PyYAML's allow_unicode=False: non-ASCII characters
	// are escaped in double quotes
	asciiOnly  bool
	anchors    map[uintptr]string
	seen       map[uintptr]int
	nodes      map[uintptr]*ynode
	emitted    map[uintptr]bool
	lastAnchor int
	count      int
}

func newEmitter(st *state) *emitter {
	return &emitter{st: st, whitespace: true, indention: true, indent: -1,
		anchors: map[uintptr]string{}, seen: map[uintptr]int{}, nodes: map[uintptr]*ynode{}, emitted: map[uintptr]bool{}}
}

var (
	reYBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reYFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reYInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reYNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reYTime  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// resolvePlain returns the YAML 1.1 tag PyYAML gives a plain scalar:
// "bool", "float", "int", "merge", "null", "timestamp", "value" or "str".
func resolvePlain(s string) string {
	if s == "" {
		return "null"
	}
	c := s[0]
	switch {
	case strings.IndexByte("yYnNtTfFoO", c) >= 0 && reYBool.MatchString(s):
		return "bool"
	}
	if strings.IndexByte("-+0123456789.", c) >= 0 && reYFloat.MatchString(s) {
		return "float"
	}
	if strings.IndexByte("-+0123456789", c) >= 0 && reYInt.MatchString(s) {
		return "int"
	}
	if s == "<<" {
		return "merge"
	}
	if strings.IndexByte("~nN", c) >= 0 && reYNull.MatchString(s) {
		return "null"
	}
	if c >= '0' && c <= '9' && reYTime.MatchString(s) {
		return "timestamp"
	}
	if s == "=" {
		return "value"
	}
	return "str"
}

func yamlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	v := strings.ToLower(pyFloat(f))
	if !strings.Contains(v, ".") && strings.Contains(v, "e") {
		v = strings.Replace(v, "e", ".0e", 1)
	}
	return v
}

func scalarNode(value string, plainOK bool) *ynode {
	return &ynode{kind: 's', value: value, implicit: [2]bool{plainOK, true}}
}

// represent is SafeRepresenter.represent_data.
func (e *emitter) represent(v any, depth int) (*ynode, error) {
	e.count++
	if depth > 500 || e.count > 10000000 {
		return nil, fmt.Errorf("data too deep or too large to serialize")
	}
	st := e.st
	switch x := st.norm(v).(type) {
	case nil:
		return scalarNode("null", true), nil
	case bool:
		if x {
			return scalarNode("true", true), nil
		}
		return scalarNode("false", true), nil
	case int:
		return scalarNode(fmt.Sprint(x), true), nil
	case float64:
		return scalarNode(yamlFloat(x), true), nil
	case string:
		return &ynode{kind: 's', value: x, implicit: [2]bool{resolvePlain(x) == "str", true}}, nil
	case *undefinedVal:
		return nil, x.err
	case map[string]any:
		id := reflect.ValueOf(x).Pointer()
		if n, ok := e.nodes[id]; ok {
			return n, nil
		}
		n := &ynode{kind: 'm', id: id}
		e.nodes[id] = n
		best := true
		for _, k := range sortedKeys(x) {
			kn, err := e.represent(k, depth+1)
			if err != nil {
				return nil, err
			}
			vn, err := e.represent(x[k], depth+1)
			if err != nil {
				return nil, err
			}
			if vn.kind != 's' {
				best = false
			}
			n.items = append(n.items, kn, vn)
		}
		n.flow = best
		if e.flowDefault != nil {
			n.flow = *e.flowDefault
		}
		return n, nil
	case *[]any, tuple:
		items, _ := listItems(x)
		var id uintptr
		if p, ok := x.(*[]any); ok {
			id = reflect.ValueOf(p).Pointer()
			if n, ok := e.nodes[id]; ok {
				return n, nil
			}
		}
		n := &ynode{kind: 'q', id: id}
		if id != 0 {
			e.nodes[id] = n
		}
		best := true
		for _, it := range items {
			in, err := e.represent(it, depth+1)
			if err != nil {
				return nil, err
			}
			if in.kind != 's' {
				best = false
			}
			n.items = append(n.items, in)
		}
		n.flow = best
		if e.flowDefault != nil {
			n.flow = *e.flowDefault
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot represent an object: %s", pyRepr(st, v))
}

// countAnchors is the serializer's anchor_node pass.
func (e *emitter) countAnchors(n *ynode) {
	if n.kind == 's' {
		return
	}
	if n.id != 0 {
		if e.seen[n.id] > 0 {
			if _, ok := e.anchors[n.id]; !ok {
				e.lastAnchor++
				e.anchors[n.id] = fmt.Sprintf("id%03d", e.lastAnchor)
			}
			e.seen[n.id]++
			return
		}
		e.seen[n.id]++
	}
	for _, it := range n.items {
		e.countAnchors(it)
	}
}

func (e *emitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = yamlBestIndent
		} else {
			e.indent = 0
		}
	} else if !indentless {
		e.indent += yamlBestIndent
	}
}

func (e *emitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *emitter) write(s string) {
	e.b.WriteString(s)
	e.column += utf8.RuneCountInString(s)
}

func (e *emitter) writeIndicator(ind string, needWhitespace, whitespace, indention bool) {
	data := ind
	if !e.whitespace && needWhitespace {
		data = " " + ind
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.openEnded = false
	e.write(data)
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.writeLineBreak("\n")
	}
	if e.column < indent {
		e.whitespace = true
		e.write(strings.Repeat(" ", indent-e.column))
	}
}

func (e *emitter) writeLineBreak(br string) {
	e.whitespace = true
	e.indention = true
	e.b.WriteString(br)
	e.column = 0
}

// node is expect_node.
func (e *emitter) node(n *ynode, root, sequence, mapping, simpleKey bool) {
	if n.id != 0 && e.emitted[n.id] {
		if a, ok := e.anchors[n.id]; ok {
			e.writeIndicator("*"+a, true, false, false)
			return
		}
	}
	if n.id != 0 {
		e.emitted[n.id] = true
		if a, ok := e.anchors[n.id]; ok {
			e.writeIndicator("&"+a, true, false, false)
		}
	}
	switch n.kind {
	case 's':
		e.increaseIndent(true, false)
		e.scalar(n, root, simpleKey)
		e.popIndent()
	case 'q':
		if e.flowLevel > 0 || n.flow || len(n.items) == 0 {
			e.flowSequence(n)
		} else {
			e.blockSequence(n, mapping)
		}
	case 'm':
		if e.flowLevel > 0 || n.flow || len(n.items) == 0 {
			e.flowMapping(n)
		} else {
			e.blockMapping(n)
		}
	}
}

func (e *emitter) flowSequence(n *ynode) {
	e.writeIndicator("[", true, true, false)
	e.flowLevel++
	e.increaseIndent(true, false)
	for i, it := range n.items {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > yamlBestWidth {
			e.writeIndent()
		}
		e.node(it, false, true, false, false)
	}
	e.popIndent()
	e.flowLevel--
	e.writeIndicator("]", false, false, false)
}

func (e *emitter) flowMapping(n *ynode) {
	e.writeIndicator("{", true, true, false)
	e.flowLevel++
	e.increaseIndent(true, false)
	for i := 0; i < len(n.items); i += 2 {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > yamlBestWidth {
			e.writeIndent()
		}
		k, v := n.items[i], n.items[i+1]
		if e.simpleKey(k) {
			e.node(k, false, false, true, true)
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, false)
			e.node(k, false, false, true, false)
			if e.column > yamlBestWidth {
				e.writeIndent()
			}
			e.writeIndicator(":", true, false, false)
		}
		e.node(v, false, false, true, false)
	}
	e.popIndent()
	e.flowLevel--
	e.writeIndicator("}", false, false, false)
}

func (e *emitter) blockSequence(n *ynode, mapping bool) {
	indentless := mapping && !e.indention
	e.increaseIndent(false, indentless)
	for _, it := range n.items {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.node(it, false, true, false, false)
	}
	e.popIndent()
}

func (e *emitter) blockMapping(n *ynode) {
	e.increaseIndent(false, false)
	for i := 0; i < len(n.items); i += 2 {
		k, v := n.items[i], n.items[i+1]
		e.writeIndent()
		if e.simpleKey(k) {
			e.node(k, false, false, true, true)
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.node(k, false, false, true, false)
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
		}
		e.node(v, false, false, true, false)
	}
	e.popIndent()
}

func (e *emitter) simpleKey(k *ynode) bool {
	length := 0
	if k.id != 0 {
		if a, ok := e.anchors[k.id]; ok {
			length += len(a)
		}
	}
	switch k.kind {
	case 's':
		a := analyzeScalar(k.value, e.asciiOnly)
		length += utf8.RuneCountInString(k.value)
		return length < 128 && !a.empty && !a.multiline
	default:
		return length < 128 && len(k.items) == 0
	}
}

type scalarAnalysis struct {
	empty, multiline                                    bool
	flowPlain, blockPlain, singleQuoted, allowBlockText bool
}

func isBreak(r rune) bool { return r == '\n' || r == '\x85' || r == '\u2028' || r == '\u2029' }

func isSpaceOrBreakOrNul(r rune) bool {
	return r == 0 || r == ' ' || r == '\t' || r == '\r' || isBreak(r)
}

// analyzeScalar is Emitter.analyze_scalar (allow_unicode=!asciiOnly).
func analyzeScalar(s string, asciiOnly bool) scalarAnalysis {
	if s == "" {
		return scalarAnalysis{empty: true, blockPlain: true, singleQuoted: true}
	}
	runes := []rune(s)
	var blockInd, flowInd, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd, flowInd = true, true
	}
	precededByWS := true
	followedByWS := len(runes) == 1 || isSpaceOrBreakOrNul(runes[1])
	prevSpace, prevBreak := false, false
	for i, ch := range runes {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				flowInd, blockInd = true, true
			}
			if ch == '?' || ch == ':' {
				flowInd = true
				if followedByWS {
					blockInd = true
				}
			}
			if ch == '-' && followedByWS {
				flowInd, blockInd = true, true
			}
		} else {
			if strings.ContainsRune(",?[]{}", ch) {
				flowInd = true
			}
			if ch == ':' {
				flowInd = true
				if followedByWS {
					blockInd = true
				}
			}
			if ch == '#' && precededByWS {
				flowInd, blockInd = true, true
			}
		}
		if isBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || (ch >= 0x20 && ch <= 0x7e)) {
			if (ch == 0x85 || (ch >= 0xa0 && ch <= 0xd7ff) || (ch >= 0xe000 && ch <= 0xfffd) ||
				(ch >= 0x10000 && ch < 0x10ffff)) && ch != 0xfeff && !asciiOnly {
				// unicode characters are allowed
			} else {
				special = true
			}
		}
		switch {
		case ch == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i == len(runes)-1 {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(ch):
			if i == 0 {
				leadingBreak = true
			}
			if i == len(runes)-1 {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWS = isSpaceOrBreakOrNul(ch)
		followedByWS = i+2 >= len(runes) || isSpaceOrBreakOrNul(runes[i+2])
	}
	a := scalarAnalysis{multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, allowBlockText: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlain, a.blockPlain = false, false
	}
	if trailingSpace {
		a.allowBlockText = false
	}
	if breakSpace {
		a.flowPlain, a.blockPlain, a.singleQuoted = false, false, false
	}
	if spaceBreak || special {
		a.flowPlain, a.blockPlain, a.singleQuoted, a.allowBlockText = false, false, false, false
	}
	if lineBreaks {
		a.flowPlain, a.blockPlain = false, false
	}
	if flowInd {
		a.flowPlain = false
	}
	if blockInd {
		a.blockPlain = false
	}
	return a
}

func (e *emitter) scalar(n *ynode, root, simpleKey bool) {
	a := analyzeScalar(n.value, e.asciiOnly)
	style := byte('"')
	switch {
	case n.implicit[0] && !(simpleKey && (a.empty || a.multiline)) &&
		((e.flowLevel > 0 && a.flowPlain) || (e.flowLevel == 0 && a.blockPlain)):
		style = 0
	case a.singleQuoted && !(simpleKey && a.multiline):
		style = '\''
	}
	split := !simpleKey
	switch style {
	case '"':
		e.writeDoubleQuoted(n.value, split)
	case '\'':
		e.writeSingleQuoted(n.value, split)
	default:
		e.writePlain(n.value, split, root)
	}
}

func (e *emitter) writePlain(text string, split, root bool) {
	if root {
		e.openEnded = true
	}
	if text == "" {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	runes := []rune(text)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(runes); end++ {
		var ch rune = -1
		if end < len(runes) {
			ch = runes[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > yamlBestWidth && split {
					e.writeIndent()
					e.whitespace, e.indention = false, false
				} else {
					e.write(string(runes[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !isBreak(ch) {
				if runes[start] == '\n' {
					e.writeLineBreak("\n")
				}
				for _, br := range runes[start:end] {
					e.writeLineBreak(string(br))
				}
				e.writeIndent()
				e.whitespace, e.indention = false, false
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) {
				e.write(string(runes[start:end]))
				start = end
			}
		}
		if ch != -1 {
			spaces = ch == ' '
			breaks = isBreak(ch)
		}
	}
}

func (e *emitter) writeSingleQuoted(text string, split bool) {
	e.writeIndicator("'", true, false, false)
	runes := []rune(text)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(runes); end++ {
		var ch rune = -1
		if end < len(runes) {
			ch = runes[end]
		}
		switch {
		case spaces:
			if ch == -1 || ch != ' ' {
				if start+1 == end && e.column > yamlBestWidth && split && start != 0 && end != len(runes) {
					e.writeIndent()
				} else {
					e.write(string(runes[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !isBreak(ch) {
				if runes[start] == '\n' {
					e.writeLineBreak("\n")
				}
				for _, br := range runes[start:end] {
					e.writeLineBreak(string(br))
				}
				e.writeIndent()
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) || ch == '\'' {
				if start < end {
					e.write(string(runes[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			e.write("''")
			start = end + 1
		}
		if ch != -1 {
			spaces = ch == ' '
			breaks = isBreak(ch)
		}
	}
	e.writeIndicator("'", false, false, false)
}

var yamlEscapes = map[rune]string{
	0: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0a: "n", 0x0b: "v", 0x0c: "f", 0x0d: "r",
	0x1b: "e", '"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_", 0x2028: "L", 0x2029: "P",
}

func (e *emitter) writeDoubleQuoted(text string, split bool) {
	e.writeIndicator("\"", true, false, false)
	runes := []rune(text)
	start := 0
	for end := 0; end <= len(runes); end++ {
		var ch rune = -1
		if end < len(runes) {
			ch = runes[end]
		}
		if ch == -1 || strings.ContainsRune("\"\\\x85\u2028\u2029\ufeff", ch) ||
			!((ch >= 0x20 && ch <= 0x7e) || (!e.asciiOnly && ((ch >= 0xa0 && ch <= 0xd7ff) || (ch >= 0xe000 && ch <= 0xfffd)))) {
			if start < end {
				e.write(string(runes[start:end]))
				start = end
			}
			if ch != -1 {
				var data string
				if r, ok := yamlEscapes[ch]; ok {
					data = "\\" + r
				} else if ch <= 0xff {
					data = fmt.Sprintf("\\x%02X", ch)
				} else if ch <= 0xffff {
					data = fmt.Sprintf("\\u%04X", ch)
				} else {
					data = fmt.Sprintf("\\U%08X", ch)
				}
				e.write(data)
				start = end + 1
			}
		}
		if end > 0 && end < len(runes)-1 && (ch == ' ' || start >= end) &&
			e.column+(end-start) > yamlBestWidth && split {
			// Python's text[start:end] is empty when an escape
			// just moved start past end
			data := "\\"
			if start < end {
				data = string(runes[start:end]) + data
				start = end
			}
			e.write(data)
			e.writeIndent()
			e.whitespace, e.indention = false, false
			if runes[start] == ' ' {
				e.write("\\")
			}
		}
	}
	e.writeIndicator("\"", false, false, false)
}
