package highstate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/brine-cm/brine/states"
)

// sls builds a one-file state tree; {rec} is replaced by the test's
// recorder key.
func sls(key, text string) map[string]string {
	return map[string]string{"main": strings.ReplaceAll(text, "{rec}", key)}
}

func TestRequireFailurePropagates(t *testing.T) {
	r, key := newRecorder(t)
	res := mustRun(t, Options{}, sls(key, `
broken:
  hstest.plain:
    - rec: {rec}
    - result: false
needs-broken:
  hstest.plain:
    - rec: {rec}
    - require:
      - hstest: broken
transitive:
  hstest.plain:
    - rec: {rec}
    - require:
      - needs-broken
independent:
  hstest.plain:
    - rec: {rec}
ok-after:
  hstest.plain:
    - rec: {rec}
    - require:
      - independent
`), "main")
	wantResult(t, byID(t, res, "broken"), "False", "asked to fail")
	wantResult(t, byID(t, res, "needs-broken"), "False", "One or more requisite failed: main.broken")
	wantResult(t, byID(t, res, "transitive"), "False", "One or more requisite failed: main.needs-broken")
	wantResult(t, byID(t, res, "independent"), "True", "recorded")
	wantResult(t, byID(t, res, "ok-after"), "True", "recorded")
	if got := r.list(); !equal(got, []string{"apply:broken", "apply:independent", "apply:ok-after"}) {
		t.Errorf("applied %v", got)
	}
	if got := runOrder(res); !equal(got, []string{"broken", "needs-broken", "transitive", "independent", "ok-after"}) {
		t.Errorf("run order %v", got)
	}
}

func TestRequireAny(t *testing.T) {
	_, key := newRecorder(t)
	res := mustRun(t, Options{}, sls(key, `
bad: test.fail_without_changes
good: test.nop
any-ok:
  test.nop:
    - require_any:
      - bad
      - good
any-bad:
  test.nop:
    - require_any:
      - bad
`), "main")
	wantResult(t, byID(t, res, "any-ok"), "True", "")
	wantResult(t, byID(t, res, "any-bad"), "False", "One or more requisite failed: main.bad")
}

func TestWatch(t *testing.T) {
	r, key := newRecorder(t)
	res := mustRun(t, Options{}, sls(key, `
changer:
  test.succeed_with_changes
quiet:
  test.nop
svc-changed:
  hstest.watcher:
    - rec: {rec}
    - watch:
      - test: changer
svc-quiet:
  hstest.watcher:
    - rec: {rec}
    - watch:
      - quiet
svc-own-changes:
  hstest.watcher:
    - rec: {rec}
    - changes: true
    - watch:
      - changer
plain-watch:
  hstest.plain:
    - rec: {rec}
    - watch:
      - changer
failed:
  test.fail_without_changes
svc-failed:
  hstest.watcher:
    - rec: {rec}
    - watch:
      - failed
`), "main")
	want := []string{
		"apply:svc-changed", "watch:svc-changed",
		"apply:svc-quiet",
		"apply:svc-own-changes", // Apply changed something: no mod_watch
		"apply:plain-watch",     // no mod_watch: watch is a require
	}
	if got := r.list(); !equal(got, want) {
		t.Errorf("calls\n got %v\nwant %v", got, want)
	}
	svc := byID(t, res, "svc-changed")
	wantResult(t, svc, "True", "Watch statement fired.")
	if svc.Changes["watch"] != true {
		t.Errorf("mod_watch result: %+v", svc)
	}
	wantResult(t, byID(t, res, "svc-failed"), "False", "One or more requisite failed: main.failed")
}

