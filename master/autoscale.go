package master

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/autoscale"
	"github.com/brine-cm/brine/cloud"
	"github.com/brine-cm/brine/internal/ec2identity"
	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/proto"
)

// JetStream buckets of the autoscale engine: a record per lifecycle
// message (kept a week: a duplicate arrives within hours), and the
// instances that joined with an identity document (kept for good).
const (
	bucketAutoscale       = "brine_autoscale"
	bucketAutoscaleJoined = "brine_autoscale_joined"
	autoscaleRecordTTL    = 7 * 24 * time.Hour
	// Minion ids of terminated instances stay retired this long: their
	// minion may reconnect until the instance is gone.
	bucketAutoscaleRetired = "brine_autoscale_retired"
	autoscaleRetiredTTL    = 24 * time.Hour
	// autoscaleReturnWait is how long a job's return is waited for while
	// the minion does not report it running (it does every
	// proto.ProgressInterval while it runs).
	autoscaleReturnWait = 30 * time.Second
)

// autoscaleBackend gives the engine the master's keys, jobs and events.
type autoscaleBackend struct{ m *Master }

func (b autoscaleBackend) KeyState(id string) string {
	b.m.fleet.mu.RLock()
	defer b.m.fleet.mu.RUnlock()
	if r := b.m.fleet.keys[id]; r != nil {
		return r.State
	}
	return ""
}

func (b autoscaleBackend) AcceptKey(ctx context.Context, id, lease string) error {
	if err := b.m.keys.acceptLeased(ctx, id, lease); err != nil {
		return err
	}
	b.m.identities.drop(id) // verified (or not needed): no longer kept
	return nil
}

// Connected reports a minion that is connected and has announced itself
// (its grains arrive once it is subscribed to its jobs): a job published
// to a minion that is connected but not yet subscribed would be lost.
func (b autoscaleBackend) Connected(id string) bool {
	return b.m.presence.isConnected(id) && b.m.fleet.grainsOf(id) != nil
}

// Run runs fun on id and waits for its return: as long as the minion
// reports the job running, up to timeout (state_timeout).
func (b autoscaleBackend) Run(ctx context.Context, id, fun string, arg []any, timeout time.Duration) (bool, any, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, rets, err := b.m.runSync(ctx, proto.Target{Expr: id, Type: "list"}, fun, arg, nil, "autoscale", min(timeout, autoscaleReturnWait))
	if err != nil {
		return false, nil, err
	}
	r, ok := rets[id]
	if !ok {
		return false, nil, fmt.Errorf("minion %s did not return (and stopped reporting the job running)", id)
	}
	if r.Error != nil {
		return false, r.Return, r.Error
	}
	return r.Success && r.Retcode == 0, r.Return, nil
}

// DeleteMinion retires id (a terminated instance's minion may not
// register again) and deletes its key, grains and mine data.
func (b autoscaleBackend) DeleteMinion(ctx context.Context, id string) error {
	if _, err := b.m.autoscaleRetired.Put(ctx, id, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return fmt.Errorf("retire %s: %w", id, err)
	}
	b.m.identities.drop(id)
	return b.m.deleteMinion(ctx, id)
}

// Identity is what the minion presented with the key now pending for id.
func (b autoscaleBackend) Identity(id string) ([]byte, []byte, bool) {
	b.m.fleet.mu.RLock()
	r := b.m.fleet.keys[id]
	b.m.fleet.mu.RUnlock()
	if r == nil {
		return nil, nil, false
	}
	return b.m.identities.get(id, r.Public)
}

func (b autoscaleBackend) Fire(tag string, data map[string]any) { b.m.fire(tag, data) }

// deleteMinion removes id's key, grains, mine data and cached pillar, as
// `ctl key delete` does.
func (m *Master) deleteMinion(ctx context.Context, id string) error {
	body := []byte(fmt.Sprintf(`{"id":%q}`, id))
	_, err := m.handleKeyDelete(ctx, caller{}, body)
	return err
}

