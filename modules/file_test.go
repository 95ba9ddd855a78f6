package modules

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brine-cm/brine/proto"
)

func writeT(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFileExistence(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeT(t, f, "x")
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fun, path string
		want      bool
	}{
		{"file.exists", f, true}, {"file.exists", dir, true}, {"file.exists", filepath.Join(dir, "no"), false},
		{"file.exists", filepath.Join(dir, "dangling"), false},
		{"file.file_exists", f, true}, {"file.file_exists", dir, false},
		{"file.directory_exists", dir, true}, {"file.directory_exists", f, false},
	} {
		if got := mustCall(t, nil, c.fun, []any{c.path}, nil); got != c.want {
			t.Errorf("%s(%s) = %v, want %v", c.fun, c.path, got, c.want)
		}
	}
	wantBadArg(t, "file.exists", nil, nil, nil, "path")
}

// Expected values are Python's os.path.dirname, basename and join.
func TestFilePathHelpers(t *testing.T) {
	for in, want := range map[string]string{"/a/b/c": "/a/b", "/a/b/": "/a/b", "a": "", "/": "/", "//a": "//", "/a": "/", "a/b//c": "a/b"} {
		if got := mustCall(t, nil, "file.dirname", []any{in}, nil); got != want {
			t.Errorf("dirname(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"/a/b/c": "c", "/a/b/": "", "a": "a", "/": ""} {
		if got := mustCall(t, nil, "file.basename", []any{in}, nil); got != want {
			t.Errorf("basename(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{"/etc", "salt", "minion"}, "/etc/salt/minion"},
		{[]any{"a", "/b", "c"}, "/b/c"},
		{[]any{"a/", "b"}, "a/b"},
		{[]any{"a", ""}, "a/"},
	} {
		if got := mustCall(t, nil, "file.join", c.args, nil); got != c.want {
			t.Errorf("join(%v) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestFileSearchAndContains(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "keepalive.state")
	writeT(t, state, "STATE=BACKUP\nprio 100\n")
	for _, c := range []struct {
		args   []any
		kwargs map[string]any
		want   bool
	}{
		{[]any{state, "BACKUP"}, nil, true},
		{[]any{state, "MASTER"}, nil, false},
		{[]any{state, "^prio \\d+$"}, nil, true}, // MULTILINE by default
		{[]any{state, "^prio"}, map[string]any{"flags": 0}, false},
		{[]any{state, "backup"}, nil, false},
		{[]any{state, "backup"}, map[string]any{"flags": []any{"IGNORECASE"}}, true},
		{[]any{state, "BACKUP.prio"}, map[string]any{"multiline": true}, true},
		{[]any{filepath.Join(dir, "none"), "x"}, map[string]any{"ignore_if_missing": true}, false},
	} {
		if got := mustCall(t, nil, "file.search", c.args, c.kwargs); got != c.want {
			t.Errorf("search(%v, %v) = %v, want %v", c.args, c.kwargs, got, c.want)
		}
	}
	_, err := call(t, context.Background(), nil, "file.search", []any{filepath.Join(dir, "none"), "x"}, nil)
	wantKind(t, err, proto.ErrExecution, "File not found: "+filepath.Join(dir, "none"))
	_, err = call(t, context.Background(), nil, "file.search", []any{state, "(?=x)"}, nil)
	wantKind(t, err, proto.ErrBadArgument, "file.search: ", "invalid regular expression")
	_, err = call(t, context.Background(), nil, "file.search", []any{dir, "x"}, nil)
	wantKind(t, err, proto.ErrExecution, "Path is not a file")

	if got := mustCall(t, nil, "file.contains", []any{state, "prio 1"}, nil); got != true {
		t.Error("contains: substring not found")
	}
	if got := mustCall(t, nil, "file.contains", []any{state, "^prio"}, nil); got != false {
		t.Error("contains treats text as a pattern")
	}
	if got := mustCall(t, nil, "file.contains", []any{filepath.Join(dir, "none"), "x"}, nil); got != false {
		t.Error("contains on a missing file")
	}
}

func TestFileReplace(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "httpd.conf")
	writeT(t, conf, "LogLevel warn\nListen 80\nListen 8080\n")
	fi, _ := os.Stat(conf)
	ino := fi.Sys().(*syscall.Stat_t).Ino

	got := mustCall(t, nil, "file.replace", []any{conf, `Listen (\d+)`, `Listen 127.0.0.1:\1`}, map[string]any{"count": 1})
	want := "--- \n+++ \n@@ -1,3 +1,3 @@\n LogLevel warn\n-Listen 80\n+Listen 127.0.0.1:80\n Listen 8080\n"
	if got != want {
		t.Errorf("diff %q, want %q", got, want)
	}
	if s := readT(t, conf); s != "LogLevel warn\nListen 127.0.0.1:80\nListen 8080\n" {
		t.Errorf("file %q", s)
	}
	if s := readT(t, conf+".bak"); s != "LogLevel warn\nListen 80\nListen 8080\n" {
		t.Errorf("backup %q", s)
	}
	fi, _ = os.Stat(conf)
	if fi.Sys().(*syscall.Stat_t).Ino != ino {
		t.Error("inode changed")
	}
	// named groups, $ in repl, show_changes=False, no change -> false
	got = mustCall(t, nil, "file.replace", []any{conf, `^LogLevel (?P<lvl>\w+)$`, `LogLevel \g<lvl>$x`}, map[string]any{"show_changes": false, "backup": false})
	if got != true || !strings.HasPrefix(readT(t, conf), "LogLevel warn$x\n") {
		t.Errorf("named group: %v %q", got, readT(t, conf))
	}
	got = mustCall(t, nil, "file.replace", []any{conf, `nothing`, `x`}, map[string]any{"show_changes": false})
	if got != false {
		t.Errorf("no match changed: %v", got)
	}
	// dry_run reports but does not write
	before := readT(t, conf)
	got = mustCall(t, nil, "file.replace", []any{conf, `Listen 8080`, `Listen 9090`}, map[string]any{"dry_run": true})
	if !strings.Contains(got.(string), "+Listen 9090") || readT(t, conf) != before {
		t.Errorf("dry_run: %q %q", got, readT(t, conf))
	}
	// search_only
	if got := mustCall(t, nil, "file.replace", []any{conf, `8080`, `x`}, map[string]any{"search_only": true}); got != true {
		t.Error("search_only")
	}
	// append_if_not_found is idempotent
	for i := 0; i < 2; i++ {
		mustCall(t, nil, "file.replace", []any{conf, `^ServerName .*`, `ServerName web`}, map[string]any{"append_if_not_found": true})
	}
	if s := readT(t, conf); strings.Count(s, "ServerName web\n") != 1 || !strings.HasSuffix(s, "Listen 8080\nServerName web\n") {
		t.Errorf("append: %q", s)
	}
	mustCall(t, nil, "file.replace", []any{conf, `^# top`, `# top`}, map[string]any{"prepend_if_not_found": true})
	if s := readT(t, conf); !strings.HasPrefix(s, "# top\nLogLevel") {
		t.Errorf("prepend: %q", s)
	}
	_, err := call(t, context.Background(), nil, "file.replace", []any{conf, "a", "b"}, map[string]any{"search_only": true, "append_if_not_found": true})
	wantKind(t, err, proto.ErrBadArgument, "search_only")
	_, err = call(t, context.Background(), nil, "file.replace", []any{filepath.Join(dir, "none"), "a", "b"}, nil)
	wantKind(t, err, proto.ErrExecution, "File not found")
	if got := mustCall(t, nil, "file.replace", []any{filepath.Join(dir, "none"), "a", "b"}, map[string]any{"ignore_if_missing": true}); got != false {
		t.Error("ignore_if_missing")
	}
	if !IsSecret("file.replace", 2, "") || !IsSecret("file.replace", -1, "repl") {
		t.Error("repl is not declared secret")
	}
}

func TestFileReadWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "motd")
	if got := mustCall(t, nil, "file.write", []any{p, "Hello", 42}, nil); got != `Wrote 2 lines to "`+p+`"` {
		t.Errorf("write: %v", got)
	}
	if got := mustCall(t, nil, "file.read", []any{p}, nil); got != "Hello\n42\n" {
		t.Errorf("read: %q", got)
	}
	mustCall(t, nil, "file.write", []any{p}, map[string]any{"lines": []any{"a", "b", "c"}})
	if s := readT(t, p); s != "a\nb\nc\n" {
		t.Errorf("lines: %q", s)
	}
	wantBadArg(t, "file.write", []any{p}, nil, nil, "at least one line")
	_, err := call(t, context.Background(), nil, "file.read", []any{filepath.Join(dir, "none")}, nil)
	wantKind(t, err, proto.ErrExecution, "[Errno 2] No such file or directory: '"+filepath.Join(dir, "none")+"'")
	if !IsSecret("file.write", 1, "") {
		t.Error("file.write's contents are not secret")
	}
}

func TestFileStatsAndHash(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeT(t, p, "hello\n")
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "l")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	st := mustCall(t, nil, "file.stats", []any{link}, map[string]any{"hash_type": "md5"}).(map[string]any)
	if st["mode"] != "0640" || st["type"] != "file" || st["size"] != int64(6) || st["target"] != p ||
		st["sum"] != "b1946ac92492d2347c6235b4d2611184" || st["uid"] != int64(os.Getuid()) {
		t.Errorf("stats %v", st)
	}
	for _, k := range []string{"inode", "gid", "user", "group", "atime", "mtime", "ctime"} {
		if _, ok := st[k]; !ok {
			t.Errorf("stats has no %s", k)
		}
	}
	st = mustCall(t, nil, "file.stats", []any{link}, map[string]any{"follow_symlinks": false}).(map[string]any)
	if st["type"] != "link" {
		t.Errorf("lstat type %v", st["type"])
	}
	_, err := call(t, context.Background(), nil, "file.stats", []any{filepath.Join(dir, "none")}, nil)
	wantKind(t, err, proto.ErrExecution, "Path not found")

	for form, want := range map[string]string{
		"":       "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
		"sha1":   "f572d396fae9206628714fb2ce00f72e94f2258f",
		"sha512": "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629",
	} {
		kw := map[string]any{}
		if form != "" {
			kw["form"] = form
		}
		if got := mustCall(t, nil, "file.get_hash", []any{p}, kw); got != want {
			t.Errorf("get_hash %s = %v", form, got)
		}
	}
	wantBadArg(t, "file.get_hash", []any{p, "crc32"}, nil, nil, "invalid hash type")
}

func TestFileDirsAndLinks(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c")
	if got := mustCall(t, nil, "file.mkdir", []any{deep}, map[string]any{"mode": 750}); got != true {
		t.Fatal(got)
	}
	for _, p := range []string{filepath.Join(dir, "a"), deep} {
		if m := mustCall(t, nil, "file.get_mode", []any{p}, nil); m != "0750" {
			t.Errorf("mode of %s: %v", p, m)
		}
	}
	if m := mustCall(t, nil, "file.get_mode", []any{dir}, nil); m == "0750" {
		t.Error("mkdir changed the mode of an existing parent")
	}
	mustCall(t, nil, "file.mkdir", []any{deep}, nil) // exists: fine

	f := filepath.Join(deep, "f")
	if got := mustCall(t, nil, "file.touch", []any{f}, map[string]any{"mtime": 1000000000}); got != true {
		t.Fatal(got)
	}
	if fi, err := os.Stat(f); err != nil || !fi.ModTime().Equal(time.Unix(1000000000, 0)) {
		t.Errorf("touch: %v %v", fi, err)
	}
	if got := mustCall(t, nil, "file.set_mode", []any{f, "0600"}, nil); got != "0600" {
		t.Errorf("set_mode: %v", got)
	}
	if got := mustCall(t, nil, "file.set_mode", []any{f, 4755}, nil); got != "4755" {
		t.Errorf("set_mode setuid: %v", got)
	}
	_, err := call(t, context.Background(), nil, "file.set_mode", []any{filepath.Join(dir, "none"), "0644"}, nil)
	wantKind(t, err, proto.ErrExecution, "File not found")
	wantBadArg(t, "file.set_mode", []any{f, "0999"}, nil, nil, "octal")

	link := filepath.Join(dir, "link")
	if got := mustCall(t, nil, "file.symlink", []any{f, link}, nil); got != true {
		t.Fatal(got)
	}
	if got := mustCall(t, nil, "file.readlink", []any{link}, nil); got != f {
		t.Errorf("readlink %v", got)
	}
	_, err = call(t, context.Background(), nil, "file.symlink", []any{deep, link}, nil)
	wantKind(t, err, proto.ErrExecution, "File exists")
	mustCall(t, nil, "file.symlink", []any{deep, link}, map[string]any{"force": true})
	if got := mustCall(t, nil, "file.readlink", []any{link}, nil); got != deep {
		t.Errorf("forced link points to %v", got)
	}
	_, err = call(t, context.Background(), nil, "file.readlink", []any{f}, nil)
	wantKind(t, err, proto.ErrExecution, "A valid link was not specified")
	wantBadArg(t, "file.symlink", []any{f, "relative"}, nil, nil, "absolute")

	// chown to ourselves works; an unknown user is an error, not a string
	if got := mustCall(t, nil, "file.chown", []any{f, os.Getuid(), os.Getgid()}, nil); got != nil {
		t.Errorf("chown: %v", got)
	}
	_, err = call(t, context.Background(), nil, "file.chown", []any{f, "no-such-user-brine"}, nil)
	wantKind(t, err, proto.ErrExecution, "User does not exist: no-such-user-brine")
	_, err = call(t, context.Background(), nil, "file.chown", []any{filepath.Join(dir, "none"), os.Getuid()}, nil)
	wantKind(t, err, proto.ErrExecution, "File not found")

	if got := mustCall(t, nil, "file.remove", []any{filepath.Join(dir, "a")}, nil); got != true {
		t.Error(got)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Error("tree not removed")
	}
	if got := mustCall(t, nil, "file.remove", []any{filepath.Join(dir, "a")}, nil); got != false {
		t.Error("removing nothing gave", got)
	}
	if got := mustCall(t, nil, "file.remove", []any{link}, nil); got != true {
		t.Error("link not removed")
	}
	wantBadArg(t, "file.remove", []any{"relative"}, nil, nil, "absolute")
}

func TestFileFind(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"app.log", "b/old.log", "b/c/deep.LOG", "b/notes.txt"} {
		writeT(t, filepath.Join(dir, p), strings.Repeat("x", 2000))
	}
	old := time.Now().Add(-10 * 24 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "b/old.log"), old, old); err != nil {
		t.Fatal(err)
	}
	j := func(ps ...string) []any {
		out := []any{}
		for _, p := range ps {
			out = append(out, filepath.Join(dir, p))
		}
		return out
	}
	for _, c := range []struct {
		args []any
		kw   map[string]any
		want []any
	}{
		{[]any{"name=*.log"}, nil, j("app.log", "b/old.log")},
		{nil, map[string]any{"iname": "*.log"}, j("app.log", "b/old.log", "b/c/deep.LOG")},
		{[]any{"type=d"}, nil, j("", "b", "b/c")},
		{[]any{"type=d", "mindepth=1"}, nil, j("b", "b/c")},
		{[]any{"type=f", "maxdepth=1"}, nil, j("app.log")},
		{[]any{"regex=^(old|notes)"}, nil, j("b/notes.txt", "b/old.log")},
		{[]any{"type=f", "mtime=+7d"}, nil, j("b/old.log")},
		{[]any{"type=f", "size=+1k", "name=*.txt"}, nil, j("b/notes.txt")},
		{[]any{"size=-1k"}, nil, []any{}},
	} {
		got := mustCall(t, nil, "file.find", append([]any{dir}, c.args...), c.kw)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("find %v %v = %v, want %v", c.args, c.kw, got, c.want)
		}
	}
	wantBadArg(t, "file.find", []any{dir, "nmae=*.log"}, nil, nil, `unknown criterion "nmae"`)
	wantBadArg(t, "file.find", []any{dir, "type=z"}, nil, nil, "unknown file type")
}

func TestPyRepl(t *testing.T) {
	for in, want := range map[string]string{`\1-\g<2>`: "${1}-${2}", `\g<name>x`: "${name}x", `$5 \\ \n`: "$$5 \\ \n", `\12`: "${12}"} {
		got, err := pyRepl(in)
		if err != nil || got != want {
			t.Errorf("pyRepl(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := pyRepl(`\g1`); err == nil {
		t.Error("bad \\g accepted")
	}
}
