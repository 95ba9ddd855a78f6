package target

import (
	"fmt"
	"sort"
	"strings"
)

// Nodegroups are Salt's nodegroups master setting: names standing for a
// compound expression ("G@roles:web and not N@canary") or a list of ids.
// `-N NAME` and `N@NAME` terms are expanded with Nodegroups.Expand before
// Compile, which sees only compound expressions: a nodegroup target that
// reaches Compile unexpanded (no master, no setting) is an error.
type Nodegroups map[string]any

func init() {
	register(Kind{Name: "nodegroup", Letter: 'N', Flags: []string{"-N", "--nodegroup"}}, func(expr string) (Matcher, *Error) {
		return nil, &Error{Msg: fmt.Sprintf("nodegroup %q is not defined: nodegroups come from the master's nodegroups setting", expr), Pos: -1}
	})
}

// maxNodegroupDepth bounds nodegroups that name nodegroups.
const maxNodegroupDepth = 16

// Expand resolves nodegroups in a target: a nodegroup target becomes the
// compound expression its group stands for, and every N@NAME term of a
// compound target becomes "( expansion )", as Salt's nodegroup_comp does.
// Other targets are returned unchanged.
func (g Nodegroups) Expand(kind, expr string) (string, string, error) {
	switch kind {
	case "nodegroup":
		e, err := g.group(strings.TrimSpace(expr), nil)
		if err != nil {
			return "", "", err
		}
		return "compound", e, nil
	case "compound":
		if !strings.Contains(expr, "N@") {
			return kind, expr, nil
		}
		e, err := g.expandWords(expr, nil)
		if err != nil {
			return "", "", err
		}
		return kind, e, nil
	}
	return kind, expr, nil
}

// group is the compound expression of nodegroup name; stack holds the
// groups being expanded, to refuse cycles.
func (g Nodegroups) group(name string, stack []string) (string, error) {
	for _, s := range stack {
		if s == name {
			return "", fmt.Errorf("nodegroup %q includes itself (%s -> %s)", name, strings.Join(stack, " -> "), name)
		}
	}
	if len(stack) >= maxNodegroupDepth {
		return "", fmt.Errorf("nodegroup %q: nodegroups nest deeper than %d", name, maxNodegroupDepth)
	}
	v, ok := g[name]
	if !ok {
		names := make([]string, 0, len(g))
		for n := range g {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return "", fmt.Errorf("nodegroup %q is not defined: the master's nodegroups setting is empty", name)
		}
		return "", fmt.Errorf("nodegroup %q is not defined (defined: %s)", name, strings.Join(names, ", "))
	}
	stack = append(stack, name)
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return "", fmt.Errorf("nodegroup %q is empty", name)
		}
		e, err := g.expandWords(x, stack)
		if err != nil {
			return "", err
		}
		return "( " + e + " )", nil
	case []any:
		ids := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok || strings.TrimSpace(s) == "" || strings.ContainsAny(s, ", \t") {
				return "", fmt.Errorf("nodegroup %q: list items must be minion ids, not %v", name, e)
			}
			ids = append(ids, s)
		}
		if len(ids) == 0 {
			return "", fmt.Errorf("nodegroup %q is an empty list", name)
		}
		return "L@" + strings.Join(ids, ","), nil
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		return Nodegroups{name: l}.group(name, nil)
	}
	return "", fmt.Errorf("nodegroup %q must be a compound expression or a list of ids, not %s", name, describe(v))
}

// describe names a config value's kind in YAML's terms.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "empty"
	case map[string]any, map[any]any:
		return "a mapping"
	case bool:
		return "true/false"
	case int, int64, float64, uint64:
		return "a number"
	}
	return fmt.Sprintf("%v", v)
}

// expandWords replaces each N@NAME word of a compound expression
// (parentheses attached or not) with its group's expansion.
func (g Nodegroups) expandWords(expr string, stack []string) (string, error) {
	words := strings.Fields(expr)
	for i, w := range words {
		core := strings.TrimLeft(w, "(")
		lead := w[:len(w)-len(core)]
		trimmed := strings.TrimRight(core, ")")
		trail := core[len(trimmed):]
		if !strings.HasPrefix(trimmed, "N@") {
			continue
		}
		e, err := g.group(trimmed[2:], stack)
		if err != nil {
			return "", err
		}
		words[i] = lead + e + trail
	}
	return strings.Join(words, " "), nil
}
