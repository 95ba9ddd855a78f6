package modules

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// aptStandIns fakes dpkg-query, apt-get and apt-cache over a status file.
func aptStandIns(t *testing.T) *standIns {
	s := newStandIns(t, false)
	db := filepath.Join(s.dir, "status")
	writeT(t, db, "install ok installed\tcurl\t7.88.1-10\ndeinstall ok config-files\told\t1.0\ninstall ok installed\tvim\t2:9.0\n")
	s.add(t, "dpkg-query", `cat '`+db+`'`)
	s.add(t, "apt-get", `db='`+db+`'
[ "$DEBIAN_FRONTEND" = noninteractive ] || { echo "not noninteractive" >&2; exit 9; }
for a; do last=$a; done
case "$*" in
*update) printf 'Hit:1 http://deb.debian.org/debian bookworm InRelease\nGet:2 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]\nIgn:3 http://example.com/repo stable InRelease\nReading package lists...\n' ;;
*" install nosuch") echo "E: Unable to locate package nosuch" >&2; exit 100 ;;
*" install "*) for a; do grep -q "	${a%%=*}	" "$db" && continue; case "$a" in -*|install|*::*) ;; *=*) printf 'install ok installed\t%s\t%s\n' "${a%%=*}" "${a#*=}" >> "$db" ;; *) printf 'install ok installed\t%s\t1.24.0-1\n' "$a" >> "$db" ;; esac; done ;;
*" remove "*|*" purge "*) grep -v "	$last	" "$db" > "$db.new"; mv "$db.new" "$db" ;;
esac`)
	s.add(t, "apt-cache", `printf 'curl:\n  Installed: 7.88.1-10\n  Candidate: 7.88.1-10+deb12u5\n  Version table:\nnginx:\n  Installed: (none)\n  Candidate: 1.22.1-9\nvim:\n  Installed: 2:9.0\n  Candidate: 2:9.0\n'`)
	return s
}

func TestPkgApt(t *testing.T) {
	s := aptStandIns(t)
	env := &Env{Grains: mapGrains{"os_family": "Debian"}}
	const dpkg = "dpkg-query --showformat=${Status}\t${Package}\t${Version}\\n -W"
	const aptOpts = "apt-get -q -y -o DPkg::Options::=--force-confold -o DPkg::Options::=--force-confdef "
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		want any
		cmd  []string
	}{
		{"pkg.list_pkgs", nil, nil, map[string]any{"curl": "7.88.1-10", "vim": "2:9.0"}, []string{dpkg}},
		{"pkg.version", []any{"curl"}, nil, "7.88.1-10", []string{dpkg}},
		{"pkg.version", []any{"curl", "nginx"}, nil, map[string]any{"curl": "7.88.1-10", "nginx": ""}, []string{dpkg}},
		{"pkg.install", []any{"nginx"}, map[string]any{"refresh": true}, map[string]any{"nginx": map[string]any{"old": "", "new": "1.24.0-1"}},
			[]string{"apt-get -q update", dpkg, aptOpts + "install nginx", dpkg}},
		{"pkg.install", nil, map[string]any{"pkgs": []any{"nginx", map[string]any{"jq": "1.6-2"}}}, map[string]any{"jq": map[string]any{"old": "", "new": "1.6-2"}},
			[]string{dpkg, aptOpts + "--allow-downgrades install nginx jq=1.6-2", dpkg}},
		{"pkg.remove", []any{"jq"}, nil, map[string]any{"jq": map[string]any{"old": "1.6-2", "new": ""}}, []string{dpkg, "apt-get -q -y remove jq", dpkg}},
		{"pkg.remove", []any{"notthere"}, nil, map[string]any{}, []string{dpkg}},
		{"pkg.purge", []any{"nginx"}, nil, map[string]any{"nginx": map[string]any{"old": "1.24.0-1", "new": ""}}, []string{dpkg, "apt-get -q -y purge nginx", dpkg}},
		{"pkg.latest_version", []any{"curl", "nginx", "vim"}, map[string]any{"refresh": false}, map[string]any{"curl": "7.88.1-10+deb12u5", "nginx": "1.22.1-9", "vim": ""},
			[]string{dpkg, "apt-cache -q policy curl nginx vim"}},
		{"pkg.refresh_db", nil, nil, map[string]any{
			"http://deb.debian.org/debian bookworm InRelease":         nil,
			"http://deb.debian.org/debian bookworm-updates InRelease": true,
			"http://example.com/repo stable InRelease":                false,
		}, []string{"apt-get -q update"}},
	} {
		got := mustCall(t, env, c.fun, c.args, c.kw)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v %v = %v, want %v", c.fun, c.args, c.kw, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s %v ran %q, want %q", c.fun, c.args, calls, c.cmd)
		}
	}
	_, err := call(t, context.Background(), env, "pkg.install", []any{"nosuch"}, nil)
	wantKind(t, err, proto.ErrExecution, "pkg.install: ", "exit code 100", "Unable to locate package nosuch")
	wantBadArg(t, "pkg.install", []any{"-o"}, nil, env, "invalid package name")
	wantBadArg(t, "pkg.install", nil, map[string]any{"pkgs": "nginx"}, env, "pkgs")
	wantBadArg(t, "pkg.version", nil, nil, env, "at least one package")
	_, err = call(t, context.Background(), &Env{Grains: mapGrains{"os_family": "Solaris"}}, "pkg.version", []any{"x"}, nil)
	wantKind(t, err, proto.ErrExecution, "no package manager backend for os_family Solaris")
}

