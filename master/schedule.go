package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/runners"
	"github.com/brine-cm/brine/schedule"
)

// The scheduler, master side: minions announce the runs of their own
// schedules (schedule_job) so the job cache records them, and the master
// runs the entries of its config's `schedule:` (runners, or with tgt jobs
// published to minions).

// handleScheduleJob records a run of a minion's schedule entry as a job of
// that minion alone (the id comes from the subject), by user
// "schedule:<name>", and fires salt/job/<jid>/new. The minion then runs the
// job and publishes its return like any other.
func (m *Master) handleScheduleJob(ctx context.Context, id string, body []byte) (any, error) {
	var req proto.ScheduleJob
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	// The master picks the jid: a minion cannot name (and so squat or
	// overwrite) a job record; it can only have its own scheduled run
	// recorded, targeting itself, within its request budget.
	req.JID = proto.NewJID(time.Now())
	if !funRe.MatchString(req.Fun) {
		return nil, proto.Errorf(proto.ErrUnknownFunction, "%q is not a function name (module.function)", req.Fun)
	}
	if err := checkScheduleName(req.Name); err != nil {
		return nil, proto.Errorf(proto.ErrBadRequest, "schedule entry name %q: %v", req.Name, err)
	}
	user := "schedule:" + req.Name
	t := proto.Target{Expr: id, Type: "list"}
	rec := proto.JobRecord{JID: req.JID, Fun: req.Fun, Arg: req.Arg, Kwarg: req.Kwarg, Target: t, User: user, Minions: []string{id}, Start: time.Now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if _, err := m.jobs.Create(ctx, req.JID, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return nil, proto.Errorf(proto.ErrBadRequest, "jid %s is already in use", req.JID)
		}
		return nil, fmt.Errorf("record job %s: %w", req.JID, err)
	}
	m.tracked.add(req.JID, rec.Minions)
	m.log.Info("scheduled job", "jid", req.JID, "fun", req.Fun, "id", id, "schedule", req.Name)
	m.fire(proto.TagJobNew(req.JID), map[string]any{
		"jid": req.JID, "fun": req.Fun, "tgt": id, "tgt_type": t.Type, "minions": []string{id},
		"user": user, "arg": redactArgs(req.Fun, req.Arg), "schedule": req.Name,
	})
	return proto.ScheduleJobReply{JID: req.JID}, nil
}

func checkScheduleName(name string) error {
	if name == "" || len(name) > 200 {
		return errors.New("must be 1 to 200 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return errors.New("has a control character")
		}
	}
	return nil
}

// startSchedule parses the config's schedule and runs it until ctx ends.
// A bad entry is a configuration error: the master does not start.
func (m *Master) startSchedule(ctx context.Context) error {
	if len(m.cfg.Schedule) == 0 {
		return nil
	}
	entries, enabled := schedule.Parse(m.cfg.Schedule, schedule.Options{Master: true, Source: "config", CheckFunction: func(e *schedule.Entry) error {
		if e.Tgt != "" {
			if !funRe.MatchString(e.Function) {
				return fmt.Errorf("function %q is not a function name (module.function)", e.Function)
			}
			return nil
		}
		if _, ok := runners.Lookup(e.Function); !ok {
			return fmt.Errorf("runner %q is not available (give tgt to run an execution function on minions)", e.Function)
		}
		return nil
	}})
	var errs []error
	for _, e := range entries {
		if e.Err != nil {
			path := []any{"schedule", e.Name, "function"}
			if file, line := m.cfg.doc.Where(path); line > 0 {
				errs = append(errs, fmt.Errorf("%s line %d: %w", file, line, e.Err))
				continue
			}
			errs = append(errs, e.Err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("schedule: %w", errors.Join(errs...))
	}
	s := schedule.New(schedule.Config{Run: m.runScheduled, Logger: m.log.With("component", "schedule")})
	s.SetEntries(entries, enabled)
	go s.Run(ctx)
	m.log.Info("schedule started", "entries", len(entries), "enabled", enabled)
	return nil
}

// scheduleResultTag is fired after each run of a master schedule entry.
func scheduleResultTag(name string) string { return "brine/schedule/" + name + "/result" }

// runScheduled is one run of a master schedule entry: a runner, whose
// return goes in the result event, or with tgt a job published to the
// minions tgt matches (the event then names the job and its minions).
func (m *Master) runScheduled(ctx context.Context, e *schedule.Entry, jid string) {
	user := "schedule:" + e.Name
	data := map[string]any{"name": e.Name, "fun": e.Function, "jid": jid, "success": true}
	var err error
	if e.Tgt != "" {
		var rec *proto.JobRecord
		if rec, err = m.publish(ctx, jid, proto.Target{Expr: e.Tgt, Type: e.TgtType}, e.Function, e.Args, e.Kwargs, user, 0); err == nil {
			data["tgt"], data["tgt_type"], data["minions"] = e.Tgt, e.TgtType, rec.Minions
		}
	} else {
		var ret any
		if ret, err = m.runner(ctx, user, e.Function, e.Args, e.Kwargs); err == nil {
			data["return"] = ret
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return // the master is stopping
		}
		m.log.Warn("scheduled run failed", "name", e.Name, "fun", e.Function, "jid", jid, "err", err)
		data["success"], data["error"] = false, err.Error()
	}
	m.fire(scheduleResultTag(e.Name), data)
}
