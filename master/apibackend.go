package master

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/proto"
)

// apiBackend lets the HTTP API run things through the same paths as ctl:
// jobs through publish, runners and key actions through their handler
// tables. The API authenticates and authorises its users before calling.
type apiBackend struct{ m *Master }

func apiErr(err error) error {
	var pe *proto.Error
	if errors.As(err, &pe) {
		switch pe.Kind {
		case proto.ErrNotFound:
			return fmt.Errorf("%w: %s", api.ErrNotFound, pe.Message)
		case proto.ErrBadTarget, proto.ErrBadRequest, proto.ErrBadArgument, proto.ErrUnknownFunction, proto.ErrNoMinions:
			return fmt.Errorf("%w: %s", api.ErrInvalid, pe.Message)
		case proto.ErrDenied:
			return fmt.Errorf("%w: %s", api.ErrDenied, pe.Message)
		}
	}
	return err
}

func (b apiBackend) Local(ctx context.Context, user, tgt, tgtType, fun string, arg []any, kwarg map[string]any, timeout time.Duration) (map[string]any, []string, error) {
	rec, rets, err := b.m.runSync(ctx, proto.Target{Expr: tgt, Type: tgtType}, fun, arg, kwarg, user, timeout)
	if err != nil {
		return nil, nil, apiErr(err)
	}
	out := map[string]any{}
	var missing []string
	for _, id := range rec.Minions {
		if r, ok := rets[id]; ok {
			out[id] = r.Return
		} else {
			missing = append(missing, id)
		}
	}
	return out, missing, nil
}

func (b apiBackend) LocalAsync(ctx context.Context, user, tgt, tgtType, fun string, arg []any, kwarg map[string]any) (string, []string, error) {
	rec, err := b.m.publish(ctx, proto.NewJID(time.Now()), proto.Target{Expr: tgt, Type: tgtType}, fun, arg, kwarg, user, 0)
	if err != nil {
		return "", nil, apiErr(err)
	}
	return rec.JID, rec.Minions, nil
}

func (b apiBackend) Runner(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error) {
	r, ok := b.m.runners()[fun]
	if !ok {
		return nil, fmt.Errorf("%w: runner %q is not available", api.ErrInvalid, fun)
	}
	v, err := r(ctx, caller{User: user}, arg, kwarg)
	return v, apiErr(err)
}

// Wheel runs key management as salt's wheel.key does.
func (b apiBackend) Wheel(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error) {
	match, _ := argString(arg, kwarg, 0, "match")
	req := proto.KeyRequest{ID: match}
	if match == "" {
		if name, ok := argString(arg, kwarg, 0, "name"); ok {
			req.ID = name
		}
	}
	body, _ := json.Marshal(req)
	c := caller{User: user}
	var h operatorHandler
	switch fun {
	case "key.list_all", "key.finger":
		recs, err := b.m.keys.all(ctx)
		if err != nil {
			return nil, err
		}
		out := map[string]any{proto.KeyAccepted: []string{}, proto.KeyPending: []string{}, proto.KeyRejected: []string{}, proto.KeyDenied: []string{}}
		fingers := map[string]map[string]string{}
		for _, k := range infos(recs) {
			out[k.State] = append(out[k.State].([]string), k.ID)
			if fingers[k.State] == nil {
				fingers[k.State] = map[string]string{}
			}
			fingers[k.State][k.ID] = k.Finger
		}
		if fun == "key.finger" {
			return fingers, nil
		}
		return out, nil
	case "key.accept":
		h = b.m.handleKeyAccept
	case "key.reject":
		h = b.m.handleKeyReject
	case "key.delete":
		h = b.m.handleKeyDelete
	default:
		return nil, fmt.Errorf("%w: wheel %q is not available", api.ErrInvalid, fun)
	}
	if req.ID == "" {
		return nil, fmt.Errorf("%w: wheel %s needs match=<id glob>", api.ErrInvalid, fun)
	}
	res, err := h(ctx, c, body)
	if err != nil {
		return nil, apiErr(err)
	}
	return res, nil
}

