package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// startJS starts an in-process nats-server with JetStream under t.TempDir
// and returns a connection to it.
func startJS(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true, ServerName: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

type firedEvent struct {
	tag  string
	data map[string]any
}

type fireRecorder struct {
	mu     sync.Mutex
	events []firedEvent
}

func (r *fireRecorder) fire(tag string, data map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, firedEvent{tag, data})
}

func (r *fireRecorder) take() []firedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func newTestKeyStore(t *testing.T, js jetstream.JetStream) (*keyStore, *fireRecorder) {
	t.Helper()
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: proto.BucketKeys, History: 1, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	rec := &fireRecorder{}
	return &keyStore{kv: kv, cache: newFleet(discardLog()), fire: rec.fire, log: discardLog()}, rec
}

func mustState(t *testing.T, k *keyStore, id, pub, want string) {
	t.Helper()
	got, err := k.authenticate(context.Background(), id, pub)
	if err != nil {
		t.Fatalf("authenticate(%s): %v", id, err)
	}
	if got != want {
		t.Fatalf("authenticate(%s) = %q, want %q", id, got, want)
	}
}

func wantEvents(t *testing.T, rec *fireRecorder, want ...string) []firedEvent {
	t.Helper()
	got := rec.take()
	var desc []string
	for _, e := range got {
		desc = append(desc, fmt.Sprintf("%s %v %v", e.tag, e.data["id"], e.data["act"]))
	}
	if !reflect.DeepEqual(desc, want) {
		t.Fatalf("events = %q, want %q", desc, want)
	}
	return got
}

