package states

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests drive the real shadow tools: they need root, and create
// and remove uniquely named users and groups.
func needAccounts(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for useradd/groupadd")
	}
	for _, tool := range []string{"useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "id"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not available", tool)
		}
	}
}

func uniqueName(t *testing.T, prefix string) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// freeGID finds an unused gid (and uid) in a high range.
func freeID(t *testing.T) int {
	groups, err := readGroups()
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for _, g := range groups {
		used[g.gid] = true
	}
	passwd := readFile(t, passwdPath)
	for _, line := range strings.Split(passwd, "\n") {
		var f []string
		if f = strings.Split(line, ":"); len(f) > 2 {
			var n int
			fmt.Sscan(f[2], &n)
			used[n] = true
		}
	}
	var b [2]byte
	rand.Read(b[:])
	for id := 61000 + int(b[0])%500; id < 62000; id++ {
		if !used[id] {
			return id
		}
	}
	t.Fatal("no free id")
	return 0
}

func cleanupAccount(t *testing.T, user string, groups ...string) {
	t.Cleanup(func() {
		if user != "" {
			exec.Command("userdel", "-r", "-f", user).Run()
		}
		for _, g := range groups {
			exec.Command("groupdel", g).Run()
		}
	})
}

func accountsSnapshot(t *testing.T) func() string {
	return func() string { return readFile(t, passwdPath) + readFile(t, groupPath) }
}

func TestGroupPresentAbsent(t *testing.T) {
	needAccounts(t)
	g := uniqueName(t, "brg")
	cleanupAccount(t, "", g)
	gid := freeID(t)
	first := cycle(t, nil, "group.present", g, map[string]any{"gid": gid}, accountsSnapshot(t))
	if first.Changes["gid"] != gid || first.Changes["name"] != g {
		t.Errorf("changes %v", first.Changes)
	}
	if e, _ := lookupGroupEntry(g); e == nil || e.gid != gid {
		t.Fatalf("group %v", e)
	}
	gid2 := freeID(t)
	res := apply(t, nil, "group.present", g, map[string]any{"gid": gid2}, false)
	want(t, res, True(), true, "Updated group")
	if res.Changes["gid"] != gid2 {
		t.Errorf("changes %v", res.Changes)
	}
	first = cycle(t, nil, "group.absent", g, nil, accountsSnapshot(t))
	if _, ok := first.Changes[g]; !ok {
		t.Errorf("changes %v", first.Changes)
	}
	wantFail(t, apply(t, nil, "group.present", g, map[string]any{"members": []any{"a"}, "addusers": []any{"b"}}, false), "'members'")
}

func TestUserPresentAbsent(t *testing.T) {
	needAccounts(t)
	u := uniqueName(t, "bru")
	g1, g2 := uniqueName(t, "brg"), uniqueName(t, "brg")
	cleanupAccount(t, u, g1, g2, u)
	for _, g := range []string{g1, g2} {
		want(t, apply(t, nil, "group.present", g, nil, false), True(), true)
	}
	home := filepath.Join(t.TempDir(), "home")
	uid := freeID(t)
	args := map[string]any{"uid": uid, "home": home, "shell": "/bin/sh", "fullname": "Brine Test",
		"groups": []any{g1}, "createhome": true}
	first := cycle(t, nil, "user.present", u, args, accountsSnapshot(t))
	if first.Changes["uid"] != uid || first.Changes["home"] != home || first.Changes["fullname"] != "Brine Test" {
		t.Errorf("changes %v", first.Changes)
	}
	if groups, _ := first.Changes["groups"].([]string); len(groups) != 1 || groups[0] != g1 {
		t.Errorf("groups %v", first.Changes["groups"])
	}
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		t.Fatalf("home not created: %v", err)
	}
	p, _ := lookupPasswd(u)
	if p == nil || p.shell != "/bin/sh" || p.uid != uid {
		t.Fatalf("passwd entry %+v", p)
	}

	// Changing shell and groups (the old group is removed: remove_groups).
	args["shell"] = "/bin/bash"
	args["groups"] = []any{g2}
	res := apply(t, nil, "user.present", u, args, true)
	want(t, res, nil, true, "shell: /bin/bash")
	res = apply(t, nil, "user.present", u, args, false)
	want(t, res, True(), true, "Updated user "+u)
	if res.Changes["shell"] != "/bin/bash" || fmt.Sprint(res.Changes["groups"]) != "["+g2+"]" {
		t.Errorf("changes %v", res.Changes)
	}
	out, _ := exec.Command("id", "-Gn", u).Output()
	if strings.Contains(string(out), g1) || !strings.Contains(string(out), g2) {
		t.Errorf("id -Gn: %s", out)
	}
	want(t, apply(t, nil, "user.present", u, args, false), True(), false, "present and up to date")
	// remove_groups: false only adds.
	res = apply(t, nil, "user.present", u, map[string]any{"groups": []any{g1}, "remove_groups": false}, false)
	want(t, res, True(), true)
	out, _ = exec.Command("id", "-Gn", u).Output()
	if !strings.Contains(string(out), g1) || !strings.Contains(string(out), g2) {
		t.Errorf("id -Gn: %s", out)
	}
	// A password hash.
	hash := "$6$saltsalt$Pz6eV9uQ1Jr0m5z1b2Z7Jm1eR8s1E0aYb3b9f5bXyJ5t5e2nS7tO8o0m3H0m6Q0nQ0m2yX6p6n5xJ4l8V0t1x/"
	res = apply(t, nil, "user.present", u, map[string]any{"password": hash}, false)
	want(t, res, True(), true)
	if res.Changes["passwd"] != "XXX-REDACTED-XXX" {
		t.Errorf("changes %v", res.Changes)
	}
	want(t, apply(t, nil, "user.present", u, map[string]any{"password": hash}, false), True(), false)
	// uid changes need allow_uid_change.
	wantFail(t, apply(t, nil, "user.present", u, map[string]any{"uid": uid + 1}, false), "allow_uid_change")
	// Groups that do not exist.
	wantFail(t, apply(t, nil, "user.present", u, map[string]any{"groups": []any{"no-such-group-brine"}}, false),
		"The following group(s) are not present: no-such-group-brine")
	wantFail(t, apply(t, nil, "user.present", u, map[string]any{"gid": "no-such-group-brine"}, false), "'gid'")

	// group.present members / addusers / delusers.
	res = apply(t, nil, "group.present", g1, map[string]any{"delusers": []any{u}}, false)
	want(t, res, True(), true)
	cycle(t, nil, "group.present", g1, map[string]any{"members": []any{u}}, accountsSnapshot(t))
	if e, _ := lookupGroupEntry(g1); e == nil || fmt.Sprint(e.members) != "["+u+"]" {
		t.Errorf("members %v", e)
	}

	first = cycle(t, nil, "user.absent", u, map[string]any{"purge": true}, accountsSnapshot(t))
	if first.Changes[u] != "removed" {
		t.Errorf("changes %v", first.Changes)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("purge left the home directory: %v", err)
	}
}
