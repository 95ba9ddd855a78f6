package states

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// gitRepo makes an empty repository with the real git, HOME pointed at a
// temporary directory so --global stays in the test.
func gitRepo(t *testing.T) (repo, home string) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	repo = filepath.Join(t.TempDir(), "repo")
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	return repo, home
}

func TestGitConfigSet(t *testing.T) {
	repo, home := gitRepo(t)
	cfg := filepath.Join(repo, ".git", "config")
	snap := func() string { return readFile(t, cfg) }
	first := cycle(t, nil, "git.config_set", "user.email", map[string]any{"value": "ops@example.com", "repo": repo}, snap)
	if first.Comment != "'user.email' was added as 'ops@example.com'" ||
		!reflect.DeepEqual(first.Changes["user.email"], map[string]any{"old": nil, "new": []any{"ops@example.com"}}) {
		t.Errorf("result %+v", first)
	}
	res := apply(t, nil, "git.config_set", "user.email", map[string]any{"value": "dev@example.com", "repo": repo}, false)
	want(t, res, True(), true, "'user.email' was set to 'dev@example.com'")

	// A multivar, in order; the comma-separated string form is the same.
	mv := cycle(t, nil, "git.config_set", "remote.origin.push", map[string]any{"multivar": []any{"refs/heads/a", "refs/heads/b"}, "repo": repo}, snap)
	if !reflect.DeepEqual(mv.Changes["remote.origin.push"], map[string]any{"old": nil, "new": []any{"refs/heads/a", "refs/heads/b"}}) {
		t.Errorf("changes %v", mv.Changes)
	}
	want(t, apply(t, nil, "git.config_set", "remote.origin.push", map[string]any{"multivar": "refs/heads/a,refs/heads/b", "repo": repo}, false),
		True(), false, "is already set to ['refs/heads/a', 'refs/heads/b']")

	// Global: the user's ~/.gitconfig.
	gsnap := snapshotTree(t, home)
	g := cycle(t, nil, "git.config_set", "core.editor", map[string]any{"value": "vim", "global": true}, gsnap)
	if g.Comment != "Global key 'core.editor' was added as 'vim'" {
		t.Errorf("comment %q", g.Comment)
	}
	if got := readFile(t, filepath.Join(home, ".gitconfig")); got != "[core]\n\teditor = vim\n" {
		t.Errorf(".gitconfig %q", got)
	}

	wantFail(t, apply(t, nil, "git.config_set", "user.name", map[string]any{"value": "x"}, false), "'repo'", "non-global config options require")
	wantFail(t, apply(t, nil, "git.config_set", "user.name", map[string]any{"value": "x", "multivar": []any{"y"}, "repo": repo}, false), "only one of 'value' and 'multivar'")
	wantFail(t, apply(t, nil, "git.config_set", "nosection", map[string]any{"value": "x", "repo": repo}, false), "Failed to set 'nosection'", "key does not contain a section")
	wantFail(t, apply(t, nil, "git.config_set", "user.name", map[string]any{"value": "x", "repo": filepath.Join(home, "missing")}, false), "Failed to set 'user.name'")
}

// The comments and changes asserted here and in TestGitConfigSet are
// SaltStack 3006.1's for the same states on the same repository.
func TestGitConfigUnset(t *testing.T) {
	repo, _ := gitRepo(t)
	cfg := filepath.Join(repo, ".git", "config")
	snap := func() string { return readFile(t, cfg) }
	for _, kv := range [][]string{{"--add", "foo.bar", "1"}, {"--add", "foo.bar", "2"}, {"--add", "foo.baz", "3"}, {"user.name", "me"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo, "config"}, kv...)...).CombinedOutput(); err != nil {
			t.Fatalf("git config: %v: %s", err, out)
		}
	}
	first := cycle(t, nil, "git.config_unset", "user.name", map[string]any{"repo": repo}, snap)
	if first.Comment != "Value(s) successfully unset" || !reflect.DeepEqual(first.Changes, map[string]any{"user.name": []any{"me"}}) {
		t.Errorf("result %+v", first)
	}
	// A multivar needs all: True, or a value_regex matching one value.
	before := snap()
	wantFail(t, apply(t, nil, "git.config_unset", "foo.*", map[string]any{"repo": repo}, false), "Multivar(s) matched by the key expression", "foo.bar (1, 2)")
	if snap() != before {
		t.Fatal("a refused unset changed the config")
	}
	one := cycle(t, nil, "git.config_unset", "foo.bar", map[string]any{"repo": repo, "value_regex": "^2$"}, snap)
	if !reflect.DeepEqual(one.Changes, map[string]any{"foo.bar": []any{"2"}}) {
		t.Errorf("changes %v", one.Changes)
	}
	exec.Command("git", "-C", repo, "config", "--add", "foo.bar", "5").Run()
	all := cycle(t, nil, "git.config_unset", "foo.*", map[string]any{"repo": repo, "all": true}, snap)
	if !reflect.DeepEqual(all.Changes, map[string]any{"foo.bar": []any{"1", "5"}, "foo.baz": []any{"3"}}) {
		t.Errorf("changes %v", all.Changes)
	}
	want(t, apply(t, nil, "git.config_unset", "foo.bar", map[string]any{"repo": repo}, false), True(), false, "No matching keys are set")
	wantFail(t, apply(t, nil, "git.config_unset", "foo.bar", nil, false), "'repo'")
}
