// Package conformance renders Salt formula trees on Brine the way a
// minion does and compares the result with SaltStack's own output saved
// beside each tree (testdata/salt-oracle.sh produces it with SaltStack
// 3006.1 run from source).
//
// A case is a directory holding states/ (the file root, with its
// top.sls), pillar/ (the pillar root, with its top.sls) and expected.json
// (salt-call --local --out json state.show_lowstate). Grains are the
// static grains in testdata/grains.json, given to both Salt and Brine.
package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/pillar"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// Case is one formula tree laid out for comparison.
type Case struct {
	Dir    string
	Grains map[string]any
	// PillarRoots, when set, replaces Dir/pillar as the only (base)
	// pillar root.
	PillarRoots pillar.Roots
}

func (c Case) roots(sub string) pillar.Roots {
	if sub == "pillar" && c.PillarRoots != nil {
		return c.PillarRoots
	}
	return pillar.Roots{"base": {filepath.Join(c.Dir, sub)}}
}

// fakeMaster answers a minion's pillar and top requests from the case's
// roots as Brine's master does, the pillar going through JSON as on the
// bus.
type fakeMaster struct {
	c    Case
	comp *pillar.Compiler
}

func (m *fakeMaster) minion() pillar.Minion {
	id, _ := m.c.Grains["id"].(string)
	return pillar.Minion{ID: id, Grains: m.c.Grains}
}

// reply is the pillar reply a master sends: JSON, nested mappings in file
// order.
func (m *fakeMaster) reply(ctx context.Context) ([]byte, error) {
	p, err := m.comp.CompileOrdered(ctx, m.minion())
	if err != nil {
		return nil, err
	}
	return json.Marshal(proto.PillarReply{Pillar: p.Values})
}

func (m *fakeMaster) Pillar(ctx context.Context, _ bool) (map[string]any, error) {
	b, err := m.reply(ctx)
	if err != nil {
		return nil, err
	}
	var rep proto.PillarReply
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, err
	}
	return rep.Pillar, nil
}

// PillarEnv compiles the pillar of one pillar environment, as the
// master does for a pillarenv= request.
func (m *fakeMaster) PillarEnv(ctx context.Context, pillarenv string) (map[string]any, map[string]any, error) {
	comp := *m.comp
	comp.Pillarenv = pillarenv
	p, err := comp.CompileOrdered(ctx, m.minion())
	if err != nil {
		return nil, nil, err
	}
	return p.ToPlain(), p.Values, nil
}

