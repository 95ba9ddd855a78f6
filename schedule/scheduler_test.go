package schedule

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brine-cm/brine/proto"
)

// fakeClock is a Clock that moves only when told to. Each timer the code
// under test arms is announced on armed, so a test knows the scheduler is
// waiting before it moves the clock.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	c  chan time.Time
	at time.Time

	mu      sync.Mutex
	stopped bool
}

func newFakeClock(t0 time.Time) *fakeClock {
	return &fakeClock{now: t0, armed: make(chan time.Duration, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	t := &fakeTimer{c: make(chan time.Time, 1), at: c.now.Add(d)}
	if d <= 0 {
		t.c <- c.now
	} else {
		c.timers = append(c.timers, t)
	}
	c.mu.Unlock()
	c.armed <- d
	return t
}

// Advance moves the clock and fires the timers that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		t.mu.Lock()
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.c <- c.now
		default:
			keep = append(keep, t)
		}
		t.mu.Unlock()
	}
	c.timers = keep
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// runRec records runs; with block set each run waits for a release.
type runRec struct {
	calls chan string // "name jid"
	block bool
	rel   chan struct{}
}

func newRunRec(block bool) *runRec {
	return &runRec{calls: make(chan string, 100), block: block, rel: make(chan struct{}, 100)}
}

func (r *runRec) run(ctx context.Context, e *Entry, jid string) {
	r.calls <- e.Name + " " + jid
	if r.block {
		select {
		case <-r.rel:
		case <-ctx.Done():
		}
	}
}

// next waits for the next run.
func (r *runRec) next(t *testing.T) string {
	t.Helper()
	select {
	case c := <-r.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no run")
		return ""
	}
}

// none checks that no run was started.
func (r *runRec) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-r.calls:
		t.Fatalf("unexpected run %s", c)
	default:
	}
}

var t0 = time.Date(2026, 3, 2, 10, 7, 0, 0, time.UTC)

type harness struct {
	s     *Scheduler
	clock *fakeClock
	rec   *runRec
	done  chan struct{} // receives after each run released its count
	jids  int
}

func newHarness(t *testing.T, block bool, splay func(lo, hi time.Duration) time.Duration) *harness {
	h := &harness{clock: newFakeClock(t0), rec: newRunRec(block), done: make(chan struct{}, 100)}
	if splay == nil {
		splay = func(lo, hi time.Duration) time.Duration { return lo }
	}
	var mu sync.Mutex
	h.s = New(Config{Run: h.rec.run, Clock: h.clock, Splay: splay, NewJID: func(now time.Time) string {
		mu.Lock()
		defer mu.Unlock()
		h.jids++
		return fmt.Sprintf("jid%d@%s", h.jids, now.Sub(t0))
	}})
	h.s.afterRun = func() { h.done <- struct{}{} }
	t.Cleanup(func() {
		for range 100 {
			h.rec.rel <- struct{}{}
		}
		h.s.Wait()
	})
	return h
}

func (h *harness) set(t *testing.T, src string) {
	t.Helper()
	entries, enabled := parseYAML(t, src, Options{Source: "config"})
	h.s.SetEntries(entries, enabled)
}

// at fires what is due at t0+d and returns the next due time as an offset
// from t0 (-1: nothing is due).
func (h *harness) at(d time.Duration) time.Duration {
	next := h.s.fireDue(t0.Add(d))
	if next.IsZero() {
		return -1
	}
	return next.Sub(t0)
}

// ended waits until a run has ended (its count released).
func (h *harness) ended(t *testing.T) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not end")
	}
}

func (h *harness) released(t *testing.T) {
	t.Helper()
	h.rec.rel <- struct{}{}
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not end")
	}
}

const s = time.Second

func TestIntervalTiming(t *testing.T) {
	h := newHarness(t, false, nil)
	h.set(t, "tick: {function: test.ping, seconds: 10}")
	h.s.begin(context.Background())
	if next := h.at(9 * s); next != 10*s {
		t.Fatalf("first run due at %s, want 10s", next)
	}
	h.rec.none(t)
	if next := h.at(10 * s); next != 20*s {
		t.Fatalf("after the first run, next at %s", next)
	}
	if got := h.rec.next(t); got != "tick jid1@10s" {
		t.Errorf("run = %q", got)
	}
	<-h.done // the first run has ended (maxrunning 1 would skip the next)
	// Late by 15s: one run, no catch-up burst, and back on an interval.
	if next := h.at(35 * s); next != 45*s {
		t.Fatalf("next after a late run at %s, want 45s", next)
	}
	h.rec.next(t)
	h.rec.none(t)
	if next := h.at(40 * s); next != 45*s {
		t.Fatalf("next = %s", next)
	}
	h.rec.none(t)
}

