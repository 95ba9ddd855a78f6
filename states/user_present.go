package states

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

func init() {
	RegisterTyped(Typed[userPresentArgs]{
		Name: "user.present",
		Doc: `Ensure a local user exists with the given attributes (useradd, usermod; compared with /etc/passwd, /etc/shadow and id -Gn).

name: the login. uid, gid (number or group name; changing either on an existing user needs allow_uid_change / allow_gid_change: True), groups (supplementary groups; with remove_groups, the default, the user is taken out of groups not listed), optional_groups (added when they exist), home, createhome (default true), shell, system (on creation), fullname, password (a crypt hash).
Changes: the new user's attributes on creation, else {"uid", "gid", "home", "shell", "fullname", "groups", "passwd"} that changed.`,
		Apply: userPresent,
	})
}

// userSpec is what user.present asks for; nil/empty fields are left alone.
type userSpec struct {
	uid, gid *int
	gidName  string
	// gidPending: in test mode, the gid names a group that does not
	// exist yet (an earlier group.present of the run may add it): the
	// change is reported, as Salt's test run does, instead of failing
	gidPending         string
	groups             []string // nil: not managed
	home, shell        *string
	fullname           *string
	password           *string
	createhome         bool
	system             bool
	removeGroups       bool
	allowUID, allowGID bool
}

// userPresentArgs are user.present's arguments.
type userPresentArgs struct {
	UID            *int     `salt:"uid"`
	GID            *string  `salt:"gid"`
	Home           *string  `salt:"home"`
	Shell          *string  `salt:"shell"`
	Fullname       *string  `salt:"fullname"`
	Password       *string  `salt:"password"`
	Createhome     bool     `salt:"createhome" default:"true"`
	System         bool     `salt:"system"`
	RemoveGroups   bool     `salt:"remove_groups" default:"true"`
	AllowUIDChange bool     `salt:"allow_uid_change"`
	AllowGIDChange bool     `salt:"allow_gid_change"`
	Groups         []string `salt:"groups"`
	OptionalGroups []string `salt:"optional_groups"`
}

// Validate checks the values that go into /etc/passwd.
func (a *userPresentArgs) Validate() error {
	if a.UID != nil && *a.UID < 0 {
		return ArgErrorf("uid", "must not be negative")
	}
	for _, f := range []struct {
		arg string
		v   *string
	}{{"home", a.Home}, {"shell", a.Shell}, {"fullname", a.Fullname}, {"password", a.Password}} {
		if f.v != nil && strings.ContainsAny(*f.v, ":\n") {
			return ArgErrorf(f.arg, "must not contain ':' or newlines")
		}
	}
	if a.Home != nil && !strings.HasPrefix(*a.Home, "/") {
		return ArgErrorf("home", "must be an absolute path, got %q", *a.Home)
	}
	return nil
}

// spec resolves the arguments against the host: the gid's group and the
// groups must exist.
func (a *userPresentArgs) spec(call Call) (userSpec, error) {
	s := userSpec{uid: a.UID, home: a.Home, shell: a.Shell, fullname: a.Fullname, password: a.Password,
		createhome: a.Createhome, system: a.System, removeGroups: a.RemoveGroups,
		allowUID: a.AllowUIDChange, allowGID: a.AllowGIDChange}
	if a.GID != nil {
		n, err := resolveGID(*a.GID)
		switch {
		case err == nil:
			s.gid, s.gidName = &n, *a.GID
		case call.Test && groupMissing(*a.GID):
			s.gidPending = *a.GID
		default:
			return s, call.ArgErrorf("gid", "names %q: %v", *a.GID, err)
		}
	}
	groups := a.Groups
	var missing []string
	for _, g := range groups {
		if e, err := lookupGroupEntry(g); err != nil {
			return s, err
		} else if e == nil {
			missing = append(missing, g)
		}
	}
	if len(missing) > 0 {
		return s, fmt.Errorf("The following group(s) are not present: %s", strings.Join(missing, ","))
	}
	for _, g := range a.OptionalGroups {
		if e, err := lookupGroupEntry(g); err == nil && e != nil && !containsString(groups, g) {
			groups = append(groups, g)
		}
	}
	if a.Groups != nil || a.OptionalGroups != nil {
		s.groups = append([]string{}, groups...)
		sort.Strings(s.groups)
	}
	return s, nil
}

func userPresent(ctx context.Context, env *Env, call Call, a *userPresentArgs) Result {
	name := call.Name
	if strings.ContainsAny(name, ": \t\n/") || strings.HasPrefix(name, "-") {
		return fail(name, "Invalid user name %q", name)
	}
	s, err := a.spec(call)
	if err != nil {
		return failErr(name, err)
	}
	cur, err := lookupPasswd(name)
	if err != nil {
		return fail(name, "Unable to read %s: %v", passwdPath, err)
	}
	if cur == nil {
		return userCreate(ctx, env, call, s)
	}
	return userUpdate(ctx, env, call, s, cur)
}

