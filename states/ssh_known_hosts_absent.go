package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[knownHostsArgs]{
		Name: "ssh_known_hosts.absent",
		Doc: `Ensure a host has no entries in a known_hosts file.

name: the host name or address (hashed entries are found too, with ssh-keygen -F). port: a port other than 22. user and config: the file, as in ssh_known_hosts.present.
Changes: {"old": the entries removed, "new": None}.`,
		Apply: knownHostsAbsent,
	})
}

func knownHostsAbsent(ctx context.Context, env *Env, call Call, a *knownHostsArgs) Result {
	name := call.Name
	file, u, err := knownHostsFile(env, a)
	if err != nil {
		return failErr(name, err)
	}
	stored, err := findKnownHosts(ctx, env, file, sshHostname(name, a.Port), "")
	if err != nil {
		return failErr(name, err)
	}
	if len(stored) == 0 {
		return Result{Name: name, Result: True(), Comment: "Host is already absent"}
	}
	changes := map[string]any{"old": entriesAny(stored), "new": nil}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Key for %s is set to be removed from %s", name, file)}
	}
	drop := map[int]bool{}
	for _, e := range stored {
		drop[e.line] = true
	}
	if err := editKnownHosts(file, u, drop, nil); err != nil {
		return fail(name, "Couldn't remove %s from known hosts file %s: %v", name, file, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Host %s removed from %s", name, file)}
}
