package api

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// What a user sees of jobs and events
//
// An ACL rule {target, functions} lets a user run those execution
// functions on the minions target names. The same rule decides what the
// user sees of what minions did, as with Salt's external_auth where a user
// only ever reaches the minions its rules name:
//
//   - A minion's return of a job of function fun is shown when some rule
//     that allows fun has a target that covers the minion: the user could
//     have run that function there itself. A rule granting the jobs runner
//     ("@jobs", "@runner", "@runner:jobs.*") shows every job of the minions
//     its target covers, whatever the function: {target: "web*",
//     functions: ["@jobs"]} shows the jobs of web* only. A rule granting
//     only other runner or wheel functions shows no minion's returns,
//     whatever its target. The operator sees everything.
//   - A job record (GET /jobs, GET /jobs/<jid>) is shown when at least one
//     of its minions is, with its minion list and its returns cut down to
//     those minions; a job none of whose minions the user may see is not
//     listed, and looking it up answers 404 as for a job that does not
//     exist. Arguments are shown as the backend gives them, with the
//     secret ones already replaced. Runner jobs.list_jobs and
//     jobs.lookup_jid through POST / answer the same, unless the user sees
//     every job (the jobs runner on target "*").
//   - GET /minions[/<id>] shows the grains of the minions on which the user
//     may run grains.items (the jobs runner does not give that).
//   - An event on /events that concerns one minion (salt/job/<jid>/ret/<id>
//     and .../prog/<id>, salt/minion/<id>/..., salt/beacon/<id>/..., and
//     the events a minion fires outside the system's namespaces, which the
//     master stamps with the minion's id) is shown when the user may see
//     that minion (for the job's function, for returns); salt/job/<jid>/new
//     is shown with its minion list cut down to those the user may see, and
//     not at all when that leaves none.
//   - Events that concern no one minion are shown only to users whose
//     rights already give what they carry: runner events (salt/run/...) to
//     users allowed that runner, wheel events (salt/wheel/...) to users
//     allowed that wheel function, key events (salt/auth, salt/key) to users
//     allowed wheel key.list_all, which lists the same. Everything else
//     (webhook events, reactor results, presence, the master's and the
//     API's own events) only to users granted "@events", which shows every
//     event, and to the operator.
//
// A rule target that is a glob on minion ids is matched against the id
// here; a target in compound notation ("G@roles:web", "L@a,b", "web* and
// G@os:Debian") is evaluated by the master (Backend.Match) and the result
// kept for viewTTL, so that a minion whose grains change leaves or joins
// the view within that time.

// viewTTL is how long an evaluated rule target is trusted.
const viewTTL = 2 * time.Second

// compoundWordRe recognises a target word in compound notation ("G@...").
var compoundWordRe = regexp.MustCompile(`^[A-Za-z]@`)

// view answers what one session may see. It is safe for concurrent use.
type view struct {
	s    *Server
	sess *session

	mu   sync.Mutex
	sets map[string]*targetSet
}

type targetSet struct {
	ids map[string]bool
	at  time.Time
}

func (s *Server) view(sess *session) *view {
	return &view{s: s, sess: sess, sets: map[string]*targetSet{}}
}

// all reports whether the session sees every job and event.
func (v *view) all() bool {
	return v.sess.operator || v.sess.acl.allowsFun(kindEvents, "")
}

// allJobs reports whether the session sees every job whole: the operator,
// or a rule granting the jobs runner on target "*".
func (v *view) allJobs() bool {
	if v.sess.operator {
		return true
	}
	for _, r := range v.sess.acl {
		if r.target == "*" && r.allowsFun(kindRunner, "jobs.lookup_jid") {
			return true
		}
	}
	return false
}

// minion reports whether the session may see what minion id did running
// fun; fun "" stands for anything the rules allow on it.
func (v *view) minion(ctx context.Context, id, fun string) bool {
	return v.sees(ctx, id, fun, true)
}

// mayRun reports whether the session may run fun on minion id (and so read
// what fun gives there, as GET /minions reads grains.items).
func (v *view) mayRun(ctx context.Context, id, fun string) bool {
	return v.sees(ctx, id, fun, false)
}

func (v *view) sees(ctx context.Context, id, fun string, viaJobs bool) bool {
	if v.sess.operator {
		return true
	}
	if id == "" {
		return false
	}
	for _, r := range v.sess.acl {
		grants := viaJobs && r.allowsFun(kindRunner, "jobs.lookup_jid") // @jobs: every job on the rule's target
		switch {
		case grants:
		case fun != "":
			grants = r.allowsFun(kindLocal, fun)
		default:
			grants = r.hasKind(kindLocal)
		}
		if grants && v.covers(ctx, r, id) {
			return true
		}
	}
	return false
}

