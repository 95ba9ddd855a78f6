// Package minion is the Brine agent: it holds its own key, collects grains,
// connects to the master's bus with permissions confined to its id, and runs
// the jobs addressed to it.
package minion

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/internal/config"
	"github.com/brine-cm/brine/internal/procrun"
	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// Options configure a Minion beyond its Config. The zero value is what the
// minion binary uses; the fleet simulator supplies grains and keys directly.
type Options struct {
	Logger *slog.Logger
	// Key, when set, is used instead of root_dir/pki/minion.nk.
	Key nkeys.KeyPair
	// Grains, when set, replaces grain collection (static grains from the
	// config still apply) and grains are not persisted.
	Grains map[string]any
	// Backoff bounds for (re)connecting; zero means the defaults.
	MinBackoff, MaxBackoff time.Duration
	// OnConnectionChange, if set, is told when the minion connects (true)
	// and loses its connection (false).
	OnConnectionChange func(up bool)
}

// Minion is one running minion.
type Minion struct {
	cfg  *Config
	opts Options
	log  *slog.Logger
	key  nkeys.KeyPair

	grains *grains.Store
	nc     *nats.Conn
	env    *modules.Env
	jobs   *tracker
	sched  *minionSchedule // schedule.go

	startup sync.Once // startup_states, after the first connect

	// procs records the process groups of running commands, so that the
	// next start finds those a SIGKILL left behind (orphans.go).
	procs   *procrun.Tracker
	orphans []procrun.Orphan // found at start, reported once connected

	mu        sync.Mutex
	connected chan struct{} // closed at first connect
	// reconnected wakes the mine loop after a reconnect: the master may
	// have dropped this minion's mine data meanwhile (key deleted, then
	// accepted again), so it is pushed again at once.
	reconnected chan struct{}
	up          bool
	downSince   time.Time
	ec2ID       *proto.EC2Identity // ec2_identity: read once from IMDS
	// subscribed is closed once the current connection's job
	// subscription is made: the connect handler can run before dial has
	// subscribed, and the grains it sends tell the master that jobs
	// reach this minion now.
	subscribed chan struct{}
}

// setUp records a connection state change and reports it once.
func (m *Minion) setUp(up bool) {
	m.mu.Lock()
	changed := m.up != up
	if changed && !up {
		m.downSince = time.Now()
	}
	m.up = up
	m.mu.Unlock()
	if changed && m.opts.OnConnectionChange != nil {
		m.opts.OnConnectionChange(up)
	}
}

// New prepares a minion; Run starts it.
func New(cfg *Config, opts Options) (*Minion, error) {
	if err := proto.ValidID(cfg.ID); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	m := &Minion{cfg: cfg, opts: opts, log: log.With("id", cfg.ID), connected: make(chan struct{}), reconnected: make(chan struct{}, 1), downSince: time.Now()}
	if m.opts.MinBackoff <= 0 {
		m.opts.MinBackoff = 250 * time.Millisecond
	}
	if m.opts.MaxBackoff <= 0 {
		m.opts.MaxBackoff = 8 * time.Second
	}
	m.key = opts.Key
	if m.key == nil {
		kp, err := LoadOrCreateKey(filepath.Join(cfg.RootDir, "pki"))
		if err != nil {
			return nil, err
		}
		m.key = kp
	}
	collected, persist := opts.Grains, ""
	if collected == nil {
		var err error
		if collected, err = grains.Collect(context.Background(), cfg.ID); err != nil {
			return nil, fmt.Errorf("collect grains: %w", err)
		}
		persist = filepath.Join(cfg.RootDir, "grains")
	}
	store, err := grains.NewStore(collected, cfg.Grains, persist)
	if err != nil {
		return nil, err
	}
	m.grains = store
	m.jobs = newTracker()
	m.procs = procrun.NewTracker(filepath.Join(cfg.RootDir, "cache", "procs", cfg.ID))
	m.env = &modules.Env{
		ID:     cfg.ID,
		Grains: store,
		Jobs:   m.jobs,
		Logger: m.log,
		OnGrainsChanged: func() {
			go m.sendGrains(false)
		},
		Master:        &masterAPI{m: m},
		Files:         newFileClient(m),
		HostsFile:     cfg.HostsFile,
		RootDir:       cfg.RootDir,
		MineFunctions: cfg.MineFunctions,
		FireEvent:     m.fireEvent,
		Opts:          configOpts(cfg),
		Parsed:        render.NewParseCache(),
	}
	m.initSchedule()
	return m, nil
}

