package states

import (
	"os"
	"path/filepath"
	"testing"
)

var serializeDataset = map[string]any{
	"zeta":  1,
	"alpha": []any{1, 2, map[string]any{"x": "y"}},
	"mid":   map[string]any{"b": "yes", "a": nil, "c": 1.5, "d": "0644", "e": ""},
	"long":  "a very long string that goes on and on and on and on and on and on and on and on and on and on",
}

// What salt-call --local (3006.1) wrote for the same datasets.
const (
	saltYAML = `alpha:
- 1
- 2
- x: y
long: a very long string that goes on and on and on and on and on and on and on and
  on and on and on
mid:
  a: null
  b: 'yes'
  c: 1.5
  d: '0644'
  e: ''
zeta: 1
`
	saltJSON = `{
  "alpha": [
    1,
    2,
    {
      "x": "y"
    }
  ],
  "mid": {
    "a": null,
    "b": "yes",
    "c": 1.5,
    "u": "é"
  },
  "zeta": 1
}
`
)

func TestSerializeYAMLLikeSalt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.yaml")
	first := cycle(t, nil, "file.serialize", p, map[string]any{"dataset": serializeDataset, "mode": "0600"}, snapshotTree(t, dir))
	want(t, first, True(), true, "File "+p+" updated")
	if got := readFile(t, p); got != saltYAML {
		t.Errorf("file\n%s\nwant\n%s", got, saltYAML)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	res := apply(t, nil, "file.serialize", p, map[string]any{"dataset": serializeDataset, "mode": "0600"}, true)
	want(t, res, True(), false, "The file "+p+" is in the correct state")
}

func TestSerializeJSONLikeSalt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	ds := map[string]any{"zeta": 1, "alpha": []any{1, 2, map[string]any{"x": "y"}}, "mid": map[string]any{"b": "yes", "a": nil, "c": 1.5, "u": "é"}}
	res := apply(t, nil, "file.serialize", p, map[string]any{"dataset": ds, "formatter": "JSON"}, true)
	want(t, res, nil, true, "Dataset will be serialized and stored into "+p)
	cycle(t, nil, "file.serialize", p, map[string]any{"dataset": ds, "formatter": "json"}, snapshotTree(t, dir))
	if got := readFile(t, p); got != saltJSON {
		t.Errorf("file\n%s\nwant\n%s", got, saltJSON)
	}
}

func TestSerializeMergeIfExists(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	writeFile(t, p, `{"keep": {"a": 1, "b": [1, 2]}, "n": 2.5}`)
	args := map[string]any{"dataset": map[string]any{"keep": map[string]any{"b": []any{3}}, "new": true}, "serializer": "json", "merge_if_exists": true}
	cycle(t, nil, "file.serialize", p, args, snapshotTree(t, dir))
	wantText := "{\n  \"keep\": {\n    \"a\": 1,\n    \"b\": [\n      3\n    ]\n  },\n  \"n\": 2.5,\n  \"new\": true\n}\n"
	if got := readFile(t, p); got != wantText {
		t.Errorf("file\n%s\nwant\n%s", got, wantText)
	}
	res := apply(t, nil, "file.serialize", p, args, false)
	want(t, res, True(), false, "The file "+p+" is in the correct state")

	y := filepath.Join(dir, "c.yaml")
	writeFile(t, y, "a: 1\nb:\n  c: 2\n")
	res = apply(t, nil, "file.serialize", y, map[string]any{"dataset": map[string]any{"b": map[string]any{"d": 3}}, "merge_if_exists": true}, false)
	want(t, res, True(), true)
	if got := readFile(t, y); got != "a: 1\nb:\n  c: 2\n  d: 3\n" {
		t.Errorf("yaml merge %q", got)
	}
	writeFile(t, y, "a: [1\n")
	wantFail(t, apply(t, nil, "file.serialize", y, map[string]any{"dataset": map[string]any{"b": 1}, "merge_if_exists": true}, false),
		"Failed to deserialize existing data", "is not valid YAML")
}

func TestSerializeDatasetPillar(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "p.yaml")
	env := testEnv(t)
	env.Pillar = map[string]any{"app": map[string]any{"conf": map[string]any{"port": 80}}}
	res := apply(t, env, "file.serialize", p, map[string]any{"dataset_pillar": "app:conf"}, false)
	want(t, res, True(), true)
	if got := readFile(t, p); got != "port: 80\n" {
		t.Errorf("file %q", got)
	}
	wantFail(t, apply(t, env, "file.serialize", p, map[string]any{"dataset_pillar": "app:nope"}, false), "argument 'dataset_pillar' names \"app:nope\", which is not set")
}

func TestSerializeFailures(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x")
	for _, tc := range []struct {
		args map[string]any
		msg  string
	}{
		{map[string]any{}, "neither 'dataset' nor 'dataset_pillar' was defined"},
		{map[string]any{"dataset": 1, "dataset_pillar": "a"}, "only one of 'dataset' and 'dataset_pillar'"},
		{map[string]any{"dataset": 1, "serializer": "yaml", "formatter": "json"}, "only one of serializer and formatter"},
		{map[string]any{"dataset": 1, "serializer": "plain"}, `argument 'serializer' names "plain": the plain serializer could not be found`},
	} {
		wantFail(t, apply(t, nil, "file.serialize", p, tc.args, false), tc.msg)
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("a failed state wrote the file")
	}
	res := apply(t, nil, "file.serialize", p, map[string]any{"dataset": 1, "create": false}, false)
	want(t, res, True(), false, "is not present and is not set for creation")
	res = apply(t, nil, "file.serialize", p, map[string]any{"dataset": map[string]any{}, "datset": 1}, true)
	want(t, res, nil, true, "'datset' is an invalid keyword argument for 'file.serialize'")
}

// Salt escapes non-ASCII text in YAML unless an encoding is given.
func TestSerializeYAMLUnicode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "u.yaml")
	res := apply(t, nil, "file.serialize", p, map[string]any{"dataset": map[string]any{"u": "é"}}, false)
	want(t, res, True(), true)
	if got := readFile(t, p); got != "u: \"\\xE9\"\n" {
		t.Errorf("file %q", got)
	}
	res = apply(t, nil, "file.serialize", p, map[string]any{"dataset": map[string]any{"u": "é"}, "encoding": "utf-8"}, false)
	want(t, res, True(), true)
	if got := readFile(t, p); got != "u: é\n" {
		t.Errorf("file %q", got)
	}
	wantFail(t, apply(t, nil, "file.serialize", p, map[string]any{"dataset": 1, "encoding": "latin-1"}, false), "argument 'encoding' is \"latin-1\"")
}
