// Package autoscale is Brine's EC2 Auto Scaling engine: it follows the
// lifecycle hooks of the groups named in the master config's `autoscale:`
// section, from an SQS queue and/or SNS notifications to an API hook, and
// makes instances join (key accepted, grains, startup states, then
// CompleteLifecycleAction CONTINUE or ABANDON) and leave (clean state, key
// and mine data deleted, CONTINUE) by themselves.
//
// Every message is handled once: its LifecycleActionToken (a hook) or its
// event and instance (a notification) names a record in a JetStream
// bucket, written before the work starts and marked done when it is
// finished; a duplicate of a finished message does nothing, and a master
// restarted mid-launch resumes the records it left running.
package autoscale

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// Backend is what the engine needs of the master.
type Backend interface {
	// KeyState is the state of id's key: proto.KeyPending, KeyAccepted,
	// KeyRejected, KeyDenied, or "" when there is none.
	KeyState(id string) string
	// AcceptKey accepts id's pending key and marks it leased (lease names
	// who owns the lease, e.g. "autoscale/web-asg").
	AcceptKey(ctx context.Context, id, lease string) error
	// Connected reports whether id has a live connection.
	Connected(id string) bool
	// Run runs fun on minion id and waits for its return; ok is false when
	// the function failed (a failed state, a non-zero retcode).
	Run(ctx context.Context, id, fun string, arg []any, timeout time.Duration) (ok bool, ret any, err error)
	// DeleteMinion deletes id's key, grains and mine data.
	DeleteMinion(ctx context.Context, id string) error
	// Identity is the EC2 instance identity document and its PKCS7
	// signature id presented with its key (ok false when it presented
	// none).
	Identity(id string) (doc, sig []byte, ok bool)
	// Fire publishes an event.
	Fire(tag string, data map[string]any)
}

// Options configure an Engine.
type Options struct {
	Config  *Config
	Backend Backend
	// Lifecycle completes lifecycle actions (Auto Scaling).
	Lifecycle Lifecycle
	// Queue is the SQS queue (nil without queue_url).
	Queue Queue
	// Store holds a record per message (in flight or done).
	Store jetstream.KeyValue
	// Joined remembers the instances that joined with an identity
	// document (require_identity), forever.
	Joined jetstream.KeyValue
	// Identity verifies an instance identity document (nil: groups with
	// require_identity refuse every instance).
	Identity IdentityVerifier
	// Owner names this master in records (it resumes its own on start).
	Owner string
	Log   *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PollInterval is how often a wait for a key or connection looks
	// again (default 100ms).
	PollInterval time.Duration
}

// IdentityVerifier checks an EC2 instance identity document and its
// signature; it returns the verified instance id and pendingTime.
type IdentityVerifier interface {
	Verify(doc, sig []byte) (instanceID string, pending time.Time, err error)
}

// Engine handles lifecycle messages.
type Engine struct {
	o    Options
	log  *slog.Logger
	proc string // this process's nonce in record owners

	mu       sync.Mutex
	inflight map[string]chan struct{} // closed when the key's handling ends
	hooks    map[string]hookInfo      // group/hook -> timeouts
	wg       sync.WaitGroup
}

// hookInfo are a lifecycle hook's timeouts.
type hookInfo struct {
	heartbeat, global time.Duration
}

