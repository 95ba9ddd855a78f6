package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The formula states of issue 11 through the real binaries: the minion
// runs archive.extracted from salt://, file.accumulated feeding
// file.blockreplace and a file.managed template, file.comment,
// file.serialize, and module.run calling its own execution modules.
func TestFormulaStates(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar is not installed")
	}
	base := t.TempDir()
	salt, out := filepath.Join(base, "salt"), filepath.Join(base, "out")
	// a release tarball in the file roots
	rel := filepath.Join(base, "rel")
	writeTree(t, rel, map[string]string{"app-1.0/bin/app": "#!/bin/sh\necho app\n", "app-1.0/README": "app\n"})
	if err := os.MkdirAll(salt, 0o755); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(salt, "app-1.0.tar.gz")
	if b, err := exec.Command("tar", "czf", tgz, "-C", rel, "app-1.0").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, b)
	}
	data, _ := os.ReadFile(tgz)
	sum := sha256.Sum256(data)
	writeTree(t, out, map[string]string{
		"hosts":        "127.0.0.1 localhost\n",
		"app.conf":     "debug = on\nport = 80\n",
		"partial.json": "{\"keep\": 1}",
	})
	writeTree(t, salt, map[string]string{
		"motd.tmpl": "{% for line in accumulator['motd-lines'] %}{{ line }}\n{% endfor %}",
		"formula.sls": `app-archive:
  archive.extracted:
    - name: OUT/opt
    - source: salt://app-1.0.tar.gz
    - source_hash: sha256=SUM
hosts-block:
  file.blockreplace:
    - name: OUT/hosts
    - marker_start: "# BEGIN brine"
    - marker_end: "# END brine"
    - content: "10.0.0.1 db"
    - append_if_not_found: True
    - backup: False
hosts-extra:
  file.accumulated:
    - filename: OUT/hosts
    - text: "10.0.0.2 cache"
    - require_in:
      - file: hosts-block
motd-lines:
  file.accumulated:
    - filename: OUT/motd
    - text: ["welcome", "to {{ grains['id'] }}"]
    - require_in:
      - file: motd
motd:
  file.managed:
    - name: OUT/motd
    - source: salt://motd.tmpl
    - template: jinja
no-debug:
  file.comment:
    - name: OUT/app.conf
    - regex: ^debug
    - backup: False
settings:
  file.serialize:
    - name: OUT/settings.json
    - serializer: json
    - dataset:
        port: 8080
        hosts: [a, b]
merged:
  file.serialize:
    - name: OUT/partial.json
    - serializer: json
    - merge_if_exists: True
    - dataset: {added: true}
`,
		"mr.sls": `calls:
  module.run:
    - test.echo:
      - hello
    - test.arg:
      - one
      - key: val
legacy:
  module.run:
    - name: test.echo
    - text: legacy
missing:
  module.run:
    - nope.fun: []
`,
	})
	for _, f := range []string{"formula.sls"} {
		p := filepath.Join(salt, f)
		text := strings.NewReplacer("OUT", out, "SUM", hex.EncodeToString(sum[:])).Replace(readFile(t, p))
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := cluster(t, map[string]any{"auto_accept": true, "file_roots": map[string]any{"base": []any{salt}}})
	c.StartMinion(c.MinionConfig("fs-1", nil))
	waitPing(t, c, "fs-1", 1)

	before := readFile(t, filepath.Join(out, "hosts"))
	states, ret, r := stateApply(t, c, "fs-1", "state.sls", "formula", "test=True")
	if states == nil {
		t.Fatalf("test run: exit %d, %v, %s", r.Code, ret, r.Stderr)
	}
	for k, v := range states {
		if strings.Contains(k, "accumulated") {
			continue
		}
		if v.Result != nil {
			t.Errorf("test mode: %s: result %v (%q), want None", k, *v.Result, v.Comment)
		}
	}
	if exists(filepath.Join(out, "opt")) || readFile(t, filepath.Join(out, "hosts")) != before {
		t.Fatal("test mode changed the system")
	}

	states, ret, r = stateApply(t, c, "fs-1", "state.sls", "formula")
	if r.Code != 0 || states == nil {
		t.Fatalf("apply: exit %d, %v, %s", r.Code, ret, r.Stderr)
	}
	for k, v := range states {
		if v.Result == nil || !*v.Result {
			t.Errorf("%s: %v %q", k, v.Result, v.Comment)
		}
	}
	if got := readFile(t, filepath.Join(out, "opt", "app-1.0", "bin", "app")); got != "#!/bin/sh\necho app\n" {
		t.Errorf("extracted app %q", got)
	}
	if got, want := readFile(t, filepath.Join(out, "hosts")), "127.0.0.1 localhost\n# BEGIN brine\n10.0.0.1 db\n10.0.0.2 cache\n# END brine\n"; got != want {
		t.Errorf("hosts %q, want %q", got, want)
	}
	if got := readFile(t, filepath.Join(out, "motd")); got != "welcome\nto fs-1\n" {
		t.Errorf("motd %q", got)
	}
	if got := readFile(t, filepath.Join(out, "app.conf")); got != "#debug = on\nport = 80\n" {
		t.Errorf("app.conf %q", got)
	}
	if got := readFile(t, filepath.Join(out, "partial.json")); got != "{\n  \"added\": true,\n  \"keep\": 1\n}\n" {
		t.Errorf("partial.json %q", got)
	}
	if got := readFile(t, filepath.Join(out, "settings.json")); got != "{\n  \"hosts\": [\n    \"a\",\n    \"b\"\n  ],\n  \"port\": 8080\n}\n" {
		t.Errorf("settings.json %q", got)
	}

	states, ret, r = stateApply(t, c, "fs-1", "state.sls", "formula")
	if states == nil {
		t.Fatalf("second apply: exit %d, %v", r.Code, ret)
	}
	allUnchanged(t, "second apply", states)

	states, ret, r = stateApply(t, c, "fs-1", "state.sls", "mr")
	if states == nil {
		t.Fatalf("module.run: exit %d, %v, %s", r.Code, ret, r.Stderr)
	}
	if r.Code == 0 {
		t.Error("a state calling a missing function did not fail the run")
	}
	_, calls := stateByID(t, states, "calls")
	if calls.Result == nil || !*calls.Result || calls.Changes["test.echo"] != "hello" || !strings.Contains(calls.Comment, "test.echo: hello, test.arg: Success") {
		t.Errorf("calls: %+v", calls)
	}
	_, legacy := stateByID(t, states, "legacy")
	if legacy.Result == nil || !*legacy.Result || legacy.Changes["ret"] != "legacy" {
		t.Errorf("legacy: %+v", legacy)
	}
	_, missing := stateByID(t, states, "missing")
	if missing.Result == nil || *missing.Result || missing.Comment != "Unavailable function: nope.fun." {
		t.Errorf("missing: %+v", missing)
	}
}
