package master

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/reactor"
)

// Requests reach the master on two subject trees, each served through an
// explicit table from operation name to handler. The caller is identified
// before a handler is looked up:
//   - brine.master.<op>: operators (ctl). NATS permissions let only the
//     operator identity publish here, and every request also carries an
//     nkey signature over subject, time and body that is verified against
//     the operator key.
//   - brine.req.<id>.<op>: minions. The id token is part of the subject and
//     NATS permissions let a minion publish only under its own id; the id
//     must also hold an accepted key now.
// Operations not in a table are refused; nothing is dispatched by name
// through reflection.

// caller is an authenticated operator.
type caller struct {
	Key  string // public nkey
	User string // the OS user ctl ran as, as ctl reports it
}

type operatorHandler func(ctx context.Context, c caller, body []byte) (any, error)

type minionHandler func(ctx context.Context, id string, body []byte) (any, error)

func (m *Master) operatorHandlers() map[string]operatorHandler {
	return map[string]operatorHandler{
		proto.OpPublish:     m.handlePublish,
		proto.OpJobsList:    m.handleJobsList,
		proto.OpJobsShow:    m.handleJobsShow,
		proto.OpKeyList:     m.handleKeyList,
		proto.OpKeyFinger:   m.handleKeyList,
		proto.OpKeyAccept:   m.handleKeyAccept,
		proto.OpKeyReject:   m.handleKeyReject,
		proto.OpKeyDelete:   m.handleKeyDelete,
		proto.OpTargets:     m.handleTargets,
		proto.OpRunner:      m.handleRunner,
		proto.OpReturnChunk: m.handleReturnChunkOp,
	}
}

func (m *Master) minionHandlers() map[string]minionHandler {
	return map[string]minionHandler{
		proto.ReqGrains:      m.handleGrains,
		proto.ReqFileStat:    m.handleFileStat,
		proto.ReqFileRead:    m.handleFileRead,
		proto.ReqFileList:    m.handleFileList,
		proto.ReqMineUp:      m.handleMineUpdate,
		proto.ReqMineGet:     m.handleMineGet,
		proto.ReqPillar:      m.handlePillar,
		proto.ReqTop:         m.handleTop,
		proto.ReqScheduleJob: m.handleScheduleJob,
		proto.ReqReturnChunk: m.handleReturnChunk,
	}
}

const requestSkew = 5 * time.Minute

// verifyOperator checks the signature headers of an operator request.
func (m *Master) verifyOperator(msg *nats.Msg) (caller, error) {
	h := msg.Header
	if h == nil {
		return caller{}, errors.New("unsigned request")
	}
	key, ts, sig := h.Get(proto.HeaderKey), h.Get(proto.HeaderTime), h.Get(proto.HeaderSig)
	if key != m.secrets.OperatorPub {
		return caller{}, errors.New("unknown operator key")
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return caller{}, fmt.Errorf("bad request time: %w", err)
	}
	if d := time.Since(t); d > requestSkew || d < -requestSkew {
		return caller{}, fmt.Errorf("request time %s is more than %s away from the master's clock", ts, requestSkew)
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return caller{}, fmt.Errorf("bad signature encoding: %w", err)
	}
	kp, err := nkeys.FromPublicKey(key)
	if err != nil {
		return caller{}, err
	}
	if err := kp.Verify(proto.SignedPayload(msg.Subject, ts, msg.Data), raw); err != nil {
		return caller{}, errors.New("bad signature")
	}
	user := h.Get(proto.HeaderUser)
	if user == "" {
		user = "operator"
	}
	return caller{Key: key, User: user}, nil
}

// subscribe starts serving operator and minion requests and following
// returns. Queue groups let several masters share the work.
func (m *Master) subscribe(ctx context.Context) error {
	if _, err := m.nc.QueueSubscribe(proto.SubjectMaster+".>", "brine-master", func(msg *nats.Msg) {
		go m.serveOperator(ctx, msg)
	}); err != nil {
		return fmt.Errorf("subscribe operator requests: %w", err)
	}
	if _, err := m.nc.QueueSubscribe(proto.SubjectMinionReq+".*.*", "brine-master", func(msg *nats.Msg) {
		go m.serveMinion(ctx, msg)
	}); err != nil {
		return fmt.Errorf("subscribe minion requests: %w", err)
	}
	if _, err := m.nc.QueueSubscribe(proto.SubjectMinionEvt+".*", "brine-master", m.onMinionEvent); err != nil {
		return fmt.Errorf("subscribe minion events: %w", err)
	}
	if _, err := m.nc.QueueSubscribe(proto.SubjectMinionRet+".*.*", "brine-master", m.onMinionReturn); err != nil {
		return fmt.Errorf("subscribe returns: %w", err)
	}
	return nil
}

