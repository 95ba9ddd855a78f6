package target

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/brine-cm/brine/internal/glob"
)

func init() {
	register(Kind{Name: "grain", Letter: 'G', Flags: []string{"-G", "--grain"}}, func(expr string) (Matcher, *Error) {
		return compileSubdict(expr, ":", false, false)
	})
	register(Kind{Name: "grain_pcre", Letter: 'P', Flags: []string{"-P", "--grain-pcre"}}, func(expr string) (Matcher, *Error) {
		return compileSubdict(expr, ":", true, false)
	})
}

// subdictMatcher implements the grain, grain_pcre, pillar and pillar_pcre
// kinds, following Salt's subdict_match.
//
// The expression "a:b:c" is split at the delimiter into parts. Every split
// point is tried: the parts before it are a key path into the data and the
// rest, joined again, is the value pattern. So "a:b:c" matches a == "b:c" as
// well as a.b == "c", and values that contain the delimiter (IPv6
// addresses, URLs) work without quoting. At each level the node reached
// matches when:
//
//   - it is a scalar whose string form matches the value pattern (numbers as
//     in JSON, booleans as "True"/"False" as Python prints them, or
//     "true"/"false" in any case; null as "None");
//   - it is a list and any element matches (dict elements as below, and also
//     as a sub-dict match of the remaining expression);
//   - it is a non-empty dict and the value pattern matches one of its keys.
//
// Key paths step through lists by index ("ipv4:0:10.*") or, as Salt does,
// into the first dict element of the list that has the key.
//
// Matching is case-sensitive, apart from the boolean forms. (Salt lower-cases
// both the value and the pattern; "G@os:ubuntu" matches "Ubuntu" there but
// not here.)
type subdictMatcher struct {
	pillar bool
	regex  bool
	expr   string // trimmed expression
	parts  []string
	starts []int // starts[i] is the offset of parts[i] in expr
	// values[i], i >= 1, matches expr[starts[i]:], the value when the key
	// path is parts[:i]. values[1] is compiled eagerly so that a bad
	// pattern is reported; the others on first use, since most key paths
	// never resolve and patterns may be long.
	values []valueSlot
}

type valueSlot struct {
	once sync.Once
	vm   valueMatcher // nil when this split's value does not compile
}

// compileSubdict compiles a key:value grain or pillar target with the given
// delimiter.
func compileSubdict(expr, delim string, regex, pillar bool) (Matcher, *Error) {
	s, off := trimSpace(expr)
	what := "grain"
	if pillar {
		what = "pillar"
	}
	if !strings.Contains(s, delim) {
		return nil, errorf(-1, "%s target must have the form key%svalue (missing %q)", what, delim, delim)
	}
	parts := strings.Split(s, delim)
	if parts[0] == "" {
		return nil, errorf(off, "missing %s name before %q", what, delim)
	}
	starts := make([]int, len(parts))
	for i := 1; i < len(parts); i++ {
		starts[i] = starts[i-1] + len(parts[i-1]) + len(delim)
	}
	m := &subdictMatcher{
		pillar: pillar,
		regex:  regex,
		expr:   s,
		parts:  parts,
		starts: starts,
		values: make([]valueSlot, len(parts)),
	}
	vm, err := compileValue(s[starts[1]:], regex)
	if err != nil {
		return nil, err.shift(off + starts[1])
	}
	m.values[1].once.Do(func() { m.values[1].vm = vm })
	return m, nil
}

func (m *subdictMatcher) Match(mi *Minion) bool {
	if mi == nil {
		return false
	}
	data := mi.Grains
	if m.pillar {
		data = mi.Pillar
	}
	if data == nil {
		return false
	}
	return m.walk(data, 0)
}

// walk descends from node along the key parts from parts[start] on and
// reports whether the node reached at some level matches the value made of
// the remaining parts. Every longer key path passes through the shorter ones,
// so one walk tries all split points.
func (m *subdictMatcher) walk(node any, start int) bool {
	for i := start + 1; i < len(m.parts); i++ {
		var found bool
		node, found = step(node, m.parts[i-1])
		if !found {
			return false
		}
		if m.matchNode(node, i) {
			return true
		}
	}
	return false
}

