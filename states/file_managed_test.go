package states

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestFileManagedContents(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "etc", "app.conf")
	args := map[string]any{"contents": []any{"line one", "line two"}, "makedirs": true, "mode": "0640"}
	first := cycle(t, nil, "file.managed", name, args, snapshotTree(t, dir))
	if first.Changes["diff"] != "New file" || first.Changes["mode"] != "0640" {
		t.Errorf("changes %v, want diff New file and mode 0640", first.Changes)
	}
	if got := readFile(t, name); got != "line one\nline two\n" {
		t.Fatalf("content %q", got)
	}
	fi, _ := os.Stat(name)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}

	// A content change shows a unified diff and keeps the mode.
	args["contents"] = "line one\nline 2\n"
	res := apply(t, nil, "file.managed", name, args, false)
	want(t, res, True(), true, "File "+name+" updated")
	wantDiff := "--- \n+++ \n@@ -1,2 +1,2 @@\n line one\n-line two\n+line 2\n"
	if res.Changes["diff"] != wantDiff {
		t.Errorf("diff %q, want %q", res.Changes["diff"], wantDiff)
	}
	if _, ok := res.Changes["mode"]; ok {
		t.Errorf("mode reported as changed: %v", res.Changes)
	}
	// Mode alone.
	args["mode"] = 600
	res = apply(t, nil, "file.managed", name, args, false)
	want(t, res, True(), true)
	if len(res.Changes) != 1 || res.Changes["mode"] != "0600" {
		t.Errorf("changes %v, want only mode 0600", res.Changes)
	}
	// No leftovers from atomic writes.
	entries, _ := os.ReadDir(filepath.Dir(name))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(entries))
	}
}

func TestFileManagedSources(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "srv")
	writeFile(t, filepath.Join(root, "base", "motd"), "hello from base\n")
	writeFile(t, filepath.Join(root, "dev", "motd"), "hello from dev\n")
	env := testEnv(t)
	env.Files = dirFiles{root: root}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}

	name := filepath.Join(out, "motd")
	cycle(t, env, "file.managed", name, map[string]any{"source": "salt://motd"}, snapshotTree(t, out))
	if got := readFile(t, name); got != "hello from base\n" {
		t.Fatalf("content %q", got)
	}
	// ?saltenv= picks the environment; a list uses the first that exists.
	res := apply(t, env, "file.managed", name, map[string]any{
		"source": []any{"salt://missing", "salt://motd?saltenv=dev"}}, false)
	want(t, res, True(), true)
	if got := readFile(t, name); got != "hello from dev\n" {
		t.Fatalf("content %q", got)
	}
	// A local absolute source needs no file client; source_hash checks it.
	local := filepath.Join(dir, "local.txt")
	writeFile(t, local, "local\n")
	sum := "sha256=5bf2a4ad2d61d19bdb3a6e1ea8ecd4e4d0c35e4e5d19c9d1d7a1f7fd2e76a0f3"
	res = apply(t, &Env{}, "file.managed", filepath.Join(out, "l"), map[string]any{"source": local, "source_hash": sum}, false)
	wantFail(t, res, "does not match")
	res = apply(t, &Env{}, "file.managed", filepath.Join(out, "l"), map[string]any{"source": local}, false)
	want(t, res, True(), true)

	wantFail(t, apply(t, env, "file.managed", name, map[string]any{"source": "salt://nope"}, false),
		"salt://nope", "not found")
	wantFail(t, apply(t, &Env{}, "file.managed", name, map[string]any{"source": "salt://motd"}, false),
		"no file client")
}

func TestFileManagedTemplate(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "tmpl")
	writeFile(t, src, "port={{ port }} host={{ host }}\n")
	env := testEnv(t)
	env.Render = fakeRenderer{}
	name := filepath.Join(dir, "out.conf")
	args := map[string]any{"source": src, "template": "jinja",
		"defaults": map[string]any{"port": 80, "host": "a"}, "context": map[string]any{"host": "b"}}
	cycle(t, env, "file.managed", name, args, snapshotTree(t, dir))
	if got := readFile(t, name); got != "port=80 host=b\n" {
		t.Fatalf("rendered %q", got)
	}
	wantFail(t, apply(t, testEnv(t), "file.managed", name, args, false), "'template'", "no template renderer")
	args["template"] = "mako"
	wantFail(t, apply(t, env, "file.managed", name, args, false), "'template'", "mako")
	writeFile(t, src, "{% fail %}")
	args["template"] = "jinja"
	wantFail(t, apply(t, env, "file.managed", name, args, false), "Unable to render")
}

