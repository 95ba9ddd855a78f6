package autoscale

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/internal/ec2identity"
	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
	"github.com/brine-cm/brine/proto"
)

// fakeBackend stands in for the master: keys, connections, job runs and
// events, all recorded.
type fakeBackend struct {
	mu        sync.Mutex
	keys      map[string]string // id -> state
	leases    map[string]string
	connected map[string]bool
	runs      []string // "id fun arg"
	deleted   []string
	events    []proto.Event
	ids       map[string][2][]byte
	// run decides a function's outcome (nil: success).
	run func(id, fun string, arg []any) (bool, any, error)
	// onAccept, if set, runs when a key is accepted (e.g. the minion
	// connects).
	onAccept func(id string)
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{keys: map[string]string{}, leases: map[string]string{}, connected: map[string]bool{}, ids: map[string][2][]byte{}}
}

func (b *fakeBackend) KeyState(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.keys[id]
}

func (b *fakeBackend) AcceptKey(_ context.Context, id, lease string) error {
	b.mu.Lock()
	if b.keys[id] != proto.KeyPending {
		b.mu.Unlock()
		return fmt.Errorf("key %s is %q", id, b.keys[id])
	}
	b.keys[id], b.leases[id] = proto.KeyAccepted, lease
	f := b.onAccept
	b.mu.Unlock()
	if f != nil {
		f(id)
	}
	return nil
}

func (b *fakeBackend) Connected(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connected[id]
}

func (b *fakeBackend) Run(_ context.Context, id, fun string, arg []any, _ time.Duration) (bool, any, error) {
	b.mu.Lock()
	b.runs = append(b.runs, strings.TrimSpace(fmt.Sprintf("%s %s %v", id, fun, arg)))
	f := b.run
	b.mu.Unlock()
	if f != nil {
		return f(id, fun, arg)
	}
	return true, map[string]any{}, nil
}

func (b *fakeBackend) DeleteMinion(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.keys, id)
	b.deleted = append(b.deleted, id)
	return nil
}

func (b *fakeBackend) Identity(id string) ([]byte, []byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.ids[id]
	return d[0], d[1], ok
}

func (b *fakeBackend) Fire(tag string, data map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, proto.Event{Tag: tag, Data: data})
}

func (b *fakeBackend) set(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f()
}

// tags lists the fired tags that start with prefix.
func (b *fakeBackend) tags(prefix string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.events {
		if strings.HasPrefix(e.Tag, prefix) {
			out = append(out, e.Tag)
		}
	}
	return out
}

func (b *fakeBackend) event(tag string) map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.events {
		if e.Tag == tag {
			return e.Data
		}
	}
	return nil
}

func (b *fakeBackend) runList() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.runs)
}

// rig is an engine wired to fakes.
type rig struct {
	t      *testing.T
	b      *fakeBackend
	sqs    *fakeaws.SQS
	as     *fakeaws.AutoScaling
	cfg    *Config
	store  jetstream.KeyValue
	joined jetstream.KeyValue
	lc     *autoscaling.Client
	q      *sqs.Client
	queue  string
	ident  IdentityVerifier
	now    func() time.Time
}

const testQueue = "salt-master-queue"

func startJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
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
	return js
}

func newRig(t *testing.T, groups map[string]*Group) *rig {
	t.Helper()
	js := startJS(t)
	ctx := context.Background()
	store, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "as"})
	if err != nil {
		t.Fatal(err)
	}
	joined, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "joined"})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, b: newFakeBackend(), sqs: fakeaws.NewSQS(), as: fakeaws.NewAutoScaling(), store: store, joined: joined}
	sqsSrv := httptest.NewServer(r.sqs)
	t.Cleanup(sqsSrv.Close)
	asSrv := httptest.NewServer(r.as)
	t.Cleanup(asSrv.Close)
	awsCfg := aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
	}
	r.q = sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(sqsSrv.URL) })
	r.lc = autoscaling.NewFromConfig(awsCfg, func(o *autoscaling.Options) { o.BaseEndpoint = aws.String(asSrv.URL) })
	r.queue = sqsSrv.URL + "/123456789012/" + testQueue
	r.cfg = &Config{Region: "us-east-1", QueueURL: r.queue, Groups: groups}
	for _, g := range groups {
		if g.RequireIdentity {
			r.cfg.IdentityCert = "aws.pem" // the verifier is given directly
		}
	}
	if err := r.cfg.Validate(nil); err != nil {
		t.Fatal(err)
	}
	for name := range groups {
		r.as.PutHook(fakeaws.AutoScalingHook{Group: name, Name: "launch", Transition: TransitionLaunching, HeartbeatTimeout: 60})
		r.as.PutHook(fakeaws.AutoScalingHook{Group: name, Name: "terminate", Transition: TransitionTerminating, HeartbeatTimeout: 60})
	}
	return r
}

