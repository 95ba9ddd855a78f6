package states

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Shared by ssh_auth.present and ssh_auth.absent: a user's
// authorized_keys file as Salt's salt.modules.ssh reads and writes it.

// sshAuthArgs are the arguments ssh_auth.present and ssh_auth.absent
// share.
type sshAuthArgs struct {
	User    string   `salt:"user,required"`
	Enc     string   `salt:"enc" default:"ssh-rsa"`
	Comment string   `salt:"comment"`
	Source  string   `salt:"source"`
	Options []string `salt:"options"`
	Config  string   `salt:"config" default:".ssh/authorized_keys"`
	// FingerprintHashType only chooses how Salt hashes keys for its
	// listing; keys are compared whole here.
	FingerprintHashType string `salt:"fingerprint_hash_type"`
}

// Validate checks the user and the fingerprint hash type.
func (a *sshAuthArgs) Validate() error {
	if a.User == "" || strings.ContainsAny(a.User, ":/ \t\n") {
		return ArgErrorf("user", "must be a user name, got %q", a.User)
	}
	switch strings.ToLower(a.FingerprintHashType) {
	case "", "md5", "sha1", "sha224", "sha256", "sha384", "sha512":
	default:
		return ArgErrorf("fingerprint_hash_type", "must be md5 or a sha hash name, got %q", a.FingerprintHashType)
	}
	return nil
}

// sshKey is one authorized key.
type sshKey struct {
	options []string
	enc     string
	key     string
	comment string
}

// line is the key's authorized_keys line (Salt's _format_auth_line,
// without its trailing space when there is no comment).
func (k sshKey) line() string {
	s := ""
	if len(k.options) > 0 {
		s = strings.Join(k.options, ",") + " "
	}
	s += k.enc + " " + k.key
	if k.comment != "" {
		s += " " + k.comment
	}
	return s
}

// sshFullKey is Salt's pattern for a full key line: options, then the
// key type, the key and a comment.
var sshFullKey = regexp.MustCompile(`^(.*?)\s?((?:sk-)?(?:ssh-|ecds)[\w@.-]+\s.+)$`)

// parseKeyLine reads an authorized_keys line (nil when it holds no key).
func parseKeyLine(line string) *sshKey {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	m := sshFullKey.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	f := strings.Fields(m[2])
	if len(f) < 2 {
		return nil
	}
	k := &sshKey{enc: f[0], key: f[1], comment: strings.Join(f[2:], " ")}
	if m[1] != "" {
		k.options = strings.Split(m[1], ",")
	}
	return k
}

// refineEnc is Salt's _refine_enc: the key type's full name.
func refineEnc(enc string) (string, error) {
	switch enc {
	case "r", "rsa", "ssh-rsa":
		return "ssh-rsa", nil
	case "d", "dsa", "dss", "ssh-dss":
		return "ssh-dss", nil
	case "e", "ecdsa":
		return "ecdsa-sha2-nistp256", nil
	case "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256":
		return enc, nil
	case "ed25519", "ssh-ed25519":
		return "ssh-ed25519", nil
	case "rsa-sha2-512", "rsa-sha2-256", "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
		"ssh-rsa-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com":
		return enc, nil
	}
	return "", fmt.Errorf("Incorrect encryption key type '%s'.", enc)
}

// validKey reports whether key is base64, as Salt's _fingerprint checks.
func validKey(key string) bool {
	_, err := base64.StdEncoding.Strict().DecodeString(key)
	return err == nil && key != ""
}

// keyFromName reads the state's name as Salt does: a full key line
// (options, type, key, comment) or a bare key with an optional comment.
func keyFromName(name string, a *sshAuthArgs) (sshKey, error) {
	k := sshKey{enc: a.Enc, comment: a.Comment, options: a.Options}
	if m := sshFullKey.FindStringSubmatch(name); m != nil {
		if m[1] != "" {
			k.options = strings.Split(m[1], ",")
		}
		f := strings.Fields(m[2])
		k.enc, k.key = f[0], f[1]
		if len(f) > 2 {
			k.comment = strings.Join(f[2:], " ")
		}
	} else {
		f := strings.Fields(name)
		if len(f) == 0 {
			return k, fmt.Errorf("Invalid public ssh key, most likely has spaces or invalid syntax")
		}
		k.key = f[0]
		if len(f) > 1 {
			k.comment = strings.Join(f[1:], " ")
		}
	}
	return checkKey(k)
}

// checkKey validates a key and refines its type.
func checkKey(k sshKey) (sshKey, error) {
	if strings.ContainsAny(k.key, " \t") || !validKey(k.key) {
		return k, fmt.Errorf("Invalid public ssh key, most likely has spaces or invalid syntax")
	}
	enc, err := refineEnc(k.enc)
	if err != nil {
		return k, err
	}
	k.enc = enc
	return k, nil
}

