package modules

import (
	"context"
	"github.com/brine-cm/brine/internal/coerce"
	"reflect"
	"sort"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/proto"
)

// The grains module: read and set the minion's grains.

func init() {
	Register("grains.items", `Return all of the minion's grains as a mapping: collected ones, static ones from the minion configuration and those set with grains.setval (later ones winning).

CLI Example:

    ctl '*' grains.items`, grainsItems)

	Register("grains.get", `Return the grain named key, looking into nested mappings (and lists, by index) with key 'a:b:c'; when the grain is missing return default, an empty string unless given. The delimiter between levels may be changed with delimiter.

CLI Example:

    ctl '*' grains.get pkg:apache default=httpd`, grainsGet)

	Register("grains.item", `Return a mapping of each named grain to its value; nested keys as in grains.get, and missing grains map to default (an empty string unless given).

CLI Example:

    ctl '*' grains.item os osrelease oscodename`, grainsItem)

	Register("grains.ls", `Return the sorted list of the names of the minion's top-level grains.

CLI Example:

    ctl '*' grains.ls`, grainsLs)

	Register("grains.has_value", `Return true when the grain named key exists (nested as 'a:b:c'), whatever its value, else false.

CLI Example:

    ctl '*' grains.has_value pkg:apache`, grainsHasValue)

	Register("grains.setval", `Set the grain key (nested as 'a:b' to set a key inside a mapping grain) to val, which may be any YAML value, persist it in the minion's grains file so that it survives restarts and overrides collected and configured grains, send the new grains to the master, and return {key: val}.

CLI Example:

    ctl '*' grains.setval roles '[web, db]'`, grainsSetval, AllArgsSecret())

	Register("grains.setvals", `Set several grains at once from a mapping of keys to values, as grains.setval does for one, and return that mapping.

CLI Example:

    ctl '*' grains.setvals "{'key1': 'val1', 'key2': 'val2'}"`, grainsSetvals, AllArgsSecret())

	Register("grains.append", `Append val to the list grain key (nested as 'a:b'), creating the list when the grain is missing; a list val appends each of its elements not already present. A scalar val already in the list is an error, and so is a grain that is not a list unless convert=True, which turns it into a one-element list first. The result is persisted as with grains.setval; returns {key: new list}.

CLI Example:

    ctl '*' grains.append roles web convert=True`, grainsAppend)

	Register("grains.delval", `Set the grain key to null (the grain stays, with no value), persisted as with grains.setval; returns {key: null}. Removing a grain entirely (destructive=True) is not supported.

CLI Example:

    ctl '*' grains.delval key`, grainsDelval)
}

// grainStore returns env.Grains or an error when the minion has none.
func grainStore(env *Env) (GrainStore, error) {
	if env == nil || env.Grains == nil {
		return nil, proto.Errorf(proto.ErrExecution, "grains are not available on this minion")
	}
	return env.Grains, nil
}

// grainsChanged tells the minion its grains changed.
func grainsChanged(env *Env) {
	if env != nil && env.OnGrainsChanged != nil {
		env.OnGrainsChanged()
	}
}

func grainsItems(ctx context.Context, env *Env, call Call) (any, error) {
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	return g.Items(), nil
}

// lookupGrain finds key with delim (the store's own ':' lookup, or a
// traversal of a copy of all grains for another delimiter).
func lookupGrain(g GrainStore, key, delim string) (any, bool) {
	if delim == grains.Delimiter {
		return g.Get(key)
	}
	return grains.Traverse(g.Items(), key, delim)
}

func grainsGet(ctx context.Context, env *Env, call Call) (any, error) {
	key, err := call.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	var def any = ""
	if v, ok := call.value(1, "default"); ok {
		def = v
	}
	delim, err := call.String(2, "delimiter", ptr(grains.Delimiter))
	if err != nil {
		return nil, err
	}
	if delim == "" {
		return nil, badArg("argument 'delimiter' must not be empty")
	}
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	if v, ok := lookupGrain(g, key, delim); ok {
		return v, nil
	}
	return def, nil
}

func grainsItem(ctx context.Context, env *Env, call Call) (any, error) {
	var def any = ""
	if v, ok := call.Kwargs["default"]; ok {
		def = v
	}
	delim, err := call.String(-1, "delimiter", ptr(grains.Delimiter))
	if err != nil {
		return nil, err
	}
	if delim == "" {
		return nil, badArg("argument 'delimiter' must not be empty")
	}
	keys := make([]string, 0, len(call.Args))
	for _, a := range call.Args {
		k, ok := coerce.String(a)
		if !ok {
			return nil, wrongType("key", "a string", a)
		}
		keys = append(keys, k)
	}
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := lookupGrain(g, k, delim); ok {
			out[k] = v
		} else {
			out[k] = def
		}
	}
	return out, nil
}