func (b apiBackend) Minions(_ context.Context, id string) (map[string]any, error) {
	out := map[string]any{}
	if id != "" {
		if !b.m.fleet.accepted(id) {
			return nil, fmt.Errorf("%w: no accepted minion %s", api.ErrNotFound, id)
		}
		out[id] = b.m.fleet.grainsOf(id)
		return out, nil
	}
	ids, err := b.m.fleet.match(proto.Target{Expr: "*", Type: "glob"}, nil)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = b.m.fleet.grainsOf(id)
	}
	return out, nil
}

// Jobs lists the job cache for the API, each job's arguments with the
// secret ones replaced as its module declares them.
func (b apiBackend) Jobs(ctx context.Context) ([]api.Job, error) {
	res, err := b.m.handleJobsList(ctx, caller{}, []byte(`{}`))
	if err != nil {
		return nil, apiErr(err)
	}
	recs := res.(proto.JobsListReply).Jobs
	out := make([]api.Job, 0, len(recs))
	for i := range recs {
		out = append(out, apiJob(&recs[i]))
	}
	return out, nil
}

// Job looks one job up for the API, with its returns.
func (b apiBackend) Job(ctx context.Context, jid string) (*api.Job, error) {
	body, err := json.Marshal(proto.JobsShowRequest{JID: jid})
	if err != nil {
		return nil, err
	}
	res, err := b.m.handleJobsShow(ctx, caller{}, body)
	if err != nil {
		return nil, apiErr(err)
	}
	rep := res.(proto.JobsShowReply)
	j := apiJob(rep.Job)
	j.Returns = make(map[string]any, len(rep.Returns))
	for _, r := range rep.Returns {
		j.Returns[r.ID] = r.Return
	}
	return &j, nil
}

func apiJob(rec *proto.JobRecord) api.Job {
	return api.Job{
		JID: rec.JID, Function: rec.Fun, Arguments: modules.RedactArgs(rec.Fun, rec.Arg),
		Target: rec.Target.Expr, TargetType: rec.Target.Type, User: rec.User, StartTime: rec.Start,
		Minions: rec.Minions,
	}
}

// Match evaluates an ACL target of the API on the fleet, as a job's
// target would be.
func (b apiBackend) Match(_ context.Context, tgt, tgtType string) ([]string, error) {
	ids, err := b.m.fleet.match(proto.Target{Expr: tgt, Type: tgtType}, b.m.pillars.get)
	if err != nil {
		return nil, fmt.Errorf("%w: target %q: %v", api.ErrInvalid, tgt, err)
	}
	return ids, nil
}

func (b apiBackend) Fire(tag string, data map[string]any) {
	b.m.fire(tag, data)
	b.m.autoscaleHook(tag, data)
}

func (b apiBackend) Events(ctx context.Context) (<-chan api.Event, error) {
	ch := make(chan api.Event, 256)
	sub, err := b.m.nc.Subscribe(proto.SubjectEvent+".>", func(msg *nats.Msg) {
		var ev proto.Event
		if json.Unmarshal(msg.Data, &ev) != nil {
			return
		}
		select {
		case ch <- api.Event{Tag: ev.Tag, Data: ev.Data}:
		default: // a slow reader loses events rather than stalling the bus
		}
	})
	if err != nil {
		return nil, err
	}
	go func() {
		<-ctx.Done()
		_ = sub.Unsubscribe()
	}()
	return ch, nil
}

// CheckOperatorToken accepts the operator key's signature over
// proto.OperatorTokenMessage, base64url-encoded.
func (b apiBackend) CheckOperatorToken(tok string) bool {
	sig, err := b.m.secrets.Operator.Sign([]byte(proto.OperatorTokenMessage))
	if err != nil {
		return false
	}
	want := base64.RawURLEncoding.EncodeToString(sig)
	return subtle.ConstantTimeCompare([]byte(want), []byte(tok)) == 1
}

// startAPI serves the HTTP API when api.listen is set.
func (m *Master) startAPI(ctx context.Context) error {
	listen, _ := m.cfg.API["listen"].(string)
	if listen == "" {
		return nil
	}
	cfg, err := api.ParseConfig(m.cfg.API)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("api listen %s: %w", cfg.Listen, err)
	}
	srv := api.New(cfg, apiBackend{m}, m.log.With("component", "api"))
	go func() {
		if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
			m.log.Error("api stopped", "err", err)
		}
	}()
	m.log.Info("api listening", "addr", ln.Addr().String())
	return nil
}
