package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/reactor"
)

var funRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

// handlePublish starts a job: it resolves the target to minions, records
// the job in the job cache, then sends it to each minion's own subject.
func (m *Master) handlePublish(ctx context.Context, c caller, body []byte) (any, error) {
	var req proto.PublishRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if !proto.ValidJID(req.JID) {
		return nil, proto.Errorf(proto.ErrBadRequest, "bad jid %q", req.JID)
	}
	if !funRe.MatchString(req.Fun) {
		return nil, proto.Errorf(proto.ErrUnknownFunction, "%q is not a function name (module.function)", req.Fun)
	}
	user := c.User
	if req.User != "" {
		user = req.User
	}
	rec, err := m.publish(ctx, req.JID, req.Target, req.Fun, req.Arg, req.Kwarg, user, req.Timeout)
	if err != nil {
		return nil, err
	}
	var down []string
	for _, id := range rec.Minions {
		if m.presence.knownDown(id) {
			down = append(down, id)
		}
	}
	return proto.PublishReply{JID: rec.JID, Minions: rec.Minions, Down: down}, nil
}

// publish records and sends a job. It is also how master-side code (runners)
// runs functions on minions.
func (m *Master) publish(ctx context.Context, jid string, t proto.Target, fun string, arg []any, kwarg map[string]any, user string, timeout float64) (*proto.JobRecord, error) {
	minions, err := m.fleet.match(t, m.pillars.get)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadTarget, "%v", err)
	}
	if len(minions) == 0 {
		return nil, proto.Errorf(proto.ErrNoMinions, "no minions matched the target %q; no command was sent", t.Expr)
	}
	rec := &proto.JobRecord{JID: jid, Fun: fun, Arg: arg, Kwarg: kwarg, Target: t, User: user, Minions: minions, Start: time.Now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if _, err := m.jobs.Create(ctx, jid, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return nil, proto.Errorf(proto.ErrBadRequest, "jid %s is already in use", jid)
		}
		return nil, fmt.Errorf("record job %s: %w", jid, err)
	}
	m.tracked.add(jid, minions)
	job, err := json.Marshal(proto.Job{JID: jid, Fun: fun, Arg: arg, Kwarg: kwarg, User: user, Target: t, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	wait := time.Duration(timeout * float64(time.Second))
	until := time.Now().Add(max(wait, 10*time.Second) + pendingGrace)
	m.tracked.setDeadline(jid, until)
	for _, id := range minions {
		// Not connected, or connected but not yet subscribed (its hello
		// not in): keep the job for replay at its hello; a connection's
		// first moments would otherwise lose it. Kept before it is sent:
		// checked after, a hello arriving in between (the minion
		// subscribing just after the job went by) found nothing to replay
		// and the job was lost.
		if !m.presence.isReady(id) {
			m.pending.add(id, jid, job, until)
		}
		if err := m.nc.Publish(proto.JobSubject(id), job); err != nil {
			return nil, fmt.Errorf("publish job %s to %s: %w", jid, id, err)
		}
	}
	if m.metrics != nil {
		m.metrics.jobsPublished.Inc()
	}
	m.log.Info("job published", "jid", jid, "fun", fun, "tgt", t.Expr, "tgt_type", t.Type, "minions", len(minions), "user", user)
	data := map[string]any{"jid": jid, "fun": fun, "tgt": t.Expr, "tgt_type": t.Type, "minions": minions, "user": user, "arg": redactArgs(fun, arg)}
	if d := m.depths.get(jid); d > 0 {
		data[reactor.DepthKey] = d
	}
	m.fire(proto.TagJobNew(jid), data)
	return rec, nil
}

// redactArgs is what events show of a job's arguments: the secret ones,
// as the function's module declares them, are replaced.
func redactArgs(fun string, arg []any) any { return modules.RedactArgs(fun, arg) }

func (m *Master) jobRecord(ctx context.Context, jid string) (*proto.JobRecord, error) {
	e, err := m.jobs.Get(ctx, jid)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, proto.Errorf(proto.ErrNotFound, "job %s is not in the job cache", jid)
	}
	if err != nil {
		return nil, fmt.Errorf("load job %s: %w", jid, err)
	}
	var rec proto.JobRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, fmt.Errorf("decode job %s: %w", jid, err)
	}
	return &rec, nil
}

func (m *Master) handleJobsList(ctx context.Context, _ caller, body []byte) (any, error) {
	var req proto.JobsListRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	lister, err := m.jobs.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return proto.JobsListReply{Jobs: []proto.JobRecord{}}, nil
		}
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var jids []string
	for k := range lister.Keys() {
		jids = append(jids, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(jids)))
	if req.Limit > 0 && len(jids) > req.Limit {
		jids = jids[:req.Limit]
	}
	out := []proto.JobRecord{}
	for _, jid := range jids {
		rec, err := m.jobRecord(ctx, jid)
		if err != nil {
			continue // expired between list and get
		}
		out = append(out, *rec)
	}
	return proto.JobsListReply{Jobs: out}, nil
}

