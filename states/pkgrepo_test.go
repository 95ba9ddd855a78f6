package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// aptStandins puts apt-key and apt-get stand-ins on PATH: they log their
// command lines, and apt-key keeps a keyring of ids in a file.
func aptStandins(t *testing.T) (log func() []string, keyring string) {
	t.Helper()
	bin := t.TempDir()
	logf := filepath.Join(bin, "calls.log")
	keyring = filepath.Join(bin, "keyring")
	stubTool(t, bin, "apt-key", `echo "apt-key $*" >> `+logf+`
case "$1" in
export) grep -qx "$2" `+keyring+` 2>/dev/null && echo "-----BEGIN PGP PUBLIC KEY BLOCK-----" ; exit 0 ;;
adv) for last; do :; done; echo "$last" >> `+keyring+` ;;
add) cat "$2" >> `+keyring+` ;;
del) grep -vx "$2" `+keyring+` > `+keyring+`.new; mv `+keyring+`.new `+keyring+` ;;
esac
`)
	stubTool(t, bin, "apt-get", `echo "apt-get $*" >> `+logf+"\n")
	onPath(t, bin)
	return func() []string {
		data, _ := os.ReadFile(logf)
		os.Remove(logf)
		return strings.Split(strings.TrimSpace(string(data)), "\n")
	}, keyring
}

