package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[noArgs]{
		Name: "group.absent",
		Doc: `Ensure a local group does not exist (groupdel).

Changes: {name: ""}.`,
		Apply: groupAbsent,
	})
}

func groupAbsent(ctx context.Context, env *Env, call Call, _ *noArgs) Result {
	name := call.Name
	cur, err := lookupGroupEntry(name)
	if err != nil {
		return fail(name, "Unable to read %s: %v", groupPath, err)
	}
	if cur == nil {
		return Result{Name: name, Result: True(), Comment: "Group not present"}
	}
	changes := map[string]any{name: ""}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Group %s is set for removal", name)}
	}
	if _, err := env.runOK(ctx, Command{Path: "groupdel", Args: []string{name}}); err != nil {
		return fail(name, "Failed to remove group %s: %v", name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Removed group %s", name)}
}
