package states

import (
	"path/filepath"
	"strings"
	"testing"
)

// fakeNpm puts an npm on PATH keeping installed packages as "name version"
// lines: global ones in its own file, a project's in DIR/.installed.
// "npm install name@x" installs version x (^x and ~x: x; none: 1.0.0);
// a package named broken fails, one named ghost installs nothing.
func fakeNpm(t *testing.T) (global, log string) {
	bin := t.TempDir()
	global, log = filepath.Join(bin, "global"), filepath.Join(bin, "log")
	writeFile(t, global, "")
	stubTool(t, bin, "npm", "G="+global+"\nLOG="+log+"\n"+`echo "npm $* (in $PWD)" >> "$LOG"
db=$PWD/.installed
for a in "$@"; do [ "$a" = --global ] && db=$G; done
verb=$1; shift
case "$verb" in
  list) [ -f "$db" ] || db=/dev/null; printf '{"name":"x","dependencies":{'; sep=
    while read -r n v; do printf '%s"%s":{"version":"%s"}' "$sep" "$n" "$v"; sep=,; done < "${db}"; echo '}}' ;;
  install) for a in "$@"; do case "$a" in -*) continue ;; esac
      case "$a" in broken*) echo "npm ERR! 404 Not Found - GET https://registry.npmjs.org/broken" >&2; exit 1 ;; ghost*) continue ;; esac
      case "$a" in @*) n="@$(echo "${a#@}" | cut -d@ -f1)"; v=$(echo "${a#@}" | cut -s -d@ -f2) ;; *) n=${a%%@*}; v=$(echo "$a" | cut -s -d@ -f2) ;; esac
      v=${v#^}; v=${v#\~}; [ -n "$v" ] || v=1.0.0
      touch "$db"; grep -v "^$n " "$db" > "$db.new"; echo "$n $v" >> "$db.new"; mv "$db.new" "$db"
    done; echo '{"added":1}' ;;
  *) exit 1 ;;
esac
`)
	onPath(t, bin)
	return global, log
}

func TestNpmInstalled(t *testing.T) {
	global, log := fakeNpm(t)
	snap := func() string { return readFile(t, global) }
	first := cycle(t, nil, "npm.installed", "less@4.2.0", nil, snap)
	if first.Comment != "Package(s) 'less@4.2.0' successfully installed" || first.Changes["new"].([]any)[0] != "less@4.2.0" {
		t.Errorf("result %+v", first)
	}
	want(t, apply(t, nil, "npm.installed", "less", nil, false), True(), false, "Package(s) 'less' satisfied by less@4.2.0")
	// A newer version is installed over it; a caret range is satisfied.
	want(t, apply(t, nil, "npm.installed", "less@4.3.1", nil, false), True(), true, "successfully installed")
	want(t, apply(t, nil, "npm.installed", "less@^4.2.0", nil, false), True(), false, "satisfied by less@4.3.1")

	// A project directory, several packages, a scoped one, a registry.
	proj := t.TempDir()
	args := map[string]any{"dir": proj, "pkgs": []any{"@babel/core@7.24.0", "grunt"}, "registry": "https://npm.example", "env": map[string]any{"NODE_ENV": "production"}}
	p := cycle(t, nil, "npm.installed", "deps", args, snapshotTree(t, proj))
	if p.Comment != "Package(s) '@babel/core@7.24.0, grunt' successfully installed" {
		t.Errorf("comment %q", p.Comment)
	}
	calls := readFile(t, log)
	if !strings.Contains(calls, "npm install --json --silent --registry=https://npm.example @babel/core@7.24.0 grunt (in "+proj+")") ||
		!strings.Contains(calls, "npm install --json --silent --global less@4.2.0 (in ") {
		t.Errorf("calls:\n%s", calls)
	}
	before := snap()
	wantFail(t, apply(t, nil, "npm.installed", "broken", nil, false), "Error installing 'broken'", "404 Not Found")
	wantFail(t, apply(t, nil, "npm.installed", "ghost", nil, false), "npm list does not show ghost")
	wantFail(t, apply(t, nil, "npm.installed", "x", map[string]any{"dir": "relative"}, false), "'dir'", "absolute")
	wantFail(t, apply(t, nil, "npm.installed", "x", map[string]any{"dir": filepath.Join(proj, "missing")}, false), "Error looking up 'x'")
	if snap() != before {
		t.Error("a failed npm.installed changed the global packages")
	}
}

// A registry URL's password never shows in the state's return, even
// when npm fails and the command line is quoted.
func TestNpmInstalledRegistryPasswordNotInReturn(t *testing.T) {
	fakeNpm(t)
	args := map[string]any{"registry": "https://deploy:s3cr3t-token@npm.example/"}
	res := apply(t, nil, "npm.installed", "broken", args, false)
	wantFail(t, res, "Error installing 'broken'", "404 Not Found")
	if s := fmtAny(res); strings.Contains(s, "s3cr3t-token") {
		t.Errorf("the registry password is in the return: %s", s)
	}
}
