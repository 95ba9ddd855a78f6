package reactor

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/render"
)

// Reaction types.
const (
	TypeLocal  = "local"
	TypeRunner = "runner"
	TypeWheel  = "wheel"
	TypeCaller = "caller"
)

// Reaction is one reaction of a rendered reactor file, normalised.
type Reaction struct {
	// ID is the reaction's ID in the file.
	ID string
	// Type is local, runner, wheel or caller.
	Type string
	// Fun is the function ("state.sls", "cloud.create", "key.accept").
	Fun string
	// Tgt and TgtType are the target of a local reaction (TgtType
	// defaults to "glob").
	Tgt, TgtType string
	// Arg and Kwarg are the function's arguments: plain Go values.
	Arg   []any
	Kwarg map[string]any
	// If is the expr-lang condition over tag and data; empty means always.
	If string
	// Warnings are parts of the reaction that were ignored, as Salt
	// ignores them.
	Warnings []string
}

// Name returns "<type>.<fun>", as the reaction was written.
func (r *Reaction) Name() string { return r.Type + "." + r.Fun }

var funRe = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$`)

// publishOptions are LocalClient options Salt accepts in a local reaction
// and Brine ignores.
var publishOptions = map[string]bool{
	"ret": true, "timeout": true, "jid": true, "metadata": true, "listen": true,
	"full_return": true, "queue": true, "batch": true,
}

// ParseReactions reads the reactions of a rendered reactor file, in
// declaration order. An empty or nil map has none. Any structural error
// fails the whole file: a file is run entirely or not at all.
func ParseReactions(high *render.Map) ([]Reaction, error) {
	if high == nil {
		return nil, nil
	}
	var out []Reaction
	for _, id := range high.Keys {
		v, _ := high.Get(id)
		body, ok := asMap(v)
		if !ok {
			return nil, fmt.Errorf("reaction %q: want a mapping of reaction type to a list of arguments, got %s", id, typeName(v))
		}
		var cond []string
		if c, ok := body.Get("if"); ok {
			s, err := condString(c)
			if err != nil {
				return nil, fmt.Errorf("reaction %q: %w", id, err)
			}
			cond = append(cond, s)
		}
		n := 0
		for _, key := range body.Keys {
			if key == "if" {
				continue
			}
			items, _ := body.Get(key)
			r, err := parseOne(id, key, items, cond)
			if err != nil {
				return nil, fmt.Errorf("reaction %q: %w", id, err)
			}
			out = append(out, r)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("reaction %q: no reaction type (%s.*)", id, strings.Join(typeNames(), ".*, "))
		}
	}
	return out, nil
}

// parseOne reads one "<type>.<fun>: [items]" declaration.
func parseOne(id, key string, items any, cond []string) (Reaction, error) {
	r := Reaction{ID: id}
	typ, fun, _ := strings.Cut(key, ".")
	t, ok := lookupType(typ)
	if !ok {
		return r, fmt.Errorf("unknown reaction type %q (want %s)", key, orList(typeNames()))
	}
	r.Type = t.Name
	var list []any
	switch x := items.(type) {
	case nil:
	case []any:
		list = x
	default:
		if _, ok := asMap(items); ok {
			return r, fmt.Errorf("%s: want a list of arguments (- tgt: ...), got a mapping", key)
		}
		return r, fmt.Errorf("%s: want a list of arguments, got %s", key, typeName(items))
	}
	params := render.NewMap()
	funSet := fun != ""
	for i, it := range list {
		if s, ok := it.(string); ok {
			if funSet {
				return r, fmt.Errorf("%s: item %d: unexpected string %q (the function is already %q)", key, i, s, fun)
			}
			fun, funSet = s, true
			continue
		}
		m, ok := asMap(it)
		if !ok {
			return r, fmt.Errorf("%s: item %d: want a single-key mapping (- key: value), got %s", key, i, typeName(it))
		}
		for _, k := range m.Keys {
			v, _ := m.Get(k)
			params.Set(k, v)
		}
	}
	if v, ok := params.Get("fun"); ok {
		s, isStr := v.(string)
		if !isStr {
			return r, fmt.Errorf("%s: fun must be a string, got %s", key, typeName(v))
		}
		if funSet && s != fun {
			return r, fmt.Errorf("%s: function given twice (%q and fun: %q)", key, fun, s)
		}
		fun = s
		params.Delete("fun")
	}
	if !funRe.MatchString(fun) {
		if fun == "" {
			return r, fmt.Errorf("%s: no function (write %s.<module>.<function>)", key, r.Type)
		}
		return r, fmt.Errorf("%s: bad function name %q (want module.function)", key, fun)
	}
	r.Fun = fun
	if v, ok := params.Get("if"); ok {
		s, err := condString(v)
		if err != nil {
			return r, fmt.Errorf("%s: %w", key, err)
		}
		cond = append(slices.Clone(cond), s)
		params.Delete("if")
	}
	switch len(cond) {
	case 0:
	case 1:
		r.If = cond[0]
	default:
		r.If = "(" + strings.Join(cond, ") && (") + ")"
	}
	if err := r.fill(key, params); err != nil {
		return r, err
	}
	return r, nil
}

// fill sets target and arguments from the items.
func (r *Reaction) fill(key string, p *render.Map) error {
	take := func(k string) (any, bool) {
		v, ok := p.Get(k)
		if ok {
			p.Delete(k)
		}
		return v, ok
	}
	t, ok := lookupType(r.Type)
	if !ok {
		return fmt.Errorf("%s: unknown reaction type %q", key, r.Type)
	}
	if t.Fill != nil {
		if err := t.Fill(r, key, p); err != nil {
			return err
		}
	}
	if t.OnMinions {
		if _, ok := take("name"); ok {
			r.Warnings = append(r.Warnings, "name ignored")
		}
		for _, k := range slices.Clone(p.Keys) {
			if publishOptions[k] {
				take(k)
				r.Warnings = append(r.Warnings, k+" ignored")
			}
		}
	}
	pillar, hasPillar := take("pillar")
	r.Kwarg = map[string]any{}
	if args, ok := take("args"); ok {
		for _, k := range []string{"arg", "kwarg"} {
			if _, ok := take(k); ok {
				r.Warnings = append(r.Warnings, k+" ignored because args is present")
			}
		}
		for _, k := range p.Keys {
			r.Warnings = append(r.Warnings, k+" ignored because args is present")
		}
		list, isList := args.([]any)
		if t.PositionalArgs && isList && !allMaps(list) {
			r.Arg = plainList(list)
		} else {
			kw, err := repack(args)
			if err != nil {
				return fmt.Errorf("%s: args: %w", key, err)
			}
			r.Kwarg = kw
		}
	} else {
		if v, ok := take("arg"); ok {
			switch x := v.(type) {
			case nil:
			case []any:
				r.Arg = plainList(x)
			default:
				if _, isMap := asMap(v); isMap {
					return fmt.Errorf("%s: arg must be a list, got a mapping (use kwarg)", key)
				}
				r.Arg = []any{plain(v)}
			}
		}
		var explicit map[string]any
		if v, ok := take("kwarg"); ok && v != nil {
			m, isMap := asMap(v)
			if !isMap {
				return fmt.Errorf("%s: kwarg must be a mapping, got %s", key, typeName(v))
			}
			explicit = m.ToPlain()
		}
		for _, k := range p.Keys {
			v, _ := p.Get(k)
			r.Kwarg[k] = plain(v)
		}
		for k, v := range explicit {
			r.Kwarg[k] = v
		}
	}
	if hasPillar {
		if _, ok := r.Kwarg["pillar"]; !ok {
			r.Kwarg["pillar"] = plain(pillar)
		} else {
			r.Warnings = append(r.Warnings, "pillar item ignored: the keyword arguments already have pillar")
		}
	}
	if pv, ok := r.Kwarg["pillar"]; ok && pv != nil {
		if _, isMap := pv.(map[string]any); !isMap {
			return fmt.Errorf("%s: pillar must be a mapping, got %s", key, typeName(pv))
		}
	}
	if r.Arg == nil {
		r.Arg = []any{}
	}
	return nil
}

// repack turns Salt's new-style args (a list of {key: value}, or a
// mapping) into keyword arguments.
func repack(v any) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	if m, ok := asMap(v); ok {
		return m.ToPlain(), nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of {key: value}, got %s", typeName(v))
	}
	out := map[string]any{}
	for i, it := range list {
		m, ok := asMap(it)
		if !ok {
			return nil, fmt.Errorf("item %d: want a {key: value} mapping, got %s", i, typeName(it))
		}
		for _, k := range m.Keys {
			v, _ := m.Get(k)
			out[k] = plain(v)
		}
	}
	return out, nil
}

func allMaps(list []any) bool {
	for _, it := range list {
		if _, ok := asMap(it); !ok {
			return false
		}
	}
	return true
}

// condString reads an if: value.
func condString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return "", fmt.Errorf("if: empty expression")
		}
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("if: want an expression string, got %s", typeName(v))
}

// tgtString reads a target: a string, a list (joined with ',' for list
// targets) or a number (a numeric minion id).
func tgtString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return "", fmt.Errorf("empty")
		}
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("not a target: %v", x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, err := tgtString(e)
			if err != nil {
				return "", err
			}
			if _, isList := e.([]any); isList {
				return "", fmt.Errorf("nested list")
			}
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			return "", fmt.Errorf("empty list")
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("want a string, got %s", typeName(v))
}

// asMap accepts the mappings a render may produce.
func asMap(v any) (*render.Map, bool) {
	switch x := v.(type) {
	case *render.Map:
		if x == nil {
			return nil, false
		}
		return x, true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return &render.Map{Keys: keys, Values: x}, true
	}
	return nil, false
}

// plain converts rendered values to plain Go values (*render.Map to
// map[string]any), copying containers.
func plain(v any) any {
	switch x := v.(type) {
	case *render.Map:
		if x == nil {
			return nil
		}
		out := make(map[string]any, len(x.Keys))
		for _, k := range x.Keys {
			out[k] = plain(x.Values[k])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		return plainList(x)
	}
	return v
}

func plainList(l []any) []any {
	out := make([]any, len(l))
	for i, e := range l {
		out[i] = plain(e)
	}
	return out
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, float64:
		return "a number"
	case []any:
		return "a list"
	case *render.Map, map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
