package schedule

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/brine-cm/brine/proto"
)

// RunFunc performs one run of entry e as job jid and returns when the run
// is over: until then it counts against the entry's maxrunning.
type RunFunc func(ctx context.Context, e *Entry, jid string)

// Clock is the scheduler's view of time; tests substitute a fake one.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a stoppable one-shot timer.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Config configures a Scheduler.
type Config struct {
	// Run performs a run; required.
	Run RunFunc
	// Clock defaults to the real clock.
	Clock Clock
	// Logger defaults to one that discards.
	Logger *slog.Logger
	// Splay draws a run's random delay in [lo, hi]; the default is uniform.
	Splay func(lo, hi time.Duration) time.Duration
	// NewJID makes the job id of a run; the default is proto.NewJID.
	NewJID func(time.Time) string
}

// Scheduler runs schedule entries when they are due. Entries are replaced
// as a whole with SetEntries (a pillar refresh); an entry whose definition
// did not change keeps its timing and its in-memory enable/disable.
type Scheduler struct {
	cfg  Config
	wake chan struct{}

	mu      sync.Mutex
	states  map[string]*state
	names   []string // sorted keys of states
	enabled bool     // the schedule's top-level enabled
	started bool
	ctx     context.Context
	runs    sync.WaitGroup

	afterRun func() // tests: called after a run's count is released
}

// state is an entry with its timing.
type state struct {
	e *Entry
	// base is when the next run is due before splay; next is base plus
	// this run's splay, the zero time when the entry does not run.
	base, next time.Time
	running    int
	// override is schedule.enable_job/disable_job's choice, kept while the
	// entry's definition is unchanged.
	override *bool

	lastRun       time.Time
	lastJID       string
	runs, skipped int
}

// New makes a scheduler with no entries.
func New(cfg Config) *Scheduler {
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Splay == nil {
		cfg.Splay = uniformSplay
	}
	if cfg.NewJID == nil {
		cfg.NewJID = proto.NewJID
	}
	return &Scheduler{cfg: cfg, wake: make(chan struct{}, 1), states: map[string]*state{}, enabled: true}
}

func uniformSplay(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + rand.N(hi-lo+1)
}

// SetEntries replaces the schedule. Entries new to the scheduler start
// now (run_on_start applies); entries whose definition changed restart
// their timing from now; unchanged entries keep theirs. Bad entries are
// logged when they first appear or change.
func (s *Scheduler) SetEntries(entries []*Entry, enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock.Now()
	states := make(map[string]*state, len(entries))
	names := make([]string, 0, len(entries))
	s.enabled = enabled
	for _, e := range entries {
		st, known := s.states[e.Name]
		if known && sameDefinition(st.e, e) {
			st.e = e
			if !s.active(st) {
				st.base, st.next = time.Time{}, time.Time{}
			} else if st.next.IsZero() {
				s.plan(st, now, false)
			}
		} else {
			if !known {
				st = &state{}
			}
			st.e, st.override = e, nil
			if e.Err != nil {
				s.cfg.Logger.Error("schedule entry skipped", "name", e.Name, "source", e.Source, "err", e.Err)
			} else if known {
				s.cfg.Logger.Info("schedule entry changed", "name", e.Name, "source", e.Source)
			}
			s.plan(st, now, !known)
		}
		if _, dup := states[e.Name]; !dup {
			names = append(names, e.Name)
		}
		states[e.Name] = st
	}
	sort.Strings(names)
	s.states, s.names = states, names
	s.poke()
}

// active says whether the entry runs on its schedule.
func (s *Scheduler) active(st *state) bool {
	if !s.enabled || st.e.Err != nil {
		return false
	}
	if st.override != nil {
		return *st.override
	}
	return st.e.Enabled
}

// plan sets an entry's next run from now; start says the entry is
// starting (run_on_start applies).
func (s *Scheduler) plan(st *state, now time.Time, start bool) {
	st.base, st.next = time.Time{}, time.Time{}
	if !s.active(st) {
		return
	}
	e := st.e
	switch {
	case start && e.RunOnStart:
		st.base = now
	case e.Cron != nil:
		st.base = e.Cron.Next(now)
	default:
		st.base = now.Add(e.Every)
	}
	if !st.base.IsZero() {
		st.next = st.base.Add(s.cfg.Splay(e.SplayMin, e.SplayMax))
	}
}