func TestFileManagedOptions(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	writeFile(t, name, "old\n")

	// replace: false leaves the content alone.
	res := apply(t, nil, "file.managed", name, map[string]any{"contents": "new", "replace": false}, false)
	want(t, res, True(), false, "exists with proper permissions")
	// show_changes: false hides the diff; backup keeps a copy.
	res = apply(t, nil, "file.managed", name, map[string]any{"contents": "new", "show_changes": false, "backup": "minion"}, false)
	want(t, res, True(), true)
	if res.Changes["diff"] != "<show_changes=False>" {
		t.Errorf("diff %v", res.Changes["diff"])
	}
	baks, _ := filepath.Glob(name + ".*.bak")
	if len(baks) != 1 || readFile(t, baks[0]) != "old\n" {
		t.Errorf("backups %v", baks)
	}
	// backup: minion with a BackupDir keeps the path below it.
	env := testEnv(t)
	env.BackupDir = filepath.Join(dir, "backups")
	res = apply(t, env, "file.managed", name, map[string]any{"contents": "newer", "backup": "minion"}, false)
	want(t, res, True(), true)
	kept, _ := filepath.Glob(filepath.Join(env.BackupDir, dir, "f_*"))
	if len(kept) != 1 || readFile(t, kept[0]) != "new\n" {
		t.Errorf("minion backups %v", kept)
	}
	// No source: the file is only created.
	empty := filepath.Join(dir, "empty")
	first := cycle(t, nil, "file.managed", empty, nil, snapshotTree(t, dir))
	if first.Changes["new"] != "file "+empty+" created" || first.Comment != "Empty file" {
		t.Errorf("result %+v", first)
	}
	// create: false.
	want(t, apply(t, nil, "file.managed", filepath.Join(dir, "nope"), map[string]any{"contents": "x", "create": false}, false),
		True(), false, "not set for creation")
	// A symlink is followed.
	target := filepath.Join(dir, "real")
	writeFile(t, target, "a\n")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	want(t, apply(t, nil, "file.managed", link, map[string]any{"contents": "b"}, false), True(), true)
	if readFile(t, target) != "b\n" {
		t.Error("the link's target was not updated")
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	// Binary content.
	bin := filepath.Join(dir, "bin")
	writeFile(t, bin, "a\x00b")
	res = apply(t, nil, "file.managed", bin, map[string]any{"contents": "text", "contents_newline": false}, true)
	want(t, res, nil, true)
	if res.Changes["diff"] != "Replace binary file" {
		t.Errorf("diff %v", res.Changes["diff"])
	}
	// contents_pillar.
	env = testEnv(t)
	env.Pillar = map[string]any{"app": map[string]any{"key": "secret"}}
	cycle(t, env, "file.managed", filepath.Join(dir, "key"), map[string]any{"contents_pillar": "app:key"}, snapshotTree(t, dir))
	if readFile(t, filepath.Join(dir, "key")) != "secret\n" {
		t.Error("contents_pillar not written")
	}
}

func TestFileManagedOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	if _, err := lookupGroup("nogroup"); err != nil {
		t.Skip("no nogroup group here")
	}
	if _, err := lookupUser("nobody"); err != nil {
		t.Skip("no nobody user here")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "owned")
	writeFile(t, name, "x\n")
	first := cycle(t, nil, "file.managed", name, map[string]any{"user": "nobody", "group": "nogroup"}, snapshotOwners(t, name))
	if first.Changes["user"] != "nobody" || first.Changes["group"] != "nogroup" {
		t.Errorf("changes %v", first.Changes)
	}
	// Replacing the content keeps the ownership.
	want(t, apply(t, nil, "file.managed", name, map[string]any{"contents": "y"}, false), True(), true)
	fi, _ := os.Stat(name)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid == 0 {
		t.Error("ownership lost on rewrite")
	}
}

func snapshotOwners(t *testing.T, path string) func() string {
	return func() string {
		fi, err := os.Stat(path)
		if err != nil {
			return err.Error()
		}
		st := fi.Sys().(*syscall.Stat_t)
		return strings.Join([]string{fi.Mode().String(), string(rune(st.Uid)), string(rune(st.Gid))}, " ")
	}
}

func TestFileManagedErrors(t *testing.T) {
	dir := t.TempDir()
	wantFail(t, apply(t, nil, "file.managed", "relative/path", nil, false), "not an absolute path")
	wantFail(t, apply(t, nil, "file.managed", dir, map[string]any{"contents": "x"}, false), "is a directory")
	wantFail(t, apply(t, nil, "file.managed", filepath.Join(dir, "a/b/c"), map[string]any{"contents": "x"}, false),
		"Parent directory not present")
	wantFail(t, apply(t, nil, "file.managed", filepath.Join(dir, "f"), map[string]any{"contents": "x", "mode": "rwx"}, false),
		"'mode'", "test-id")
	wantFail(t, apply(t, nil, "file.managed", filepath.Join(dir, "f"), map[string]any{"contents": "x", "source": "/etc/hostname"}, false),
		"'source'", "'contents'")
	wantFail(t, apply(t, nil, "file.managed", filepath.Join(dir, "f"), map[string]any{"contents": map[string]any{}}, false),
		"'contents'")
	wantFail(t, apply(t, nil, "file.managed", filepath.Join(dir, "f"), map[string]any{"user": "no-such-user-brine"}, false),
		"User no-such-user-brine is not available")
	wantFail(t, apply(t, nil, "file.managed", filepath.Join(dir, "f"), map[string]any{"contents_pillar": "nope"}, false),
		"'contents_pillar'")
}

