package master

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/runners"
)

// Runners and wheel functions live in package runners, registered by
// name. Every caller reaches them through runner and wheel below: ctl run
// (handleRunner), the API (apiBackend), the reactor and orchestration
// (through apiBackend) and the master's schedule. runnerEnv is what they
// get of the master: the capabilities package runners declares.

// runner runs the runner fun for user.
func (m *Master) runner(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error) {
	return runners.Run(ctx, runnerEnv{m}, runners.Call{Fun: fun, Args: arg, Kwargs: kwarg, User: user})
}

// wheel runs the wheel function fun for user.
func (m *Master) wheel(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error) {
	return runners.RunWheel(ctx, runnerEnv{m}, runners.Call{Fun: fun, Args: arg, Kwargs: kwarg, User: user})
}

func (m *Master) handleRunner(ctx context.Context, c caller, body []byte) (any, error) {
	var req proto.RunnerRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	ret, err := m.runner(ctx, c.User, req.Fun, req.Arg, req.Kwarg)
	if err != nil {
		return nil, err
	}
	return proto.RunnerReply{Return: ret}, nil
}

// runnerEnv is the master as runners see it (runners.Env and its
// capabilities).
type runnerEnv struct{ m *Master }

var _ interface {
	runners.Env
	runners.JobCache
	runners.Minions
	runners.Presence
	runners.Mine
	runners.Orchestrator
	runners.Keys
	runners.Cloud
} = runnerEnv{}

func (e runnerEnv) Logger() *slog.Logger { return e.m.log }

func (e runnerEnv) Job(ctx context.Context, jid string) (*proto.JobRecord, error) {
	return e.m.jobRecord(ctx, jid)
}

func (e runnerEnv) JobReturns(ctx context.Context, jid string) ([]proto.Return, error) {
	return e.m.returns(ctx, jid)
}

func (e runnerEnv) Jobs(ctx context.Context) ([]proto.JobRecord, error) {
	res, err := e.m.handleJobsList(ctx, caller{}, []byte(`{}`))
	if err != nil {
		return nil, err
	}
	return res.(proto.JobsListReply).Jobs, nil
}

func (e runnerEnv) RunSync(ctx context.Context, user string, t proto.Target, fun string, arg []any, kwarg map[string]any, timeout time.Duration) (*proto.JobRecord, map[string]proto.Return, error) {
	return e.m.runSync(ctx, t, fun, arg, kwarg, user, timeout)
}

func (e runnerEnv) Present() []string { return e.m.presence.present() }

func (e runnerEnv) MineGet(t proto.Target, fun string) (map[string]any, error) {
	return e.m.mineGet(t, fun, e.m.pillars.get)
}

func (e runnerEnv) Orchestrate(ctx context.Context, o runners.Orchestration) (map[string]any, int, error) {
	return e.m.orchestrateRun(ctx, o)
}

func (e runnerEnv) ListKeys(ctx context.Context) ([]proto.KeyInfo, error) {
	recs, err := e.m.keys.all(ctx)
	if err != nil {
		return nil, err
	}
	return infos(recs), nil
}

func (e runnerEnv) AcceptKeys(ctx context.Context, match string) ([]string, error) {
	return e.keyAction(ctx, e.m.handleKeyAccept, match)
}

func (e runnerEnv) RejectKeys(ctx context.Context, match string) ([]string, error) {
	return e.keyAction(ctx, e.m.handleKeyReject, match)
}

func (e runnerEnv) DeleteKeys(ctx context.Context, match string) ([]string, error) {
	return e.keyAction(ctx, e.m.handleKeyDelete, match)
}

// keyAction runs a key handler of ctl key on the keys match selects.
func (e runnerEnv) keyAction(ctx context.Context, h operatorHandler, match string) ([]string, error) {
	body, err := json.Marshal(proto.KeyRequest{ID: match})
	if err != nil {
		return nil, err
	}
	res, err := h(ctx, caller{}, body)
	if err != nil {
		return nil, err
	}
	return res.(proto.KeyActionReply).Changed, nil
}

// argString reads a string argument at position i, else keyword name.
func argString(arg []any, kwarg map[string]any, i int, name string) (string, bool) {
	return runners.Call{Args: arg, Kwargs: kwarg}.String(i, name)
}

func (e runnerEnv) CloudCreate(ctx context.Context, profile string, names []string, wait time.Duration) (map[string]any, error) {
	return e.m.cloud.create(ctx, profile, names, wait)
}

func (e runnerEnv) CloudDestroy(ctx context.Context, names []string) (map[string]any, error) {
	return e.m.cloud.destroy(ctx, names)
}

func (e runnerEnv) CloudList(ctx context.Context) (map[string]any, error) { return e.m.cloud.list(ctx) }

func (e runnerEnv) CloudShow(ctx context.Context, names []string) (map[string]any, error) {
	return e.m.cloud.show(ctx, names)
}

func (e runnerEnv) CloudAction(ctx context.Context, req runners.CloudActionRequest) (map[string]any, error) {
	return e.m.cloud.action(ctx, req)
}

func (e runnerEnv) CloudListProfiles(provider string) map[string]any {
	return e.m.cloud.listProfiles(provider)
}
