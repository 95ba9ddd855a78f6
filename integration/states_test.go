package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// writeTree writes files (path relative to root -> content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// stateRet is one entry of Salt's state return map.
type stateRet struct {
	Result   *bool          `json:"result"`
	Changes  map[string]any `json:"changes"`
	Comment  string         `json:"comment"`
	Name     string         `json:"name"`
	ID       string         `json:"__id__"`
	RunNum   *int           `json:"__run_num__"`
	Duration *float64       `json:"duration"`
}

// stateApply runs a state.* function on one minion with --out json. It
// returns the decoded state map (nil when the minion returned something
// else, e.g. a list of errors), the raw return and ctl's result.
func stateApply(t *testing.T, c *testutil.Cluster, id string, args ...string) (map[string]stateRet, any, testutil.Result) {
	t.Helper()
	fun := args[0]
	full := append([]string{fun, id}, args[1:]...)
	full = append(full, "--out", "json", "--timeout", "60")
	r := c.Ctl(full...)
	var byID map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.Stdout), &byID); err != nil {
		t.Fatalf("%v: exit %d, bad json stdout %q (stderr %q): %v", full, r.Code, r.Stdout, r.Stderr, err)
	}
	raw, ok := byID[id]
	if !ok {
		t.Fatalf("%v: no return from %s: %s %s", full, id, r.Stdout, r.Stderr)
	}
	var generic any
	_ = json.Unmarshal(raw, &generic)
	var states map[string]stateRet
	if json.Unmarshal(raw, &states) != nil {
		states = nil
	}
	return states, generic, r
}

// stateKeyRe is Salt's state return key: module_|-id_|-name_|-function.
var stateKeyRe = regexp.MustCompile(`^([a-z_]+)_\|-(.+)_\|-(.+)_\|-([a-z_]+)$`)

// stateByID finds the return of state id; it fails when there is none.
func stateByID(t *testing.T, states map[string]stateRet, id string) (string, stateRet) {
	t.Helper()
	for k, v := range states {
		if v.ID == id {
			return k, v
		}
	}
	t.Fatalf("no state %q in %v", id, keysOf(states))
	return "", stateRet{}
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// allUnchanged checks that every state succeeded without changes.
func allUnchanged(t *testing.T, what string, states map[string]stateRet) {
	t.Helper()
	for k, v := range states {
		if v.Result == nil || !*v.Result || len(v.Changes) != 0 {
			t.Errorf("%s: %s: result %v, changes %v, comment %q", what, k, v.Result, v.Changes, v.Comment)
		}
	}
}

// errorText joins a failed state run's return (a list of error strings, or
// anything else) into one string.
func errorText(ret any) string {
	switch x := ret.(type) {
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, "\n")
	case string:
		return x
	}
	b, _ := json.Marshal(ret)
	return string(b)
}

