package states

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Shared by user.* and group.*: the local account databases, read
// directly, and the shadow tools that change them.

// Account database paths (variables so a test could point elsewhere;
// the states themselves always use the real tools).
var (
	passwdPath = "/etc/passwd"
	groupPath  = "/etc/group"
	shadowPath = "/etc/shadow"
)

type passwdEntry struct {
	name        string
	uid, gid    int
	gecos       string
	home, shell string
}

type groupEntry struct {
	name    string
	gid     int
	members []string
}

// readColonFile reads a colon-separated database, calling fn for each
// line's fields.
func readColonFile(path string, fn func(f []string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	return sc.Err()
}

// lookupPasswd finds a user in /etc/passwd (nil when absent).
func lookupPasswd(name string) (*passwdEntry, error) {
	var found *passwdEntry
	err := readColonFile(passwdPath, func(f []string) {
		if len(f) < 7 || f[0] != name || found != nil {
			return
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			return
		}
		found = &passwdEntry{name: f[0], uid: uid, gid: gid, gecos: f[4], home: f[5], shell: f[6]}
	})
	return found, err
}

// readGroups reads /etc/group.
func readGroups() ([]groupEntry, error) {
	var out []groupEntry
	err := readColonFile(groupPath, func(f []string) {
		if len(f) < 4 {
			return
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			return
		}
		var members []string
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				members = append(members, m)
			}
		}
		out = append(out, groupEntry{name: f[0], gid: gid, members: members})
	})
	return out, err
}

// lookupGroupEntry finds a group by name (nil when absent).
func lookupGroupEntry(name string) (*groupEntry, error) {
	groups, err := readGroups()
	if err != nil {
		return nil, err
	}
	for i := range groups {
		if groups[i].name == name {
			return &groups[i], nil
		}
	}
	return nil, nil
}

// groupNameOf is the name of gid ("" when unknown).
func groupNameOf(gid int) string {
	groups, err := readGroups()
	if err != nil {
		return ""
	}
	for _, g := range groups {
		if g.gid == gid {
			return g.name
		}
	}
	return ""
}

// resolveGID reads a gid given as a number or a group name.
func resolveGID(v string) (int, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return n, nil
	}
	g, err := lookupGroupEntry(v)
	if err != nil {
		return 0, err
	}
	if g == nil {
		return 0, fmt.Errorf("group %s does not exist", v)
	}
	return g.gid, nil
}

// shadowHash is the user's password hash ("" when unreadable or absent).
func shadowHash(name string) (string, error) {
	hash := ""
	err := readColonFile(shadowPath, func(f []string) {
		if len(f) >= 2 && f[0] == name {
			hash = f[1]
		}
	})
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return hash, err
}

// supplementaryGroups lists the user's groups other than its primary one
// (id -Gn), sorted.
func supplementaryGroups(ctx context.Context, env *Env, name string, primary int) ([]string, error) {
	res, err := env.runOK(ctx, Command{Path: "id", Args: []string{"-Gn", name}})
	if err != nil {
		return nil, err
	}
	prim := groupNameOf(primary)
	var out []string
	for _, g := range strings.Fields(res.Stdout) {
		if g != prim && !containsString(out, g) {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out, nil
}

// sameSet reports whether two lists hold the same strings.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
