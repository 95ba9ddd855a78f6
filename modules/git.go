package modules

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The git module: git working copies, as Salt's salt.modules.git. Every
// function runs the host's git (as user, when given) and raises an error
// carrying git's message when git fails, unless ignore_retcode=True.

const gitCommonDoc = ` user runs git as that user; identity is an SSH private key for remote access; git_opts are options placed before the git subcommand; ignore_retcode returns git's output even when it fails; password, saltenv and output_encoding are accepted.`

func init() {
	Register("git.clone", `Clone url into cwd (or, with name, into cwd/name) and return true. Arguments: cwd (absolute), url, name, opts (extra git clone options, a string or a list), git_opts, user, password, identity, https_user, https_pass (HTTPS basic-auth credentials put into the URL), ignore_retcode, saltenv, output_encoding.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.clone /srv/app https://github.com/example/app.git opts='--depth 1'`, gitClone,
		SecretArgs(6, 9), SecretKwargs("password", "https_pass"))
	Register("git.checkout", `Check out rev in the working copy cwd (force=True discards local changes; opts may hold -b/-B to create a branch, rev then optional) and return git's output.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.checkout /srv/app rev=v1.2 user=webuser`, gitCheckout, SecretArgs(6), SecretKwargs("password"))
	Register("git.pull", `Run git pull (with opts) in the working copy cwd and return its output.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.pull /srv/app opts='--rebase'`, gitPull, SecretArgs(4), SecretKwargs("password"))
	Register("git.fetch", `Run git fetch in the working copy cwd (remote, force, refspecs: a string or a list, opts) and return what changed, as Salt does: a mapping with "new branches" and "new tags" (lists), "updated branches" ({ref: {old, new}}) and "updated tags"; empty when nothing changed.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.fetch /srv/app remote=origin`, gitFetch, SecretArgs(7), SecretKwargs("password"))
	Register("git.rev_parse", `Run git rev-parse (rev, opts) in cwd and return its output, e.g. the commit id of rev.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.rev_parse /srv/app rev=HEAD opts='--abbrev-ref'`, gitRevParse, SecretArgs(5), SecretKwargs("password"))
	Register("git.revision", `Return the commit id rev (default HEAD) points to in cwd; short=True for the abbreviated id.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.revision /srv/app`, gitRevision, SecretArgs(4), SecretKwargs("password"))
	Register("git.current_branch", `Return the branch checked out in cwd ("HEAD" when detached).`+gitCommonDoc+`

CLI Example:

    ctl '*' git.current_branch /srv/app`, gitCurrentBranch, SecretArgs(2), SecretKwargs("password"))
	Register("git.init", `Create a git repository at cwd (bare=True for a bare one; template, separate_git_dir, shared and opts are passed to git init) and return git's output.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.init /srv/repo.git bare=True`, gitInit, SecretArgs(8), SecretKwargs("password"))
	Register("git.config_get", `Return the value of the git config key (of the repository cwd, or with global=True of user's global config): a string, or with all=True the list of all its values; null when it is not set.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.config_get user.email cwd=/srv/app`, gitConfigGet, SecretArgs(3), SecretKwargs("password"))
	Register("git.config_set", `Set the git config key (of the repository cwd, or with global=True of user's global config) to value, or to the several values of multivar (a list, replacing all existing ones); add=True adds value as one more. Returns the key's values afterwards, a list.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.config_set user.email me@example.com cwd=/srv/app`, gitConfigSet, SecretArgs(5), SecretKwargs("password"))
	Register("git.config_unset", `Unset the git config key (of the repository cwd, or with global=True of user's global config); value_regex unsets only the matching values, all=True every value of a multivar. Returns true; a key that is not set is an error.`+gitCommonDoc+`

CLI Example:

    ctl '*' git.config_unset user.email cwd=/srv/app`, gitConfigUnset, SecretArgs(4), SecretKwargs("password"))
}

// gitEnv is what every git function shares.
type gitEnv struct {
	fun           string
	user          string
	identity      string
	gitOpts       []string
	ignoreRetcode bool
	secret        bool
}

