package master

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/reactor"
)

// Returns. A minion sends its return on brine.mret.<jid>.<id>, a subject
// nothing stores; the master accepts it only for a job in the job cache
// that targeted that minion, and only once, and then republishes it on
// brine.ret.<jid>.<id>, which the returns stream keeps and ctl reads. So a
// minion cannot forge another minion's return (its permissions let it
// publish only under its own id), cannot fill the job cache with returns
// for jobs that never were or that did not target it, and cannot replace a
// return already given. The stream enforces "once" too, across masters:
// each republished return carries Nats-Expected-Last-Subject-Sequence: 0.

// trackedJobs remembers, for recent jobs, which minions they targeted and
// which have returned, so that checking a return costs no store lookup.
// Jobs not remembered (older, or published by another master) are loaded
// from the job cache once.
type trackedJobs struct {
	mu      sync.Mutex
	jobs    map[string]*trackedJob
	order   []string // insertion order, for eviction
	missing map[string]time.Time
	max     int
}

type trackedJob struct {
	returned map[string]bool // targeted id -> has returned
	// deadline is when the job's time runs out (zero: not known, for jobs
	// loaded from the job cache); timedOut reports each job once.
	deadline time.Time
	reported bool
}

const (
	maxTrackedJobs = 4096
	missingTTL     = time.Minute
)

func newTrackedJobs() *trackedJobs {
	return &trackedJobs{jobs: map[string]*trackedJob{}, missing: map[string]time.Time{}, max: maxTrackedJobs}
}

// add records a job and the minions it targeted.
func (t *trackedJobs) add(jid string, minions []string) {
	j := &trackedJob{returned: make(map[string]bool, len(minions))}
	for _, id := range minions {
		j.returned[id] = false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.jobs[jid]; !ok {
		t.order = append(t.order, jid)
	}
	t.jobs[jid] = j
	delete(t.missing, jid)
	for len(t.order) > t.max {
		delete(t.jobs, t.order[0])
		t.order = t.order[1:]
	}
}

type claimResult int

const (
	claimOK          claimResult = iota // first return of a targeted minion
	claimDuplicate                      // that minion has returned already
	claimNotTargeted                    // the job did not target that minion
	claimUnknown                        // job not tracked: load it
	claimNoJob                          // recently looked up: no such job
)

func (c claimResult) String() string {
	switch c {
	case claimDuplicate:
		return "duplicate return"
	case claimNotTargeted:
		return "minion not targeted by the job"
	case claimNoJob:
		return "no such job"
	}
	return "ok"
}

// claim marks id's return of jid as given, if it may be.
func (t *trackedJobs) claim(jid, id string) claimResult {
	return t.check(jid, id, true)
}

// peek is claim without marking anything.
func (t *trackedJobs) peek(jid, id string) claimResult {
	return t.check(jid, id, false)
}

func (t *trackedJobs) check(jid, id string, mark bool) claimResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	j, ok := t.jobs[jid]
	if !ok {
		if at, ok := t.missing[jid]; ok && time.Since(at) < missingTTL {
			return claimNoJob
		}
		return claimUnknown
	}
	done, targeted := j.returned[id]
	switch {
	case !targeted:
		return claimNotTargeted
	case done:
		return claimDuplicate
	}
	if mark {
		j.returned[id] = true
	}
	return claimOK
}

// setDeadline records when jid's time runs out.
func (t *trackedJobs) setDeadline(jid string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if j, ok := t.jobs[jid]; ok {
		j.deadline = at
	}
}

// timedOut counts, once per job, the targeted minions that had not
// returned when their job's deadline passed.
func (t *trackedJobs) timedOut(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, j := range t.jobs {
		if j.reported || j.deadline.IsZero() || now.Before(j.deadline) {
			continue
		}
		j.reported = true
		for _, done := range j.returned {
			if !done {
				n++
			}
		}
	}
	return n
}

// unclaim undoes a claim whose republish failed.
func (t *trackedJobs) unclaim(jid, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if j, ok := t.jobs[jid]; ok {
		if _, targeted := j.returned[id]; targeted {
			j.returned[id] = false
		}
	}
}

func (t *trackedJobs) noteMissing(jid string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if len(t.missing) > 10_000 {
		for k, at := range t.missing {
			if now.Sub(at) >= missingTTL {
				delete(t.missing, k)
			}
		}
	}
	t.missing[jid] = now
}