func TestOnchanges(t *testing.T) {
	r, key := newRecorder(t)
	res := mustRun(t, Options{}, sls(key, `
changer: test.succeed_with_changes
quiet: test.nop
failed: test.fail_with_changes
run-me:
  hstest.plain:
    - rec: {rec}
    - onchanges:
      - changer
skip-me:
  hstest.plain:
    - rec: {rec}
    - onchanges:
      - quiet
any-of:
  hstest.plain:
    - rec: {rec}
    - onchanges:
      - quiet
      - changer
on-failed:
  hstest.plain:
    - rec: {rec}
    - onchanges:
      - failed
in-form:
  hstest.plain:
    - rec: {rec}
from-in:
  test.succeed_with_changes:
    - onchanges_in:
      - hstest: in-form
`), "main")
	wantResult(t, byID(t, res, "skip-me"), "True", "State was not run because none of the onchanges reqs changed")
	wantResult(t, byID(t, res, "on-failed"), "False", "One or more requisite failed: main.failed")
	if got := r.list(); !equal(got, []string{"apply:run-me", "apply:any-of", "apply:in-form"}) {
		t.Errorf("calls %v", got)
	}
	if got := byID(t, res, "skip-me").Changes; got == nil || len(got) != 0 {
		t.Errorf("changes of a state not run: %#v", got)
	}
}

func TestOnfail(t *testing.T) {
	r, key := newRecorder(t)
	res := mustRun(t, Options{}, sls(key, `
bad: test.fail_without_changes
good: test.nop
recover:
  hstest.plain:
    - rec: {rec}
    - onfail:
      - bad
not-needed:
  hstest.plain:
    - rec: {rec}
    - onfail:
      - good
one-of:
  hstest.plain:
    - rec: {rec}
    - onfail:
      - good
      - bad
all-of:
  hstest.plain:
    - rec: {rec}
    - onfail_all:
      - good
      - bad
in-form:
  hstest.plain:
    - rec: {rec}
bad2:
  test.fail_without_changes:
    - onfail_in:
      - in-form
`), "main")
	wantResult(t, byID(t, res, "not-needed"), "True", "State was not run because onfail req did not change")
	wantResult(t, byID(t, res, "all-of"), "True", "State was not run because onfail req did not change")
	wantResult(t, byID(t, res, "recover"), "True", "recorded")
	if got := r.list(); !equal(got, []string{"apply:recover", "apply:one-of", "apply:in-form"}) {
		t.Errorf("calls %v", got)
	}
}

func TestListen(t *testing.T) {
	r, key := newRecorder(t)
	res := mustRun(t, Options{}, sls(key, `
svc:
  hstest.watcher:
    - rec: {rec}
    - listen:
      - test: conf
quiet-svc:
  hstest.watcher:
    - rec: {rec}
    - listen:
      - quiet
conf: test.succeed_with_changes
quiet: test.nop
other-conf:
  test.succeed_with_changes:
    - listen_in:
      - hstest: in-svc
in-svc:
  hstest.watcher:
    - rec: {rec}
`), "main")
	// listen does not order: svc runs first, its mod_watch at the end
	want := []string{"apply:svc", "apply:quiet-svc", "apply:in-svc", "watch:svc", "watch:in-svc"}
	if got := r.list(); !equal(got, want) {
		t.Errorf("calls\n got %v\nwant %v", got, want)
	}
	l, ok := res["hstest_|-listener_svc_|-svc_|-mod_watch"]
	if !ok {
		t.Fatalf("no listener result in %v", keys(res))
	}
	if l.ID != "listener_svc" || l.RunNum != 6 || !strings.Contains(l.Comment, "Watch statement fired") {
		t.Errorf("listener result %+v", l)
	}
	if _, ok := res["hstest_|-listener_quiet-svc_|-quiet-svc_|-mod_watch"]; ok {
		t.Error("quiet listener fired")
	}
	if len(res) != 8 {
		t.Errorf("%d results: %v", len(res), keys(res))
	}
}