// stateTree is the state and pillar tree TestStates applies. The pillar
// gives every minion its own output directory under out.
func stateTree(t *testing.T, salt, pillarDir, out string) {
	t.Helper()
	writeTree(t, salt, map[string]string{
		"top.sls": `base:
  '*':
    - web
  'role:app':
    - match: grain
    - app
  'st-2':
    - marker
    - ghost
`,
		// web includes its config relatively and common absolutely; the
		// included states run first.
		"web/init.sls": `include:
  - .config
  - common

web-dir:
  file.directory:
    - name: {{ pillar['out'] }}/web

{% for u in pillar['users'] %}
user-{{ u }}:
  file.managed:
    - name: {{ pillar['out'] }}/web/{{ u }}.txt
    - contents: hello {{ u }} at {{ pillar['site'] }}
    - require:
      - file: web-dir
{% endfor %}
`,
		"web/config.sls": `web-conf:
  file.managed:
    - name: {{ pillar['out'] }}/web/site.conf
    - source: salt://web/files/site.conf.j2
    - template: jinja
    - makedirs: True
    - context:
        port: 8080
        workers: {{ pillar['workers'] }}

reload-web:
  cmd.wait:
    - name: echo reloaded >> {{ pillar['out'] }}/reloads
    - watch:
      - file: web-conf

after-conf:
  cmd.run:
    - name: echo changed >> {{ pillar['out'] }}/onchanges
    - onchanges:
      - file: web-conf
`,
		"web/files/site.conf.j2": `server_name {{ pillar['site'] }};
listen {{ port }};
workers {{ workers }};
minion {{ grains['id'] }};
`,
		"common.sls": `common-ok:
  test.succeed_without_changes: []
`,
		"app.sls": `app-file:
  file.managed:
    - name: {{ pillar['out'] }}/app.txt
    - contents: app on {{ grains['role'] }}
`,
		"db.sls": `db-file:
  file.managed:
    - name: {{ pillar['out'] }}/db.txt
    - contents: db of {{ grains['id'] }}
    - require:
      - sls: web
`,
		"marker.sls": `marker-file:
  file.managed:
    - name: {{ pillar['out'] }}/marker.txt
    - contents: should not exist
`,
		"site.sls": `site-file:
  file.managed:
    - name: {{ pillar['out'] }}/site.txt
    - contents: site {{ pillar['site'] }}
    - makedirs: True
`,
		// Bad SLS files: each would also create a file, and must not.
		"bad/yaml.sls": `bad-yaml-file:
  file.managed:
    - name: {{ pillar['out'] }}/bad-yaml.txt
    - contents: x
    - mode: a: b
`,
		"bad/indent.sls": `bad-indent-file:
  file.managed:
    - name: {{ pillar['out'] }}/bad-indent.txt
     - contents: x
`,
		"bad/jinja.sls": `bad-jinja-file:
  file.managed:
    - name: {{ pillar['out'] }}/bad-jinja.txt
{% if grains['id'] %}
    - contents: x
`,
		"bad/cycle.sls": `cycle-a:
  file.managed:
    - name: {{ pillar['out'] }}/cycle-a.txt
    - contents: a
    - require:
      - file: cycle-b

cycle-b:
  file.managed:
    - name: {{ pillar['out'] }}/cycle-b.txt
    - contents: b
    - require:
      - file: cycle-a
`,
		"bad/unknown.sls": `bad-unknown-file:
  file.managed:
    - name: {{ pillar['out'] }}/bad-unknown.txt
    - contents: x

frobnicate-it:
  file.frobnicate:
    - name: {{ pillar['out'] }}/frob
`,
		"bad/missingarg.sls": `bad-missing-file:
  file.managed:
    - name: {{ pillar['out'] }}/bad-missing.txt
    - contents: x

hosts-without-ip:
  host.present:
    - name: nowhere.example
`,
	})
	writeTree(t, pillarDir, map[string]string{
		"top.sls": `base:
  '*':
    - common
  'st-3':
    - broken
`,
		"common.sls": `out: ` + out + `/{{ grains['id'] }}
site: brine.example
workers: 4
users:
{% for u in ['alice', 'bob'] %}
  - {{ u }}
{% endfor %}
`,
		"broken.sls": `extra: fine
`,
	})
}

