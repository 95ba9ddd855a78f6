package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[cronAbsentArgs]{
		Name: "cron.absent",
		Doc: `Ensure a job is not in a user's crontab.

name: the command. user: whose crontab (default root). identifier: the job's identifier (default: the command; a job without one is matched by its command). special: remove only the @special job with that spec; without it the first matching job, timed or @special, goes.
Changes: {user: name}.`,
		Apply: cronAbsent,
	})
}

// cronAbsentArgs are cron.absent's arguments.
type cronAbsentArgs struct {
	cronCommonArgs
}

// Validate checks the user and special.
func (a *cronAbsentArgs) Validate() error { return a.cronCommonArgs.validate() }

func cronAbsent(ctx context.Context, env *Env, call Call, a *cronAbsentArgs) Result {
	name, identifier, err := cronName(call, a.Identifier)
	if err != nil {
		return failErr(call.Name, err)
	}
	tab, err := readCrontab(ctx, env, a.User)
	if err != nil {
		return fail(name, "Cron %s for user %s failed to commit with error %v", name, a.User, err)
	}
	i := -1
	if a.Special != "" {
		for k, j := range tab.jobs {
			if j.spec == a.Special && j.matches(name, identifier) {
				i = k
				break
			}
		}
	} else if i = tab.find(name, identifier, "job"); i < 0 {
		i = tab.find(name, identifier, "special")
	}
	if i < 0 {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Cron %s already absent", name)}
	}
	changes := map[string]any{a.User: name}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Cron %s is set to be removed", name)}
	}
	tab.jobs = append(tab.jobs[:i], tab.jobs[i+1:]...)
	if err := writeCrontab(ctx, env, a.User, tab); err != nil {
		return fail(name, "Cron %s for user %s failed to commit with error %v", name, a.User, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Cron %s removed from %s's crontab", name, a.User)}
}
