package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[userAbsentArgs]{
		Name: "user.absent",
		Doc: `Ensure a local user does not exist (userdel).

purge: also remove its home directory and mail spool (userdel -r). force: remove it even while logged in (userdel -f).
Changes: {name: "removed"}.`,
		Apply: userAbsent,
	})
}

// userAbsentArgs are user.absent's arguments.
type userAbsentArgs struct {
	Purge bool `salt:"purge"`
	Force bool `salt:"force"`
}

func userAbsent(ctx context.Context, env *Env, call Call, a *userAbsentArgs) Result {
	name := call.Name
	purge, force := a.Purge, a.Force
	cur, err := lookupPasswd(name)
	if err != nil {
		return fail(name, "Unable to read %s: %v", passwdPath, err)
	}
	if cur == nil {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("User %s is not present", name)}
	}
	changes := map[string]any{name: "removed"}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("User %s set for removal", name)}
	}
	var args []string
	if purge {
		args = append(args, "-r")
	}
	if force {
		args = append(args, "-f")
	}
	res, err := env.run(ctx, Command{Path: "userdel", Args: append(args, name)})
	// userdel -r exits 12 when only the home or mail spool could not be
	// removed (e.g. it did not exist); the user is gone all the same.
	if err != nil || (res.Retcode != 0 && !(purge && res.Retcode == 12)) {
		if err == nil {
			err = fmt.Errorf("userdel exited %d: %s", res.Retcode, res.combined())
		}
		return fail(name, "Failed to remove user %s: %v", name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Removed user %s", name)}
}
