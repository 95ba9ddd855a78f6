package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileDirectory(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a", "b")
	first := cycle(t, nil, "file.directory", name, map[string]any{"makedirs": true, "dir_mode": 750}, snapshotTree(t, dir))
	if ch, _ := first.Changes[name].(map[string]any); ch["directory"] != "new" {
		t.Errorf("changes %v", first.Changes)
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("directory %v %v", fi, err)
	}
	// Mode change on an existing directory.
	res := apply(t, nil, "file.directory", name, map[string]any{"mode": "0700"}, false)
	want(t, res, True(), true)
	if res.Changes["mode"] != "0700" {
		t.Errorf("changes %v", res.Changes)
	}
	// recurse applies dir_mode and file_mode below.
	writeFile(t, filepath.Join(name, "sub", "f"), "x")
	os.Chmod(filepath.Join(name, "sub", "f"), 0o666)
	rec := map[string]any{"dir_mode": "0700", "file_mode": "0600", "recurse": []any{"mode"}}
	cycle(t, nil, "file.directory", name, rec, snapshotTree(t, dir))
	if fi, _ := os.Stat(filepath.Join(name, "sub", "f")); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(name, "sub")); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", fi.Mode().Perm())
	}

	file := filepath.Join(dir, "file")
	writeFile(t, file, "x")
	wantFail(t, apply(t, nil, "file.directory", file, nil, false), "exists and is a file")
	want(t, apply(t, nil, "file.directory", file, map[string]any{"force": true}, false), True(), true)
	if fi, _ := os.Stat(file); !fi.IsDir() {
		t.Error("force did not replace the file")
	}
	wantFail(t, apply(t, nil, "file.directory", filepath.Join(dir, "x", "y"), nil, false), "No directory to create")
	wantFail(t, apply(t, nil, "file.directory", name, map[string]any{"recurse": []any{"colour"}}, false), "'recurse'")
	wantFail(t, apply(t, nil, "file.directory", name, map[string]any{"clean": true}, false), "'clean'")
}

func TestFileSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	writeFile(t, target, "t")
	link := filepath.Join(dir, "sub", "link")
	first := cycle(t, nil, "file.symlink", link, map[string]any{"target": target, "makedirs": true}, snapshotTree(t, dir))
	if first.Changes["new"] != link || !strings.Contains(first.Comment, "Created new symlink") {
		t.Errorf("result %+v", first)
	}
	if l, _ := os.Readlink(link); l != target {
		t.Fatalf("link points to %q", l)
	}
	// Repoint.
	other := filepath.Join(dir, "other")
	want(t, apply(t, nil, "file.symlink", link, map[string]any{"target": other}, false), True(), true)
	if l, _ := os.Readlink(link); l != other {
		t.Fatalf("link points to %q", l)
	}
	// A file in the way needs force.
	file := filepath.Join(dir, "file")
	writeFile(t, file, "f")
	wantFail(t, apply(t, nil, "file.symlink", file, map[string]any{"target": target}, false), "File exists where the symlink")
	res := apply(t, nil, "file.symlink", file, map[string]any{"target": target, "force": true}, false)
	want(t, res, True(), true)
	if res.Changes["forced"] == nil {
		t.Errorf("changes %v", res.Changes)
	}
	// So does a directory.
	d := filepath.Join(dir, "d")
	writeFile(t, filepath.Join(d, "inner"), "x")
	want(t, apply(t, nil, "file.symlink", d, map[string]any{"target": target, "force": true}, false), True(), true)
	if l, _ := os.Readlink(d); l != target {
		t.Fatalf("link points to %q", l)
	}
	wantFail(t, apply(t, nil, "file.symlink", filepath.Join(dir, "no", "link"), map[string]any{"target": target}, false),
		"for symlink is not present")
	wantFail(t, apply(t, nil, "file.symlink", link, nil, false), "'target'")
}