// readGitEnv reads user (at position userPos), identity (identityPos, -1:
// none), git_opts (gitOptsPos, -1: none) and ignore_retcode.
func readGitEnv(fun string, c Call, userPos, identityPos, gitOptsPos, ignorePos int) (gitEnv, error) {
	g := gitEnv{fun: fun}
	var err error
	if g.user, err = c.String(userPos, "user", ptr("")); err != nil {
		return g, err
	}
	if identityPos >= 0 || c.Has(-1, "identity") {
		if g.identity, err = c.String(identityPos, "identity", ptr("")); err != nil {
			return g, err
		}
		if g.identity != "" {
			g.identity = expandUser(g.identity)
			if !filepath.IsAbs(g.identity) {
				return g, badArg("identity must be an absolute path to an SSH private key, got %q", g.identity)
			}
			if _, err := os.Stat(g.identity); err != nil {
				return g, execErr("identity %s: %v", g.identity, osErr(err).Message)
			}
		}
	}
	if gitOptsPos >= 0 || c.Has(-1, "git_opts") {
		if g.gitOpts, err = optsArg(c, gitOptsPos, "git_opts"); err != nil {
			return g, err
		}
	}
	if g.ignoreRetcode, err = c.Bool(ignorePos, "ignore_retcode", ptr(false)); err != nil {
		return g, err
	}
	return g, nil
}

// run runs git with args in cwd; the output is stdout (with stderr
// interleaved when combined).
func (g gitEnv) run(ctx context.Context, env *Env, cwd string, args []string, combined bool) (string, error) {
	p := prog{fun: g.fun, path: "git", args: append(append([]string{}, g.gitOpts...), args...), cwd: cwd,
		runas: g.user, secret: g.secret, combined: combined}
	if g.identity != "" {
		p.env = append(p.env, "GIT_SSH_COMMAND=ssh -i '"+strings.ReplaceAll(g.identity, "'", `'\''`)+"' -o IdentitiesOnly=yes -o BatchMode=yes")
	}
	p.env = append(p.env, "GIT_TERMINAL_PROMPT=0")
	var res progResult
	var err error
	if g.ignoreRetcode {
		res, err = run(ctx, env, p)
	} else {
		res, err = runOK(ctx, env, p)
	}
	if err != nil {
		return "", err
	}
	return res.stdout, nil
}

// gitCwd reads the cwd argument: an absolute path (~ expanded).
func gitCwd(c Call, i int, required bool) (string, error) {
	if !required && !c.Has(i, "cwd") {
		return "", nil
	}
	cwd, err := absArg(c, i, "cwd")
	if err != nil {
		return "", err
	}
	return cwd, nil
}

func gitClone(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	rawURL, err := c.String(1, "url", nil)
	if err != nil {
		return nil, err
	}
	name, err := c.String(2, "name", ptr(""))
	if err != nil {
		return nil, err
	}
	opts, err := optsArg(c, 3, "opts")
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.clone", c, 5, 7, 4, 10)
	if err != nil {
		return nil, err
	}
	httpsUser, err := c.String(8, "https_user", ptr(""))
	if err != nil {
		return nil, err
	}
	httpsPass, err := c.String(9, "https_pass", ptr(""))
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err == nil && u.User != nil {
		g.secret = true // credentials in the URL stay out of the log
	}
	if httpsUser != "" || httpsPass != "" {
		if err != nil || u.Scheme != "https" {
			return nil, badArg("https_user and https_pass need an https:// url")
		}
		if httpsPass != "" {
			u.User = url.UserPassword(httpsUser, httpsPass)
		} else {
			u.User = url.User(httpsUser)
		}
		rawURL = u.String()
		g.secret = true
	}
	args := append(append([]string{"clone"}, opts...), "--", rawURL)
	runCwd := os.TempDir()
	if name != "" {
		args = append(args, name)
		if err := os.MkdirAll(cwd, 0o755); err != nil {
			return nil, osErr(err)
		}
		runCwd = cwd
	} else {
		args = append(args, cwd)
	}
	if _, err := g.run(ctx, env, runCwd, args, false); err != nil {
		return nil, err
	}
	return true, nil
}

func gitCheckout(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	rev, err := c.String(1, "rev", ptr(""))
	if err != nil {
		return nil, err
	}
	force, err := c.Bool(2, "force", ptr(false))
	if err != nil {
		return nil, err
	}
	opts, err := optsArg(c, 3, "opts")
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.checkout", c, 5, -1, 4, 7)
	if err != nil {
		return nil, err
	}
	args := []string{"checkout"}
	if force {
		args = append(args, "--force")
	}
	args = append(args, opts...)
	if rev == "" {
		branch := false
		for _, o := range opts {
			branch = branch || o == "-b" || o == "-B"
		}
		if !branch {
			return nil, badArg("'rev' argument is required unless -b or -B in opts")
		}
	} else {
		args = append(args, rev)
	}
	return g.run(ctx, env, cwd, args, true)
}