// matchNode matches a node found under the key path parts[:i] against the
// value expr[starts[i]:]. Sub-dicts of node need not be searched: walk goes
// on to the deeper split points.
func (m *subdictMatcher) matchNode(node any, i int) bool {
	switch v := node.(type) {
	case map[string]any:
		return m.matchKeys(v, i)
	case []any:
		for _, e := range v {
			if d, ok := e.(map[string]any); ok {
				// Salt's _dict_match on a list element: a key, or the
				// rest of the expression as a sub-dict match.
				if m.matchKeys(d, i) || m.walk(d, i) {
					return true
				}
				continue
			}
			if m.matchNode(e, i) {
				return true
			}
		}
		return false
	}
	vm := m.value(i)
	if vm == nil {
		return false
	}
	if b, ok := node.(bool); ok {
		return vm.matchBool(b)
	}
	return vm.matchString(scalarString(node))
}

// matchKeys reports whether the value pattern matches a key of d.
func (m *subdictMatcher) matchKeys(d map[string]any, i int) bool {
	if len(d) == 0 {
		return false
	}
	vm := m.value(i)
	if vm == nil {
		return false
	}
	for k := range d {
		if vm.matchString(k) {
			return true
		}
	}
	return false
}

// value returns the compiled value pattern expr[starts[i]:], or nil if it
// does not compile.
func (m *subdictMatcher) value(i int) valueMatcher {
	slot := &m.values[i]
	slot.once.Do(func() {
		if vm, err := compileValue(m.expr[m.starts[i]:], m.regex); err == nil {
			slot.vm = vm
		}
	})
	return slot.vm
}

// step looks key up in a dict, or in a list by index or, like Salt's
// traverse_dict_and_list, in the first dict element that has key.
func step(node any, key string) (any, bool) {
	switch n := node.(type) {
	case map[string]any:
		v, ok := n[key]
		return v, ok
	case []any:
		if idx, err := strconv.Atoi(key); err == nil {
			if idx < 0 {
				idx += len(n)
			}
			if idx >= 0 && idx < len(n) {
				return n[idx], true
			}
			return nil, false
		}
		for _, e := range n {
			if d, ok := e.(map[string]any); ok {
				if v, ok := d[key]; ok {
					return v, true
				}
			}
		}
	}
	return nil, false
}

// valueMatcher matches the string form of a grain or pillar value.
type valueMatcher interface {
	matchString(s string) bool
	matchBool(b bool) bool
}

func compileValue(pattern string, regex bool) (valueMatcher, *Error) {
	if regex {
		re, err := compileRegexp(pattern, false)
		if err != nil {
			return nil, err
		}
		folded, _ := compileRegexp(pattern, true)
		return regexValue{re: re, folded: folded}, nil
	}
	g, err := compileGlob(pattern)
	if err != nil {
		return nil, err
	}
	// Lower-casing can turn a valid class range into an invalid one
	// ("[Z-a]"); then only the "True"/"False" forms match.
	folded, _ := compileGlob(strings.ToLower(pattern))
	return globValue{g: g, folded: folded}, nil
}

// boolString is Python's str() of a bool, which is what Salt matches.
func boolString(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

type globValue struct{ g, folded *glob.Glob }

// matchString is case-insensitive, as Salt's subdict_match lower-cases
// both sides.
func (v globValue) matchString(s string) bool {
	return v.g.Match(s) || (v.folded != nil && v.folded.Match(strings.ToLower(s)))
}

func (v globValue) matchBool(b bool) bool {
	if v.g.Match(boolString(b)) {
		return true
	}
	lower := "false"
	if b {
		lower = "true"
	}
	return v.folded != nil && v.folded.Match(lower)
}

type regexValue struct{ re, folded *regexp.Regexp }

func (v regexValue) matchString(s string) bool {
	return v.re.MatchString(s) || (v.folded != nil && v.folded.MatchString(s))
}

func (v regexValue) matchBool(b bool) bool {
	s := boolString(b)
	return v.re.MatchString(s) || (v.folded != nil && v.folded.MatchString(s))
}

// scalarString is the string a scalar value is matched as.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case nil:
		return "None"
	case json.Number:
		return string(x)
	case bool:
		return boolString(x)
	}
	return fmt.Sprint(v)
}

// formatFloat formats f as encoding/json does: integers without a fraction
// ("4", not "4.0"), exponents only for very large or small magnitudes.
func formatFloat(f float64, bits int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b := strconv.AppendFloat(nil, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}
