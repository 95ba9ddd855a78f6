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

	Register("saltutil.sync_all", `Sync custom modules from the master's file server, as Salt's saltutil.sync_all. Brine's modules are built into the minion, so there is nothing to sync: this answers as Salt does when nothing changed, a mapping of each kind (beacons, clouds, engines, executors, grains, log_handlers, matchers, modules, output, pillar, proxymodules, renderers, returners, sdb, serializers, states, thorium, utils) to an empty list. saltenv, refresh and extmod_whitelist are accepted.

CLI Example:

    ctl '*' saltutil.sync_all`, saltutilSyncAll)
	for _, kind := range syncKinds {
		Register("saltutil.sync_"+kind, `Sync custom `+kind+` from the master's file server. Brine's are built into the minion: nothing to sync, an empty list, as Salt answers when nothing changed.

CLI Example:

    ctl '*' saltutil.sync_`+kind, saltutilSyncNone)
	}
	Register("saltutil.refresh_modules", `Reload the minion's execution modules, as Salt's saltutil.refresh_modules. Brine's modules are built into the minion and always current: returns true.

CLI Example:

    ctl '*' saltutil.refresh_modules`, func(context.Context, *Env, Call) (any, error) { return true, nil })

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

// syncKinds are the kinds saltutil.sync_all reports, as Salt 3006 does.
var syncKinds = []string{"beacons", "clouds", "engines", "executors", "grains", "log_handlers", "matchers",
	"modules", "output", "pillar", "proxymodules", "renderers", "returners", "sdb", "serializers", "states",
	"thorium", "utils"}

func saltutilSyncAll(context.Context, *Env, Call) (any, error) {
	out := make(map[string]any, len(syncKinds))
	for _, k := range syncKinds {
		out[k] = []any{}
	}
	return out, nil
}

func saltutilSyncNone(context.Context, *Env, Call) (any, error) { return []any{}, nil }
