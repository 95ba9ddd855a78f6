package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/cloud"
	"github.com/brine-cm/brine/internal/ec2identity"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/runners"
)

// The cloud manager creates and destroys nodes through the cloud drivers
// and records them in a JetStream KV bucket (so every master sharing the
// bus sees them). A create issues the node's join token, starts it, waits
// until it has joined and (when the profile names startup_states) until
// they have run. Salt's events mark the way:
// salt/cloud/<name>/creating|requesting|created|destroying|destroyed.

const bucketCloud = "cloud_instances"

// cloudCreateParallel bounds the nodes created at once.
const cloudCreateParallel = 16

type cloudManager struct {
	m   *Master
	cfg *cloud.Config
	kv  jetstream.KeyValue
	env cloud.Env

	mu      sync.Mutex
	drivers map[string]cloud.Driver // by provider

	// verifiers check instance identity documents, by certificate file
	// (require_identity); read at start, fixed after.
	verifiers map[string]*ec2identity.Verifier
}

// verifier returns the verifier of certificate file path (nil if none).
func (c *cloudManager) verifier(path string) *ec2identity.Verifier {
	if c == nil {
		return nil
	}
	return c.verifiers[path]
}

// cloudRecord is an instance as the bucket keeps it.
type cloudRecord struct {
	cloud.Instance
	// TokenKey names the node's join token in the tokens bucket (its hash,
	// not the token), to revoke it when the node is destroyed unjoined.
	TokenKey string `json:"token_key,omitempty"`
}

func (m *Master) openCloud(ctx context.Context) error {
	kv, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucketCloud, Description: "cloud instances", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("cloud bucket: %w", err)
	}
	env := cloud.Env{Log: m.log.With("component", "cloud"), RootDir: m.cfg.RootDir}
	if exe, err := os.Executable(); err == nil {
		bin := filepath.Join(filepath.Dir(exe), "minion")
		if _, err := os.Stat(bin); err == nil {
			env.MinionBinary = bin
		}
	}
	m.cloud = &cloudManager{m: m, cfg: &m.cfg.Cloud, kv: kv, env: env, drivers: map[string]cloud.Driver{}, verifiers: map[string]*ec2identity.Verifier{}}
	// require_identity: read each certificate now, so a missing or bad
	// file stops the start rather than every node's join.
	for _, name := range m.cfg.Cloud.ProfileNames() {
		s := m.cfg.Cloud.Merge(name)
		if !s.Identity() || m.cloud.verifiers[s.IdentityCert] != nil {
			continue
		}
		pem, err := os.ReadFile(s.IdentityCert)
		if err != nil {
			return fmt.Errorf("cloud profile %q: identity_cert: %w", name, err)
		}
		v, err := ec2identity.NewVerifier(pem)
		if err != nil {
			return fmt.Errorf("cloud profile %q: identity_cert %s: %w", name, s.IdentityCert, err)
		}
		m.cloud.verifiers[s.IdentityCert] = v
	}
	return nil
}

func (c *cloudManager) driver(provider string) (cloud.Driver, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.drivers[provider]; ok {
		return d, nil
	}
	s, ok := c.cfg.Providers[provider]
	if !ok {
		return nil, fmt.Errorf("no cloud provider %q", provider)
	}
	d, err := cloud.NewDriver(provider, s, c.env)
	if err != nil {
		return nil, err
	}
	c.drivers[provider] = d
	return d, nil
}

func (c *cloudManager) get(ctx context.Context, name string) (*cloudRecord, uint64, error) {
	e, err := c.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load cloud instance %s: %w", name, err)
	}
	var r cloudRecord
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("decode cloud instance %s: %w", name, err)
	}
	return &r, e.Revision(), nil
}

func (c *cloudManager) put(ctx context.Context, r *cloudRecord, rev uint64) (uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		return c.kv.Create(ctx, r.Name, b)
	}
	return c.kv.Update(ctx, r.Name, b, rev)
}

