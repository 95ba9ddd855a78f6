package modules

import (
	"context"
	"github.com/brine-cm/brine/internal/coerce"

	"github.com/brine-cm/brine/proto"
)

// The saltutil module: the minion's own job management.

func init() {
	Register("saltutil.running", `Return the list of jobs running on the minion, each a mapping describing the job (jid, fun, arg, pid, ...); the job asking is included.

CLI Example:

    ctl '*' saltutil.running`, saltutilRunning)

	Register("saltutil.find_job", `Return the description of the running job jid (as in saltutil.running), or an empty mapping when no such job runs.

CLI Example:

    ctl '*' saltutil.find_job 20261201123456789012`, saltutilFindJob)

	Register("saltutil.kill_job", `Cancel the running job jid on the minion, killing any command it runs, and return true; an error when no such job runs.

CLI Example:

    ctl '*' saltutil.kill_job 20261201123456789012`, saltutilKillJob)
}

// jobTracker returns env.Jobs or an error when the minion has none.
func jobTracker(env *Env) (JobTracker, error) {
	if env == nil || env.Jobs == nil {
		return nil, proto.Errorf(proto.ErrExecution, "job tracking is not available on this minion")
	}
	return env.Jobs, nil
}

func saltutilRunning(ctx context.Context, env *Env, call Call) (any, error) {
	jobs, err := jobTracker(env)
	if err != nil {
		return nil, err
	}
	running := jobs.Running()
	out := make([]any, len(running))
	for i, j := range running {
		out[i] = j
	}
	return out, nil
}

func saltutilFindJob(ctx context.Context, env *Env, call Call) (any, error) {
	jid, err := jidArg(call)
	if err != nil {
		return nil, err
	}
	jobs, err := jobTracker(env)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs.Running() {
		if s, ok := coerce.String(j["jid"]); ok && s == jid {
			return j, nil
		}
	}
	return map[string]any{}, nil
}

func saltutilKillJob(ctx context.Context, env *Env, call Call) (any, error) {
	jid, err := jidArg(call)
	if err != nil {
		return nil, err
	}
	jobs, err := jobTracker(env)
	if err != nil {
		return nil, err
	}
	if !jobs.Kill(jid) {
		return nil, proto.Errorf(proto.ErrNotFound, "job %s is not running", jid)
	}
	env.logger().InfoContext(ctx, "job killed", "jid", jid)
	return true, nil
}

// jidArg reads the jid argument.
func jidArg(call Call) (string, error) {
	if v, _ := call.value(0, "jid"); v != nil {
		if _, isFloat := v.(float64); isFloat {
			// A 20-digit jid parsed as YAML or JSON becomes a float64 and
			// loses its last digits.
			return "", badArg("argument 'jid' must be a string, got %s: quote the jid so it is not read as a number", coerce.Describe(v))
		}
	}
	jid, err := call.String(0, "jid", nil)
	if err != nil {
		return "", err
	}
	if jid == "" {
		return "", badArg("argument 'jid' must not be empty")
	}
	return jid, nil
}