// start runs an engine until the test ends.
func (r *rig) start() *Engine {
	r.t.Helper()
	e := New(Options{
		Config: r.cfg, Backend: r.b, Lifecycle: r.lc, Queue: r.q, Store: r.store, Joined: r.joined,
		Identity: r.ident, Owner: "test", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PollInterval: 10 * time.Millisecond, Now: r.now,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx)
	}()
	r.t.Cleanup(func() {
		cancel()
		<-done
	})
	return e
}

// minion makes the backend behave as a minion id that presents its key
// (pending) and connects once accepted.
func (r *rig) minion(id string) {
	r.b.set(func() {
		r.b.keys[id] = proto.KeyPending
		r.b.onAccept = func(id string) { r.b.set(func() { r.b.connected[id] = true }) }
	})
}

func (r *rig) completions(n int) []fakeaws.AutoScalingCompletion {
	r.t.Helper()
	testutil.Eventually(r.t, 20*time.Second, fmt.Sprintf("%d lifecycle completions", n), func() bool { return len(r.as.Completed()) >= n })
	return r.as.Completed()
}

func (r *rig) queueEmpty() {
	r.t.Helper()
	testutil.Eventually(r.t, 20*time.Second, "the queue to be empty", func() bool { return r.sqs.Len(testQueue) == 0 })
}

func TestLaunchAndTerminate(t *testing.T) {
	r := newRig(t, map[string]*Group{"web-asg": {
		StartupStates: StateList{Highstate: true}, CleanState: StateList{SLS: []string{"clean"}},
		Grains: map[string]any{"roles": []any{"web"}},
	}})
	r.start()
	r.sqs.Send(testQueue, fakeaws.AutoScalingTestNotification("web-asg"))
	tok, body := r.as.Start("web-asg", "launch", "i-0123456789abcdef0")
	r.sqs.Send(testQueue, body)
	id := "web-asg-i-0123456789abcdef0"
	testutil.Eventually(t, 10*time.Second, "the engine to wait for the key", func() bool {
		return len(r.b.tags("brine/autoscale/web-asg/launch/waiting")) == 1
	})
	r.minion(id)
	c := r.completions(1)
	if c[0].Result != "CONTINUE" || c[0].Token != tok || c[0].InstanceID != "i-0123456789abcdef0" {
		t.Fatalf("completion = %+v", c[0])
	}
	r.queueEmpty()
	if got := r.b.runList(); !slices.Equal(got, []string{id + " test.ping []", id + " grains.setvals [map[roles:[web]]]", id + " state.highstate []"}) {
		t.Fatalf("runs = %q", got)
	}
	if r.b.leases[id] != "autoscale/web-asg" {
		t.Fatalf("lease = %q", r.b.leases[id])
	}
	want := []string{"received", "waiting", "accepted", "grains", "states_started", "states_applied", "completed"}
	var got []string
	for _, tg := range r.b.tags("brine/autoscale/web-asg/launch/") {
		got = append(got, strings.TrimPrefix(tg, "brine/autoscale/web-asg/launch/"))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("launch steps = %q, want %q", got, want)
	}
	if len(r.b.tags("brine/autoscale/web-asg/test/received")) != 1 {
		t.Fatal("no event for the test notification")
	}

	_, body = r.as.Start("web-asg", "terminate", "i-0123456789abcdef0")
	r.sqs.Send(testQueue, body)
	c = r.completions(2)
	if c[1].Result != "CONTINUE" || c[1].Transition != TransitionTerminating {
		t.Fatalf("completion = %+v", c[1])
	}
	r.queueEmpty()
	if runs := r.b.runList(); runs[len(runs)-1] != id+" state.apply [clean]" {
		t.Fatalf("runs = %q", runs)
	}
	if !slices.Equal(r.b.deleted, []string{id}) || r.b.KeyState(id) != "" {
		t.Fatalf("deleted = %q", r.b.deleted)
	}
	if len(r.as.Pending()) != 0 {
		t.Fatalf("pending actions: %v", r.as.Pending())
	}
}