func (c *cloudManager) all(ctx context.Context) ([]*cloudRecord, error) {
	lister, err := c.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list cloud instances: %w", err)
	}
	var out []*cloudRecord
	for name := range lister.Keys() {
		r, _, err := c.get(ctx, name)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func cloudTag(name, what string) string { return "salt/cloud/" + name + "/" + what }

// createResult is one node's outcome, as cloud.create returns it.
type createResult map[string]any

// create makes the named nodes from profile, in parallel, and returns each
// one's outcome. wait bounds how long a node may take to join and apply
// its startup states.
func (c *cloudManager) create(ctx context.Context, profile string, names []string, wait time.Duration) (map[string]any, error) {
	s, err := c.cfg.Profile(profile)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadArgument, "%v", err)
	}
	return c.createFrom(ctx, profile, s, names, wait)
}

// createInline makes the named nodes from provider with the VM settings
// given inline (salt-cloud's cloud.create PROVIDER INSTANCES key=value...).
func (c *cloudManager) createInline(ctx context.Context, provider string, vm map[string]any, names []string, wait time.Duration) (map[string]any, error) {
	s, err := c.cfg.Inline(provider, vm)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.create provider=%s: %v", provider, err)
	}
	return c.createFrom(ctx, "", s, names, wait)
}

// createFrom makes the named nodes from the settings s (of profile, ""
// for settings given inline).
func (c *cloudManager) createFrom(ctx context.Context, profile string, s *cloud.Settings, names []string, wait time.Duration) (map[string]any, error) {
	if len(names) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.create needs one or more names")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if err := proto.ValidID(n); err != nil {
			return nil, proto.Errorf(proto.ErrBadArgument, "name %q: %v", n, err)
		}
		if seen[n] {
			return nil, proto.Errorf(proto.ErrBadArgument, "name %q given twice", n)
		}
		seen[n] = true
	}
	d, err := c.driver(s.Provider)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, cloudCreateParallel)
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res := c.createOne(ctx, d, profile, s, name, wait)
			mu.Lock()
			out[name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, nil
}

func failed(name string, err error) createResult {
	return createResult{"name": name, "result": false, "error": err.Error()}
}

