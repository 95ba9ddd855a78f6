package modules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/pyrender"
)

const pySLS = `#!py
def run():
    out = {}
    for user in __pillar__['users']:
        out['greet-' + user] = {
            'test.succeed_without_changes': [
                {'name': __salt__['test.echo']('hello ' + user) + ' on ' + __grains__['id']},
            ],
        }
    return out
`

func TestStatePySLS(t *testing.T) {
	if _, err := pyrender.FindPython(); err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	writeT(t, filepath.Join(root, "greet.sls"), pySLS)
	writeT(t, filepath.Join(root, "broken.sls"), "#!py\ndef run():\n    return {'x': __salt__['nope.fun']()}\n")
	env := &Env{ID: "web-1", Grains: mapGrains{"id": "web-1"}, Files: treeFiles{root},
		Master: &fakeMaster{cached: map[string]any{"users": []any{"ann", "bob"}}, fresh: map[string]any{"users": []any{"ann", "bob"}}}}
	s := fmt.Sprint(mustCall(t, env, "state.show_sls", []any{"greet"}, nil))
	for _, want := range []string{"greet-ann", "greet-bob", "hello ann on web-1", "hello bob on web-1", "succeed_without_changes"} {
		if !strings.Contains(s, want) {
			t.Errorf("show_sls lacks %q: %s", want, s)
		}
	}
	// a missing function raises in Python and fails the render
	v, err := call(t, context.Background(), env, "state.show_sls", []any{"broken"}, nil)
	if msg := fmt.Sprint(v, err); !strings.Contains(msg, "broken.sls:3") || !strings.Contains(msg, "CommandExecutionError: 'nope.fun' is not available") {
		t.Errorf("broken: %s", msg)
	}
}

// A #!pyobjects SLS applies on the minion: factories named after the
// minion's states, a requisite context, the pillar and grains shortcuts.
func TestStatePyobjectsSLS(t *testing.T) {
	if _, err := pyrender.FindPython(); err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	out := filepath.Join(t.TempDir(), "motd")
	writeT(t, filepath.Join(root, "motd.sls"), `#!pyobjects
with File.directory('`+filepath.Dir(out)+`'):
    File.managed('`+out+`', contents=pillar('motd:text', 'none') + ' on ' + grains('id'))
Test.succeed_without_changes('checked', require=[File('`+out+`')])
`)
	env := &Env{ID: "web-1", Grains: mapGrains{"id": "web-1"}, Files: treeFiles{root},
		Master: &fakeMaster{cached: map[string]any{"motd": map[string]any{"text": "hello"}}, fresh: map[string]any{"motd": map[string]any{"text": "hello"}}}}
	ret := fmt.Sprint(mustCall(t, env, "state.apply", []any{"motd"}, nil))
	if b, err := os.ReadFile(out); err != nil || strings.TrimSpace(string(b)) != "hello on web-1" {
		t.Fatalf("motd %q %v; return %s", b, err, ret)
	}
	for _, want := range []string{"test_|-checked_|-checked_|-succeed_without_changes", "Success!"} {
		if !strings.Contains(ret, want) {
			t.Errorf("return lacks %q: %s", want, ret)
		}
	}
	writeT(t, filepath.Join(root, "typo.sls"), "#!pyobjects\nFile.manage('/tmp/x')\n")
	v, err := call(t, context.Background(), env, "state.show_sls", []any{"typo"}, nil)
	if msg := fmt.Sprint(v, err); !strings.Contains(msg, "typo.sls:2") || !strings.Contains(msg, "The function 'manage' does not exist in the StateFactory for 'file'") {
		t.Errorf("typo: %s", msg)
	}
	// the minion's py_interpreter is the interpreter, never another
	env.Opts = map[string]any{"py_interpreter": "/nonexistent/python3"}
	v, err = call(t, context.Background(), env, "state.show_sls", []any{"motd"}, nil)
	if msg := fmt.Sprint(v, err); !strings.Contains(msg, "motd.sls:1") || !strings.Contains(msg, "py_interpreter: /nonexistent/python3: ") {
		t.Errorf("missing interpreter: %s", msg)
	}
}