func TestPrereq(t *testing.T) {
	t.Run("target would change", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{}, sls(key, `
graceful-down:
  hstest.plain:
    - rec: {rec}
    - prereq:
      - hstest: site-code
site-code:
  hstest.plain:
    - rec: {rec}
    - changes: true
`), "main")
		want := []string{"test:site-code", "apply:graceful-down", "apply:site-code"}
		if got := r.list(); !equal(got, want) {
			t.Errorf("calls\n got %v\nwant %v", got, want)
		}
		wantResult(t, byID(t, res, "graceful-down"), "True", "recorded")
		wantResult(t, byID(t, res, "site-code"), "True", "recorded")
		if got := runOrder(res); !equal(got, []string{"graceful-down", "site-code"}) {
			t.Errorf("order %v", got)
		}
	})
	t.Run("target would not change", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{}, sls(key, `
site-code:
  hstest.plain:
    - rec: {rec}
graceful-down:
  hstest.plain:
    - rec: {rec}
    - prereq:
      - site-code
`), "main")
		if got := r.list(); !equal(got, []string{"test:site-code", "apply:site-code"}) {
			t.Errorf("calls %v", got)
		}
		wantResult(t, byID(t, res, "graceful-down"), "True", "No changes detected")
		if got := runOrder(res); !equal(got, []string{"graceful-down", "site-code"}) {
			t.Errorf("order %v", got)
		}
	})
	t.Run("prereq-ing state fails", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{}, sls(key, `
graceful-down:
  hstest.plain:
    - rec: {rec}
    - result: false
    - prereq:
      - site-code
site-code:
  hstest.plain:
    - rec: {rec}
    - changes: true
`), "main")
		if got := r.list(); !equal(got, []string{"test:site-code", "apply:graceful-down"}) {
			t.Errorf("calls %v", got)
		}
		// Salt reports the target's test run, without its changes
		sc := byID(t, res, "site-code")
		wantResult(t, sc, "None", "recorded")
		if len(sc.Changes) != 0 {
			t.Errorf("changes %v", sc.Changes)
		}
	})
	t.Run("target test run fails", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{}, sls(key, `
graceful-down:
  hstest.plain:
    - rec: {rec}
    - prereq:
      - site-code
site-code:
  hstest.plain:
    - rec: {rec}
    - result: false
`), "main")
		if got := r.list(); !equal(got, []string{"test:site-code"}) {
			t.Errorf("calls %v", got)
		}
		wantResult(t, byID(t, res, "graceful-down"), "False", "One or more requisite failed: main.site-code")
		// its test run's failure is its result; it is not run again
		wantResult(t, byID(t, res, "site-code"), "False", "asked to fail")
	})
	t.Run("target requisites run first, prereq_in", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{}, sls(key, `
graceful-down:
  hstest.plain:
    - rec: {rec}
    - order: 1
site-code:
  hstest.plain:
    - rec: {rec}
    - changes: true
    - prereq_in:
      - graceful-down
    - require:
      - fetch
fetch:
  hstest.plain:
    - rec: {rec}
`), "main")
		want := []string{"apply:fetch", "test:site-code", "apply:graceful-down", "apply:site-code"}
		if got := r.list(); !equal(got, want) {
			t.Errorf("calls\n got %v\nwant %v", got, want)
		}
		if got := runOrder(res); !equal(got, []string{"fetch", "graceful-down", "site-code"}) {
			t.Errorf("order %v", got)
		}
	})
	t.Run("target skipped by onchanges", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{}, sls(key, `
quiet: test.nop
graceful-down:
  hstest.plain:
    - rec: {rec}
    - prereq:
      - site-code
site-code:
  hstest.plain:
    - rec: {rec}
    - changes: true
    - onchanges:
      - quiet
`), "main")
		if got := r.list(); len(got) != 0 {
			t.Errorf("calls %v", got)
		}
		wantResult(t, byID(t, res, "graceful-down"), "True", "No changes detected")
		wantResult(t, byID(t, res, "site-code"), "True", "none of the onchanges reqs changed")
	})
	t.Run("watched target would run mod_watch", func(t *testing.T) {
		r, key := newRecorder(t)
		mustRun(t, Options{}, sls(key, `
conf: test.succeed_with_changes
drain:
  hstest.plain:
    - rec: {rec}
    - prereq:
      - svc
svc:
  hstest.watcher:
    - rec: {rec}
    - watch:
      - conf
`), "main")
		want := []string{"test:svc", "apply:drain", "apply:svc", "watch:svc"}
		if got := r.list(); !equal(got, want) {
			t.Errorf("calls\n got %v\nwant %v", got, want)
		}
	})
}