// The same message twice (SQS delivers at least once) does the work
// once: one state run, one completion, both messages deleted.
func TestDuplicateMessage(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {StartupStates: StateList{SLS: []string{"base"}}}})
	r.minion("web-i-00000000000000001")
	_, body := r.as.Start("web", "launch", "i-00000000000000001")
	r.sqs.Send(testQueue, body)
	r.start()
	r.completions(1)
	r.queueEmpty()
	r.sqs.Send(testQueue, body)
	testutil.Eventually(t, 10*time.Second, "the duplicate to be deleted", func() bool { return len(r.sqs.Deleted(testQueue)) == 2 })
	if n := len(r.as.Completed()); n != 1 {
		t.Fatalf("%d completions", n)
	}
	if runs := r.b.runList(); len(runs) != 2 {
		t.Fatalf("runs = %q (a ping, then the states, once)", runs)
	}
	if d := r.b.event("brine/autoscale/web/launch/duplicate"); d == nil || d["result"] != "CONTINUE" {
		t.Fatalf("duplicate event = %v", d)
	}
}

// A copy delivered while the first is still being handled (both in one
// batch) waits for it and is then deleted as a duplicate, rather than
// staying in the queue until its visibility timeout.
func TestDuplicateWhileInFlight(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {StartupStates: StateList{SLS: []string{"base"}}}})
	r.minion("web-i-00000000000000009")
	_, body := r.as.Start("web", "launch", "i-00000000000000009")
	r.sqs.Send(testQueue, body)
	r.sqs.Send(testQueue, body)
	r.start()
	r.completions(1)
	testutil.Eventually(t, 10*time.Second, "both copies to be deleted", func() bool { return len(r.sqs.Deleted(testQueue)) == 2 })
	if n := len(r.as.Completed()); n != 1 {
		t.Fatalf("%d completions", n)
	}
	if d := r.b.event("brine/autoscale/web/launch/duplicate"); d == nil {
		t.Fatal("no duplicate event")
	}
}

func TestFailingStartupStatesAbandon(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {StartupStates: StateList{Highstate: true}}})
	r.b.run = func(id, fun string, arg []any) (bool, any, error) {
		if fun == "test.ping" {
			return true, true, nil
		}
		return false, map[string]any{"cmd_|-broken_|-false_|-run": map[string]any{"result": false, "comment": "Command \"false\" run"}}, nil
	}
	r.minion("web-i-00000000000000002")
	_, body := r.as.Start("web", "launch", "i-00000000000000002")
	r.sqs.Send(testQueue, body)
	r.start()
	if c := r.completions(1); c[0].Result != "ABANDON" {
		t.Fatalf("completion = %+v", c[0])
	}
	r.queueEmpty()
	ev := r.b.event("brine/autoscale/web/launch/states_failed")
	if ev == nil || !strings.Contains(ev["error"].(string), "cmd_|-broken_|-false_|-run") {
		t.Fatalf("states_failed = %v", ev)
	}
	if d := r.b.event("brine/autoscale/web/launch/completed"); d["result"] != "ABANDON" {
		t.Fatalf("completed = %v", d)
	}
}

// A minion that never presents its key: ABANDON after minion_timeout.
func TestMinionNeverShows(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {}})
	r.cfg.MinionTimeout = Duration(300 * time.Millisecond)
	_, body := r.as.Start("web", "launch", "i-00000000000000003")
	r.sqs.Send(testQueue, body)
	r.start()
	if c := r.completions(1); c[0].Result != "ABANDON" {
		t.Fatalf("completion = %+v", c[0])
	}
	if r.b.event("brine/autoscale/web/launch/minion_missing") == nil {
		t.Fatal("no minion_missing event")
	}
}