func TestPkgDnfAndApk(t *testing.T) {
	s := newStandIns(t, true)
	s.add(t, "rpm", `printf 'bash\t5.1.8-6.el9\nkernel\t5.14.0-1\nkernel\t5.14.0-2\n'`)
	s.add(t, "dnf", `case "$*" in *check-update) exit 100;; *"list available"*) printf 'bash.x86_64   5.1.8-9.el9   baseos\n';; esac`)
	env := &Env{Grains: mapGrains{"os_family": "RedHat"}}
	const rpm = "rpm -qa --queryformat %{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n"
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		want any
		cmd  []string
	}{
		{"pkg.list_pkgs", nil, map[string]any{"versions_as_list": true}, map[string]any{"bash": []any{"5.1.8-6.el9"}, "kernel": []any{"5.14.0-1", "5.14.0-2"}}, []string{rpm}},
		{"pkg.install", []any{"bash"}, map[string]any{"version": "5.1.8-9.el9", "fromrepo": "baseos"}, map[string]any{}, []string{rpm, "dnf -y --disablerepo=* --enablerepo=baseos install bash-5.1.8-9.el9", rpm}},
		{"pkg.refresh_db", nil, nil, true, []string{"dnf -q clean expire-cache", "dnf -q check-update"}},
		{"pkg.latest_version", []any{"bash"}, nil, "5.1.8-9.el9", []string{"dnf -q clean expire-cache", "dnf -q check-update", rpm, "dnf -q list available bash"}},
		{"pkg.remove", []any{"bash"}, nil, map[string]any{}, []string{rpm, "dnf -y remove bash", rpm}},
	} {
		got := mustCall(t, env, c.fun, c.args, c.kw)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v = %v, want %v", c.fun, c.args, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s %v ran %q, want %q", c.fun, c.args, calls, c.cmd)
		}
	}

	s.add(t, "apk", `case "$1" in info) printf 'musl-1.2.4-r2\nbusybox-1.36.1-r2\n';; version) printf 'Installed:                                Available:\nbusybox-1.36.1-r2 < 1.36.1-r5\n';; esac`)
	env = &Env{Grains: mapGrains{"os_family": "Alpine"}}
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		want any
		cmd  []string
	}{
		{"pkg.version", []any{"busybox"}, nil, "1.36.1-r2", []string{"apk info -v"}},
		{"pkg.install", []any{"curl"}, nil, map[string]any{}, []string{"apk info -v", "apk add curl", "apk info -v"}},
		{"pkg.latest_version", []any{"busybox", "musl"}, map[string]any{"refresh": false}, map[string]any{"busybox": "1.36.1-r5", "musl": ""}, []string{"apk info -v", "apk version -v -l <"}},
		{"pkg.refresh_db", nil, nil, true, []string{"apk update"}},
	} {
		got := mustCall(t, env, c.fun, c.args, c.kw)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v = %v, want %v", c.fun, c.args, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s %v ran %q, want %q", c.fun, c.args, calls, c.cmd)
		}
	}
}

// The real dpkg-query (read-only) where the host has it: the format's
// escapes and the parsing agree with the tool.
func TestPkgRealDpkgQuery(t *testing.T) {
	if !hasExec("dpkg-query") {
		t.Skip("dpkg-query is not installed")
	}
	env := &Env{Grains: mapGrains{"os_family": "Debian"}}
	v := mustCall(t, env, "pkg.version", []any{"coreutils", "brine-no-such-package"}, nil).(map[string]any)
	if v["coreutils"] == "" || v["brine-no-such-package"] != "" {
		t.Errorf("versions %v", v)
	}
	all := mustCall(t, env, "pkg.list_pkgs", nil, nil).(map[string]any)
	if all["coreutils"] != v["coreutils"] || len(all) < 10 {
		t.Errorf("list_pkgs has %d packages, coreutils %v", len(all), all["coreutils"])
	}
}
