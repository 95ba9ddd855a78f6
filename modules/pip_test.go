package modules

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/brine-cm/brine/proto"
)

const fakePip = `echo "PIP_NO_INPUT=$PIP_NO_INPUT FOO=$FOO" >> "${0%/*}/calls.log"
case "$1" in
install) case "$*" in *broken*) echo "ERROR: No matching distribution found for broken" >&2; exit 1;; esac; echo "Successfully installed" ;;
uninstall) echo "Successfully uninstalled" ;;
freeze) printf 'requests==2.31.0\nFlask==3.0.0\n' ;;
list) echo '[{"name": "requests", "version": "2.31.0"}, {"name": "Flask", "version": "3.0.0"}]' ;;
--version) echo "pip 23.0.1 from /usr/lib/python3/dist-packages/pip (python 3.11)" ;;
esac`

func TestPip(t *testing.T) {
	s := newStandIns(t, true)
	s.add(t, "pip3", fakePip)
	venv := t.TempDir()
	if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(venv, "bin", "pip"), []byte("#!/bin/sh\necho \"venv pip $*\" >> '"+s.log+"'\necho ok\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		want any
		cmd  []string
	}{
		{"pip.freeze", nil, nil, []any{"requests==2.31.0", "Flask==3.0.0"}, []string{"pip3 freeze", "PIP_NO_INPUT=1 FOO="}},
		{"pip.list", nil, map[string]any{"prefix": "fl", "env_vars": map[string]any{"FOO": "bar"}}, map[string]any{"Flask": "3.0.0"}, []string{"pip3 list --format=json", "PIP_NO_INPUT=1 FOO=bar"}},
		{"pip.version", nil, nil, "23.0.1", []string{"pip3 --version", "PIP_NO_INPUT=1 FOO="}},
		{"pip.install", []any{"requests, flask==3.0.0"}, map[string]any{"upgrade": true, "index_url": "https://pypi.example.com/simple", "no_deps": true},
			nil, []string{"pip3 install --upgrade --no-deps --index-url=https://pypi.example.com/simple requests flask==3.0.0", "PIP_NO_INPUT=1 FOO="}},
		{"pip.uninstall", []any{[]any{"requests"}}, nil, nil, []string{"pip3 uninstall -y requests", "PIP_NO_INPUT=1 FOO="}},
		{"pip.install", nil, map[string]any{"requirements": "/srv/app/requirements.txt", "bin_env": venv}, nil, []string{"venv pip install --requirement /srv/app/requirements.txt"}},
	} {
		got := mustCall(t, nil, c.fun, c.args, c.kw)
		if m, ok := got.(map[string]any); ok && c.want == nil {
			if m["retcode"] != 0 || m["pid"] == 0 || m["stdout"] == "" {
				t.Errorf("%s = %v", c.fun, got)
			}
		} else if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v = %v, want %v", c.fun, c.args, got, c.want)
		}
		if calls := s.calls(t); !slices.Equal(calls, c.cmd) {
			t.Errorf("%s ran %q, want %q", c.fun, calls, c.cmd)
		}
	}
	_, err := call(t, context.Background(), nil, "pip.install", []any{"broken"}, nil)
	wantKind(t, err, proto.ErrExecution, "pip.install: ", "No matching distribution found for broken")
	wantBadArg(t, "pip.install", nil, nil, nil, "give pkgs")
	wantBadArg(t, "pip.install", []any{"--pre"}, nil, nil, "invalid package specifier")
}