// advance moves an entry past the run due now: the next interval or cron
// time after the one just due, or, if the scheduler fell behind by more
// than that, the next one after now (missed runs are not caught up).
func (s *Scheduler) advance(st *state, now time.Time) {
	e := st.e
	var base time.Time
	if e.Cron != nil {
		if base = e.Cron.Next(st.base); !base.After(now) {
			base = e.Cron.Next(now)
		}
	} else if base = st.base.Add(e.Every); !base.After(now) {
		base = now.Add(e.Every)
	}
	st.base, st.next = base, time.Time{}
	if !base.IsZero() {
		st.next = base.Add(s.cfg.Splay(e.SplayMin, e.SplayMax))
	}
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run runs entries as they come due until ctx is done. Every entry's timing
// starts when Run does (run_on_start entries run at once). Runs in progress
// when ctx ends are not waited for; see Wait.
func (s *Scheduler) Run(ctx context.Context) {
	s.begin(ctx)
	for {
		now := s.cfg.Clock.Now()
		next := s.fireDue(now)
		var timer Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = s.cfg.Clock.NewTimer(next.Sub(now))
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// begin starts every entry's timing now.
func (s *Scheduler) begin(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		panic("schedule: Run called twice")
	}
	s.started, s.ctx = true, ctx
	now := s.cfg.Clock.Now()
	for _, name := range s.names {
		s.plan(s.states[name], now, true)
	}
}

// fireDue starts the runs due at now and returns when the next one is due
// (the zero time: none is).
func (s *Scheduler) fireDue(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var earliest time.Time
	for _, name := range s.names {
		st := s.states[name]
		if st.next.IsZero() {
			continue
		}
		if !st.next.After(now) {
			if st.running >= st.e.MaxRunning {
				st.skipped++
				s.cfg.Logger.Info("scheduled run skipped: the previous runs are still going",
					"name", name, "running", st.running, "maxrunning", st.e.MaxRunning)
			} else {
				s.launch(st, now)
			}
			s.advance(st, now)
		}
		if !st.next.IsZero() && (earliest.IsZero() || st.next.Before(earliest)) {
			earliest = st.next
		}
	}
	return earliest
}

// launch starts one run of st; s.mu is held.
func (s *Scheduler) launch(st *state, now time.Time) string {
	jid := s.cfg.NewJID(now)
	st.running++
	st.runs++
	st.lastRun, st.lastJID = now, jid
	e, ctx := st.e, s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	s.cfg.Logger.Info("scheduled run", "name", e.Name, "fun", e.Function, "jid", jid)
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		defer func() {
			s.mu.Lock()
			st.running--
			after := s.afterRun
			s.mu.Unlock()
			if after != nil {
				after()
			}
		}()
		defer func() {
			if p := recover(); p != nil {
				s.cfg.Logger.Error("scheduled run panicked", "name", e.Name, "jid", jid, "panic", p, "stack", string(debug.Stack()))
			}
		}()
		s.cfg.Run(ctx, e, jid)
	}()
	return jid
}

// Wait waits for the runs in progress to end.
func (s *Scheduler) Wait() { s.runs.Wait() }

func (s *Scheduler) lookup(name string) (*state, error) {
	st, ok := s.states[name]
	if !ok {
		return nil, proto.Errorf(proto.ErrNotFound, "schedule job %q does not exist", name)
	}
	if st.e.Err != nil {
		return nil, proto.Errorf(proto.ErrExecution, "%v", st.e.Err)
	}
	return st, nil
}

// RunJob runs entry name now, outside its schedule, and returns the run's
// job id. A disabled entry runs only with force; an entry already running
// maxrunning times does not.
func (s *Scheduler) RunJob(name string, force bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.lookup(name)
	if err != nil {
		return "", err
	}
	if !force && !s.active(st) {
		return "", proto.Errorf(proto.ErrExecution, "schedule job %q is disabled; use force=True to run it anyway", name)
	}
	if st.running >= st.e.MaxRunning {
		return "", proto.Errorf(proto.ErrExecution, "schedule job %q is already running %d time(s), its maxrunning", name, st.running)
	}
	return s.launch(st, s.cfg.Clock.Now()), nil
}

// EnableJob enables entry name (in memory: until its definition changes
// or the process restarts); its timing starts now.
func (s *Scheduler) EnableJob(name string) error { return s.setEnabled(name, true) }

// DisableJob disables entry name (in memory).
func (s *Scheduler) DisableJob(name string) error { return s.setEnabled(name, false) }

func (s *Scheduler) setEnabled(name string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.lookup(name)
	if err != nil {
		return err
	}
	was := s.active(st)
	st.override = &on
	switch now := s.active(st); {
	case now && !was:
		s.plan(st, s.cfg.Clock.Now(), false)
	case !now:
		st.base, st.next = time.Time{}, time.Time{}
	}
	s.poke()
	return nil
}

// List describes every entry, keyed by name (schedule.list): its settings,
// whether it is enabled, when it runs next (next_fire_time, RFC 3339, or
// null), how many runs are in progress, and its last run; a bad entry shows
// its error. When the whole schedule is disabled, "enabled": false is
// listed beside the entries, as Salt does.
func (s *Scheduler) List() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]any, len(s.states)+1)
	for _, name := range s.names {
		st := s.states[name]
		d := st.e.Describe()
		if st.e.Err == nil {
			enabled := st.e.Enabled
			if st.override != nil {
				enabled = *st.override
			}
			d["enabled"] = enabled
			d["next_fire_time"] = nil
			if !st.next.IsZero() {
				d["next_fire_time"] = st.next.Format(time.RFC3339)
			}
			d["running"] = st.running
			d["runs"] = st.runs
			d["skipped"] = st.skipped
			if !st.lastRun.IsZero() {
				d["last_run"] = st.lastRun.Format(time.RFC3339)
				d["last_jid"] = st.lastJID
			}
		}
		out[name] = d
	}
	if !s.enabled {
		out["enabled"] = false
	}
	return out
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }
