package modules

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// gitT runs the real git for test setup.
func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitOrigin makes a repository with two commits on main and a tag v1 on
// the first; it returns its path and the two commit ids.
func gitOrigin(t *testing.T) (string, string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for k, v := range map[string]string{"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"} {
		t.Setenv(k, v)
	}
	origin := filepath.Join(t.TempDir(), "origin")
	gitT(t, "/", "init", "-q", "-b", "main", origin)
	writeT(t, filepath.Join(origin, "a.txt"), "one\n")
	gitT(t, origin, "add", "a.txt")
	gitT(t, origin, "commit", "-q", "-m", "one")
	gitT(t, origin, "tag", "v1")
	first := gitT(t, origin, "rev-parse", "HEAD")
	writeT(t, filepath.Join(origin, "a.txt"), "two\n")
	gitT(t, origin, "commit", "-q", "-am", "two")
	return origin, first, gitT(t, origin, "rev-parse", "HEAD")
}

func TestGitCloneCheckoutRevParse(t *testing.T) {
	origin, first, second := gitOrigin(t)
	base := t.TempDir()
	work := filepath.Join(base, "app")
	if got := mustCall(t, nil, "git.clone", []any{work, origin}, nil); got != true {
		t.Fatal(got)
	}
	if got := mustCall(t, nil, "git.revision", []any{work}, nil); got != second {
		t.Errorf("revision %v, want %s", got, second)
	}
	if got := mustCall(t, nil, "git.current_branch", []any{work}, nil); got != "main" {
		t.Errorf("branch %v", got)
	}
	// the seed's shape: git.checkout(dir, rev=..., user=...)
	out := mustCall(t, nil, "git.checkout", []any{work}, map[string]any{"rev": "v1", "user": mustUserName(t)})
	if !strings.Contains(out.(string), "HEAD is now at") {
		t.Errorf("checkout output %q", out)
	}
	if got := mustCall(t, nil, "git.rev_parse", []any{work, "HEAD"}, nil); got != first {
		t.Errorf("rev_parse %v, want %s", got, first)
	}
	if got := mustCall(t, nil, "git.rev_parse", []any{work}, map[string]any{"rev": "HEAD", "opts": "--short=7"}); got != first[:7] {
		t.Errorf("rev_parse --short %v", got)
	}
	mustCall(t, nil, "git.checkout", []any{work}, map[string]any{"opts": "-b feature"})
	if got := mustCall(t, nil, "git.current_branch", []any{work}, nil); got != "feature" {
		t.Errorf("branch %v", got)
	}
	// failures are errors with git's message, never output
	_, err := call(t, context.Background(), nil, "git.checkout", []any{work, "no-such-rev"}, nil)
	wantKind(t, err, proto.ErrExecution, "git.checkout: ", "git checkout no-such-rev failed with exit code 1", "no-such-rev")
	wantBadArg(t, "git.checkout", []any{work}, nil, nil, "'rev' argument is required")
	wantBadArg(t, "git.clone", []any{"relative", origin}, nil, nil, "absolute")
	// with ignore_retcode the output comes back
	if got, err := call(t, context.Background(), nil, "git.rev_parse", []any{work, "nope"}, map[string]any{"ignore_retcode": true}); err != nil || !strings.Contains(got.(string), "nope") {
		t.Errorf("ignore_retcode: %v %v", got, err)
	}
	// name= clones into cwd/name
	if got := mustCall(t, nil, "git.clone", []any{base, origin}, map[string]any{"name": "second", "opts": []any{"--depth", "1"}}); got != true {
		t.Fatal(got)
	}
	if got := mustCall(t, nil, "git.revision", []any{filepath.Join(base, "second")}, map[string]any{"short": true}); !strings.HasPrefix(second, got.(string)) {
		t.Errorf("short revision %v", got)
	}
	if !IsSecret("git.clone", -1, "https_pass") || !IsSecret("git.clone", 9, "") || !IsSecret("git.checkout", -1, "password") {
		t.Error("git passwords are not declared secret")
	}
}

func mustUserName(t *testing.T) string {
	t.Helper()
	return userName(uint32(os.Getuid()))
}

func TestGitFetchPull(t *testing.T) {
	origin, first, _ := gitOrigin(t)
	work := filepath.Join(t.TempDir(), "app")
	mustCall(t, nil, "git.clone", []any{work, origin}, nil)
	if got := mustCall(t, nil, "git.fetch", []any{work}, nil); !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("fetch with nothing new: %v", got)
	}
	before := gitT(t, origin, "rev-parse", "HEAD")
	writeT(t, filepath.Join(origin, "a.txt"), "three\n")
	gitT(t, origin, "commit", "-q", "-am", "three")
	after := gitT(t, origin, "rev-parse", "HEAD")
	gitT(t, origin, "branch", "topic", first)
	gitT(t, origin, "tag", "v3")
	got := mustCall(t, nil, "git.fetch", []any{work, "origin"}, nil).(map[string]any)
	want := map[string]any{
		"new branches":     []any{"topic"}, // the remote's name, as Salt reports it
		"new tags":         []any{"v3"},
		"updated branches": map[string]any{"main": map[string]any{"old": before[:7], "new": after[:7]}},
	}
	// git abbreviates ids to at least 7 characters
	if ub, ok := got["updated branches"].(map[string]any)["main"].(map[string]any); ok {
		if strings.HasPrefix(before, ub["old"].(string)) && strings.HasPrefix(after, ub["new"].(string)) {
			ub["old"], ub["new"] = before[:7], after[:7]
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fetch = %v, want %v", got, want)
	}
	out := mustCall(t, nil, "git.pull", []any{work}, map[string]any{"opts": "--ff-only"})
	if !strings.Contains(out.(string), "Fast-forward") {
		t.Errorf("pull output %q", out)
	}
	if got := mustCall(t, nil, "git.revision", []any{work}, nil); got != after {
		t.Errorf("after pull at %v", got)
	}
}

func TestGitConfig(t *testing.T) {
	origin, _, _ := gitOrigin(t)
	if got := mustCall(t, nil, "git.config_get", []any{"brine.test"}, map[string]any{"cwd": origin}); got != nil {
		t.Errorf("unset key: %v", got)
	}
	if got := mustCall(t, nil, "git.config_set", []any{"brine.test", "one"}, map[string]any{"cwd": origin}); !reflect.DeepEqual(got, []any{"one"}) {
		t.Errorf("config_set: %v", got)
	}
	if got := mustCall(t, nil, "git.config_set", []any{"brine.multi"}, map[string]any{"cwd": origin, "multivar": []any{"a", "b"}}); !reflect.DeepEqual(got, []any{"a", "b"}) {
		t.Errorf("config_set multivar: %v", got)
	}
	if got := mustCall(t, nil, "git.config_get", []any{"brine.multi"}, map[string]any{"cwd": origin}); got != "b" {
		t.Errorf("config_get: %v", got)
	}
	if got := mustCall(t, nil, "git.config_get", []any{"brine.multi"}, map[string]any{"cwd": origin, "all": true}); !reflect.DeepEqual(got, []any{"a", "b"}) {
		t.Errorf("config_get all: %v", got)
	}
	mustCall(t, nil, "git.config_set", []any{"user.name", "Global"}, map[string]any{"global": true})
	if got := gitT(t, "/", "config", "--global", "user.name"); got != "Global" {
		t.Errorf("global: %q", got)
	}
	if got := mustCall(t, nil, "git.config_unset", []any{"brine.multi"}, map[string]any{"cwd": origin, "all": true}); got != true {
		t.Error(got)
	}
	if got := mustCall(t, nil, "git.config_get", []any{"brine.multi"}, map[string]any{"cwd": origin}); got != nil {
		t.Errorf("after unset: %v", got)
	}
	_, err := call(t, context.Background(), nil, "git.config_unset", []any{"brine.multi"}, map[string]any{"cwd": origin})
	wantKind(t, err, proto.ErrExecution, "git.config_unset: ", "exit code 5")
	wantBadArg(t, "git.config_get", []any{"brine.test"}, nil, nil, "'cwd' argument required")
	wantBadArg(t, "git.config_set", []any{"k"}, map[string]any{"cwd": origin}, nil, "exactly one of value and multivar")
}

func TestShlexSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`--depth 1`:               {"--depth", "1"},
		`-c 'a b' "c \"d\"" e\ f`: {"-c", "a b", `c "d"`, "e f"},
		`  `:                      nil,
		`''`:                      {""},
	} {
		got, err := shlexSplit(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("shlexSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := shlexSplit(`'open`); err == nil {
		t.Error("unclosed quote accepted")
	}
}
