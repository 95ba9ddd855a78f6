package minion

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/proto"
)

// startupJob turns the startup_states setting into the job the minion runs
// on its own after it first connects: "highstate" is state.highstate, a
// list (or a comma-separated string) of SLS names is state.sls. ok is false
// when nothing is configured.
func startupJob(v any, id string) (job proto.Job, ok bool, err error) {
	var names []string
	switch x := v.(type) {
	case nil:
		return job, false, nil
	case string:
		x = strings.TrimSpace(x)
		switch x {
		case "":
			return job, false, nil
		case "highstate":
			return proto.Job{Fun: "state.highstate", Target: proto.Target{Expr: id, Type: "glob"}, User: "startup_states"}, true, nil
		}
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				names = append(names, s)
			}
		}
	case []any:
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr || strings.TrimSpace(s) == "" {
				return job, false, fmt.Errorf("startup_states: %v is not an SLS name", e)
			}
			names = append(names, strings.TrimSpace(s))
		}
	default:
		return job, false, fmt.Errorf("startup_states must be 'highstate' or a list of SLS names, not %v", v)
	}
	if len(names) == 0 {
		return job, false, nil
	}
	arg := make([]any, 0, len(names))
	for _, n := range names {
		arg = append(arg, n)
	}
	return proto.Job{Fun: "state.sls", Arg: []any{arg}, Target: proto.Target{Expr: id, Type: "glob"}, User: "startup_states"}, true, nil
}

// runStartupStates applies the configured startup_states once, as a job
// with a fresh jid whose return is published like any job's. It runs after
// the minion's grains reached the master, so that the top file's grain
// matches see them.
func (m *Minion) runStartupStates() {
	job, ok, err := startupJob(m.cfg.StartupStates, m.cfg.ID)
	if err != nil {
		m.log.Error("startup_states not applied", "err", err)
		return
	}
	if !ok {
		return
	}
	job.JID = proto.NewJID(time.Now())
	if err := m.recordOwnJob(context.Background(), &job, "startup_states"); err != nil {
		m.log.Warn("startup_states not recorded in the master's job cache; applying them anyway", "err", err)
	}
	m.log.Info("applying startup_states", "jid", job.JID, "fun", job.Fun, "arg", modules.RedactArgs(job.Fun, job.Arg))
	ret := m.runJob(job)
	if !ret.Success {
		m.log.Error("startup_states failed", "jid", job.JID, "retcode", ret.Retcode, "return", ret.Return)
	}
}