func (c *cloudManager) createOne(ctx context.Context, d cloud.Driver, profile string, s *cloud.Settings, name string, wait time.Duration) createResult {
	m := c.m
	log := c.env.Log.With("name", name, "profile", profile)
	if r, _, err := m.keys.get(ctx, name); err != nil {
		return failed(name, err)
	} else if r != nil {
		return failed(name, fmt.Errorf("a minion key named %q exists (%s): delete it first", name, r.State))
	}
	rec := &cloudRecord{Instance: cloud.Instance{Name: name, Profile: profile, Provider: s.Provider, Driver: s.Driver, State: "creating", Created: time.Now().UTC()}}
	rev, err := c.put(ctx, rec, 0)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return failed(name, fmt.Errorf("a cloud instance named %q exists", name))
	}
	if err != nil {
		return failed(name, err)
	}
	info := map[string]any{"name": name, "profile": profile, "provider": s.Provider + ":" + s.Driver}
	m.fire(cloudTag(name, "creating"), copyMap(info))

	ttl := time.Duration(s.JoinTokenTTL * float64(time.Second))
	cert := ""
	if s.Identity() {
		cert = s.IdentityCert
	}
	token, err := m.tokens.issue(ctx, name, ttl, cert)
	if err != nil {
		_ = c.kv.Delete(ctx, name)
		return failed(name, err)
	}
	rec.TokenKey = tokenKey(token)
	undo := func(err error) createResult {
		_ = m.tokens.revoke(context.Background(), token)
		_ = c.kv.Delete(context.Background(), name)
		log.Error("cloud create failed", "err", err)
		m.fire(cloudTag(name, "failed"), map[string]any{"name": name, "profile": profile, "error": err.Error()})
		return failed(name, err)
	}

	// Watch for the node's join and first state run before it can start.
	events := make(chan *nats.Msg, 256)
	var subs []*nats.Subscription
	for _, subj := range []string{
		proto.EventSubject(joinTag(name, "accepted")),
		proto.EventSubject(joinTag(name, "refused")),
		strings.Replace(proto.EventSubject("salt/job/JID/ret/"+name), ".JID.", ".*.", 1),
	} {
		sub, err := m.nc.ChanSubscribe(subj, events)
		if err != nil {
			return undo(fmt.Errorf("watch events: %w", err))
		}
		subs = append(subs, sub)
	}
	defer func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}()

	req := cloud.CreateRequest{Name: name, Profile: profile, Settings: s, MinionConfig: c.minionConfig(name, s, token), BootstrapURL: c.bootstrapURL(s)}
	inst, err := d.Create(ctx, req, func(step string) {
		m.fire(cloudTag(name, step), copyMap(info))
	})
	if err != nil {
		return undo(err)
	}
	inst.Profile = profile
	rec.Instance = *inst
	if inst.InstanceID != "" {
		if err := m.tokens.bind(ctx, token, inst.InstanceID); err != nil {
			log.Warn("join token not bound to the instance id", "err", err)
		}
	}
	if _, err := c.put(ctx, rec, rev); err != nil {
		log.Error("record cloud instance", "err", err)
	}
	res := createResult{"name": name, "result": true, "instance_id": inst.InstanceID, "provider": s.Provider, "driver": inst.Driver, "state": inst.State}
	for k, v := range inst.Extra {
		res[k] = v
	}

	// Wait for the join, then the startup states.
	timer := time.NewTimer(wait)
	defer timer.Stop()
	joined := false
	needStates := s.StartupStates != nil && s.StartupStates != ""
	if v, ok := s.Minion["startup_states"]; ok && v != nil {
		needStates = true
	}
	for !joined || needStates {
		select {
		case <-ctx.Done():
			res["result"], res["error"] = false, "interrupted: "+ctx.Err().Error()
			return res
		case <-timer.C:
			res["result"] = false
			if !joined {
				res["error"] = fmt.Sprintf("the node did not join within %s", wait)
			} else {
				res["error"] = fmt.Sprintf("the startup states did not finish within %s", wait)
			}
			return res
		case msg := <-events:
			var ev proto.Event
			if json.Unmarshal(msg.Data, &ev) != nil {
				continue
			}
			switch {
			case ev.Tag == joinTag(name, "accepted"):
				joined = true
				res["joined"] = true
				m.fire(cloudTag(name, "created"), mergeInfo(info, inst))
			case ev.Tag == joinTag(name, "refused"):
				res["result"], res["error"] = false, fmt.Sprintf("join token refused (%v)", ev.Data["reason"])
				return res
			case strings.HasPrefix(ev.Tag, "salt/job/"):
				fun, _ := ev.Data["fun"].(string)
				if fun != "state.highstate" && fun != "state.sls" && fun != "state.apply" {
					continue
				}
				needStates = false
				ok, _ := ev.Data["success"].(bool)
				res["startup_states"] = map[string]any{"jid": ev.Data["jid"], "success": ok, "retcode": ev.Data["retcode"]}
				if !ok {
					res["result"] = false
					res["error"] = "the startup states failed (ctl jobs show " + fmt.Sprint(ev.Data["jid"]) + ")"
				}
			}
		}
	}
	return res
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mergeInfo(info map[string]any, inst *cloud.Instance) map[string]any {
	out := copyMap(info)
	out["instance_id"] = inst.InstanceID
	for k, v := range inst.Extra {
		out[k] = v
	}
	return out
}

