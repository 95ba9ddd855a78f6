package modules

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/brine-cm/brine/proto"
)

func TestArchiveTarAndList(t *testing.T) {
	if !hasExec("tar") || !hasExec("gzip") {
		t.Skip("tar or gzip is not installed")
	}
	dir := t.TempDir()
	writeT(t, filepath.Join(dir, "src/a.txt"), "a")
	writeT(t, filepath.Join(dir, "src/sub/b.txt"), "b")
	tarball := filepath.Join(dir, "out.tar.gz")
	got := mustCall(t, nil, "archive.tar", []any{"-czvf", tarball}, map[string]any{"sources": "src", "cwd": dir})
	if !reflect.DeepEqual(got, []any{"src/", "src/a.txt", "src/sub/", "src/sub/b.txt"}) && !reflect.DeepEqual(got, []any{"src/", "src/sub/", "src/sub/b.txt", "src/a.txt"}) {
		t.Errorf("tar output %v", got)
	}
	if got := mustCall(t, nil, "archive.list", []any{tarball}, nil); !reflect.DeepEqual(got, []any{"src/", "src/a.txt", "src/sub/", "src/sub/b.txt"}) {
		t.Errorf("list tar %v", got)
	}
	out := filepath.Join(dir, "x")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	mustCall(t, nil, "archive.tar", []any{"xzf", tarball}, map[string]any{"dest": out})
	if readT(t, filepath.Join(out, "src/sub/b.txt")) != "b" {
		t.Error("extract")
	}
	_, err := call(t, context.Background(), nil, "archive.tar", []any{"xzf", filepath.Join(dir, "none.tgz")}, nil)
	wantKind(t, err, proto.ErrExecution, "archive.tar: ", "none.tgz")
	wantBadArg(t, "archive.tar", []any{"", tarball}, nil, nil, "Tar options can not be empty")

	f := filepath.Join(dir, "log.txt")
	writeT(t, f, "hello")
	mustCall(t, nil, "archive.gzip", []any{f}, nil)
	if _, err := os.Stat(f + ".gz"); err != nil {
		t.Fatal(err)
	}
	mustCall(t, nil, "archive.gunzip", []any{f + ".gz"}, nil)
	if readT(t, f) != "hello" {
		t.Error("gunzip")
	}
}

func TestArchiveZip(t *testing.T) {
	dir := t.TempDir()
	writeT(t, filepath.Join(dir, "app/main.py"), "print(1)")
	writeT(t, filepath.Join(dir, "app/README.md"), "readme")
	if err := os.Chmod(filepath.Join(dir, "app/main.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	zf := filepath.Join(dir, "app.zip")
	got := mustCall(t, nil, "archive.zip", []any{zf, "app"}, map[string]any{"cwd": dir})
	if !reflect.DeepEqual(got, []any{"app/", "app/README.md", "app/main.py"}) {
		t.Errorf("zip %v", got)
	}
	if got := mustCall(t, nil, "archive.list", []any{zf}, nil); !reflect.DeepEqual(got, []any{"app/", "app/README.md", "app/main.py"}) {
		t.Errorf("list zip %v", got)
	}
	dest := filepath.Join(dir, "out")
	got = mustCall(t, nil, "archive.unzip", []any{zf, dest}, map[string]any{"excludes": "app/README.md"})
	if !reflect.DeepEqual(got, []any{"app/", "app/main.py"}) || readT(t, filepath.Join(dest, "app/main.py")) != "print(1)" {
		t.Errorf("unzip %v", got)
	}
	if fi, err := os.Stat(filepath.Join(dest, "app/main.py")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("permissions %v %v", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(dest, "app/README.md")); !os.IsNotExist(err) {
		t.Error("excluded member extracted")
	}
	// a member escaping dest is refused
	evil := filepath.Join(dir, "evil.zip")
	fh, _ := os.Create(evil)
	zw := zip.NewWriter(fh)
	w, _ := zw.Create("../escaped.txt")
	_, _ = w.Write([]byte("x"))
	_ = zw.Close()
	_ = fh.Close()
	_, err := call(t, context.Background(), nil, "archive.unzip", []any{evil, dest}, nil)
	wantKind(t, err, proto.ErrExecution, "outside")
	if _, err := os.Stat(filepath.Join(dir, "escaped.txt")); !os.IsNotExist(err) {
		t.Error("zip slip")
	}
	wantBadArg(t, "archive.zip", []any{zf, "rel"}, nil, nil, "needs cwd")
}
