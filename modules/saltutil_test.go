package modules

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/brine-cm/brine/proto"
)

type fakeJobs struct {
	mu     sync.Mutex
	jobs   []map[string]any
	killed []string
}

func (f *fakeJobs) Running() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.jobs...)
}

func (f *fakeJobs) Kill(jid string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, j := range f.jobs {
		if j["jid"] == jid {
			f.jobs = append(f.jobs[:i], f.jobs[i+1:]...)
			f.killed = append(f.killed, jid)
			return true
		}
	}
	return false
}

func TestSaltutil(t *testing.T) {
	const jid = "20261201123456789012"
	job := map[string]any{"jid": jid, "fun": "test.sleep", "arg": []any{60}, "pid": 42}
	jobs := &fakeJobs{jobs: []map[string]any{job}}
	env := &Env{ID: "m1", Jobs: jobs}

	got := mustCall(t, env, "saltutil.running", nil, nil)
	if !reflect.DeepEqual(got, []any{job}) {
		t.Errorf("saltutil.running = %#v", got)
	}
	if got := mustCall(t, env, "saltutil.find_job", []any{jid}, nil); !reflect.DeepEqual(got, job) {
		t.Errorf("saltutil.find_job = %#v", got)
	}
	if got := mustCall(t, env, "saltutil.find_job", []any{"20260101000000000000"}, nil); !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("saltutil.find_job unknown = %#v", got)
	}
	if got := mustCall(t, env, "saltutil.kill_job", nil, map[string]any{"jid": jid}); got != true {
		t.Errorf("saltutil.kill_job = %#v", got)
	}
	if !reflect.DeepEqual(jobs.killed, []string{jid}) {
		t.Errorf("killed = %v", jobs.killed)
	}
	_, err := call(t, context.Background(), env, "saltutil.kill_job", []any{jid}, nil)
	wantKind(t, err, proto.ErrNotFound, jid, "not running")
	if got := mustCall(t, env, "saltutil.running", nil, nil); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("saltutil.running after kill = %#v", got)
	}

	wantBadArg(t, "saltutil.kill_job", nil, nil, env, "'jid'")
	wantBadArg(t, "saltutil.kill_job", []any{[]any{jid}}, nil, env, "'jid'")
	wantBadArg(t, "saltutil.kill_job", []any{2.0261201123456789e19}, nil, env, "quote the jid")
	wantBadArg(t, "saltutil.find_job", []any{""}, nil, env, "'jid'")

	_, err = call(t, context.Background(), &Env{}, "saltutil.running", nil, nil)
	wantKind(t, err, proto.ErrExecution, "job tracking")
}