// minionConfig is the node's minion config: the minion: overrides, then
// what the profile and the master decide.
func (c *cloudManager) minionConfig(name string, s *cloud.Settings, token string) map[string]any {
	cfg := map[string]any{}
	for k, v := range s.Minion {
		cfg[k] = v
	}
	cfg["id"] = name
	if s.Master != "" {
		cfg["master"] = s.Master
	} else if _, ok := cfg["master"]; !ok {
		cfg["master"] = c.m.url
	}
	if v, ok := cfg["master"].(string); ok {
		cfg["master"] = masterWithPort(v)
	}
	if len(s.Grains) > 0 {
		g := map[string]any{}
		if mg, ok := cfg["grains"].(map[string]any); ok {
			for k, v := range mg {
				g[k] = v
			}
		}
		for k, v := range s.Grains {
			g[k] = v
		}
		cfg["grains"] = g
	}
	if s.StartupStates != nil {
		cfg["startup_states"] = s.StartupStates
	}
	if s.Identity() {
		cfg["ec2_identity"] = true
	}
	cfg["join_token"] = token
	return cfg
}

// masterWithPort gives a bare host name (Salt's `master: salt.example.com`,
// as seed 000's provider file writes it) Salt's port, 4506, where the bus
// client would otherwise take NATS's 4222.
func masterWithPort(v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p != "" && !strings.Contains(p, "://") && !strings.Contains(p, ":") {
			p = "nats://" + p + ":4506"
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// bootstrapURL is where a node downloads the minion binary: the
// profile's bootstrap_url, else the master API's /bootstrap/minion.
func (c *cloudManager) bootstrapURL(s *cloud.Settings) string {
	if s.BootstrapURL != "" {
		return s.BootstrapURL
	}
	if u := c.m.apiURL(); u != "" {
		return u + "/bootstrap/minion"
	}
	return ""
}

// destroy terminates the named nodes and forgets their minions (key,
// grains, mine data).
func (c *cloudManager) destroy(ctx context.Context, names []string) (map[string]any, error) {
	if len(names) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.destroy needs one or more names")
	}
	out := map[string]any{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := c.destroyOne(ctx, name)
			mu.Lock()
			out[name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, nil
}

func (c *cloudManager) destroyOne(ctx context.Context, name string) map[string]any {
	m := c.m
	r, _, err := c.get(ctx, name)
	if err != nil {
		return map[string]any{"result": false, "error": err.Error()}
	}
	if r == nil {
		return map[string]any{"result": false, "error": fmt.Sprintf("no cloud instance named %q", name)}
	}
	info := map[string]any{"name": name, "instance_id": r.InstanceID, "provider": r.Provider + ":" + r.Driver}
	m.fire(cloudTag(name, "destroying"), copyMap(info))
	d, err := c.driver(r.Provider)
	if err != nil {
		return map[string]any{"result": false, "error": err.Error()}
	}
	if r.State != "creating" || r.InstanceID != "" {
		if err := d.Destroy(ctx, &r.Instance); err != nil {
			c.env.Log.Error("cloud destroy failed", "name", name, "err", err)
			return map[string]any{"result": false, "error": err.Error()}
		}
	}
	if r.TokenKey != "" {
		if err := m.tokens.kv.Delete(ctx, r.TokenKey); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			c.env.Log.Warn("revoke join token", "name", name, "err", err)
		}
	}
	if _, err := m.forgetMinions(ctx, proto.KeyRequest{ID: name}); err != nil {
		return map[string]any{"result": false, "error": err.Error()}
	}
	if err := c.kv.Delete(ctx, name); err != nil {
		return map[string]any{"result": false, "error": fmt.Sprintf("forget cloud instance: %v", err)}
	}
	m.fire(cloudTag(name, "destroyed"), copyMap(info))
	return map[string]any{"result": true, "instance_id": r.InstanceID, "state": "terminated"}
}

// current asks the driver for the instance's state, when it can tell.
func (c *cloudManager) current(r *cloudRecord) {
	if r.State == "creating" {
		return
	}
	d, err := c.driver(r.Provider)
	if err != nil {
		return
	}
	if sr, ok := d.(cloud.StateReporter); ok {
		r.State = sr.InstanceState(&r.Instance)
	}
}

// view is an instance as list and show print it.
func (r *cloudRecord) view() map[string]any {
	v := map[string]any{"id": r.InstanceID, "name": r.Name, "profile": r.Profile, "provider": r.Provider, "driver": r.Driver, "state": r.State, "created": r.Created.Format(time.RFC3339)}
	for k, x := range r.Extra {
		v[k] = x
	}
	return v
}

// list is salt-cloud's query shape: {provider: {driver: {name: {...}}}}.
func (c *cloudManager) list(ctx context.Context) (map[string]any, error) {
	recs, err := c.all(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, r := range recs {
		p, ok := out[r.Provider].(map[string]any)
		if !ok {
			p = map[string]any{}
			out[r.Provider] = p
		}
		d, ok := p[r.Driver].(map[string]any)
		if !ok {
			d = map[string]any{}
			p[r.Driver] = d
		}
		c.current(r)
		d[r.Name] = r.view()
	}
	return out, nil
}

func (c *cloudManager) show(ctx context.Context, names []string) (map[string]any, error) {
	if len(names) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.show needs one or more names")
	}
	out := map[string]any{}
	for _, n := range names {
		r, _, err := c.get(ctx, n)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, proto.Errorf(proto.ErrNotFound, "no cloud instance named %q", n)
		}
		c.current(r)
		out[n] = r.view()
	}
	return out, nil
}

func (c *cloudManager) action(ctx context.Context, req runners.CloudActionRequest) (map[string]any, error) {
	action, names := req.Action, req.Names
	if len(req.Tags) > 0 {
		return c.actionByTag(ctx, req)
	}
	if action == "" || len(names) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.action needs func=ACTION and instances=NAME[,NAME] or tag=KEY=VALUE")
	}
	out := map[string]any{}
	for _, n := range names {
		r, _, err := c.get(ctx, n)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, proto.Errorf(proto.ErrNotFound, "no cloud instance named %q", n)
		}
		d, err := c.driver(r.Provider)
		if err != nil {
			return nil, err
		}
		ret, err := d.Action(ctx, &r.Instance, action)
		if err != nil {
			out[n] = map[string]any{"result": false, "error": err.Error()}
			continue
		}
		out[n] = ret
	}
	return out, nil
}

