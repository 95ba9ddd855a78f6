package states

import (
	"os"
	"path/filepath"
	"testing"
)

// In test mode a user or group that does not exist yet (an earlier state
// of the run may create it) is a change that would be made (None), as in
// Salt; applied for real, it is still an error.
func TestFileManagedPendingOwnerInTestMode(t *testing.T) {
	dir := t.TempDir()
	args := map[string]any{"contents": "hello\n", "user": "nosuchuser_brine_test", "group": "nosuchgroup_brine_test"}
	res := apply(t, nil, "file.managed", filepath.Join(dir, "new.conf"), args, true)
	if res.Result != nil || res.Changes["user"] != "nosuchuser_brine_test" || res.Changes["group"] != "nosuchgroup_brine_test" {
		t.Fatalf("new file, test mode: %+v", res)
	}
	existing := filepath.Join(dir, "same.conf")
	if err := os.WriteFile(existing, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = apply(t, nil, "file.managed", existing, args, true)
	if res.Result != nil || res.Changes["user"] != "nosuchuser_brine_test" || res.Changes["diff"] != nil {
		t.Fatalf("same content, test mode: %+v", res)
	}
	res = apply(t, nil, "file.managed", existing, args, false)
	if res.Result == nil || *res.Result {
		t.Fatalf("applied for real: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.conf")); err == nil {
		t.Fatal("test mode wrote the file")
	}
}
