package modules

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/render"
)

// The slsutil module: helpers for SLS files, as Salt's salt.modules.slsutil.

func init() {
	Register("slsutil.update", `Return dest updated with upd, as Salt's dictupdate.update: nested mappings are merged recursively (recursive_update, default true); lists are replaced, or with merge_lists=True extended with the new items.

CLI Example:

    ctl '*' slsutil.update '{foo: Foo}' '{bar: Bar}'`, slsutilUpdate)
	Register("slsutil.merge", `Merge obj_b into a copy of obj_a and return it. strategy: smart (default; recurse for the yaml renderer), recurse, aggregate (as recurse), overwrite (obj_b's top-level keys replace obj_a's), list (recurse, merging lists), none (recurse); merge_lists extends lists instead of replacing them; renderer is accepted.

CLI Example:

    ctl '*' slsutil.merge '{foo: {a: 1}}' '{foo: {b: 2}}'`, slsutilMerge)
	Register("slsutil.serialize", `Serialize obj with serializer json (Python's json.dumps layout: ", " and ": " separators, keys sorted, non-ASCII escaped; indent= and sort_keys= accepted) or yaml (block style) and return the string.

CLI Example:

    ctl '*' slsutil.serialize json '{foo: Foo}'`, slsutilSerialize)
	Register("slsutil.deserialize", `Parse stream_or_string with serializer json or yaml and return the data.

CLI Example:

    ctl '*' slsutil.deserialize json '{"foo": "Foo"}'`, slsutilDeserialize)
	Register("slsutil.renderer", `Render the file path (salt:// or an absolute path on the minion) or the text string with the renderer pipeline default_renderer (default jinja|yaml; also jinja, yaml, json, jinja|json; a #! line in the text overrides it) and return the result. Templates see the minion's grains and pillar and the extra keyword arguments as variables; saltenv (default base).

CLI Example:

    ctl '*' slsutil.renderer salt://path/to/file.sls
    ctl '*' slsutil.renderer string='{{ grains.id }}' default_renderer=jinja`, slsutilRenderer)
}

// mapArg reads a mapping argument.
func mapArg(c Call, i int, name string) (map[string]any, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		return nil, missingArg(name)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, wrongType(name, "a mapping", v)
	}
	return m, nil
}

// deepCopy copies nested mappings and lists.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// dictUpdate is salt.utils.dictupdate.update (on a copy of dest).
func dictUpdate(dest, upd map[string]any, recursive, mergeLists bool) map[string]any {
	if !recursive {
		for k, v := range upd {
			dest[k] = v
		}
		return dest
	}
	for k, v := range upd {
		cur := dest[k]
		cm, okA := cur.(map[string]any)
		vm, okB := v.(map[string]any)
		if okA && okB {
			dest[k] = dictUpdate(cm, vm, true, mergeLists)
			continue
		}
		cl, okA := cur.([]any)
		vl, okB := v.([]any)
		if okA && okB && mergeLists {
			merged := append([]any{}, cl...)
			for _, x := range vl {
				if !containsValue(merged, x) {
					merged = append(merged, x)
				}
			}
			dest[k] = merged
			continue
		}
		dest[k] = v
	}
	return dest
}

func slsutilUpdate(_ context.Context, _ *Env, c Call) (any, error) {
	dest, err := mapArg(c, 0, "dest")
	if err != nil {
		return nil, err
	}
	upd, err := mapArg(c, 1, "upd")
	if err != nil {
		return nil, err
	}
	rec, err := c.Bool(2, "recursive_update", ptr(true))
	if err != nil {
		return nil, err
	}
	ml, err := c.Bool(3, "merge_lists", ptr(false))
	if err != nil {
		return nil, err
	}
	return dictUpdate(deepCopy(dest).(map[string]any), deepCopy(upd).(map[string]any), rec, ml), nil
}

