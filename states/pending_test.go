package states

import (
	"os"
	"path/filepath"
	"testing"
)

// In test mode, what an earlier state of the run would create is taken as
// there, as Salt 3006's test run does (checked with salt-call --local
// state.apply test=True): user.present with a gid group not yet present,
// cmd.run as a user not yet present. Applied for real they fail.
func TestPendingInTestMode(t *testing.T) {
	const grp, usr = "brine_pending_grp", "brine_pending_usr"
	if e, err := lookupGroupEntry(grp); err != nil || e != nil {
		t.Skipf("group %s: %v %v", grp, e, err)
	}
	res := apply(t, nil, "user.present", usr, map[string]any{"gid": grp}, true)
	want(t, res, nil, true, "User "+usr+" set to be added")
	wantFail(t, apply(t, nil, "user.present", usr, map[string]any{"gid": grp}, false), "'gid'", grp)

	// an existing user whose primary group would change to the new one
	res = apply(t, nil, "user.present", "root", map[string]any{"gid": grp, "allow_gid_change": true}, true)
	want(t, res, nil, true, "gid: "+grp)
	if res.Changes["gid"] != grp {
		t.Errorf("changes %v", res.Changes)
	}
	wantFail(t, apply(t, nil, "user.present", "root", map[string]any{"gid": grp}, true), "Changing gid (0 -> "+grp+") not permitted")
	// supplementary groups must exist, in test mode too, as in Salt
	wantFail(t, apply(t, nil, "user.present", usr, map[string]any{"groups": []any{grp}}, true), "The following group(s) are not present: "+grp)

	res = apply(t, nil, "cmd.run", "id", map[string]any{"runas": usr}, true)
	want(t, res, nil, false, `Command "id" would have been executed`)
	wantFail(t, apply(t, nil, "cmd.run", "id", map[string]any{"runas": usr}, false), "'runas'")
}

// file.symlink's owner must exist, in test mode too, as in Salt.
func TestFileSymlinkOwnerMissing(t *testing.T) {
	link := filepath.Join(t.TempDir(), "link")
	for _, test := range []bool{true, false} {
		wantFail(t, apply(t, nil, "file.symlink", link, map[string]any{"target": "/etc/hostname", "user": "brine_pending_usr"}, test),
			"User brine_pending_usr does not exist")
		res := apply(t, nil, "file.symlink", link, map[string]any{"target": "/etc/hostname", "user": "brine_pending_usr", "group": "brine_pending_grp"}, test)
		if res.Comment != "User brine_pending_usr does not exist. Group brine_pending_grp does not exist." {
			t.Errorf("comment %q", res.Comment)
		}
	}
	if _, err := os.Lstat(link); err == nil {
		t.Fatal("the link was made")
	}
}
