package modules

import (
	"context"
	"strconv"
	"strings"
)

// The group module: local groups, as Salt's groupadd module.

func init() {
	Register("group.info", `Return a mapping describing the group name: name, passwd, gid and members (a list); an empty mapping when there is no such group.

CLI Example:

    ctl '*' group.info sudo`, groupInfo)
	Register("group.add", `Create the group name with groupadd (gid, system=True for a system group, non_unique=True to allow a duplicate gid). Returns true; a failure is an error carrying groupadd's message.

CLI Example:

    ctl '*' group.add deployers gid=2000`, groupAdd)
	Register("group.delete", `Delete the group name with groupdel. Returns true; a failure is an error.

CLI Example:

    ctl '*' group.delete deployers`, groupDelete)
}

func groupInfo(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := accountName(c, "group")
	if err != nil {
		return nil, err
	}
	f, err := getent(ctx, env, "group.info", "group", name)
	if err != nil || f == nil {
		return map[string]any{}, err
	}
	if len(f) < 4 {
		return nil, execErr("group.info: malformed group entry for %s", name)
	}
	gid, _ := strconv.Atoi(f[2])
	members := []any{}
	for _, m := range strings.Split(f[3], ",") {
		if m != "" {
			members = append(members, m)
		}
	}
	return map[string]any{"name": f[0], "passwd": f[1], "gid": gid, "members": members}, nil
}

func groupAdd(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := accountName(c, "group")
	if err != nil {
		return nil, err
	}
	gid, err := c.String(1, "gid", ptr(""))
	if err != nil {
		return nil, err
	}
	system, err := c.Bool(2, "system", ptr(false))
	if err != nil {
		return nil, err
	}
	nonUnique, err := c.Bool(4, "non_unique", ptr(false))
	if err != nil {
		return nil, err
	}
	args := []string{}
	if gid != "" {
		args = append(args, "-g", gid)
		if nonUnique {
			args = append(args, "-o")
		}
	}
	if system {
		args = append(args, "-r")
	}
	if _, err := runOK(ctx, env, prog{fun: "group.add", path: "groupadd", args: append(args, name)}); err != nil {
		return nil, err
	}
	return true, nil
}

func groupDelete(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := accountName(c, "group")
	if err != nil {
		return nil, err
	}
	if _, err := runOK(ctx, env, prog{fun: "group.delete", path: "groupdel", args: []string{name}}); err != nil {
		return nil, err
	}
	return true, nil
}