// actionDone are the states in which an action has nothing to do.
var actionDone = map[string][]string{"stop": {"stopped", "stopping"}, "start": {"running", "pending"}}

// actionByTag runs the action on the instances carrying req's tags at
// the provider (req.Provider, else every provider whose driver can search
// by tag), narrowed to req.Names when given. An instance already in the
// wanted state is left alone, so a schedule may repeat the action.
func (c *cloudManager) actionByTag(ctx context.Context, req runners.CloudActionRequest) (map[string]any, error) {
	if req.Action == "" {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.action needs func=ACTION")
	}
	filters := make([]cloud.TagFilter, 0, len(req.Tags))
	var conds []string
	for _, t := range req.Tags {
		filters = append(filters, cloud.TagFilter{Key: t.Key, Value: t.Value, Any: t.Any})
		conds = append(conds, t.String())
	}
	var providers []string
	if req.Provider != "" {
		if _, ok := c.cfg.Providers[req.Provider]; !ok {
			return nil, proto.Errorf(proto.ErrNotFound, "no cloud provider %q", req.Provider)
		}
		providers = []string{req.Provider}
	} else {
		for p := range c.cfg.Providers {
			providers = append(providers, p)
		}
		sort.Strings(providers)
	}
	type found struct {
		d    cloud.Driver
		inst *cloud.Instance
	}
	var all []found
	var searched []string
	for _, p := range providers {
		d, err := c.driver(p)
		if err != nil {
			return nil, err
		}
		tf, ok := d.(cloud.TagFinder)
		if !ok {
			if req.Provider != "" {
				return nil, proto.Errorf(proto.ErrBadArgument, "cloud provider %q (driver %s) cannot find instances by tag", p, c.cfg.Providers[p].Driver)
			}
			continue
		}
		searched = append(searched, p)
		insts, err := tf.FindByTags(ctx, filters)
		if err != nil {
			return nil, proto.Errorf(proto.ErrExecution, "cloud provider %q: %v", p, err)
		}
		for _, in := range insts {
			all = append(all, found{d, in})
		}
	}
	if len(searched) == 0 {
		return nil, proto.Errorf(proto.ErrBadArgument, "no cloud provider can find instances by tag (the ec2 driver can)")
	}
	if len(all) == 0 {
		// As a target matching no minion: a mistyped tag must not pass
		// for "nothing to do".
		return nil, proto.Errorf(proto.ErrNotFound, "cloud.action %s: no instance carries the tags %s at %s; nothing was done",
			req.Action, strings.Join(conds, ", "), strings.Join(searched, ", "))
	}
	want := map[string]bool{}
	for _, n := range req.Names {
		want[n] = true
	}
	count := map[string]int{}
	for _, f := range all {
		count[f.inst.Name]++
	}
	out := map[string]any{}
	matched := map[string]bool{}
	for _, f := range all {
		in := f.inst
		if len(want) > 0 && !want[in.Name] && !want[in.InstanceID] {
			continue
		}
		matched[in.Name], matched[in.InstanceID] = true, true
		key := in.Name
		if count[in.Name] > 1 {
			key = in.Name + " (" + in.InstanceID + ")"
		}
		done := false
		for _, st := range actionDone[req.Action] {
			done = done || in.State == st
		}
		if done {
			out[key] = map[string]any{"instance_id": in.InstanceID, "action": req.Action, "result": true, "state": in.State, "comment": "already " + in.State}
			continue
		}
		ret, err := f.d.Action(ctx, in, req.Action)
		if err != nil {
			out[key] = map[string]any{"instance_id": in.InstanceID, "result": false, "error": err.Error()}
			continue
		}
		out[key] = ret
	}
	for _, n := range req.Names {
		if !matched[n] {
			out[n] = map[string]any{"result": false, "error": fmt.Sprintf("no instance %s carries the tags %s", n, strings.Join(conds, ", "))}
		}
	}
	c.env.Log.Info("cloud action by tag", "action", req.Action, "tags", strings.Join(conds, ","), "instances", len(out))
	return out, nil
}