// keysFromFile reads the keys of a source file.
func keysFromFile(path, source string, a *sshAuthArgs) ([]sshKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var keys []sshKey
	for _, l := range strings.Split(string(data), "\n") {
		k := parseKeyLine(l)
		if k == nil {
			continue
		}
		if k.options == nil {
			k.options = a.Options
		}
		ck, err := checkKey(*k)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", source, err)
		}
		keys = append(keys, ck)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("No keys detected in %s. Is file properly formatted?", source)
	}
	return keys, nil
}

// authUser is a user's entry in the passwd file (under Env.SysRoot).
type authUser struct {
	name     string
	uid, gid int
	home     string
}

func lookupAuthUser(env *Env, name string) (*authUser, error) {
	var u *authUser
	path := env.sysPath("/etc/passwd")
	err := readColonFile(path, func(f []string) {
		if u != nil || len(f) < 6 || f[0] != name {
			return
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 == nil && err2 == nil {
			u = &authUser{name: f[0], uid: uid, gid: gid, home: f[5]}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	if u == nil {
		return nil, fmt.Errorf("User '%s' does not exist", name)
	}
	return u, nil
}

// authorizedKeysPath expands %u, %h and %% in config (sshd's
// AuthorizedKeysFile tokens); a relative path is under the home.
func authorizedKeysPath(config string, u *authUser) (string, error) {
	var b strings.Builder
	for i := 0; i < len(config); i++ {
		if config[i] != '%' {
			b.WriteByte(config[i])
			continue
		}
		if i+1 == len(config) {
			return "", fmt.Errorf("AuthorizedKeysFile path: Last character can't be escape character")
		}
		i++
		switch config[i] {
		case '%':
			b.WriteByte('%')
		case 'u':
			b.WriteString(u.name)
		case 'h':
			b.WriteString(u.home)
		default:
			return "", fmt.Errorf("AuthorizedKeysFile path: unknown token character \"%%%c\"", config[i])
		}
	}
	p := b.String()
	if !filepath.IsAbs(p) {
		p = filepath.Join(u.home, p)
	}
	return p, nil
}

// authFile is an authorized_keys file's lines.
type authFile struct {
	path  string
	exist bool
	lines []string
	mode  uint32
	uid   int
	gid   int
}

func readAuthFile(path string) (*authFile, error) {
	fi, text, err := readText(path)
	if err != nil {
		return nil, fmt.Errorf("Problem reading key file %s: %v", path, err)
	}
	f := &authFile{path: path, exist: fi != nil, mode: 0o600, uid: -1, gid: -1}
	if fi != nil {
		f.uid, f.gid, f.mode = statOwner(fi)
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			f.lines = append(f.lines, l)
		}
	}
	return f, nil
}

// find returns the parsed key of the first line holding key (nil: none).
func (f *authFile) find(key string) *sshKey {
	for _, l := range f.lines {
		if k := parseKeyLine(l); k != nil && k.key == key {
			return k
		}
	}
	return nil
}

// set replaces every line holding k.key with k's line, or appends it.
func (f *authFile) set(k sshKey) {
	found := false
	for i, l := range f.lines {
		if p := parseKeyLine(l); p != nil && p.key == k.key {
			f.lines[i], found = k.line(), true
		}
	}
	if !found {
		f.lines = append(f.lines, k.line())
	}
}

// remove drops every line holding key.
func (f *authFile) remove(key string) {
	kept := f.lines[:0]
	for _, l := range f.lines {
		if p := parseKeyLine(l); p == nil || p.key != key {
			kept = append(kept, l)
		}
	}
	f.lines = kept
}

// write replaces the file atomically; a new file (and its directory,
// 0700) belongs to the user, mode 0600, as Salt makes them.
func (f *authFile) write(u *authUser) error {
	uid, gid := f.uid, f.gid
	if !f.exist && os.Geteuid() == 0 {
		uid, gid = u.uid, u.gid
	}
	dir := filepath.Dir(f.path)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		if fi, err := os.Stat(u.home); strings.HasPrefix(dir, u.home) && (err != nil || !fi.IsDir()) {
			return fmt.Errorf("the home directory %s of user %s is not available", u.home, u.name)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if os.Geteuid() == 0 {
			if err := os.Chown(dir, u.uid, u.gid); err != nil {
				return err
			}
		}
	}
	text := strings.Join(f.lines, "\n")
	if text != "" {
		text += "\n"
	}
	return writeAtomic(resolveTarget(f.path), func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	}, f.mode, uid, gid)
}
