package render

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Tests comparing this package with real Jinja2. The expected outputs are
// written by testdata/gen_expected.py (Jinja2 3.1 with a Salt shim); see
// its docstring for the case format.

// decodeOrdered decodes JSON keeping key order (*Map for objects).
func decodeOrdered(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	v, err := decodeJSONValue(dec, 0)
	if err != nil {
		t.Fatalf("decoding test JSON: %v", err)
	}
	return v
}

// topLevel turns an ordered JSON object into a map with ordered values.
func topLevel(v any) map[string]any {
	m, ok := v.(*Map)
	if !ok || m == nil {
		return map[string]any{}
	}
	out := make(map[string]any, len(m.Keys))
	for _, k := range m.Keys {
		out[k] = m.Values[k]
	}
	return out
}

// plainEqual compares plain values, *Map included.
func plainEqual(a, b any) bool {
	return reflect.DeepEqual(plainValue(a), plainValue(b))
}

// stubFuncs builds salt functions from call tables.
func stubFuncs(t testing.TB, v any) map[string]Func {
	funcs := map[string]Func{}
	m, ok := v.(*Map)
	if !ok {
		return funcs
	}
	for _, name := range m.Keys {
		name := name
		table, _ := m.Values[name].([]any)
		funcs[name] = func(args []any, kwargs map[string]any) (any, error) {
			if args == nil {
				args = []any{}
			}
			for _, e := range table {
				entry := e.(*Map)
				want, _ := entry.Get("args")
				if want == nil {
					want = []any{}
				}
				if !plainEqual(want, args) {
					continue
				}
				match := true
				if wk, ok := entry.Get("kwargs"); ok {
					for _, k := range wk.(*Map).Keys {
						if !plainEqual(wk.(*Map).Values[k], kwargs[k]) {
							match = false
						}
					}
				}
				if !match {
					continue
				}
				ret, _ := entry.Get("return")
				return ret, nil
			}
			t.Errorf("no stub for %s(%v, %v)", name, args, kwargs)
			return nil, os.ErrNotExist
		}
	}
	return funcs
}

// caseContext reads a context JSON file.
func caseContext(t testing.TB, path string) (*Context, *Map) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := decodeOrdered(t, data).(*Map)
	get := func(k string) any { v, _ := raw.Get(k); return v }
	c := &Context{
		Grains: topLevel(get("grains")),
		Pillar: topLevel(get("pillar")),
		Opts:   topLevel(get("opts")),
		Extra:  topLevel(get("extra")),
		Salt:   stubFuncs(t, get("salt")),
		Loader: FSLoader{os.DirFS("testdata/srv"), os.DirFS("testdata")},
	}
	if s, ok := get("sls").(string); ok {
		c.SLS = s
	}
	if s, ok := get("saltenv").(string); ok {
		c.Saltenv = s
	}
	return c, raw
}

func TestJinja2Idioms(t *testing.T) {
	files, _ := filepath.Glob("testdata/idioms/*.jinja")
	if len(files) == 0 {
		t.Fatal("no idiom templates")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jinja")
		t.Run(name, func(t *testing.T) {
			c, _ := caseContext(t, "testdata/idioms/context.json")
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".jinja") + ".expected")
			if err != nil {
				t.Fatalf("missing expected output (run testdata/gen_expected.py): %v", err)
			}
			got, err := Jinja(context.Background(), src, "idioms/"+filepath.Base(f), c)
			if strings.HasPrefix(string(want), "ERROR: ") {
				if err == nil {
					t.Fatalf("Jinja2 fails with %s but we rendered:\n%s", strings.TrimSpace(string(want)), got)
				}
				t.Logf("error as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if string(got) != string(want) {
				t.Errorf("differs from Jinja2:\n%s", lineDiff(string(want), string(got)))
			}
		})
	}
}

func TestJinja2Seeds(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sls")
	n := 0
	for _, f := range files {
		base := strings.TrimSuffix(f, ".sls")
		if _, err := os.Stat(base + ".json"); err != nil {
			continue
		}
		n++
		t.Run(filepath.Base(base), func(t *testing.T) {
			c, raw := caseContext(t, base+".json")
			name := filepath.Base(f)
			if v, ok := raw.Get("name"); ok {
				name = v.(string)
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(base + ".expected")
			if err != nil {
				t.Fatalf("missing expected output (run testdata/gen_expected.py): %v", err)
			}
			got, err := Jinja(context.Background(), src, name, c)
			if strings.HasPrefix(string(want), "ERROR: ") {
				if err == nil {
					t.Fatalf("Jinja2 fails with %s but we rendered:\n%s", strings.TrimSpace(string(want)), got)
				}
				t.Logf("error as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("jinja stage: %v", err)
			}
			if string(got) != string(want) {
				t.Fatalf("jinja stage differs from Jinja2:\n%s", lineDiff(string(want), string(got)))
			}
			if y, ok := raw.Get("yaml"); ok && y == false {
				return
			}
			m, err := SLS(context.Background(), src, name, c)
			if err != nil {
				t.Fatalf("SLS: %v", err)
			}
			wantJSON, err := os.ReadFile(base + ".expected.json")
			if err != nil {
				t.Fatal(err)
			}
			st := newScratchState()
			gotJSON, err := st.pyJSON(st.in(m), jsonOpts{indent: 1})
			if err != nil {
				t.Fatal(err)
			}
			if gotJSON+"\n" != string(wantJSON) {
				t.Fatalf("YAML structure differs from PyYAML:\n%s", lineDiff(string(wantJSON), gotJSON+"\n"))
			}
		})
	}
	if n == 0 {
		t.Fatal("no seed cases")
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("line " + itoa(i+1) + ":\n  jinja2: " + quoteLine(w) + "\n  brine:  " + quoteLine(g) + "\n")
			shown++
			if shown >= 8 {
				break
			}
		}
	}
	if len(wl) != len(gl) {
		b.WriteString("(jinja2 " + itoa(len(wl)) + " lines, brine " + itoa(len(gl)) + ")\n")
	}
	return b.String()
}

func quoteLine(s string) string { return pyQuote(s) }

func itoa(i int) string { return pyRepr(nil, i) }

// sortedFuncs keeps the compiler from complaining in builds without seeds.
var _ = sort.Strings
