package states

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// fakeExec stands in for the minion's execution modules.
type fakeExec struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeExec) HasFunction(fun string) bool {
	switch fun {
	case "test.arg", "test.false", "test.fail", "state.single", "cmd.retcode":
		return true
	}
	return false
}

func (f *fakeExec) CallFunction(_ context.Context, fun string, args []any, kwargs map[string]any) (any, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("%s %v %v", fun, args, kwargs))
	f.mu.Unlock()
	switch fun {
	case "test.false":
		return false, nil
	case "test.fail":
		return nil, errors.New("test.fail: it failed on purpose")
	case "state.single":
		return map[string]any{"file_|-x_|-x_|-managed": map[string]any{"result": false, "comment": "nested"}}, nil
	case "cmd.retcode":
		return 3, nil
	}
	return map[string]any{"args": args, "kwargs": kwargs}, nil
}

func (f *fakeExec) list() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, "|")
}

func execEnv(t *testing.T) (*Env, *fakeExec) {
	env := testEnv(t)
	ex := &fakeExec{}
	env.Exec = ex
	return env, ex
}

func TestModuleRunNewSyntax(t *testing.T) {
	env, ex := execEnv(t)
	args := map[string]any{"test.arg": []any{"a", 2, map[string]any{"k": "v"}}, "cmd.retcode": []any{"true"}}
	res := apply(t, env, "module.run", "restart", args, true)
	want(t, res, nil, false, "Functions cmd.retcode, test.arg to be executed.")
	if ex.list() != "" {
		t.Fatalf("test mode called %s", ex.list())
	}
	res = apply(t, env, "module.run", "restart", args, false)
	want(t, res, True(), true, "cmd.retcode: 3", "test.arg: Success") // a mapping without a comment, as Salt says
	if got := ex.list(); got != "cmd.retcode [true] map[]|test.arg [a 2] map[k:v]" {
		t.Errorf("calls %q", got)
	}
	if res.Changes["cmd.retcode"] != 3 {
		t.Errorf("changes %v", res.Changes)
	}
	// the same function twice, with a suffix
	res = apply(t, env, "module.run", "twice", map[string]any{"test.arg:1": []any{"x"}, "test.arg:2": nil}, false)
	want(t, res, True(), true, "test.arg:1: ", "test.arg:2: ")
}

func TestModuleRunFailures(t *testing.T) {
	env, ex := execEnv(t)
	wantFail(t, apply(t, env, "module.run", "x", map[string]any{"no.such": nil, "nor.this": []any{}}, true), "Unavailable functions: no.such, nor.this.")
	wantFail(t, apply(t, env, "module.run", "x", map[string]any{"test.false": nil}, false), "'test.false': False")
	wantFail(t, apply(t, env, "module.run", "x", map[string]any{"test.fail": nil, "test.arg": nil}, false), "'test.fail' failed: test.fail: it failed on purpose", "test.arg: ")
	wantFail(t, apply(t, env, "module.run", "x", map[string]any{"state.single": nil}, false), "'state.single' failed: (error message N/A)")
	wantFail(t, apply(t, testEnv(t), "module.run", "x", map[string]any{"test.arg": nil}, false), "execution modules are not available here")
	wantFail(t, apply(t, env, "module.run", "x", map[string]any{"test.arg": nil, "returner": "mysql"}, false), "returner 'mysql' is not supported")
	if strings.Contains(ex.list(), "no.such") {
		t.Errorf("called a missing function: %s", ex.list())
	}
}

func TestModuleRunLegacySyntax(t *testing.T) {
	env, ex := execEnv(t)
	args := map[string]any{"m_name": "web", "args": []any{"p1"}, "kwargs": map[string]any{"extra": 1}, "timeout": 5}
	res := apply(t, env, "module.run", "test.arg", args, true)
	want(t, res, nil, false, "Module function test.arg is set to execute")
	res = apply(t, env, "module.run", "test.arg", args, false)
	want(t, res, True(), true, "Module function test.arg executed")
	if got := ex.list(); got != "test.arg [p1] map[extra:1 name:web timeout:5]" {
		t.Errorf("calls %q", got)
	}
	if _, ok := res.Changes["ret"]; !ok {
		t.Errorf("changes %v", res.Changes)
	}
	wantFail(t, apply(t, env, "module.run", "no.such", nil, false), "Module function no.such is not available")
	wantFail(t, apply(t, env, "module.run", "test.fail", map[string]any{"x": 1}, false), "Module function test.fail threw an exception. Exception: test.fail: it failed on purpose")
	wantFail(t, apply(t, env, "module.run", "test.arg", map[string]any{"args": "notalist"}, false), "'args' must be a list.")
	wantFail(t, apply(t, env, "module.run", "test.false", map[string]any{"m_name": "x"}, false), "Module function test.false executed")
}

func TestModuleWait(t *testing.T) {
	env, ex := execEnv(t)
	args := map[string]any{"test.arg": []any{"a"}}
	res := apply(t, env, "module.wait", "w", args, false)
	want(t, res, True(), false)
	if ex.list() != "" {
		t.Fatalf("module.wait ran %s without a watch", ex.list())
	}
	res = modWatch(t, env, "module.wait", "w", args, true)
	want(t, res, nil, false, "Function test.arg to be executed.")
	res = modWatch(t, env, "module.wait", "w", args, false)
	want(t, res, True(), true, "test.arg: ")
	if ex.list() != "test.arg [a] map[]" {
		t.Errorf("calls %q", ex.list())
	}
	// a missing function is reported at once, not when a watch fires
	wantFail(t, apply(t, env, "module.wait", "w", map[string]any{"no.such": nil}, false), "Unavailable function: no.such.")
	wantFail(t, apply(t, env, "module.wait", "no.such", map[string]any{"m_name": "x"}, false), "Module function no.such is not available")
}
