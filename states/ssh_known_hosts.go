package states

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Shared by ssh_known_hosts.present and ssh_known_hosts.absent: entries
// are looked up with ssh-keygen -F (which understands hashed hosts and
// patterns); lines are removed and appended by Brine, hashed as ssh's
// HashKnownHosts does, so no known_hosts.old is left behind.

// knownHostsArgs are the arguments both states share.
type knownHostsArgs struct {
	User   string `salt:"user"`
	Config string `salt:"config"`
	Port   int    `salt:"port"`
}

// knownEntry is one known_hosts entry as Salt reports it.
type knownEntry struct {
	line                            int
	hostname, enc, key, fingerprint string
}

func (e knownEntry) salt() map[string]any {
	return map[string]any{"hostname": e.hostname, "enc": e.enc, "key": e.key, "fingerprint": e.fingerprint}
}

func entriesAny(es []knownEntry) any {
	if len(es) == 0 {
		return nil
	}
	out := make([]any, len(es))
	for i, e := range es {
		out[i] = e.salt()
	}
	return out
}

// knownHostsFile is the file the states edit: config, else the user's
// ~/.ssh/known_hosts, else /etc/ssh/ssh_known_hosts; and the user (nil
// for the global file).
func knownHostsFile(env *Env, a *knownHostsArgs) (string, *authUser, error) {
	if a.User == "" {
		if a.Config == "" {
			return env.sysPath("/etc/ssh/ssh_known_hosts"), nil, nil
		}
		if !filepath.IsAbs(a.Config) {
			return "", nil, fmt.Errorf("If not specifying a \"user\", specify an absolute \"config\".")
		}
		return a.Config, nil, nil
	}
	u, err := lookupAuthUser(env, a.User)
	if err != nil {
		return "", nil, err
	}
	config := a.Config
	if config == "" {
		config = ".ssh/known_hosts"
	}
	if !filepath.IsAbs(config) {
		config = filepath.Join(u.home, config)
	}
	return config, u, nil
}

// sshHostname is host, or [host]:port for a port other than 22.
func sshHostname(host string, port int) string {
	if port != 0 && port != 22 {
		return fmt.Sprintf("[%s]:%d", host, port)
	}
	return host
}

// keyFingerprint is Salt's fingerprint: the hash of the decoded key in
// colon-separated hex (sha256 unless hashType says otherwise).
func keyFingerprint(key, hashType string) string {
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return ""
	}
	var h hash.Hash
	switch strings.ToLower(hashType) {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write(raw)
	sum := hex.EncodeToString(h.Sum(nil))
	parts := make([]string, 0, len(sum)/2)
	for i := 0; i < len(sum); i += 2 {
		parts = append(parts, sum[i:i+2])
	}
	return strings.Join(parts, ":")
}

// fingerprintMatches compares a wanted fingerprint, Salt's hex form or
// OpenSSH's SHA256:base64 form, with a key.
func fingerprintMatches(want, key, hashType string) bool {
	if b64, ok := strings.CutPrefix(want, "SHA256:"); ok {
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			return false
		}
		sum := sha256.Sum256(raw)
		return strings.TrimRight(b64, "=") == base64.RawStdEncoding.EncodeToString(sum[:])
	}
	return strings.EqualFold(want, keyFingerprint(key, hashType))
}

// findKnownHosts runs ssh-keygen -F for host in file.
func findKnownHosts(ctx context.Context, env *Env, file, host, hashType string) ([]knownEntry, error) {
	if _, err := os.Stat(file); os.IsNotExist(err) {
		return nil, nil
	}
	res, err := env.run(ctx, Command{Path: "ssh-keygen", Args: []string{"-F", host, "-f", file}})
	if err != nil {
		return nil, err
	}
	if res.Retcode != 0 && res.Retcode != 1 {
		return nil, fmt.Errorf("ssh-keygen -F %s -f %s failed with exit code %d: %s", host, file, res.Retcode, res.combined())
	}
	var out []knownEntry
	line := 0
	for _, l := range strings.Split(res.Stdout, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			if i := strings.LastIndex(l, "found: line "); i >= 0 {
				line, _ = strconv.Atoi(strings.TrimSpace(l[i+len("found: line "):]))
			}
			continue
		}
		f := strings.Fields(l)
		if len(f) < 3 || line == 0 || strings.HasPrefix(f[0], "@") {
			continue // markers (@cert-authority, @revoked) are left alone
		}
		// a comment after the key (f[3:]) does not make it another entry
		fp := keyFingerprint(f[2], hashType)
		if fp == "" {
			continue
		}
		out = append(out, knownEntry{line: line, hostname: f[0], enc: f[1], key: f[2], fingerprint: fp})
		line = 0
	}
	return out, nil
}

// hashHost is ssh's hashed host name: |1|salt|HMAC-SHA1(salt, host).
func hashHost(host string) (string, error) {
	salt := make([]byte, sha1.Size)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(host))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// editKnownHosts drops the given line numbers from file and appends
// lines, atomically; a new file (and directory) belongs to u (0600), or
// is 0644 for the global file.
func editKnownHosts(file string, u *authUser, drop map[int]bool, add []string) error {
	fi, old, err := readText(file)
	if err != nil {
		return err
	}
	var lines []string
	if old != "" {
		lines = strings.Split(strings.TrimSuffix(old, "\n"), "\n")
	}
	kept := lines[:0]
	for i, l := range lines {
		if !drop[i+1] {
			kept = append(kept, l)
		}
	}
	kept = append(kept, add...)
	text := strings.Join(kept, "\n")
	if text != "" {
		text += "\n"
	}
	uid, gid, mode := -1, -1, uint32(0o644)
	if u != nil {
		mode = 0o600
	}
	if fi != nil {
		uid, gid, mode = statOwner(fi)
	} else {
		if u != nil && os.Geteuid() == 0 {
			uid, gid = u.uid, u.gid
		}
		dir := filepath.Dir(file)
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			dmode := os.FileMode(0o755)
			if u != nil {
				dmode = 0o700
			}
			if err := os.MkdirAll(dir, dmode); err != nil {
				return err
			}
			if u != nil && os.Geteuid() == 0 {
				if err := os.Chown(dir, u.uid, u.gid); err != nil {
					return err
				}
			}
		}
	}
	return writeAtomic(resolveTarget(file), func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	}, mode, uid, gid)
}
