package states

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeApt puts stand-ins for dpkg-query, apt-get and apt-cache on PATH.
// The installed packages live in db ("name version" lines), the
// repository's candidates in repo; every call is logged.
type fakeApt struct {
	dir, db, repo, log string
}

func newFakeApt(t *testing.T, installed, repo string) *fakeApt {
	dir := t.TempDir()
	f := &fakeApt{dir: dir, db: filepath.Join(dir, "db"), repo: filepath.Join(dir, "repo"), log: filepath.Join(dir, "log")}
	writeFile(t, f.db, installed)
	writeFile(t, f.repo, repo)
	writeFile(t, f.log, "")
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	vars := "DB=" + f.db + "\nREPO=" + f.repo + "\nLOG=" + f.log + "\n"
	stubTool(t, bin, "dpkg-query", vars+`echo "dpkg-query $*" >> "$LOG"
past=0; rc=0
for a in "$@"; do
  if [ $past = 0 ]; then [ "$a" = "--" ] && past=1; continue; fi
  n=${a%%:*}
  v=$(awk -v n="$n" '$1==n {print $2}' "$DB")
  if [ -n "$v" ]; then printf '%s\tinstall ok installed\t%s\n' "$n" "$v"
  else echo "dpkg-query: no packages found matching $a" >&2; rc=1; fi
done
exit $rc
`)
	stubTool(t, bin, "apt-get", vars+`echo "apt-get $*" >> "$LOG"
[ "$DEBIAN_FRONTEND" = noninteractive ] || { echo "DEBIAN_FRONTEND not set" >&2; exit 100; }
verb=""
for a in "$@"; do
  case "$a" in
    install|remove|purge|update) [ -z "$verb" ] && { verb=$a; continue; } ;;
  esac
  [ -z "$verb" ] && continue
  case "$a" in -*) continue ;; esac
  n=${a%%=*}; v=""
  [ "$n" != "$a" ] && v=${a#*=}
  case $verb in
    install)
      cand=$(awk -v n="$n" '$1==n {print $2}' "$REPO")
      [ -z "$cand" ] && { echo "E: Unable to locate package $n" >&2; exit 100; }
      [ -z "$v" ] && v=$cand
      grep -v "^$n " "$DB" > "$DB.new"; mv "$DB.new" "$DB"
      echo "$n $v" >> "$DB" ;;
    remove|purge)
      grep -v "^$n " "$DB" > "$DB.new"; mv "$DB.new" "$DB" ;;
  esac
done
exit 0
`)
	stubTool(t, bin, "apt-cache", vars+`echo "apt-cache $*" >> "$LOG"
shift
for n in "$@"; do
  inst=$(awk -v n="$n" '$1==n {print $2}' "$DB"); cand=$(awk -v n="$n" '$1==n {print $2}' "$REPO")
  echo "$n:"; echo "  Installed: ${inst:-(none)}"; echo "  Candidate: ${cand:-(none)}"
  echo "  Version table:"; [ -n "$cand" ] && echo " *** $cand 500"
done
exit 0
`)
	onPath(t, bin)
	mustResolveTo(t, bin, "dpkg-query", "apt-get", "apt-cache")
	return f
}

// mustResolveTo makes sure PATH finds the stand-ins, never the real tools.
func mustResolveTo(t *testing.T, dir string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if p, err := exec.LookPath(tool); err != nil || filepath.Dir(p) != dir {
			t.Fatalf("%s resolves to %q (%v), not the stand-in in %s", tool, p, err, dir)
		}
	}
}

func (f *fakeApt) installed(t *testing.T) string { return readFile(t, f.db) }

