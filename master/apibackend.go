package master

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/proto"
)

// apiBackend lets the HTTP API run things through the same paths as ctl:
// jobs through publish, runners and wheel functions through their
// registries (package runners). The API authenticates and authorises its users before calling.
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
	v, err := b.m.runner(ctx, user, fun, arg, kwarg)
	return v, apiErr(err)
}

// Wheel runs a wheel function (key management, as salt's wheel.key).
func (b apiBackend) Wheel(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error) {
	v, err := b.m.wheel(ctx, user, fun, arg, kwarg)
	if err != nil {
		return nil, apiErr(err)
	}
	return v, nil
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
	if m.cfg.API == nil || m.cfg.API.Listen == "" {
		return nil
	}
	c := *m.cfg.API
	cfg := &c
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("api listen %s: %w", cfg.Listen, err)
	}
	if m.cloud != nil {
		cfg.BootstrapMinion = m.cloud.env.MinionBinary
	}
	m.apiAddr, m.apiTLS = ln.Addr().String(), cfg.TLSCert != ""
	srv := api.New(cfg, apiBackend{m}, m.log.With("component", "api"))
	go func() {
		if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
			m.log.Error("api stopped", "err", err)
		}
	}()
	m.log.Info("api listening", "addr", ln.Addr().String())
	return nil
}

// apiURL is the API's base URL as a node on the network reaches it ("" :
// no API). An unspecified listen host is replaced by this host's name.
func (m *Master) apiURL() string {
	if m.apiAddr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(m.apiAddr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	scheme := "http"
	if m.apiTLS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
