// Package master is the Brine master: it embeds (or joins) the NATS bus,
// authorises minions and operators, keeps keys, grains and jobs in
// JetStream and publishes jobs to the minions a target reaches.
package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/autoscale"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/target"
)

// Master is one running master.
type Master struct {
	cfg     *Config
	log     *slog.Logger
	secrets *busSecrets

	ns *server.Server // nil with nats_url
	// metrics are always counted; served when metrics.listen is set.
	metrics *metrics
	url     string
	authNC  *nats.Conn // callout service
	nc      *nats.Conn // data: requests, jobs, events
	sysNC   *nats.Conn // system account: kicking connections
	js      jetstream.JetStream

	keys      *keyStore
	grains    jetstream.KeyValue
	jobs      jetstream.KeyValue
	rets      jetstream.Stream
	fleet     *fleet
	conns     conns
	files     *fileServer
	mine      *mine
	depths    jobDepths
	pillars   pillarCache
	presence  *presence
	limits    *minionLimits
	tracked   *trackedJobs
	pending   pendingJobs
	retChunks jetstream.Stream

	autoscale    *autoscale.Engine // nil without an autoscale section
	autoscaleCtx context.Context
	// autoscaleRetired holds the minion ids of terminated instances.
	autoscaleRetired jetstream.KeyValue
	identities       identityStore
	startedAt        time.Time

	guard    *storeGuard     // nil with nats_url
	manifest *manifestWriter // keeps root_dir/store.manifest current

	tokens *joinTokens // cloud join tokens
	// joinedInstances records every instance that proved its identity.
	joinedInstances jetstream.KeyValue
	cloud           *cloudManager // cloud providers, profiles and instances
	apiAddr         string        // the API's listen address, "" without API
	apiTLS          bool

	auth        *authorizer
	operatorOps map[string]operatorHandler
	minionOps   map[string]minionHandler
}

// New prepares a master from cfg; Run starts it.
func New(cfg *Config, log *slog.Logger) *Master {
	return &Master{cfg: cfg, log: log, metrics: newMetrics()}
}

// PrintNATSConfig writes the nats-server configuration an external NATS
// server needs for this master (accounts, users, auth callout).
func PrintNATSConfig(cfg *Config) (string, error) {
	if err := os.MkdirAll(cfg.RootDir, 0o700); err != nil {
		return "", fmt.Errorf("create root_dir %s: %w", cfg.RootDir, err)
	}
	s, err := loadSecrets(cfg.RootDir)
	if err != nil {
		return "", err
	}
	return natsConfig(s), nil
}