// onMinionReturn checks a minion's return and republishes it for the job
// cache and ctl.
func (m *Master) onMinionReturn(msg *nats.Msg) {
	jid, id, ok := proto.ParseReturnSubject(msg.Subject)
	if !ok || !proto.ValidJID(jid) {
		m.dropReturn(jid, id, "malformed subject")
		return
	}
	verdict := m.tracked.claim(jid, id)
	if verdict == claimUnknown {
		// Looking a job up costs a store read: it comes out of the
		// minion's budget, so a flood of made-up jids is cut short.
		if !m.limits.allow(id, 1) {
			m.dropReturn(jid, id, "over its request rate")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rec, err := m.jobRecord(ctx, jid)
		cancel()
		var pe *proto.Error
		switch {
		case errors.As(err, &pe) && pe.Kind == proto.ErrNotFound:
			m.tracked.noteMissing(jid)
			m.dropReturn(jid, id, "no such job")
			return
		case err != nil:
			m.log.Warn("return not checked: job cache unavailable", "jid", jid, "id", id, "err", err)
			return
		}
		m.tracked.add(jid, rec.Minions)
		verdict = m.tracked.claim(jid, id)
	}
	if verdict != claimOK {
		m.dropReturn(jid, id, verdict.String())
		return
	}
	// Only the return's head is decoded (the value, often hundreds of
	// kilobytes, is only checked to be JSON); the whole return is decoded
	// when it must be rewritten.
	body := msg.Data
	var h returnHead
	var r *proto.Return
	unreadable := func(err error) *proto.Return {
		// The minion did answer: record that it sent something unreadable
		// rather than letting it look as if it never returned.
		return &proto.Return{Return: "ERROR: the minion's return could not be read: " + err.Error(), Retcode: 1,
			Error: &proto.Error{Kind: proto.ErrExecution, Message: "unreadable return: " + err.Error()}}
	}
	whole := func() *proto.Return {
		var full proto.Return
		if err := json.Unmarshal(msg.Data, &full); err != nil {
			return unreadable(err)
		}
		return &full
	}
	if err := json.Unmarshal(msg.Data, &h); err != nil {
		r = unreadable(err)
	} else if h.JID != jid || h.ID != id {
		r = whole() // the subject says who sent it, not the body
	}
	if chunked := h.Chunked; chunked != nil && (r == nil || r.Chunked != nil) {
		if err := m.checkChunks(jid, id, chunked); err != nil {
			if r == nil {
				r = whole()
			}
			r.Return, r.Retcode, r.Success = "ERROR: "+err.Error(), 1, false
			r.Error = &proto.Error{Kind: proto.ErrExecution, Message: err.Error()}
			r.Chunked = nil
		}
	}
	if r != nil {
		r.JID, r.ID = jid, id
		var err error
		if body, err = json.Marshal(r); err != nil {
			m.tracked.unclaim(jid, id)
			m.log.Error("encode return", "jid", jid, "id", id, "err", err)
			return
		}
		h = returnHead{JID: jid, ID: id, Fun: r.Fun, Retcode: r.Retcode, Success: r.Success}
	}
	out := &nats.Msg{Subject: proto.ReturnSubject(jid, id), Header: nats.Header{}, Data: body}
	out.Header.Set("Nats-Expected-Last-Subject-Sequence", "0")
	if err := m.nc.PublishMsg(out); err != nil {
		m.tracked.unclaim(jid, id)
		m.log.Warn("republish return", "jid", jid, "id", id, "err", err)
		return
	}
	m.metrics.observeReturn(jid, h.Fun, h.Success)
	data := map[string]any{"jid": jid, "id": id, "fun": h.Fun, "retcode": h.Retcode, "success": h.Success}
	if d := m.depths.get(jid); d > 0 {
		data[reactor.DepthKey] = d
	}
	m.fire(proto.TagJobRet(jid, id), data)
}

// returnHead is what the master reads of every proto.Return: all but
// the value.
type returnHead struct {
	JID     string           `json:"jid"`
	ID      string           `json:"id"`
	Fun     string           `json:"fun"`
	Retcode int              `json:"retcode"`
	Success bool             `json:"success"`
	Chunked *proto.ChunkInfo `json:"chunked,omitempty"`
}

func (m *Master) dropReturn(jid, id, why string) {
	m.metrics.drop("return: " + why)
	if n := m.limits.dropped.Add(1); logDrop(n) {
		m.log.Warn("minion return dropped", "jid", jid, "id", id, "reason", why, "dropped_total", n)
	}
}
