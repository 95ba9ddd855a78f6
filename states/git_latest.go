package states

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func init() {
	RegisterTyped(Typed[gitLatestArgs]{
		Name: "git.latest",
		Doc: `Ensure a git checkout is at the latest revision of a remote.

name: the repository URL. target: the absolute path of the checkout (cloned when missing or empty). rev: a branch, tag or commit (default HEAD, the remote's default branch); branch: the local branch name (default: the remote branch's). remote: the remote's name (default origin). force_reset: discard local changes and non-fast-forward history. force_clone: replace a non-repository directory at target. depth: shallow clone/fetch. submodules: update submodules. user: run git as this user.
The remote revision is looked up with git ls-remote, so test mode tells whether a clone or an update would happen without touching the checkout.
Changes: {"revision": {"old", "new"}}, plus {"new": "URL => target"} on clone and {"remote": {...}} when the remote URL was changed.`,
		Apply: gitLatest,
	})
}

var hexRev = regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`)

// gitRemoteRev is what rev is on the remote.
type gitRemoteRev struct {
	sha    string // may be abbreviated when kind is "sha"
	kind   string // "branch", "tag" or "sha"
	branch string // the remote branch name (kind branch)
}

type gitRunner struct {
	env  *Env
	user string
}

func (g gitRunner) run(ctx context.Context, dir string, args ...string) (CommandResult, error) {
	if dir == "" {
		dir = "/"
	}
	return g.env.run(ctx, Command{Path: "git", Args: args, Dir: dir, User: g.user,
		Env: []string{"GIT_TERMINAL_PROMPT=0", "LC_ALL=C"}})
}

func (g gitRunner) ok(ctx context.Context, dir string, args ...string) (string, error) {
	res, err := g.run(ctx, dir, args...)
	if err != nil {
		return "", err
	}
	if res.Retcode != 0 {
		return "", fmt.Errorf("git %s failed with exit code %d: %s", strings.Join(args, " "), res.Retcode, res.combined())
	}
	return res.Stdout, nil
}

// resolveRemote looks rev up with git ls-remote.
func (g gitRunner) resolveRemote(ctx context.Context, url, rev string) (gitRemoteRev, error) {
	if rev == "HEAD" {
		out, err := g.ok(ctx, "", "ls-remote", "--symref", url, "HEAD")
		if err != nil {
			return gitRemoteRev{}, err
		}
		r := gitRemoteRev{kind: "branch"}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 2 || f[1] != "HEAD" {
				continue
			}
			if ref, ok := strings.CutPrefix(f[0], "ref: refs/heads/"); ok {
				r.branch = ref
			} else {
				r.sha = f[0]
			}
		}
		if r.sha == "" {
			return r, fmt.Errorf("the remote %s has no HEAD (is it empty?)", url)
		}
		if r.branch == "" {
			r.kind = "sha" // detached remote HEAD
		}
		return r, nil
	}
	out, err := g.ok(ctx, "", "ls-remote", url, "refs/heads/"+rev, "refs/tags/"+rev, "refs/tags/"+rev+"^{}")
	if err != nil {
		return gitRemoteRev{}, err
	}
	refs := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if sha, ref, ok := strings.Cut(line, "\t"); ok {
			refs[ref] = sha
		}
	}
	switch {
	case refs["refs/heads/"+rev] != "":
		return gitRemoteRev{sha: refs["refs/heads/"+rev], kind: "branch", branch: rev}, nil
	case refs["refs/tags/"+rev+"^{}"] != "":
		return gitRemoteRev{sha: refs["refs/tags/"+rev+"^{}"], kind: "tag"}, nil
	case refs["refs/tags/"+rev] != "":
		return gitRemoteRev{sha: refs["refs/tags/"+rev], kind: "tag"}, nil
	case hexRev.MatchString(rev):
		return gitRemoteRev{sha: strings.ToLower(rev), kind: "sha"}, nil
	}
	return gitRemoteRev{}, fmt.Errorf("revision %s does not exist in remote %s", rev, url)
}

// matches reports whether a full commit id is the remote revision.
func (r gitRemoteRev) matches(sha string) bool {
	if sha == "" {
		return false
	}
	if r.kind == "sha" {
		return strings.HasPrefix(sha, r.sha)
	}
	return sha == r.sha
}

// gitLatestArgs are git.latest's arguments.
type gitLatestArgs struct {
	Target     string `salt:"target,required"`
	Rev        string `salt:"rev" default:"HEAD"`
	Branch     string `salt:"branch"`
	Remote     string `salt:"remote" default:"origin"`
	ForceReset bool   `salt:"force_reset"`
	ForceClone bool   `salt:"force_clone"`
	Depth      int    `salt:"depth"`
	Submodules bool   `salt:"submodules"`
	User       string `salt:"user"`
}

// Validate checks target, rev and depth.
func (a *gitLatestArgs) Validate() error {
	if !filepath.IsAbs(a.Target) {
		return ArgErrorf("target", "must be an absolute path, got %q", a.Target)
	}
	a.Target = filepath.Clean(a.Target)
	if a.Rev == "" {
		a.Rev = "HEAD"
	}
	if strings.HasPrefix(a.Rev, "-") {
		return ArgErrorf("rev", "must not start with '-'")
	}
	if a.Depth < 0 {
		return ArgErrorf("depth", "must not be negative")
	}
	return nil
}

func gitLatest(ctx context.Context, env *Env, call Call, a *gitLatestArgs) Result {
	url := call.Name
	target, rev, localBranch, remote := a.Target, a.Rev, a.Branch, a.Remote
	forceReset, forceClone, depth, submodules, user := a.ForceReset, a.ForceClone, a.Depth, a.Submodules, a.User
	if user != "" {
		if _, err := lookupUser(user); err != nil {
			return failErr(url, call.ArgErrorf("user", "names user %q, which is not available", user))
		}
	}
	g := gitRunner{env: env, user: user}

	remoteRev, err := g.resolveRemote(ctx, url, rev)
	if err != nil {
		return fail(url, "Failed to check remote revision: %v", err)
	}
	if localBranch == "" {
		localBranch = remoteRev.branch
	}

	// What is at target?
	clone := false
	entries, err := os.ReadDir(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		clone = true
	case err != nil:
		return fail(url, "Unable to read target %s: %v", target, err)
	case len(entries) == 0:
		clone = true
	default:
		if _, err := os.Stat(filepath.Join(target, ".git")); err != nil {
			if !forceClone {
				return fail(url, "Target %s exists, is non-empty and is not a git repository. Set the 'force_clone' argument to True to remove it and clone the repository", target)
			}
			clone = true
		}
	}
	if clone {
		return gitClone(ctx, g, call, url, target, rev, remote, localBranch, remoteRev, depth, submodules, len(entries) > 0)
	}

	ret := Result{Name: url, Changes: map[string]any{}}
	head := ""
	if out, err := g.ok(ctx, target, "rev-parse", "HEAD"); err == nil {
		head = strings.TrimSpace(out)
	}
	curURL := ""
	if res, err := g.run(ctx, target, "config", "--get", "remote."+remote+".url"); err == nil {
		curURL = strings.TrimSpace(res.Stdout)
	}
	status, err := g.ok(ctx, target, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return fail(url, "Unable to read the status of %s: %v", target, err)
	}
	dirty := strings.TrimSpace(status) != ""
	upToDate := remoteRev.matches(head)
	if curURL != url {
		ret.Changes["remote"] = map[string]any{"old": curURL, "new": url}
	}
	if !upToDate {
		if dirty && !forceReset {
			return fail(url, "Repository %s has uncommitted changes; set 'force_reset' to True to discard them and update to %s", target, rev)
		}
		ret.Changes["revision"] = map[string]any{"old": head, "new": remoteRev.sha}
	} else if dirty && forceReset {
		ret.Changes["forced update"] = true
	}
	if len(ret.Changes) == 0 {
		ret.Result = True()
		ret.Comment = fmt.Sprintf("Repository %s is up-to-date", target)
		return ret
	}
	if call.Test {
		if upToDate {
			ret.Comment = fmt.Sprintf("Repository %s would be reset or have its remote changed", target)
		} else {
			ret.Comment = fmt.Sprintf("Repository %s would be updated from %s to %s", target, short(head), short(remoteRev.sha))
		}
		return ret
	}

	if curURL != url {
		verb := "set-url"
		if curURL == "" {
			verb = "add"
		}
		if _, err := g.ok(ctx, target, "remote", verb, remote, url); err != nil {
			return failErr(url, err)
		}
	}
	desired := head
	if !upToDate {
		fetch := []string{"fetch", "--tags", "--force"}
		if depth > 0 {
			fetch = append(fetch, "--depth", strconv.Itoa(depth))
		}
		fetch = append(fetch, remote, "+refs/heads/*:refs/remotes/"+remote+"/*")
		if _, err := g.ok(ctx, target, fetch...); err != nil {
			return fail(url, "Failed to fetch from %s: %v", url, err)
		}
		if remoteRev.kind == "sha" {
			if _, err := g.ok(ctx, target, "cat-file", "-e", remoteRev.sha+"^{commit}"); err != nil {
				if _, err := g.ok(ctx, target, "fetch", remote, remoteRev.sha); err != nil {
					return fail(url, "Failed to fetch revision %s: %v", rev, err)
				}
			}
		}
		out, err := g.ok(ctx, target, "rev-parse", "--verify", remoteRev.sha+"^{commit}")
		if err != nil {
			return fail(url, "Revision %s is not available after fetching: %v", rev, err)
		}
		desired = strings.TrimSpace(out)
		if head != "" && !forceReset {
			res, err := g.run(ctx, target, "merge-base", "--is-ancestor", head, desired)
			if err != nil {
				return failErr(url, err)
			}
			if res.Retcode != 0 {
				return fail(url, "Repository would be updated from %s to %s, but this is not a fast-forward merge. Set 'force_reset' to True to force this update.", short(head), short(desired))
			}
		}
	}
	var checkout []string
	if remoteRev.kind == "branch" && localBranch != "" {
		checkout = []string{"checkout", "-B", localBranch, desired}
	} else {
		checkout = []string{"checkout", "--detach", desired}
	}
	if forceReset {
		checkout = append(checkout[:1], append([]string{"-f"}, checkout[1:]...)...)
	}
	if _, err := g.ok(ctx, target, checkout...); err != nil {
		return fail(url, "Failed to check out %s: %v", rev, err)
	}
	if remoteRev.kind == "branch" && localBranch != "" {
		// Tracking is a convenience; a missing remote-tracking ref (e.g. a
		// narrow fetch) is no reason to fail.
		_, _ = g.run(ctx, target, "branch", "--set-upstream-to="+remote+"/"+remoteRev.branch, localBranch)
	}
	if forceReset {
		if _, err := g.ok(ctx, target, "reset", "--hard", desired); err != nil {
			return fail(url, "Failed to reset %s: %v", target, err)
		}
	}
	if submodules {
		if _, err := g.ok(ctx, target, "submodule", "update", "--init", "--recursive"); err != nil {
			return fail(url, "Failed to update submodules: %v", err)
		}
	}
	if out, err := g.ok(ctx, target, "rev-parse", "HEAD"); err == nil {
		newHead := strings.TrimSpace(out)
		if newHead != head {
			ret.Changes["revision"] = map[string]any{"old": head, "new": newHead}
		}
	}
	ret.Result = True()
	ret.Comment = fmt.Sprintf("Repository %s updated", target)
	if !upToDate {
		ret.Comment = fmt.Sprintf("Repository %s updated from %s to %s", target, short(head), short(desired))
	}
	return ret
}

func gitClone(ctx context.Context, g gitRunner, call Call, url, target, rev, remote, localBranch string,
	r gitRemoteRev, depth int, submodules, replace bool) Result {
	ret := Result{Name: url, Changes: map[string]any{
		"new":      url + " => " + target,
		"revision": map[string]any{"old": nil, "new": r.sha},
	}}
	if call.Test {
		ret.Comment = fmt.Sprintf("%s would be cloned to %s", url, target)
		if replace {
			ret.Comment += " (replacing the directory there, force_clone)"
		}
		return ret
	}
	if replace {
		if err := os.RemoveAll(target); err != nil {
			return fail(url, "Unable to remove %s for force_clone: %v", target, err)
		}
	}
	args := []string{"clone", "--origin", remote}
	if depth > 0 {
		args = append(args, "--depth", strconv.Itoa(depth))
		if r.kind != "sha" {
			args = append(args, "--no-single-branch")
		}
	}
	if r.kind == "tag" || (r.kind == "branch" && rev != "HEAD") {
		args = append(args, "--branch", rev)
	}
	args = append(args, "--", url, target)
	if _, err := g.ok(ctx, "/", args...); err != nil {
		return fail(url, "Clone failed: %v", err)
	}
	switch {
	case r.kind == "sha":
		if _, err := g.ok(ctx, target, "cat-file", "-e", r.sha+"^{commit}"); err != nil {
			if _, err := g.ok(ctx, target, "fetch", remote, r.sha); err != nil {
				return fail(url, "Failed to fetch revision %s: %v", r.sha, err)
			}
		}
		co := []string{"checkout", "--detach", r.sha}
		if localBranch != "" {
			co = []string{"checkout", "-B", localBranch, r.sha}
		}
		if _, err := g.ok(ctx, target, co...); err != nil {
			return fail(url, "Failed to check out %s: %v", r.sha, err)
		}
	case r.kind == "branch" && localBranch != r.branch:
		if _, err := g.ok(ctx, target, "checkout", "-B", localBranch, remote+"/"+r.branch); err != nil {
			return fail(url, "Failed to check out branch %s: %v", localBranch, err)
		}
		_, _ = g.run(ctx, target, "branch", "--set-upstream-to="+remote+"/"+r.branch, localBranch)
	}
	if submodules {
		if _, err := g.ok(ctx, target, "submodule", "update", "--init", "--recursive"); err != nil {
			return fail(url, "Failed to update submodules: %v", err)
		}
	}
	if out, err := g.ok(ctx, target, "rev-parse", "HEAD"); err == nil {
		ret.Changes["revision"] = map[string]any{"old": nil, "new": strings.TrimSpace(out)}
	}
	ret.Result = True()
	ret.Comment = fmt.Sprintf("%s cloned to %s", url, target)
	return ret
}

// short abbreviates a commit id for comments.
func short(sha string) string {
	if sha == "" {
		return "(none)"
	}
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