func TestFileAbsent(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "x")
	first := cycle(t, nil, "file.absent", f, nil, snapshotTree(t, dir))
	if first.Changes["removed"] != f {
		t.Errorf("changes %v", first.Changes)
	}
	d := filepath.Join(dir, "d")
	writeFile(t, filepath.Join(d, "a", "b"), "x")
	cycle(t, nil, "file.absent", d, nil, snapshotTree(t, dir))
	if _, err := os.Stat(d); !os.IsNotExist(err) {
		t.Fatal("directory not removed")
	}
	wantFail(t, apply(t, nil, "file.absent", "/", nil, false), "Refusing")
	wantFail(t, apply(t, nil, "file.absent", "rel", nil, false), "absolute")
}

func TestFileAppend(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "one\ntwo") // no final newline
	args := map[string]any{"text": []any{"two", "three", "four  five"}}
	first := cycle(t, nil, "file.append", f, args, snapshotTree(t, dir))
	if got := readFile(t, f); got != "one\ntwo\nthree\nfour  five\n" {
		t.Fatalf("content %q", got)
	}
	if d, _ := first.Changes["diff"].(string); !strings.Contains(d, "+three") {
		t.Errorf("diff %q", d)
	}
	// Whitespace differences do not count as missing.
	want(t, apply(t, nil, "file.append", f, map[string]any{"text": "four five"}, false), True(), false)
	// A missing file is created.
	n := filepath.Join(dir, "sub", "new")
	cycle(t, nil, "file.append", n, map[string]any{"text": "hello", "makedirs": true}, snapshotTree(t, dir))
	if readFile(t, n) != "hello\n" {
		t.Fatal("new file content")
	}
	wantFail(t, apply(t, nil, "file.append", f, nil, false), "'text'")
	wantFail(t, apply(t, nil, "file.append", filepath.Join(dir, "x", "y"), map[string]any{"text": "a"}, false), "makedirs")
}

func TestFileReplace(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "sshd_config")
	writeFile(t, f, "Port 22\n#PermitRootLogin yes\nPermitRootLogin yes\n")
	args := map[string]any{"pattern": `^(PermitRootLogin)\s+yes$`, "repl": `\1 no`, "backup": false}
	cycle(t, nil, "file.replace", f, args, snapshotTree(t, dir))
	if got := readFile(t, f); got != "Port 22\n#PermitRootLogin yes\nPermitRootLogin no\n" {
		t.Fatalf("content %q", got)
	}
	// append_if_not_found, with the default .bak backup.
	args = map[string]any{"pattern": `^MaxAuthTries .*`, "repl": "MaxAuthTries 3", "append_if_not_found": true}
	first := cycle(t, nil, "file.replace", f, args, snapshotTree(t, f))
	if !strings.HasSuffix(readFile(t, f), "PermitRootLogin no\nMaxAuthTries 3\n") {
		t.Fatalf("content %q", readFile(t, f))
	}
	if d, _ := first.Changes["diff"].(string); !strings.Contains(d, "+MaxAuthTries 3") {
		t.Errorf("diff %q", d)
	}
	if _, err := os.Stat(f + ".bak"); err != nil {
		t.Errorf("no .bak backup: %v", err)
	}
	// prepend_if_not_found, flags, count, named groups.
	args = map[string]any{"pattern": `^# managed.*$`, "repl": "# managed by brine", "prepend_if_not_found": true, "backup": false}
	cycle(t, nil, "file.replace", f, args, snapshotTree(t, f))
	if !strings.HasPrefix(readFile(t, f), "# managed by brine\nPort 22\n") {
		t.Fatalf("content %q", readFile(t, f))
	}
	writeFile(t, f, "a=1\nA=2\na=3\n")
	// count: 2 replaces the first two only (not idempotent by nature).
	args = map[string]any{"pattern": `^(?P<k>a)=\d`, "repl": `\g<k>=x`, "flags": []any{"IGNORECASE", "MULTILINE"}, "count": 2, "backup": false}
	want(t, apply(t, nil, "file.replace", f, args, true), nil, true, "would have been made")
	want(t, apply(t, nil, "file.replace", f, args, false), True(), true)
	if got := readFile(t, f); got != "a=x\nA=x\na=3\n" {
		t.Fatalf("content %q", got)
	}

	wantFail(t, apply(t, nil, "file.replace", f, map[string]any{"pattern": "(", "repl": "x"}, false), "'pattern'")
	wantFail(t, apply(t, nil, "file.replace", f, map[string]any{"pattern": "a", "repl": `\3`}, false), "'repl'")
	wantFail(t, apply(t, nil, "file.replace", f, map[string]any{"pattern": "a"}, false), "'repl'")
	wantFail(t, apply(t, nil, "file.replace", filepath.Join(dir, "nope"), map[string]any{"pattern": "a", "repl": "b"}, false), "file not found")
	want(t, apply(t, nil, "file.replace", filepath.Join(dir, "nope"), map[string]any{"pattern": "a", "repl": "b", "ignore_if_missing": true}, false), True(), false)
	wantFail(t, apply(t, nil, "file.replace", f, map[string]any{"pattern": "a", "repl": "b", "flags": []any{"NOPE"}}, false), "'flags'")
}

