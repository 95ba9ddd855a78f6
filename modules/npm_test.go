package modules

import (
	"context"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/brine-cm/brine/proto"
)

const fakeNpm = `echo "cwd=$(pwd) THEME=$THEME" >> "${0%/*}/calls.log"
case "$1" in
install) case "$*" in *broken*) echo "npm ERR! 404 Not Found - broken" >&2; exit 1;; esac
  echo "npm WARN deprecated x"; echo '{"added": 3, "removed": 0}' ;;
uninstall) exit 0 ;;
list) echo '{"name": "theme", "dependencies": {"gulp": {"version": "4.0.2"}}}'; exit 1 ;;
esac`

func TestNpm(t *testing.T) {
	s := newStandIns(t, true)
	s.add(t, "npm", fakeNpm)
	theme := t.TempDir()
	me := mustUserName(t)
	wd, err := os.Getwd() // a global install runs in the minion's own directory
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		want any
		cmd  []string
	}{
		// seed 004: npm.install with runas and dir installs package.json's dependencies
		{"npm.install", nil, map[string]any{"runas": me, "dir": theme}, map[string]any{"added": 3.0, "removed": 0.0},
			[]string{"npm install --json --silent", "cwd=" + theme + " THEME="}},
		{"npm.install", []any{"gulp-cli"}, map[string]any{"registry": "https://r.example.com", "env": map[string]any{"THEME": "dark"}}, map[string]any{"added": 3.0, "removed": 0.0},
			[]string{"npm install --json --silent --global --registry=https://r.example.com gulp-cli", "cwd=" + wd + " THEME=dark"}},
		{"npm.install", nil, map[string]any{"pkgs": []any{"a", "b@2"}, "dir": theme, "silent": false, "dry_run": true}, map[string]any{"added": 3.0, "removed": 0.0},
			[]string{"npm install --json --dry-run a b@2", "cwd=" + theme + " THEME="}},
		{"npm.uninstall", []any{"gulp"}, map[string]any{"dir": theme}, true, []string{"npm uninstall --silent gulp", "cwd=" + theme + " THEME="}},
		{"npm.list", nil, map[string]any{"dir": theme, "depth": 0}, map[string]any{"gulp": map[string]any{"version": "4.0.2"}},
			[]string{"npm list --json --silent --depth=0", "cwd=" + theme + " THEME="}},
	} {
		got := mustCall(t, nil, c.fun, c.args, c.kw)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v %v = %v, want %v", c.fun, c.args, c.kw, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s ran %q, want %q", c.fun, calls, c.cmd)
		}
	}
	_, err = call(t, context.Background(), nil, "npm.install", []any{"broken"}, map[string]any{"dir": theme})
	wantKind(t, err, proto.ErrExecution, "npm.install: ", "404 Not Found")
	wantBadArg(t, "npm.install", nil, nil, nil, "give pkg or pkgs")
	wantBadArg(t, "npm.install", []any{"--unsafe-perm"}, map[string]any{"dir": theme}, nil, "invalid package name")
	_, err = call(t, context.Background(), nil, "npm.install", nil, map[string]any{"dir": theme + "/missing"})
	wantKind(t, err, proto.ErrExecution, "does not exist")
}
