package pyrender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/render"
)

func interp(t *testing.T) *Interp {
	t.Helper()
	py, err := FindPython()
	if err != nil {
		t.Skip(err)
	}
	p := New(py, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { p.Close() })
	return p
}

// keys is a rendered mapping's key order.
func keys(m *render.Map) []string { return m.Keys }

const reactorPy = `#!py
import json

def run():
    """A reactor as the seeds write them."""
    name = data.get('name', 'none')
    out = __salt__['test.echo'](name, upper=True)
    ret = {}
    ret['zeta_' + tag.split('/')[-1]] = {
        'local.cmd.run': [
            {'tgt': __grains__.get('id', 'x')},
            {'arg': [out, __opts__['github']['secret'], __pillar__['p'], saltenv, sls]},
        ]
    }
    ret['alpha'] = {'runner.test.arg': [{'arg': [1, 2.5, None, True, json.dumps([1])]}]}
    return ret
`

func TestRenderReactor(t *testing.T) {
	p := interp(t)
	var calls []string
	v := Vars{
		Salt: func(ctx context.Context, fun string, args []any, kw map[string]any) (any, error) {
			calls = append(calls, fmt.Sprint(fun, args, kw))
			return strings.ToUpper(args[0].(string)), nil
		},
		Globals: map[string]any{
			"tag": "github/push", "data": map[string]any{"name": "brine"}, "grains": map[string]any{"id": "master"},
			"opts": map[string]any{"github": map[string]any{"secret": "s"}}, "pillar": &render.Map{Keys: []string{"p"}, Values: map[string]any{"p": "pv"}},
			"saltenv": "base", "sls": "reactor.push",
		},
	}
	m, err := p.Render(context.Background(), []byte(reactorPy), "/srv/reactor/push.sls", v)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys(m), []string{"zeta_push", "alpha"}) {
		t.Errorf("order %v", keys(m))
	}
	z, _ := m.Get("zeta_push")
	steps, _ := z.(*render.Map).Get("local.cmd.run")
	arg, _ := steps.([]any)[1].(*render.Map).Get("arg")
	if !reflect.DeepEqual(arg, []any{"BRINE", "s", "pv", "base", "reactor.push"}) {
		t.Errorf("arg %#v", arg)
	}
	a, _ := m.Get("alpha")
	st, _ := a.(*render.Map).Get("runner.test.arg")
	arg, _ = st.([]any)[0].(*render.Map).Get("arg")
	if !reflect.DeepEqual(arg, []any{1, 2.5, nil, true, "[1]"}) {
		t.Errorf("types %#v", arg)
	}
	if !reflect.DeepEqual(calls, []string{"test.echo[brine] map[upper:true]"}) {
		t.Errorf("calls %v", calls)
	}
	// warm: a second render reuses the interpreter and is fast
	pid := p.proc.cmd.Process.Pid
	start := time.Now()
	if _, err := p.Render(context.Background(), []byte(reactorPy), "/srv/reactor/push.sls", v); err != nil {
		t.Fatal(err)
	}
	if p.proc.cmd.Process.Pid != pid {
		t.Error("the interpreter was restarted")
	}
	t.Logf("warm render: %v", time.Since(start))
}

func TestRenderErrors(t *testing.T) {
	p := interp(t)
	v := Vars{Salt: func(ctx context.Context, fun string, args []any, kw map[string]any) (any, error) {
		return nil, errors.New("'" + fun + "' is not available")
	}}
	for _, c := range []struct {
		src, want string
		line      int
	}{
		{"#!py\ndef run():\n    return {'a': undefined_name}\n", "NameError: name 'undefined_name' is not defined", 3},
		{"#!py\ndef run(:\n", "SyntaxError", 2},
		{"#!py\nx = 1\n", "has no run() function", 0},
		{"#!py\ndef run():\n    return __salt__['file.search']('/x', 'BACKUP')\n", "CommandExecutionError: 'file.search' is not available", 3},
		{"#!py\nimport sys\ndef run():\n    sys.exit(3)\n", "SystemExit: 3", 4},
		{"#!py\ndef run():\n    return [1]\n", "run() returned a list, not a mapping", 0},
		{"#!py\ndef run():\n    return {'a': object()}\n", "not JSON serializable", 0},
	} {
		_, err := p.Render(context.Background(), []byte(c.src), "bad.sls", v)
		var re *render.Error
		if !errors.As(err, &re) || !strings.Contains(re.Msg, c.want) || re.Line != c.line || re.File != "bad.sls" {
			t.Errorf("%q: %v (line %v)", c.src, err, re)
		}
	}
	_, err := p.Render(context.Background(), []byte("#!py\ndef run():\n    return {'a': undefined_name}\n"), "bad.sls", v)
	if err == nil || !strings.Contains(err.Error(), `File "bad.sls", line 3, in run`) || !strings.Contains(err.Error(), "return {'a': undefined_name}") {
		t.Errorf("traceback: %v", err)
	}
	// the interpreter survived the errors
	m, err := p.Render(context.Background(), []byte("#!py\ndef run():\n    return {'ok': 'salt.x' in __salt__}\n"), "ok.sls", Vars{Has: func(f string) bool { return f == "salt.x" }})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Get("ok"); v != true {
		t.Errorf("has: %v", v)
	}
}

func TestRenderCancelled(t *testing.T) {
	p := interp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := p.Render(ctx, []byte("#!py\nimport time\ndef run():\n    time.sleep(60)\n"), "slow.sls", Vars{})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	// the next render starts a new interpreter
	if _, err := p.Render(context.Background(), []byte("#!py\ndef run():\n    return {}\n"), "ok.sls", Vars{}); err != nil {
		t.Fatal(err)
	}
}

func TestIsPy(t *testing.T) {
	for text, want := range map[string]bool{"#!py\n": true, "#!py": true, "#! py\nx": true, "#!pyobjects\n": false, "#!jinja|yaml\n": false, "py": false} {
		if IsPy([]byte(text)) != want {
			t.Errorf("IsPy(%q) != %v", text, want)
		}
	}
}

func TestCheck(t *testing.T) {
	p := interp(t)
	if err := p.Check(context.Background(), []byte("#!py\ndef run():\n    return data['x']\n"), "ok.sls"); err != nil {
		t.Errorf("check ran the file: %v", err)
	}
	err := p.Check(context.Background(), []byte("#!py\n\ndef run(:\n"), "bad.sls")
	var re *render.Error
	if !errors.As(err, &re) || re.Line != 3 || !strings.Contains(re.Msg, "SyntaxError") {
		t.Errorf("syntax error: %v", err)
	}
}

func TestPythonConfigured(t *testing.T) {
	if _, err := Python("/nonexistent/python3"); err == nil || !strings.HasPrefix(err.Error(), "py_interpreter: /nonexistent/python3: ") {
		t.Errorf("missing interpreter: %v", err)
	}
	sh, err := Python("sh") // a name is looked up on PATH
	if err != nil || !filepath.IsAbs(sh) {
		t.Errorf("Python(sh) = %q, %v", sh, err)
	}
}