func TestFileLine(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "conf")
	base := "[main]\n    debug = false\nname = x\n[other]\nkey = 1\n"
	reset := func() { writeFile(t, f, base) }

	reset()
	cycle(t, nil, "file.line", f, map[string]any{"mode": "replace", "match": `debug\s*=`, "content": "debug = true"}, snapshotTree(t, dir))
	if got := readFile(t, f); got != strings.Replace(base, "debug = false", "debug = true", 1) {
		t.Fatalf("replace: %q", got)
	}

	reset()
	cycle(t, nil, "file.line", f, map[string]any{"mode": "delete", "match": `^key`}, snapshotTree(t, dir))
	if got := readFile(t, f); strings.Contains(got, "key = 1") {
		t.Fatalf("delete: %q", got)
	}

	reset()
	cycle(t, nil, "file.line", f, map[string]any{"mode": "insert", "location": "start", "content": "# managed"}, snapshotTree(t, dir))
	if got := readFile(t, f); !strings.HasPrefix(got, "# managed\n[main]\n") {
		t.Fatalf("insert start: %q", got)
	}
	reset()
	cycle(t, nil, "file.line", f, map[string]any{"mode": "insert", "location": "end", "content": "last = 1"}, snapshotTree(t, dir))
	if got := readFile(t, f); !strings.HasSuffix(got, "key = 1\nlast = 1\n") {
		t.Fatalf("insert end: %q", got)
	}
	reset()
	// insert after, indented like the anchor.
	cycle(t, nil, "file.line", f, map[string]any{"mode": "insert", "after": `debug`, "content": "verbose = 1"}, snapshotTree(t, dir))
	if got := readFile(t, f); !strings.Contains(got, "    debug = false\n    verbose = 1\nname = x\n") {
		t.Fatalf("insert after: %q", got)
	}
	reset()
	cycle(t, nil, "file.line", f, map[string]any{"mode": "insert", "before": `^\[other\]`, "content": "tail = 1"}, snapshotTree(t, dir))
	if got := readFile(t, f); !strings.Contains(got, "name = x\ntail = 1\n[other]\n") {
		t.Fatalf("insert before: %q", got)
	}

	// ensure after a section, replacing the line there when it matches.
	reset()
	cycle(t, nil, "file.line", f, map[string]any{"mode": "ensure", "after": `^\[other\]`, "match": `^key`, "content": "key = 2"}, snapshotTree(t, dir))
	if got := readFile(t, f); !strings.HasSuffix(got, "[other]\nkey = 2\n") || strings.Contains(got, "key = 1") {
		t.Fatalf("ensure after: %q", got)
	}
	// ensure between two markers.
	writeFile(t, f, "BEGIN\nEND\n")
	cycle(t, nil, "file.line", f, map[string]any{"mode": "ensure", "after": "BEGIN", "before": "END", "content": "inside"}, snapshotTree(t, dir))
	if got := readFile(t, f); got != "BEGIN\ninside\nEND\n" {
		t.Fatalf("ensure between: %q", got)
	}
	writeFile(t, f, "BEGIN\na\nb\nEND\n")
	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"mode": "ensure", "after": "BEGIN", "before": "END", "content": "inside"}, false), "more than one line")

	// create.
	n := filepath.Join(dir, "new")
	wantFail(t, apply(t, nil, "file.line", n, map[string]any{"mode": "insert", "location": "end", "content": "x"}, false), "file not found")
	cycle(t, nil, "file.line", n, map[string]any{"mode": "insert", "location": "end", "content": "x", "create": true}, snapshotTree(t, dir))
	if readFile(t, n) != "x\n" {
		t.Fatalf("create: %q", readFile(t, n))
	}

	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"mode": "sideways", "content": "x"}, false), "'mode'")
	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"content": "x"}, false), "'mode'")
	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"mode": "insert"}, false), "'content'")
	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"mode": "insert", "content": "x"}, false), "'location'")
	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"mode": "ensure", "content": "x"}, false), "'before'")
	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"mode": "insert", "after": "nomatch", "content": "x"}, false), "'after'")
	wantFail(t, apply(t, nil, "file.line", f, map[string]any{"mode": "replace", "match": "(", "content": "x"}, false), "'match'")
}