func TestKeyStoreAuthenticate(t *testing.T) {
	_, js := startJS(t)
	k, rec := newTestKeyStore(t, js)
	ctx := context.Background()
	_, pub1 := newUser(t)
	_, pub2 := newUser(t)
	_, pub3 := newUser(t)

	// A new id lands in pending, and salt/auth says so.
	mustState(t, k, "web1", pub1, proto.KeyPending)
	ev := wantEvents(t, rec, "salt/auth web1 pend")
	if ev[0].data["pub"] != pub1 || ev[0].data["result"] != false {
		t.Errorf("salt/auth data = %v", ev[0].data)
	}
	// The same key again: the same state, no new event.
	mustState(t, k, "web1", pub1, proto.KeyPending)
	wantEvents(t, rec)

	// A different key for the id is denied and recorded once.
	mustState(t, k, "web1", pub2, proto.KeyDenied)
	ev = wantEvents(t, rec, "salt/auth web1 denied")
	if ev[0].data["pub"] != pub2 || ev[0].data["result"] != false {
		t.Errorf("salt/auth data = %v", ev[0].data)
	}
	mustState(t, k, "web1", pub2, proto.KeyDenied)
	wantEvents(t, rec)
	mustState(t, k, "web1", pub3, proto.KeyDenied)
	wantEvents(t, rec, "salt/auth web1 denied")
	// The registered key is untouched.
	mustState(t, k, "web1", pub1, proto.KeyPending)
	r, _, err := k.get(ctx, "web1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Public != pub1 || len(r.Denied) != 2 || r.Denied[0].Public != pub2 || r.Denied[1].Public != pub3 {
		t.Errorf("record = %+v", r)
	}
	if r.Updated.IsZero() {
		t.Error("record has no update time")
	}
	// key list shows the denied keys.
	recs, err := k.all(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, i := range infos(recs) {
		states = append(states, i.State)
	}
	if !reflect.DeepEqual(states, []string{proto.KeyPending, proto.KeyDenied, proto.KeyDenied}) {
		t.Errorf("infos states = %v", states)
	}
}

func TestKeyStoreCache(t *testing.T) {
	_, js := startJS(t)
	k, _ := newTestKeyStore(t, js)
	_, pub := newUser(t)
	mustState(t, k, "web1", pub, proto.KeyPending)
	// Right after this master wrote web1's key, the cache is bypassed: a
	// cached answer that disagrees with the bucket is not used.
	b, _ := json.Marshal(keyRecord{ID: "web1", Public: pub, State: proto.KeyAccepted, Updated: time.Now().Add(time.Second)})
	k.cache.applyKey("web1", b)
	mustState(t, k, "web1", pub, proto.KeyPending)
	// Once the watch has surely caught up, the cache answers a known key
	// (here it says accepted, as the bucket will once an accept arrives).
	k.cache.mu.Lock()
	k.cache.stale["web1"] = time.Now().Add(-staleFor)
	k.cache.mu.Unlock()
	mustState(t, k, "web1", pub, proto.KeyAccepted)
	// Another key is never answered from the cache.
	_, other := newUser(t)
	mustState(t, k, "web1", other, proto.KeyDenied)
}

func TestKeyStoreAutoAccept(t *testing.T) {
	_, js := startJS(t)
	k, rec := newTestKeyStore(t, js)
	k.autoAccept = true
	_, pub := newUser(t)
	mustState(t, k, "web1", pub, proto.KeyAccepted)
	ev := wantEvents(t, rec, "salt/auth web1 accept")
	if ev[0].data["result"] != true {
		t.Errorf("salt/auth data = %v", ev[0].data)
	}
	mustState(t, k, "web1", pub, proto.KeyAccepted)
	// auto_accept never takes a second key.
	_, other := newUser(t)
	mustState(t, k, "web1", other, proto.KeyDenied)
}

func TestKeyStoreAutosign(t *testing.T) {
	_, js := startJS(t)
	k, rec := newTestKeyStore(t, js)
	k.autosignFile = filepath.Join(t.TempDir(), "autosign.conf")
	if err := os.WriteFile(k.autosignFile, []byte("# trusted\nweb*\ndb[12]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"web1": proto.KeyAccepted, "web.example.com": proto.KeyAccepted, "db2": proto.KeyAccepted,
		"db3": proto.KeyPending, "mail1": proto.KeyPending,
	} {
		_, pub := newUser(t)
		mustState(t, k, id, pub, want)
	}
	if n := len(rec.take()); n != 5 {
		t.Errorf("%d salt/auth events, want 5", n)
	}
}

func TestKeyStoreConcurrentFirstContact(t *testing.T) {
	_, js := startJS(t)
	k, rec := newTestKeyStore(t, js)
	ctx := context.Background()
	// The same key from several connections at once: one record, one event.
	_, pub := newUser(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := k.authenticate(ctx, "same", pub)
			if err == nil && st != proto.KeyPending {
				err = fmt.Errorf("state %q", st)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantEvents(t, rec, "salt/auth same pend")

	// Four different keys at once: one is registered, three are denied and
	// all three are recorded.
	pubs := make([]string, 4)
	states := make([]string, 4)
	for i := range pubs {
		_, pubs[i] = newUser(t)
	}
	errs = make(chan error, 4)
	for i := range pubs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, err := k.authenticate(ctx, "contested", pubs[i])
			if err != nil {
				errs <- err
			}
			states[i] = st
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, _, err := k.get(ctx, "contested")
	if err != nil {
		t.Fatal(err)
	}
	pending := 0
	for i, st := range states {
		switch st {
		case proto.KeyPending:
			pending++
			if r.Public != pubs[i] {
				t.Errorf("key %d reported pending but %s is registered", i, r.Public)
			}
		case proto.KeyDenied:
		default:
			t.Errorf("key %d: state %q", i, st)
		}
	}
	if pending != 1 || len(r.Denied) != 3 {
		t.Errorf("%d pending, %d denied recorded, want 1 and 3", pending, len(r.Denied))
	}
	if n := len(rec.take()); n != 4 {
		t.Errorf("%d events, want 4 (1 pend, 3 denied)", n)
	}
}

func TestKeyStoreSetStateAndDelete(t *testing.T) {
	_, js := startJS(t)
	k, rec := newTestKeyStore(t, js)
	ctx := context.Background()
	pubs := map[string]string{}
	for _, id := range []string{"web1", "web2", "db1"} {
		_, pubs[id] = newUser(t)
		mustState(t, k, id, pubs[id], proto.KeyPending)
	}
	rec.take()

	// Nothing to delete or change is not an error.
	if got, err := k.setState(ctx, proto.KeyRequest{ID: "nosuch"}, proto.KeyAccepted, proto.KeyPending); err != nil || len(got) != 0 {
		t.Errorf("setState(nosuch) = %v, %v", got, err)
	}

	changed, err := k.setState(ctx, proto.KeyRequest{ID: "web*"}, proto.KeyAccepted, proto.KeyPending)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, []string{"web1", "web2"}) {
		t.Errorf("accept web* changed %v", changed)
	}
	wantEvents(t, rec, "salt/key web1 accept", "salt/key web2 accept")
	mustState(t, k, "web1", pubs["web1"], proto.KeyAccepted)
	mustState(t, k, "db1", pubs["db1"], proto.KeyPending)

	// Accepting again changes nothing.
	if changed, err := k.setState(ctx, proto.KeyRequest{All: true}, proto.KeyAccepted, proto.KeyPending, proto.KeyAccepted); err != nil || !reflect.DeepEqual(changed, []string{"db1"}) {
		t.Errorf("accept --all = %v, %v", changed, err)
	}
	rec.take()

	changed, err = k.setState(ctx, proto.KeyRequest{ID: "web2"}, proto.KeyRejected, proto.KeyAccepted)
	if err != nil || !reflect.DeepEqual(changed, []string{"web2"}) {
		t.Fatalf("reject web2 = %v, %v", changed, err)
	}
	wantEvents(t, rec, "salt/key web2 reject")
	mustState(t, k, "web2", pubs["web2"], proto.KeyRejected)

	for _, req := range []proto.KeyRequest{{}, {ID: "web[1"}} {
		_, err := k.setState(ctx, req, proto.KeyAccepted, proto.KeyPending)
		var pe *proto.Error
		if !errors.As(err, &pe) || pe.Kind != proto.ErrBadRequest {
			t.Errorf("setState(%+v) error = %v", req, err)
		}
		if _, err := k.delete(ctx, req); !errors.As(err, &pe) {
			t.Errorf("delete(%+v) error = %v", req, err)
		}
	}

	// A deleted id starts over: any key may register again.
	deleted, err := k.delete(ctx, proto.KeyRequest{ID: "web1"})
	if err != nil || !reflect.DeepEqual(deleted, []string{"web1"}) {
		t.Fatalf("delete web1 = %v, %v", deleted, err)
	}
	wantEvents(t, rec, "salt/key web1 delete")
	if r, _, err := k.get(ctx, "web1"); err != nil || r != nil {
		t.Errorf("deleted record = %+v, %v", r, err)
	}
	_, newPub := newUser(t)
	mustState(t, k, "web1", newPub, proto.KeyPending)
	rec.take()

	deleted, err = k.delete(ctx, proto.KeyRequest{All: true})
	if err != nil || !reflect.DeepEqual(deleted, []string{"db1", "web1", "web2"}) {
		t.Fatalf("delete --all = %v, %v", deleted, err)
	}
	recs, err := k.all(ctx)
	if err != nil || len(recs) != 0 {
		t.Errorf("after delete --all: %v, %v", recs, err)
	}
	// Empty bucket.
	if deleted, err := k.delete(ctx, proto.KeyRequest{All: true}); err != nil || len(deleted) != 0 {
		t.Errorf("delete on empty bucket = %v, %v", deleted, err)
	}
}

func TestAuthorizeAndEmbeddedAuthWithStore(t *testing.T) {
	_, js := startJS(t)
	k, _ := newTestKeyStore(t, js)
	a, _, _ := testAuthorizer(t)
	a.m.keys = k
	a.ready.Store(true)
	e := testEmbeddedAuth(a)
	ctx := context.Background()

	kp, pub := newUser(t)
	if _, deny := a.authorize(ctx, "web1", pub, "", "h", "S", 1); !strings.Contains(deny, "pending") {
		t.Errorf("new key: deny %q", deny)
	}
	if c := nkeyClient(t, kp, "web1"); e.Check(c) {
		t.Error("pending key admitted")
	}
	if _, err := k.setState(ctx, proto.KeyRequest{ID: "web1"}, proto.KeyAccepted, proto.KeyPending); err != nil {
		t.Fatal(err)
	}
	g, deny := a.authorize(ctx, "web1", pub, "", "h", "S", 9)
	if deny != "" || !reflect.DeepEqual(g, minionGrant("web1")) {
		t.Errorf("accepted key: grant %+v, deny %q", g, deny)
	}
	if refs := a.m.conns.take("web1"); len(refs) != 1 || refs[0] != (connRef{"S", 9}) {
		t.Errorf("connection not remembered: %+v", refs)
	}

	c := nkeyClient(t, kp, "web1")
	if !e.Check(c) {
		t.Fatal("accepted key refused")
	}
	want := minionGrant("web1")
	if c.user.Username != "web1" || c.user.Account != e.brine ||
		!reflect.DeepEqual(c.user.Permissions.Publish.Allow, want.pubAllow) ||
		!reflect.DeepEqual(c.user.Permissions.Subscribe.Allow, want.subAllow) {
		t.Errorf("registered %+v", c.user)
	}
	if refs := a.m.conns.take("web1"); len(refs) != 1 || refs[0] != (connRef{"SRV", 42}) {
		t.Errorf("connection not remembered: %+v", refs)
	}

	// The accepted key of web1 does not open another id.
	if c := nkeyClient(t, kp, "web2"); e.Check(c) {
		t.Error("web1's key admitted as web2")
	}
	// Someone else's key for web1 is denied.
	other, _ := newUser(t)
	if c := nkeyClient(t, other, "web1"); e.Check(c) {
		t.Error("another key admitted as web1")
	}
	// A rejected key is refused.
	if _, err := k.setState(ctx, proto.KeyRequest{ID: "web1"}, proto.KeyRejected, proto.KeyAccepted); err != nil {
		t.Fatal(err)
	}
	if _, deny := a.authorize(ctx, "web1", pub, "", "h", "S", 1); !strings.Contains(deny, "rejected") {
		t.Errorf("rejected key: deny %q", deny)
	}
}

// Anyone who reaches the bus can ask to register: the keys waiting for
// acceptance, and the other keys recorded per id, are bounded.
func TestKeyStoreBounds(t *testing.T) {
	_, js := startJS(t)
	k, _ := newTestKeyStore(t, js)
	k.maxPendingKeys = 3
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, pub := newUser(t)
		mustState(t, k, fmt.Sprintf("m%d", i), pub, proto.KeyPending)
	}
	_, pub := newUser(t)
	mustState(t, k, "m3", pub, proto.KeyPending) // answered pending ...
	if r, _, _ := k.get(ctx, "m3"); r != nil {
		t.Errorf("a registration past max_pending_keys was recorded: %+v", r)
	}
	// Denied keys per id.
	for i := 0; i < maxDeniedPerID+5; i++ {
		_, other := newUser(t)
		mustState(t, k, "m0", other, proto.KeyDenied)
	}
	r, _, err := k.get(ctx, "m0")
	if err != nil || len(r.Denied) != maxDeniedPerID {
		t.Errorf("denied keys recorded for m0: %d, want %d (%v)", len(r.Denied), maxDeniedPerID, err)
	}
}

// A key record that cannot be read is listed as damaged and can be deleted.
func TestKeyStoreDamagedRecord(t *testing.T) {
	_, js := startJS(t)
	k, _ := newTestKeyStore(t, js)
	ctx := context.Background()
	if _, err := k.kv.Put(ctx, "web2", []byte(`{}garbage`)); err != nil {
		t.Fatal(err)
	}
	recs, err := k.all(ctx)
	if err != nil || len(recs) != 1 || recs[0].State != proto.KeyDamaged || recs[0].ID != "web2" {
		t.Fatalf("all = %+v, %v", recs, err)
	}
	if got := infos(recs); len(got) != 1 || got[0].State != proto.KeyDamaged {
		t.Errorf("infos = %+v", got)
	}
	del, err := k.delete(ctx, proto.KeyRequest{ID: "web2"})
	if err != nil || len(del) != 1 {
		t.Fatalf("delete damaged: %v %v", del, err)
	}
}

// A connection that arrives while the master starts is held until the
// master is ready, not refused (which would push a reconnecting fleet into
// longer backoffs); past startWait it is refused.
func TestAuthorizeWaitsForStart(t *testing.T) {
	_, js := startJS(t)
	k, _ := newTestKeyStore(t, js)
	a, _, _ := testAuthorizer(t)
	a.m.keys = k
	ctx := context.Background()
	_, pub := newUser(t)
	mustState(t, k, "web1", pub, proto.KeyPending)
	if _, err := k.setState(ctx, proto.KeyRequest{ID: "web1"}, proto.KeyAccepted, proto.KeyPending); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, deny := a.authorize(ctx, "web1", pub, "", "h", "S", 1); deny != "master is starting" || time.Since(start) < startWait {
		t.Errorf("never ready: deny %q after %s, want a refusal after %s", deny, time.Since(start), startWait)
	}
	done := make(chan string, 1)
	go func() {
		_, deny := a.authorize(ctx, "web1", pub, "", "h", "S", 2)
		done <- deny
	}()
	a.setReady()
	if deny := <-done; deny != "" {
		t.Errorf("a connection held during start was refused: %q", deny)
	}
}
