package highstate

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/brine-cm/brine/states"
)

// Comments of states the runner does not call, as Salt words them.
const (
	commentNoChanges = "No changes detected"
	commentOnfail    = "State was not run because onfail req did not change"
	commentOnchanges = "State was not run because none of the onchanges reqs changed"
	commentFailhard  = "Failhard is set and a previous state failed: state not run"
	commentReqFailed = "One or more requisite failed: "
)

// outcome is one state's return inside the run.
type outcome struct {
	res states.Result
	// ran is Salt's __state_ran__: false for states the runner decided
	// not to call.
	ran bool
	// skipWatch: onlyif/unless/creates skipped the state; no mod_watch.
	skipWatch bool
	start     time.Time
	dur       time.Duration
}

type runner struct {
	p       *Plan
	ctx     context.Context
	o       Options
	env     *states.Env
	log     *slog.Logger
	cmd     states.Runner
	running []*outcome // final results, by plan index
	pre     []*outcome // prereq test runs, by plan index
	// requiredBy lists, by plan index, the IDs of the states whose
	// require or watch names the chunk (states.Call.RequiredBy); built
	// at the first state that asks
	requiredBy [][]string
}

// Run executes the plan and returns Salt's state-return map keyed
// "<module>_|-<id>_|-<name>_|-<function>". States run one at a time in
// plan order; a state whose requisites failed is not called and reports
// which did. With failhard (o.Failhard or a state's failhard argument)
// the first failure stops the run and the states not yet run report
// False. Listeners (listen/listen_in) fire their mod_watch at the end,
// keyed "<module>_|-listener_<id>_|-<name>_|-mod_watch".
func (p *Plan) Run(ctx context.Context, o Options) map[string]Result {
	n := len(p.Chunks)
	if len(p.links) != n {
		// a Plan not made by Compile (or decoded from storage)
		p = &Plan{Chunks: p.Chunks, links: deriveLinks(p.Chunks)}
	}
	r := &runner{
		p:       p,
		ctx:     ctx,
		o:       o,
		env:     runEnv(o),
		running: make([]*outcome, n),
		pre:     make([]*outcome, n),
	}
	r.env.Run = make([]states.Call, n)
	for i, ch := range p.Chunks {
		r.env.Run[i] = states.Call{ID: ch.ID, Name: ch.Name, Fun: ch.Fun, Args: ch.Args, Saltenv: ch.Saltenv}
	}
	r.log = o.Logger
	if r.log == nil {
		r.log = r.env.Logger
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.cmd = r.env.Runner
	if r.cmd == nil {
		r.cmd = states.ExecRunner{}
	}
	stopped := false
	for i := range p.Chunks {
		if r.running[i] != nil {
			continue
		}
		if stopped {
			r.set(i, r.notRun(i, states.False(), commentFailhard))
			continue
		}
		stop := r.runChunk(i)
		if r.running[i] == nil {
			r.set(i, r.notRun(i, states.False(), commentFailhard))
		}
		if stop || r.failhard(i) {
			stopped = true
		}
	}
	out := make(map[string]Result, n)
	for i, ch := range p.Chunks {
		out[ch.Tag()] = result(ch, i, ch.ID, r.running[i])
	}
	runNum := n
	for i, lk := range p.links {
		if len(lk.listen) == 0 {
			continue
		}
		fire := false
		for _, t := range lk.listen {
			if o := r.running[t]; o != nil && r.changed(o) {
				fire = true
				break
			}
		}
		if !fire {
			continue
		}
		ch := p.Chunks[i]
		var o *outcome
		if lk.state.ModWatch == nil {
			o = r.notRun(i, states.False(), fmt.Sprintf("State '%s.mod_watch' was not found", ch.Module()))
		} else {
			o = r.call(i, lk.state.ModWatch, r.o.Test)
		}
		id := "listener_" + ch.ID
		r.logResult(ch, id, o)
		out[Tag(ch.Module(), id, ch.Name, "mod_watch")] = result(ch, runNum, id, o)
		runNum++
	}
	return out
}

// runEnv is the Env states get: o.Env with o's saltenv, pillar override
// and logger.
func runEnv(o Options) *states.Env {
	var env states.Env
	if o.Env != nil {
		env = *o.Env
	}
	if o.Saltenv != "" {
		env.Saltenv = o.Saltenv
	}
	if o.Pillar != nil {
		env.Pillar = mergeMaps(env.Pillar, o.Pillar)
	}
	if env.Logger == nil {
		env.Logger = o.Logger
	}
	// file.accumulated's text lives for one run
	env.Accumulators = &states.Accumulators{}
	return &env
}

// mergeMaps merges over into a copy of base, recursing into maps.
func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = mergeMaps(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func result(ch Chunk, runNum int, id string, o *outcome) Result {
	changes := o.res.Changes
	if changes == nil {
		changes = map[string]any{}
	}
	name := o.res.Name
	if name == "" {
		name = ch.Name
	}
	return Result{
		ID:        id,
		RunNum:    runNum,
		SLS:       ch.SLS,
		Name:      name,
		Result:    o.res.Result,
		Changes:   changes,
		Comment:   o.res.Comment,
		Duration:  float64(o.dur.Nanoseconds()) / 1e6,
		StartTime: o.start.Format("15:04:05.000000"),
	}
}

func (r *runner) set(i int, o *outcome) {
	r.running[i] = o
	r.logResult(r.p.Chunks[i], r.p.Chunks[i].ID, o)
}

func (r *runner) logResult(ch Chunk, id string, o *outcome) {
	res := "None"
	if o.res.Result != nil {
		res = fmt.Sprint(*o.res.Result)
	}
	r.log.DebugContext(r.ctx, "state", "id", id, "fun", ch.Fun, "name", ch.Name,
		"result", res, "changed", len(o.res.Changes) > 0, "ms", float64(o.dur.Nanoseconds())/1e6, "comment", o.res.Comment)
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

// changed: the state reported changes (in test mode, also a state that
// would change: Result nil).
func (r *runner) changed(o *outcome) bool {
	return len(o.res.Changes) > 0 || (r.o.Test && o.res.Result == nil)
}

// failhard: the chunk failed and failhard applies to it.
func (r *runner) failhard(i int) bool {
	if r.o.Test || r.running[i] == nil || !isFalse(r.running[i].res.Result) {
		return false
	}
	if fh := r.p.Chunks[i].Failhard; fh != nil {
		return *fh
	}
	return r.o.Failhard
}

// runChunk runs chunk i (after the prereq tests it needs) and records
// its outcome; true when a prereq test failed under failhard.
func (r *runner) runChunk(i int) bool {
	lk := &r.p.links[i]
	for _, t := range lk.prereq {
		if r.pre[t] == nil {
			r.runPrereqTest(t)
			if r.failhard(t) {
				return true
			}
		}
	}
	status := r.status(lk.groups)
	switch status {
	case "fail":
		if pre := r.pre[i]; pre != nil {
			// The state prereq-ing this one failed: report the test
			// run, without its would-be changes (Salt 3006+).
			o := *pre
			o.res.Changes = map[string]any{}
			r.set(i, &o)
			return false
		}
		r.set(i, r.notRun(i, states.False(), commentReqFailed+r.failedReqs(lk.groups)))
	case "unmet":
		r.set(i, r.notRun(i, states.False(), "Requisites were not run"))
	case "pre":
		r.set(i, r.notRun(i, states.True(), commentNoChanges))
	case "onfail":
		r.set(i, r.notRun(i, states.True(), commentOnfail))
	case "onchanges":
		r.set(i, r.notRun(i, states.True(), commentOnchanges))
	case "change":
		o := r.call(i, lk.state.Apply, r.o.Test)
		if len(o.res.Changes) == 0 && !o.skipWatch && lk.state.ModWatch != nil {
			start := o.start
			o = r.call(i, lk.state.ModWatch, r.o.Test)
			o.dur += o.start.Sub(start)
			o.start = start
		}
		r.set(i, o)
	default:
		r.set(i, r.call(i, lk.state.Apply, r.o.Test))
	}
	return false
}

// runPrereqTest runs chunk t in test mode for the states that prereq
// it; when its own requisites keep it from running, that is its final
// result too.
func (r *runner) runPrereqTest(t int) {
	lk := &r.p.links[t]
	status := r.status(lk.check)
	var o *outcome
	switch status {
	case "fail":
		o = r.notRun(t, states.False(), commentReqFailed+r.failedReqs(lk.check))
	case "unmet":
		o = r.notRun(t, states.False(), "Requisites were not run")
	case "onfail":
		o = r.notRun(t, states.True(), commentOnfail)
	case "onchanges":
		o = r.notRun(t, states.True(), commentOnchanges)
	default:
		o = r.call(t, lk.state.Apply, true)
		if status == "change" && lk.state.ModWatch != nil && len(o.res.Changes) == 0 && !o.skipWatch && !isFalse(o.res.Result) {
			// a watched state changed: its mod_watch would run
			o.res.Result = nil
			o.res.Changes = map[string]any{"watch": "watch"}
		}
		r.pre[t] = o
		return
	}
	r.pre[t] = o
	r.set(t, o)
}

// status evaluates requisites as Salt's _check_requisites does: met,
// unmet, fail, pre, onfail, onchanges or change.
func (r *runner) status(groups []group) string {
	stats := map[string]bool{}
	for _, g := range groups {
		base := strings.TrimSuffix(strings.TrimSuffix(g.kind, "_any"), "_all")
		if base == "prerequired" {
			base = "require"
		}
		dict := r.running
		if base == "prereq" {
			dict = r.pre
		}
		req := map[string]bool{}
		for _, t := range g.targets {
			o := dict[t]
			if o == nil {
				req["unmet"] = true
				continue
			}
			if base == "onfail" {
				if isTrue(o.res.Result) {
					req["onfail"] = true
					continue
				}
			} else if isFalse(o.res.Result) {
				req["fail"] = true
				continue
			}
			if base == "onchanges" {
				if r.changed(o) {
					req["onchangesmet"] = true
				} else {
					req["onchanges"] = true
				}
				continue
			}
			if base == "watch" && r.changed(o) {
				req["change"] = true
				continue
			}
			if base == "prereq" {
				if o.res.Result == nil {
					req["premet"] = true
				} else {
					req["pre"] = true
				}
			} else if o.ran {
				req["met"] = true
			}
		}
		if strings.HasSuffix(g.kind, "_any") || g.kind == "onfail" {
			if req["met"] || req["change"] {
				delete(req, "fail")
			}
			if req["onchangesmet"] {
				delete(req, "onchanges")
				delete(req, "fail")
			}
			if req["onfail"] && req["met"] {
				delete(req, "onfail")
			}
		}
		if strings.HasSuffix(g.kind, "_all") && req["onfail"] && req["met"] {
			delete(req, "met")
		}
		for k := range req {
			stats[k] = true
		}
	}
	switch {
	case stats["unmet"]:
		return "unmet"
	case stats["fail"]:
		return "fail"
	case stats["pre"]:
		if stats["premet"] {
			return "met"
		}
		return "pre"
	case stats["onfail"] && !stats["onchangesmet"]:
		return "onfail"
	case stats["onchanges"] && !stats["onchangesmet"]:
		return "onchanges"
	case stats["change"]:
		return "change"
	case stats["onfail"]:
		return "onfail"
	}
	return "met"
}

// failedReqs lists the failed requisites as "sls.id".
func (r *runner) failedReqs(groups []group) string {
	var keys []string
	seen := map[string]bool{}
	for _, g := range groups {
		dict := r.running
		if g.kind == "prereq" {
			dict = r.pre
		}
		for _, t := range g.targets {
			if o := dict[t]; o != nil && isFalse(o.res.Result) {
				ch := r.p.Chunks[t]
				k := ch.SLS + "." + ch.ID
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	return strings.Join(keys, ", ")
}

func (r *runner) notRun(i int, res *bool, comment string) *outcome {
	return &outcome{
		res:   states.Result{Name: r.p.Chunks[i].Name, Result: res, Changes: map[string]any{}, Comment: comment},
		start: time.Now(),
	}
}

// call runs fn for chunk i: Salt's State.call, with the onlyif, unless
// and creates checks before and check_cmd after.
func (r *runner) call(i int, fn states.Func, test bool) (o *outcome) {
	ch := &r.p.Chunks[i]
	o = &outcome{start: time.Now(), ran: true}
	defer func() {
		o.dur = time.Since(o.start)
		if o.res.Changes == nil {
			o.res.Changes = map[string]any{}
		}
		if o.res.Name == "" {
			o.res.Name = ch.Name
		}
	}()
	if err := r.ctx.Err(); err != nil {
		o.res = states.Result{Result: states.False(), Comment: fmt.Sprintf("State not run: %v", err)}
		return o
	}
	if fn == nil {
		o.res = states.Result{Result: states.False(), Comment: fmt.Sprintf("State '%s' was not found", ch.Fun)}
		return o
	}
	if skip, comment := r.runChecks(ch); skip {
		o.res = states.Result{Result: states.True(), Comment: comment}
		o.skipWatch = true
		return o
	}
	o.res = r.apply(ch, fn, test)
	if ch.Retry != nil {
		o.res = r.retry(ch, fn, test, o.res)
	}
	if len(ch.CheckCmd) > 0 && !test {
		ok := false
		for _, c := range ch.CheckCmd {
			rc := r.retcode(ch, c, 1)
			if rc != 0 {
				o.res.Result, o.res.Comment = states.False(), "check_cmd determined the state failed"
				return o
			}
			ok = true
		}
		if ok {
			o.res.Result, o.res.Comment = states.True(), "check_cmd determined the state succeeded"
		}
	}
	return o
}

func (r *runner) apply(ch *Chunk, fn states.Func, test bool) states.Result {
	args := make(map[string]any, len(ch.Args))
	for k, v := range ch.Args {
		args[k] = v
	}
	call := states.Call{ID: ch.ID, Name: ch.Name, Args: args, Test: test, Saltenv: ch.Saltenv, ArgOrder: ch.ArgOrder}
	if i := ch.RunNum; i >= 0 && i < len(r.p.links) && r.p.links[i].state.NeedsRequiredBy {
		call.RequiredBy = r.requiredByOf(ch.RunNum)
	}
	return fn(r.ctx, r.env, call)
}

// requiredByOf is the IDs of the states that require or watch chunk i.
func (r *runner) requiredByOf(i int) []string {
	if r.requiredBy == nil {
		r.requiredBy = make([][]string, len(r.p.Chunks))
		for _, ch := range r.p.Chunks {
			for _, rq := range ch.Requisites {
				if rq.Kind != "require" && rq.Kind != "watch" {
					continue
				}
				for _, t := range rq.RunNums {
					if t >= 0 && t < len(r.requiredBy) {
						r.requiredBy[t] = append(r.requiredBy[t], ch.ID)
					}
				}
			}
		}
	}
	if i < 0 || i >= len(r.requiredBy) {
		return nil
	}
	return r.requiredBy[i]
}

// retry is Salt's retry keyword: while the result is not Retry.Until
// and attempts remain, wait the interval (plus up to splay seconds) and
// run the state again, each attempt's outcome prefixed to the comment.
// In test mode the state runs once and the comment says what would be
// retried.
func (r *runner) retry(ch *Chunk, fn states.Func, test bool, res states.Result) states.Result {
	rt := ch.Retry
	if test {
		c := fmt.Sprintf("The state would be retried every %d seconds (with a splay of up to %d seconds) a maximum of %d times or until a result of %s is returned",
			rt.Interval, rt.Splay, rt.Attempts, pyBool(rt.Until))
		res.Comment = res.Comment + "  " + c
		return res
	}
	for tries := 1; rt.Attempts > tries && (res.Result == nil || *res.Result != rt.Until); tries++ {
		wait := time.Duration(rt.Interval) * time.Second
		if rt.Splay > 0 {
			wait += time.Duration(rand.IntN(rt.Splay+1)) * time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-r.ctx.Done():
			t.Stop()
			return res
		case <-t.C:
		}
		next := r.apply(ch, fn, test)
		next.Comment = fmt.Sprintf("Attempt %d: Returned a result of \"%s\", with the following comment: \"%s\"\n%s",
			tries, pyResult(res.Result), res.Comment, next.Comment)
		res = next
	}
	return res
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func pyResult(b *bool) string {
	if b == nil {
		return "None"
	}
	return pyBool(*b)
}

// runChecks evaluates onlyif, unless and creates as Salt's _run_check:
// true (with the comments) when the state must not run.
func (r *runner) runChecks(ch *Chunk) (bool, string) {
	if len(ch.OnlyIf) == 0 && len(ch.Unless) == 0 && len(ch.Creates) == 0 {
		return false, ""
	}
	skip := false
	var comments []string
	if len(ch.OnlyIf) > 0 {
		s, c := false, ""
		for _, cmd := range ch.OnlyIf {
			if r.retcode(ch, cmd, 100) != 0 {
				s, c = true, "onlyif condition is false"
				break
			}
			c = "onlyif condition is true"
		}
		skip = s
		comments = append(comments, c)
	}
	if len(ch.Unless) > 0 {
		s, c := false, ""
		for _, cmd := range ch.Unless {
			if r.retcode(ch, cmd, 0) == 0 {
				s, c = true, "unless condition is true"
				continue
			}
			s, c = false, "unless condition is false"
			break
		}
		skip = skip || s
		comments = append(comments, c)
	}
	if len(ch.Creates) > 0 {
		all := true
		for _, p := range ch.Creates {
			if _, err := os.Stat(p); err != nil {
				all = false
				break
			}
		}
		switch {
		case !all:
			comments = append(comments, "Creates files not found")
		case len(ch.Creates) == 1:
			skip = true
			comments = append(comments, ch.Creates[0]+" exists")
		default:
			skip = true
			comments = append(comments, "All files in creates exist")
		}
	}
	return skip, strings.Join(comments, "\n")
}

// retcode runs a condition command with /bin/sh -c (or the state's
// shell argument), honouring the state's cwd, runas, env and timeout
// arguments. onErr is the code assumed when the command cannot be run at
// all (as in Salt, both onlyif and unless then skip the state).
func (r *runner) retcode(ch *Chunk, command string, onErr int) int {
	shell := "/bin/sh"
	if s, ok := ch.Args["shell"].(string); ok && s != "" {
		shell = s
	}
	c := states.Command{Path: shell, Args: []string{"-c", command}}
	if s, ok := ch.Args["cwd"].(string); ok {
		c.Dir = s
	}
	if s, ok := scalar(ch.Args["runas"]); ok {
		c.User = s
	}
	c.Env = envList(ch.Args["env"])
	switch t := ch.Args["timeout"].(type) {
	case int:
		c.Timeout = time.Duration(t) * time.Second
	case float64:
		c.Timeout = time.Duration(t * float64(time.Second))
	}
	res, err := r.cmd.Run(r.ctx, c)
	if err != nil {
		r.log.WarnContext(r.ctx, "condition command failed to run", "id", ch.ID, "cmd", command, "err", err)
		return onErr
	}
	return res.Retcode
}

// envList turns Salt's env argument (a mapping, a list of mappings or of
// KEY=VALUE strings) into KEY=VALUE strings.
func envList(v any) []string {
	var out []string
	add := func(m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s, _ := scalar(m[k])
			out = append(out, k+"="+s)
		}
	}
	switch t := v.(type) {
	case map[string]any:
		add(t)
	case []any:
		for _, e := range t {
			switch x := e.(type) {
			case map[string]any:
				add(x)
			case string:
				out = append(out, x)
			}
		}
	}
	return out
}