func TestFailhard(t *testing.T) {
	tree := func(key string) map[string]string {
		return sls(key, `
first:
  hstest.plain:
    - rec: {rec}
bad:
  hstest.plain:
    - rec: {rec}
    - result: false
later:
  hstest.plain:
    - rec: {rec}
last:
  hstest.plain:
    - rec: {rec}
`)
	}
	t.Run("global", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{Failhard: true}, tree(key), "main")
		if got := r.list(); !equal(got, []string{"apply:first", "apply:bad"}) {
			t.Errorf("calls %v", got)
		}
		wantResult(t, byID(t, res, "later"), "False", "Failhard is set")
		wantResult(t, byID(t, res, "last"), "False", "Failhard is set")
		if byID(t, res, "last").RunNum != 3 {
			t.Error("run num")
		}
	})
	t.Run("test mode ignores failhard", func(t *testing.T) {
		r, key := newRecorder(t)
		mustRun(t, Options{Failhard: true, Test: true}, tree(key), "main")
		if got := r.list(); len(got) != 4 {
			t.Errorf("calls %v", got)
		}
	})
	t.Run("per state", func(t *testing.T) {
		r, key := newRecorder(t)
		res := mustRun(t, Options{}, sls(key, `
soft:
  test.fail_without_changes: []
hard:
  hstest.plain:
    - rec: {rec}
    - result: false
    - failhard: true
after:
  hstest.plain:
    - rec: {rec}
`), "main")
		if got := r.list(); !equal(got, []string{"apply:hard"}) {
			t.Errorf("calls %v", got)
		}
		wantResult(t, byID(t, res, "after"), "False", "Failhard is set")
	})
	t.Run("state overrides global", func(t *testing.T) {
		r, key := newRecorder(t)
		mustRun(t, Options{Failhard: true}, sls(key, `
allowed:
  hstest.plain:
    - rec: {rec}
    - result: false
    - failhard: false
after:
  hstest.plain:
    - rec: {rec}
`), "main")
		if got := r.list(); !equal(got, []string{"apply:allowed", "apply:after"}) {
			t.Errorf("calls %v", got)
		}
	})
}

func TestTestMode(t *testing.T) {
	r, key := newRecorder(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "motd")
	files := sls(key, `
motd:
  file.managed:
    - name: `+path+`
    - contents: hello
after-file:
  hstest.plain:
    - rec: {rec}
    - onchanges:
      - file: motd
svc:
  hstest.watcher:
    - rec: {rec}
    - watch:
      - file: `+path+`
`)
	res := mustRun(t, Options{Test: true}, files, "main")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("test mode wrote the file: %v", err)
	}
	wantResult(t, byID(t, res, "motd"), "None", "")
	if got := r.list(); !equal(got, []string{"test:after-file", "test:svc", "testwatch:svc"}) {
		t.Errorf("calls %v", got)
	}
	// for real
	res = mustRun(t, Options{}, files, "main")
	if b, err := os.ReadFile(path); err != nil || strings.TrimSpace(string(b)) != "hello" {
		t.Fatalf("file: %q %v", b, err)
	}
	m := byID(t, res, "motd")
	if !isTrue(m.Result) || len(m.Changes) == 0 {
		t.Errorf("file.managed: %+v", m)
	}
	// again: nothing changes, nothing fires
	before := len(r.list())
	res = mustRun(t, Options{}, files, "main")
	m = byID(t, res, "motd")
	if !isTrue(m.Result) || len(m.Changes) != 0 {
		t.Errorf("second run: %+v", m)
	}
	wantResult(t, byID(t, res, "after-file"), "True", "none of the onchanges reqs changed")
	if got := r.list()[before:]; !equal(got, []string{"apply:svc"}) {
		t.Errorf("second run calls %v", got)
	}
}

