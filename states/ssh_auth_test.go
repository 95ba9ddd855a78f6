package states

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sshKeyPair makes a public key line with the real ssh-keygen.
func sshKeyPair(t *testing.T, typ, comment string) string {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is not installed")
	}
	p := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", typ, "-N", "", "-C", comment, "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return strings.TrimSpace(readFile(t, p+".pub"))
}

// authRoot is a system root whose passwd has user deploy with its home
// in a temporary directory.
func authRoot(t *testing.T) (*Env, string) {
	root := t.TempDir()
	home := filepath.Join(t.TempDir(), "deploy")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "etc/passwd"), fmt.Sprintf("root:x:0:0:root:/root:/bin/sh\ndeploy:x:%d:%d::%s:/bin/sh\n", os.Getuid(), os.Getgid(), home))
	env := testEnv(t)
	env.SysRoot = root
	return env, home
}

func TestSSHAuthPresentAbsent(t *testing.T) {
	env, home := authRoot(t)
	ed := sshKeyPair(t, "ed25519", "alice@laptop")
	f := strings.Fields(ed)
	file := filepath.Join(home, ".ssh/authorized_keys")
	snap := snapshotTree(t, home)

	// A bare key with enc and comment arguments.
	first := cycle(t, env, "ssh_auth.present", f[1], map[string]any{"user": "deploy", "enc": "ed25519", "comment": "alice@laptop"}, snap)
	if first.Changes[f[1]] != "New" || first.Comment != fmt.Sprintf("The authorized host key %s for user deploy was added", f[1]) {
		t.Errorf("result %+v", first)
	}
	if got := readFile(t, file); got != ed+"\n" {
		t.Errorf("authorized_keys %q", got)
	}
	for p, mode := range map[string]os.FileMode{file: 0o600, filepath.Dir(file): 0o700 | os.ModeDir} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), mode)
		}
	}
	// The whole line as the name is the same key: nothing to do.
	want(t, apply(t, env, "ssh_auth.present", ed, map[string]any{"user": "deploy"}, false), True(), false, "already present for user deploy")
	// Options change the line in place; other lines stay.
	writeFile(t, file, "# keys\n"+ed+"\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 other\n")
	up := cycle(t, env, "ssh_auth.present", ed, map[string]any{"user": "deploy", "options": []any{"no-agent-forwarding", `command="/bin/true"`}}, snap)
	if up.Changes[f[1]] != "Updated" {
		t.Errorf("changes %v", up.Changes)
	}
	wantText := "# keys\nno-agent-forwarding,command=\"/bin/true\" " + ed + "\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 other\n"
	if got := readFile(t, file); got != wantText {
		t.Errorf("authorized_keys:\n%s\nwant:\n%s", got, wantText)
	}

	// A source file of keys, config with %h.
	rsa := sshKeyPair(t, "rsa", "bob")
	src := filepath.Join(t.TempDir(), "keys.pub")
	writeFile(t, src, "# team\n"+rsa+"\n"+ed+"\n")
	other := filepath.Join(home, "other_keys")
	s := cycle(t, env, "ssh_auth.present", "team", map[string]any{"user": "deploy", "source": src, "config": "%h/other_keys"}, snap)
	if s.Changes["team"] != "New" || readFile(t, other) != rsa+"\n"+ed+"\n" {
		t.Errorf("result %+v, file %q", s, readFile(t, other))
	}
	gone := cycle(t, env, "ssh_auth.absent", "team", map[string]any{"user": "deploy", "source": src, "config": "%h/other_keys"}, snap)
	if gone.Changes["team"] != "Removed" || readFile(t, other) != "" {
		t.Errorf("result %+v, file %q", gone, readFile(t, other))
	}
	abs := cycle(t, env, "ssh_auth.absent", ed, map[string]any{"user": "deploy"}, snap)
	if abs.Changes[f[1]] != "Removed" || abs.Comment != "Key removed" {
		t.Errorf("result %+v", abs)
	}
	if got := readFile(t, file); got != "# keys\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 other\n" {
		t.Errorf("authorized_keys %q", got)
	}

	// A salt:// source, as the openssh formula gives it.
	fs := t.TempDir()
	writeFile(t, filepath.Join(fs, "base", "ssh_keys", "bob.pub"), rsa+"\n")
	env.Files = dirFiles{root: fs}
	sf := cycle(t, env, "ssh_auth.present", "bob-key", map[string]any{"user": "deploy", "source": "salt://ssh_keys/bob.pub"}, snap)
	if sf.Changes["bob-key"] != "New" || !strings.HasSuffix(readFile(t, file), rsa+"\n") {
		t.Errorf("result %+v, file %q", sf, readFile(t, file))
	}
	cycle(t, env, "ssh_auth.absent", "bob-key", map[string]any{"user": "deploy", "source": "salt://ssh_keys/bob.pub"}, snap)
	wantFail(t, apply(t, env, "ssh_auth.present", "x", map[string]any{"user": "deploy", "source": "salt://ssh_keys/nobody.pub"}, false), "Source file salt://ssh_keys/nobody.pub is missing")

	before := snap()
	wantFail(t, apply(t, env, "ssh_auth.present", "not base64!", map[string]any{"user": "deploy"}, false), "Invalid public ssh key")
	wantFail(t, apply(t, env, "ssh_auth.present", f[1], map[string]any{"user": "deploy", "enc": "rot13"}, false), "Incorrect encryption key type 'rot13'")
	wantFail(t, apply(t, env, "ssh_auth.present", f[1], map[string]any{"user": "nobody"}, false), "User 'nobody' does not exist")
	wantFail(t, apply(t, env, "ssh_auth.present", f[1], map[string]any{"user": "deploy", "config": "%q/keys"}, false), "unknown token character \"%q\"")
	wantFail(t, apply(t, env, "ssh_auth.present", f[1], map[string]any{}, false), "'user'")
	empty := filepath.Join(t.TempDir(), "empty.pub")
	writeFile(t, empty, "# nothing\n")
	wantFail(t, apply(t, env, "ssh_auth.present", "x", map[string]any{"user": "deploy", "source": empty}, false), "No keys detected in")
	if snap() != before {
		t.Error("a failed ssh_auth state changed the home")
	}
	res := apply(t, env, "ssh_auth.present", f[1], map[string]any{"user": "deploy", "enc": "ed25519", "comemnt": "x"}, true)
	want(t, res, nil, true, "comemnt", "did you mean 'comment'")
}

