package modules

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// treeFiles serves the files under root as saltenv base.
type treeFiles struct{ root string }

func (f treeFiles) Cache(_ context.Context, url, saltenv string) (string, error) {
	if saltenv != "base" {
		return "", proto.Errorf(proto.ErrNotFound, "saltenv %s", saltenv)
	}
	p := filepath.Join(f.root, filepath.FromSlash(strings.TrimPrefix(url, "salt://")))
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", proto.Errorf(proto.ErrNotFound, "%s not found", url)
		}
		return "", err
	}
	return p, nil
}

func (f treeFiles) List(_ context.Context, prefix, saltenv string) ([]string, error) {
	var out []string
	err := filepath.Walk(f.root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(f.root, p)
		if strings.HasPrefix(filepath.ToSlash(rel), prefix) {
			out = append(out, "salt://"+filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func TestCp(t *testing.T) {
	root := t.TempDir()
	writeT(t, filepath.Join(root, "vimrc"), "set nu\n")
	writeT(t, filepath.Join(root, "motd.j2"), "Welcome to {{ grains['id'] }}\n")
	writeT(t, filepath.Join(root, "etc/apache2/apache2.conf"), "x\n")
	writeT(t, filepath.Join(root, "etc/apache2/sites/default"), "y\n")
	env := &Env{Files: treeFiles{root}, Grains: mapGrains{"id": "web-1"}}
	dest := t.TempDir()

	if got := mustCall(t, env, "cp.get_file", []any{"salt://vimrc", filepath.Join(dest, "a/b/vimrc")}, map[string]any{"makedirs": true}); got != filepath.Join(dest, "a/b/vimrc") {
		t.Errorf("get_file %v", got)
	}
	if readT(t, filepath.Join(dest, "a/b/vimrc")) != "set nu\n" {
		t.Error("content")
	}
	if got := mustCall(t, env, "cp.get_file", []any{"salt://motd.j2", dest + "/"}, map[string]any{"template": "jinja"}); got != filepath.Join(dest, "motd.j2") ||
		readT(t, filepath.Join(dest, "motd.j2")) != "Welcome to web-1\n" {
		t.Errorf("get_file template: %v %q", got, readT(t, filepath.Join(dest, "motd.j2")))
	}
	if got := mustCall(t, env, "cp.get_file", []any{"salt://none", filepath.Join(dest, "x")}, nil); got != "" {
		t.Errorf("missing file gave %v", got)
	}
	_, err := call(t, context.Background(), env, "cp.get_file", []any{"salt://vimrc", filepath.Join(dest, "no/dir/vimrc")}, nil)
	wantKind(t, err, proto.ErrExecution, "No such file or directory")

	got := mustCall(t, env, "cp.get_dir", []any{"salt://etc/apache2", dest}, nil)
	want := []any{filepath.Join(dest, "apache2/apache2.conf"), filepath.Join(dest, "apache2/sites/default")}
	if !reflect.DeepEqual(got, want) || readT(t, filepath.Join(dest, "apache2/sites/default")) != "y\n" {
		t.Errorf("get_dir %v", got)
	}
	if got := mustCall(t, env, "cp.cache_file", []any{"salt://vimrc"}, nil); got != filepath.Join(root, "vimrc") {
		t.Errorf("cache_file %v", got)
	}
	if got := mustCall(t, env, "cp.cache_file", []any{"salt://none"}, nil); got != false {
		t.Errorf("cache_file missing %v", got)
	}
	if got := mustCall(t, env, "cp.list_master", nil, nil); !reflect.DeepEqual(got, []any{"etc/apache2/apache2.conf", "etc/apache2/sites/default", "motd.j2", "vimrc"}) {
		t.Errorf("list_master %v", got)
	}
	if got := mustCall(t, env, "cp.list_master", nil, map[string]any{"prefix": "etc/"}); len(got.([]any)) != 2 {
		t.Errorf("list_master prefix %v", got)
	}
	if got := mustCall(t, env, "cp.list_master_dirs", nil, nil); !reflect.DeepEqual(got, []any{"etc", "etc/apache2", "etc/apache2/sites"}) {
		t.Errorf("list_master_dirs %v", got)
	}
	wantBadArg(t, "cp.get_file", []any{"/etc/passwd", dest}, nil, env, "salt:// URL")
	_, err = call(t, context.Background(), &Env{}, "cp.list_master", nil, nil)
	wantKind(t, err, proto.ErrExecution, "needs a master")
}

// cp.list_states names the SLS files as Salt does: "a/b.sls" a.b,
// "a/init.sls" a, a top-level init.sls "init"; other files are left out.
func TestCpListStates(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"top.sls", "init.sls", "apache/init.sls", "apache/config/modules/clean.sls", "apache/map.jinja", "apache/files/x.conf", "apache/config/init.sls", "nginx/sls"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := &Env{Files: treeFiles{root}, Grains: mapGrains{"id": "web-1"}}
	want := []any{"apache", "apache.config", "apache.config.modules.clean", "init", "top"}
	if got := mustCall(t, env, "cp.list_states", nil, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("list_states %v, want %v", got, want)
	}
	_, err := call(t, context.Background(), &Env{}, "cp.list_states", nil, nil)
	wantKind(t, err, proto.ErrExecution, "needs a master")
}