// TestStates applies a real state tree through ctl: top file with a glob
// and a grain match, include (relative and absolute), requisites, a Jinja
// loop, a templated file.managed from salt://, pillar values; idempotence,
// test mode, exit codes, the other state.* functions and bad SLS files.
func TestStates(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	salt, pillarDir, out := filepath.Join(base, "salt"), filepath.Join(base, "pillar"), filepath.Join(base, "out")
	stateTree(t, salt, pillarDir, out)
	c := cluster(t, map[string]any{
		"auto_accept":  true,
		"file_roots":   map[string]any{"base": []any{salt}},
		"pillar_roots": map[string]any{"base": []any{pillarDir}},
	})
	c.StartMinion(c.MinionConfig("st-1", map[string]any{"role": "app"}))
	c.StartMinion(c.MinionConfig("st-2", nil))
	c.StartMinion(c.MinionConfig("st-3", nil))
	waitPing(t, c, "*", 3)
	waitPing(t, c, "role:app", 1) // grains reached the master: the top's grain match needs them
	ev := c.StartCtl("events", "salt/job/*")

	dir := filepath.Join(out, "st-1")
	conf := filepath.Join(dir, "web", "site.conf")
	wantConf := "server_name brine.example;\nlisten 8080;\nworkers 4;\nminion st-1;\n"

	t.Run("highstate", func(t *testing.T) {
		states, ret, r := stateApply(t, c, "st-1", "state.apply")
		if r.Code != 0 || states == nil {
			t.Fatalf("state.apply: exit %d, %v, stderr %q", r.Code, ret, r.Stderr)
		}
		wantIDs := []string{"web-conf", "reload-web", "after-conf", "common-ok", "web-dir", "user-alice", "user-bob", "app-file"}
		if len(states) != len(wantIDs) {
			t.Errorf("got states %v, want ids %v", keysOf(states), wantIDs)
		}
		runNums := map[int]string{}
		for k, v := range states {
			m := stateKeyRe.FindStringSubmatch(k)
			if m == nil {
				t.Errorf("key %q is not module_|-id_|-name_|-function", k)
				continue
			}
			if m[2] != v.ID || m[3] != v.Name {
				t.Errorf("key %q: __id__ %q, name %q", k, v.ID, v.Name)
			}
			if v.Result == nil || !*v.Result || v.RunNum == nil || v.Duration == nil || v.Comment == "" {
				t.Errorf("%s: result %v, __run_num__ %v, duration %v, comment %q", k, v.Result, v.RunNum, v.Duration, v.Comment)
				continue
			}
			if prev, dup := runNums[*v.RunNum]; dup {
				t.Errorf("__run_num__ %d used by %s and %s", *v.RunNum, prev, k)
			}
			runNums[*v.RunNum] = v.ID
		}
		// Salt's order: included SLS first (web.config, then common), then
		// web's own states in file order, then the next top entry.
		var order []string
		for i := 0; i < len(runNums); i++ {
			order = append(order, runNums[i])
		}
		if got, want := strings.Join(order, ","), strings.Join(wantIDs, ","); got != want {
			t.Errorf("run order %s, want %s", got, want)
		}
		// Every entry carries Salt's fields.
		for k, v := range ret.(map[string]any) {
			e, _ := v.(map[string]any)
			for _, f := range []string{"result", "changes", "comment", "name", "__id__", "__run_num__", "duration"} {
				if _, ok := e[f]; !ok {
					t.Errorf("%s has no %q: %v", k, f, e)
				}
			}
		}
		k, conf1 := stateByID(t, states, "web-conf")
		if k != "file_|-web-conf_|-"+conf+"_|-managed" {
			t.Errorf("web-conf key %q", k)
		}
		if conf1.Changes["diff"] != "New file" {
			t.Errorf("web-conf changes %v", conf1.Changes)
		}
		if _, rw := stateByID(t, states, "reload-web"); len(rw.Changes) == 0 {
			t.Errorf("reload-web (watch) did not run: %+v", rw)
		}
		if _, ac := stateByID(t, states, "after-conf"); len(ac.Changes) == 0 {
			t.Errorf("after-conf (onchanges) did not run: %+v", ac)
		}
		if got := readFile(t, conf); got != wantConf {
			t.Errorf("site.conf = %q, want %q", got, wantConf)
		}
		for _, u := range []string{"alice", "bob"} {
			if got := readFile(t, filepath.Join(dir, "web", u+".txt")); got != "hello "+u+" at brine.example\n" {
				t.Errorf("%s.txt = %q", u, got)
			}
		}
		if got := readFile(t, filepath.Join(dir, "app.txt")); got != "app on app\n" {
			t.Errorf("app.txt = %q", got)
		}
		if countLines(t, filepath.Join(dir, "reloads")) != 1 || countLines(t, filepath.Join(dir, "onchanges")) != 1 {
			t.Errorf("reloads %d, onchanges %d: want one each", countLines(t, filepath.Join(dir, "reloads")), countLines(t, filepath.Join(dir, "onchanges")))
		}
		// st-3 is not matched by the grain entry.
		if exists(filepath.Join(out, "st-3", "app.txt")) {
			t.Error("app.txt on st-3")
		}
	})

	t.Run("idempotent", func(t *testing.T) {
		states, ret, r := stateApply(t, c, "st-1", "state.apply")
		if r.Code != 0 || len(states) != 8 {
			t.Fatalf("second state.apply: exit %d, %v", r.Code, ret)
		}
		allUnchanged(t, "second apply", states)
		if countLines(t, filepath.Join(dir, "reloads")) != 1 || countLines(t, filepath.Join(dir, "onchanges")) != 1 {
			t.Error("watch or onchanges ran again without a change")
		}
	})

	t.Run("test mode shows the diff", func(t *testing.T) {
		tmpl := filepath.Join(salt, "web", "files", "site.conf.j2")
		orig := readFile(t, tmpl)
		defer os.WriteFile(tmpl, []byte(orig), 0o644)
		if err := os.WriteFile(tmpl, []byte(orig+"gzip on;\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		states, ret, r := stateApply(t, c, "st-1", "state.apply", "test=True")
		if r.Code != 0 || states == nil {
			t.Fatalf("test=True: exit %d, %v", r.Code, ret)
		}
		_, wc := stateByID(t, states, "web-conf")
		diff, _ := wc.Changes["diff"].(string)
		if wc.Result != nil || !strings.Contains(diff, "+gzip on;") {
			t.Errorf("web-conf in test mode: result %v, changes %v, comment %q", wc.Result, wc.Changes, wc.Comment)
		}
		if _, rw := stateByID(t, states, "reload-web"); rw.Result != nil || len(rw.Changes) != 0 {
			t.Errorf("reload-web in test mode: %+v", rw)
		}
		if got := readFile(t, conf); got != wantConf {
			t.Errorf("test=True changed site.conf: %q", got)
		}
		if countLines(t, filepath.Join(dir, "reloads")) != 1 || countLines(t, filepath.Join(dir, "onchanges")) != 1 {
			t.Error("test=True ran a command")
		}
	})

	t.Run("state.sls list", func(t *testing.T) {
		states, ret, r := stateApply(t, c, "st-1", "state.sls", "web,db")
		if r.Code != 0 || states == nil {
			t.Fatalf("state.sls web,db: exit %d, %v", r.Code, ret)
		}
		if len(states) != 8 { // web (with its includes) and db; not app
			t.Errorf("state.sls web,db ran %v", keysOf(states))
		}
		_, db := stateByID(t, states, "db-file")
		if db.RunNum == nil || *db.RunNum != 7 || len(db.Changes) == 0 {
			t.Errorf("db-file: %+v", db)
		}
		if got := readFile(t, filepath.Join(dir, "db.txt")); got != "db of st-1\n" {
			t.Errorf("db.txt = %q", got)
		}
	})

	t.Run("state.single", func(t *testing.T) {
		p := filepath.Join(base, "single.txt")
		states, ret, r := stateApply(t, c, "st-1", "state.single", "file.managed", p, "contents=single line", "mode=640")
		if r.Code != 0 || len(states) != 1 {
			t.Fatalf("state.single: exit %d, %v", r.Code, ret)
		}
		k := "file_|-" + p + "_|-" + p + "_|-managed"
		if s, ok := states[k]; !ok || s.Result == nil || !*s.Result || s.Changes["diff"] != "New file" {
			t.Errorf("state.single returned %v", ret)
		}
		if got := readFile(t, p); got != "single line\n" {
			t.Errorf("single.txt = %q", got)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("single.txt mode: %v %v", fi.Mode(), err)
		}
	})

	t.Run("exit code of a failing state", func(t *testing.T) {
		states, ret, r := stateApply(t, c, "st-1", "state.single", "cmd.run", "exit 3")
		k := "cmd_|-exit 3_|-exit 3_|-run"
		if r.Code != 1 || states[k].Result == nil || *states[k].Result {
			t.Errorf("failing cmd.run: exit %d, %v", r.Code, ret)
		}
		// The minion's retcode is Salt's 2 for a failed state (ctl exits 1).
		jid := asyncJID(t, c, "state.single", "st-1", "test.fail_without_changes", "nope")
		testutil.Eventually(t, 30*time.Second, "the failed state's return event", func() bool {
			for _, l := range strings.Split(ev.Output(), "\n") {
				if strings.Contains(l, `"tag":"salt/job/`+jid+`/ret/st-1"`) {
					if !strings.Contains(l, `"retcode":2`) || !strings.Contains(l, `"success":false`) {
						t.Errorf("return event: %s", l)
					}
					return true
				}
			}
			return false
		})
	})

	t.Run("show_top show_sls", func(t *testing.T) {
		m, r := ctlJSON(t, c, "state.show_top", "st-1")
		if got, _ := json.Marshal(m["st-1"]); r.Code != 0 || string(got) != `{"base":["web","app"]}` {
			t.Errorf("show_top st-1: exit %d, %s", r.Code, got)
		}
		m, r = ctlJSON(t, c, "state.show_top", "st-3")
		if got, _ := json.Marshal(m["st-3"]); r.Code != 0 || string(got) != `{"base":["web"]}` {
			t.Errorf("show_top st-3: exit %d, %s", r.Code, got)
		}
		// Salt's show_sls: ID -> {module: [function, {arg: value}...], __sls__, __env__}
		m, r = ctlJSON(t, c, "state.show_sls", "st-1", "web")
		show, _ := m["st-1"].(map[string]any)
		if r.Code != 0 || len(show) == 0 {
			t.Fatalf("show_sls web: exit %d, %v", r.Code, m)
		}
		found := false
		for _, v := range show {
			e, _ := v.(map[string]any)
			run, _ := e["file"].([]any)
			if e["__sls__"] != "web.config" || len(run) == 0 {
				continue
			}
			args, fun := map[string]any{}, ""
			for _, a := range run {
				switch x := a.(type) {
				case map[string]any:
					for k, v := range x {
						args[k] = v
					}
				case string:
					fun = x
				}
			}
			if args["name"] == conf {
				found = true
				if fun != "managed" || args["template"] != "jinja" || args["source"] != "salt://web/files/site.conf.j2" || e["__env__"] != "base" {
					t.Errorf("show_sls web-conf entry: %v", e)
				}
			}
		}
		if !found {
			t.Errorf("show_sls web has no web-conf from web.config: %v", show)
		}
		// Nothing ran: no db.txt appeared for show_sls.
		if m, r := ctlJSON(t, c, "state.show_sls", "st-3", "web,db"); r.Code != 0 {
			t.Errorf("show_sls web,db: exit %d, %v", r.Code, m)
		}
		if exists(filepath.Join(out, "st-3", "db.txt")) {
			t.Error("show_sls ran a state")
		}
	})

	t.Run("pillar override", func(t *testing.T) {
		states, ret, r := stateApply(t, c, "st-1", "state.apply", "web", `pillar={"site": "override.example", "workers": 8}`)
		if r.Code != 0 || states == nil {
			t.Fatalf("pillar override: exit %d, %v", r.Code, ret)
		}
		_, wc := stateByID(t, states, "web-conf")
		if diff, _ := wc.Changes["diff"].(string); !strings.Contains(diff, "+server_name override.example;") {
			t.Errorf("web-conf with pillar override: %+v", wc)
		}
		// An integer from the command line stays an integer (not 8.0).
		if got := readFile(t, conf); got != "server_name override.example;\nlisten 8080;\nworkers 8;\nminion st-1;\n" {
			t.Errorf("site.conf = %q", got)
		}
		if got := readFile(t, filepath.Join(dir, "web", "alice.txt")); got != "hello alice at override.example\n" {
			t.Errorf("alice.txt = %q", got)
		}
		// The override is for that run only.
		if states, ret, r := stateApply(t, c, "st-1", "state.apply", "web"); r.Code != 0 || states == nil {
			t.Fatalf("state.apply web: exit %d, %v", r.Code, ret)
		}
		if got := readFile(t, conf); got != wantConf {
			t.Errorf("site.conf after the override run = %q", got)
		}
	})

	t.Run("bad sls", func(t *testing.T) {
		cases := []struct {
			sls   string
			want  []string
			files []string
		}{
			{"bad.yaml", []string{"bad/yaml.sls:5", "mapping values are not allowed"}, []string{"bad-yaml.txt"}},
			// yaml.v3 gives parser errors (bad indentation, unclosed
			// brackets) the line of the enclosing node, not of the
			// mistake: only the file is checked.
			{"bad.indent", []string{"bad/indent.sls", "did not find expected '-' indicator"}, []string{"bad-indent.txt"}},
			{"bad.jinja", []string{"bad/jinja.sls", "line 4"}, []string{"bad-jinja.txt"}},
			{"bad.cycle", []string{"cycle", "cycle-a", "cycle-b"}, []string{"cycle-a.txt", "cycle-b.txt"}},
			{"bad.unknown", []string{"file.frobnicate", "frobnicate-it"}, []string{"bad-unknown.txt"}},
			{"bad.missingarg", []string{"hosts-without-ip", "ip"}, []string{"bad-missing.txt"}},
			{"no.such.sls", []string{"No matching sls found for 'no.such.sls' in env 'base'"}, nil},
		}
		for _, tc := range cases {
			states, ret, r := stateApply(t, c, "st-1", "state.sls", tc.sls)
			msg := errorText(ret)
			t.Logf("%s: %s", tc.sls, msg)
			if r.Code != 1 || states != nil {
				t.Errorf("%s: exit %d, return %v", tc.sls, r.Code, ret)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%s: error does not name %q: %s", tc.sls, w, msg)
				}
			}
			for _, f := range tc.files {
				if exists(filepath.Join(dir, f)) {
					t.Errorf("%s: %s was created", tc.sls, f)
				}
			}
			// The text output shows the errors too.
			rt := c.Ctl("state.sls", "st-1", tc.sls)
			if rt.Code != 1 || !strings.Contains(rt.Stdout+rt.Stderr, tc.want[0]) {
				t.Errorf("%s (text): exit %d, %s %s", tc.sls, rt.Code, rt.Stdout, rt.Stderr)
			}
		}
		// A missing SLS in the top file: nothing of the highstate runs.
		_, ret, r := stateApply(t, c, "st-2", "state.apply")
		t.Logf("missing SLS in top: %s", errorText(ret))
		if msg := errorText(ret); r.Code != 1 || !strings.Contains(msg, "ghost") {
			t.Errorf("highstate with a missing SLS: exit %d, %s", r.Code, msg)
		}
		if exists(filepath.Join(out, "st-2", "marker.txt")) || exists(filepath.Join(out, "st-2", "web")) {
			t.Error("a highstate with a missing SLS changed files")
		}
	})

	t.Run("pillar render error", func(t *testing.T) {
		// st-3 has a good pillar first.
		if states, ret, r := stateApply(t, c, "st-3", "state.apply", "site"); r.Code != 0 || states == nil {
			t.Fatalf("st-3 state.apply site: exit %d, %v", r.Code, ret)
		}
		brokenPath := filepath.Join(pillarDir, "broken.sls")
		if err := os.WriteFile(brokenPath, []byte("extra: fine\nsite: {{ grains['id'] }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(brokenPath, []byte("extra: fine\n"), 0o644)
		siteFile := filepath.Join(out, "st-3", "site.txt")
		if err := os.Remove(siteFile); err != nil {
			t.Fatal(err)
		}
		states, ret, r := stateApply(t, c, "st-3", "state.apply", "site")
		msg := errorText(ret)
		t.Logf("broken pillar: %s", msg)
		if r.Code != 1 || states != nil || !strings.Contains(msg, "Pillar failed to render") || !strings.Contains(msg, "broken.sls:2") {
			t.Errorf("state.apply with a broken pillar: exit %d, %s", r.Code, msg)
		}
		if exists(siteFile) {
			t.Error("state.apply ran with a broken pillar")
		}
		m, r := ctlJSON(t, c, "pillar.items", "st-3")
		if r.Code != 1 || !strings.Contains(fmt.Sprint(m["st-3"]), "broken.sls:2") {
			t.Errorf("pillar.items with a broken pillar: exit %d, %v", r.Code, m)
		}
		if strings.Contains(fmt.Sprint(m["st-3"]), "brine.example") {
			t.Errorf("pillar.items returned a partial pillar: %v", m)
		}
	})
}

// nonLoopbackIface names an up interface with an IPv4 address outside
// 127/8, or "" when there is none.
func nonLoopbackIface() (string, string) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", ""
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
				return i.Name, n.IP.String()
			}
		}
	}
	return "", ""
}

