package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCmdRun(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "done")
	args := map[string]any{"creates": marker, "cwd": dir, "env": map[string]any{"GREETING": "hi"}}
	first := cycle(t, nil, "cmd.run", `echo "$GREETING from $(pwd)"; touch done`, args, snapshotTree(t, dir))
	if first.Changes["stdout"] != "hi from "+dir || first.Changes["retcode"] != 0 || first.Changes["stderr"] != "" {
		t.Errorf("changes %v", first.Changes)
	}
	if _, ok := first.Changes["pid"].(int); !ok {
		t.Errorf("pid %v", first.Changes["pid"])
	}
	want(t, apply(t, nil, "cmd.run", "true", map[string]any{"creates": marker}, false), True(), false, "All files in creates exist")

	res := apply(t, nil, "cmd.run", "echo oops >&2; exit 3", nil, false)
	want(t, res, False(), true, `Command "echo oops >&2; exit 3" run`)
	if res.Changes["retcode"] != 3 || res.Changes["stderr"] != "oops" {
		t.Errorf("changes %v", res.Changes)
	}
	want(t, apply(t, nil, "cmd.run", "exit 3", map[string]any{"success_retcodes": []any{3}}, false), True(), true)
	res = apply(t, nil, "cmd.run", "cat", map[string]any{"stdin": "fed", "env": []any{"A=1", map[string]any{"B": 2}}}, false)
	want(t, res, True(), true)
	if res.Changes["stdout"] != "fed" {
		t.Errorf("stdin not fed: %v", res.Changes)
	}
	res = apply(t, nil, "cmd.run", "echo $A$B", map[string]any{"env": []any{"A=1", map[string]any{"B": 2}}}, false)
	if res.Changes["stdout"] != "12" {
		t.Errorf("env list: %v", res.Changes)
	}
	res = apply(t, nil, "cmd.run", "echo $0", map[string]any{"shell": "/bin/bash"}, false)
	if res.Changes["stdout"] != "/bin/bash" {
		t.Errorf("shell: %v", res.Changes)
	}
	res = apply(t, nil, "cmd.run", "sleep 30", map[string]any{"timeout": 0.2}, false)
	wantFail(t, res, "Timed out after 0.2 seconds")

	wantFail(t, apply(t, nil, "cmd.run", "true", map[string]any{"cwd": "rel"}, false), "'cwd'")
	wantFail(t, apply(t, nil, "cmd.run", "true", map[string]any{"runas": "no-such-user-brine"}, false), "'runas'")
	wantFail(t, apply(t, nil, "cmd.run", "true", map[string]any{"timeout": -1}, false), "'timeout'")
	wantFail(t, apply(t, nil, "cmd.run", "true", map[string]any{"env": "A=1"}, false), "'env'")
	wantFail(t, apply(t, nil, "cmd.run", "true", map[string]any{"cwd": filepath.Join(dir, "missing")}, false), "working directory")
}

func TestCmdRunAs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	if _, err := lookupUser("nobody"); err != nil {
		t.Skip("no nobody user here")
	}
	res := apply(t, nil, "cmd.run", "id -un; echo $HOME", map[string]any{"runas": "nobody"}, false)
	want(t, res, True(), true)
	if out, _ := res.Changes["stdout"].(string); !strings.HasPrefix(out, "nobody\n") {
		t.Errorf("stdout %q", out)
	}
}

func TestCmdWait(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cmd := "touch " + marker
	want(t, apply(t, nil, "cmd.wait", cmd, nil, false), True(), false)
	want(t, apply(t, nil, "cmd.wait", cmd, nil, true), True(), false)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("cmd.wait ran its command without a watch")
	}
	want(t, modWatch(t, nil, "cmd.wait", cmd, nil, true), nil, false, "would have been executed")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("mod_watch in test mode ran the command")
	}
	res := modWatch(t, nil, "cmd.wait", cmd, nil, false)
	want(t, res, True(), true)
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("mod_watch did not run the command")
	}
	wantFail(t, apply(t, nil, "cmd.wait", cmd, map[string]any{"cwd": "rel"}, false), "'cwd'")
}

func TestCmdScript(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "srv")
	writeFile(t, filepath.Join(root, "base", "scripts", "setup.sh"), "#!/bin/sh\necho \"args: $*\"\necho {{ word }} > \"$OUT\"\n")
	env := testEnv(t)
	env.Files = dirFiles{root: root}
	env.Render = fakeRenderer{}
	out := filepath.Join(dir, "out")
	args := map[string]any{"source": "salt://scripts/setup.sh", "args": "one 'two three'", "template": "jinja",
		"context": map[string]any{"word": "rendered"}, "env": map[string]any{"OUT": out}, "creates": out}
	first := cycle(t, env, "cmd.script", "setup", args, snapshotTree(t, dir))
	if first.Changes["stdout"] != "args: one two three" {
		t.Errorf("changes %v", first.Changes)
	}
	if readFile(t, out) != "rendered\n" {
		t.Errorf("script output %q", readFile(t, out))
	}
	// Without a template the script runs as fetched; name is the default source.
	res := apply(t, env, "cmd.script", "salt://scripts/setup.sh", map[string]any{"env": map[string]any{"OUT": out + "2"}}, false)
	want(t, res, True(), true)
	if readFile(t, out+"2") != "{{ word }}\n" {
		t.Errorf("script output %q", readFile(t, out+"2"))
	}
	wantFail(t, apply(t, env, "cmd.script", "salt://scripts/missing.sh", nil, false), "not found")
}
