package target

import (
	"strings"
	"unicode"
)

func init() {
	register(Kind{Name: "list", Letter: 'L', Flags: []string{"-L", "--list"}}, compileListTarget)
}

// listMatcher matches minions whose id is exactly one of a set of ids.
type listMatcher map[string]struct{}

func (m listMatcher) Match(mi *Minion) bool {
	if mi == nil {
		return false
	}
	_, ok := m[mi.ID]
	return ok
}

// compileListTarget reads a list of ids separated by commas and/or white
// space ("a,b,c", "a, b, c"; Salt also accepts "a b c"). Empty items are
// ignored.
func compileListTarget(expr string) (Matcher, *Error) {
	ids := strings.FieldsFunc(expr, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(ids) == 0 {
		return nil, errorf(-1, "empty list: expected minion ids separated by commas")
	}
	m := make(listMatcher, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m, nil
}
