package runners

import (
	"context"
	"time"

	"github.com/brine-cm/brine/proto"
)

// The jobs runner: the master's job cache.

func init() {
	Register("jobs.lookup_jid", `Return the returns of a job, keyed by minion id.

CLI Example:

    ctl run jobs.lookup_jid 20260101120000123456`, jobsLookupJID)

	Register("jobs.list_jobs", `List the jobs in the job cache, keyed by jid: each job's Function, Target, Target-type, User and StartTime.

CLI Example:

    ctl run jobs.list_jobs`, jobsListJobs)
}

func jobsLookupJID(ctx context.Context, env Env, call Call) (any, error) {
	jid, ok := call.String(0, "jid")
	if !ok || !proto.ValidJID(jid) {
		return nil, BadArg("jobs.lookup_jid needs a jid")
	}
	jobs, err := Need[JobCache](env, call, "the job cache")
	if err != nil {
		return nil, err
	}
	if _, err := jobs.Job(ctx, jid); err != nil {
		return nil, err
	}
	rets, err := jobs.JobReturns(ctx, jid)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, r := range rets {
		out[r.ID] = r.Return
	}
	return out, nil
}

func jobsListJobs(ctx context.Context, env Env, call Call) (any, error) {
	jobs, err := Need[JobCache](env, call, "the job cache")
	if err != nil {
		return nil, err
	}
	recs, err := jobs.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, j := range recs {
		out[j.JID] = map[string]any{"Function": j.Fun, "Target": j.Target.Expr, "Target-type": j.Target.Type, "User": j.User, "StartTime": j.Start.Format(time.RFC3339)}
	}
	return out, nil
}
