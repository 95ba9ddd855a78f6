package master

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/proto"
)

// newTestMaster is a master on an in-process JetStream server without the
// auth layer: its store, fleet and handlers, nothing listening.
func newTestMaster(t testing.TB) (*Master, *nats.Conn) {
	t.Helper()
	nc, _ := startJS(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opKey, opPub := newUser(t)
	m := &Master{cfg: &Config{KeepJobs: 1}, log: discardLog(), secrets: &busSecrets{Operator: opKey, OperatorPub: opPub}, nc: nc,
		limits: newMinionLimits(0, 0, 0, 0), tracked: newTrackedJobs(), presence: newPresence()}
	if err := m.setupStore(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.openReturnChunks(ctx); err != nil {
		t.Fatal(err)
	}
	m.operatorOps = m.operatorHandlers()
	m.minionOps = m.minionHandlers()
	return m, nc
}

// addMinion records an accepted (or other state) key and grains, in the
// buckets and in the fleet cache at once.
func addMinion(t testing.TB, m *Master, id, state string, grains map[string]any) {
	t.Helper()
	ctx := context.Background()
	_, pub := newUser(t)
	r := &keyRecord{ID: id, Public: pub, State: state}
	if err := m.keys.put(ctx, r, 0); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	m.fleet.applyKey(id, b)
	if grains != nil {
		g, _ := json.Marshal(grains)
		if _, err := m.grains.Put(ctx, id, g); err != nil {
			t.Fatal(err)
		}
		m.fleet.applyGrains(id, g)
	}
}

func subscribeSync(t *testing.T, nc *nats.Conn, subj string) *nats.Subscription {
	t.Helper()
	sub, err := nc.SubscribeSync(subj)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return sub
}

func nextEvent(t *testing.T, sub *nats.Subscription) proto.Event {
	t.Helper()
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("no event: %v", err)
	}
	var ev proto.Event
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		t.Fatal(err)
	}
	if msg.Subject != proto.EventSubject(ev.Tag) {
		t.Errorf("event %s on subject %s", ev.Tag, msg.Subject)
	}
	return ev
}

func errKind(err error) string {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return ""
}

