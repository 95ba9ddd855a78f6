package highstate

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/states"
)

// yamlMap parses YAML into render's ordered data, as render.SLS returns
// it after the Jinja pass.
func yamlMap(t testing.TB, text string) *render.Map {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("yaml: %v\n%s", err, text)
	}
	if len(doc.Content) == 0 {
		return render.NewMap()
	}
	v, err := fromNode(doc.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(*render.Map)
	if !ok {
		t.Fatalf("yaml: top level is %T", v)
	}
	return m
}

func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := render.NewMap()
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m.Set(n.Content[i].Value, v)
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// memSource is a fake Source: sls name -> YAML, file names like the
// file server's (sls "web" is web/init.sls when listed as such).
type memSource struct {
	t     testing.TB
	files map[string]string // "web" or "dev:web" -> YAML
	names map[string]string // sls -> file name (default sls path + .sls)
	mu    sync.Mutex
	loads []string
}

func newSource(t testing.TB, files map[string]string) *memSource {
	return &memSource{t: t, files: files, names: map[string]string{}}
}

func (s *memSource) Load(_ context.Context, sls, saltenv string) (*render.Map, string, error) {
	s.mu.Lock()
	s.loads = append(s.loads, saltenv+":"+sls)
	s.mu.Unlock()
	text, ok := s.files[saltenv+":"+sls]
	if !ok && saltenv == "base" {
		text, ok = s.files[sls]
	}
	if !ok {
		return nil, "", fmt.Errorf("sls %s: %w", sls, fs.ErrNotExist)
	}
	file := s.names[sls]
	if file == "" {
		file = strings.ReplaceAll(sls, ".", "/") + ".sls"
	}
	return yamlMap(s.t, text), file, nil
}

// recorder logs what the hstest states did, per test.
var recorders sync.Map // key -> *recorder

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func newRecorder(t *testing.T) (*recorder, string) {
	key := t.Name()
	r := &recorder{}
	recorders.Store(key, r)
	t.Cleanup(func() { recorders.Delete(key) })
	return r, key
}

func rec(call states.Call) *recorder {
	key, _ := call.Args["rec"].(string)
	if v, ok := recorders.Load(key); ok {
		return v.(*recorder)
	}
	return &recorder{}
}

// recordApply is hstest.*: it logs "apply:<id>" (or "test:<id>" in test
// mode) and returns what its arguments ask: result (true, false or
// none), changes (bool; in test mode a changing state gives Result nil).
func recordApply(_ context.Context, env *states.Env, call states.Call) states.Result {
	prefix := "apply:"
	if call.Test {
		prefix = "test:"
	}
	rec(call).add(prefix + call.ID)
	res := states.Result{Name: call.Name, Result: states.True(), Comment: "recorded"}
	switch call.Args["result"] {
	case false:
		res.Result = states.False()
		res.Comment = "asked to fail"
	case "none":
		res.Result = nil
	}
	if p, ok := call.Args["pillar_key"].(string); ok {
		res.Comment = fmt.Sprint(env.Pillar[p])
	}
	if call.Args["changes"] == true {
		res.Changes = map[string]any{"changed": call.Name}
		if call.Test && res.Result != nil && *res.Result {
			res.Result = nil
		}
	}
	return res
}

func recordWatch(_ context.Context, _ *states.Env, call states.Call) states.Result {
	prefix := "watch:"
	if call.Test {
		prefix = "testwatch:"
	}
	rec(call).add(prefix + call.ID)
	if call.Args["watch_fails"] == true {
		return states.Result{Name: call.Name, Result: states.False(), Comment: "mod_watch failed"}
	}
	return states.Result{Name: call.Name, Result: states.True(), Changes: map[string]any{"watch": true}, Comment: "Watch statement fired."}
}

