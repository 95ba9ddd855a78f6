package states

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitFixture is a bare "remote" repository and a work clone that pushes
// to it, built with the real git.
type gitFixture struct {
	t          *testing.T
	bare, work string
}

func newGitFixture(t *testing.T) *gitFixture {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	os.Mkdir(home, 0o755)
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "Brine Test")
	t.Setenv("GIT_AUTHOR_EMAIL", "test@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "Brine Test")
	t.Setenv("GIT_COMMITTER_EMAIL", "test@example.com")
	f := &gitFixture{t: t, bare: filepath.Join(dir, "remote.git"), work: filepath.Join(dir, "work")}
	f.git("", "init", "--bare", "-b", "main", f.bare)
	f.git("", "clone", "-q", f.bare, f.work)
	f.git(f.work, "checkout", "-q", "-b", "main")
	return f
}

func (f *gitFixture) git(dir string, args ...string) string {
	f.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit adds a commit on the work clone's current branch and pushes it.
func (f *gitFixture) commit(file, text string) string {
	f.t.Helper()
	writeFile(f.t, filepath.Join(f.work, file), text)
	f.git(f.work, "add", file)
	f.git(f.work, "commit", "-q", "-m", "change "+file)
	branch := f.git(f.work, "rev-parse", "--abbrev-ref", "HEAD")
	f.git(f.work, "push", "-q", "-f", "origin", branch)
	return f.git(f.work, "rev-parse", "HEAD")
}

func head(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("rev-parse in %s: %v", dir, err)
	}
	return strings.TrimSpace(string(out))
}

func revision(t *testing.T, res Result) (old, new any) {
	t.Helper()
	r, ok := res.Changes["revision"].(map[string]any)
	if !ok {
		t.Fatalf("no revision change in %v", res.Changes)
	}
	return r["old"], r["new"]
}

func TestGitLatest(t *testing.T) {
	f := newGitFixture(t)
	sha1 := f.commit("README", "one\n")
	target := filepath.Join(t.TempDir(), "checkout")
	args := map[string]any{"target": target}
	snap := func() string {
		if _, err := os.Stat(target); err != nil {
			return "absent"
		}
		return head(t, target) + snapshotTree(t, filepath.Join(target, "README"))()
	}

	first := cycle(t, nil, "git.latest", f.bare, args, snap)
	if old, new := revision(t, first); old != nil || new != sha1 {
		t.Errorf("revision %v -> %v, want nil -> %s", old, new, sha1)
	}
	if first.Changes["new"] != f.bare+" => "+target || !strings.Contains(first.Comment, "cloned to") {
		t.Errorf("result %+v", first)
	}

	// A new upstream commit: test mode sees it through ls-remote.
	sha2 := f.commit("README", "two\n")
	res := apply(t, nil, "git.latest", f.bare, args, true)
	want(t, res, nil, true, "would be updated")
	if old, new := revision(t, res); old != sha1 || new != sha2 {
		t.Errorf("test revision %v -> %v", old, new)
	}
	if head(t, target) != sha1 {
		t.Fatal("test mode moved the checkout")
	}
	cycle(t, nil, "git.latest", f.bare, args, snap)
	if head(t, target) != sha2 || readFile(t, filepath.Join(target, "README")) != "two\n" {
		t.Fatal("checkout not updated")
	}
	if br := strings.TrimSpace(f.git(target, "rev-parse", "--abbrev-ref", "HEAD")); br != "main" {
		t.Errorf("on branch %q, want main", br)
	}

	// Local changes block an update unless force_reset.
	sha3 := f.commit("README", "three\n")
	writeFile(t, filepath.Join(target, "README"), "local edit\n")
	wantFail(t, apply(t, nil, "git.latest", f.bare, args, false), "force_reset")
	res = apply(t, nil, "git.latest", f.bare, map[string]any{"target": target, "force_reset": true}, false)
	want(t, res, True(), true)
	if head(t, target) != sha3 || readFile(t, filepath.Join(target, "README")) != "three\n" {
		t.Fatal("force_reset did not update")
	}

	// Rewritten upstream history is not a fast-forward.
	f.git(f.work, "reset", "-q", "--hard", sha1)
	sha4 := f.commit("OTHER", "rewritten\n")
	wantFail(t, apply(t, nil, "git.latest", f.bare, args, false), "not a fast-forward")
	want(t, apply(t, nil, "git.latest", f.bare, map[string]any{"target": target, "force_reset": true}, false), True(), true)
	if head(t, target) != sha4 {
		t.Fatal("force_reset did not follow the rewritten history")
	}
}