func (f *fakeApt) calls(t *testing.T, prefix string) []string {
	var out []string
	for _, l := range strings.Split(readFile(t, f.log), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func debEnv(t *testing.T) *Env {
	env := testEnv(t)
	env.Grains = map[string]any{"os_family": "Debian"}
	return env
}

func TestPkgInstalled(t *testing.T) {
	f := newFakeApt(t, "curl 7.88.1-10\n", "curl 7.88.1-10\nnginx 1.22.1-9\nvim 2:9.0.1378-2\nhtop 3.2.2-2\n")
	env := debEnv(t)
	snap := func() string { return f.installed(t) }

	// test mode previews as Salt: new "installed", whatever the version
	if res := apply(t, env, "pkg.installed", "x", map[string]any{"pkgs": []any{"nginx", map[string]any{"vim": "2:9.0.1378-2"}}}, true); !reflect.DeepEqual(res.Changes, map[string]any{
		"nginx": map[string]any{"old": "", "new": "installed"}, "vim": map[string]any{"old": "", "new": "installed"}}) {
		t.Errorf("test-mode changes %v", res.Changes)
	}
	first := cycle(t, env, "pkg.installed", "nginx", nil, snap)
	if !reflect.DeepEqual(first.Changes, map[string]any{"nginx": map[string]any{"old": "", "new": "1.22.1-9"}}) {
		t.Errorf("changes %v", first.Changes)
	}
	if first.Comment != "The following packages were installed/updated: nginx" {
		t.Errorf("comment %q", first.Comment)
	}
	if got := f.calls(t, "apt-get"); len(got) != 1 || !strings.Contains(got[0], "install nginx") {
		t.Errorf("apt-get calls %v", got)
	}

	// pkgs with versions: only the missing ones are installed; an epoch
	// may be left out of the version.
	args := map[string]any{"pkgs": []any{"curl", map[string]any{"vim": "9.0.1378-2"}, map[string]any{"htop": "3.2.*"}}}
	first = cycle(t, env, "pkg.installed", "tools", args, snap)
	if len(first.Changes) != 2 || first.Changes["curl"] != nil {
		t.Errorf("changes %v", first.Changes)
	}
	last := f.calls(t, "apt-get")
	if !strings.Contains(last[len(last)-1], "--allow-downgrades install vim=2:9.0.1378-2 htop") {
		t.Errorf("apt-get call %q", last[len(last)-1])
	}
	want(t, apply(t, env, "pkg.installed", "curl", map[string]any{"version": ">=7.0,<8"}, false), True(), false, "already installed")

	// Unknown package: failure naming it, with apt's message.
	res := apply(t, env, "pkg.installed", "nosuch", nil, false)
	wantFail(t, res, "failed to install/update: nosuch", "Unable to locate package nosuch")
	wantFail(t, apply(t, env, "pkg.installed", "x", map[string]any{"pkgs": "notalist"}, false), "'pkgs'")

	other := testEnv(t)
	other.Grains = map[string]any{"os_family": "Solaris"}
	wantFail(t, apply(t, other, "pkg.installed", "x", nil, false), "os_family Solaris")
}

func TestPkgRemoved(t *testing.T) {
	f := newFakeApt(t, "curl 7.88.1-10\nnginx 1.22.1-9\n", "")
	env := debEnv(t)
	first := cycle(t, env, "pkg.removed", "x", map[string]any{"pkgs": []any{"nginx", "absent-pkg"}}, func() string { return f.installed(t) })
	if !reflect.DeepEqual(first.Changes, map[string]any{"nginx": map[string]any{"old": "1.22.1-9", "new": ""}}) {
		t.Errorf("changes %v", first.Changes)
	}
	if f.installed(t) != "curl 7.88.1-10\n" {
		t.Errorf("db %q", f.installed(t))
	}
	want(t, apply(t, env, "pkg.removed", "absent-pkg", nil, false), True(), false, "None of the targeted packages are installed")
	// A version spec that does not match leaves the package alone.
	want(t, apply(t, env, "pkg.removed", "curl", map[string]any{"version": "8.*"}, false), True(), false)
}

func TestPkgLatest(t *testing.T) {
	f := newFakeApt(t, "curl 7.88.1-10\n", "curl 7.88.1-12\nnginx 1.22.1-9\n")
	env := debEnv(t)
	first := cycle(t, env, "pkg.latest", "x", map[string]any{"pkgs": []any{"curl", "nginx"}}, func() string { return f.installed(t) })
	wantCh := map[string]any{
		"curl":  map[string]any{"old": "7.88.1-10", "new": "7.88.1-12"},
		"nginx": map[string]any{"old": "", "new": "1.22.1-9"},
	}
	if !reflect.DeepEqual(first.Changes, wantCh) {
		t.Errorf("changes %v", first.Changes)
	}
	want(t, apply(t, env, "pkg.latest", "curl", nil, false), True(), false, "already up-to-date")
	wantFail(t, apply(t, env, "pkg.latest", "nosuch", nil, false), "No information found for 'nosuch'")
}

func TestPkgRefresh(t *testing.T) {
	f := newFakeApt(t, "", "nginx 1\n")
	env := debEnv(t)
	want(t, apply(t, env, "pkg.installed", "nginx", map[string]any{"refresh": true}, true), nil, true)
	if len(f.calls(t, "apt-get -q update")) != 0 {
		t.Error("test mode refreshed")
	}
	want(t, apply(t, env, "pkg.installed", "nginx", map[string]any{"refresh": true}, false), True(), true)
	if len(f.calls(t, "apt-get -q update")) != 1 {
		t.Errorf("calls %v", f.calls(t, "apt-get"))
	}
}

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "1.1", -1}, {"1.10", "1.9", 1}, {"1.0~rc1", "1.0", -1},
		{"1:1.0", "2.0", 1}, {"1.0-1", "1.0-2", -1}, {"1.0a", "1.0", 1}, {"1.0+b1", "1.0", 1},
		{"2.4.57-2", "2.4.57-2", 0}, {"3.2.2-r0", "3.2.10-r0", -1}, {"1.0-r1", "1.0-r10", -1},
	}
	for _, c := range cases {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := compareVersions(c.b, c.a); got != -c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
	for _, c := range []struct {
		inst, spec string
		ok         bool
	}{
		{"1:9.0-2", "9.0-2", true}, {"1.2.3", "1.2*", true}, {"1.3", "1.2*", false},
		{"1.5", ">=1.0,<2.0", true}, {"2.0", ">=1.0,<2.0", false}, {"1.0", "!=1.0", false}, {"1.0", "", true},
	} {
		if got := versionSatisfies(c.inst, c.spec); got != c.ok {
			t.Errorf("versionSatisfies(%q, %q) = %v", c.inst, c.spec, got)
		}
	}
	if n, v, ok := splitApk("ca-certificates-20230506-r0"); !ok || n != "ca-certificates" || v != "20230506-r0" {
		t.Errorf("splitApk: %q %q %v", n, v, ok)
	}
}

