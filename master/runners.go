package master

import (
	"context"
	"sort"
	"time"

	"github.com/brine-cm/brine/proto"
)

// A runner is a master-side function (`ctl run FUN`). Runners are listed in
// one explicit table, like every other request the master serves.
type runner func(ctx context.Context, c caller, arg []any, kwarg map[string]any) (any, error)

func (m *Master) runners() map[string]runner {
	rs := map[string]runner{
		"jobs.lookup_jid":   m.runLookupJID,
		"jobs.list_jobs":    m.runListJobs,
		"manage.up":         m.runManage("up"),
		"manage.down":       m.runManage("down"),
		"manage.status":     m.runManage("status"),
		"manage.present":    m.runPresent,
		"mine.get":          m.runMineGet,
		"state.orchestrate": m.runOrchestrate,
		"state.orch":        m.runOrchestrate,
	}
	for name, r := range m.cloudRunners() {
		rs[name] = r
	}
	return rs
}

func (m *Master) handleRunner(ctx context.Context, c caller, body []byte) (any, error) {
	var req proto.RunnerRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, ok := m.runners()[req.Fun]
	if !ok {
		return nil, proto.Errorf(proto.ErrUnknownFunction, "runner %q is not available", req.Fun)
	}
	ret, err := r(ctx, c, req.Arg, req.Kwarg)
	if err != nil {
		return nil, err
	}
	return proto.RunnerReply{Return: ret}, nil
}

func argString(arg []any, kwarg map[string]any, i int, name string) (string, bool) {
	if i < len(arg) {
		if s, ok := arg[i].(string); ok {
			return s, true
		}
	}
	if v, ok := kwarg[name].(string); ok {
		return v, true
	}
	return "", false
}

func (m *Master) runLookupJID(ctx context.Context, _ caller, arg []any, kwarg map[string]any) (any, error) {
	jid, ok := argString(arg, kwarg, 0, "jid")
	if !ok || !proto.ValidJID(jid) {
		return nil, proto.Errorf(proto.ErrBadArgument, "jobs.lookup_jid needs a jid")
	}
	if _, err := m.jobRecord(ctx, jid); err != nil {
		return nil, err
	}
	rets, err := m.returns(ctx, jid)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, r := range rets {
		out[r.ID] = r.Return
	}
	return out, nil
}

func (m *Master) runListJobs(ctx context.Context, c caller, _ []any, _ map[string]any) (any, error) {
	res, err := m.handleJobsList(ctx, c, []byte(`{}`))
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, j := range res.(proto.JobsListReply).Jobs {
		out[j.JID] = map[string]any{"Function": j.Fun, "Target": j.Target.Expr, "Target-type": j.Target.Type, "User": j.User, "StartTime": j.Start.Format(time.RFC3339)}
	}
	return out, nil
}

// runManage pings every accepted minion and sorts them into up and down.
func (m *Master) runManage(which string) runner {
	return func(ctx context.Context, c caller, arg []any, kwarg map[string]any) (any, error) {
		timeout := 5 * time.Second
		if v, ok := kwarg["timeout"].(float64); ok && v > 0 {
			timeout = time.Duration(v * float64(time.Second))
		}
		rec, rets, err := m.runSync(ctx, proto.Target{Expr: "*", Type: "glob"}, "test.ping", nil, nil, c.User, timeout)
		if err != nil {
			if pe, ok := err.(*proto.Error); ok && pe.Kind == proto.ErrNoMinions {
				return map[string]any{"up": []string{}, "down": []string{}}, nil
			}
			return nil, err
		}
		ups, downs := []string{}, []string{}
		for _, id := range rec.Minions {
			if _, ok := rets[id]; ok {
				ups = append(ups, id)
			} else {
				downs = append(downs, id)
			}
		}
		sort.Strings(ups)
		sort.Strings(downs)
		switch which {
		case "up":
			return ups, nil
		case "down":
			return downs, nil
		}
		return map[string]any{"up": ups, "down": downs}, nil
	}
}

// runPresent lists the minions connected now, from bus advisories (no ping).
func (m *Master) runPresent(context.Context, caller, []any, map[string]any) (any, error) {
	return m.presence.present(), nil
}