func TestHandlePublish(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, map[string]any{"id": "web1", "roles": []any{"web"}})
	addMinion(t, m, "web.2", proto.KeyAccepted, map[string]any{"id": "web.2", "roles": []any{"web"}})
	addMinion(t, m, "web3", proto.KeyPending, map[string]any{"id": "web3", "roles": []any{"web"}})
	addMinion(t, m, "db1", proto.KeyAccepted, map[string]any{"id": "db1", "roles": []any{"db"}})
	ctx := context.Background()
	c := caller{Key: m.secrets.OperatorPub, User: "alice"}
	jobs := subscribeSync(t, nc, proto.SubjectJob+".>")
	events := subscribeSync(t, nc, proto.SubjectEvent+".salt.job.>")
	jid := proto.NewJID(time.Now())

	for _, tt := range []struct {
		req  proto.PublishRequest
		kind string
	}{
		{proto.PublishRequest{JID: "123", Fun: "test.ping", Target: proto.Target{Expr: "*"}}, proto.ErrBadRequest},
		{proto.PublishRequest{JID: jid, Fun: "ping", Target: proto.Target{Expr: "*"}}, proto.ErrUnknownFunction},
		{proto.PublishRequest{JID: jid, Fun: "test.ping", Target: proto.Target{Expr: "mail*"}}, proto.ErrNoMinions},
		{proto.PublishRequest{JID: jid, Fun: "test.ping", Target: proto.Target{Expr: "web3"}}, proto.ErrNoMinions},
		{proto.PublishRequest{JID: jid, Fun: "test.ping", Target: proto.Target{Expr: "(", Type: "pcre"}}, proto.ErrBadTarget},
	} {
		body, _ := json.Marshal(tt.req)
		if _, err := m.handlePublish(ctx, c, body); errKind(err) != tt.kind {
			t.Errorf("publish %+v: error %v, want kind %s", tt.req, err, tt.kind)
		}
	}
	if _, err := m.handlePublish(ctx, c, []byte("{bad json")); errKind(err) != proto.ErrBadRequest {
		t.Errorf("bad body: %v", err)
	}

	body, _ := json.Marshal(proto.PublishRequest{JID: jid, Fun: "cmd.run", Arg: []any{"echo s3cret"}, Target: proto.Target{Expr: "roles:web"}})
	res, err := m.handlePublish(ctx, c, body)
	if err != nil {
		t.Fatal(err)
	}
	rep := res.(proto.PublishReply)
	if rep.JID != jid || !reflect.DeepEqual(rep.Minions, []string{"web.2", "web1"}) {
		t.Errorf("reply = %+v", rep)
	}
	// Each targeted minion gets the job on its own subject, and no one else.
	got := map[string]proto.Job{}
	for i := 0; i < 2; i++ {
		msg, err := jobs.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var j proto.Job
		if err := json.Unmarshal(msg.Data, &j); err != nil {
			t.Fatal(err)
		}
		got[msg.Subject] = j
	}
	for _, id := range []string{"web1", "web.2"} {
		j, ok := got[proto.JobSubject(id)]
		if !ok || j.JID != jid || j.Fun != "cmd.run" || j.User != "alice" || !reflect.DeepEqual(j.Arg, []any{"echo s3cret"}) {
			t.Errorf("job for %s = %+v (%v)", id, j, ok)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Messages published before the flush have been delivered by now.
	if n, _, err := jobs.Pending(); err != nil || n != 0 {
		t.Errorf("%d more jobs went out (%v)", n, err)
	}
	// salt/job/<jid>/new, with cmd.run's arguments kept out.
	ev := nextEvent(t, events)
	if ev.Tag != proto.TagJobNew(jid) || ev.Data["user"] != "alice" || ev.Data["arg"] != "<1 args>" || ev.Data["fun"] != "cmd.run" {
		t.Errorf("event = %+v", ev)
	}
	if strings.Contains(string(mustJSON(t, ev)), "s3cret") {
		t.Error("the event carries cmd.run's argument")
	}
	// The job is in the job cache; its jid cannot be used again.
	if _, err := m.handlePublish(ctx, c, body); errKind(err) != proto.ErrBadRequest {
		t.Errorf("jid reuse: %v", err)
	}
	list, err := m.handleJobsList(ctx, c, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if jl := list.(proto.JobsListReply).Jobs; len(jl) != 1 || jl[0].JID != jid || !reflect.DeepEqual(jl[0].Minions, []string{"web.2", "web1"}) {
		t.Errorf("jobs list = %+v", jl)
	}
	if _, err := m.handleJobsShow(ctx, c, []byte(`{"jid":"x"}`)); errKind(err) != proto.ErrBadRequest {
		t.Errorf("jobs show bad jid: %v", err)
	}
	if _, err := m.handleJobsShow(ctx, c, []byte(`{"jid":"20000102030405123456"}`)); errKind(err) != proto.ErrNotFound {
		t.Errorf("jobs show unknown jid: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandleGrains(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	events := subscribeSync(t, nc, proto.SubjectEvent+".>")
	ctx := context.Background()
	// A minion cannot claim another id through its grains.
	if _, err := m.handleGrains(ctx, "web1", []byte(`{"grains":{"id":"db1","os":"Debian"},"connect":true}`)); err != nil {
		t.Fatal(err)
	}
	e, err := m.grains.Get(ctx, "web1")
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]any
	if err := json.Unmarshal(e.Value(), &g); err != nil {
		t.Fatal(err)
	}
	if g["id"] != "web1" || g["os"] != "Debian" {
		t.Errorf("stored grains = %v", g)
	}
	if ev := nextEvent(t, events); ev.Tag != proto.TagMinionStart("web1") || ev.Data["id"] != "web1" {
		t.Errorf("event = %+v", ev)
	}
	if _, err := m.grains.Get(ctx, "db1"); err == nil {
		t.Error("grains stored for db1")
	}
	if _, err := m.handleGrains(ctx, "web1", []byte(`{"grains":null}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.handleGrains(ctx, "web1", []byte(`[`)); errKind(err) != proto.ErrBadRequest {
		t.Errorf("bad body: %v", err)
	}
}

// A return's subject names the minion that sent it (NATS permissions see to
// that); its body is whatever the minion wrote. The master believes the
// subject, and republishes a return only for a job that targeted that
// minion, once.
func TestOnMinionReturn(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web.1", proto.KeyAccepted, nil)
	addMinion(t, m, "db1", proto.KeyAccepted, nil)
	ctx := context.Background()
	events := subscribeSync(t, nc, proto.SubjectEvent+".>")
	stored := subscribeSync(t, nc, proto.SubjectReturn+".>")
	jid := proto.NewJID(time.Now())
	if _, err := m.publish(ctx, jid, proto.Target{Expr: "web.1", Type: "list"}, "test.ping", nil, nil, "alice", 0); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events); ev.Tag != proto.TagJobNew(jid) {
		t.Fatalf("event = %+v", ev)
	}
	other := proto.NewJID(time.Now())
	body := mustJSON(t, proto.Return{JID: other, ID: "db1", Fun: "test.ping", Return: true, Success: true})
	m.onMinionReturn(&nats.Msg{Subject: proto.MinionReturnSubject(jid, "web.1"), Data: body})
	ev := nextEvent(t, events)
	if ev.Tag != proto.TagJobRet(jid, "web.1") || ev.Data["id"] != "web.1" || ev.Data["jid"] != jid {
		t.Errorf("event = %+v, want the return of web.1 for %s", ev, jid)
	}
	msg, err := stored.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r proto.Return
	if err := json.Unmarshal(msg.Data, &r); err != nil || msg.Subject != proto.ReturnSubject(jid, "web.1") || r.ID != "web.1" || r.JID != jid {
		t.Errorf("republished %s %+v (%v)", msg.Subject, r, err)
	}
	// Dropped: a second return, a return for a job that did not target the
	// sender, for a job that does not exist.
	m.onMinionReturn(&nats.Msg{Subject: proto.MinionReturnSubject(jid, "web.1"), Data: body})
	m.onMinionReturn(&nats.Msg{Subject: proto.MinionReturnSubject(jid, "db1"), Data: body})
	m.onMinionReturn(&nats.Msg{Subject: proto.MinionReturnSubject(other, "db1"), Data: body})
	if msg, err := stored.NextMsg(300 * time.Millisecond); err == nil {
		t.Errorf("republished %s", msg.Subject)
	}
	if got := m.limits.dropped.Load(); got != 3 {
		t.Errorf("dropped = %d, want 3", got)
	}
	// A job published by another master (not tracked here) is looked up.
	m2jid := proto.NewJID(time.Now())
	rec := mustJSON(t, proto.JobRecord{JID: m2jid, Fun: "test.ping", Minions: []string{"db1"}})
	if _, err := m.jobs.Create(ctx, m2jid, rec); err != nil {
		t.Fatal(err)
	}
	m.onMinionReturn(&nats.Msg{Subject: proto.MinionReturnSubject(m2jid, "db1"), Data: body})
	if msg, err := stored.NextMsg(5 * time.Second); err != nil || msg.Subject != proto.ReturnSubject(m2jid, "db1") {
		t.Errorf("return for another master's job: %v %v", msg, err)
	}
}

// A return whose head is right is stored as the minion sent it; a body
// that is not JSON is stored as a failed return saying so, and the event
// reports the failure.
func TestOnMinionReturnBodies(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	addMinion(t, m, "db1", proto.KeyAccepted, nil)
	ctx := context.Background()
	events := subscribeSync(t, nc, proto.SubjectEvent+".>")
	stored := subscribeSync(t, nc, proto.SubjectReturn+".>")
	jid := proto.NewJID(time.Now())
	if _, err := m.publish(ctx, jid, proto.Target{Expr: "web1,db1", Type: "list"}, "state.apply", nil, nil, "alice", 0); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, events)
	good := mustJSON(t, proto.Return{JID: jid, ID: "web1", Fun: "state.apply", Return: map[string]any{"big": strings.Repeat("x", 1<<16)}, Retcode: 2, Success: false})
	m.onMinionReturn(&nats.Msg{Subject: proto.MinionReturnSubject(jid, "web1"), Data: good})
	if msg, err := stored.NextMsg(5 * time.Second); err != nil || !bytes.Equal(msg.Data, good) {
		t.Fatalf("stored %v (%v), want the body as sent", msg, err)
	}
	if ev := nextEvent(t, events); ev.Data["retcode"] != float64(2) || ev.Data["success"] != false || ev.Data["fun"] != "state.apply" {
		t.Errorf("event = %+v", ev)
	}
	m.onMinionReturn(&nats.Msg{Subject: proto.MinionReturnSubject(jid, "db1"), Data: []byte(`{"jid":"` + jid + `","id":"db1","return":{"a":`)})
	msg, err := stored.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r proto.Return
	if err := json.Unmarshal(msg.Data, &r); err != nil || r.ID != "db1" || r.JID != jid || r.Success || r.Retcode != 1 ||
		!strings.Contains(fmt.Sprint(r.Return), "could not be read") {
		t.Errorf("stored %s (%v)", msg.Data, err)
	}
	if ev := nextEvent(t, events); ev.Data["retcode"] != float64(1) || ev.Data["success"] != false {
		t.Errorf("event = %+v", ev)
	}
}

func TestJobsShowTrustsSubject(t *testing.T) {
	m, _ := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	addMinion(t, m, "db1", proto.KeyAccepted, nil)
	ctx := context.Background()
	c := caller{User: "alice"}
	jid := proto.NewJID(time.Now())
	body := mustJSON(t, proto.PublishRequest{JID: jid, Fun: "test.ping", Target: proto.Target{Expr: "*"}})
	if _, err := m.handlePublish(ctx, c, body); err != nil {
		t.Fatal(err)
	}
	// web1 answers for itself and, forging the body, for db1.
	for _, r := range []proto.Return{{JID: jid, ID: "web1", Return: true, Success: true}, {JID: jid, ID: "db1", Return: false}} {
		if _, err := m.js.Publish(ctx, proto.ReturnSubject(jid, "web1"), mustJSON(t, r)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := m.handleJobsShow(ctx, c, mustJSON(t, proto.JobsShowRequest{JID: jid}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.(proto.JobsShowReply).Returns {
		if r.ID != "web1" {
			t.Errorf("jobs show lists a return from %q, which only web1 sent", r.ID)
		}
	}
}

func TestServeOperatorAndMinion(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	addMinion(t, m, "web2", proto.KeyPending, nil)
	ctx := context.Background()
	if err := m.subscribe(ctx); err != nil {
		t.Fatal(err)
	}
	request := func(msg *nats.Msg) map[string]any {
		t.Helper()
		resp, err := requestAs(nc, msg, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(resp.Data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	kindOf := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		k, _ := e["kind"].(string)
		return k
	}
	now := time.Now()
	subj := proto.MasterSubject(proto.OpKeyList)
	good := operatorMsg(t, m.secrets.Operator, m.secrets.OperatorPub, subj, now, []byte(`{"all":true}`))
	out := request(good)
	if kindOf(out) != "" || len(out["keys"].([]any)) != 2 {
		t.Errorf("key list = %v", out)
	}
	otherKey, otherPub := newUser(t)
	if out := request(operatorMsg(t, otherKey, otherPub, subj, now, []byte(`{}`))); kindOf(out) != proto.ErrDenied {
		t.Errorf("foreign key: %v", out)
	}
	if out := request(&nats.Msg{Subject: subj, Data: []byte(`{}`)}); kindOf(out) != proto.ErrDenied {
		t.Errorf("unsigned: %v", out)
	}
	bogus := proto.MasterSubject("bogus.op")
	if out := request(operatorMsg(t, m.secrets.Operator, m.secrets.OperatorPub, bogus, now, []byte(`{}`))); kindOf(out) != proto.ErrBadRequest {
		t.Errorf("unknown op: %v", out)
	}
	// Minion requests: accepted minions only, known operations only.
	grains := &nats.Msg{Subject: proto.MinionRequestSubject("web1", proto.ReqGrains), Data: []byte(`{"grains":{"os":"x"}}`)}
	if out := request(grains); kindOf(out) != "" {
		t.Errorf("grains from web1: %v", out)
	}
	if out := request(&nats.Msg{Subject: proto.MinionRequestSubject("web2", proto.ReqGrains), Data: []byte(`{}`)}); kindOf(out) != proto.ErrDenied {
		t.Errorf("grains from pending web2: %v", out)
	}
	if out := request(&nats.Msg{Subject: proto.MinionRequestSubject("nosuch", proto.ReqGrains), Data: []byte(`{}`)}); kindOf(out) != proto.ErrDenied {
		t.Errorf("grains from unknown minion: %v", out)
	}
	if out := request(&nats.Msg{Subject: proto.MinionRequestSubject("web1", "bogus"), Data: []byte(`{}`)}); kindOf(out) != proto.ErrBadRequest {
		t.Errorf("unknown minion op: %v", out)
	}
}

// requestAs sends msg as a request and waits for the reply. A minion
// request (brine.req.<id>.<op>) gets its reply subject in that minion's own
// inbox, as a real minion's client sets it; the master drops anything else.
func requestAs(nc *nats.Conn, msg *nats.Msg, timeout time.Duration) (*nats.Msg, error) {
	parts := strings.Split(msg.Subject, ".")
	if len(parts) != 4 || parts[0]+"."+parts[1] != proto.SubjectMinionReq {
		return nc.RequestMsg(msg, timeout)
	}
	inbox := proto.MinionInbox(proto.TokenID(parts[2])) + "." + nats.NewInbox()[len("_INBOX."):]
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	msg.Reply = inbox
	if err := nc.PublishMsg(msg); err != nil {
		return nil, err
	}
	return sub.NextMsg(timeout)
}

// A minion request whose reply subject is not in the minion's own inbox
// is dropped and counted; the master never publishes there.
func TestMinionReplySubjectConfined(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, map[string]any{"os": "Debian"})
	addMinion(t, m, "web2", proto.KeyAccepted, map[string]any{"os": "Debian"})
	ctx := context.Background()
	if err := m.subscribe(ctx); err != nil {
		t.Fatal(err)
	}
	before, _, _ := m.keys.get(ctx, "web2")
	targets := []string{
		"$KV." + proto.BucketKeys + ".web2", "$KV." + proto.BucketGrains + ".web2",
		proto.ReturnSubject(proto.NewJID(time.Now()), "web2"), "_INBOX.x", proto.MinionInbox("web2") + ".x",
		proto.MinionInbox("web1"), // the prefix alone is not an inbox
		proto.MinionInbox("web1") + ".*", proto.MinionInbox("web1") + ".>",
	}
	watch := subscribeSync(t, nc, ">")
	for _, reply := range targets {
		if err := nc.PublishMsg(&nats.Msg{Subject: proto.MinionRequestSubject("web1", proto.ReqGrains), Reply: reply, Data: []byte(`{"grains":{}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// A request on the right inbox is answered; by then the others were seen.
	if _, err := requestAs(nc, &nats.Msg{Subject: proto.MinionRequestSubject("web1", proto.ReqGrains), Data: []byte(`{"grains":{}}`)}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// Requests are served concurrently: wait for every drop to be counted.
	deadline := time.Now().Add(10 * time.Second)
	for m.limits.dropped.Load() < uint64(len(targets)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling a counter, with a deadline
	}
	if got := m.limits.dropped.Load(); got != uint64(len(targets)) {
		t.Errorf("dropped %d, want %d", got, len(targets))
	}
	for {
		msg, err := watch.NextMsg(200 * time.Millisecond)
		if err != nil {
			break
		}
		for _, r := range targets {
			if msg.Subject == r && msg.Reply == "" {
				t.Errorf("the master published on %s, a subject web1 chose", r)
			}
		}
	}
	after, _, _ := m.keys.get(ctx, "web2")
	if !reflect.DeepEqual(before, after) {
		t.Errorf("web2's key changed: %+v -> %+v", before, after)
	}
}