func TestRunOnStartAndSplay(t *testing.T) {
	splays := []time.Duration{3 * s, 7 * s, 1 * s}
	var mu sync.Mutex
	h := newHarness(t, false, func(lo, hi time.Duration) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if lo != 0 || hi != 10*s {
			t.Errorf("splay bounds %s..%s", lo, hi)
		}
		d := splays[0]
		splays = splays[1:]
		return d
	})
	h.set(t, "tick: {function: test.ping, seconds: 30, splay: 10, run_on_start: true}")
	h.s.begin(context.Background())
	// Before begin the entry was planned once (splay 3s); begin plans
	// again from the start: base now, splay 7s.
	if next := h.at(6 * s); next != 7*s {
		t.Fatalf("first run at %s, want 7s (run on start + splay)", next)
	}
	h.rec.none(t)
	if next := h.at(7 * s); next != 31*s {
		t.Fatalf("second run at %s, want 31s (30s + splay 1s)", next)
	}
	h.rec.next(t)
}

func TestCronTiming(t *testing.T) {
	h := newHarness(t, false, nil)
	h.set(t, "q: {function: test.ping, cron: '*/15 * * * *'}")
	h.s.begin(context.Background())
	if next := h.at(0); next != 8*time.Minute { // 10:07 -> 10:15
		t.Fatalf("first cron run at +%s", next)
	}
	if next := h.at(8 * time.Minute); next != 23*time.Minute {
		t.Fatalf("second cron run at +%s", next)
	}
	h.rec.next(t)
	// Wait for the run to end: with maxrunning 1 (the default), a slot
	// due while it still counts as running is skipped, as in Salt.
	h.ended(t)
	// Hours late: the next slot after now.
	if next := h.at(3*time.Hour + 9*time.Minute); next != 3*time.Hour+23*time.Minute {
		t.Fatalf("after a late run: +%s", next)
	}
	h.rec.next(t)
}

func TestMaxRunning(t *testing.T) {
	h := newHarness(t, true, nil)
	h.set(t, "one: {function: test.ping, seconds: 10}\ntwo: {function: test.ping, seconds: 10, maxrunning: 2}")
	h.s.begin(context.Background())
	h.at(10 * s)
	h.rec.next(t)
	h.rec.next(t)
	h.at(20 * s) // one: skipped; two: second run
	if got := h.rec.next(t); !strings.HasPrefix(got, "two ") {
		t.Fatalf("run at 20s = %q", got)
	}
	h.rec.none(t)
	l := h.s.List()
	if one := l["one"].(map[string]any); one["skipped"] != 1 || one["running"] != 1 || one["runs"] != 1 {
		t.Errorf("one = %v", one)
	}
	if two := l["two"].(map[string]any); two["skipped"] != 0 || two["running"] != 2 {
		t.Errorf("two = %v", two)
	}
	h.at(30 * s) // both at their limit
	h.rec.none(t)
	if _, err := h.s.RunJob("one", false); err == nil || !strings.Contains(err.Error(), "maxrunning") {
		t.Errorf("RunJob over maxrunning: %v", err)
	}
	h.released(t) // one of the three running ends
	h.released(t)
	h.released(t)
	h.at(40 * s)
	h.rec.next(t)
	h.rec.next(t)
}

func TestRunJobEnableDisable(t *testing.T) {
	h := newHarness(t, false, nil)
	h.set(t, `
a: {function: test.ping, seconds: 10}
off: {function: test.ping, seconds: 10, enabled: false}
bad: {function: test.ping}
`)
	h.s.begin(context.Background())
	jid, err := h.s.RunJob("a", false)
	if err != nil || jid != "jid1@0s" {
		t.Fatalf("RunJob = %q, %v", jid, err)
	}
	if got := h.rec.next(t); got != "a jid1@0s" {
		t.Errorf("run = %q", got)
	}
	if next := h.at(1 * s); next != 10*s {
		t.Errorf("run_job moved the schedule: next %s", next)
	}
	if _, err := h.s.RunJob("off", false); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("RunJob(off) = %v", err)
	}
	if _, err := h.s.RunJob("off", true); err != nil {
		t.Errorf("RunJob(off, force) = %v", err)
	}
	h.rec.next(t)
	for name, kind := range map[string]string{"nosuch": proto.ErrNotFound, "bad": proto.ErrExecution} {
		_, err := h.s.RunJob(name, true)
		if pe, ok := err.(*proto.Error); !ok || pe.Kind != kind || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("RunJob(%s) = %v", name, err)
		}
		if err := h.s.EnableJob(name); err == nil {
			t.Errorf("EnableJob(%s) succeeded", name)
		}
	}
	if err := h.s.DisableJob("a"); err != nil {
		t.Fatal(err)
	}
	if l := h.s.List()["a"].(map[string]any); l["enabled"] != false || l["next_fire_time"] != nil {
		t.Errorf("disabled a = %v", l)
	}
	if next := h.at(10 * s); next != -1 {
		t.Errorf("something due at %s with a disabled", next)
	}
	h.rec.none(t)
	// Enabling starts the timing from now.
	h.clock.Advance(12 * s)
	if err := h.s.EnableJob("off"); err != nil {
		t.Fatal(err)
	}
	l := h.s.List()["off"].(map[string]any)
	if l["enabled"] != true || l["next_fire_time"] != t0.Add(22*s).Format(time.RFC3339) || l["last_jid"] != "jid2@0s" {
		t.Errorf("enabled off = %v", l)
	}
	if bad := h.s.List()["bad"].(map[string]any); !strings.Contains(bad["error"].(string), "no interval") || bad["enabled"] != false {
		t.Errorf("bad = %v", bad)
	}
}