// TestHostsFromMine is seed 003's "poor man's DNS": every minion of an env
// publishes its addresses in the mine, and a state loops over mine.get to
// write host entries for the others (and itself on 127.0.0.1).
func TestHostsFromMine(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	salt := filepath.Join(base, "salt")
	// The seed's template, indentation restored.
	writeTree(t, salt, map[string]string{
		"hosts.sls": `{% for id, addr_list in salt['mine.get']('env:{0}'.format(grains['env']), 'network.ip_addrs', expr_form='grain').items() %}
{% if id == grains['id'] %}
self-host-entry:
  host.present:
    - ip: 127.0.0.1
    - names:
        - {{ id }}
{% else %}
{{ id }}-host-entry:
  host.present:
    - ip: {{ addr_list|first() }}
    - names:
        - {{ id }}
{% endif %}
{% endfor %}
`,
	})
	// The seed uses eth0; use whatever interface this host has, or the
	// loopback when it has none.
	iface, wantIP := nonLoopbackIface()
	ipFn := any([]any{iface})
	if iface == "" {
		ipFn = []any{"lo", map[string]any{"include_loopback": true}}
		wantIP = "127.0.0.1"
	}
	c := cluster(t, map[string]any{"auto_accept": true, "file_roots": map[string]any{"base": []any{salt}}})
	ids := []string{"mongo-1", "mongo-2", "mongo-3"}
	hosts := map[string]string{}
	for _, id := range ids {
		cfg := c.MinionConfig(id, map[string]any{"env": "prod"})
		cfg["mine_functions"] = map[string]any{"network.ip_addrs": ipFn, "network.get_hostname": []any{}}
		hosts[id] = filepath.Join(base, id, "hosts")
		writeTree(t, filepath.Dir(hosts[id]), map[string]string{"hosts": "# managed by a test\n127.0.0.1 localhost\n"})
		cfg["hosts.file"] = hosts[id]
		c.StartMinion(cfg)
	}
	// Another env's minion is in the mine but not in prod's entries.
	other := c.MinionConfig("stage-1", map[string]any{"env": "stage"})
	other["mine_functions"] = map[string]any{"network.ip_addrs": ipFn}
	other["hosts.file"] = filepath.Join(base, "stage-1", "hosts")
	c.StartMinion(other)
	waitPing(t, c, "env:*", 4)
	testutil.Eventually(t, 30*time.Second, "mine data of all four", func() bool {
		r := c.Ctl("run", "mine.get", "*", "network.ip_addrs", "--out", "json")
		var m map[string]any
		return r.Code == 0 && json.Unmarshal([]byte(r.Stdout), &m) == nil && len(m) == 4
	})

	m, r := ctlJSON(t, c, "state.apply", "env:prod", "hosts", "--timeout", "60")
	if r.Code != 0 || len(m) != 3 {
		t.Fatalf("state.apply hosts: exit %d, %v %s", r.Code, m, r.Stderr)
	}
	for _, id := range ids {
		states, _ := m[id].(map[string]any)
		if len(states) != 3 {
			t.Errorf("%s ran %d states: %v", id, len(states), m[id])
		}
		got := readFile(t, hosts[id])
		lines := strings.Split(strings.TrimSpace(got), "\n")
		if lines[0] != "# managed by a test" || !hostsMaps(got, "127.0.0.1", "localhost") {
			t.Errorf("%s: existing lines lost: %q", id, got)
		}
		for _, other := range ids {
			ip := wantIP
			if other == id {
				ip = "127.0.0.1"
			}
			if !hostsMaps(got, ip, other) {
				t.Errorf("%s: hosts file does not map %s to %s:\n%s", id, other, ip, got)
			}
		}
		if strings.Contains(got, "stage-1") {
			t.Errorf("%s: hosts file names a stage minion:\n%s", id, got)
		}
	}
	if exists(filepath.Join(base, "stage-1", "hosts")) {
		t.Error("stage-1 was not targeted but has a hosts file")
	}
	// A second run changes nothing.
	m, r = ctlJSON(t, c, "state.apply", "env:prod", "hosts", "--timeout", "60")
	for _, id := range ids {
		b, _ := json.Marshal(m[id])
		var states map[string]stateRet
		if r.Code != 0 || json.Unmarshal(b, &states) != nil {
			t.Fatalf("second apply on %s: exit %d, %s", id, r.Code, b)
		}
		allUnchanged(t, id+" second apply", states)
	}
}

