package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// In test mode a user or group that does not exist yet (an earlier state
// of the run may create it) is a change that would be made (None), as in
// Salt; applied for real, it is still an error.
func TestFileManagedPendingOwnerInTestMode(t *testing.T) {
	dir := t.TempDir()
	args := map[string]any{"contents": "hello\n", "user": "nosuchuser_brine_test", "group": "nosuchgroup_brine_test"}
	// a new file: Salt's preview names it only
	res := apply(t, nil, "file.managed", filepath.Join(dir, "new.conf"), args, true)
	if res.Result != nil || len(res.Changes) != 1 || res.Changes["newfile"] != filepath.Join(dir, "new.conf") {
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

// A file.managed template sees Salt's variables source (the URL used),
// name, saltenv, user, group, mode; context overrides them.
func TestFileManagedTemplateVariables(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "src", "base", "t.tmpl"), "from {{ source }} to {{ name }} in {{ saltenv }} mode {{ mode }}\n")
	env := testEnv(t)
	env.Render = fakeRenderer{}
	env.Files = dirFiles{root: filepath.Join(dir, "src")}
	name := filepath.Join(dir, "out.conf")
	args := map[string]any{"source": []any{"salt://missing.tmpl", "salt://t.tmpl"}, "template": "jinja", "mode": "0644"}
	if res := apply(t, env, "file.managed", name, args, false); res.Result == nil || !*res.Result {
		t.Fatalf("%+v", res)
	}
	if got, want := readFile(t, name), "from salt://t.tmpl to "+name+" in base mode 0644\n"; got != want {
		t.Fatalf("rendered %q, want %q", got, want)
	}
	args["context"] = map[string]any{"source": "mine"}
	apply(t, env, "file.managed", name, args, false)
	if got := readFile(t, name); !strings.HasPrefix(got, "from mine ") {
		t.Fatalf("context must win: %q", got)
	}
}
