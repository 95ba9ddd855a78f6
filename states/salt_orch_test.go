package states

import (
	"context"
	"errors"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOrch is an Orchestrator over a fixed list of minions whose returns
// ret decides.
type fakeOrch struct {
	minions []string
	// ret is minion id's return of fun; false: it does not return.
	ret func(id, fun string, arg []any, kwarg map[string]any) (OrchReturn, bool)
	// started, when set, is called as each Local call starts (it may
	// block).
	started func(tgt string)

	runnerRet, wheelRet any
	runnerErr           error

	mu          sync.Mutex
	calls       []fakeCall
	inflight    int
	maxInflight int
}

type fakeCall struct {
	tgt, tgtType, fun string
	arg               []any
	kwarg             map[string]any
}

func (f *fakeOrch) match(tgt, tgtType string) []string {
	var out []string
	for _, id := range f.minions {
		switch tgtType {
		case "list":
			if slices.Contains(strings.Split(tgt, ","), id) {
				out = append(out, id)
			}
		default:
			if ok, _ := path.Match(tgt, id); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

func (f *fakeOrch) Targets(_ context.Context, tgt, tgtType string) ([]string, error) {
	return f.match(tgt, tgtType), nil
}

func (f *fakeOrch) Local(_ context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any, _ time.Duration) (map[string]OrchReturn, []string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{tgt, tgtType, fun, arg, kwarg})
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if f.started != nil {
		f.started(tgt)
	}
	rets := map[string]OrchReturn{}
	var missing []string
	for _, id := range f.match(tgt, tgtType) {
		if r, ok := f.ret(id, fun, arg, kwarg); ok {
			r.JID = "20240101000000000000"
			rets[id] = r
		} else {
			missing = append(missing, id)
		}
	}
	return rets, missing, nil
}

func (f *fakeOrch) Runner(_ context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{fun: "runner:" + fun, arg: arg, kwarg: kwarg})
	f.mu.Unlock()
	return f.runnerRet, f.runnerErr
}

func (f *fakeOrch) Wheel(_ context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{fun: "wheel:" + fun, arg: arg, kwarg: kwarg})
	f.mu.Unlock()
	return f.wheelRet, nil
}

func (f *fakeOrch) targets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.tgt)
	}
	return out
}

// stateRet is a minion's state.sls return: one state, failed or not,
// with or without changes.
func stateRet(ok, changed bool) OrchReturn {
	st := map[string]any{"__id__": "deploy", "__run_num__": 0, "name": "deploy", "result": ok,
		"comment": "Command \"deploy\" run", "changes": map[string]any{}}
	if changed {
		st["changes"] = map[string]any{"retcode": 0}
	}
	if !ok {
		st["comment"] = "Command \"false\" run"
	}
	r := OrchReturn{Return: map[string]any{"cmd_|-deploy_|-deploy_|-run": st}}
	if !ok {
		r.Retcode = 2
	}
	return r
}

func orchEnv(o Orchestrator) *Env {
	env := testEnv(nil)
	env.ID = "master"
	env.Orchestrator = o
	return env
}

var webs = []string{"web-1", "web-2", "web-3"}

func TestSaltStateBatchRunsOneAtATimeInOrder(t *testing.T) {
	f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return stateRet(true, true), true
	}}
	res := apply(t, orchEnv(f), "salt.state", "rolling", map[string]any{
		"tgt": "web-*", "sls": []any{"app", "web.deploy"}, "batch": 1, "pillar": map[string]any{"rev": "f5d9859"},
	}, false)
	want(t, res, True(), true, "States ran successfully.", "Updating web-1, web-2, web-3.")
	if got := f.targets(); !slices.Equal(got, webs) {
		t.Fatalf("ran on %v, want %v one by one", got, webs)
	}
	if f.maxInflight != 1 {
		t.Errorf("%d minions ran at once with batch 1", f.maxInflight)
	}
	for _, c := range f.calls {
		if c.tgtType != "list" || c.fun != "state.sls" || !reflect.DeepEqual(c.arg, []any{"app,web.deploy"}) {
			t.Errorf("call %+v", c)
		}
		if p, _ := c.kwarg["pillar"].(map[string]any); p["rev"] != "f5d9859" {
			t.Errorf("pillar not passed: %+v", c.kwarg)
		}
		if _, ok := c.kwarg["test"]; ok {
			t.Errorf("test passed outside test mode: %+v", c.kwarg)
		}
	}
	if res.Changes["out"] != "highstate" || len(res.Changes["ret"].(map[string]any)) != 3 {
		t.Errorf("changes %v", res.Changes)
	}
}