// hostsMaps reports whether the hosts file text has name on a line for ip.
func hostsMaps(text, ip, name string) bool {
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != ip {
			continue
		}
		for _, n := range f[1:] {
			if n == name {
				return true
			}
		}
	}
	return false
}

// TestStartupStates: a minion with startup_states applies its highstate (or
// the listed SLS) on its own when it first connects, as a job whose return
// reaches the master like any other.
func TestStartupStates(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	salt := filepath.Join(base, "salt")
	writeTree(t, salt, map[string]string{
		"top.sls": "base:\n  'boot-*':\n    - boot\n",
		"boot.sls": `boot-file:
  file.managed:
    - name: ` + base + `/{{ grains['id'] }}-boot.txt
    - contents: booted {{ grains['id'] }}
`,
		"extra.sls": `extra-file:
  file.managed:
    - name: ` + base + `/{{ grains['id'] }}-extra.txt
    - contents: extra
`,
	})
	c := cluster(t, map[string]any{"auto_accept": true, "file_roots": map[string]any{"base": []any{salt}}})
	ev := c.StartCtl("events", "salt/job/*/ret/*")
	cfg := c.MinionConfig("boot-1", nil)
	cfg["startup_states"] = "highstate"
	c.StartMinion(cfg)
	cfg = c.MinionConfig("boot-2", nil)
	cfg["startup_states"] = []any{"extra"}
	c.StartMinion(cfg)
	c.StartMinion(c.MinionConfig("boot-3", nil)) // none

	testutil.Eventually(t, 30*time.Second, "startup states to write their files", func() bool {
		return exists(filepath.Join(base, "boot-1-boot.txt")) && exists(filepath.Join(base, "boot-2-extra.txt"))
	})
	if got := readFile(t, filepath.Join(base, "boot-1-boot.txt")); got != "booted boot-1\n" {
		t.Errorf("boot-1-boot.txt = %q", got)
	}
	if exists(filepath.Join(base, "boot-2-boot.txt")) {
		t.Error("boot-2 applied its highstate, not its startup_states list")
	}
	// The runs are recorded in the job cache (under a jid the master
	// picked) and their returns reach it like any job's, with the event.
	returned := func(id, fun string) bool {
		r := c.Ctl("jobs", "list", "--out", "json")
		var jobs map[string]map[string]any
		if json.Unmarshal([]byte(r.Stdout), &jobs) != nil {
			return false
		}
		for jid, j := range jobs {
			if j["Function"] != fun || j["User"] != "schedule:startup_states" || j["Target"] != id {
				continue
			}
			rets, _ := jobReturns(t, c, jid)
			if _, ok := rets[id]; !ok {
				return false
			}
			for _, l := range strings.Split(ev.Output(), "\n") {
				if strings.Contains(l, `/`+jid+`/ret/`+id+`"`) && strings.Contains(l, `"success":true`) {
					return true
				}
			}
			// ctl events may have subscribed after the return was
			// fired; the job cache is the record.
			return !strings.Contains(ev.Output(), "/ret/"+id+`"`)
		}
		return false
	}
	testutil.Eventually(t, 30*time.Second, "the startup jobs' returns in the job cache", func() bool {
		return returned("boot-1", "state.highstate") && returned("boot-2", "state.sls")
	})
	waitPing(t, c, "*", 3)
	if exists(filepath.Join(base, "boot-3-boot.txt")) {
		t.Error("boot-3 has no startup_states but applied its highstate")
	}
}