func (m *Master) serveOperator(ctx context.Context, msg *nats.Msg) {
	op := strings.TrimPrefix(msg.Subject, proto.SubjectMaster+".")
	c, err := m.verifyOperator(msg)
	if err != nil {
		m.log.Warn("operator request refused", "op", op, "err", err)
		m.reply(msg, nil, proto.Errorf(proto.ErrDenied, "request refused: %v", err))
		return
	}
	h, ok := m.operatorOps[op]
	if !ok {
		m.reply(msg, nil, proto.Errorf(proto.ErrBadRequest, "unknown operation %q", op))
		return
	}
	res, err := h(ctx, c, msg.Data)
	m.reply(msg, res, err)
}

func (m *Master) serveMinion(ctx context.Context, msg *nats.Msg) {
	parts := strings.Split(msg.Subject, ".")
	if len(parts) != 4 {
		return
	}
	id, op := proto.TokenID(parts[2]), parts[3]
	// The master answers with its own, unrestricted identity, so it must
	// never publish where a minion points it: a reply goes only to the
	// requester's own inbox (the only inbox its permissions let it
	// subscribe to). Anything else is dropped and counted.
	if !ownInbox(id, msg.Reply) {
		m.metrics.drop("reply subject outside its inbox")
		if n := m.limits.dropped.Add(1); logDrop(n) {
			m.log.Warn("minion request dropped: reply subject outside its inbox", "id", id, "op", op, "reply", msg.Reply, "dropped_total", n)
		}
		return
	}
	if !m.fleet.accepted(id) && !m.keyAccepted(ctx, id) {
		m.reply(msg, nil, proto.Errorf(proto.ErrDenied, "minion %s is not accepted", id))
		return
	}
	h, ok := m.minionOps[op]
	if !ok {
		m.reply(msg, nil, proto.Errorf(proto.ErrBadRequest, "unknown operation %q", op))
		return
	}
	release, ok := m.limits.acquire(id)
	if !ok {
		m.reply(msg, nil, proto.Errorf(proto.ErrBusy, "too many requests in flight from minion %s; retry later", id))
		return
	}
	defer release()
	if !m.limits.allow(id, requestCost[op]) {
		m.reply(msg, nil, proto.Errorf(proto.ErrBusy, "minion %s is over its request rate; retry later", id))
		return
	}
	res, err := h(ctx, id, msg.Data)
	m.reply(msg, res, err)
}

// requestCost is what each minion request takes from the minion's token
// bucket: the master's work it costs, roughly. File transfers cost nothing
// (they are bounded by the in-flight cap and the file server's chunking).
var requestCost = map[string]int{
	proto.ReqGrains:      1,
	proto.ReqPillar:      4,
	proto.ReqTop:         2,
	proto.ReqMineUp:      1,
	proto.ReqMineGet:     2,
	proto.ReqScheduleJob: 1,
}

// ownInbox reports whether reply is empty or an inbox of minion id.
func ownInbox(id, reply string) bool {
	if reply == "" {
		return true
	}
	prefix := proto.MinionInbox(id) + "."
	return len(reply) > len(prefix) && strings.HasPrefix(reply, prefix) &&
		!strings.ContainsAny(reply, "*> \t\r\n")
}

// keyAccepted asks the keys bucket itself whether id is accepted. The fleet
// cache follows the bucket through a watch, a moment behind: a minion
// accepted just now (auto_accept, autosign, key accept) connects and sends
// its grains before the cache knows, and must not be refused for that.
func (m *Master) keyAccepted(ctx context.Context, id string) bool {
	r, _, err := m.keys.get(ctx, id)
	return err == nil && r != nil && r.State == proto.KeyAccepted
}

// reply answers a request with res, or with {"error": ...}.
func (m *Master) reply(msg *nats.Msg, res any, err error) {
	if msg.Reply == "" {
		return
	}
	var body []byte
	resp := nats.NewMsg(msg.Reply)
	if err != nil {
		var pe *proto.Error
		if !errors.As(err, &pe) {
			pe = proto.Errorf(proto.ErrInternal, "%v", err)
		}
		body, _ = json.Marshal(map[string]any{"error": pe})
		resp.Header.Set(proto.HeaderError, pe.Kind+": "+pe.Message)
	} else if raw, ok := res.(rawReply); ok {
		body = raw
	} else {
		var merr error
		if body, merr = json.Marshal(res); merr != nil {
			body, _ = json.Marshal(map[string]any{"error": proto.Errorf(proto.ErrInternal, "encode reply: %v", merr)})
		}
	}
	resp.Data = body
	if err := msg.RespondMsg(resp); err != nil {
		m.log.Warn("reply", "subject", msg.Subject, "err", err)
	}
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return proto.Errorf(proto.ErrBadRequest, "bad request body: %v", err)
	}
	return nil
}