// startAutoscale prepares the autoscale engine when the config has an
// autoscale section; runAutoscale starts it once minions are served.
func (m *Master) startAutoscale(ctx context.Context) error {
	c := m.cfg.Autoscale
	if c == nil {
		return nil
	}
	if c.HookPath != "" {
		if err := checkAutoscaleHook(m.cfg.API, c.HookPath, true); err != nil {
			return err
		}
	}
	store, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucketAutoscale, Description: "autoscale lifecycle messages", History: 1, TTL: autoscaleRecordTTL, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("autoscale bucket: %w", err)
	}
	joined, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucketAutoscaleJoined, Description: "instances joined with an identity document", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("autoscale joined bucket: %w", err)
	}
	retired, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucketAutoscaleRetired, Description: "minion ids of terminated autoscale instances", History: 1, TTL: autoscaleRetiredTTL, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("autoscale retired bucket: %w", err)
	}
	m.autoscaleRetired = retired
	m.keys.retired = func(ctx context.Context, id string) bool {
		_, err := retired.Get(ctx, id)
		return err == nil
	}
	verifier, err := identityVerifier(c)
	if err != nil {
		return err
	}
	lc, q, err := autoscale.Clients(ctx, c)
	if err != nil {
		return err
	}
	m.autoscaleCtx = ctx
	m.autoscale = autoscale.New(autoscale.Options{
		Config: c, Backend: autoscaleBackend{m}, Lifecycle: lc, Queue: q, Store: store, Joined: joined,
		Identity: verifier, Owner: "master:" + m.cfg.RootDir, Log: m.log.With("component", "autoscale"),
	})
	return nil
}

// runAutoscale runs the engine until ctx ends.
func (m *Master) runAutoscale(ctx context.Context) {
	if m.autoscale == nil {
		return
	}
	if err := m.autoscale.Run(ctx); err != nil && ctx.Err() == nil {
		m.log.Error("autoscale stopped", "err", err)
	}
}

// autoscaleHook hands an SNS notification that reached autoscale's hook
// path (verified by the API: auth sns) to the engine.
func (m *Master) autoscaleHook(tag string, data map[string]any) {
	if m.autoscale == nil || m.cfg.Autoscale.HookPath == "" || tag != api.TagHookPrefix+m.cfg.Autoscale.HookPath {
		return
	}
	post, _ := data["post"].(map[string]any)
	msg, _ := post["Message"].(string)
	id, _ := post["MessageId"].(string)
	go func() {
		// SNS got its 200 already: a message that could not be finished
		// (AWS or the store failing) is retried here, with backoff.
		ctx := m.autoscaleCtx
		wait := 5 * time.Second
		for !m.autoscale.HandleBody(ctx, []byte(msg), "sns:"+id) {
			select {
			case <-ctx.Done():
				return // an unfinished record is resumed at the next start
			case <-time.After(wait):
			}
			wait = min(2*wait, 5*time.Minute)
		}
	}()
}

// checkAutoscaleHook makes sure the API serves autoscale's hook path with
// SNS authentication: anything else would let anyone who can reach the
// API make instances join or leave.
// needListen also demands api.listen (given by now).
func checkAutoscaleHook(cfg *api.Config, path string, needListen bool) error {
	if cfg == nil || cfg.Listen == "" {
		if needListen || cfg == nil {
			return fmt.Errorf("autoscale.hook_path %q: the API is off (set api.listen and an api.hooks entry with auth: sns)", path)
		}
	}
	for _, h := range cfg.Hooks {
		ok, err := glob.Match(h.Path, path)
		if err != nil || !ok {
			continue
		}
		if h.Auth != api.AuthSNS {
			return fmt.Errorf("autoscale.hook_path %q: the api.hooks entry %q that serves it has auth: %s; it must be auth: sns", path, h.Path, h.Auth)
		}
		return nil
	}
	return fmt.Errorf("autoscale.hook_path %q: no api.hooks entry serves it (add {path: %q, auth: sns})", path, path)
}

// identityStore keeps the instance identity documents minions presented
// with a pending key (require_identity), by minion id, with that key.
type identityStore struct {
	mu   sync.Mutex
	docs map[string]presentedIdentity
}

