package master

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Per-minion limits. A minion's requests, events and returns are served
// by the master with its own authority and CPU, so one minion (compromised
// or broken) must not be able to starve the rest of the fleet or an
// operator: each minion has a token bucket for the costly work it can ask
// of the master (pillar and top compilation, mine.get target evaluation,
// grains and mine writes, events, returns for unknown jobs) and a cap on
// requests in flight. File transfers and expected returns are bounded by
// the in-flight cap only, so that large files still stream at full speed.
type minionLimits struct {
	rate       rate.Limit
	burst      int
	inflight   int
	eventRate  rate.Limit
	eventBurst int

	mu    sync.Mutex
	m     map[string]*minionLimit
	swept time.Time

	dropped atomic.Uint64 // messages dropped as out of bounds (reply subject, unknown job)
}

// logDrop says whether the n-th dropped message is logged: the first ten,
// then one in a thousand, so that a flood cannot flood the log too.
func logDrop(n uint64) bool { return n <= 10 || n%1000 == 0 }

type minionLimit struct {
	bucket *rate.Limiter
	events *rate.Limiter
	busy   int
	seen   time.Time
}

// Defaults: sustained 50 costly requests a second per minion with bursts of
// 200 (a highstate asks for its pillar, its top and a few files; a mine
// update is one request), and 16 requests in flight.
const (
	defaultMinionRate     = 50
	defaultMinionBurst    = 200
	defaultMinionInflight = 16
	// Events (event.send) have a bucket of their own: cheap for the
	// master, but a flood fills the events stream and feeds the reactor.
	defaultMinionEventRate = 1000
	limitsIdleAfter        = 10 * time.Minute
)

func newMinionLimits(r float64, burst, inflight int, eventRate float64) *minionLimits {
	if eventRate <= 0 {
		eventRate = defaultMinionEventRate
	}
	if r <= 0 {
		r = defaultMinionRate
	}
	if burst <= 0 {
		burst = defaultMinionBurst
	}
	if inflight <= 0 {
		inflight = defaultMinionInflight
	}
	return &minionLimits{rate: rate.Limit(r), burst: burst, inflight: inflight,
		eventRate: rate.Limit(eventRate), eventBurst: max(int(eventRate), 100) * 5, m: map[string]*minionLimit{}}
}

func (l *minionLimits) entry(id string, now time.Time) *minionLimit {
	e := l.m[id]
	if e == nil {
		if now.Sub(l.swept) > time.Minute {
			l.sweep(now)
			l.swept = now
		}
		e = &minionLimit{bucket: rate.NewLimiter(l.rate, l.burst), events: rate.NewLimiter(l.eventRate, l.eventBurst)}
		l.m[id] = e
	}
	e.seen = now
	return e
}

// sweep forgets idle minions; called with l.mu held.
func (l *minionLimits) sweep(now time.Time) {
	for id, e := range l.m {
		if e.busy == 0 && now.Sub(e.seen) > limitsIdleAfter {
			delete(l.m, id)
		}
	}
}

// allow takes cost tokens from id's bucket; false means refuse.
func (l *minionLimits) allow(id string, cost int) bool {
	if cost <= 0 {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	ok := l.entry(id, now).bucket.AllowN(now, cost)
	l.mu.Unlock()
	return ok
}

// allowEvent takes one event from id's event bucket.
func (l *minionLimits) allowEvent(id string) bool {
	now := time.Now()
	l.mu.Lock()
	ok := l.entry(id, now).events.AllowN(now, 1)
	l.mu.Unlock()
	return ok
}

// acquire takes one of id's in-flight slots; release gives it back.
func (l *minionLimits) acquire(id string) (release func(), ok bool) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entry(id, now)
	if e.busy >= l.inflight {
		return nil, false
	}
	e.busy++
	return func() {
		l.mu.Lock()
		e.busy--
		l.mu.Unlock()
	}, true
}
