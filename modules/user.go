package modules

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

// The user module: local users, as Salt's useradd module: info and group
// lists from the name service (getent), changes through useradd and
// userdel.

func init() {
	Register("user.info", `Return a mapping describing the user name: uid, gid, name, home, shell, passwd, groups (as user.list_groups) and the GECOS fields fullname, roomnumber, workphone, homephone, other; an empty mapping when there is no such user.

CLI Example:

    ctl '*' user.info root`, userInfo)
	Register("user.list_groups", `Return the sorted names of the groups the user name belongs to, its primary group included.

CLI Example:

    ctl '*' user.list_groups root`, userListGroups)
	Register("user.add", `Create the user name with useradd: uid, gid (primary group), groups (a list or comma-separated), home, shell, unique (default true; false allows a duplicate uid), system, fullname, roomnumber, workphone, homephone, other (GECOS fields), createhome (default true), usergroup (create a group of the same name). Returns true; a failure is an error carrying useradd's message.

CLI Example:

    ctl '*' user.add deploy shell=/bin/bash groups=www-data`, userAdd)
	Register("user.delete", `Delete the user name with userdel (remove=True also removes its home directory and mail spool, force=True even when logged in). Returns true; a failure is an error.

CLI Example:

    ctl '*' user.delete deploy remove=True`, userDelete)
}

// getent returns the entry of name in database db, split on ':', or nil
// when there is none.
func getent(ctx context.Context, env *Env, fun, db, name string) ([]string, error) {
	res, err := run(ctx, env, prog{fun: fun, path: "getent", args: []string{db, name}})
	if err != nil {
		return nil, err
	}
	switch res.retcode {
	case 0:
		line, _, _ := strings.Cut(res.stdout, "\n")
		return strings.Split(line, ":"), nil
	case 2:
		return nil, nil // not found
	}
	return nil, execErr("%s: getent %s %s failed with exit code %d: %s", fun, db, name, res.retcode, res.combined())
}

// accountName reads and checks a user or group name.
func accountName(c Call, what string) (string, error) {
	name, err := c.String(0, "name", nil)
	if err != nil {
		return "", err
	}
	if name == "" || strings.HasPrefix(name, "-") || strings.ContainsAny(name, ":, \t\n/") {
		return "", badArg("invalid %s name %q", what, name)
	}
	return name, nil
}

func userGroups(ctx context.Context, env *Env, fun, name string, gid string) ([]any, error) {
	res, err := runOK(ctx, env, prog{fun: fun, path: "getent", args: []string{"group"}})
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, line := range strings.Split(res.stdout, "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		if f[2] == gid {
			set[f[0]] = true
		}
		for _, m := range strings.Split(f[3], ",") {
			if m == name {
				set[f[0]] = true
			}
		}
	}
	names := make([]string, 0, len(set))
	for g := range set {
		names = append(names, g)
	}
	sort.Strings(names)
	out := make([]any, len(names))
	for i, g := range names {
		out[i] = g
	}
	return out, nil
}

func userInfo(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := accountName(c, "user")
	if err != nil {
		return nil, err
	}
	f, err := getent(ctx, env, "user.info", "passwd", name)
	if err != nil || f == nil {
		return map[string]any{}, err
	}
	if len(f) < 7 {
		return nil, execErr("user.info: malformed passwd entry for %s", name)
	}
	groups, err := userGroups(ctx, env, "user.info", f[0], f[3])
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(f[2])
	gid, _ := strconv.Atoi(f[3])
	gecos := append(strings.SplitN(f[4], ",", 5), "", "", "", "", "")
	return map[string]any{
		"name": f[0], "passwd": f[1], "uid": uid, "gid": gid, "home": f[5], "shell": f[6], "groups": groups,
		"fullname": gecos[0], "roomnumber": gecos[1], "workphone": gecos[2], "homephone": gecos[3], "other": gecos[4],
	}, nil
}

func userListGroups(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := accountName(c, "user")
	if err != nil {
		return nil, err
	}
	f, err := getent(ctx, env, "user.list_groups", "passwd", name)
	if err != nil {
		return nil, err
	}
	if len(f) < 4 {
		return nil, execErr("user.list_groups: user %s does not exist", name)
	}
	return userGroups(ctx, env, "user.list_groups", name, f[3])
}

func userAdd(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := accountName(c, "user")
	if err != nil {
		return nil, err
	}
	str := func(i int, n string) (string, error) { return c.String(i, n, ptr("")) }
	args := []string{}
	shell, err := str(5, "shell")
	if err != nil {
		return nil, err
	}
	if shell != "" {
		args = append(args, "-s", shell)
	}
	uid, err := str(1, "uid")
	if err != nil {
		return nil, err
	}
	if uid != "" {
		args = append(args, "-u", uid)
	}
	gid, err := str(2, "gid")
	if err != nil {
		return nil, err
	}
	usergroup, err := c.Bool(-1, "usergroup", ptr(false))
	if err != nil {
		return nil, err
	}
	switch {
	case gid != "":
		args = append(args, "-g", gid)
	case usergroup:
		args = append(args, "-U")
	}
	home, err := str(4, "home")
	if err != nil {
		return nil, err
	}
	if home != "" {
		args = append(args, "-d", home)
	}
	unique, err := c.Bool(6, "unique", ptr(true))
	if err != nil {
		return nil, err
	}
	if !unique {
		args = append(args, "-o")
	}
	system, err := c.Bool(7, "system", ptr(false))
	if err != nil {
		return nil, err
	}
	if system {
		args = append(args, "-r")
	}
	createhome, err := c.Bool(13, "createhome", ptr(true))
	if err != nil {
		return nil, err
	}
	if createhome {
		args = append(args, "-m")
	} else {
		args = append(args, "-M")
	}
	var groups []string
	if v, _ := c.value(3, "groups"); v != nil {
		switch t := v.(type) {
		case []any:
			for _, g := range t {
				s, ok := coerce.String(g)
				if !ok {
					return nil, wrongType("groups", "a list of group names", g)
				}
				groups = append(groups, s)
			}
		default:
			s, ok := coerce.String(v)
			if !ok {
				return nil, wrongType("groups", "a list of group names", v)
			}
			groups = strings.Split(s, ",")
		}
	}
	if len(groups) > 0 {
		args = append(args, "-G", strings.Join(groups, ","))
	}
	var gecos []string
	for i, n := range []string{"fullname", "roomnumber", "workphone", "homephone", "other"} {
		v, err := str(8+i, n)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, ":,\n") {
			return nil, badArg("argument '%s' must not contain ':', ',' or a newline", n)
		}
		gecos = append(gecos, v)
	}
	if g := strings.TrimRight(strings.Join(gecos, ","), ","); g != "" {
		args = append(args, "-c", g)
	}
	if _, err := runOK(ctx, env, prog{fun: "user.add", path: "useradd", args: append(args, name)}); err != nil {
		return nil, err
	}
	return true, nil
}

func userDelete(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := accountName(c, "user")
	if err != nil {
		return nil, err
	}
	remove, err := c.Bool(1, "remove", ptr(false))
	if err != nil {
		return nil, err
	}
	force, err := c.Bool(2, "force", ptr(false))
	if err != nil {
		return nil, err
	}
	args := []string{}
	if remove {
		args = append(args, "-r")
	}
	if force {
		args = append(args, "-f")
	}
	if _, err := runOK(ctx, env, prog{fun: "user.delete", path: "userdel", args: append(args, name)}); err != nil {
		return nil, err
	}
	return true, nil
}
