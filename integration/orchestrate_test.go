package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/testutil"
)

// orchRun is `ctl run state.orchestrate ... --out json`: the master's
// state returns.
func orchRun(t *testing.T, c *testutil.Cluster, args ...string) (map[string]stateRet, testutil.Result) {
	t.Helper()
	full := append([]string{"run", "state.orchestrate"}, args...)
	r := c.Ctl(append(full, "--out", "json")...)
	var out map[string]map[string]stateRet
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("%v: exit %d, bad json stdout %q (stderr %q): %v", full, r.Code, r.Stdout, r.Stderr, err)
	}
	st, ok := out["master"]
	if !ok || len(out) != 1 {
		t.Fatalf("%v: want the master's state returns, got %s", full, r.Stdout)
	}
	return st, r
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(string(b), " ", "_"))
}

// Seed 004's rolling deploy: an orchestration on the master finds the
// app servers with salt.saltutil.cmd in Jinja, applies the app state on
// them one at a time (salt.state with batch: 1), then runs a salt.function
// step that requires the deploy. A failure on the second server stops the
// roll before the third and fails the orchestration.
func TestOrchestrateRollingDeploy(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTree(t, filepath.Join(dir, "salt"), map[string]string{
		// each server logs when its deploy starts and ends
		"app.sls": `{% set log = pillar['log'] %}
record:
  cmd.run:
    - name: echo "start-{{ grains['id'] }}" >> {{ log }}; sleep 0.2; echo "end-{{ grains['id'] }}" >> {{ log }}
{% if pillar.get('fail_on') == grains['id'] %}
break:
  cmd.run:
    - name: 'false'
    - require:
      - cmd: record
{% endif %}
`,
		"orch/deploy.sls": `{% set up = salt.saltutil.cmd('web-*', 'test.ping', tgt_type='glob') %}
{% set app_servers = up.keys() | list | sort %}
{% set who = salt['saltutil.cmd']('web-1', 'grains.get', arg=['id']).get('web-1').get('ret') %}
{% set branch = salt['pillar.get']('plone:branch', 'dev') %}
deploy:
  salt.state:
    - tgt: {{ app_servers | join(',') }}
    - tgt_type: list
    - sls: app
    - batch: 1
    - pillar:
        log: {{ pillar['log'] }}
        fail_on: {{ pillar.get('fail_on', 'nobody') }}

announce:
  salt.function:
    - name: cmd.run
    - tgt: web-1
    - arg:
      - echo "{{ branch }} via {{ who }} to {{ app_servers | length }}" >> {{ pillar['log'] }}.announce
    - require:
      - salt: deploy
`,
	})
	c := cluster(t, map[string]any{
		"auto_accept": true,
		"file_roots":  map[string]any{"base": []string{filepath.Join(dir, "salt")}},
	})
	for _, id := range []string{"web-3", "web-1", "web-2"} {
		c.StartMinion(c.MinionConfig(id, map[string]any{"roles": []any{"web"}}))
	}
	waitPing(t, c, "web-*", 3)

	// test=True: the servers run their states in test mode, nothing is
	// written; the text output is the highstate outputter's.
	dry := filepath.Join(out, "dry")
	r := c.Ctl("run", "state.orch", "orch.deploy", `pillar={"log": "`+dry+`"}`, "test=True")
	if r.Code != 0 {
		t.Fatalf("test run: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, s := range []string{"master:", "ID: deploy", "Function: salt.state", "Function: salt.function",
		"No changes made to web-1, web-2, web-3.", "would be executed on target web-1", "Summary for master"} {
		if !strings.Contains(r.Stdout, s) {
			t.Errorf("test run output lacks %q:\n%s", s, r.Stdout)
		}
	}
	if lines := readLines(t, dry); len(lines) != 0 {
		t.Errorf("test mode deployed: %v", lines)
	}

	// The rolling deploy: one server at a time, in id order.
	log := filepath.Join(out, "good")
	st, r := orchRun(t, c, "orch.deploy", `pillar={"log": "`+log+`", "plone": {"branch": "f5d9859"}}`)
	if r.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	_, dep := stateByID(t, st, "deploy")
	if dep.Result == nil || !*dep.Result || !strings.Contains(dep.Comment, "Updating web-1, web-2, web-3.") {
		t.Errorf("deploy: %+v", dep)
	}
	if ret, _ := dep.Changes["ret"].(map[string]any); len(ret) != 3 {
		t.Errorf("deploy changes: %v", dep.Changes)
	}
	_, ann := stateByID(t, st, "announce")
	if ann.Result == nil || !*ann.Result {
		t.Errorf("announce: %+v", ann)
	}
	want := []string{"start-web-1", "end-web-1", "start-web-2", "end-web-2", "start-web-3", "end-web-3"}
	if got := readLines(t, log); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("deploy order %v, want %v", got, want)
	}
	if got := readLines(t, log+".announce"); strings.Join(got, " ") != "f5d9859_via_web-1_to_3" {
		t.Errorf("announce wrote %v", got)
	}

	// web-2 fails: web-3 is never touched, announce does not run, and
	// ctl exits 1.
	log = filepath.Join(out, "bad")
	st, r = orchRun(t, c, "orch.deploy", `pillar={"log": "`+log+`", "fail_on": "web-2"}`)
	if r.Code != 1 {
		t.Errorf("failed deploy: exit %d, want 1\n%s", r.Code, r.Stderr)
	}
	_, dep = stateByID(t, st, "deploy")
	if dep.Result == nil || *dep.Result || !strings.Contains(dep.Comment, "Run failed on minions: web-2") ||
		!strings.Contains(dep.Comment, "not run on: web-3") {
		t.Errorf("deploy: %+v", dep)
	}
	_, ann = stateByID(t, st, "announce")
	if ann.Result == nil || *ann.Result || !strings.Contains(ann.Comment, "One or more requisite failed") {
		t.Errorf("announce: %+v", ann)
	}
	want = []string{"start-web-1", "end-web-1", "start-web-2", "end-web-2"}
	if got := readLines(t, log); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("deploy order %v, want %v", got, want)
	}
	if _, err := os.Stat(log + ".announce"); !os.IsNotExist(err) {
		t.Errorf("announce ran after the failed deploy: %v", err)
	}

	// An SLS that does not exist: exit 1 with the error.
	r = c.Ctl("run", "state.orchestrate", "orch.nope")
	if r.Code != 1 || !strings.Contains(r.Stdout, "orch.nope") {
		t.Errorf("missing sls: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	// No SLS at all: bad usage.
	if r = c.Ctl("run", "state.orchestrate"); r.Code != 2 {
		t.Errorf("no sls: exit %d\n%s", r.Code, r.Stderr)
	}
}