func gitPull(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	opts, err := optsArg(c, 1, "opts")
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.pull", c, 3, 5, 2, 6)
	if err != nil {
		return nil, err
	}
	return g.run(ctx, env, cwd, append([]string{"pull"}, opts...), false)
}

// fetchRe is Salt's: a ref line of git fetch's report.
var fetchRe = regexp.MustCompile(`^[\s*]*(?:([0-9a-f]+)\.\.\.?([0-9a-f]+)|\[(?:new (tag|branch)|tag update)\])\s+(.+)->`)

func gitFetch(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	remote, err := c.String(1, "remote", ptr(""))
	if err != nil {
		return nil, err
	}
	force, err := c.Bool(2, "force", ptr(false))
	if err != nil {
		return nil, err
	}
	refspecs, err := optsArg(c, 3, "refspecs")
	if err != nil {
		return nil, err
	}
	opts, err := optsArg(c, 4, "opts")
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.fetch", c, 6, 8, 5, 9)
	if err != nil {
		return nil, err
	}
	args := []string{"fetch"}
	if force {
		args = append(args, "--force")
	}
	args = append(args, opts...)
	if remote != "" {
		args = append(args, remote)
	}
	if len(refspecs) > 0 {
		if remote == "" {
			return nil, badArg("refspecs need a remote")
		}
		args = append(args, refspecs...)
	}
	out, err := g.run(ctx, env, cwd, args, true)
	if err != nil {
		return nil, err
	}
	ret := map[string]any{}
	for _, line := range strings.Split(out, "\n") {
		m := fetchRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ref := strings.TrimSpace(m[4])
		switch {
		case m[3] != "":
			key := map[bool]string{true: "new tags", false: "new branches"}[m[3] == "tag"]
			l, _ := ret[key].([]any)
			ret[key] = append(l, ref)
		case m[1] != "":
			u, _ := ret["updated branches"].(map[string]any)
			if u == nil {
				u = map[string]any{}
				ret["updated branches"] = u
			}
			u[ref] = map[string]any{"old": m[1], "new": m[2]}
		default:
			l, _ := ret["updated tags"].([]any)
			ret["updated tags"] = append(l, ref)
		}
	}
	return ret, nil
}

func gitRevParse(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	rev, err := c.String(1, "rev", ptr(""))
	if err != nil {
		return nil, err
	}
	opts, err := optsArg(c, 2, "opts")
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.rev_parse", c, 4, -1, 3, 6)
	if err != nil {
		return nil, err
	}
	args := append([]string{"rev-parse"}, opts...)
	if rev != "" {
		args = append(args, rev)
	}
	return g.run(ctx, env, cwd, args, false)
}

func gitRevision(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	rev, err := c.String(1, "rev", ptr("HEAD"))
	if err != nil {
		return nil, err
	}
	short, err := c.Bool(2, "short", ptr(false))
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.revision", c, 3, -1, -1, 5)
	if err != nil {
		return nil, err
	}
	args := []string{"rev-parse"}
	if short {
		args = append(args, "--short")
	}
	return g.run(ctx, env, cwd, append(args, rev), false)
}

func gitCurrentBranch(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.current_branch", c, 1, -1, -1, 3)
	if err != nil {
		return nil, err
	}
	return g.run(ctx, env, cwd, []string{"rev-parse", "--abbrev-ref", "HEAD"}, false)
}

func gitInit(ctx context.Context, env *Env, c Call) (any, error) {
	cwd, err := gitCwd(c, 0, true)
	if err != nil {
		return nil, err
	}
	bare, err := c.Bool(1, "bare", ptr(false))
	if err != nil {
		return nil, err
	}
	args := []string{"init"}
	if bare {
		args = append(args, "--bare")
	}
	for i, n := range []string{"template", "separate_git_dir", "shared"} {
		v, err := c.String(2+i, n, ptr(""))
		if err != nil {
			return nil, err
		}
		if v != "" {
			args = append(args, "--"+strings.ReplaceAll(n, "_", "-")+"="+v)
		}
	}
	opts, err := optsArg(c, 5, "opts")
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.init", c, 7, -1, 6, 9)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return nil, osErr(err)
	}
	return g.run(ctx, env, cwd, append(append(args, opts...), cwd), false)
}

// gitConfigScope reads global= and cwd, returning git config's scope
// arguments and the directory to run in.
func gitConfigScope(c Call, cwdPos int) ([]string, string, error) {
	global, err := c.Bool(-1, "global", ptr(false))
	if err != nil {
		return nil, "", err
	}
	cwd, err := gitCwd(c, cwdPos, false)
	if err != nil {
		return nil, "", err
	}
	if global {
		return []string{"--global"}, cwd, nil
	}
	if cwd == "" {
		return nil, "", badArg("'cwd' argument required unless global=True")
	}
	return []string{"--local"}, cwd, nil
}