// The same states as SaltStack 3006.1 ran (salt-call --local): the same
// lines, comments and changes. (Salt writes a space after a key without
// a comment; Brine does not: sshd reads both alike.)
func TestSSHAuthAsSalt(t *testing.T) {
	env, _ := authRoot(t)
	file := filepath.Join(t.TempDir(), "ak")
	k1, k2 := "AAAAC3NzaC1lZDI1NTE5AAAAILl3C5tffDOpVXzpq9S/Iv2spdAgMHZce7LsTQzbgZHI", "AAAAC3NzaC1lZDI1NTE5AAAAIFm0z3Ss3h5kGq1uo5mVv6c7tX9n8d+AWZz8hH0Oq7mC"
	r1 := apply(t, env, "ssh_auth.present", k1, map[string]any{"user": "root", "enc": "ed25519", "config": file, "options": []any{"no-pty", `command="/bin/true"`}}, false)
	r2 := apply(t, env, "ssh_auth.present", "ssh-ed25519 "+k2, map[string]any{"user": "root", "config": file}, false)
	for k, r := range map[string]Result{k1: r1, k2: r2} {
		if r.Comment != "The authorized host key "+k+" for user root was added" || len(r.Changes) != 1 || r.Changes[k] != "New" {
			t.Errorf("%+v", r)
		}
	}
	if got := readFile(t, file); got != "no-pty,command=\"/bin/true\" ssh-ed25519 "+k1+"\nssh-ed25519 "+k2+"\n" {
		t.Errorf("authorized_keys %q", got)
	}
	r := apply(t, env, "ssh_auth.present", k1, map[string]any{"user": "root", "enc": "ed25519", "config": file, "options": []any{"no-pty", `command="/bin/true"`}}, false)
	want(t, r, True(), false)
	if r.Comment != "The authorized host key "+k1+" is already present for user root" {
		t.Errorf("comment %q", r.Comment)
	}
	// The file as Salt wrote it is already right.
	writeFile(t, file, "no-pty,command=\"/bin/true\" ssh-ed25519 "+k1+" \nssh-ed25519 "+k2+" \n")
	want(t, apply(t, env, "ssh_auth.present", "ssh-ed25519 "+k2, map[string]any{"user": "root", "config": file}, false), True(), false, "already present")
	want(t, apply(t, env, "ssh_auth.present", k1, map[string]any{"user": "root", "enc": "ed25519", "config": file, "options": []any{"no-pty", `command="/bin/true"`}}, false), True(), false, "already present")
}