func userCreate(ctx context.Context, env *Env, call Call, s userSpec) Result {
	name := call.Name
	args := []string{}
	if s.system {
		args = append(args, "-r")
	}
	if s.uid != nil {
		args = append(args, "-u", strconv.Itoa(*s.uid))
	}
	if s.gid != nil {
		args = append(args, "-g", strconv.Itoa(*s.gid))
	} else if g, err := lookupGroupEntry(name); err == nil && g != nil {
		// A group named after the user exists: use it rather than fail.
		args = append(args, "-g", name)
	}
	if len(s.groups) > 0 {
		args = append(args, "-G", strings.Join(s.groups, ","))
	}
	if s.home != nil {
		args = append(args, "-d", *s.home)
	}
	if s.createhome {
		args = append(args, "-m")
	} else {
		args = append(args, "-M")
	}
	if s.shell != nil {
		args = append(args, "-s", *s.shell)
	}
	if s.fullname != nil {
		args = append(args, "-c", *s.fullname)
	}
	if s.password != nil {
		args = append(args, "-p", *s.password)
	}
	if call.Test {
		return Result{Name: name, Changes: map[string]any{"name": name},
			Comment: fmt.Sprintf("User %s set to be added", name)}
	}
	if _, err := env.runOK(ctx, Command{Path: "useradd", Args: append(args, name)}); err != nil {
		return fail(name, "Failed to create new user %s: %v", name, err)
	}
	u, err := lookupPasswd(name)
	if err != nil || u == nil {
		return fail(name, "User %s was created but cannot be read back: %v", name, err)
	}
	groups, err := supplementaryGroups(ctx, env, name, u.gid)
	if err != nil {
		return fail(name, "User %s was created but its groups cannot be read: %v", name, err)
	}
	changes := map[string]any{
		"name": name, "uid": u.uid, "gid": u.gid, "groups": groups,
		"home": u.home, "shell": u.shell, "fullname": gecosName(u.gecos),
	}
	if s.password != nil {
		changes["passwd"] = "XXX-REDACTED-XXX"
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("New user %s created", name)}
}

// gecosName is the full-name field of a GECOS string.
func gecosName(g string) string {
	n, _, _ := strings.Cut(g, ",")
	return n
}

func userUpdate(ctx context.Context, env *Env, call Call, s userSpec, cur *passwdEntry) Result {
	name := call.Name
	changes := map[string]any{}
	var args []string
	var refused []string
	if s.uid != nil && *s.uid != cur.uid {
		if !s.allowUID {
			refused = append(refused, fmt.Sprintf("Changing uid (%d -> %d) not permitted, set allow_uid_change to True to force this change. Note that this will not change file ownership.", cur.uid, *s.uid))
		}
		changes["uid"] = *s.uid
		args = append(args, "-u", strconv.Itoa(*s.uid))
	}
	if s.gid != nil && *s.gid != cur.gid {
		if !s.allowGID {
			refused = append(refused, fmt.Sprintf("Changing gid (%d -> %d) not permitted, set allow_gid_change to True to force this change. Note that this will not change file ownership.", cur.gid, *s.gid))
		}
		changes["gid"] = *s.gid
		args = append(args, "-g", strconv.Itoa(*s.gid))
	}
	if s.gidPending != "" {
		if !s.allowGID {
			refused = append(refused, fmt.Sprintf("Changing gid (%d -> %s) not permitted, set allow_gid_change to True to force this change. Note that this will not change file ownership.", cur.gid, s.gidPending))
		}
		changes["gid"] = s.gidPending
	}
	if len(refused) > 0 {
		return fail(name, "%s", strings.Join(refused, " "))
	}
	if s.home != nil && *s.home != cur.home {
		changes["home"] = *s.home
		args = append(args, "-d", *s.home)
	}
	if s.shell != nil && *s.shell != cur.shell {
		changes["shell"] = *s.shell
		args = append(args, "-s", *s.shell)
	}
	if s.fullname != nil && *s.fullname != gecosName(cur.gecos) {
		changes["fullname"] = *s.fullname
		rest := ""
		if _, r, ok := strings.Cut(cur.gecos, ","); ok {
			rest = "," + r
		}
		args = append(args, "-c", *s.fullname+rest)
	}
	if s.password != nil {
		h, err := shadowHash(name)
		if err != nil {
			return fail(name, "Unable to read %s: %v", shadowPath, err)
		}
		if h != *s.password {
			changes["passwd"] = "XXX-REDACTED-XXX"
			args = append(args, "-p", *s.password)
		}
	}
	if s.groups != nil {
		primary := cur.gid
		if s.gid != nil {
			primary = *s.gid
		}
		have, err := supplementaryGroups(ctx, env, name, cur.gid)
		if err != nil {
			return fail(name, "Unable to read the groups of %s: %v", name, err)
		}
		primaryName := groupNameOf(primary)
		if s.gidPending != "" {
			primaryName = s.gidPending
		}
		want := make([]string, 0, len(s.groups))
		for _, g := range s.groups {
			if g != primaryName {
				want = append(want, g)
			}
		}
		var missing []string
		for _, g := range want {
			if !containsString(have, g) {
				missing = append(missing, g)
			}
		}
		switch {
		case s.removeGroups && !sameSet(have, want):
			changes["groups"] = want
			args = append(args, "-G", strings.Join(want, ","))
		case !s.removeGroups && len(missing) > 0:
			final := append(append([]string{}, have...), missing...)
			sort.Strings(final)
			changes["groups"] = final
			args = append(args, "-a", "-G", strings.Join(missing, ","))
		}
	}
	if len(changes) == 0 {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("User %s is present and up to date", name)}
	}
	if call.Test {
		var lines []string
		for _, k := range sortedKeys(changes) {
			lines = append(lines, fmt.Sprintf("%s: %v", k, changes[k]))
		}
		return Result{Name: name, Changes: changes,
			Comment: "The following user attributes are set to be changed:\n" + strings.Join(lines, "\n") + "\n"}
	}
	if _, err := env.runOK(ctx, Command{Path: "usermod", Args: append(args, name)}); err != nil {
		return fail(name, "These values could not be changed: %s: %v", strings.Join(sortedKeys(changes), ", "), err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Updated user %s", name)}
}

// groupMissing reports whether v names a group (not a number) that does
// not exist.
func groupMissing(v string) bool {
	if _, err := strconv.Atoi(v); err == nil {
		return false
	}
	e, err := lookupGroupEntry(v)
	return err == nil && e == nil
}