func aptEnv(t *testing.T) (*Env, string) {
	env := testEnv(t)
	env.Grains = map[string]any{"os_family": "Debian"}
	root := t.TempDir()
	env.AptSourcesList = filepath.Join(root, "sources.list")
	writeFile(t, env.AptSourcesList, "deb http://deb.debian.org/debian bookworm main\n")
	if err := os.MkdirAll(filepath.Join(root, "sources.list.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	return env, root
}

func TestPkgrepoManagedApt(t *testing.T) {
	calls, _ := aptStandins(t)
	env, root := aptEnv(t)
	file := filepath.Join(root, "sources.list.d", "example.list")
	args := map[string]any{"file": file, "keyid": "0123456789ABCDEF", "keyserver": "keyserver.ubuntu.com"}
	name := "deb [arch=amd64] http://repo.example.com/debian bookworm main contrib"
	res := apply(t, env, "pkgrepo.managed", name, args, true)
	want(t, res, nil, true, "Package repo '"+name+"' would be configured.")
	if _, err := os.Stat(file); err == nil {
		t.Fatal("test mode wrote the file")
	}
	calls()
	res = apply(t, env, "pkgrepo.managed", name, args, false)
	want(t, res, True(), true, "Configured package repo '"+name+"'")
	// the line as salt-call wrote it: components sorted
	if got := readFile(t, file); got != "deb [arch=amd64] http://repo.example.com/debian bookworm contrib main\n" {
		t.Errorf("file %q", got)
	}
	wantCalls := []string{
		"apt-key export 0123456789ABCDEF",
		"apt-key adv --batch --keyserver keyserver.ubuntu.com --logger-fd 1 --recv-keys 0123456789ABCDEF",
		"apt-get -q update",
	}
	if got := calls(); strings.Join(got, "|") != strings.Join(wantCalls, "|") {
		t.Errorf("calls\n%q\nwant\n%q", got, wantCalls)
	}
	res = apply(t, env, "pkgrepo.managed", name, args, false)
	want(t, res, True(), false, "Package repo '"+name+"' already configured")
	if got := calls(); strings.Join(got, "|") != "apt-key export 0123456789ABCDEF" {
		t.Errorf("second run ran %q", got)
	}
	// comments and disabled change the line in place
	args["comments"] = []any{"first", "second"}
	args["disabled"] = true
	res = apply(t, env, "pkgrepo.managed", name, args, false)
	want(t, res, True(), true)
	if got := readFile(t, file); got != "# deb [arch=amd64] http://repo.example.com/debian bookworm contrib main #first second\n" {
		t.Errorf("file %q", got)
	}
	if ch, ok := res.Changes["line"].(map[string]any); !ok || ch["old"] != "deb [arch=amd64] http://repo.example.com/debian bookworm contrib main" {
		t.Errorf("changes %v", res.Changes)
	}
	res = apply(t, env, "pkgrepo.managed", name, args, true)
	want(t, res, True(), false, "already configured")
	// the main sources.list is left alone
	if got := readFile(t, env.AptSourcesList); got != "deb http://deb.debian.org/debian bookworm main\n" {
		t.Errorf("sources.list %q", got)
	}
}

func TestPkgrepoManagedAptKeyURLAndMove(t *testing.T) {
	calls, keyring := aptStandins(t)
	env, root := aptEnv(t)
	keyFile := filepath.Join(root, "key.asc")
	writeFile(t, keyFile, "KEYDATA\n")
	// the repository moves from sources.list into its own file
	name := "deb http://deb.debian.org/debian/ bookworm main non-free"
	file := filepath.Join(root, "sources.list.d", "debian.list")
	res := apply(t, env, "pkgrepo.managed", name, map[string]any{"file": file, "key_url": keyFile, "refresh": false}, false)
	want(t, res, True(), true)
	if got := readFile(t, file); got != "deb http://deb.debian.org/debian/ bookworm main non-free\n" {
		t.Errorf("file %q", got)
	}
	if got := readFile(t, env.AptSourcesList); got != "" {
		t.Errorf("sources.list kept %q", got)
	}
	if got := calls(); strings.Join(got, "|") != "apt-key add "+keyFile {
		t.Errorf("calls %q", got)
	}
	if got := readFile(t, keyring); got != "KEYDATA\n" {
		t.Errorf("keyring %q", got)
	}
	res = apply(t, env, "pkgrepo.managed", name, map[string]any{"file": file, "key_url": keyFile, "refresh": false}, false)
	want(t, res, True(), false, "already configured")
}

func TestPkgrepoAbsentApt(t *testing.T) {
	calls, keyring := aptStandins(t)
	env, root := aptEnv(t)
	file := filepath.Join(root, "sources.list.d", "example.list")
	writeFile(t, file, "deb http://repo.example.com/debian bookworm main contrib\n")
	writeFile(t, keyring, "0123456789ABCDEF\n")
	// removing one component keeps the line with the other
	res := apply(t, env, "pkgrepo.absent", "deb http://repo.example.com/debian bookworm contrib", nil, false)
	want(t, res, True(), true, "Removed repo deb http://repo.example.com/debian bookworm contrib")
	if got := readFile(t, file); got != "deb http://repo.example.com/debian bookworm main\n" {
		t.Errorf("file %q", got)
	}
	name := "deb http://repo.example.com/debian bookworm main"
	args := map[string]any{"keyid": "0123456789ABCDEF"}
	res = apply(t, env, "pkgrepo.absent", name, args, true)
	want(t, res, nil, true, "Package repo '"+name+"' will be removed.")
	calls()
	res = apply(t, env, "pkgrepo.absent", name, args, false)
	want(t, res, True(), true, "Removed repo "+name, "and keyid ['0123456789ABCDEF']")
	if _, err := os.Stat(file); err == nil {
		t.Error("an emptied .list file was kept")
	}
	if got := calls(); strings.Join(got, "|") != "apt-key export 0123456789ABCDEF|apt-key del 0123456789ABCDEF" {
		t.Errorf("calls %q", got)
	}
	res = apply(t, env, "pkgrepo.absent", name, args, false)
	want(t, res, True(), false, "Package repo "+name+" is absent")
}

func TestPkgrepoYum(t *testing.T) {
	env := testEnv(t)
	env.Grains = map[string]any{"os_family": "RedHat"}
	env.YumReposDir = t.TempDir()
	args := map[string]any{"humanname": "Example Repo", "baseurl": "https://repo.example.com/el9/$basearch", "gpgcheck": true,
		"gpgkey": "https://repo.example.com/RPM-GPG-KEY", "priority": 10, "comments": []any{"managed by Brine"}}
	first := cycle(t, env, "pkgrepo.managed", "example", args, snapshotTree(t, env.YumReposDir))
	want(t, first, True(), true, "Configured package repo 'example'")
	p := filepath.Join(env.YumReposDir, "example.repo")
	wantText := "[example]\nname=Example Repo\nbaseurl=https://repo.example.com/el9/$basearch\nenabled=1\ngpgcheck=1\ngpgkey=https://repo.example.com/RPM-GPG-KEY\npriority=10\n# managed by Brine\n\n"
	if got := readFile(t, p); got != wantText {
		t.Errorf("repo file\n%s\nwant\n%s", got, wantText)
	}
	// disabling changes one key, reported old/new
	args["enabled"] = false
	res := apply(t, env, "pkgrepo.managed", "example", args, false)
	want(t, res, True(), true)
	if ch, _ := res.Changes["enabled"].(map[string]any); ch["old"] != "1" || ch["new"] != "0" || len(res.Changes) != 1 {
		t.Errorf("changes %v", res.Changes)
	}
	// misspelt and unknown options are warned about, not written
	res = apply(t, env, "pkgrepo.managed", "example", map[string]any{"humanname": "Example Repo", "baseurl": "https://repo.example.com/el9/$basearch", "enabled": false,
		"gpgcheck": true, "gpgkey": "https://repo.example.com/RPM-GPG-KEY", "priority": 10, "comments": []any{"managed by Brine"}, "baseur": "x"}, false)
	want(t, res, True(), false, "already configured", "'baseur' is an invalid keyword argument for 'pkgrepo.managed' and was ignored; did you mean 'baseurl'?")
	wantFail(t, apply(t, env, "pkgrepo.managed", "nourl", nil, false), "either a baseurl or a mirrorlist needs to be given")
	// absent removes the section and the file it leaves empty
	res = apply(t, env, "pkgrepo.absent", "example", nil, true)
	want(t, res, nil, true, "Package repo 'example' will be removed.")
	res = apply(t, env, "pkgrepo.absent", "example", nil, false)
	want(t, res, True(), true, "Removed repo example")
	if _, err := os.Stat(p); err == nil {
		t.Error("the emptied .repo file was kept")
	}
	res = apply(t, env, "pkgrepo.absent", "example", nil, false)
	want(t, res, True(), false, "Package repo example is absent")
}

func TestPkgrepoFailures(t *testing.T) {
	env, _ := aptEnv(t)
	for _, tc := range []struct {
		name string
		args map[string]any
		msg  string
	}{
		{"deb http://x/ y main", map[string]any{"key_url": "/k", "keyid": "A", "keyserver": "ks"}, `you may not use both "keyid"/"keyserver" and "key_url"`},
		{"deb http://x/ y main", map[string]any{"keyid": "A"}, "argument 'keyserver' is missing"},
		{"deb http://x/ y main", map[string]any{"enabled": true, "disabled": true}, "only one of enabled/disabled"},
		{"deb http://x/ y main", map[string]any{"repo": "x"}, "the 'name' argument is probably what was intended"},
		{"not a line", nil, "the name must be a sources line"},
	} {
		wantFail(t, apply(t, env, "pkgrepo.managed", tc.name, tc.args, false), tc.msg)
	}
	env.Grains = map[string]any{"os_family": "Solaris"}
	wantFail(t, apply(t, env, "pkgrepo.managed", "x", nil, false), "Repo management not implemented on this platform")
}

// Without file a repository already configured stays in its file, and a
// comment there is kept when comments is not given.
func TestPkgrepoManagedAptInPlace(t *testing.T) {
	calls, _ := aptStandins(t)
	env, root := aptEnv(t)
	file := filepath.Join(root, "sources.list.d", "vendor.list")
	writeFile(t, file, "# vendor\ndeb http://vendor.example.com/apt stable main #from the vendor\n")
	name := "deb http://vendor.example.com/apt stable main"
	res := apply(t, env, "pkgrepo.managed", name, nil, false)
	want(t, res, True(), false, "already configured")
	res = apply(t, env, "pkgrepo.managed", name+" extra", nil, false)
	want(t, res, True(), true, "Configured package repo")
	if got := readFile(t, file); got != "# vendor\ndeb http://vendor.example.com/apt stable extra main #from the vendor\n" {
		t.Errorf("file %q", got)
	}
	if got := readFile(t, env.AptSourcesList); got != "deb http://deb.debian.org/debian bookworm main\n" {
		t.Errorf("sources.list %q", got)
	}
	if got := calls(); strings.Join(got, "|") != "apt-get -q update" {
		t.Errorf("calls %q", got)
	}
}

// A .repo file written by hand (enabled left out, gpgcheck=True) is
// already right.
func TestPkgrepoYumExisting(t *testing.T) {
	env := testEnv(t)
	env.Grains = map[string]any{"os_family": "RedHat"}
	env.YumReposDir = t.TempDir()
	p := filepath.Join(env.YumReposDir, "vendor.repo")
	writeFile(t, p, "[vendor]\nname=Vendor\nbaseurl=https://vendor.example.com/el9\ngpgcheck=True\n\n[other]\nname=Other\nbaseurl=https://other.example.com\n")
	res := apply(t, env, "pkgrepo.managed", "vendor", map[string]any{"humanname": "Vendor", "baseurl": "https://vendor.example.com/el9", "gpgcheck": 1}, false)
	want(t, res, True(), false, "Package repo 'vendor' already configured")
	res = apply(t, env, "pkgrepo.absent", "vendor", nil, false)
	want(t, res, True(), true)
	if got := readFile(t, p); got != "[other]\nname=Other\nbaseurl=https://other.example.com\n\n" {
		t.Errorf("repo file %q", got)
	}
}

// On the RedHat family keyid and key_url (apt-key's) fail the state, as
// pkgrepo.absent's keyid does: they were accepted and ignored, the
// repository configured without its key.
func TestPkgrepoYumKeyArgumentsFail(t *testing.T) {
	env := testEnv(t)
	env.Grains = map[string]any{"os_family": "RedHat"}
	env.YumReposDir = t.TempDir()
	base := map[string]any{"baseurl": "https://repo.example.com/el9/$basearch"}
	for _, extra := range []map[string]any{{"key_url": "https://repo.example.com/key.asc"}, {"keyid": "ABCD1234", "keyserver": "keyserver.ubuntu.com"}} {
		args := map[string]any{}
		for k, v := range base {
			args[k] = v
		}
		for k, v := range extra {
			args[k] = v
		}
		wantFail(t, apply(t, env, "pkgrepo.managed", "example", args, false), "Repo key management is not implemented for this platform", "gpgkey")
		wantFail(t, apply(t, env, "pkgrepo.managed", "example", args, true), "Repo key management is not implemented for this platform")
	}
	if entries, _ := os.ReadDir(env.YumReposDir); len(entries) != 0 {
		t.Errorf("a failed state wrote %v", entries)
	}
}