// The RedHat backend: rpm queries, dnf installs and upgrades.
func TestPkgRedHat(t *testing.T) {
	dir := t.TempDir()
	db, log := filepath.Join(dir, "db"), filepath.Join(dir, "log")
	writeFile(t, db, "bash 5.1.8-6.el9\n")
	writeFile(t, log, "")
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	vars := "DB=" + db + "\nLOG=" + log + "\n"
	stubTool(t, bin, "rpm", vars+`echo "rpm $*" >> "$LOG"
shift 3
for n in "$@"; do
  v=$(awk -v n="$n" '$1==n {print $2}' "$DB")
  if [ -n "$v" ]; then printf '%s\t%s\n' "$n" "$v"; else echo "package $n is not installed"; fi
done
`)
	stubTool(t, bin, "dnf", vars+`echo "dnf $*" >> "$LOG"
case "$*" in
  *"list available"*) shift 3; for n in "$@"; do [ "$n" = bash ] && echo "bash.x86_64  5.1.8-9.el9  baseos"; [ "$n" = git ] && echo "git.x86_64  2.39.3-1.el9  appstream"; done; exit 0 ;;
esac
verb=""
for a in "$@"; do
  case "$a" in install|upgrade|remove) verb=$a; continue ;; -*) continue ;; esac
  [ -z "$verb" ] && continue
  case $a in git*) n=git; v=2.39.3-1.el9 ;; bash*) n=bash; v=5.1.8-9.el9 ;; *) echo "No match for argument: $a" >&2; exit 1 ;; esac
  grep -v "^$n " "$DB" > "$DB.new"; mv "$DB.new" "$DB"
  [ $verb = remove ] || echo "$n $v" >> "$DB"
done
`)
	onPath(t, bin)
	mustResolveTo(t, bin, "rpm", "dnf")
	env := testEnv(t)
	env.Grains = map[string]any{"os_family": "RedHat"}
	first := cycle(t, env, "pkg.latest", "x", map[string]any{"pkgs": []any{"bash", "git"}}, func() string { return readFile(t, db) })
	if len(first.Changes) != 2 {
		t.Errorf("changes %v", first.Changes)
	}
	logText := readFile(t, log)
	if !strings.Contains(logText, "dnf -y install git-2.39.3-1.el9") || !strings.Contains(logText, "dnf -y upgrade bash-5.1.8-9.el9") {
		t.Errorf("dnf calls:\n%s", logText)
	}
	cycle(t, env, "pkg.removed", "git", nil, func() string { return readFile(t, db) })
}

// The Alpine backend: apk info -v, apk add, apk del.
func TestPkgAlpine(t *testing.T) {
	dir := t.TempDir()
	db, log := filepath.Join(dir, "db"), filepath.Join(dir, "log")
	writeFile(t, db, "musl-1.2.4-r2\nca-certificates-20230506-r0\n")
	writeFile(t, log, "")
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	stubTool(t, bin, "apk", "DB="+db+"\nLOG="+log+"\n"+`echo "apk $*" >> "$LOG"
case "$1" in
  info) cat "$DB" ;;
  add) shift; for a in "$@"; do case "$a" in -*) continue;; esac; n=${a%%=*}; echo "$n-1.0.0-r0" >> "$DB"; done ;;
  del) shift; for n in "$@"; do grep -v "^$n-[0-9]" "$DB" > "$DB.new"; mv "$DB.new" "$DB"; done ;;
esac
`)
	onPath(t, bin)
	mustResolveTo(t, bin, "apk")
	env := testEnv(t)
	env.Grains = map[string]any{"os_family": "Alpine"}
	want(t, apply(t, env, "pkg.installed", "ca-certificates", nil, false), True(), false)
	first := cycle(t, env, "pkg.installed", "curl", nil, func() string { return readFile(t, db) })
	if ch, _ := first.Changes["curl"].(map[string]any); ch["new"] != "1.0.0-r0" {
		t.Errorf("changes %v", first.Changes)
	}
	cycle(t, env, "pkg.removed", "curl", nil, func() string { return readFile(t, db) })
}
