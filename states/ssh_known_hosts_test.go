package states

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeKeyscan puts an ssh-keyscan on PATH answering for host "git.example"
// with the given key lines ("enc key"), logging its calls.
func fakeKeyscan(t *testing.T, keys ...string) (log string) {
	bin := t.TempDir()
	log = filepath.Join(bin, "log")
	var out strings.Builder
	for _, k := range keys {
		out.WriteString("echo \"git.example " + k + "\"\n")
	}
	stubTool(t, bin, "ssh-keyscan", "echo \"ssh-keyscan $*\" >> "+log+"\n"+`for h in "$@"; do :; done
if [ "$h" != git.example ]; then echo "getaddrinfo $h: Name or service not known" >&2; exit 1; fi
echo "# git.example:22 SSH-2.0-OpenSSH_9.2" >&2
`+out.String())
	onPath(t, bin)
	return log
}

func TestSSHKnownHosts(t *testing.T) {
	env, home := authRoot(t)
	ed := strings.Fields(sshKeyPair(t, "ed25519", "host"))
	ed2 := strings.Fields(sshKeyPair(t, "ed25519", "host2"))
	log := fakeKeyscan(t, "ssh-ed25519 "+ed[1])
	file := filepath.Join(home, ".ssh/known_hosts")
	snap := snapshotTree(t, home)

	// A given key, hashed (the default): ssh-keygen -F finds it again.
	first := cycle(t, env, "ssh_known_hosts.present", "github.com", map[string]any{"user": "deploy", "key": ed[1], "enc": "ed25519"}, snap)
	if first.Comment != "github.com's key saved to "+file+" (key: "+ed[1]+")" || first.Changes["old"] != nil {
		t.Errorf("result %+v", first)
	}
	text := readFile(t, file)
	if !strings.HasPrefix(text, "|1|") || !strings.HasSuffix(text, " ssh-ed25519 "+ed[1]+"\n") || strings.Contains(text, "github.com") {
		t.Errorf("known_hosts %q", text)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	// Another key of the same type replaces it; the first line's gone.
	up := apply(t, env, "ssh_known_hosts.present", "github.com", map[string]any{"user": "deploy", "key": ed2[1], "enc": "ssh-ed25519"}, false)
	want(t, up, True(), true, "saved to")
	if old, _ := up.Changes["old"].([]any); len(old) != 1 || old[0].(map[string]any)["key"] != ed[1] {
		t.Errorf("changes %v", up.Changes)
	}
	if text := readFile(t, file); strings.Count(text, "\n") != 1 || !strings.Contains(text, ed2[1]) {
		t.Errorf("known_hosts %q", text)
	}

	// By fingerprint through ssh-keyscan, plain host names, a port, a global file.
	global := filepath.Join(env.SysRoot, "etc/ssh/ssh_known_hosts")
	raw, _ := base64.StdEncoding.DecodeString(ed[1])
	sum := sha256.Sum256(raw)
	fp := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	args := map[string]any{"fingerprint": fp, "hash_known_hosts": false, "port": 2222}
	g := cycle(t, env, "ssh_known_hosts.present", "git.example", args, snapshotTree(t, env.SysRoot))
	if !strings.Contains(g.Comment, "(fingerprint: "+keyFingerprint(ed[1], "")+")") {
		t.Errorf("comment %q", g.Comment)
	}
	if got := readFile(t, global); got != "[git.example]:2222 ssh-ed25519 "+ed[1]+"\n" {
		t.Errorf("global known_hosts %q", got)
	}
	if fi, _ := os.Stat(global); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	if calls := readFile(t, log); !strings.Contains(calls, "ssh-keyscan -p 2222 -T 5 git.example\n") {
		t.Errorf("calls %q", calls)
	}
	// The hex form of the fingerprint (Salt's), md5 too.
	want(t, apply(t, env, "ssh_known_hosts.present", "git.example", map[string]any{"port": 2222, "fingerprint": keyFingerprint(ed[1], "md5"), "fingerprint_hash_type": "md5"}, false),
		True(), false, "already in")
	wantFail(t, apply(t, env, "ssh_known_hosts.present", "git.example", map[string]any{"fingerprint": "aa:bb"}, false), "none of their fingerprints match")
	wantFail(t, apply(t, env, "ssh_known_hosts.present", "nowhere.example", nil, false), "Unable to receive remote host keys", "Name or service not known")
	wantFail(t, apply(t, env, "ssh_known_hosts.present", "x", map[string]any{"key": ed[1]}, false), "'enc'")
	wantFail(t, apply(t, env, "ssh_known_hosts.present", "x", map[string]any{"key": ed[1], "enc": "ed25519", "fingerprint": fp}, false), "not both")
	wantFail(t, apply(t, env, "ssh_known_hosts.present", "x", map[string]any{"config": "known_hosts"}, false), "specify an absolute \"config\"")

	gone := cycle(t, env, "ssh_known_hosts.absent", "github.com", map[string]any{"user": "deploy"}, snap)
	if gone.Changes["new"] != nil || len(gone.Changes["old"].([]any)) != 1 {
		t.Errorf("changes %v", gone.Changes)
	}
	if got := readFile(t, file); got != "" {
		t.Errorf("known_hosts %q", got)
	}
	cycle(t, env, "ssh_known_hosts.absent", "git.example", map[string]any{"port": 2222}, snapshotTree(t, env.SysRoot))
	want(t, apply(t, env, "ssh_known_hosts.absent", "git.example", nil, false), True(), false, "Host is already absent")
	if _, err := os.Stat(file + ".old"); err == nil {
		t.Error("known_hosts.old left behind")
	}
}

// A known_hosts line with a comment after the key is the host's entry
// too: absent removes it (it reported "already absent" and left it), and
// present finds it (no second line).
func TestSSHKnownHostsCommentedLine(t *testing.T) {
	env, home := authRoot(t)
	ed := strings.Fields(sshKeyPair(t, "ed25519", "host"))
	file := filepath.Join(home, ".ssh/known_hosts")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	other := "other.example ssh-ed25519 " + ed[1] + "\n"
	writeFile(t, file, "github.com ssh-ed25519 "+ed[1]+" added by hand\n"+other)
	args := map[string]any{"user": "deploy", "key": ed[1], "enc": "ed25519"}
	want(t, apply(t, env, "ssh_known_hosts.present", "github.com", args, false), True(), false, "is already in")
	res := apply(t, env, "ssh_known_hosts.absent", "github.com", map[string]any{"user": "deploy"}, false)
	want(t, res, True(), true, "removed from")
	if text := readFile(t, file); text != other {
		t.Errorf("known_hosts after absent %q, want %q", text, other)
	}
}