func init() {
	// Salt's test states, only if the states package does not have them.
	testStates := map[string]states.Func{
		"test.nop": func(_ context.Context, _ *states.Env, c states.Call) states.Result {
			return states.Result{Name: c.Name, Result: states.True(), Comment: "Success!"}
		},
		"test.succeed_without_changes": func(_ context.Context, _ *states.Env, c states.Call) states.Result {
			return states.Result{Name: c.Name, Result: states.True(), Comment: "Success!"}
		},
		"test.succeed_with_changes": func(_ context.Context, _ *states.Env, c states.Call) states.Result {
			r := states.Result{Name: c.Name, Result: states.True(), Comment: "Success!",
				Changes: map[string]any{"testing": map[string]any{"old": "Unchanged", "new": "Something pretended to change"}}}
			if c.Test {
				r.Result, r.Comment = nil, "If we weren't testing, this would be successful with changes"
			}
			return r
		},
		"test.fail_without_changes": func(_ context.Context, _ *states.Env, c states.Call) states.Result {
			return states.Result{Name: c.Name, Result: states.False(), Comment: "Failure!"}
		},
		"test.fail_with_changes": func(_ context.Context, _ *states.Env, c states.Call) states.Result {
			return states.Result{Name: c.Name, Result: states.False(), Comment: "Failure!",
				Changes: map[string]any{"testing": map[string]any{"old": "Unchanged", "new": "Something pretended to change"}}}
		},
	}
	names := make([]string, 0, len(testStates))
	for n := range testStates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := states.Lookup(n); !ok {
			states.Register(states.State{Name: n, Doc: "test fake", Apply: testStates[n]})
		}
	}
	states.Register(states.State{Name: "hstest.watcher", Doc: "records; has mod_watch", Apply: recordApply, ModWatch: recordWatch})
	states.Register(states.State{Name: "hstest.plain", Doc: "records; no mod_watch", Apply: recordApply})
	states.Register(states.State{Name: "hstest.needs", Doc: "requires value", Apply: recordApply, Required: []string{"value"}})
}

// compileYAML compiles sls files given as YAML, applying top.
func compileYAML(t *testing.T, o Options, files map[string]string, top ...string) (*Plan, error) {
	t.Helper()
	src := newSource(t, files)
	o.Source = src
	return Compile(context.Background(), o, top)
}

func mustCompile(t *testing.T, o Options, files map[string]string, top ...string) *Plan {
	t.Helper()
	p, err := compileYAML(t, o, files, top...)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

func mustRun(t *testing.T, o Options, files map[string]string, top ...string) map[string]Result {
	t.Helper()
	return mustCompile(t, o, files, top...).Run(context.Background(), o)
}

// compileErrors compiles and returns the error messages (failing when
// it compiles).
func compileErrors(t *testing.T, files map[string]string, top ...string) []string {
	t.Helper()
	_, err := compileYAML(t, Options{}, files, top...)
	if err == nil {
		t.Fatal("compiled; want an error")
	}
	ce, ok := err.(*CompileError)
	if !ok {
		t.Fatalf("error %T %v, want *CompileError", err, err)
	}
	return ce.Errors
}

func wantError(t *testing.T, errs []string, parts ...string) {
	t.Helper()
	for _, e := range errs {
		ok := true
		for _, p := range parts {
			if !strings.Contains(e, p) {
				ok = false
				break
			}
		}
		if ok {
			return
		}
	}
	t.Errorf("no error containing %q in:\n%s", parts, strings.Join(errs, "\n"))
}

// byID finds the result of the state with that ID (and name, if given).
func byID(t *testing.T, res map[string]Result, id string) Result {
	t.Helper()
	var found []Result
	for _, r := range res {
		if r.ID == id {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d results with ID %q in %v", len(found), id, keys(res))
	}
	return found[0]
}

func keys(res map[string]Result) []string {
	out := make([]string, 0, len(res))
	for k := range res {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runOrder lists result IDs by __run_num__.
func runOrder(res map[string]Result) []string {
	list := make([]Result, 0, len(res))
	for _, r := range res {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].RunNum < list[j].RunNum })
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.ID
	}
	return out
}

func planIDs(p *Plan) []string {
	out := make([]string, len(p.Chunks))
	for i, c := range p.Chunks {
		out[i] = c.ID
	}
	return out
}

func resultString(b *bool) string {
	if b == nil {
		return "None"
	}
	if *b {
		return "True"
	}
	return "False"
}

func wantResult(t *testing.T, r Result, result string, commentPart string) {
	t.Helper()
	if got := resultString(r.Result); got != result {
		t.Errorf("%s: result %s, want %s (comment %q)", r.ID, got, result, r.Comment)
	}
	if !strings.Contains(r.Comment, commentPart) {
		t.Errorf("%s: comment %q, want it to contain %q", r.ID, r.Comment, commentPart)
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "|") == strings.Join(b, "|")
}
