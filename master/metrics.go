package master

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/reactor"
)

// metrics are the master's Prometheus metrics, served on metrics.listen
// with /healthz and /readyz. Counters are updated where the work happens
// (one atomic add each); gauges are read when scraped.
type metrics struct {
	reg *prometheus.Registry

	jobsPublished prometheus.Counter
	returns       *prometheus.CounterVec // result: success, failure
	returnLatency prometheus.Histogram
	timedOut      prometheus.Counter
	stateRuns     *prometheus.CounterVec // result
	events        prometheus.Counter
	reactions     *prometheus.CounterVec // result
	apiRequests   *prometheus.CounterVec // hook, code
	fileBytes     prometheus.Counter
	dropped       *prometheus.CounterVec // what

	// The children of the vectors counted on the hot path, resolved once.
	retOK, retFailed, stateOK, stateFailed prometheus.Counter
	// lastJID caches the start time of the job whose returns are coming
	// in: a job's thousands of returns parse its jid once.
	lastJID atomic.Pointer[jidStart]
}

type jidStart struct {
	jid string
	at  time.Time
	ok  bool
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	mt := &metrics{
		reg: reg,
		jobsPublished: prometheus.NewCounter(prometheus.CounterOpts{Name: "brine_jobs_published_total",
			Help: "Jobs published to minions."}),
		returns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brine_job_returns_total",
			Help: "Minion returns accepted into the job cache, by result."}, []string{"result"}),
		returnLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "brine_job_return_seconds",
			Help:    "Time from a job's start (its jid) to each minion's return.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}),
		timedOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "brine_job_returns_timed_out_total",
			Help: "Targeted minions that had not returned when their job's time ran out."}),
		stateRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brine_state_runs_total",
			Help: "State runs (state.* returns) by result."}, []string{"result"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "brine_events_fired_total",
			Help: "Events the master fired."}),
		reactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brine_reactions_total",
			Help: "Reactor reactions by result (success, failure, skipped, error, rate_limited, depth_exceeded)."}, []string{"result"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brine_api_requests_total",
			Help: "HTTP API requests by route (the hook path for hooks) and status code."}, []string{"route", "code"}),
		fileBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "brine_fileserver_bytes_total",
			Help: "Bytes of files the file server sent to minions."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brine_minion_messages_dropped_total",
			Help: "Minion messages the master refused (bad reply subject, forged or duplicate returns, over a limit)."}, []string{"why"}),
	}
	mt.retOK, mt.retFailed = mt.returns.WithLabelValues("success"), mt.returns.WithLabelValues("failure")
	mt.stateOK, mt.stateFailed = mt.stateRuns.WithLabelValues("success"), mt.stateRuns.WithLabelValues("failure")
	for _, c := range []prometheus.Collector{mt.jobsPublished, mt.returns, mt.returnLatency, mt.timedOut, mt.stateRuns,
		mt.events, mt.reactions, mt.apiRequests, mt.fileBytes, mt.dropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return mt
}

// gauges registers the figures read at scrape time.
func (mt *metrics) gauges(m *Master) {
	g := func(name, help string, fn func() float64) {
		mt.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
	}
	g("brine_minions_connected", "Minions with a live connection.", func() float64 { return float64(len(m.presence.present())) })
	for state, name := range map[string]string{proto.KeyAccepted: "accepted", proto.KeyPending: "pending", proto.KeyRejected: "rejected", proto.KeyDenied: "denied"} {
		g("brine_keys_"+name, "Minion keys in the "+name+" state.", func() float64 { return float64(m.fleet.count(state)) })
	}
	if m.ns != nil {
		mt.reg.MustRegister(&natsCollector{ns: m.ns})
	}
}

// natsCollector exports the embedded NATS server's own figures (varz and
// JetStream usage).
type natsCollector struct {
	ns *server.Server
	mu sync.Mutex
}

func natsDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("brine_nats_"+name, help, nil, nil)
}

var (
	natsConnections   = natsDesc("connections", "Client connections to the embedded NATS server.")
	natsInMsgs        = natsDesc("in_msgs_total", "Messages the embedded NATS server received.")
	natsOutMsgs       = natsDesc("out_msgs_total", "Messages the embedded NATS server sent.")
	natsInBytes       = natsDesc("in_bytes_total", "Bytes the embedded NATS server received.")
	natsOutBytes      = natsDesc("out_bytes_total", "Bytes the embedded NATS server sent.")
	natsSlowConsumers = natsDesc("slow_consumers_total", "Slow consumers the embedded NATS server cut off.")
	natsSubs          = natsDesc("subscriptions", "Subscriptions on the embedded NATS server.")
	natsMem           = natsDesc("mem_bytes", "Memory the embedded NATS server reports.")
	natsJSStore       = natsDesc("jetstream_store_bytes", "Bytes JetStream stores on disk.")
	natsJSStreams     = natsDesc("jetstream_streams", "JetStream streams.")
)