// configValues returns key's values ([] when unset).
func (g gitEnv) configValues(ctx context.Context, env *Env, cwd string, scope []string, key string) ([]any, error) {
	p := prog{fun: g.fun, path: "git", args: append(append(append([]string{}, g.gitOpts...), "config"), append(scope, "--get-all", key)...),
		cwd: cwd, runas: g.user}
	res, err := run(ctx, env, p)
	if err != nil {
		return nil, err
	}
	switch res.retcode {
	case 0:
	case 1:
		return []any{}, nil // not set
	default:
		return nil, execErr("%s: %s failed with exit code %d: %s", g.fun, p.cmdline(), res.retcode, res.combined())
	}
	out := []any{}
	for _, v := range strings.Split(res.stdout, "\n") {
		out = append(out, v)
	}
	return out, nil
}

func gitConfigGet(ctx context.Context, env *Env, c Call) (any, error) {
	key, err := c.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	scope, cwd, err := gitConfigScope(c, 1)
	if err != nil {
		return nil, err
	}
	all, err := c.Bool(-1, "all", ptr(false))
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.config_get", c, 2, -1, -1, -1)
	if err != nil {
		return nil, err
	}
	vals, err := g.configValues(ctx, env, cwd, scope, key)
	if err != nil {
		return nil, err
	}
	switch {
	case len(vals) == 0:
		return nil, nil
	case all:
		return vals, nil
	}
	return vals[len(vals)-1], nil
}

func gitConfigSet(ctx context.Context, env *Env, c Call) (any, error) {
	key, err := c.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	value, err := c.String(1, "value", ptr(""))
	if err != nil {
		return nil, err
	}
	hasValue := c.Has(1, "value") && value != ""
	multivar, err := optsArgList(c, 2, "multivar")
	if err != nil {
		return nil, err
	}
	scope, cwd, err := gitConfigScope(c, 3)
	if err != nil {
		return nil, err
	}
	add, err := c.Bool(-1, "add", ptr(false))
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.config_set", c, 4, -1, -1, 6)
	if err != nil {
		return nil, err
	}
	if hasValue == (multivar != nil) {
		return nil, badArg("exactly one of value and multivar is required")
	}
	if add && multivar != nil {
		return nil, badArg("add=True cannot be used with multivar")
	}
	base := append([]string{"config"}, scope...)
	switch {
	case add:
		if _, err := g.run(ctx, env, cwd, append(append(base, "--add"), key, value), false); err != nil {
			return nil, err
		}
	case hasValue:
		if _, err := g.run(ctx, env, cwd, append(append(base, "--replace-all"), key, value), false); err != nil {
			return nil, err
		}
	default:
		for i, v := range multivar {
			verb := "--add"
			if i == 0 {
				verb = "--replace-all"
			}
			if _, err := g.run(ctx, env, cwd, append(append(base, verb), key, v), false); err != nil {
				return nil, err
			}
		}
	}
	return g.configValues(ctx, env, cwd, scope, key)
}

// optsArgList reads a list argument (nil when not given).
func optsArgList(c Call, i int, name string) ([]string, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		return nil, nil
	}
	if _, isList := v.([]any); !isList {
		return nil, wrongType(name, "a list", v)
	}
	l, err := optsArg(c, i, name)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, badArg("argument '%s' must not be empty", name)
	}
	return l, nil
}

func gitConfigUnset(ctx context.Context, env *Env, c Call) (any, error) {
	key, err := c.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	valueRegex, err := c.String(1, "value_regex", ptr(""))
	if err != nil {
		return nil, err
	}
	scope, cwd, err := gitConfigScope(c, 2)
	if err != nil {
		return nil, err
	}
	all, err := c.Bool(-1, "all", ptr(false))
	if err != nil {
		return nil, err
	}
	g, err := readGitEnv("git.config_unset", c, 3, -1, -1, 5)
	if err != nil {
		return nil, err
	}
	verb := "--unset"
	if all {
		verb = "--unset-all"
	}
	args := append(append(append([]string{"config"}, scope...), verb), key)
	if valueRegex != "" {
		args = append(args, valueRegex)
	}
	if _, err := g.run(ctx, env, cwd, args, false); err != nil {
		return nil, err
	}
	return true, nil
}