// Messages that can never be handled are reported and deleted; nothing
// else happens.
func TestUnhandledMessages(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {}})
	r.start()
	r.sqs.Send(testQueue, `{"not": "a lifecycle message"}`)
	r.sqs.Send(testQueue, `garbage`)
	_, body := r.as.Start("web", "launch", "i-00000000000000004")
	r.sqs.Send(testQueue, strings.ReplaceAll(body, `"web"`, `"other-asg"`))
	r.queueEmpty()
	testutil.Eventually(t, 5*time.Second, "events", func() bool {
		return len(r.b.tags("brine/autoscale/malformed")) == 2 && len(r.b.tags("brine/autoscale/other-asg/launch/unknown_group")) == 1
	})
	// The two are handled concurrently: either may be first.
	var bodies []string
	r.b.mu.Lock()
	for _, e := range r.b.events {
		if e.Tag == "brine/autoscale/malformed" {
			b, _ := e.Data["body"].(string)
			bodies = append(bodies, b)
		}
	}
	r.b.mu.Unlock()
	if !slices.ContainsFunc(bodies, func(b string) bool { return strings.Contains(b, "lifecycle message") }) ||
		!slices.ContainsFunc(bodies, func(b string) bool { return strings.Contains(b, "garbage") }) {
		t.Fatalf("malformed events' bodies = %q", bodies)
	}
	if len(r.as.Completed()) != 0 || len(r.b.runList()) != 0 {
		t.Fatal("an unhandled message did something")
	}
}

// A record left running by a master that stopped mid-launch is resumed
// when the engine starts, and completed once.
func TestResume(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {StartupStates: StateList{Highstate: true}}})
	_, body := r.as.Start("web", "launch", "i-00000000000000005")
	m, err := ParseMessage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(record{Status: statusRunning, Step: stepAccepted, Message: *m, Owner: "test", Proc: "dead", Started: time.Now()})
	if _, err := r.store.Create(context.Background(), m.Key(), rec); err != nil {
		t.Fatal(err)
	}
	r.b.set(func() {
		r.b.keys["web-i-00000000000000005"] = proto.KeyAccepted
		r.b.connected["web-i-00000000000000005"] = true
	})
	r.start()
	if c := r.completions(1); c[0].Result != "CONTINUE" {
		t.Fatalf("completion = %+v", c[0])
	}
	if runs := r.b.runList(); !slices.Equal(runs, []string{"web-i-00000000000000005 test.ping []", "web-i-00000000000000005 state.highstate []"}) {
		t.Fatalf("runs = %q (the accepted step must not be redone)", runs)
	}
	if r.b.event("brine/autoscale/web/launch/resumed") == nil {
		t.Fatal("no resumed event")
	}
	// The SQS copy that comes again is a duplicate.
	r.sqs.Send(testQueue, body)
	r.queueEmpty()
	if n := len(r.as.Completed()); n != 1 {
		t.Fatalf("%d completions", n)
	}
}

// Long startup states are kept alive with heartbeats.
func TestHeartbeats(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {StartupStates: StateList{Highstate: true}}})
	r.as.PutHook(fakeaws.AutoScalingHook{Group: "web", Name: "launch", Transition: TransitionLaunching, HeartbeatTimeout: 1})
	release := make(chan struct{})
	r.b.run = func(_, fun string, _ []any) (bool, any, error) {
		if fun != "test.ping" {
			<-release
		}
		return true, nil, nil
	}
	r.minion("web-i-00000000000000006")
	tok, body := r.as.Start("web", "launch", "i-00000000000000006")
	r.sqs.Send(testQueue, body)
	r.start()
	testutil.Eventually(t, 10*time.Second, "two heartbeats", func() bool { return r.as.Heartbeats(tok) >= 2 })
	close(release)
	if c := r.completions(1); c[0].Result != "CONTINUE" {
		t.Fatalf("completion = %+v", c[0])
	}
}