func TestSaltStateBatchStopsAtFirstFailure(t *testing.T) {
	f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return stateRet(id != "web-2", true), true
	}}
	res := apply(t, orchEnv(f), "salt.state", "rolling", map[string]any{"tgt": "web-*", "sls": "deploy", "batch": "1"}, false)
	wantFail(t, res, "Run failed on minions: web-2", "not run on: web-3", "Failures:", "web-2:", "ID: deploy",
		"Function: cmd.run", `Comment: Command "false" run`)
	if got := f.targets(); !slices.Equal(got, []string{"web-1", "web-2"}) {
		t.Fatalf("ran on %v, want web-1, web-2 and then stop", got)
	}
	// the minion that succeeded is in the changes, the failed one is not
	ret, _ := res.Changes["ret"].(map[string]any)
	if _, ok := ret["web-1"]; !ok || len(ret) != 1 {
		t.Errorf("changes %v", res.Changes)
	}
}

func TestSaltStateFailMinionsTolerated(t *testing.T) {
	for _, fm := range []any{"web-2", " web-2 ,web-9", []any{"web-2"}} {
		f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
			return stateRet(id != "web-2", false), true
		}}
		res := apply(t, orchEnv(f), "salt.state", "rolling", map[string]any{
			"tgt": "web-*", "sls": "deploy", "batch": 1, "fail_minions": fm,
		}, false)
		want(t, res, True(), false, "States ran successfully.", "No changes made to web-1, web-3.", "Failures:", "web-2:")
		if got := f.targets(); !slices.Equal(got, webs) {
			t.Errorf("fail_minions %v: ran on %v, want all three", fm, got)
		}
	}
	// allow_fail: one failure allowed whoever it is, the second fails
	f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return stateRet(id == "web-1", false), true
	}}
	res := apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "sls": "deploy", "allow_fail": 1}, false)
	wantFail(t, res, "Run failed on minions: web-2, web-3")
	f.ret = func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return stateRet(id != "web-3", false), true
	}
	want(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "sls": "deploy", "allow_fail": 1}, false), True(), false)
	wantFail(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "sls": "deploy", "allow_fail": "many"}, false), "allow_fail")
}

func TestSaltStateMissingMinionFails(t *testing.T) {
	f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return stateRet(true, false), id != "web-3"
	}}
	res := apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "sls": "deploy"}, false)
	wantFail(t, res, "Run failed on minions: web-3", "Minion did not respond")
	// in a batch, a minion that does not return stops the rolling run too
	f.ret = func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return stateRet(true, false), id != "web-1"
	}
	f.calls = nil
	wantFail(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "sls": "deploy", "batch": 1}, false),
		"Run failed on minions: web-1", "not run on: web-2, web-3")
	// allowed to be missing
	f.calls = nil
	want(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "sls": "deploy", "fail_minions": "web-1"}, false),
		True(), false, "States ran successfully.")
	// expect_minions: False ignores minions that do not return
	want(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "sls": "deploy", "expect_minions": false}, false),
		True(), false)
	// nothing matched
	wantFail(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "db-*", "sls": "deploy"}, false), "No minions returned")
	wantFail(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "db-*", "sls": "deploy", "batch": 1}, false), "No minions returned")
}

func TestSaltStateCompileErrorAndHighstate(t *testing.T) {
	f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		if id == "web-1" {
			return OrchReturn{Return: []any{"Specified SLS nope in saltenv base is not available"}, Retcode: 1}, true
		}
		return stateRet(true, false), true
	}}
	res := apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*", "highstate": true, "saltenv": "prod"}, false)
	wantFail(t, res, "Run failed on minions: web-1", "is not available")
	for _, c := range f.calls {
		if c.fun != "state.highstate" || len(c.arg) != 0 || c.kwarg["saltenv"] != "prod" {
			t.Errorf("call %+v", c)
		}
	}
	wantFail(t, apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-*"}, false), "No highstate or sls specified")
}

func TestSaltStateTestMode(t *testing.T) {
	f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		r := stateRet(true, true)
		if kw["test"] == true {
			st := r.Return.(map[string]any)["cmd_|-deploy_|-deploy_|-run"].(map[string]any)
			st["result"] = nil
		}
		return r, true
	}}
	res := apply(t, orchEnv(f), "salt.state", "x", map[string]any{"tgt": "web-1", "sls": "deploy"}, true)
	want(t, res, nil, true, "Updating web-1")
	if len(f.calls) != 1 || f.calls[0].kwarg["test"] != true {
		t.Fatalf("test mode must run the minions' states with test=True: %+v", f.calls)
	}
}