// Run starts the master and serves until ctx is cancelled. ready, if not
// nil, is closed once the master accepts minions and operators.
func (m *Master) Run(ctx context.Context, ready chan<- struct{}) error {
	m.logConfigNotes()
	m.startedAt = time.Now()
	if err := os.MkdirAll(m.cfg.RootDir, 0o700); err != nil {
		return fmt.Errorf("create root_dir %s: %w", m.cfg.RootDir, err)
	}
	lock, err := lockRoot(m.cfg.RootDir)
	if err != nil {
		return err
	}
	defer lock.release()
	if m.secrets, err = loadSecrets(m.cfg.RootDir); err != nil {
		return err
	}
	m.auth = newAuthorizer(m)
	m.limits = newMinionLimits(m.cfg.MinionRequestRate, m.cfg.MinionRequestBurst, m.cfg.MinionRequestsInFlight, m.cfg.MinionEventRate)
	m.tracked = newTrackedJobs()
	m.files = newFileServer(m.cfg.FileRoots)
	if m.cfg.NATSURL != "" {
		m.url = m.cfg.NATSURL
	} else {
		// The bus rebuilds every stream from its blocks, checking each
		// message; checkStore then names what damage took.
		if err := dropStreamStates(m.cfg.RootDir); err != nil {
			return err
		}
		ea := &embeddedAuth{a: m.auth, ctx: ctx, callTimeout: 5 * time.Second, internal: map[string]internalUser{}}
		if m.ns, err = startEmbedded(m.cfg, ea, m.log); err != nil {
			return err
		}
		ea.internal[userMaster] = internalUser{password: m.secrets.MasterPass, account: ea.brine}
		ea.internal[userSys] = internalUser{password: m.secrets.SysPassword, account: ea.sys}
		defer m.ns.Shutdown()
		m.guard = newStoreGuard(m.cfg.RootDir, m.ns, m.log.With("component", "store"))
		m.ns.SetLoggerV2(&storeLogger{natsLogger: natsLogger{log: m.log.With("component", "nats")}, guard: m.guard}, false, false, false)
		go m.guard.run(ctx)
		m.url = m.ns.ClientURL()
		if m.cfg.TLSCert != "" {
			m.url = "tls://" + m.cfg.Listen
		}
	}
	defer m.closeConns()

	if m.sysNC, err = m.connect("brine-master-sys", userSys, m.secrets.SysPassword); err != nil {
		return err
	}
	if m.nc, err = m.connect("brine-master", userMaster, m.secrets.MasterPass); err != nil {
		return err
	}
	if err := m.setupStore(ctx); err != nil {
		return err
	}
	if err := m.openMine(ctx); err != nil {
		return err
	}
	if err := m.openReturnChunks(ctx); err != nil {
		return err
	}
	if err := m.openJoinTokens(ctx); err != nil {
		return err
	}
	if err := m.openCloud(ctx); err != nil {
		return err
	}
	m.presence = newPresence()
	if err := m.followPresence(ctx); err != nil {
		return err
	}
	if err := m.startReactor(ctx); err != nil {
		return err
	}
	if err := m.startSchedule(ctx); err != nil {
		return err
	}
	if err := m.startAutoscale(ctx); err != nil {
		return err
	}
	if err := m.startAPI(ctx); err != nil {
		return err
	}
	if m.ns == nil {
		// External server: serve its auth callout.
		if m.authNC, err = m.connect("brine-master-auth", userAuth, m.secrets.AuthPassword); err != nil {
			return err
		}
		if _, err := m.auth.serveCallout(ctx, m.authNC); err != nil {
			return fmt.Errorf("start auth callout: %w", err)
		}
		if err := m.authNC.Flush(); err != nil {
			return fmt.Errorf("flush: %w", err)
		}
	}
	m.operatorOps = m.operatorHandlers()
	m.minionOps = m.minionHandlers()
	if err := m.subscribe(ctx); err != nil {
		return err
	}
	if err := m.nc.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	m.metrics.gauges(m)
	if m.cfg.Metrics.Listen != "" {
		if err := m.serveMetrics(ctx, m.cfg.Metrics.Listen); err != nil {
			return err
		}
	}
	go m.countTimedOut(ctx)
	m.auth.setReady()
	go m.runAutoscale(ctx)
	go m.expireLeases(ctx)
	// Tell ctl on this host where the bus is.
	if err := m.writeCtlDefaults(); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(m.cfg.RootDir, "master.url"), []byte(m.url+"\n"), 0o644); err != nil {
		return err
	}
	if err := m.manifest.write(ctx); err != nil {
		m.log.Warn("store manifest not written", "err", err)
	}
	go m.manifest.run(ctx)
	m.log.Info("master ready", "url", m.url, "root_dir", m.cfg.RootDir, "embedded", m.ns != nil)
	m.fire("salt/master/start", map[string]any{"url": m.url})
	if ready != nil {
		close(ready)
	}
	<-ctx.Done()
	m.log.Info("master stopping")
	mctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := m.manifest.write(mctx); err != nil {
		m.log.Warn("store manifest not written", "err", err)
	}
	cancel()
	// Finish in-flight requests and writes before the server goes away.
	_ = m.nc.Drain()
	if m.authNC != nil {
		_ = m.authNC.Drain()
	}
	return nil
}

func (m *Master) closeConns() {
	for _, nc := range []*nats.Conn{m.nc, m.authNC, m.sysNC} {
		if nc != nil {
			nc.Close()
		}
	}
}

func (m *Master) connect(name, user, pass string) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.UserInfo(user, pass),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			m.log.Warn("bus error", "conn", name, "subject", subj, "err", err)
		}),
	}
	if m.cfg.TLSCert != "" || m.cfg.TLSCA != "" {
		ca := m.cfg.TLSCA
		if ca == "" {
			ca = m.cfg.TLSCert
		}
		opts = append(opts, nats.RootCAs(ca))
	}
	nc, err := nats.Connect(m.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s to %s: %w", name, m.url, err)
	}
	return nc, nil
}

