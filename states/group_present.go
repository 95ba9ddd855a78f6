package states

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

func init() {
	RegisterTyped(Typed[groupPresentArgs]{
		Name: "group.present",
		Doc: `Ensure a local group exists (groupadd, groupmod, gpasswd; compared with /etc/group).

name: the group. gid. system: a system group (on creation). members: the exact member list; or addusers / delusers: users to add or remove.
Changes: {"name", "gid", "members", "passwd"} on creation, else {"gid", "members"} that changed.`,
		Apply: groupPresent,
	})
}

// groupPresentArgs are group.present's arguments.
type groupPresentArgs struct {
	GID      *int     `salt:"gid"`
	System   bool     `salt:"system"`
	Members  []string `salt:"members"` // nil: not given
	AddUsers []string `salt:"addusers"`
	DelUsers []string `salt:"delusers"`
}

// Validate checks gid and the member arguments against each other.
func (a *groupPresentArgs) Validate() error {
	if a.GID != nil && *a.GID < 0 {
		return ArgErrorf("gid", "must not be negative")
	}
	if a.Members != nil && (len(a.AddUsers) > 0 || len(a.DelUsers) > 0) {
		return ArgErrorf("members", "cannot be combined with 'addusers' or 'delusers'")
	}
	for _, u := range a.AddUsers {
		if containsString(a.DelUsers, u) {
			return ArgErrorf("addusers", "and 'delusers' both name %s", u)
		}
	}
	return nil
}

func groupPresent(ctx context.Context, env *Env, call Call, a *groupPresentArgs) Result {
	name := call.Name
	if strings.ContainsAny(name, ": \t\n/,") || strings.HasPrefix(name, "-") {
		return fail(name, "Invalid group name %q", name)
	}
	gid, system, members, add, del := a.GID, a.System, a.Members, a.AddUsers, a.DelUsers
	hasMembers := members != nil

	cur, err := lookupGroupEntry(name)
	if err != nil {
		return fail(name, "Unable to read %s: %v", groupPath, err)
	}
	// The member list the group should end up with.
	var have []string
	if cur != nil {
		have = cur.members
	}
	want := append([]string{}, have...)
	switch {
	case hasMembers:
		want = append([]string{}, members...)
	default:
		for _, u := range add {
			if !containsString(want, u) {
				want = append(want, u)
			}
		}
		kept := want[:0]
		for _, u := range want {
			if !containsString(del, u) {
				kept = append(kept, u)
			}
		}
		want = kept
	}
	sort.Strings(want)
	membersChange := !sameSet(have, want)

	if cur == nil {
		if call.Test {
			return Result{Name: name, Changes: map[string]any{"name": name},
				Comment: fmt.Sprintf("Group %s set to be added", name)}
		}
		args := []string{}
		if system {
			args = append(args, "-r")
		}
		if gid != nil {
			args = append(args, "-g", strconv.Itoa(*gid))
		}
		if _, err := env.runOK(ctx, Command{Path: "groupadd", Args: append(args, name)}); err != nil {
			return fail(name, "Failed to create new group %s: %v", name, err)
		}
		if len(want) > 0 {
			if _, err := env.runOK(ctx, Command{Path: "gpasswd", Args: []string{"-M", strings.Join(want, ","), name}}); err != nil {
				return fail(name, "Group %s was created but its members could not be set: %v", name, err)
			}
		}
		g, err := lookupGroupEntry(name)
		if err != nil || g == nil {
			return fail(name, "Group %s was created but cannot be read back: %v", name, err)
		}
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("New group %s created", name),
			Changes: map[string]any{"name": name, "gid": g.gid, "members": append([]string{}, g.members...), "passwd": "x"}}
	}

	changes := map[string]any{}
	if gid != nil && *gid != cur.gid {
		changes["gid"] = *gid
	}
	if membersChange {
		changes["members"] = want
	}
	if len(changes) == 0 {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Group %s is present and up to date", name)}
	}
	if call.Test {
		var lines []string
		for _, k := range sortedKeys(changes) {
			lines = append(lines, fmt.Sprintf("%s: %v", k, changes[k]))
		}
		return Result{Name: name, Changes: changes,
			Comment: "The following group attributes are set to be changed:\n" + strings.Join(lines, "\n") + "\n"}
	}
	if gid != nil && *gid != cur.gid {
		if _, err := env.runOK(ctx, Command{Path: "groupmod", Args: []string{"-g", strconv.Itoa(*gid), name}}); err != nil {
			return fail(name, "Failed to change the gid of group %s: %v", name, err)
		}
	}
	if membersChange {
		if _, err := env.runOK(ctx, Command{Path: "gpasswd", Args: []string{"-M", strings.Join(want, ","), name}}); err != nil {
			return fail(name, "Failed to set the members of group %s: %v", name, err)
		}
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Updated group %s", name)}
}