func TestSaltFunction(t *testing.T) {
	f := &fakeOrch{minions: webs, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		switch id {
		case "web-2":
			return OrchReturn{Return: "ERROR: boom", Retcode: 1, Error: "boom"}, true
		case "web-3":
			return OrchReturn{Return: false}, true
		}
		return OrchReturn{Return: "ok"}, true
	}}
	env := orchEnv(f)
	res := apply(t, env, "salt.function", "cmd.run", map[string]any{
		"tgt": []any{"web-1"}, "arg": "echo hi", "kwarg": map[string]any{"cwd": "/srv"},
	}, false)
	want(t, res, True(), true, "Function ran successfully. Function cmd.run ran on web-1.")
	c := f.calls[0]
	if c.tgt != "web-1" || c.tgtType != "list" || c.fun != "cmd.run" || !reflect.DeepEqual(c.arg, []any{"echo", "hi"}) || c.kwarg["cwd"] != "/srv" {
		t.Errorf("call %+v", c)
	}
	if ret := res.Changes["ret"].(map[string]any); ret["web-1"] != "ok" || res.Changes["out"] != "highstate" {
		t.Errorf("changes %v", res.Changes)
	}

	res = apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": "web-*", "expr_form": "glob"}, false)
	wantFail(t, res, "Running function test.ping failed on minions: web-2, web-3.")
	res = apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": "web-*", "fail_minions": []any{"web-2", "web-3"}}, false)
	want(t, res, True(), true, "Function ran successfully.")

	// batch: stop after the first failure
	f.calls = nil
	res = apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": "web-*", "batch": 1}, false)
	wantFail(t, res, "failed on minions: web-2", "not run on: web-3")
	if got := f.targets(); !slices.Equal(got, []string{"web-1", "web-2"}) {
		t.Errorf("ran on %v", got)
	}

	// missing minions fail
	f.ret = func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return OrchReturn{Return: true}, id == "web-1"
	}
	res = apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": "web-*"}, false)
	wantFail(t, res, "failed on minions: web-2, web-3", "did not return: web-2, web-3")
	if res.Changes["ret"].(map[string]any)["web-2"] != noResponse {
		t.Errorf("changes %v", res.Changes)
	}
	wantFail(t, apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": "nope"}, false), "No minions responded")

	// test mode runs nothing
	f.calls = nil
	res = apply(t, env, "salt.function", "cmd.run", map[string]any{"tgt": "web-*", "arg": []any{"rm -rf /srv/app"}}, true)
	want(t, res, nil, false, "Function cmd.run would be executed on target web-*")
	if len(f.calls) != 0 {
		t.Errorf("test mode ran %v", f.calls)
	}

	// bad arguments
	wantFail(t, apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": "web-*", "batch": "0"}, false), "batch")
	wantFail(t, apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": "web-*", "batch": "x%"}, false), "batch")
	wantFail(t, apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": ""}, false), "tgt")
	wantFail(t, apply(t, env, "salt.function", "test.ping", map[string]any{"tgt": []any{"a"}, "tgt_type": "grain"}, false), "tgt_type list")
	wantFail(t, apply(t, env, "salt.function", "test.ping", nil, false), "'tgt'")
}

// With batch N, N minions run at once (the first two must overlap), and
// never more.
func TestBatchWindow(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	both := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	started := map[string]bool{}
	f := &fakeOrch{minions: ids, ret: func(id, fun string, arg []any, kw map[string]any) (OrchReturn, bool) {
		return OrchReturn{Return: true}, true
	}}
	f.started = func(tgt string) {
		mu.Lock()
		started[tgt] = true
		if started["a"] && started["b"] {
			once.Do(func() { close(both) })
		}
		mu.Unlock()
		if tgt == "a" || tgt == "b" {
			select {
			case <-both:
			case <-time.After(10 * time.Second):
				t.Error("a and b did not run at the same time with batch 2")
			}
		}
	}
	want(t, apply(t, orchEnv(f), "salt.function", "test.ping", map[string]any{"tgt": "*", "batch": 2}, false), True(), true)
	if f.maxInflight != 2 || len(f.calls) != 5 {
		t.Errorf("max %d at once over %d calls, want 2 over 5", f.maxInflight, len(f.calls))
	}
	// 40% of 5 is 2
	f.calls, f.maxInflight = nil, 0
	want(t, apply(t, orchEnv(f), "salt.function", "test.ping", map[string]any{"tgt": "*", "batch": "40%"}, false), True(), true)
	if f.maxInflight > 2 || len(f.calls) != 5 {
		t.Errorf("max %d at once over %d calls", f.maxInflight, len(f.calls))
	}
	for _, tc := range []struct {
		s         string
		total, n  int
		wantError bool
	}{{"1", 3, 1, false}, {"10%", 3, 1, false}, {"50%", 3, 2, false}, {"100%", 3, 3, false}, {"5", 3, 5, false},
		{"0", 3, 0, true}, {"-1", 3, 0, true}, {"150%", 3, 0, true}, {"x", 3, 0, true}} {
		n, err := batchSize(tc.s, tc.total)
		if (err != nil) != tc.wantError || n != tc.n {
			t.Errorf("batchSize(%q, %d) = %d, %v", tc.s, tc.total, n, err)
		}
	}
}

func TestSaltRunnerAndWheel(t *testing.T) {
	f := &fakeOrch{runnerRet: []any{"web-1"}, wheelRet: map[string]any{"minions": []any{"web-9"}}}
	env := orchEnv(f)
	res := apply(t, env, "salt.runner", "manage.up", map[string]any{"timeout": 3, "kwarg": map[string]any{"a": 1}}, false)
	want(t, res, True(), true, "Runner function 'manage.up' executed.")
	c := f.calls[0]
	if c.fun != "runner:manage.up" || c.kwarg["timeout"] != 3 || c.kwarg["a"] != 1 || len(c.kwarg) != 2 {
		t.Errorf("runner call %+v", c)
	}
	if !reflect.DeepEqual(res.Changes["return"], []any{"web-1"}) {
		t.Errorf("changes %v", res.Changes)
	}
	res = apply(t, env, "salt.wheel", "key.accept", map[string]any{"match": "web-9"}, false)
	want(t, res, True(), true, "Wheel function 'key.accept' executed.")
	if c := f.calls[1]; c.fun != "wheel:key.accept" || c.kwarg["match"] != "web-9" || len(c.kwarg) != 1 {
		t.Errorf("wheel call %+v", c)
	}
	// failures: an error, an Error mapping, a failed nested orchestration
	f.runnerErr = errors.New("runner \"nope.x\" is not available")
	wantFail(t, apply(t, env, "salt.runner", "nope.x", nil, false), "Runner function 'nope.x' failed", "not available")
	f.runnerErr = nil
	f.runnerRet = map[string]any{"Error": "bad"}
	wantFail(t, apply(t, env, "salt.runner", "x.y", nil, false), "Runner function 'x.y' failed.")
	f.runnerRet = map[string]any{"data": map[string]any{}, "outputter": "highstate", "retcode": 1}
	wantFail(t, apply(t, env, "salt.runner", "state.orchestrate", map[string]any{"mods": "orch.sub"}, false), "failed")
	// test mode
	n := len(f.calls)
	want(t, apply(t, env, "salt.runner", "manage.up", nil, true), nil, false, "Runner function 'manage.up' would be executed.")
	want(t, apply(t, env, "salt.wheel", "key.delete", map[string]any{"match": "x"}, true), nil, false, "Wheel function 'key.delete' would be executed.")
	if len(f.calls) != n {
		t.Errorf("test mode ran %v", f.calls[n:])
	}
}

func TestSaltStatesNeedTheMaster(t *testing.T) {
	for _, fun := range []string{"salt.function", "salt.state", "salt.runner", "salt.wheel"} {
		wantFail(t, apply(t, nil, fun, "test.ping", map[string]any{"tgt": "*", "sls": "x"}, false), "orchestration", "state.orchestrate")
	}
}

func TestCheckResult(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{map[string]any{"a": map[string]any{"result": true}, "b": map[string]any{"result": nil}}, true},
		{map[string]any{"a": map[string]any{"result": false}}, false},
		{map[string]any{"m": map[string]any{"a": map[string]any{"result": false}}}, false},
		{map[string]any{"m": map[string]any{"a": map[string]any{"result": true}}}, true},
		{map[string]any{}, false},
		{[]any{"error"}, false},
		{"ERROR", false},
		{map[string]any{"a": "x"}, false},
	} {
		if got := checkResult(tc.v); got != tc.want {
			t.Errorf("checkResult(%v) = %v", tc.v, got)
		}
	}
}