// Bounds of the job cache: past them the oldest jobs and returns go first
// (keep_jobs bounds their age).
const (
	jobsMaxBytes    = 2 << 30
	jobMaxRecord    = 8 << 20
	returnsMaxBytes = 8 << 30
	returnsMaxMsgs  = 20_000_000
)

// setupStore creates (or opens) the JetStream buckets and streams.
func (m *Master) setupStore(ctx context.Context) error {
	js, err := jetstream.New(m.nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	m.js = js
	if m.guard != nil {
		m.js = guardedJS{JetStream: js, g: m.guard}
	}
	// Before anything opens (or creates) a bucket, or writes to one:
	// report what a damaged store lost.
	m.manifest = &manifestWriter{m: m}
	if _, err := m.manifest.check(ctx); err != nil {
		return err
	}
	keys, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: proto.BucketKeys, Description: "minion keys", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("keys bucket: %w", err)
	}
	m.grains, err = m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: proto.BucketGrains, Description: "grains cache", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("grains bucket: %w", err)
	}
	m.jobs, err = m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: proto.BucketJobs, Description: "job cache", History: 1, TTL: m.cfg.keepJobs(), Storage: jetstream.FileStorage,
		MaxBytes: jobsMaxBytes, MaxValueSize: jobMaxRecord,
	})
	if err != nil {
		return fmt.Errorf("jobs bucket: %w", err)
	}
	m.rets, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: proto.StreamReturns, Description: "job returns", Subjects: []string{proto.SubjectReturn + ".>"},
		MaxAge: m.cfg.keepJobs(), Storage: jetstream.FileStorage, Discard: jetstream.DiscardOld,
		MaxBytes: returnsMaxBytes, MaxMsgs: returnsMaxMsgs, MaxMsgSize: proto.MaxInlineReturn + 64<<10,
	})
	if err != nil {
		return fmt.Errorf("returns stream: %w", err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: proto.StreamEvents, Description: "event bus", Subjects: []string{proto.SubjectEvent + ".>"},
		MaxAge: 24 * time.Hour, MaxMsgs: 100_000, Storage: jetstream.FileStorage, Discard: jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("events stream: %w", err)
	}
	m.fleet = newFleet(m.log.With("component", "fleet"))
	m.fleet.nodegroups = target.Nodegroups(m.cfg.Nodegroups)
	m.keys = &keyStore{kv: keys, cache: m.fleet, maxPendingKeys: m.cfg.MaxPendingKeys, autoAccept: m.cfg.AutoAccept, autosignFile: m.cfg.AutosignFile, fire: m.fire, log: m.log.With("component", "keys")}
	if err := m.fleet.watch(ctx, keys, m.fleet.applyKey); err != nil {
		return err
	}
	if err := m.fleet.watch(ctx, m.grains, m.fleet.applyGrains); err != nil {
		return err
	}
	return nil
}

// fire publishes an event on the bus; the events stream keeps it.
func (m *Master) fire(tag string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["_stamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(proto.Event{Tag: tag, Data: data})
	if err != nil {
		m.log.Error("encode event", "tag", tag, "err", err)
		return
	}
	if err := m.nc.Publish(proto.EventSubject(tag), b); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		m.log.Warn("fire event", "tag", tag, "err", err)
		return
	}
	if m.metrics != nil {
		m.metrics.events.Inc()
		m.metrics.observeReaction(tag, data)
	}
}

// kick cuts every live connection of minion id.
func (m *Master) kick(id string) {
	for _, ref := range m.conns.take(id) {
		body, _ := json.Marshal(map[string]uint64{"cid": ref.cid})
		if _, err := m.sysNC.Request("$SYS.REQ.SERVER."+ref.server+".KICK", body, kickTimeout); err != nil {
			m.log.Warn("kick connection", "id", id, "cid", ref.cid, "err", err)
			continue
		}
		m.log.Info("connection cut", "id", id, "cid", ref.cid)
	}
}
