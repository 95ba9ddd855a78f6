package states

import (
	"path/filepath"
	"strings"
	"testing"
)

// fakeVenv makes a virtualenv directory whose bin/pip keeps installed
// packages as "Name version" lines in venv/installed. "install" installs
// name==X as X and other specifiers as 1.0 (--upgrade: 2.0); a package
// named broken fails, one named ghost installs nothing.
func fakeVenv(t *testing.T) (venv string) {
	venv = t.TempDir()
	writeFile(t, filepath.Join(venv, "installed"), "pip 24.0\n")
	writeFile(t, filepath.Join(venv, "bin", ".keep"), "")
	stubTool(t, filepath.Join(venv, "bin"), "pip", "V="+venv+"\n"+`echo "pip $*" >> "$V/log"
db="$V/installed"
verb=$1; shift
case "$verb" in
  list) printf '['; sep=; while read -r n v; do printf '%s{"name": "%s", "version": "%s"}' "$sep" "$n" "$v"; sep=', '; done < "$db"; echo ']' ;;
  install) up=; specs=
    while [ $# -gt 0 ]; do case "$1" in
      --upgrade) up=1 ;; --requirement) shift; specs="$specs $(grep -v '^#' "$1" | tr '\n' ' ')" ;; -*) ;; *) specs="$specs $1" ;;
    esac; shift; done
    for s in $specs; do
      n=$(echo "$s" | sed 's/[<>=!~].*//'); v=1.0; [ -n "$up" ] && v=2.0
      case "$s" in *==*) v=${s#*==} ;; esac
      case "$n" in broken) echo "ERROR: No matching distribution found for broken" >&2; exit 1 ;; ghost) continue ;; esac
      if grep -qi "^$n $v\$" "$db"; then echo "Requirement already satisfied: $n in ./lib ($v)"; continue; fi
      grep -vi "^$n " "$db" > "$db.new"; echo "$n $v" >> "$db.new"; mv "$db.new" "$db"; echo "Successfully installed $n-$v"
    done ;;
  *) exit 1 ;;
esac
`)
	return venv
}

func TestPipInstalled(t *testing.T) {
	venv := fakeVenv(t)
	snap := func() string { return readFile(t, filepath.Join(venv, "installed")) }
	first := cycle(t, nil, "pip.installed", "Flask==3.0.0", map[string]any{"bin_env": venv}, snap)
	if first.Changes["Flask==3.0.0"] != "Installed" || first.Comment != "All packages were successfully installed" {
		t.Errorf("result %+v", first)
	}
	// Names compare as PEP 503 normalises them; ranges are checked.
	want(t, apply(t, nil, "pip.installed", "flask>=2.0,<4", map[string]any{"bin_env": venv}, false), True(), false,
		"Python package flask>=2.0,<4 was already installed", "All specified packages are already installed")
	want(t, apply(t, nil, "pip.installed", "flask~=3.1", map[string]any{"bin_env": venv}, true), nil, true, "is set to be installed")

	pk := cycle(t, nil, "pip.installed", "deps", map[string]any{"bin_env": venv, "pkgs": []any{"requests", "python_dateutil==2.9.0"}}, snap)
	if pk.Changes["requests==1.0"] != "Installed" || pk.Changes["python_dateutil==2.9.0"] != "Installed" {
		t.Errorf("changes %v", pk.Changes)
	}
	// upgrade: pip runs, changes only when a version moved.
	want(t, apply(t, nil, "pip.installed", "requests", map[string]any{"bin_env": venv, "upgrade": true}, false), True(), true, "successfully installed")
	want(t, apply(t, nil, "pip.installed", "requests", map[string]any{"bin_env": venv, "upgrade": true}, false), True(), false)

	// A requirements file: pip's output tells whether anything changed.
	req := filepath.Join(t.TempDir(), "requirements.txt")
	writeFile(t, req, "# app\ncelery==5.3.0\nrequests\n")
	r := apply(t, nil, "pip.installed", "reqs", map[string]any{"bin_env": venv, "requirements": req}, false)
	want(t, r, True(), true, "Successfully processed requirements file")
	want(t, apply(t, nil, "pip.installed", "reqs", map[string]any{"bin_env": venv, "requirements": req}, false), True(), false, "Requirements were already installed.")
	want(t, apply(t, nil, "pip.installed", "reqs", map[string]any{"bin_env": venv, "requirements": req}, true), nil, false, "will be processed")

	// From the master's file server.
	fs := t.TempDir()
	writeFile(t, filepath.Join(fs, "base", "app", "requirements.txt"), "gunicorn==22.0.0\n")
	env := testEnv(t)
	env.Files = dirFiles{root: fs}
	want(t, apply(t, env, "pip.installed", "app-reqs", map[string]any{"bin_env": venv, "requirements": "salt://app/requirements.txt"}, false), True(), true, "Successfully processed requirements file salt://app/requirements.txt")
	if !strings.Contains(snap(), "gunicorn 22.0.0") {
		t.Errorf("installed:\n%s", snap())
	}

	log := readFile(t, filepath.Join(venv, "log"))
	for _, c := range []string{"pip install Flask==3.0.0\n", "pip install requests python_dateutil==2.9.0\n", "pip install --upgrade requests\n", "pip install --requirement " + req + "\n"} {
		if !strings.Contains(log, c) {
			t.Errorf("calls:\n%s\nlack %q", log, c)
		}
	}
	before := snap()
	wantFail(t, apply(t, nil, "pip.installed", "broken", map[string]any{"bin_env": venv}, false), "Failed to install packages: broken.", "No matching distribution")
	wantFail(t, apply(t, nil, "pip.installed", "ghost", map[string]any{"bin_env": venv}, false), "although it does not show")
	wantFail(t, apply(t, nil, "pip.installed", "flask=>3", map[string]any{"bin_env": venv}, false), "Invalid version specification", "=>3")
	wantFail(t, apply(t, nil, "pip.installed", "x", map[string]any{"bin_env": filepath.Join(venv, "nope")}, false), "bin_env")
	if snap() != before {
		t.Error("a failed pip.installed changed the packages")
	}
	want(t, apply(t, nil, "pip.installed", "flask", map[string]any{"bin_env": venv, "upgarde": true}, false), True(), false, "upgarde", "did you mean 'upgrade'")
}