// listProfiles shows the profiles without credentials.
func (c *cloudManager) listProfiles(provider string) map[string]any {
	out := map[string]any{}
	for _, name := range c.cfg.ProfileNames() {
		s := c.cfg.Merge(name)
		if provider != "" && s.Provider != provider {
			continue
		}
		v := map[string]any{"provider": s.Provider + ":" + s.Driver}
		for k, x := range map[string]string{"size": s.Size, "image": s.Image, "region": s.RegionName(), "availability_zone": s.AvailabilityZone, "subnetid": s.SubnetID, "keyname": s.Keyname} {
			if x != "" {
				v[k] = x
			}
		}
		if len(s.Grains) > 0 {
			v["grains"] = s.Grains
		}
		if s.StartupStates != nil {
			v["startup_states"] = s.StartupStates
		}
		out[name] = v
	}
	return out
}

// forgetMinions deletes the selected keys and everything kept about their
// minions (grains, mine data, pillar cache), cutting their connections.
func (m *Master) forgetMinions(ctx context.Context, req proto.KeyRequest) ([]string, error) {
	deleted, err := m.keys.delete(ctx, req)
	for _, id := range deleted {
		m.kick(id)
		m.pillars.drop(id)
		if derr := m.grains.Delete(ctx, id); derr != nil {
			m.log.Warn("delete grains", "id", id, "err", derr)
		}
		if derr := m.mine.kv.Delete(ctx, id); derr != nil {
			m.log.Warn("delete mine data", "id", id, "err", derr)
		}
	}
	return deleted, err
}