func (r *rule) hasKind(kind funcKind) bool {
	for _, p := range r.funcs {
		if p.kind == kind {
			return true
		}
	}
	return false
}

// covers reports whether the rule's target names minion id.
func (v *view) covers(ctx context.Context, r *rule, id string) bool {
	if r.target == "*" {
		return true
	}
	if !strings.ContainsAny(r.target, " \t\n") && !compoundWordRe.MatchString(r.target) {
		return r.targetRe.Match(id)
	}
	now := v.s.now()
	v.mu.Lock()
	set := v.sets[r.target]
	v.mu.Unlock()
	if set == nil || now.Sub(set.at) >= viewTTL || now.Before(set.at) {
		ids, err := v.s.b.Match(ctx, r.target, "compound")
		if err != nil {
			// Fail closed: a target the master cannot evaluate shows
			// nothing.
			v.s.log.Warn("api: evaluating an ACL target failed; its minions are not shown", "user", v.sess.user, "target", r.target, "err", err)
			ids = nil
		}
		set = &targetSet{ids: make(map[string]bool, len(ids)), at: now}
		for _, m := range ids {
			set.ids[m] = true
		}
		v.mu.Lock()
		v.sets[r.target] = set
		v.mu.Unlock()
	}
	return set.ids[id]
}

// job returns the part of j the session may see, or false when it may see
// none of it.
func (v *view) job(ctx context.Context, j Job) (Job, bool) {
	if v.sess.operator {
		return j, true
	}
	out := j
	out.Minions = nil
	for _, id := range j.Minions {
		if v.minion(ctx, id, j.Function) {
			out.Minions = append(out.Minions, id)
		}
	}
	if j.Returns != nil {
		out.Returns = map[string]any{}
		for id, ret := range j.Returns {
			if v.minion(ctx, id, j.Function) {
				out.Returns[id] = ret
			}
		}
	}
	if len(out.Minions) == 0 && len(out.Returns) == 0 {
		return Job{}, false
	}
	return out, true
}

// event returns the event as the session may see it, or false when it may
// not see it at all. ev.Data is never changed: a cut-down event is a copy.
func (v *view) event(ctx context.Context, ev Event) (Event, bool) {
	if v.all() {
		return ev, true
	}
	fun, _ := ev.Data["fun"].(string)
	parts := strings.Split(ev.Tag, "/")
	if len(parts) >= 2 && parts[0] == "salt" {
		switch parts[1] {
		case "job":
			// salt/job/<jid>/new, salt/job/<jid>/ret/<id>, salt/job/<jid>/prog/<id>/...
			if len(parts) == 4 && parts[3] == "new" {
				return v.jobNew(ctx, ev, fun)
			}
			if len(parts) >= 5 && (parts[3] == "ret" || parts[3] == "prog") {
				return ev, v.minion(ctx, parts[4], fun)
			}
			return ev, false
		case "minion", "beacon":
			// salt/minion/<id>/..., salt/beacon/<id>/...
			return ev, len(parts) >= 4 && v.minion(ctx, parts[2], "")
		case "run":
			f, ok := strings.CutPrefix(fun, "runner.")
			return ev, ok && f != "" && v.sess.acl.allowsFun(kindRunner, f)
		case "wheel":
			f, ok := strings.CutPrefix(fun, "wheel.")
			return ev, ok && f != "" && v.sess.acl.allowsFun(kindWheel, f)
		case "auth", "key":
			return ev, len(parts) == 2 && v.sess.acl.allowsFun(kindWheel, "key.list_all")
		}
		return ev, false
	}
	if parts[0] == "salt" || parts[0] == "brine" {
		return ev, false
	}
	// Outside the system's namespaces: an event a minion fired carries its
	// id, stamped by the master.
	id, _ := ev.Data["id"].(string)
	return ev, v.minion(ctx, id, "")
}

// jobNew shows salt/job/<jid>/new with the minions the session may see.
func (v *view) jobNew(ctx context.Context, ev Event, fun string) (Event, bool) {
	var ids []string
	switch l := ev.Data["minions"].(type) {
	case []any:
		for _, x := range l {
			if s, ok := x.(string); ok {
				ids = append(ids, s)
			}
		}
	case []string:
		ids = l
	}
	seen := []any{}
	for _, id := range ids {
		if v.minion(ctx, id, fun) {
			seen = append(seen, id)
		}
	}
	if len(seen) == 0 {
		return ev, false
	}
	if len(seen) == len(ids) {
		return ev, true
	}
	data := make(map[string]any, len(ev.Data))
	for k, x := range ev.Data {
		data[k] = x
	}
	data["minions"] = seen
	return Event{Tag: ev.Tag, Data: data}, true
}

// sortedIDs returns the keys of m, sorted.
func sortedIDs(m map[string]any) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