func TestGitLatestRevisions(t *testing.T) {
	f := newGitFixture(t)
	sha1 := f.commit("a", "1\n")
	f.git(f.work, "tag", "-a", "v1", "-m", "v1")
	f.git(f.work, "push", "-q", "origin", "v1")
	sha2 := f.commit("a", "2\n")
	f.git(f.work, "checkout", "-q", "-b", "dev")
	shaDev := f.commit("b", "dev\n")
	dir := t.TempDir()

	// An annotated tag resolves to its commit.
	tagged := filepath.Join(dir, "tagged")
	first := cycle(t, nil, "git.latest", f.bare, map[string]any{"target": tagged, "rev": "v1"}, existsSnap(tagged))
	if _, new := revision(t, first); new != sha1 || head(t, tagged) != sha1 {
		t.Errorf("tag checkout at %s, want %s", head(t, tagged), sha1)
	}
	// A commit id (abbreviated) fast-forwards the same checkout.
	res := apply(t, nil, "git.latest", f.bare, map[string]any{"target": tagged, "rev": sha2[:10]}, false)
	want(t, res, True(), true)
	if head(t, tagged) != sha2 {
		t.Errorf("sha checkout at %s", head(t, tagged))
	}
	want(t, apply(t, nil, "git.latest", f.bare, map[string]any{"target": tagged, "rev": sha2[:10]}, false), True(), false)

	// A branch, checked out under another local name.
	br := filepath.Join(dir, "branch")
	cycle(t, nil, "git.latest", f.bare, map[string]any{"target": br, "rev": "dev", "branch": "work"}, existsSnap(br))
	if head(t, br) != shaDev || f.git(br, "rev-parse", "--abbrev-ref", "HEAD") != "work" {
		t.Errorf("branch checkout at %s on %s", head(t, br), f.git(br, "rev-parse", "--abbrev-ref", "HEAD"))
	}
	// Switching an existing checkout to another branch.
	res = apply(t, nil, "git.latest", f.bare, map[string]any{"target": tagged, "rev": "dev"}, false)
	want(t, res, True(), true)
	if head(t, tagged) != shaDev || f.git(tagged, "rev-parse", "--abbrev-ref", "HEAD") != "dev" {
		t.Errorf("switched checkout at %s", head(t, tagged))
	}

	// Errors.
	wantFail(t, apply(t, nil, "git.latest", f.bare, map[string]any{"target": "rel"}, false), "'target'")
	wantFail(t, apply(t, nil, "git.latest", f.bare, nil, false), "'target'")
	wantFail(t, apply(t, nil, "git.latest", f.bare, map[string]any{"target": br, "rev": "nope"}, false), "does not exist")
	occupied := filepath.Join(dir, "occupied")
	writeFile(t, filepath.Join(occupied, "file"), "x")
	wantFail(t, apply(t, nil, "git.latest", f.bare, map[string]any{"target": occupied}, false), "force_clone")
	want(t, apply(t, nil, "git.latest", f.bare, map[string]any{"target": occupied, "force_clone": true}, false), True(), true)
	if head(t, occupied) != sha2 {
		t.Errorf("force_clone checkout at %s", head(t, occupied))
	}
	wantFail(t, apply(t, nil, "git.latest", filepath.Join(dir, "no-such-repo"), map[string]any{"target": filepath.Join(dir, "x")}, false),
		"Failed to check remote revision")
}

// existsSnap snapshots whether path exists (and its HEAD once it does).
func existsSnap(path string) func() string {
	return func() string {
		out, err := exec.Command("git", "-C", path, "rev-parse", "HEAD").Output()
		if err != nil {
			if _, serr := os.Stat(path); serr != nil {
				return "absent"
			}
			return "present, not a repository"
		}
		return string(out)
	}
}
