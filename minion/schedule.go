package minion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/schedule"
)

// minionSchedule is the minion's scheduler: the config's `schedule:` with
// the pillar's `schedule:` merged over it entry by entry, re-read whenever
// the minion receives a freshly compiled pillar. Each run is a job with a
// fresh jid that goes through runJob like a published one (so
// saltutil.running shows it and its return reaches the returns stream),
// announced to the master first so the job cache records it.
type minionSchedule struct {
	*schedule.Scheduler
	m *Minion

	mu     sync.Mutex
	pillar any // the pillar's schedule last applied

	// waiting maps a run's own jid to the jid the master recorded it as,
	// for RunJob (an entry run by schedule.run_job).
	waitMu  sync.Mutex
	waiting map[string]*jidWait
}

type jidWait struct {
	ch chan string
	at time.Time
}

// wait returns the entry for run local, creating it; waitMu is held.
func (s *minionSchedule) wait(local string) *jidWait {
	w := s.waiting[local]
	if w == nil {
		now := time.Now()
		for k, old := range s.waiting { // runs nobody asked about
			if now.Sub(old.at) > time.Minute {
				delete(s.waiting, k)
			}
		}
		w = &jidWait{ch: make(chan string, 1), at: now}
		s.waiting[local] = w
	}
	return w
}

// initSchedule creates the scheduler with the config's entries (bad ones
// are logged now and skipped) and offers it to the schedule module.
func (m *Minion) initSchedule() {
	s := &minionSchedule{m: m, waiting: map[string]*jidWait{}}
	s.Scheduler = schedule.New(schedule.Config{Run: m.runScheduled, Logger: m.log.With("component", "schedule")})
	s.apply(nil)
	m.sched = s
	m.env.Schedule = s
}

// scheduleOptions checks that an entry's function exists on this minion.
func scheduleOptions(source string) schedule.Options {
	return schedule.Options{Source: source, CheckFunction: func(e *schedule.Entry) error {
		if _, ok := modules.Lookup(e.Function); !ok {
			return fmt.Errorf("function %q is not available on this minion", e.Function)
		}
		return nil
	}}
}

