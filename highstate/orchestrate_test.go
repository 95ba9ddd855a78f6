package highstate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brine-cm/brine/states"
)

// orchFake is a states.Orchestrator whose minions web-1..3 succeed,
// except those in failing; it records the jobs.
type orchFake struct {
	failing map[string]bool
	mu      sync.Mutex
	jobs    []string // "fun tgt"
}

func (f *orchFake) Targets(_ context.Context, tgt, tgtType string) ([]string, error) {
	if tgt == "web-*" {
		return []string{"web-1", "web-2", "web-3"}, nil
	}
	return strings.Split(tgt, ","), nil
}

func (f *orchFake) Local(ctx context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any, _ time.Duration) (map[string]states.OrchReturn, []string, error) {
	f.mu.Lock()
	f.jobs = append(f.jobs, fun+" "+tgt)
	f.mu.Unlock()
	ids, _ := f.Targets(ctx, tgt, tgtType)
	out := map[string]states.OrchReturn{}
	for _, id := range ids {
		ok := !f.failing[id]
		r := states.OrchReturn{Return: map[string]any{"cmd_|-x_|-x_|-run": map[string]any{"result": ok, "changes": map[string]any{"pid": 1}}}}
		if !ok {
			r.Retcode = 2
		}
		if fun != "state.sls" {
			r.Return = ok
		}
		out[id] = r
	}
	return out, nil, nil
}

func (f *orchFake) Runner(context.Context, string, []any, map[string]any) (any, error) {
	return true, nil
}
func (f *orchFake) Wheel(context.Context, string, []any, map[string]any) (any, error) {
	return true, nil
}

const rollingSLS = `
deploy:
  salt.state:
    - tgt: web-*
    - sls: app
    - batch: 1
notify:
  salt.function:
    - name: test.ping
    - tgt: web-1
    - require:
      - salt: deploy
cleanup:
  salt.function:
    - name: cmd.run
    - tgt: web-1
    - arg: [rm -rf /tmp/build]
    - onfail:
      - salt: deploy
`

// An orchestration's steps follow requisites: a failed rolling deploy
// makes the step requiring it fail without running, and runs its onfail.
func TestOrchestrationRequisites(t *testing.T) {
	f := &orchFake{}
	o := Options{Env: &states.Env{ID: "master", Orchestrator: f}}
	res := mustRun(t, o, map[string]string{"orch.deploy": rollingSLS}, "orch.deploy")
	wantResult(t, byID(t, res, "deploy"), "True", "Updating web-1, web-2, web-3.")
	wantResult(t, byID(t, res, "notify"), "True", "Function ran successfully.")
	wantResult(t, byID(t, res, "cleanup"), "True", "onfail")
	if want := []string{"state.sls web-1", "state.sls web-2", "state.sls web-3", "test.ping web-1"}; !equal(f.jobs, want) {
		t.Errorf("jobs %v, want %v", f.jobs, want)
	}

	f = &orchFake{failing: map[string]bool{"web-2": true}}
	o.Env.Orchestrator = f
	res = mustRun(t, o, map[string]string{"orch.deploy": rollingSLS}, "orch.deploy")
	wantResult(t, byID(t, res, "deploy"), "False", "Run failed on minions: web-2")
	wantResult(t, byID(t, res, "notify"), "False", "One or more requisite failed: orch.deploy.deploy")
	wantResult(t, byID(t, res, "cleanup"), "True", "Function ran successfully.")
	if want := []string{"state.sls web-1", "state.sls web-2", "cmd.run web-1"}; !equal(f.jobs, want) {
		t.Errorf("jobs %v, want %v", f.jobs, want)
	}
}

// failhard on a step stops the orchestration there.
func TestOrchestrationFailhard(t *testing.T) {
	f := &orchFake{failing: map[string]bool{"web-3": true}}
	o := Options{Env: &states.Env{ID: "master", Orchestrator: f}}
	res := mustRun(t, o, map[string]string{"orch": `
first:
  salt.function:
    - name: test.ping
    - tgt: web-3
    - failhard: True
second:
  salt.function:
    - name: test.ping
    - tgt: web-1
`}, "orch")
	wantResult(t, byID(t, res, "first"), "False", "failed on minions: web-3")
	wantResult(t, byID(t, res, "second"), "False", "Failhard")
	if want := []string{"test.ping web-3"}; !equal(f.jobs, want) {
		t.Errorf("jobs %v, want %v", f.jobs, want)
	}
}