// A large source is compared and copied by streaming: never loaded.
func TestFileManagedLargeSourceStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400 MB; skipped in -short mode")
	}
	const size = 200 << 20
	dir := t.TempDir()
	src := filepath.Join(dir, "big.src")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("header\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: the rest reads as zeros
		t.Fatal(err)
	}
	f.Close()
	name := filepath.Join(dir, "big.dst")
	args := map[string]any{"source": src}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	res := apply(t, nil, "file.managed", name, args, false) // create: copy
	want(t, res, True(), true)
	res = apply(t, nil, "file.managed", name, args, false) // same: hash both
	want(t, res, True(), false)
	// Same size, one byte different: hashes differ; no diff is built.
	g, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteAt([]byte{'x'}, size/2); err != nil {
		t.Fatal(err)
	}
	g.Close()
	res = apply(t, nil, "file.managed", name, args, false)
	want(t, res, True(), true)
	if res.Changes["diff"] != "Replace binary file" {
		t.Errorf("diff %v, want Replace binary file", res.Changes["diff"])
	}

	runtime.ReadMemStats(&after)
	if delta := after.TotalAlloc - before.TotalAlloc; delta > 32<<20 {
		t.Fatalf("managing a %d MB file allocated %d MB", size>>20, delta>>20)
	} else {
		t.Logf("allocated %d KB for three runs over a %d MB file", delta>>10, size>>20)
	}
	if fi, err := os.Stat(name); err != nil || fi.Size() != size {
		t.Fatalf("destination %v %v", fi, err)
	}
	same, err := content{path: src}.sameAsFile(name, size)
	if err != nil || !same {
		t.Fatalf("destination differs from source after apply: %v", err)
	}
}

// A large text file gets a size note instead of a diff.
func TestFileManagedLargeTextNote(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "big.txt")
	writeFile(t, name, strings.Repeat("old line\n", 200000))
	res := apply(t, nil, "file.managed", name, map[string]any{"contents": strings.Repeat("new line\n", 200000)}, true)
	want(t, res, nil, true)
	if d, _ := res.Changes["diff"].(string); !strings.Contains(d, "diff not shown") {
		t.Errorf("diff %.100q", d)
	}
}

// Content in memory is compared with the file byte for byte: a file of
// the same size with one byte changed, or one grown since its stat,
// differs.
func TestSameAsFileInline(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	for _, c := range []struct {
		file, want string
		size       int64
		same       bool
	}{
		{"abc\n", "abc\n", 4, true},
		{"abd\n", "abc\n", 4, false},
		{"abc\nx", "abc\n", 4, false}, // grown after the stat
		{"", "", 0, true},
		{strings.Repeat("x", 70000), strings.Repeat("x", 70000), 70000, true}, // streamed
		{strings.Repeat("x", 69999) + "y", strings.Repeat("x", 70000), 70000, false},
	} {
		writeFile(t, name, c.file)
		same, err := content{data: []byte(c.want), inline: true}.sameAsFile(name, c.size)
		if err != nil || same != c.same {
			t.Errorf("file %.10q vs %.10q: same %v, %v; want %v", c.file, c.want, same, err, c.same)
		}
	}
}

// makedirs makes every missing parent with dir_mode, and a parent that
// exists is left as it is.
func TestFileManagedMakedirsDirMode(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "a", "b", "f")
	res := apply(t, nil, "file.managed", name, map[string]any{"contents": "x", "makedirs": true, "dir_mode": "0750"}, false)
	want(t, res, True(), true, "File "+name+" updated")
	for _, d := range []string{filepath.Join(dir, "a"), filepath.Join(dir, "a", "b")} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o750 {
			t.Errorf("%s: %v %v, want mode 0750", d, fi.Mode().Perm(), err)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("existing parent's mode changed to %v", fi.Mode().Perm())
	}
	// without makedirs a missing parent fails, naming it
	res = apply(t, nil, "file.managed", filepath.Join(dir, "c", "f"), map[string]any{"contents": "x"}, false)
	if res.Result == nil || *res.Result || !strings.Contains(res.Comment, "Parent directory not present") {
		t.Errorf("missing parent without makedirs: %+v", res)
	}
}