// mergeSchedules parses the config's and the pillar's schedules; a pillar
// entry replaces the config's entry of the same name, and the pillar's
// top-level enabled, if any, the config's.
func mergeSchedules(config, pillar map[string]any) ([]*schedule.Entry, bool) {
	fromConfig, enabled := schedule.Parse(config, scheduleOptions("config"))
	fromPillar, pEnabled := schedule.Parse(pillar, scheduleOptions("pillar"))
	if _, ok := pillar["enabled"].(bool); ok {
		enabled = pEnabled
	}
	byName := map[string]*schedule.Entry{}
	for _, e := range fromConfig {
		byName[e.Name] = e
	}
	for _, e := range fromPillar {
		byName[e.Name] = e
	}
	out := make([]*schedule.Entry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	return out, enabled
}

// apply sets the schedule from the config and the pillar's schedule value.
func (s *minionSchedule) apply(pillarSchedule any) {
	p, ok := pillarSchedule.(map[string]any)
	if !ok && pillarSchedule != nil {
		s.m.log.Error("pillar schedule ignored: it must be a mapping of entry names to entries", "got", fmt.Sprintf("%T", pillarSchedule))
	}
	entries, enabled := mergeSchedules(s.m.cfg.Schedule, p)
	s.Scheduler.SetEntries(entries, enabled)
}

// pillarChanged takes the schedule out of a freshly compiled pillar. An
// unchanged schedule leaves the scheduler alone.
func (m *Minion) pillarChanged(pillar map[string]any) {
	s := m.sched
	if s == nil {
		return
	}
	sched := pillar["schedule"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if reflect.DeepEqual(sched, s.pillar) {
		return
	}
	s.pillar = sched
	s.apply(sched)
}

// runSchedule runs the scheduler once the minion is connected, after
// reading the pillar's schedule (as the config's, a moment later, from the
// first pillar the master compiles).
func (m *Minion) runSchedule(ctx context.Context) {
	select {
	case <-m.connected:
	case <-ctx.Done():
		return
	}
	// A simulated minion without a schedule of its own spares the master
	// a pillar compile.
	if m.opts.Grains == nil || len(m.cfg.Schedule) > 0 {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if _, err := m.env.Master.Pillar(pctx, false); err != nil && ctx.Err() == nil {
			m.log.Warn("pillar schedule not read; the config's schedule runs meanwhile", "err", err)
		}
		cancel()
	}
	m.sched.Run(ctx)
}

// runScheduled is one run of entry e: it asks the master to record the
// run as a job (the master names its jid), then runs it as any job is run.
func (m *Minion) runScheduled(ctx context.Context, e *schedule.Entry, jid string) {
	arg, _ := clonePlain(e.Args).([]any)
	kwarg, _ := clonePlain(e.Kwargs).(map[string]any)
	job := proto.Job{
		JID: jid, Fun: e.Function, Arg: arg, Kwarg: kwarg, User: "schedule:" + e.Name,
		Target: proto.Target{Expr: m.cfg.ID, Type: "list"},
	}
	local := jid
	err := m.recordOwnJob(ctx, &job, e.Name)
	m.sched.named(local, job.JID)
	if ctx.Err() != nil {
		return // the minion is stopping
	}
	if err != nil {
		m.log.Warn("scheduled job not recorded in the master's job cache; running it anyway", "name", e.Name, "jid", job.JID, "err", err)
	}
	ret := m.runJob(job)
	if !ret.Success {
		m.log.Warn("scheduled job failed", "name", e.Name, "jid", job.JID, "fun", e.Function, "retcode", ret.Retcode)
	}
}

// recordOwnJob asks the master to record a job this minion runs on its own
// (a scheduled run, startup_states) in the job cache, under name. The
// master picks the jid, which is put in job; the master accepts the return
// only for a job it recorded. Without a connection the job keeps the jid it
// has: it still runs (the schedule keeps its time), and only the job cache
// misses it.
func (m *Minion) recordOwnJob(ctx context.Context, job *proto.Job, name string) error {
	m.mu.Lock()
	up := m.up
	m.mu.Unlock()
	if !up {
		return errors.New("not connected to the master")
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg, err := m.request(rctx, proto.ReqScheduleJob, proto.ScheduleJob{Fun: job.Fun, Arg: job.Arg, Kwarg: job.Kwarg, Name: name})
	if err != nil {
		return err
	}
	var rep proto.ScheduleJobReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil || !proto.ValidJID(rep.JID) {
		return fmt.Errorf("bad reply from the master: %.200s", msg.Data)
	}
	job.JID = rep.JID
	return nil
}

// named tells a RunJob waiting for run local the jid the master gave it.
func (s *minionSchedule) named(local, jid string) {
	s.waitMu.Lock()
	w := s.wait(local)
	s.waitMu.Unlock()
	w.ch <- jid
}

// RunJob runs entry name now (schedule.run_job) and returns the jid the
// master recorded the run as, which is where its return is found.
func (s *minionSchedule) RunJob(name string, force bool) (string, error) {
	local, err := s.Scheduler.RunJob(name, force)
	if err != nil {
		return "", err
	}
	s.waitMu.Lock()
	w := s.wait(local)
	s.waitMu.Unlock()
	defer func() {
		s.waitMu.Lock()
		delete(s.waiting, local)
		s.waitMu.Unlock()
	}()
	select {
	case jid := <-w.ch:
		return jid, nil
	case <-time.After(15 * time.Second):
		return local, nil
	}
}

// clonePlain copies the maps and lists of a YAML or JSON value, so that a
// function cannot change the schedule's own arguments.
func clonePlain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = clonePlain(e)
		}
		return out
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clonePlain(e)
		}
		return out
	}
	return v
}