func slsutilMerge(_ context.Context, _ *Env, c Call) (any, error) {
	a, err := mapArg(c, 0, "obj_a")
	if err != nil {
		return nil, err
	}
	b, err := mapArg(c, 1, "obj_b")
	if err != nil {
		return nil, err
	}
	strategy, err := c.String(2, "strategy", ptr("smart"))
	if err != nil {
		return nil, err
	}
	if _, err := c.String(3, "renderer", ptr("yaml")); err != nil {
		return nil, err
	}
	ml, err := c.Bool(4, "merge_lists", ptr(false))
	if err != nil {
		return nil, err
	}
	dest := deepCopy(a).(map[string]any)
	upd := deepCopy(b).(map[string]any)
	switch strategy {
	case "smart", "recurse", "aggregate", "none":
	case "list":
		ml = true
	case "overwrite":
		for k, v := range upd {
			if _, ok := dest[k]; ok {
				dest[k] = v
			}
		}
	default:
		return nil, badArg("unknown merge strategy %q (smart, recurse, aggregate, overwrite, list, none)", strategy)
	}
	return dictUpdate(dest, upd, true, ml), nil
}

// pyJSON writes v as Python's json.dumps does by default.
func pyJSON(sb *strings.Builder, v any, indent string, level int, sortKeys bool) error {
	nl := func(l int) {
		if indent != "" {
			sb.WriteString("\n" + strings.Repeat(indent, l))
		}
	}
	itemSep := ", "
	if indent != "" {
		itemSep = ","
	}
	switch t := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		sb.WriteString(map[bool]string{true: "true", false: "false"}[t])
	case string:
		sb.WriteByte('"')
		for _, r := range t {
			switch {
			case r == '"':
				sb.WriteString(`\"`)
			case r == '\\':
				sb.WriteString(`\\`)
			case r == '\n':
				sb.WriteString(`\n`)
			case r == '\r':
				sb.WriteString(`\r`)
			case r == '\t':
				sb.WriteString(`\t`)
			case r == '\b':
				sb.WriteString(`\b`)
			case r == '\f':
				sb.WriteString(`\f`)
			case r < 0x20 || (r > 0x7e && r < 0x10000):
				fmt.Fprintf(sb, `\u%04x`, r)
			case r >= 0x10000:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(sb, `\u%04x\u%04x`, r1, r2)
			default:
				sb.WriteRune(r)
			}
		}
		sb.WriteByte('"')
	case int:
		sb.WriteString(strconv.Itoa(t))
	case int64:
		sb.WriteString(strconv.FormatInt(t, 10))
	case float64:
		switch {
		case math.IsNaN(t):
			sb.WriteString("NaN")
		case math.IsInf(t, 1):
			sb.WriteString("Infinity")
		case math.IsInf(t, -1):
			sb.WriteString("-Infinity")
		case t == math.Trunc(t) && math.Abs(t) < 1e16:
			sb.WriteString(strconv.FormatFloat(t, 'f', 1, 64))
		default:
			sb.WriteString(strconv.FormatFloat(t, 'g', -1, 64))
		}
	case []any:
		if len(t) == 0 {
			sb.WriteString("[]")
			return nil
		}
		sb.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				sb.WriteString(itemSep)
			}
			nl(level + 1)
			if err := pyJSON(sb, e, indent, level+1, sortKeys); err != nil {
				return err
			}
		}
		nl(level)
		sb.WriteByte(']')
	case map[string]any:
		if len(t) == 0 {
			sb.WriteString("{}")
			return nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteString(itemSep)
			}
			nl(level + 1)
			if err := pyJSON(sb, k, indent, level+1, sortKeys); err != nil {
				return err
			}
			sb.WriteString(": ")
			if err := pyJSON(sb, t[k], indent, level+1, sortKeys); err != nil {
				return err
			}
		}
		nl(level)
		sb.WriteByte('}')
	default:
		return badArg("cannot serialize %T", v)
	}
	return nil
}

func slsutilSerialize(_ context.Context, _ *Env, c Call) (any, error) {
	ser, err := c.String(0, "serializer", nil)
	if err != nil {
		return nil, err
	}
	obj, ok := c.value(1, "obj")
	if !ok {
		return nil, missingArg("obj")
	}
	switch strings.ToLower(ser) {
	case "json":
		indent := ""
		if v, _ := c.value(-1, "indent"); v != nil {
			n, err := c.Int(-1, "indent", nil)
			if err != nil {
				return nil, err
			}
			indent = strings.Repeat(" ", n)
		}
		var sb strings.Builder
		if err := pyJSON(&sb, obj, indent, 0, true); err != nil {
			return nil, err
		}
		return sb.String(), nil
	case "yaml":
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, badArg("cannot serialize as yaml: %v", err)
		}
		return string(b), nil
	}
	return nil, badArg("serializer %q is not supported (json, yaml)", ser)
}

