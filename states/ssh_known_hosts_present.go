package states

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

func init() {
	RegisterTyped(Typed[knownHostsPresentArgs]{
		Name: "ssh_known_hosts.present",
		Doc: `Ensure a host's key is in a known_hosts file.

name: the host name or address. key: its public key (base64), with enc, its type (required with key); or fingerprint: the key's fingerprint (Salt's colon-separated hex of fingerprint_hash_type, default sha256, or OpenSSH's SHA256:...), checked against the keys ssh-keyscan receives; with neither, the keys ssh-keyscan receives are trusted when none of them is known yet. port: a port other than 22 ([host]:port entries). user: use ~user/.ssh/known_hosts (the home from the passwd file), or config: the file (relative to the home with user; absolute without, default /etc/ssh/ssh_known_hosts). hash_known_hosts (default True) writes the host name hashed, as ssh's HashKnownHosts. timeout: ssh-keyscan's, in seconds (default 5).
Entries are looked up with ssh-keygen -F; known entries of the same key type are replaced, others kept.
Changes: {"old": entries before (None), "new": entries written}, each {hostname, enc, key, fingerprint}.`,
		Apply: knownHostsPresent,
	})
}

// knownHostsPresentArgs are ssh_known_hosts.present's arguments.
type knownHostsPresentArgs struct {
	knownHostsArgs
	Key                 string `salt:"key"`
	Fingerprint         string `salt:"fingerprint"`
	Enc                 string `salt:"enc"`
	HashKnownHosts      bool   `salt:"hash_known_hosts" default:"true"`
	Timeout             int    `salt:"timeout" default:"5"`
	FingerprintHashType string `salt:"fingerprint_hash_type"`
}

// Validate checks key, fingerprint and enc.
func (a *knownHostsPresentArgs) Validate() error {
	switch {
	case a.Key != "" && a.Fingerprint != "":
		return ArgErrorf("fingerprint", "cannot be given with 'key': specify either \"key\" or \"fingerprint\", not both")
	case a.Key != "" && a.Enc == "":
		return ArgErrorf("enc", "is required with \"key\"")
	case a.Key != "" && !validKey(a.Key):
		return ArgErrorf("key", "must be a base64 public key (without its type or comment)")
	case a.Port < 0 || a.Port > 65535:
		return ArgErrorf("port", "must be a TCP port, got %d", a.Port)
	case a.Timeout <= 0:
		return ArgErrorf("timeout", "must be a positive number of seconds")
	}
	if a.Enc != "" {
		enc, err := refineEnc(a.Enc)
		if err != nil {
			return ArgErrorf("enc", "%v", err)
		}
		a.Enc = enc
	}
	return nil
}

// keyscan receives host's keys with ssh-keyscan.
func keyscan(ctx context.Context, env *Env, name string, a *knownHostsPresentArgs) ([]knownEntry, error) {
	args := []string{}
	if a.Port != 0 {
		args = append(args, "-p", strconv.Itoa(a.Port))
	}
	if a.Enc != "" {
		t := strings.TrimPrefix(a.Enc, "ssh-")
		if strings.HasPrefix(t, "ecdsa-") {
			t = "ecdsa"
		}
		args = append(args, "-t", t)
	}
	args = append(args, "-T", strconv.Itoa(a.Timeout), name)
	res, err := env.run(ctx, Command{Path: "ssh-keyscan", Args: args})
	if err != nil {
		return nil, err
	}
	var out []knownEntry
	for _, l := range strings.Split(res.Stdout, "\n") {
		f := strings.Fields(l)
		if len(f) != 3 || strings.HasPrefix(l, "#") {
			continue
		}
		if fp := keyFingerprint(f[2], a.FingerprintHashType); fp != "" {
			out = append(out, knownEntry{hostname: f[0], enc: f[1], key: f[2], fingerprint: fp})
		}
	}
	if len(out) == 0 {
		msg := res.Stderr
		if msg == "" {
			msg = "no keys"
		}
		return nil, fmt.Errorf("Unable to receive remote host keys: ssh-keyscan %s: %s", strings.Join(args, " "), msg)
	}
	return out, nil
}

func knownHostsPresent(ctx context.Context, env *Env, call Call, a *knownHostsPresentArgs) Result {
	name := call.Name
	file, u, err := knownHostsFile(env, &a.knownHostsArgs)
	if err != nil {
		return failErr(name, err)
	}
	host := sshHostname(name, a.Port)
	stored, err := findKnownHosts(ctx, env, file, host, a.FingerprintHashType)
	if err != nil {
		return failErr(name, err)
	}
	known := func(match func(knownEntry) bool) bool {
		for _, e := range stored {
			if match(e) {
				return true
			}
		}
		return false
	}
	var fresh []knownEntry
	switch {
	case a.Key != "":
		if known(func(e knownEntry) bool { return e.key == a.Key }) {
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Host %s is already in %s", name, file)}
		}
		fresh = []knownEntry{{hostname: host, enc: a.Enc, key: a.Key, fingerprint: keyFingerprint(a.Key, a.FingerprintHashType)}}
	case a.Fingerprint != "" && known(func(e knownEntry) bool { return fingerprintMatches(a.Fingerprint, e.key, a.FingerprintHashType) }):
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Host %s is already in %s", name, file)}
	default:
		scanned, err := keyscan(ctx, env, name, a)
		if err != nil {
			return failErr(name, err)
		}
		for _, e := range scanned {
			if a.Fingerprint == "" || fingerprintMatches(a.Fingerprint, e.key, a.FingerprintHashType) {
				e.hostname = host
				fresh = append(fresh, e)
			}
		}
		if len(fresh) == 0 {
			return fail(name, "Remote host public keys found but none of their fingerprints match the one you have provided")
		}
		if a.Fingerprint == "" && known(func(e knownEntry) bool {
			for _, s := range fresh {
				if s.key == e.key {
					return true
				}
			}
			return false
		}) {
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Host %s is already in %s", name, file)}
		}
	}
	drop := map[int]bool{}
	for _, e := range stored {
		for _, f := range fresh {
			if e.enc == f.enc {
				drop[e.line] = true
			}
		}
	}
	verb := "added to"
	if len(stored) > 0 {
		verb = "updated in"
	}
	if call.Test {
		return Result{Name: name, Changes: map[string]any{"old": entriesAny(stored), "new": entriesAny(fresh)},
			Comment: fmt.Sprintf("Key for %s is set to be %s %s", name, verb, file)}
	}
	var lines []string
	for i, e := range fresh {
		if a.HashKnownHosts {
			h, err := hashHost(host)
			if err != nil {
				return failErr(name, err)
			}
			fresh[i].hostname = h
		}
		lines = append(lines, fresh[i].hostname+" "+e.enc+" "+e.key)
	}
	if err := editKnownHosts(file, u, drop, lines); err != nil {
		return fail(name, "Couldn't update known hosts file %s: %v", file, err)
	}
	how := "key: " + fresh[0].key
	if a.Key == "" {
		how = "fingerprint: " + fresh[0].fingerprint
	}
	return Result{Name: name, Result: True(), Changes: map[string]any{"old": entriesAny(stored), "new": entriesAny(fresh)},
		Comment: fmt.Sprintf("%s's key saved to %s (%s)", name, file, how)}
}