func grainsLs(ctx context.Context, env *Env, call Call) (any, error) {
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	items := g.Items()
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out, nil
}

func grainsHasValue(ctx context.Context, env *Env, call Call) (any, error) {
	key, err := call.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	_, ok := g.Get(key)
	return ok, nil
}

// setGrain sets one grain, wrapping the store's error.
func setGrain(g GrainStore, key string, val any) error {
	if err := g.SetVal(key, val); err != nil {
		return proto.Errorf(proto.ErrExecution, "set grain %q: %v", key, err)
	}
	return nil
}

func grainsSetval(ctx context.Context, env *Env, call Call) (any, error) {
	key, err := call.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	val, ok := call.value(1, "val")
	if !ok {
		return nil, missingArg("val")
	}
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	if err := setGrain(g, key, val); err != nil {
		return nil, err
	}
	env.logger().InfoContext(ctx, "grain set", "key", key)
	grainsChanged(env)
	return map[string]any{key: val}, nil
}

func grainsSetvals(ctx context.Context, env *Env, call Call) (any, error) {
	v, ok := call.value(0, "grains")
	if !ok || v == nil {
		return nil, missingArg("grains")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, wrongType("grains", "a mapping", v)
	}
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	changed := false
	defer func() {
		if changed {
			grainsChanged(env)
		}
	}()
	for _, k := range keys {
		if err := setGrain(g, k, m[k]); err != nil {
			return nil, err
		}
		changed = true
	}
	env.logger().InfoContext(ctx, "grains set", "keys", keys)
	return m, nil
}

func grainsAppend(ctx context.Context, env *Env, call Call) (any, error) {
	key, err := call.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	val, ok := call.value(1, "val")
	if !ok {
		return nil, missingArg("val")
	}
	convert, err := call.Bool(2, "convert", ptr(false))
	if err != nil {
		return nil, err
	}
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	cur, _ := g.Get(key)
	var list []any
	switch t := cur.(type) {
	case []any:
		list = t
	case nil:
		// missing or null: start a list
	default:
		if !convert {
			return nil, proto.Errorf(proto.ErrExecution, "the grain %s is not a list (use convert=True to make it one)", key)
		}
		list = []any{t}
	}
	if items, ok := val.([]any); ok {
		for _, it := range items {
			if !containsValue(list, it) {
				list = append(list, it)
			}
		}
	} else {
		if containsValue(list, val) {
			return nil, proto.Errorf(proto.ErrExecution, "the value %v is already in the list %s", val, key)
		}
		list = append(list, val)
	}
	if list == nil {
		list = []any{}
	}
	if err := setGrain(g, key, list); err != nil {
		return nil, err
	}
	env.logger().InfoContext(ctx, "grain appended", "key", key)
	grainsChanged(env)
	return map[string]any{key: list}, nil
}

// containsValue reports whether list holds v, comparing numbers by value
// (a JSON float64 2 equals a YAML int 2).
func containsValue(list []any, v any) bool {
	for _, e := range list {
		if sameValue(e, v) {
			return true
		}
	}
	return false
}

func sameValue(a, b any) bool {
	if fa, ok := toFloatStrict(a); ok {
		if fb, ok := toFloatStrict(b); ok {
			return fa == fb
		}
	}
	return reflect.DeepEqual(a, b)
}

// toFloatStrict converts numbers only (not numeric strings).
func toFloatStrict(v any) (float64, bool) {
	if _, isString := v.(string); isString {
		return 0, false
	}
	return coerce.Float(v)
}

func grainsDelval(ctx context.Context, env *Env, call Call) (any, error) {
	key, err := call.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	destructive, err := call.Bool(1, "destructive", ptr(false))
	if err != nil {
		return nil, err
	}
	if destructive {
		return nil, badArg("destructive=True is not supported: the grain can only be set to null")
	}
	g, err := grainStore(env)
	if err != nil {
		return nil, err
	}
	if err := setGrain(g, key, nil); err != nil {
		return nil, err
	}
	env.logger().InfoContext(ctx, "grain cleared", "key", key)
	grainsChanged(env)
	return map[string]any{key: nil}, nil
}