func TestConditions(t *testing.T) {
	r, key := newRecorder(t)
	exists := filepath.Join(t.TempDir(), "exists")
	if err := os.WriteFile(exists, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, Options{}, sls(key, `
unless-true:
  hstest.plain:
    - rec: {rec}
    - unless: "true"
unless-false:
  hstest.plain:
    - rec: {rec}
    - unless: "exit 3"
unless-list:
  hstest.plain:
    - rec: {rec}
    - unless:
      - "true"
      - "false"
onlyif-false:
  hstest.plain:
    - rec: {rec}
    - onlyif: "test -e /nonexistent/path"
onlyif-true:
  hstest.plain:
    - rec: {rec}
    - onlyif:
      - "true"
      - "test 1 = 1"
onlyif-cwd:
  hstest.plain:
    - rec: {rec}
    - cwd: `+filepath.Dir(exists)+`
    - onlyif: "test -e exists"
creates-exists:
  hstest.plain:
    - rec: {rec}
    - creates: `+exists+`
creates-missing:
  hstest.plain:
    - rec: {rec}
    - creates:
      - `+exists+`
      - /nonexistent/file
onlyif-nofun-runs:
  hstest.plain:
    - rec: {rec}
    - onlyif:
      - "true"
      - humanname: not a function call
      - "false"
onlyif-nofun-after-false:
  hstest.plain:
    - rec: {rec}
    - onlyif:
      - "false"
      - name: x
unless-nofun-after-true:
  hstest.plain:
    - rec: {rec}
    - unless:
      - "true"
      - name: x
      - "false"
unless-nofun-alone:
  hstest.plain:
    - rec: {rec}
    - unless:
        name: x
changer: test.succeed_with_changes
skipped-watch:
  hstest.watcher:
    - rec: {rec}
    - unless: "true"
    - watch:
      - changer
`), "main")
	wantResult(t, byID(t, res, "unless-true"), "True", "unless condition is true")
	wantResult(t, byID(t, res, "onlyif-false"), "True", "onlyif condition is false")
	wantResult(t, byID(t, res, "creates-exists"), "True", exists+" exists")
	wantResult(t, byID(t, res, "skipped-watch"), "True", "unless condition is true")
	// a mapping without fun ends a condition list, as in Salt
	wantResult(t, byID(t, res, "onlyif-nofun-after-false"), "True", "onlyif condition is false")
	wantResult(t, byID(t, res, "unless-nofun-after-true"), "True", "unless condition is true")
	want := []string{"apply:unless-false", "apply:unless-list", "apply:onlyif-true", "apply:onlyif-cwd", "apply:creates-missing", "apply:onlyif-nofun-runs", "apply:unless-nofun-alone"}
	if got := r.list(); !equal(got, want) {
		t.Errorf("calls\n got %v\nwant %v", got, want)
	}
	if args := byIDChunkArgs(t, key); args["unless"] != nil || args["rec"] == nil {
		t.Errorf("compiler keywords passed to the state: %v", args)
	}
}

// byIDChunkArgs compiles a state with conditions and returns its args.
func byIDChunkArgs(t *testing.T, key string) map[string]any {
	p := mustCompile(t, Options{}, sls(key, "x:\n  hstest.plain:\n    - rec: {rec}\n    - unless: 'true'\n"), "main")
	return p.Chunks[0].Args
}

func TestCheckCmd(t *testing.T) {
	_, key := newRecorder(t)
	res := mustRun(t, Options{}, sls(key, `
ok:
  hstest.plain:
    - rec: {rec}
    - result: false
    - check_cmd: "true"
bad:
  hstest.plain:
    - rec: {rec}
    - check_cmd:
      - "true"
      - "false"
`), "main")
	wantResult(t, byID(t, res, "ok"), "True", "check_cmd determined the state succeeded")
	wantResult(t, byID(t, res, "bad"), "False", "check_cmd determined the state failed")
}

