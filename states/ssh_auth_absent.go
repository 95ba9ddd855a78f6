package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[sshAuthArgs]{
		Name: "ssh_auth.absent",
		Doc: `Ensure an SSH public key is not in a user's authorized_keys.

name: the key, or a whole key line. user (required), config: as ssh_auth.present. source: a file (salt:// or absolute) whose keys are all removed. Every line holding the key goes; other lines are kept.
Changes: {key: "Removed"} (with source: {name: "Removed"}).`,
		Apply: sshAuthAbsent,
	})
}

func sshAuthAbsent(ctx context.Context, env *Env, call Call, a *sshAuthArgs) Result {
	name := call.Name
	u, err := lookupAuthUser(env, a.User)
	if err != nil {
		return fail(name, "Failed to remove the ssh key: %v", err)
	}
	var keys []sshKey
	changeKey := name
	if a.Source != "" {
		local, err := cacheSource(ctx, env, call, a.Source)
		if err != nil {
			return fail(name, "Failed to remove the ssh keys of %s: %v", a.Source, err)
		}
		if keys, err = keysFromFile(local, a.Source, a); err != nil {
			return failErr(name, err)
		}
	} else {
		k, err := keyFromName(name, a)
		if err != nil {
			return failErr(name, err)
		}
		keys, changeKey = []sshKey{k}, k.key
	}
	path, err := authorizedKeysPath(a.Config, u)
	if err != nil {
		return failErr(name, err)
	}
	f, err := readAuthFile(path)
	if err != nil {
		return failErr(name, err)
	}
	removed := 0
	for _, k := range keys {
		if f.find(k.key) != nil {
			f.remove(k.key)
			removed++
		}
	}
	if removed == 0 {
		if call.Test {
			return Result{Name: name, Result: True(), Comment: "Key is already absent"}
		}
		return Result{Name: name, Result: True(), Comment: "Key not present"}
	}
	changes := map[string]any{changeKey: "Removed"}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Key %s for user %s is set for removal", changeKey, a.User)}
	}
	if err := f.write(u); err != nil {
		return fail(name, "Key not removed: %s: %v", path, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: "Key removed"}
}
