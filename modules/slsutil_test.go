package modules

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSlsutilMergeUpdate(t *testing.T) {
	a := map[string]any{"foo": map[string]any{"a": 1, "l": []any{1, 2}}, "keep": true}
	b := map[string]any{"foo": map[string]any{"b": 2, "l": []any{2, 3}}, "new": "x"}
	got := mustCall(t, nil, "slsutil.merge", []any{a, b}, nil)
	want := map[string]any{"foo": map[string]any{"a": 1, "b": 2, "l": []any{2, 3}}, "keep": true, "new": "x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merge %v", got)
	}
	got = mustCall(t, nil, "slsutil.merge", []any{a, b}, map[string]any{"merge_lists": true})
	if l := got.(map[string]any)["foo"].(map[string]any)["l"]; !reflect.DeepEqual(l, []any{1, 2, 3}) {
		t.Errorf("merge_lists %v", l)
	}
	got = mustCall(t, nil, "slsutil.merge", []any{a, b}, map[string]any{"strategy": "overwrite"})
	if f := got.(map[string]any)["foo"]; !reflect.DeepEqual(f, map[string]any{"b": 2, "l": []any{2, 3}}) {
		t.Errorf("overwrite %v", f)
	}
	if !reflect.DeepEqual(a["foo"], map[string]any{"a": 1, "l": []any{1, 2}}) {
		t.Error("merge changed its input")
	}
	got = mustCall(t, nil, "slsutil.update", []any{a, b}, map[string]any{"recursive_update": false})
	if !reflect.DeepEqual(got.(map[string]any)["foo"], b["foo"]) {
		t.Errorf("update non-recursive %v", got)
	}
	wantBadArg(t, "slsutil.merge", []any{a, b, "nope"}, nil, nil, "unknown merge strategy")
	wantBadArg(t, "slsutil.update", []any{a, "x"}, nil, nil, "upd")
}

// Expected strings are Python's json.dumps.
func TestSlsutilSerialize(t *testing.T) {
	obj := map[string]any{"b": []any{1, 2.5, 3.0, nil, true}, "a": "é\"\n", "c": map[string]any{}}
	if got := mustCall(t, nil, "slsutil.serialize", []any{"json", obj}, nil); got != `{"a": "\u00e9\"\n", "b": [1, 2.5, 3.0, null, true], "c": {}}` {
		t.Errorf("json %s", got)
	}
	if got := mustCall(t, nil, "slsutil.serialize", []any{"json", map[string]any{"a": []any{1}}}, map[string]any{"indent": 2}); got != "{\n  \"a\": [\n    1\n  ]\n}" {
		t.Errorf("json indent %q", got)
	}
	if got := mustCall(t, nil, "slsutil.serialize", []any{"yaml", map[string]any{"a": []any{1, "x"}}}, nil); got != "a:\n    - 1\n    - x\n" {
		t.Errorf("yaml %q", got)
	}
	if got := mustCall(t, nil, "slsutil.deserialize", []any{"yaml", "a: [1, x]\nb: {c: null}\n"}, nil); !reflect.DeepEqual(got, map[string]any{"a": []any{1, "x"}, "b": map[string]any{"c": nil}}) {
		t.Errorf("deserialize yaml %v", got)
	}
	if got := mustCall(t, nil, "slsutil.deserialize", []any{"json", `{"a": [1]}`}, nil); !reflect.DeepEqual(got, map[string]any{"a": []any{1.0}}) {
		t.Errorf("deserialize json %v", got)
	}
	wantBadArg(t, "slsutil.serialize", []any{"toml", obj}, nil, nil, "not supported")
	wantBadArg(t, "slsutil.deserialize", []any{"json", "{"}, nil, nil, "invalid json")
}

func TestSlsutilRenderer(t *testing.T) {
	dir := t.TempDir()
	writeT(t, filepath.Join(dir, "x.sls"), "{% set n = grains['id'] %}\nhost: {{ n }}\nport: {{ port }}\nlist:\n  - {{ pillar['p'] }}\n")
	env := &Env{Grains: mapGrains{"id": "web-1"}, Master: &fakeMaster{cached: map[string]any{"p": "pv"}}, Files: treeFiles{dir}}
	want := map[string]any{"host": "web-1", "port": 8080, "list": []any{"pv"}}
	if got := mustCall(t, env, "slsutil.renderer", []any{"salt://x.sls"}, map[string]any{"port": 8080}); !reflect.DeepEqual(got, want) {
		t.Errorf("renderer path %v", got)
	}
	if got := mustCall(t, env, "slsutil.renderer", nil, map[string]any{"string": "{{ grains.id }}", "default_renderer": "jinja"}); got != "web-1" {
		t.Errorf("renderer jinja %q", got)
	}
	if got := mustCall(t, env, "slsutil.renderer", nil, map[string]any{"string": `{"a": {{ 1 + 1 }}}`, "default_renderer": "jinja|json"}); !reflect.DeepEqual(got, map[string]any{"a": 2.0}) {
		t.Errorf("renderer jinja|json %v", got)
	}
	_, err := call(t, context.Background(), env, "slsutil.renderer", nil, map[string]any{"string": "{{ nope.x }}", "default_renderer": "jinja"})
	if err == nil {
		t.Error("undefined variable rendered")
	}
	wantBadArg(t, "slsutil.renderer", nil, nil, env, "exactly one of path and string")
}
