package states

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

func init() {
	RegisterTyped(Typed[gitConfigUnsetArgs]{
		Name: "git.config_unset",
		Doc: `Ensure a git configuration key (or the keys a regular expression matches) is not set, with the real git.

name: the key, or a regular expression anchored at both ends (^ and $ are added). value_regex: unset only the values matching it. all: True unsets every value of a multivar; without it a key with several matching values fails, as in Salt. repo or global: True, and user, as in git.config_set.
Changes: {key: [values unset]}.`,
		Apply: gitConfigUnset,
	})
}

// gitConfigUnsetArgs are git.config_unset's arguments.
type gitConfigUnsetArgs struct {
	gitConfigArgs
	ValueRegex string `salt:"value_regex"`
	All        bool   `salt:"all"`
}

// Validate checks the repository.
func (a *gitConfigUnsetArgs) Validate() error { return a.gitConfigArgs.validate() }

func gitConfigUnset(ctx context.Context, env *Env, call Call, a *gitConfigUnsetArgs) Result {
	name := call.Name
	c := newGitConfig(env, &a.gitConfigArgs)
	keyRE := "^" + strings.TrimSuffix(strings.TrimPrefix(name, "^"), "$") + "$"
	pre, order, err := c.getRegexp(ctx, keyRE, a.ValueRegex)
	if err != nil {
		return failErr(name, err)
	}
	if len(pre) == 0 {
		return Result{Name: name, Result: True(), Comment: "No matching keys are set"}
	}
	if !a.All {
		var greedy []string
		for _, k := range order {
			if len(pre[k]) > 1 {
				greedy = append(greedy, fmt.Sprintf("%s (%s)", k, strings.Join(pre[k], ", ")))
			}
		}
		if len(greedy) > 0 {
			if a.ValueRegex != "" {
				return fail(name, "Multiple values are matched by value_regex for the following keys (set 'all' to True to force removal): %s", strings.Join(greedy, "; "))
			}
			return fail(name, "Multivar(s) matched by the key expression (set 'all' to True to force removal): %s", strings.Join(greedy, "; "))
		}
	}
	changes := map[string]any{}
	for _, k := range order {
		changes[k] = valuesAny(pre[k])
	}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("%d key(s) would have value(s) unset", len(pre))}
	}
	var failed []string
	for _, k := range order {
		op := "--unset"
		if a.All {
			op = "--unset-all"
		}
		args := []string{op, k}
		if a.ValueRegex != "" {
			args = append(args, a.ValueRegex)
		}
		res, err := c.run(ctx, args...)
		if err == nil && res.Retcode != 0 {
			err = fmt.Errorf("git config %s %s failed with exit code %d: %s", op, k, res.Retcode, res.combined())
		}
		if err != nil {
			env.logger().ErrorContext(ctx, "git.config_unset: failed to unset", "key", k, "err", err)
			failed = append(failed, fmt.Sprintf("%s (%v)", k, err))
		}
	}
	post, _, err := c.getRegexp(ctx, keyRE, a.ValueRegex)
	if err != nil {
		return failErr(name, err)
	}
	ret := Result{Name: name, Changes: map[string]any{}}
	for _, k := range order {
		var unset []string
		for _, v := range pre[k] {
			if !containsString(post[k], v) {
				unset = append(unset, v)
			}
		}
		if unset != nil {
			ret.Changes[k] = valuesAny(unset)
		}
	}
	if len(failed) > 0 {
		ret.Result, ret.Comment = False(), "Error(s) occurred unsetting values for the following keys: "+strings.Join(failed, "; ")
		return ret
	}
	if len(post) > 0 {
		var left []string
		for _, k := range sortedKeys(post) {
			left = append(left, fmt.Sprintf("%s (%s)", k, strings.Join(post[k], ", ")))
		}
		sort.Strings(left)
		ret.Result, ret.Comment = False(), "Failed to unset value(s): "+strings.Join(left, "; ")
		return ret
	}
	ret.Result, ret.Comment = True(), "Value(s) successfully unset"
	return ret
}