// OrderedPillar decodes the reply keeping key order, as the minion does.
func (m *fakeMaster) OrderedPillar(ctx context.Context, _ bool) (map[string]any, error) {
	b, err := m.reply(ctx)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Pillar json.RawMessage `json:"pillar"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	v, err := render.DecodeOrderedJSON(raw.Pillar)
	if err != nil {
		return nil, err
	}
	om, _ := v.(*render.Map)
	out := map[string]any{}
	for _, k := range om.Keys {
		out[k] = om.Values[k]
	}
	return out, nil
}

func (m *fakeMaster) Top(ctx context.Context, saltenv string, p map[string]any) (map[string][]string, []string, error) {
	tops, err := m.comp.Top(ctx, m.comp.FileRoots, m.minion(), p)
	if err != nil {
		return nil, nil, err
	}
	var order []string
	for _, env := range m.comp.FileRoots.Envs() {
		if len(tops[env]) > 0 {
			order = append(order, env)
		}
	}
	return tops, order, nil
}

func (m *fakeMaster) MineUpdate(context.Context, map[string]any, bool, []string) error { return nil }
func (m *fakeMaster) MineGet(context.Context, string, string, string) (map[string]any, error) {
	return map[string]any{}, nil
}

// files serves salt:// paths from the case's file root.
type files struct{ root string }

func (f files) Cache(_ context.Context, url, _ string) (string, error) {
	rel := strings.TrimPrefix(url, "salt://")
	p := filepath.Join(f.root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		return "", proto.Errorf(proto.ErrNotFound, "%s: not found", url)
	}
	return p, nil
}

func (f files) List(_ context.Context, prefix, _ string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(f.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(f.root, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, prefix) {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Call runs an execution function (state.show_lowstate, ...) on a
// minion whose master serves the case's roots, and returns its value as
// JSON-decoded plain data, with ok false when the function reported a
// failure (its value then holds the errors).
func (c Case) Call(ctx context.Context, fun string, args ...any) (value any, ok bool, err error) {
	return c.CallKw(ctx, fun, nil, args...)
}

// CallKw is Call with keyword arguments.
func (c Case) CallKw(ctx context.Context, fun string, kwargs map[string]any, args ...any) (value any, ok bool, err error) {
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	store, err := grains.NewStore(c.Grains, nil, "")
	if err != nil {
		return nil, false, err
	}
	id, _ := c.Grains["id"].(string)
	env := &modules.Env{
		ID:     id,
		Grains: store,
		Master: &fakeMaster{c: c, comp: &pillar.Compiler{
			PillarRoots: c.roots("pillar"), FileRoots: c.roots("states"),
			Opts: map[string]any{"id": "master"},
		}},
		Files: files{root: filepath.Join(c.Dir, "states")},
	}
	f, found := modules.Lookup(fun)
	if !found {
		return nil, false, fmt.Errorf("no function %s", fun)
	}
	v, err := f.Fn(ctx, env, modules.Call{Args: args, Kwargs: kwargs})
	if err != nil {
		return nil, false, err
	}
	val, rc := modules.SplitRet(v)
	out, err := pyJSONValue(val)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", fun, err)
	}
	return out, rc == 0, nil
}

// pyJSONValue turns a result into what Salt's JSON outputter would print
// and read back: numbers as json.Number in Python's spelling (70.0 for a
// float, 70 for an int), so that comparisons see int and float apart.
func pyJSONValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case int:
		return json.Number(strconv.Itoa(x)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case float64:
		return json.Number(pyFloat(x)), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = pyJSONValue(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var err error
			if out[k], err = pyJSONValue(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *render.Map:
		return pyJSONValue(x.ToPlain())
	}
	// anything else: through JSON
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("result does not encode: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// pyFloat is Python's repr of a float, as its json module prints it.
func pyFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	a := math.Abs(f)
	if a != 0 && (a >= 1e16 || a < 1e-4) {
		s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+16, 1.5e-05
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[:1]
		exp = strings.TrimLeft(exp[1:], "0")
		if len(exp) < 2 {
			exp = fmt.Sprintf("%02s", exp)
		}
		return mant + "e" + sign + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Expected reads Salt's saved output: the value under "local".
func (c Case) Expected() (any, error) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "expected.json"))
	if err != nil {
		return nil, err
	}
	v, err := decodeExpected(b)
	if err != nil {
		return nil, fmt.Errorf("%s/expected.json: %w", c.Dir, err)
	}
	return v, nil
}

// decodeExpected reads salt-call's JSON output, numbers as json.Number,
// and returns the value under "local".
func decodeExpected(b []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out["local"], nil
}

// Diff compares Brine's low chunks with Salt's and describes each
// difference ("" when they match): a chunk missing on either side, a key
// with a different value, chunks in a different order.
func Diff(got, want any) string {
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok && wok && isErrors(gl) && isErrors(wl) {
		// errors match when they say the same in Salt's words; Brine
		// adds the state function and the file in parentheses
		if equal(normErrors(gl), normErrors(wl)) {
			return ""
		}
		return fmt.Sprintf("Brine: %s\nSalt:  %s", short(got), short(want))
	}
	if gok && wok && (isErrors(gl) || isErrors(wl)) {
		gok = false
	}
	if !gok || !wok {
		if equal(got, want) {
			return ""
		}
		return fmt.Sprintf("Brine: %s\nSalt:  %s", short(got), short(want))
	}
	key := func(c any) string {
		m, _ := c.(map[string]any)
		return fmt.Sprintf("%v|%v|%v|%v", m["__id__"], m["state"], m["name"], m["fun"])
	}
	gm := map[string]map[string]any{}
	var gk, wk []string
	for _, c := range gl {
		m, _ := c.(map[string]any)
		gm[key(c)] = m
		gk = append(gk, key(c))
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, c := range wl {
		k := key(c)
		wk = append(wk, k)
		seen[k] = true
		w, _ := c.(map[string]any)
		g, ok := gm[k]
		if !ok {
			fmt.Fprintf(&b, "missing on Brine: %s\n", k)
			continue
		}
		var keys []string
		for kk := range w {
			keys = append(keys, kk)
		}
		for kk := range g {
			if _, ok := w[kk]; !ok {
				keys = append(keys, kk)
			}
		}
		sort.Strings(keys)
		for _, kk := range keys {
			wv, wok := w[kk]
			gv, gok := g[kk]
			switch {
			case !gok:
				fmt.Fprintf(&b, "%s: %s missing on Brine (Salt: %s)\n", k, kk, show(wv))
			case !wok:
				fmt.Fprintf(&b, "%s: %s only on Brine (%s)\n", k, kk, show(gv))
			case !equal(gv, wv):
				fmt.Fprintf(&b, "%s: %s\n  Brine: %s\n  Salt:  %s\n", k, kk, show(gv), show(wv))
			}
		}
	}
	for _, k := range gk {
		if !seen[k] {
			fmt.Fprintf(&b, "only on Brine: %s\n", k)
		}
	}
	if b.Len() == 0 && strings.Join(gk, "\n") != strings.Join(wk, "\n") {
		b.WriteString("same chunks in a different order\n")
	}
	return b.String()
}

// isErrors: Salt and Brine report render and compile errors as a list
// of strings where the chunks would be.
func isErrors(l []any) bool {
	if len(l) == 0 {
		return false
	}
	_, ok := l[0].(string)
	return ok
}

var parenthesised = regexp.MustCompile(` \([^()]*\)`)

// normErrors drops a count line ("2 errors compiling states:") and
// parenthesised details.
func normErrors(l []any) []string {
	var out []string
	for _, e := range l {
		s, _ := e.(string)
		if strings.HasSuffix(s, "errors compiling states:") {
			continue
		}
		out = append(out, parenthesised.ReplaceAllString(s, ""))
	}
	sort.Strings(out)
	return out
}

func equal(a, b any) bool { return show(a) == show(b) }

func short(v any) string {
	s := show(v)
	if len(s) > 3000 {
		s = s[:3000] + "..."
	}
	return s
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// LoadGrains reads a grains JSON file.
func LoadGrains(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var g map[string]any
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return goNumbers(g).(map[string]any), nil
}

// goNumbers turns json.Number into int (integral) or float64, as grains
// are on a minion.
func goNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = goNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = goNumbers(x[k])
		}
	}
	return v
}