func slsutilDeserialize(_ context.Context, _ *Env, c Call) (any, error) {
	ser, err := c.String(0, "serializer", nil)
	if err != nil {
		return nil, err
	}
	text, err := c.String(1, "stream_or_string", nil)
	if err != nil {
		return nil, err
	}
	var v any
	switch strings.ToLower(ser) {
	case "json":
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, badArg("invalid json: %v", err)
		}
	case "yaml":
		if err := yaml.Unmarshal([]byte(text), &v); err != nil {
			return nil, badArg("invalid yaml: %v", err)
		}
		v = plainYAML(v)
	default:
		return nil, badArg("serializer %q is not supported (json, yaml)", ser)
	}
	return v, nil
}

// plainYAML turns yaml.v3's map[any]any-free output into JSON-friendly
// values (it already decodes mappings as map[string]any; nested values
// are walked for safety).
func plainYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = plainYAML(e)
		}
	case []any:
		for i, e := range t {
			t[i] = plainYAML(e)
		}
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[fmt.Sprint(k)] = plainYAML(e)
		}
		return out
	}
	return v
}

// plainMap turns rendered *render.Map values into map[string]any.
func plainMap(v any) any {
	switch t := v.(type) {
	case *render.Map:
		out := make(map[string]any, len(t.Keys))
		for _, k := range t.Keys {
			out[k] = plainMap(t.Values[k])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = plainMap(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainMap(e)
		}
		return out
	}
	return v
}

func slsutilRenderer(ctx context.Context, env *Env, c Call) (any, error) {
	path, err := c.String(0, "path", ptr(""))
	if err != nil {
		return nil, err
	}
	str, err := c.String(1, "string", ptr(""))
	if err != nil {
		return nil, err
	}
	pipeline, err := c.String(2, "default_renderer", ptr("jinja|yaml"))
	if err != nil {
		return nil, err
	}
	saltenv, err := c.String(-1, "saltenv", ptr("base"))
	if err != nil {
		return nil, err
	}
	if (path == "") == !c.Has(1, "string") {
		return nil, badArg("give exactly one of path and string")
	}
	text, name := []byte(str), "<string>"
	if path != "" {
		name = path
		local := path
		if strings.HasPrefix(path, "salt://") {
			if err := needFiles(env, "slsutil.renderer"); err != nil {
				return nil, err
			}
			if local, err = env.Files.Cache(ctx, path, saltenv); err != nil {
				return nil, err
			}
		} else if !strings.HasPrefix(path, "/") {
			return nil, badArg("path must be salt:// or absolute, got %q", path)
		}
		if text, err = os.ReadFile(local); err != nil {
			return nil, osErr(err)
		}
	}
	rc := &render.Context{Saltenv: saltenv, Extra: map[string]any{}}
	for k, v := range c.Kwargs {
		switch k {
		case "path", "string", "default_renderer", "saltenv":
		default:
			rc.Extra[k] = v
		}
	}
	if env.Grains != nil {
		rc.Grains = env.Grains.Items()
	}
	if env.Master != nil {
		if rc.Pillar, err = env.Master.Pillar(ctx, false); err != nil {
			return nil, err
		}
	}
	if strings.HasPrefix(string(text), "#!") || pipeline == "jinja|yaml" || pipeline == "yaml_jinja" {
		m, err := render.SLS(ctx, text, name, rc)
		if err != nil {
			return nil, errExec(err)
		}
		return plainMap(m), nil
	}
	var out any = string(text)
	for _, stage := range strings.Split(pipeline, "|") {
		s, _ := out.(string)
		switch strings.TrimSpace(stage) {
		case "jinja":
			b, err := render.Jinja(ctx, []byte(s), name, rc)
			if err != nil {
				return nil, errExec(err)
			}
			out = string(b)
		case "yaml":
			var v any
			if err := yaml.Unmarshal([]byte(s), &v); err != nil {
				return nil, badArg("%s: invalid yaml: %v", name, err)
			}
			out = plainYAML(v)
		case "json":
			var v any
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				return nil, badArg("%s: invalid json: %v", name, err)
			}
			out = v
		default:
			return nil, badArg("renderer %q is not supported (jinja, yaml, json)", stage)
		}
	}
	return out, nil
}

func errExec(err error) error {
	return execErr("%v", err)
}