// record is a message's entry in the store.
type record struct {
	Status   string    `json:"status"` // running, done
	Step     string    `json:"step,omitempty"`
	Result   string    `json:"result,omitempty"`
	Message  Message   `json:"message"`
	Owner    string    `json:"owner"`
	Proc     string    `json:"proc"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

const (
	statusRunning = "running"
	statusDone    = "done"
)

// New prepares an engine.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Engine{o: o, log: o.Log, proc: hex.EncodeToString(b[:]), inflight: map[string]chan struct{}{}, hooks: map[string]hookInfo{}}
}

// Run resumes the records a previous run of this master left running,
// then polls the queue (when there is one) until ctx ends, and waits for
// the handling in flight to stop.
func (e *Engine) Run(ctx context.Context) error {
	defer e.wg.Wait()
	if err := e.resume(ctx); err != nil {
		e.log.Error("autoscale: resuming unfinished messages", "err", err)
	}
	if e.o.Queue == nil {
		<-ctx.Done()
		return nil
	}
	return e.poll(ctx)
}

// resume restarts the handling of this master's running records.
func (e *Engine) resume(ctx context.Context) error {
	lister, err := e.o.Store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("list records: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		ent, err := e.o.Store.Get(ctx, k)
		if err != nil {
			continue
		}
		var r record
		if json.Unmarshal(ent.Value(), &r) != nil || r.Status != statusRunning || r.Owner != e.o.Owner {
			continue
		}
		m := r.Message
		e.log.Info("autoscale: resuming a message left unfinished", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID, "step", r.Step)
		e.fire(&m, "resumed", map[string]any{"step": r.Step})
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.Handle(ctx, &m, "resume")
		}()
	}
	return nil
}

// HandleBody parses and handles a message body (from SQS or an SNS
// notification's Message). It returns true when the message is finished
// with (handled, a duplicate of a handled one, or one that can never be
// handled: malformed, unknown group); false when it should come again.
func (e *Engine) HandleBody(ctx context.Context, body []byte, source string) bool {
	m, err := ParseMessage(body)
	if err != nil {
		e.log.Error("autoscale: malformed message dropped (its body is in the event)", "source", source, "err", err)
		e.o.Backend.Fire("brine/autoscale/malformed", map[string]any{
			"source": source, "error": err.Error(), "body": truncate(string(body), 64<<10),
		})
		return true
	}
	return e.Handle(ctx, m, source)
}

// Handle handles one parsed message; see HandleBody.
func (e *Engine) Handle(ctx context.Context, m *Message, source string) bool {
	if m.Kind() == KindTest {
		e.log.Info("autoscale: test notification", "group", m.AutoScalingGroupName, "source", source)
		e.o.Backend.Fire(tag(m.AutoScalingGroupName, "test", "received"), map[string]any{"source": source, "request_id": m.RequestID})
		return true
	}
	g := e.o.Config.Groups[m.AutoScalingGroupName]
	if g == nil {
		// Rule: the queue and the hook belong to this master; a message
		// for a group it does not manage can never be handled here, so it
		// is reported and dropped (its lifecycle action is left to the
		// hook's default result).
		e.log.Warn("autoscale: message for a group not in autoscale.groups dropped", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID, "event", m.LifecycleTransition+m.Event)
		e.fire(m, "unknown_group", map[string]any{"source": source})
		return true
	}
	if m.Kind() == KindInfo {
		e.log.Info("autoscale: notification", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID, "event", m.Event)
		e.fire(m, "notified", map[string]any{"event": m.Event, "source": source})
		return true
	}
	key := m.Key()
	// A copy delivered while this process handles the message (SQS
	// hands one out again; a restarted master resumes its record while
	// the queue redelivers) waits for that handling to end, and then
	// its record answers: the copy is finished with at once, rather than
	// left in the queue until its visibility timeout.
	for {
		ok, running := e.claimLocal(key)
		if ok {
			break
		}
		e.fire(m, "duplicate", map[string]any{"source": source, "in_flight": true})
		select {
		case <-running:
		case <-ctx.Done():
			return false
		}
	}
	defer e.releaseLocal(key)
	rec, rev, fresh, err := e.claim(ctx, key, m, source == "resume")
	if err != nil {
		e.log.Error("autoscale: recording message", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID, "err", err)
		e.fire(m, "error", map[string]any{"error": "recording the message: " + err.Error()})
		return false
	}
	if rec == nil {
		return false // another master handles it
	}
	if rec.Status == statusDone {
		e.log.Info("autoscale: duplicate of a handled message ignored", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID, "result", rec.Result)
		e.fire(m, "duplicate", map[string]any{"source": source, "result": rec.Result})
		return true
	}
	if fresh {
		e.log.Info("autoscale: lifecycle message", "group", m.AutoScalingGroupName, "instance", m.EC2InstanceID, "action", m.Action(), "hook", m.LifecycleHookName, "source", source)
		e.fire(m, "received", map[string]any{"source": source, "minion": g.minionID(m.AutoScalingGroupName, m.EC2InstanceID), "hook": m.LifecycleHookName})
	}
	h := &handling{e: e, m: m, g: g, key: key, rec: rec, rev: rev}
	var done bool
	switch m.Kind() {
	case KindLaunch:
		done = h.launch(ctx)
	case KindTerminate:
		done = h.terminate(ctx)
	}
	return done
}

// claimLocal marks key as handled in this process; when it already is,
// it returns false and a channel closed when that handling ends.
func (e *Engine) claimLocal(key string) (bool, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if done, ok := e.inflight[key]; ok {
		return false, done
	}
	e.inflight[key] = make(chan struct{})
	return true, nil
}

func (e *Engine) releaseLocal(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if done, ok := e.inflight[key]; ok {
		close(done)
		delete(e.inflight, key)
	}
}

// claim creates the message's record, or takes over a running one that
// this master left (resume) or that this process gave up on. It returns
// nil when another master is handling it.
func (e *Engine) claim(ctx context.Context, key string, m *Message, resume bool) (*record, uint64, bool, error) {
	for range 5 {
		ent, err := e.o.Store.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			r := &record{Status: statusRunning, Message: *m, Owner: e.o.Owner, Proc: e.proc, Started: e.o.Now().UTC()}
			b, _ := json.Marshal(r)
			rev, err := e.o.Store.Create(ctx, key, b)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			if err != nil {
				return nil, 0, false, err
			}
			return r, rev, true, nil
		}
		if err != nil {
			return nil, 0, false, err
		}
		var r record
		if err := json.Unmarshal(ent.Value(), &r); err != nil {
			return nil, 0, false, fmt.Errorf("decode record: %w", err)
		}
		if r.Status == statusDone {
			return &r, ent.Revision(), false, nil
		}
		mine := r.Owner == e.o.Owner && (r.Proc == e.proc || resume)
		if !mine {
			return nil, 0, false, nil
		}
		r.Proc = e.proc
		b, _ := json.Marshal(&r)
		rev, err := e.o.Store.Update(ctx, key, b, ent.Revision())
		if err != nil {
			continue
		}
		return &r, rev, false, nil
	}
	return nil, 0, false, errors.New("the record kept changing")
}

// tag is brine/autoscale/<group>/<action>/<step>.
func tag(group, action, step string) string {
	if group == "" {
		group = "_"
	}
	return "brine/autoscale/" + group + "/" + action + "/" + step
}

// fire fires the message's step event with its identifying fields.
func (e *Engine) fire(m *Message, step string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["group"] = m.AutoScalingGroupName
	data["instance_id"] = m.EC2InstanceID
	if m.LifecycleHookName != "" {
		data["hook"] = m.LifecycleHookName
	}
	if g := e.o.Config.Groups[m.AutoScalingGroupName]; g != nil {
		data["minion"] = g.minionID(m.AutoScalingGroupName, m.EC2InstanceID)
	}
	e.o.Backend.Fire(tag(m.AutoScalingGroupName, m.Action(), step), data)
}

// handling is one message being handled.
type handling struct {
	e   *Engine
	m   *Message
	g   *Group
	key string
	rec *record
	rev uint64
}

// save writes the record's progress.
func (h *handling) save(ctx context.Context) error {
	b, _ := json.Marshal(h.rec)
	rev, err := h.e.o.Store.Update(ctx, h.key, b, h.rev)
	if err != nil {
		return fmt.Errorf("update record: %w", err)
	}
	h.rev = rev
	return nil
}

// step records that step is done.
func (h *handling) step(ctx context.Context, step string) {
	h.rec.Step = step
	if err := h.save(ctx); err != nil {
		h.e.log.Warn("autoscale: recording progress", "group", h.m.AutoScalingGroupName, "instance", h.m.EC2InstanceID, "step", step, "err", err)
	}
}

func (h *handling) minion() string {
	return h.g.minionID(h.m.AutoScalingGroupName, h.m.EC2InstanceID)
}

func (h *handling) logf(level slog.Level, msg string, args ...any) {
	args = append([]any{"group", h.m.AutoScalingGroupName, "instance", h.m.EC2InstanceID, "minion", h.minion()}, args...)
	h.e.log.Log(context.Background(), level, "autoscale: "+msg, args...)
}

// finish completes the lifecycle action (a hook message) with result and
// marks the record done. It returns false when the completion could not
// be sent (the message should come again).
func (h *handling) finish(ctx context.Context, result, reason string) bool {
	if h.m.Hook() {
		if err := h.e.complete(ctx, h.m, result); err != nil {
			h.logf(slog.LevelError, "CompleteLifecycleAction failed", "result", result, "err", err)
			h.e.fire(h.m, "error", map[string]any{"error": "CompleteLifecycleAction: " + err.Error(), "result": result})
			return false
		}
	}
	h.rec.Status, h.rec.Result, h.rec.Finished = statusDone, result, h.e.o.Now().UTC()
	if err := h.save(ctx); err != nil {
		h.logf(slog.LevelWarn, "recording the result", "err", err)
	}
	data := map[string]any{"result": result}
	if reason != "" {
		data["reason"] = reason
	}
	data["seconds"] = h.e.o.Now().Sub(h.rec.Started).Seconds()
	h.logf(slog.LevelInfo, "lifecycle action completed", "action", h.m.Action(), "result", result, "reason", reason)
	h.e.fire(h.m, "completed", data)
	return true
}

// proto keys states the engine reads.
var (
	keyPending  = proto.KeyPending
	keyAccepted = proto.KeyAccepted
)