type presentedIdentity struct {
	pub      string
	doc, sig []byte
}

// maxIdentities bounds the documents kept for keys not yet accepted.
const maxIdentities = 10_000

func (s *identityStore) put(id, pub string, doc, sig []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		s.docs = map[string]presentedIdentity{}
	}
	if _, ok := s.docs[id]; !ok && len(s.docs) >= maxIdentities {
		return false
	}
	s.docs[id] = presentedIdentity{pub: pub, doc: doc, sig: sig}
	return true
}

// get returns what id presented, if pub presented it.
func (s *identityStore) get(id, pub string) ([]byte, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok || d.pub != pub {
		return nil, nil, false
	}
	return d.doc, d.sig, true
}

func (s *identityStore) drop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs, id)
}

// noteClaims keeps the join claims a refused connection presented for a
// key pending acceptance (its nonce signature has been checked): the
// autoscale engine reads the instance identity from them.
func (a *authorizer) noteClaims(id, pub, token string) {
	if token == "" || a.m.cfg.Autoscale == nil {
		return
	}
	a.m.fleet.mu.RLock()
	r := a.m.fleet.keys[id]
	pending := r != nil && r.State == proto.KeyPending && r.Public == pub
	a.m.fleet.mu.RUnlock()
	if !pending {
		return
	}
	claims, err := proto.ParseJoinClaims(token)
	if err != nil {
		a.log.Info("join claims ignored", "id", id, "err", err)
		return
	}
	if ci := claims.EC2Identity; ci != nil {
		if !a.m.identities.put(id, pub, []byte(ci.Document), []byte(ci.Signature)) {
			a.log.Warn("instance identity not kept: too many pending", "id", id)
		}
	}
}

// identityVerifier reads autoscale.identity_cert (nil when unset).
func identityVerifier(c *autoscale.Config) (autoscale.IdentityVerifier, error) {
	if c.IdentityCert == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(c.IdentityCert)
	if err != nil {
		return nil, fmt.Errorf("autoscale.identity_cert: %w", err)
	}
	v, err := ec2identity.NewVerifier(pem)
	if err != nil {
		return nil, fmt.Errorf("autoscale.identity_cert %s: %w", c.IdentityCert, err)
	}
	return v, nil
}

// AutoscaleUserData implements runners.Autoscale: the boot script of
// group's instances, for its launch template.
func (e runnerEnv) AutoscaleUserData(group string) (string, error) {
	c := e.m.cfg.Autoscale
	if c == nil {
		return "", proto.Errorf(proto.ErrBadArgument, "no autoscale: section in the master config")
	}
	g, ok := c.Groups[group]
	if !ok {
		return "", proto.Errorf(proto.ErrNotFound, "autoscale group %q is not in autoscale.groups (known: %s)", group, strings.Join(c.GroupNames(), ", "))
	}
	cfg := map[string]any{}
	for k, v := range g.Minion {
		cfg[k] = v
	}
	if _, ok := cfg["master"]; !ok {
		cfg["master"] = e.m.url
	}
	if v, ok := cfg["master"].(string); ok {
		cfg["master"] = masterWithPort(v)
	}
	if g.RequireIdentity {
		cfg["ec2_identity"] = true
	}
	url := ""
	if u := e.m.apiURL(); u != "" {
		url = u + "/bootstrap/minion"
	}
	if g.BootstrapURL != "" {
		url = g.BootstrapURL
	}
	if url == "" {
		return "", proto.Errorf(proto.ErrBadArgument, "autoscale group %q: nowhere to download the minion from: enable the API (api:) or set the group's bootstrap_url", group)
	}
	pattern := strings.ReplaceAll(g.MinionID, "{group}", group)
	if err := proto.ValidID(strings.ReplaceAll(pattern, "{instance_id}", "i-0123456789abcdef0")); err != nil {
		return "", proto.Errorf(proto.ErrBadArgument, "autoscale group %q: its minion ids would be invalid: %v", group, err)
	}
	return cloud.AutoscaleUserData(url, cfg, pattern)
}
