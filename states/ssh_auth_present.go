package states

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	RegisterTyped(Typed[sshAuthArgs]{
		Name: "ssh_auth.present",
		Doc: `Ensure an SSH public key is in a user's authorized_keys.

name: the key, or a whole key line ("[options] ssh-ed25519 AAAA... comment") whose parts override enc, options and comment. user (required): whose file; the home directory comes from the passwd file. enc: the key type (default ssh-rsa; rsa, dsa, ecdsa, ed25519 and the OpenSSH names). comment, options (a list, e.g. ['no-agent-forwarding', 'command="/bin/true"']). config: the file, relative to the home (default .ssh/authorized_keys) or absolute, with sshd's %u, %h and %% tokens. source: a file (salt:// or absolute) of key lines, each added (lines without options take the options argument). A key already present with other type, options or comment has its line replaced; other lines are kept. A new file is 0600 and a new .ssh 0700, owned by the user.
Changes: {key: "New"} or {key: "Updated"} (with source: {name: ...}).`,
		Apply: sshAuthPresent,
	})
}

func sshAuthPresent(ctx context.Context, env *Env, call Call, a *sshAuthArgs) Result {
	name := call.Name
	u, err := lookupAuthUser(env, a.User)
	if err != nil {
		return fail(name, "Failed to add the ssh key: %v", err)
	}
	var keys []sshKey
	changeKey := name
	if a.Source != "" {
		local, err := cacheSource(ctx, env, call, a.Source)
		if err != nil {
			return fail(name, "Failed to add the ssh key. Source file %s is missing: %v", a.Source, err)
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
	status := "no change"
	var notes []string
	for _, k := range keys {
		cur := f.find(k.key)
		switch {
		case cur == nil:
			notes = append(notes, fmt.Sprintf("Set to add: %s", k.key))
			if status == "no change" {
				status = "new"
			}
		case cur.line() != k.line():
			notes = append(notes, fmt.Sprintf("Set to update: %s", k.key))
			status = "replace"
		default:
			continue
		}
		f.set(k)
	}
	shown := changeKey
	if a.Source == "" {
		shown = keys[0].key
	}
	if status == "no change" {
		if a.Source != "" {
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("All host keys in file %s are already present", a.Source)}
		}
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("The authorized host key %s is already present for user %s", shown, a.User)}
	}
	word := map[string]string{"new": "New", "replace": "Updated"}[status]
	changes := map[string]any{changeKey: word}
	if call.Test {
		comment := fmt.Sprintf("Key %s for user %s is set to be %s", shown, a.User, map[string]string{"new": "added", "replace": "updated"}[status])
		if a.Source != "" {
			comment = strings.Join(notes, "\n")
		}
		return Result{Name: name, Changes: changes, Comment: comment}
	}
	if err := f.write(u); err != nil {
		return fail(name, "Failed to add the ssh key to %s: %v", path, err)
	}
	verb := map[string]string{"new": "added", "replace": "updated"}[status]
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("The authorized host key %s for user %s was %s", shown, a.User, verb)}
}
