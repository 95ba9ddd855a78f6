package runners

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/brine-cm/brine/proto"
)

// jobsEnv is a job cache with one job and a mine.
type jobsEnv struct {
	bareEnv
	mineTarget *proto.Target
}

const testJID = "20260101120000123456"

func (jobsEnv) Job(_ context.Context, jid string) (*proto.JobRecord, error) {
	if jid != testJID {
		return nil, proto.Errorf(proto.ErrNotFound, "job %s is not in the job cache", jid)
	}
	return &proto.JobRecord{JID: jid}, nil
}

func (jobsEnv) JobReturns(context.Context, string) ([]proto.Return, error) {
	return []proto.Return{{ID: "db1", Return: "x"}, {ID: "web1", Return: true}}, nil
}

func (jobsEnv) Jobs(context.Context) ([]proto.JobRecord, error) {
	return []proto.JobRecord{{JID: testJID, Fun: "test.ping", Target: proto.Target{Expr: "web*", Type: "glob"}, User: "alice", Start: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}}, nil
}

func (e jobsEnv) MineGet(t proto.Target, fun string) (map[string]any, error) {
	*e.mineTarget = t
	return map[string]any{"web1": fun}, nil
}

func TestJobsRunner(t *testing.T) {
	ctx := context.Background()
	env := jobsEnv{}
	for _, c := range []Call{{Fun: "jobs.lookup_jid", Args: []any{testJID}}, {Fun: "jobs.lookup_jid", Kwargs: map[string]any{"jid": testJID}}} {
		got, err := Run(ctx, env, c)
		if err != nil || !reflect.DeepEqual(got, map[string]any{"db1": "x", "web1": true}) {
			t.Errorf("%+v = %v, %v", c, got, err)
		}
	}
	_, err := Run(ctx, env, Call{Fun: "jobs.lookup_jid", Args: []any{"20260101120000000000"}})
	wantKind(t, err, proto.ErrNotFound, "not in the job cache")
	for _, args := range [][]any{nil, {"nope"}, {42}} {
		_, err := Run(ctx, env, Call{Fun: "jobs.lookup_jid", Args: args})
		wantKind(t, err, proto.ErrBadArgument, "jobs.lookup_jid needs a jid")
	}
	got, err := Run(ctx, env, Call{Fun: "jobs.list_jobs"})
	want := map[string]any{testJID: map[string]any{"Function": "test.ping", "Target": "web*", "Target-type": "glob", "User": "alice", "StartTime": "2026-01-01T12:00:00Z"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("jobs.list_jobs = %v, %v", got, err)
	}
}

func TestMineRunner(t *testing.T) {
	ctx := context.Background()
	var tgt proto.Target
	env := jobsEnv{mineTarget: &tgt}
	for _, c := range []struct {
		call Call
		want proto.Target
	}{
		{Call{Fun: "mine.get", Args: []any{"web*", "network.ip_addrs"}}, proto.Target{Expr: "web*", Type: "glob"}},
		{Call{Fun: "mine.get", Args: []any{"roles:web", "network.ip_addrs", "grain"}}, proto.Target{Expr: "roles:web", Type: "grain"}},
		{Call{Fun: "mine.get", Kwargs: map[string]any{"tgt": "roles:web", "fun": "network.ip_addrs", "expr_form": "grain"}}, proto.Target{Expr: "roles:web", Type: "grain"}},
	} {
		got, err := Run(ctx, env, c.call)
		if err != nil || !reflect.DeepEqual(got, map[string]any{"web1": "network.ip_addrs"}) || tgt != c.want {
			t.Errorf("%+v = %v, %v (target %+v)", c.call, got, err, tgt)
		}
	}
	_, err := Run(ctx, env, Call{Fun: "mine.get", Args: []any{"web*"}})
	wantKind(t, err, proto.ErrBadArgument, "mine.get needs a target and a function")
}
