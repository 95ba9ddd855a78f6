package states

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// apply runs the registered state fun with name and args.
func apply(t *testing.T, env *Env, fun, name string, args map[string]any, test bool) Result {
	t.Helper()
	s, ok := Lookup(fun)
	if !ok {
		t.Fatalf("state %s is not registered", fun)
	}
	if env == nil {
		env = testEnv(t)
	}
	if args == nil {
		args = map[string]any{}
	}
	return s.Apply(context.Background(), env, Call{ID: "test-id", Name: name, Args: args, Test: test})
}

// modWatch runs the registered state's mod_watch.
func modWatch(t *testing.T, env *Env, fun, name string, args map[string]any, test bool) Result {
	t.Helper()
	s, ok := Lookup(fun)
	if !ok || s.ModWatch == nil {
		t.Fatalf("state %s has no mod_watch", fun)
	}
	if args == nil {
		args = map[string]any{}
	}
	if env == nil {
		env = testEnv(t)
	}
	return s.ModWatch(context.Background(), env, Call{ID: "test-id", Name: name, Args: args, Test: test})
}

func testEnv(t *testing.T) *Env {
	// systemd runs (the stand-in systemctl answers as the running one);
	// the host's own init does not matter
	env := &Env{ID: "test-minion", Logger: slog.New(slog.DiscardHandler), Saltenv: "base"}
	if t != nil {
		env.SystemdRunDir = t.TempDir()
	}
	return env
}

func resultString(r *bool) string {
	if r == nil {
		return "None"
	}
	return fmt.Sprint(*r)
}

// want checks a result: its Result (nil: would change), whether it has
// changes, and that its comment holds every sub.
func want(t *testing.T, res Result, result *bool, changes bool, subs ...string) {
	t.Helper()
	if resultString(res.Result) != resultString(result) {
		t.Fatalf("result %s, want %s (comment %q, changes %v)", resultString(res.Result), resultString(result), res.Comment, res.Changes)
	}
	if got := len(res.Changes) > 0; got != changes {
		t.Fatalf("changes %v, want changes=%v (comment %q)", res.Changes, changes, res.Comment)
	}
	for _, s := range subs {
		if !strings.Contains(res.Comment, s) {
			t.Errorf("comment %q does not mention %q", res.Comment, s)
		}
	}
}

// wantFail checks a failed result whose comment holds every sub.
func wantFail(t *testing.T, res Result, subs ...string) {
	t.Helper()
	if res.Result == nil || *res.Result {
		t.Fatalf("result %s, want False (comment %q)", resultString(res.Result), res.Comment)
	}
	for _, s := range subs {
		if !strings.Contains(res.Comment, s) {
			t.Errorf("comment %q does not mention %q", res.Comment, s)
		}
	}
}

// cycle checks the idempotent routine: test mode reports changes and
// changes nothing (snapshot is compared before and after), the first
// apply changes, the second changes nothing, and test mode then agrees.
// It returns the first apply's result.
func cycle(t *testing.T, env *Env, fun, name string, args map[string]any, snapshot func() string) Result {
	t.Helper()
	before := snapshot()
	res := apply(t, env, fun, name, args, true)
	want(t, res, nil, !testModeNoChanges[fun])
	if after := snapshot(); after != before {
		t.Fatalf("test mode changed the system:\nbefore: %s\nafter:  %s", before, after)
	}
	first := apply(t, env, fun, name, args, false)
	want(t, first, True(), true)
	if !reflect.DeepEqual(normalise(first.Changes), normalise(res.Changes)) && !looseChanges[fun] {
		t.Logf("note: test-mode changes %v differ from applied changes %v", res.Changes, first.Changes)
	}
	second := apply(t, env, fun, name, args, false)
	want(t, second, True(), false)
	again := apply(t, env, fun, name, args, true)
	want(t, again, True(), false)
	return first
}

// testModeNoChanges are states that, as in Salt, report no changes in
// test mode (only Result None and a comment).
var testModeNoChanges = map[string]bool{"cmd.run": true, "cmd.script": true,
	"service.running": true, "service.dead": true, "service.enabled": true, "service.disabled": true}

// looseChanges are states whose test-mode changes are a preview, not the
// exact applied changes.
var looseChanges = map[string]bool{"pkg.installed": true, "user.present": true, "group.present": true, "git.latest": true, "pip.installed": true}

func normalise(m map[string]any) string { return fmt.Sprintf("%v", m) }

// snapshotTree describes every file under root (path, mode, content) for
// "nothing changed" checks.
func snapshotTree(t *testing.T, root string) func() string {
	return func() string {
		var sb strings.Builder
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			fmt.Fprintf(&sb, "%s %v", p, info.Mode())
			switch {
			case d.Type().IsRegular():
				data, _ := os.ReadFile(p)
				fmt.Fprintf(&sb, " %q", data)
			case d.Type()&fs.ModeSymlink != 0:
				l, _ := os.Readlink(p)
				fmt.Fprintf(&sb, " -> %s", l)
			}
			sb.WriteByte('\n')
			return nil
		})
		if err != nil {
			t.Fatalf("snapshot %s: %v", root, err)
		}
		return sb.String()
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// dirFiles is a FileClient serving root/<saltenv>/<path> for salt://path.
type dirFiles struct{ root string }

func (d dirFiles) local(url, saltenv string) (string, error) {
	p, ok := strings.CutPrefix(url, "salt://")
	if !ok {
		return "", fmt.Errorf("unsupported URL %s", url)
	}
	return filepath.Join(d.root, saltenv, filepath.FromSlash(p)), nil
}

func (d dirFiles) Cache(ctx context.Context, url, saltenv string) (string, error) {
	if filepath.IsAbs(url) {
		return url, nil
	}
	p, err := d.local(url, saltenv)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		return "", fmt.Errorf("%s not found", url)
	}
	return p, nil
}

func (d dirFiles) List(ctx context.Context, prefix, saltenv string) ([]string, error) {
	base := filepath.Join(d.root, saltenv)
	var out []string
	err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == base {
			return nil
		}
		rel, _ := filepath.Rel(base, p)
		u := "salt://" + filepath.ToSlash(rel)
		if e.IsDir() {
			u += "/"
		}
		if strings.HasPrefix(u, prefix) {
			out = append(out, u)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// fakeRenderer replaces {{ key }} with context values; "{% fail %}"
// fails.
type fakeRenderer struct{}

func (fakeRenderer) RenderTemplate(ctx context.Context, text []byte, name string, tctx map[string]any) ([]byte, error) {
	s := string(text)
	if strings.Contains(s, "{% fail %}") {
		return nil, errors.New("render error on purpose")
	}
	for _, k := range sortedKeys(tctx) {
		s = strings.ReplaceAll(s, "{{ "+k+" }}", fmt.Sprint(tctx[k]))
	}
	return []byte(s), nil
}

// stubTool writes an executable shell script named name into dir.
func stubTool(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// onPath puts dir first on PATH for the test.
func onPath(t *testing.T, dir string) {
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}