func TestResultFormat(t *testing.T) {
	_, key := newRecorder(t)
	pillar := map[string]any{"role": "web", "nested": map[string]any{"a": 1}}
	res := mustRun(t, Options{
		Env:    &states.Env{ID: "m1", Pillar: pillar},
		Pillar: map[string]any{"nested": map[string]any{"b": 2}},
	}, sls(key, `
p:
  hstest.plain:
    - rec: {rec}
    - pillar_key: nested
    - name: the name
`), "main")
	r, ok := res["hstest_|-p_|-the name_|-plain"]
	if !ok {
		t.Fatalf("keys %v", keys(res))
	}
	if r.Comment != fmt.Sprint(map[string]any{"a": 1, "b": 2}) {
		t.Errorf("pillar override not merged: %q", r.Comment)
	}
	if pillar["nested"].(map[string]any)["b"] != nil {
		t.Error("caller's pillar modified")
	}
	if !regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6}$`).MatchString(r.StartTime) || r.Duration < 0 {
		t.Errorf("start %q duration %v", r.StartTime, r.Duration)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"__id__", "__run_num__", "__sls__", "name", "result", "changes", "comment", "duration", "start_time"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if m["__sls__"] != "main" || m["name"] != "the name" || m["changes"] == nil {
		t.Errorf("JSON %s", b)
	}
}

func TestCanceledContext(t *testing.T) {
	r, key := newRecorder(t)
	p := mustCompile(t, Options{}, sls(key, "a:\n  hstest.plain:\n    - rec: {rec}\n"), "main")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := p.Run(ctx, Options{})
	wantResult(t, byID(t, res, "a"), "False", "State not run: context canceled")
	if len(r.list()) != 0 {
		t.Error("state called")
	}
}

func TestRunTwiceIndependent(t *testing.T) {
	r, key := newRecorder(t)
	p := mustCompile(t, Options{}, sls(key, `
a:
  hstest.plain:
    - rec: {rec}
    - prereq:
      - b
b:
  hstest.plain:
    - rec: {rec}
    - changes: true
`), "main")
	first := p.Run(context.Background(), Options{})
	second := p.Run(context.Background(), Options{})
	if len(r.list()) != 6 || len(first) != 2 || len(second) != 2 {
		t.Errorf("calls %v", r.list())
	}
}

func TestSLSRequisiteInAndWatchIn(t *testing.T) {
	r, key := newRecorder(t)
	files := map[string]string{
		"main": strings.ReplaceAll(`
include:
  - conf
svc:
  hstest.watcher:
    - rec: {rec}
setup:
  hstest.plain:
    - rec: {rec}
    - order: last
    - require_in:
      - sls: conf
`, "{rec}", key),
		"conf": strings.ReplaceAll(`
c1:
  hstest.plain:
    - rec: {rec}
    - changes: true
    - watch_in:
      - hstest: svc
c2:
  hstest.plain:
    - rec: {rec}
`, "{rec}", key),
	}
	res := mustRun(t, Options{}, files, "main")
	want := []string{"apply:setup", "apply:c1", "apply:c2", "apply:svc", "apply:svc"}
	want[4] = "watch:svc"
	if got := r.list(); !equal(got, want) {
		t.Errorf("calls\n got %v\nwant %v", got, want)
	}
	if got := runOrder(res); !equal(got, []string{"setup", "c1", "c2", "svc"}) {
		t.Errorf("order %v", got)
	}
}

func TestStoredPlan(t *testing.T) {
	r, key := newRecorder(t)
	p := mustCompile(t, Options{}, sls(key, `
conf:
  hstest.plain:
    - rec: {rec}
    - changes: true
svc:
  hstest.watcher:
    - rec: {rec}
    - watch:
      - conf
`), "main")
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var stored Plan
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	// a state function this minion does not have
	stored.Chunks = append(stored.Chunks, Chunk{ID: "gone", Name: "gone", Fun: "nosuch.state", SLS: "main", RunNum: 2})
	res := stored.Run(context.Background(), Options{})
	if got := r.list(); !equal(got, []string{"apply:conf", "apply:svc", "watch:svc"}) {
		t.Errorf("calls %v", got)
	}
	wantResult(t, byID(t, res, "gone"), "False", "State 'nosuch.state' was not found")
}