func TestRequireIdentity(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "aws"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	v, err := ec2identity.NewVerifier(pemCert(der))
	if err != nil {
		t.Fatal(err)
	}
	doc := func(inst string, pending time.Time) []byte {
		return fmt.Appendf(nil, `{"instanceId":%q,"pendingTime":%q,"region":"us-east-1"}`, inst, pending.UTC().Format(time.RFC3339))
	}
	present := func(r *rig, id string, d []byte, k *rsa.PrivateKey) {
		sig, err := ec2identity.Sign(d, cert, k)
		if err != nil {
			t.Fatal(err)
		}
		r.b.set(func() { r.b.ids[id] = [2][]byte{d, sig} })
		r.minion(id)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	r := newRig(t, map[string]*Group{"web": {RequireIdentity: true}})
	r.ident = v
	r.start()
	cases := []struct {
		inst, docInst string
		pending       time.Time
		key           *rsa.PrivateKey
		want, reason  string
	}{
		{"i-0000000000000000a", "i-0000000000000000a", now, key, "CONTINUE", ""},
		{"i-0000000000000000b", "i-0000000000000000a", now, key, "ABANDON", "not i-0000000000000000b's"},
		{"i-0000000000000000c", "i-0000000000000000c", now, other, "ABANDON", "not signed by the configured AWS certificate"},
		{"i-0000000000000000d", "i-0000000000000000d", now.Add(-3 * time.Hour), key, "ABANDON", "not recent"},
	}
	for i, tc := range cases {
		id := "web-" + tc.inst
		present(r, id, doc(tc.docInst, tc.pending), tc.key)
		_, body := r.as.Start("web", "launch", tc.inst)
		r.sqs.Send(testQueue, body)
		c := r.completions(i + 1)
		if c[i].Result != tc.want || c[i].InstanceID != tc.inst {
			t.Fatalf("%s: completion = %+v", tc.inst, c[i])
		}
		if tc.want == "ABANDON" {
			if st := r.b.KeyState(id); st != proto.KeyPending {
				t.Fatalf("%s: refused key is %q, want pending", id, st)
			}
			found := false
			r.b.mu.Lock()
			for _, e := range r.b.events {
				if e.Tag == "brine/autoscale/web/launch/identity_refused" && e.Data["instance_id"] == tc.inst && strings.Contains(e.Data["error"].(string), tc.reason) {
					found = true
				}
			}
			r.b.mu.Unlock()
			if !found {
				t.Fatalf("%s: no identity_refused event with %q", tc.inst, tc.reason)
			}
		}
	}
	// The same instance again (a replayed document, new lifecycle action):
	// it has joined before.
	present(r, "web-i-0000000000000000a", doc("i-0000000000000000a", now), key)
	r.b.set(func() { r.b.keys["web-i-0000000000000000a"] = proto.KeyPending })
	_, body := r.as.Start("web", "launch", "i-0000000000000000a")
	r.sqs.Send(testQueue, body)
	if c := r.completions(len(cases) + 1); c[len(cases)].Result != "ABANDON" {
		t.Fatalf("replayed instance: completion = %+v", c[len(cases)])
	}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// A minion that does not answer its first job yet (it has just
// connected) is pinged again; the startup states go once it answers.
func TestLostPingIsRetried(t *testing.T) {
	r := newRig(t, map[string]*Group{"web": {StartupStates: StateList{Highstate: true}}})
	pings := 0
	r.b.run = func(_, fun string, _ []any) (bool, any, error) {
		if fun == "test.ping" {
			pings++
			if pings == 1 {
				return false, nil, fmt.Errorf("minion did not return")
			}
		}
		return true, nil, nil
	}
	r.minion("web-i-00000000000000007")
	_, body := r.as.Start("web", "launch", "i-00000000000000007")
	r.sqs.Send(testQueue, body)
	r.start()
	if c := r.completions(1); c[0].Result != "CONTINUE" {
		t.Fatalf("completion = %+v", c[0])
	}
	want := []string{"web-i-00000000000000007 test.ping []", "web-i-00000000000000007 test.ping []", "web-i-00000000000000007 state.highstate []"}
	if runs := r.b.runList(); !slices.Equal(runs, want) {
		t.Fatalf("runs = %q", runs)
	}
}