func (c *natsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{natsConnections, natsInMsgs, natsOutMsgs, natsInBytes, natsOutBytes, natsSlowConsumers, natsSubs, natsMem, natsJSStore, natsJSStreams} {
		ch <- d
	}
}

func (c *natsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.ns.Varz(nil)
	if err != nil {
		return
	}
	gauge := func(d *prometheus.Desc, f float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, f) }
	counter := func(d *prometheus.Desc, f float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, f)
	}
	gauge(natsConnections, float64(v.Connections))
	counter(natsInMsgs, float64(v.InMsgs))
	counter(natsOutMsgs, float64(v.OutMsgs))
	counter(natsInBytes, float64(v.InBytes))
	counter(natsOutBytes, float64(v.OutBytes))
	counter(natsSlowConsumers, float64(v.SlowConsumers))
	gauge(natsSubs, float64(v.Subscriptions))
	gauge(natsMem, float64(v.Mem))
	gauge(natsJSStore, float64(v.JetStream.Stats.Store))
	streams := 0
	if js, err := c.ns.Jsz(&server.JSzOptions{}); err == nil {
		streams = js.Streams
	}
	gauge(natsJSStreams, float64(streams))
}

// observeReturn counts one accepted return and its latency from the
// job's start, which its jid encodes.
func (mt *metrics) observeReturn(jid, fun string, success bool) {
	if mt == nil {
		return
	}
	ret, state := mt.retOK, mt.stateOK
	if !success {
		ret, state = mt.retFailed, mt.stateFailed
	}
	ret.Inc()
	if strings.HasPrefix(fun, "state.") {
		state.Inc()
	}
	js := mt.lastJID.Load()
	if js == nil || js.jid != jid {
		t, ok := proto.JIDTime(jid)
		js = &jidStart{jid: jid, at: t, ok: ok}
		mt.lastJID.Store(js)
	}
	if js.ok {
		if d := time.Since(js.at); d >= 0 {
			mt.returnLatency.Observe(d.Seconds())
		}
	}
}

// observeReaction counts a reactor event by what it says of a reaction.
func (mt *metrics) observeReaction(tag string, data map[string]any) {
	if mt == nil || !strings.HasPrefix(tag, reactor.TagPrefix) {
		return
	}
	switch tag {
	case reactor.TagError:
		mt.reactions.WithLabelValues("error").Inc()
	case reactor.TagRateLimited:
		mt.reactions.WithLabelValues("rate_limited").Inc()
	case reactor.TagDepthExceeded:
		mt.reactions.WithLabelValues("depth_exceeded").Inc()
	default:
		if strings.HasSuffix(tag, "/result") {
			ok, _ := data["success"].(bool)
			skipped, _ := data["skipped"].(bool)
			switch {
			case skipped:
				mt.reactions.WithLabelValues("skipped").Inc()
			case ok:
				mt.reactions.WithLabelValues("success").Inc()
			default:
				mt.reactions.WithLabelValues("failure").Inc()
			}
		}
	}
}

// countTimedOut adds, every few seconds, the minions whose jobs' time ran
// out before they returned.
func (m *Master) countTimedOut(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n := m.tracked.timedOut(now); n > 0 {
				m.metrics.timedOut.Add(float64(n))
			}
		}
	}
}

// drop counts a refused minion message.
func (mt *metrics) drop(why string) {
	if mt != nil {
		mt.dropped.WithLabelValues(why).Inc()
	}
}

// serveMetrics serves /metrics, /healthz and /readyz on metrics.listen.
func (m *Master) serveMetrics(ctx context.Context, listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("metrics listen %s: %w", listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil}))
	mux.HandleFunc("GET /healthz", m.healthz)
	mux.HandleFunc("GET /readyz", m.readyz)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("metrics server stopped", "err", err)
		}
	}()
	m.log.Info("metrics listening", "addr", ln.Addr().String())
	return nil
}

// healthz: the process serves and its bus connection is up.
func (m *Master) healthz(w http.ResponseWriter, _ *http.Request) {
	if m.nc == nil || !m.nc.IsConnected() {
		http.Error(w, "bus connection down\n", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// readyz: the master has opened its store and answers minions and ctl.
func (m *Master) readyz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-m.auth.readyCh:
	default:
		http.Error(w, "starting\n", http.StatusServiceUnavailable)
		return
	}
	m.healthz(w, r)
}

// ObserveRequest counts an HTTP API request (api.RequestObserver).
func (b apiBackend) ObserveRequest(route string, code int) {
	if b.m.metrics != nil {
		b.m.metrics.apiRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	}
}

// Ready reports whether the master serves minions and ctl (api.Readier).
func (b apiBackend) Ready() error {
	select {
	case <-b.m.auth.readyCh:
		return nil
	default:
		return errors.New("starting")
	}
}
