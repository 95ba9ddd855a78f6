package states

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// makeTarball builds app/{a.txt,link->a.txt,sub/b.txt} and tars it with
// the real tar (gzip).
func makeTarball(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar is not installed")
	}
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "app", "a.txt"), "hi\n")
	writeFile(t, filepath.Join(src, "app", "sub", "b.txt"), "yo\n")
	if err := os.Symlink("a.txt", filepath.Join(src, "app", "link")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "app.tar.gz")
	if b, err := exec.Command("tar", "czf", out, "-C", src, "app").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, b)
	}
	return out
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func TestArchiveExtractedTar(t *testing.T) {
	dir := t.TempDir()
	tgz := makeTarball(t, dir)
	dest := filepath.Join(dir, "dest")
	args := map[string]any{"source": tgz, "source_hash": "sha256=" + sha256File(t, tgz)}
	first := cycle(t, nil, "archive.extracted", dest, args, snapshotTree(t, dest))
	want(t, first, True(), true, tgz+" extracted to "+dest+"/, due to absence of one or more files/dirs")
	if got := readFile(t, filepath.Join(dest, "app", "sub", "b.txt")); got != "yo\n" {
		t.Errorf("b.txt %q", got)
	}
	if l, _ := os.Readlink(filepath.Join(dest, "app", "link")); l != "a.txt" {
		t.Errorf("link %q", l)
	}
	// as salt-call listed them (tarfile's names, in archive order)
	files, _ := first.Changes["extracted_files"].([]any)
	for _, f := range files {
		if strings.HasSuffix(f.(string), "/") {
			t.Errorf("extracted_files %v: directories end in /", files)
		}
	}
	if len(files) != 5 || !reflect.DeepEqual(first.Changes["directories_created"], []any{dest + "/"}) {
		t.Errorf("changes %v", first.Changes)
	}
	res := apply(t, nil, "archive.extracted", dest, args, false)
	want(t, res, True(), false, "All files in archive are already present")
	// a missing file brings the extraction back
	os.Remove(filepath.Join(dest, "app", "sub", "b.txt"))
	res = apply(t, nil, "archive.extracted", dest, args, true)
	want(t, res, nil, true, "Archive "+tgz+" would be extracted to "+dest+"/, due to absence of one or more files/dirs")
	res = apply(t, nil, "archive.extracted", dest, args, false)
	want(t, res, True(), true, "extracted to")
	// overwrite always extracts; if_missing short-cuts
	res = apply(t, nil, "archive.extracted", dest, map[string]any{"source": tgz, "overwrite": true, "trim_output": 2}, false)
	want(t, res, True(), true, ". Output was trimmed to 2 number of lines")
	if n := len(res.Changes["extracted_files"].([]any)); n != 2 {
		t.Errorf("trimmed to %d", n)
	}
	res = apply(t, nil, "archive.extracted", dest, map[string]any{"source": tgz, "overwrite": true, "if_missing": filepath.Join(dest, "app")}, false)
	want(t, res, True(), false, "Path "+filepath.Join(dest, "app")+" exists")
}

func TestArchiveExtractedStripAndToplevel(t *testing.T) {
	dir := t.TempDir()
	tgz := makeTarball(t, dir)
	dest := filepath.Join(dir, "dest")
	args := map[string]any{"source": tgz, "options": "--strip-components=1", "enforce_toplevel": false}
	cycle(t, nil, "archive.extracted", dest, args, snapshotTree(t, dest))
	if got := readFile(t, filepath.Join(dest, "a.txt")); got != "hi\n" {
		t.Errorf("a.txt %q", got)
	}
	// the stripped archive has files at its top: refused by default
	other := filepath.Join(dir, "other")
	res := apply(t, nil, "archive.extracted", other, map[string]any{"source": tgz, "options": "--strip-components=1"}, false)
	wantFail(t, res, "Archive does not have a single top-level directory", "'tar-bomb'")
	if _, err := os.Stat(other); err == nil {
		t.Error("a refused archive created the destination")
	}
}

func TestArchiveExtractedCleanForceOwnership(t *testing.T) {
	dir := t.TempDir()
	tgz := makeTarball(t, dir)
	dest := filepath.Join(dir, "dest")
	// a file where the archive has a directory
	writeFile(t, filepath.Join(dest, "app", "sub"), "not a dir")
	res := apply(t, nil, "archive.extracted", dest, map[string]any{"source": tgz}, false)
	wantFail(t, res, "exist, but are the incorrect type", "- app/sub", "set 'force' to True")
	res = apply(t, nil, "archive.extracted", dest, map[string]any{"source": tgz, "force": true}, false)
	want(t, res, True(), true)
	if !reflect.DeepEqual(res.Changes["removed"], []any{filepath.Join(dest, "app", "sub")}) {
		t.Errorf("removed %v", res.Changes["removed"])
	}
	// clean removes stale files under the top-level directory
	writeFile(t, filepath.Join(dest, "app", "stale"), "x")
	res = apply(t, nil, "archive.extracted", dest, map[string]any{"source": tgz, "clean": true, "overwrite": true}, false)
	want(t, res, True(), true)
	if _, err := os.Stat(filepath.Join(dest, "app", "stale")); err == nil {
		t.Error("clean left a stale file")
	}
	// ownership: our own user is always available
	me := fmt.Sprint(os.Getuid())
	res = apply(t, nil, "archive.extracted", dest, map[string]any{"source": tgz, "user": me}, false)
	want(t, res, True(), false, "All files in archive are already present")
	wantFail(t, apply(t, nil, "archive.extracted", dest, map[string]any{"source": tgz, "user": "no-such-user-st1"}, false), "User no-such-user-st1 does not exist")
}