func TestFileRecurse(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "srv")
	writeFile(t, filepath.Join(root, "base", "nginx", "nginx.conf"), "worker {{ workers }}\n")
	writeFile(t, filepath.Join(root, "base", "nginx", "conf.d", "site.conf"), "site\n")
	writeFile(t, filepath.Join(root, "base", "nginx", "skip.bak"), "skip\n")
	writeFile(t, filepath.Join(root, "base", "nginxother", "x"), "not below salt://nginx\n")
	if err := os.MkdirAll(filepath.Join(root, "base", "nginx", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := testEnv(t)
	env.Files = dirFiles{root: root}
	env.Render = fakeRenderer{}
	dest := filepath.Join(dir, "etc", "nginx")
	writeFile(t, filepath.Join(dest, "stale.conf"), "old\n")
	writeFile(t, filepath.Join(dest, "local.bak"), "spared by exclude_pat\n")
	args := map[string]any{"source": "salt://nginx", "clean": true, "include_empty": true, "exclude_pat": "*.bak",
		"template": "jinja", "context": map[string]any{"workers": 4}, "file_mode": "0640", "dir_mode": "0750"}
	first := cycle(t, env, "file.recurse", dest, args, snapshotTree(t, dir))
	if got := readFile(t, filepath.Join(dest, "nginx.conf")); got != "worker 4\n" {
		t.Fatalf("rendered %q", got)
	}
	if readFile(t, filepath.Join(dest, "conf.d", "site.conf")) != "site\n" {
		t.Fatal("nested file missing")
	}
	if readFile(t, filepath.Join(dest, "local.bak")) == "" {
		t.Error("clean removed a file exclude_pat matches")
	}
	for _, p := range []string{"stale.conf", "skip.bak", "x"} {
		if _, err := os.Stat(filepath.Join(dest, p)); !os.IsNotExist(err) {
			t.Errorf("%s should not be there", p)
		}
	}
	if fi, err := os.Stat(filepath.Join(dest, "empty")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Errorf("empty dir %v %v", fi, err)
	}
	if fi, _ := os.Stat(filepath.Join(dest, "conf.d", "site.conf")); fi.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v", fi.Mode().Perm())
	}
	if removed, _ := first.Changes["removed"].([]string); len(removed) != 1 || !strings.HasSuffix(removed[0], "stale.conf") {
		t.Errorf("removed %v", first.Changes["removed"])
	}
	if ch, _ := first.Changes[filepath.Join(dest, "nginx.conf")].(map[string]any); ch["diff"] != "New file" {
		t.Errorf("per-file changes %v", first.Changes)
	}
	// A changed source file shows up as that file's diff.
	writeFile(t, filepath.Join(root, "base", "nginx", "conf.d", "site.conf"), "site v2\n")
	res := apply(t, env, "file.recurse", dest, args, false)
	want(t, res, True(), true)
	if len(res.Changes) != 1 {
		t.Errorf("changes %v, want only site.conf", res.Changes)
	}
	// A local source directory works without a file client.
	local := filepath.Join(root, "base", "nginx")
	cycle(t, &Env{}, "file.recurse", filepath.Join(dir, "copy"), map[string]any{"source": local}, snapshotTree(t, dir))

	wantFail(t, apply(t, env, "file.recurse", dest, map[string]any{"source": "salt://nope"}, false), "none of the specified sources")
	wantFail(t, apply(t, env, "file.recurse", dest, map[string]any{"source": "nginx"}, false), "'source'")
	wantFail(t, apply(t, env, "file.recurse", dest, nil, false), "'source'")
}