func TestSetEntriesKeepsAndResets(t *testing.T) {
	h := newHarness(t, false, nil)
	h.set(t, "keep: {function: test.ping, seconds: 10}\nchange: {function: test.ping, seconds: 10}\ngone: {function: test.ping, seconds: 10}")
	h.s.begin(context.Background())
	if err := h.s.DisableJob("keep"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(4 * s)
	h.set(t, `
keep: {function: test.ping, seconds: 10}
change: {function: test.ping, seconds: 20}
fresh: {function: test.ping, seconds: 10, run_on_start: true}
`)
	l := h.s.List()
	if _, ok := l["gone"]; ok {
		t.Errorf("removed entry still listed")
	}
	if k := l["keep"].(map[string]any); k["enabled"] != false {
		t.Errorf("in-memory disable lost on an unchanged entry: %v", k)
	}
	if c := l["change"].(map[string]any); c["next_fire_time"] != t0.Add(24*s).Format(time.RFC3339) || c["seconds"] != 20.0 {
		t.Errorf("changed entry = %v", c)
	}
	if f := l["fresh"].(map[string]any); f["next_fire_time"] != t0.Add(4*s).Format(time.RFC3339) {
		t.Errorf("new entry with run_on_start = %v", f)
	}
	// A changed definition drops the in-memory choice.
	h.set(t, "keep: {function: test.ping, seconds: 11}")
	if k := h.s.List()["keep"].(map[string]any); k["enabled"] != true {
		t.Errorf("changed entry kept the override: %v", k)
	}
	// The whole schedule disabled.
	h.set(t, "enabled: false\nkeep: {function: test.ping, seconds: 11}")
	if l := h.s.List(); l["enabled"] != false || l["keep"].(map[string]any)["next_fire_time"] != nil {
		t.Errorf("disabled schedule = %v", l)
	}
	if next := h.at(100 * s); next != -1 {
		t.Errorf("disabled schedule has a run due at %s", next)
	}
	h.set(t, "keep: {function: test.ping, seconds: 11}")
	if next := h.at(5 * s); next != 15*s { // 4s (now) + 11s
		t.Errorf("re-enabled schedule: next at %s", next)
	}
}

// The loop: it waits on the clock, runs what is due, and wakes when the
// schedule changes.
func TestRunLoop(t *testing.T) {
	h := newHarness(t, false, nil)
	h.set(t, "tick: {function: test.ping, seconds: 10}")
	// The loop has not started: the wake-up set left is for nobody, and
	// would make the loop arm its timer twice, the second time from a
	// clock the test may already have moved.
	select {
	case <-h.s.wake:
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		h.s.Run(ctx)
		close(stopped)
	}()
	if d := <-h.clock.armed; d != 10*s {
		t.Fatalf("first wait %s", d)
	}
	h.clock.Advance(10 * s)
	if got := h.rec.next(t); got != "tick jid1@10s" {
		t.Errorf("run = %q", got)
	}
	if d := <-h.clock.armed; d != 10*s {
		t.Fatalf("second wait %s", d)
	}
	// A new run_on_start entry wakes the loop and runs at once.
	h.set(t, "tick: {function: test.ping, seconds: 10}\nnow: {function: test.ping, seconds: 60, run_on_start: true}")
	if got := h.rec.next(t); got != "now jid2@10s" {
		t.Errorf("run = %q", got)
	}
	if d := <-h.clock.armed; d != 10*s {
		t.Fatalf("wait after the new entry %s", d)
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestRunPanics(t *testing.T) {
	h := newHarness(t, false, nil)
	h.s.cfg.Run = func(context.Context, *Entry, string) { panic("boom") }
	h.set(t, "p: {function: test.ping, seconds: 10, maxrunning: 1}")
	h.s.begin(context.Background())
	h.at(10 * s)
	<-h.done
	if l := h.s.List()["p"].(map[string]any); l["running"] != 0 {
		t.Errorf("a panicking run is still counted: %v", l)
	}
}