func TestArchiveExtractedZip(t *testing.T) {
	dir := t.TempDir()
	zp := filepath.Join(dir, "pkg.zip")
	f, err := os.Create(zp)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range []struct{ name, body string }{{"pkg/", ""}, {"pkg/run.sh", "#!/bin/sh\n"}, {"pkg/data/x.txt", "x\n"}} {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(0o755)
		if strings.HasSuffix(e.name, "/") {
			h.SetMode(os.ModeDir | 0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(w, e.body)
	}
	zw.Close()
	f.Close()
	dest := filepath.Join(dir, "opt")
	first := cycle(t, nil, "archive.extracted", dest, map[string]any{"source": zp}, snapshotTree(t, dest))
	want(t, first, True(), true)
	fi, err := os.Stat(filepath.Join(dest, "pkg", "run.sh"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh %v %v", fi, err)
	}
	if !reflect.DeepEqual(first.Changes["extracted_files"], []any{"pkg/", "pkg/run.sh", "pkg/data/x.txt"}) {
		t.Errorf("extracted %v", first.Changes["extracted_files"])
	}
	// with options unzip extracts
	if _, err := exec.LookPath("unzip"); err == nil {
		d2 := filepath.Join(dir, "opt2")
		res := apply(t, nil, "archive.extracted", d2, map[string]any{"source": zp, "options": "-o"}, false)
		want(t, res, True(), true)
		if got := readFile(t, filepath.Join(d2, "pkg", "data", "x.txt")); got != "x\n" {
			t.Errorf("x.txt %q", got)
		}
	}
}

func TestArchiveExtractedHTTP(t *testing.T) {
	dir := t.TempDir()
	tgz := makeTarball(t, dir)
	body, _ := os.ReadFile(tgz)
	sum := sha256File(t, tgz)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/dl/app.tar.gz":
			hits.Add(1)
			w.Write(body)
		case "/dl/SHA256SUMS":
			fmt.Fprintf(w, "%s  other.tar.gz\n%s  app.tar.gz\n", strings.Repeat("0", 64), sum)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	env := testEnv(t)
	env.CacheDir = filepath.Join(dir, "cache")
	dest := filepath.Join(dir, "dest")
	args := map[string]any{"source": srv.URL + "/dl/app.tar.gz", "source_hash": srv.URL + "/dl/SHA256SUMS"}
	res := apply(t, env, "archive.extracted", dest, args, true)
	want(t, res, nil, false, "would be cached (if necessary) and checked")
	res = apply(t, env, "archive.extracted", dest, args, false)
	want(t, res, True(), true, "extracted to "+dest+"/")
	res = apply(t, env, "archive.extracted", dest, args, false)
	want(t, res, True(), false, "All files in archive are already present")
	res = apply(t, env, "archive.extracted", dest, args, true)
	want(t, res, True(), false, "All files in archive are already present")
	if n := hits.Load(); n != 1 {
		t.Errorf("downloaded %d times; the cached copy should serve the later runs", n)
	}
	cached := filepath.Join(env.CacheDir, "extrn_files", "base", strings.TrimPrefix(srv.URL, "http://"), "dl", "app.tar.gz")
	if _, err := os.Stat(cached); err != nil {
		t.Errorf("not cached at %s: %v", cached, err)
	}
	// keep_source: False drops the download afterwards
	res = apply(t, env, "archive.extracted", dest, map[string]any{"source": srv.URL + "/dl/app.tar.gz", "source_hash": "sha256=" + sum, "keep_source": false}, false)
	want(t, res, True(), false, "All files in archive are already present")
	if _, err := os.Stat(cached); err == nil {
		t.Error("keep_source: False kept the download")
	}
	// failures: no hash, a wrong hash, a missing file
	wantFail(t, apply(t, env, "archive.extracted", dest, map[string]any{"source": srv.URL + "/dl/app.tar.gz"}, false), "please set source_hash or set skip_verify to True")
	d2 := filepath.Join(dir, "d2")
	wantFail(t, apply(t, env, "archive.extracted", d2, map[string]any{"source": tgz, "source_hash": strings.Repeat("a", 64)}, false), "does not match the desired source_hash")
	wantFail(t, apply(t, nil, "archive.extracted", d2, map[string]any{"source": srv.URL + "/dl/nope.tar.gz", "skip_verify": true}, false), "HTTP error 404")
	if _, err := os.Stat(d2); err == nil {
		t.Error("a failed state created the destination")
	}
}

func TestArchiveExtractedArgErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args map[string]any
		msg  string
	}{
		{map[string]any{"source": "/nope.tar"}, "Source file '/nope.tar' does not exist"},
		{map[string]any{"source": "ftp://x/y.tar"}, "Invalid source"},
		{map[string]any{"source": "/etc/hostname"}, "Could not guess archive_format"},
		{map[string]any{"source": "/x.tar", "archive_format": "7z"}, "argument 'archive_format' is \"7z\""},
		{map[string]any{"source": "/x.tar", "if_missing": "rel/path"}, "argument 'if_missing' is not an absolute path"},
		{map[string]any{"source": "/x.tar", "clean": true, "clean_parent": true}, "only one of 'clean' and 'clean_parent'"},
		{map[string]any{"source": "/x.tar", "trim_output": "many"}, "argument 'trim_output' must be True/False or a positive integer"},
		{map[string]any{"source": "/x.tar", "sourc_hash": "x"}, "'sourc_hash' is an invalid keyword argument for 'archive.extracted' and was ignored; did you mean 'source_hash'?"},
	} {
		wantFail(t, apply(t, nil, "archive.extracted", filepath.Join(dir, "d"), tc.args, false), tc.msg)
	}
	wantFail(t, apply(t, nil, "archive.extracted", "relative/dir", map[string]any{"source": "/x.tar"}, false), "relative/dir is not an absolute path")
}
