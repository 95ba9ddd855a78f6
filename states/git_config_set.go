package states

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/brine-cm/brine/internal/coerce"
	"strings"
)

func init() {
	RegisterTyped(Typed[gitConfigSetArgs]{
		Name: "git.config_set",
		Doc: `Ensure a git configuration key has a value, or a list of values (a multivar), with the real git.

name: the key (user.email). value: its value; or multivar: a list (or a comma-separated string) of values, replacing all of the key's values in order. repo: the repository (relative paths are under user's home) whose local configuration is set; global: True sets the user's global configuration (~/.gitconfig) instead. user: run git as this user (its HOME is used for global).
Changes: {name: {"old": values before (None when unset), "new": values after}}.`,
		Apply: gitConfigSet,
	})
}

// gitConfigArgs are the arguments git.config_set and git.config_unset
// share.
type gitConfigArgs struct {
	Repo   string `salt:"repo"`
	User   string `salt:"user"`
	Global bool   `salt:"global"`
	// password and output_encoding are Windows-only in Salt.
	Password       string `salt:"password"`
	OutputEncoding string `salt:"output_encoding"`
}

// gitConfigSetArgs are git.config_set's arguments.
type gitConfigSetArgs struct {
	gitConfigArgs
	Value    *string  `salt:"value"`
	Multivar multivar `salt:"multivar"`
}

// multivar is a list of values, or a comma-separated string of them.
type multivar []string

// DecodeArg implements ArgDecoder.
func (m *multivar) DecodeArg(v any) error {
	if s, ok := v.(string); ok {
		*m = strings.Split(s, ",")
		return nil
	}
	l, bad, ok := coerce.StringList(v)
	if !ok {
		return wrongArg("a list of values or a comma-separated string", bad)
	}
	*m = l
	return nil
}

// Validate checks value against multivar and the repository.
func (a *gitConfigSetArgs) Validate() error {
	if a.Value != nil && a.Multivar != nil {
		return ArgErrorf("multivar", "cannot be given with 'value': only one of 'value' and 'multivar' is permitted")
	}
	if a.Value == nil && a.Multivar == nil {
		return ArgErrorf("value", "is required (or 'multivar')")
	}
	return a.gitConfigArgs.validate()
}

func (a *gitConfigArgs) validate() error {
	if !a.Global && a.Repo == "" {
		return ArgErrorf("repo", "is required: non-global config options require the 'repo' argument to be set")
	}
	return nil
}

// gitConfig runs git config for a repository or the global file.
type gitConfig struct {
	g      gitRunner
	dir    string
	global bool
}

func newGitConfig(env *Env, a *gitConfigArgs) gitConfig {
	c := gitConfig{g: gitRunner{env: env, user: a.User}, global: a.Global}
	if a.Repo != "" {
		c.dir = a.Repo
		if !filepath.IsAbs(c.dir) {
			c.dir = filepath.Join(homeDir(a.User), strings.TrimPrefix(c.dir, "~/"))
		}
	}
	return c
}

// run runs git config with scope first and args.
func (c gitConfig) run(ctx context.Context, args ...string) (CommandResult, error) {
	scope := "--local"
	if c.global {
		scope = "--global"
	}
	return c.g.run(ctx, c.dir, append([]string{"config", scope}, args...)...)
}

// get is every value of key (nil when unset: git exits 1).
func (c gitConfig) get(ctx context.Context, key string) ([]string, error) {
	res, err := c.run(ctx, "--get-all", key)
	if err != nil {
		return nil, err
	}
	switch res.Retcode {
	case 0:
		return strings.Split(res.Stdout, "\n"), nil
	case 1:
		return nil, nil
	}
	return nil, fmt.Errorf("git config --get-all %s failed with exit code %d: %s", key, res.Retcode, res.combined())
}

// getRegexp maps the keys matching keyRE (values matching valueRE, when
// given) to their values, keys in git's order.
func (c gitConfig) getRegexp(ctx context.Context, keyRE, valueRE string) (map[string][]string, []string, error) {
	args := []string{"--get-regexp", keyRE}
	if valueRE != "" {
		args = append(args, valueRE)
	}
	res, err := c.run(ctx, args...)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]string{}
	var order []string
	switch res.Retcode {
	case 0:
	case 1:
		return out, nil, nil
	default:
		return nil, nil, fmt.Errorf("git config --get-regexp %s failed with exit code %d: %s", keyRE, res.Retcode, res.combined())
	}
	for _, l := range strings.Split(res.Stdout, "\n") {
		if l == "" {
			continue
		}
		k, v, _ := strings.Cut(l, " ")
		if _, seen := out[k]; !seen {
			order = append(order, k)
		}
		out[k] = append(out[k], v)
	}
	return out, order, nil
}

// pyList prints values as Python prints a list of strings.
func pyList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// valuesAny is a list of values for changes, nil as None.
func valuesAny(l []string) any {
	if l == nil {
		return nil
	}
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func gitConfigSet(ctx context.Context, env *Env, call Call, a *gitConfigSetArgs) Result {
	name := call.Name
	desired, valueComment := []string(a.Multivar), pyList(a.Multivar)
	if a.Value != nil {
		desired, valueComment = []string{*a.Value}, "'"+*a.Value+"'"
	}
	scope, scopeLower := "", ""
	if a.Global {
		scope, scopeLower = "Global key ", "global key "
	}
	c := newGitConfig(env, &a.gitConfigArgs)
	pre, err := c.get(ctx, name)
	if err != nil {
		return fail(name, "Failed to set %s'%s' to %s: %v", scopeLower, name, valueComment, err)
	}
	if sameList(pre, desired) {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("%s'%s' is already set to %s", scope, name, valueComment)}
	}
	verb := "set to"
	if pre == nil {
		verb = "added as"
	}
	if call.Test {
		return Result{Name: name, Changes: map[string]any{name: map[string]any{"old": valuesAny(pre), "new": valuesAny(desired)}},
			Comment: fmt.Sprintf("%s'%s' would be %s %s", scope, name, verb, valueComment)}
	}
	for i, v := range desired {
		op := "--add"
		if i == 0 {
			op = "--replace-all"
		}
		res, err := c.run(ctx, op, name, v)
		if err == nil && res.Retcode != 0 {
			err = fmt.Errorf("git config %s %s failed with exit code %d: %s", op, name, res.Retcode, res.combined())
		}
		if err != nil {
			return fail(name, "Failed to set %s'%s' to %s: %v", scopeLower, name, valueComment, err)
		}
	}
	post, err := c.get(ctx, name)
	if err != nil {
		return fail(name, "Failed to set %s'%s' to %s: %v", scopeLower, name, valueComment, err)
	}
	ret := Result{Name: name, Changes: map[string]any{}}
	if !sameList(pre, post) {
		ret.Changes[name] = map[string]any{"old": valuesAny(pre), "new": valuesAny(post)}
	}
	if !sameList(post, desired) {
		ret.Result, ret.Comment = False(), fmt.Sprintf("Failed to set %s'%s' to %s: git config now gives %s", scopeLower, name, valueComment, pyList(post))
		return ret
	}
	ret.Result, ret.Comment = True(), fmt.Sprintf("%s'%s' was %s %s", scope, name, verb, valueComment)
	return ret
}

// sameList reports whether two lists are equal in order (nil and empty
// differ: an unset key is not an empty one).
func sameList(a, b []string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