func (m *Master) handleGrains(ctx context.Context, id string, body []byte) (any, error) {
	var u proto.GrainsUpdate
	if err := decode(body, &u); err != nil {
		return nil, err
	}
	if u.Grains == nil {
		u.Grains = map[string]any{}
	}
	u.Grains["id"] = id // a minion cannot claim another id through its grains
	b, err := json.Marshal(u.Grains)
	if err != nil {
		return nil, err
	}
	// A reconnecting fleet re-sends unchanged grains: skip the write.
	if !m.fleet.sameGrains(id, b) {
		if _, err := m.grains.Put(ctx, id, b); err != nil {
			return nil, fmt.Errorf("store grains %s: %w", id, err)
		}
	}
	if u.Connect {
		m.presence.markReady(id)
		m.fire(proto.TagMinionStart(id), map[string]any{"id": id})
		// Jobs published while the minion was not connected: it is
		// subscribed by now (a client subscribes before it speaks).
		for _, job := range m.pending.take(id) {
			if err := m.nc.Publish(proto.JobSubject(id), job); err != nil {
				m.log.Warn("replay job", "id", id, "err", err)
			}
		}
	}
	return proto.Ack{}, nil
}

func (m *Master) handleKeyList(ctx context.Context, _ caller, body []byte) (any, error) {
	recs, err := m.keys.all(ctx)
	if err != nil {
		return nil, err
	}
	return proto.KeyListReply{Keys: infos(recs)}, nil
}

func (m *Master) handleKeyAccept(ctx context.Context, _ caller, body []byte) (any, error) {
	var req proto.KeyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	// Pending keys are accepted by glob or --all; a rejected key only when
	// named exactly, as salt-key's --include-rejected would.
	from := []string{proto.KeyPending}
	if !req.All && !strings.ContainsAny(req.ID, "*?[") {
		from = append(from, proto.KeyRejected)
	}
	changed, err := m.keys.setState(ctx, req, proto.KeyAccepted, from...)
	return proto.KeyActionReply{Changed: changed}, err
}

func (m *Master) handleKeyReject(ctx context.Context, _ caller, body []byte) (any, error) {
	var req proto.KeyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	from := []string{proto.KeyPending}
	if !req.All && !strings.ContainsAny(req.ID, "*?[") {
		from = append(from, proto.KeyAccepted)
	}
	changed, err := m.keys.setState(ctx, req, proto.KeyRejected, from...)
	for _, id := range changed {
		m.kick(id)
	}
	return proto.KeyActionReply{Changed: changed}, err
}

func (m *Master) handleKeyDelete(ctx context.Context, _ caller, body []byte) (any, error) {
	var req proto.KeyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	deleted, err := m.forgetMinions(ctx, req)
	return proto.KeyActionReply{Changed: deleted}, err
}

func (m *Master) handleTargets(ctx context.Context, _ caller, body []byte) (any, error) {
	var req proto.TargetRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	ids, err := m.fleet.match(req.Target, m.pillars.get)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadTarget, "%v", err)
	}
	return proto.TargetReply{Minions: ids}, nil
}

// onMinionEvent forwards an event a minion fired (event.send) to the bus,
// with the sender's id (from the subject) in its data, after checking that
// the tag is one the minion may use.
func (m *Master) onMinionEvent(msg *nats.Msg) {
	id := proto.TokenID(strings.TrimPrefix(msg.Subject, proto.SubjectMinionEvt+"."))
	if !m.fleet.accepted(id) {
		return
	}
	if !m.limits.allowEvent(id) {
		m.metrics.drop("over its event rate")
		if n := m.limits.dropped.Add(1); logDrop(n) {
			m.log.Warn("minion event dropped: over its rate", "id", id, "dropped_total", n)
		}
		return
	}
	var ev proto.Event
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		m.log.Warn("bad minion event", "id", id, "err", err)
		return
	}
	if err := proto.CheckMinionTag(id, ev.Tag); err != nil {
		m.log.Warn("minion event refused", "id", id, "err", err)
		m.fire("brine/event/rejected", map[string]any{"id": id, "reason": err.Error()})
		return
	}
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	ev.Data["id"] = id
	delete(ev.Data, reactor.DepthKey) // only the master stamps reactor depth
	m.fire(ev.Tag, ev.Data)
}