// PublicKey is the minion's public nkey.
func (m *Minion) PublicKey() string {
	pub, _ := m.key.PublicKey()
	return pub
}

// backoff is the wait before the next pass over the server list: doubling
// from MinBackoff to MaxBackoff, each wait drawn uniformly from [d/4, d]
// ("jitter") so that a fleet that lost the master at the same moment comes
// back spread over the whole window instead of in one burst.
func (m *Minion) backoff(attempts int) time.Duration {
	d := m.opts.MinBackoff
	for i := 0; i < attempts && d < m.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, m.opts.MaxBackoff)
	return d/4 + rand.N(d*3/4+1)
}

// Connected is closed once the minion has connected to the master.
func (m *Minion) Connected() <-chan struct{} { return m.connected }

// Run connects and serves jobs until ctx is cancelled. It returns only on
// ctx cancellation or a configuration error: an absent master or an
// unaccepted key is retried with backoff, and a connection the client
// library gives up on (it closes for good on some server errors, such as an
// authentication timeout while the master is busy) is replaced.
func (m *Minion) Run(ctx context.Context) error {
	m.log.Info("minion starting", "master", m.cfg.Master, "pub", m.PublicKey())
	for _, w := range m.cfg.Warnings {
		m.log.Warn("config: " + w)
	}
	var custom []string
	for _, k := range slices.Sorted(maps.Keys(m.cfg.Options)) {
		if !config.SaltSetting(k) {
			custom = append(custom, k)
		}
	}
	if len(custom) > 0 {
		m.log.Info("config: custom options (no Brine setting; templates read them through opts and config.get)", "keys", custom)
	}
	m.reapOrphans()
	ctx = procrun.WithTracker(ctx, m.procs)
	go m.mineLoop(ctx)
	go m.runSchedule(ctx)
	for attempt := 0; ; attempt++ {
		closed, err := m.dial()
		if err != nil {
			return err
		}
		if done := m.serve(ctx, closed); done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(m.backoff(min(attempt, 10))):
		}
	}
}

// stallTimeout is how long a minion stays disconnected before it replaces
// its connection outright instead of waiting on the client library's own
// reconnect loop (a safety net: under a reconnect storm some connections
// were seen waiting far longer than their backoff).
const stallTimeout = 15 * time.Second

// serve waits until ctx is done (true) or the connection is closed or has
// stalled (false).
func (m *Minion) serve(ctx context.Context, closed <-chan struct{}) bool {
	m.mu.Lock()
	nc := m.nc
	m.mu.Unlock()
	watchdog := time.NewTicker(stallTimeout/6 + rand.N(stallTimeout/6))
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			m.jobs.killAll()
			_ = nc.Drain()
			return true
		case <-closed:
			m.setUp(false)
			m.log.Info("connection closed; dialling again")
			return false
		case <-watchdog.C:
			m.mu.Lock()
			stalled := !m.up && time.Since(m.downSince) > stallTimeout
			m.mu.Unlock()
			if stalled {
				m.log.Info("disconnected too long; replacing the connection")
				nc.Close()
				<-closed
				return false
			}
		}
	}
}