func (m *Master) handleJobsShow(ctx context.Context, _ caller, body []byte) (any, error) {
	var req proto.JobsShowRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if !proto.ValidJID(req.JID) {
		return nil, proto.Errorf(proto.ErrBadRequest, "bad jid %q", req.JID)
	}
	rec, err := m.jobRecord(ctx, req.JID)
	if err != nil {
		return nil, err
	}
	rets, err := m.returns(ctx, req.JID)
	if err != nil {
		return nil, err
	}
	return proto.JobsShowReply{Job: rec, Returns: rets}, nil
}

// returns reads every return of jid from the returns stream.
func (m *Master) returns(ctx context.Context, jid string) ([]proto.Return, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cons, err := m.rets.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{proto.ReturnsFilter(jid)}})
	if err != nil {
		return nil, fmt.Errorf("read returns of %s: %w", jid, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("read returns of %s: %w", jid, err)
	}
	pending := info.NumPending
	out := []proto.Return{}
	for pending > 0 {
		batch, err := cons.Fetch(int(min(pending, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, fmt.Errorf("read returns of %s: %w", jid, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			var r proto.Return
			if err := json.Unmarshal(msg.Data(), &r); err == nil {
				if jid, id, ok := proto.ParseReturnSubject(msg.Subject()); ok {
					r.JID, r.ID = jid, id // the subject says who sent it, not the body
				}
				out = append(out, r)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("read returns of %s: %w", jid, err)
		}
		if n == 0 {
			break
		}
		pending -= uint64(n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// runSync publishes a job and waits until every targeted minion
// returned, or timeout passed and no missing minion has reported the job
// as still running lately (minions report a running job every
// proto.ProgressInterval): a long state run is waited for, a minion that
// is gone is not. It is how master-side callers (runners, the HTTP API,
// orchestration) run functions and use their results.
func (m *Master) runSync(ctx context.Context, t proto.Target, fun string, arg []any, kwarg map[string]any, user string, timeout time.Duration) (*proto.JobRecord, map[string]proto.Return, error) {
	jid := proto.NewJID(time.Now())
	if d := reactor.DepthFrom(ctx); d > 0 {
		m.depths.set(jid, d) // an orchestration a reaction started
	}
	var mu sync.Mutex
	rets := map[string]proto.Return{}
	alive := map[string]time.Time{}
	notify := make(chan struct{}, 1)
	retSub, err := m.nc.Subscribe(proto.ReturnsFilter(jid), func(msg *nats.Msg) {
		_, id, ok := proto.ParseReturnSubject(msg.Subject)
		if !ok {
			return
		}
		var r proto.Return
		if json.Unmarshal(msg.Data, &r) != nil {
			return
		}
		r.JID, r.ID = jid, id // the subject says who sent it, not the body
		if r.Chunked != nil {
			rctx, cancel := context.WithTimeout(ctx, time.Minute)
			if err := m.resolveChunks(rctx, &r); err != nil {
				r.Return, r.Success, r.Retcode = "ERROR: "+err.Error(), false, 1
			}
			cancel()
		}
		mu.Lock()
		rets[id] = r
		mu.Unlock()
		select {
		case notify <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return nil, nil, err
	}
	defer retSub.Unsubscribe()
	progSub, err := m.nc.Subscribe(proto.ProgressFilter(jid), func(msg *nats.Msg) {
		if _, id, ok := proto.ParseReturnSubject(msg.Subject); ok {
			mu.Lock()
			alive[id] = time.Now()
			mu.Unlock()
		}
	})
	if err != nil {
		return nil, nil, err
	}
	defer progSub.Unsubscribe()
	rec, err := m.publish(ctx, jid, t, fun, arg, kwarg, user, 0)
	if err != nil {
		return nil, nil, err
	}
	// A minion running a long job first reports it after ProgressInterval.
	firstReport := time.Now().Add(proto.ProgressInterval + time.Second)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
wait:
	for {
		mu.Lock()
		done := true
		var last time.Time
		for _, id := range rec.Minions {
			if _, ok := rets[id]; !ok {
				done = false
				if alive[id].After(last) {
					last = alive[id]
				}
			}
		}
		mu.Unlock()
		if done {
			break
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-timer.C:
			grace := last.Add(2*proto.ProgressInterval + time.Second)
			if grace.Before(firstReport) {
				grace = firstReport
			}
			if d := time.Until(grace); d > 0 {
				timer.Reset(d)
				continue
			}
			break wait
		}
	}
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]proto.Return, len(rets))
	for k, v := range rets {
		out[k] = v
	}
	return rec, out, nil
}