// dial creates a connection that retries and reconnects by itself, and
// subscribes to the minion's job subject. closed is closed when the client
// library gives the connection up.
func (m *Minion) dial() (closed <-chan struct{}, err error) {
	done := make(chan struct{})
	subscribed := make(chan struct{})
	defer close(subscribed)
	m.mu.Lock()
	m.subscribed = subscribed
	m.mu.Unlock()
	opts := []nats.Option{
		nats.Name(m.cfg.ID),
		nats.Nkey(m.PublicKey(), m.key.Sign),
		nats.Token(m.joinClaims()),
		nats.CustomInboxPrefix(proto.MinionInbox(m.cfg.ID)),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.IgnoreAuthErrorAbort(),
		nats.CustomReconnectDelay(m.backoff),
		nats.ReconnectBufSize(16 << 20),
		nats.PingInterval(20 * time.Second),
		nats.ConnectHandler(func(*nats.Conn) { m.onConnect() }),
		nats.ReconnectHandler(func(*nats.Conn) { m.onConnect() }),
		nats.ClosedHandler(func(*nats.Conn) { close(done) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			m.setUp(false)
			if err != nil {
				m.log.Info("disconnected from master", "err", err)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			m.log.Debug("bus error", "err", err)
		}),
	}
	if m.cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(m.cfg.TLSCA))
	}
	nc, err := nats.Connect(m.cfg.Master, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", m.cfg.Master, err)
	}
	m.mu.Lock()
	m.nc = nc
	m.mu.Unlock()
	if _, err := nc.Subscribe(proto.JobSubject(m.cfg.ID), m.onJob); err != nil {
		nc.Close()
		return nil, fmt.Errorf("subscribe jobs: %w", err)
	}
	return done, nil
}

func (m *Minion) onConnect() {
	m.mu.Lock()
	select {
	case <-m.connected:
		select {
		case m.reconnected <- struct{}{}:
		default:
		}
	default:
		close(m.connected)
	}
	subscribed := m.subscribed
	m.mu.Unlock()
	m.setUp(true)
	m.log.Info("connected to master")
	go func() {
		if subscribed != nil {
			<-subscribed
		}
		m.sendGrains(true)
		m.reportOrphans()
		m.startup.Do(m.runStartupStates)
	}()
}

// sendGrains pushes the minion's grains to the master's cache.
func (m *Minion) sendGrains(connect bool) {
	m.mu.Lock()
	nc := m.nc
	m.mu.Unlock()
	if nc == nil {
		return
	}
	body, err := json.Marshal(proto.GrainsUpdate{Grains: m.grains.Items(), Connect: connect})
	if err != nil {
		m.log.Error("encode grains", "err", err)
		return
	}
	for attempt := 0; attempt < 5; attempt++ {
		msg, err := nc.Request(proto.MinionRequestSubject(m.cfg.ID, proto.ReqGrains), body, 10*time.Second)
		if err == nil {
			var ack proto.Ack
			if json.Unmarshal(msg.Data, &ack) == nil && ack.Error != nil {
				m.log.Warn("master refused grains", "err", ack.Error.Message)
			}
			return
		}
		if nc.IsClosed() {
			return
		}
		time.Sleep(m.backoff(attempt))
	}
	m.log.Warn("could not send grains to master")
}

// mineLoop runs mine.update once connected and then every mine_interval
// minutes, when there are mine functions (in the config or the pillar).
func (m *Minion) mineLoop(ctx context.Context) {
	select {
	case <-m.connected:
	case <-ctx.Done():
		return
	}
	interval := time.Duration(m.cfg.MineInterval * float64(time.Minute))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m.runMineUpdate(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.reconnected:
			t.Reset(interval)
		}
	}
}

func (m *Minion) runMineUpdate(ctx context.Context) {
	if m.opts.Grains != nil && len(m.cfg.MineFunctions) == 0 {
		return // simulated minions without mine functions stay quiet
	}
	fn, ok := modules.Lookup("mine.update")
	if !ok {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := fn.Fn(cctx, m.env, modules.Call{}); err != nil {
		m.log.Warn("mine.update failed", "err", err)
	}
}

// fireEvent publishes an event on the minion's own event subject; the
// master checks and forwards it.
func (m *Minion) fireEvent(tag string, data map[string]any) error {
	m.mu.Lock()
	nc := m.nc
	m.mu.Unlock()
	if nc == nil {
		return fmt.Errorf("not connected to the master")
	}
	b, err := json.Marshal(proto.Event{Tag: tag, Data: data})
	if err != nil {
		return fmt.Errorf("encode event %s: %w", tag, err)
	}
	return nc.Publish(proto.MinionEventSubject(m.cfg.ID), b)
}
