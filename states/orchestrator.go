package states

import (
	"context"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Orchestrator is what the salt.* states (salt.function, salt.state,
// salt.runner, salt.wheel) use of the master running an orchestration
// (ctl run state.orchestrate). The master provides it in Env; on a
// minion Env.Orchestrator is nil and those states fail.
type Orchestrator interface {
	// Targets returns the accepted minions tgt matches, sorted by id.
	// tgtType is a job target type (glob, list, grain, pillar, compound,
	// pcre, ...; "" for the default). Batches are cut from this list.
	Targets(ctx context.Context, tgt, tgtType string) ([]string, error)
	// Local runs fun on the minions tgt matches and waits for their
	// returns: until every one returned, or timeout (0: the master's
	// default) passed and no missing minion still reports the job as
	// running. rets holds the returns by minion id, missing the targeted
	// minions that did not return. A target that matches no minion gives
	// neither, and no error.
	Local(ctx context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any, timeout time.Duration) (rets map[string]OrchReturn, missing []string, err error)
	// Runner runs a master-side runner function (manage.up,
	// state.orchestrate, ...).
	Runner(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error)
	// Wheel runs a wheel function (key.accept, key.delete, key.list_all,
	// ...).
	Wheel(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error)
}

// OrchReturn is one minion's return of a job an orchestration ran.
type OrchReturn struct {
	JID    string
	Return any
	// Retcode is the job's return code; non-zero is a failure (2 for a
	// state run with a failed state, 1 for an error).
	Retcode int
	// Error says why the function could not run (unknown function, bad
	// argument, an error); Retcode is then non-zero too.
	Error string
}

// Failed reports a non-zero retcode or an error.
func (r OrchReturn) Failed() bool { return r.Retcode != 0 || r.Error != "" }

// noResponse is what Salt shows for a minion that did not return.
const noResponse = "Minion did not return. [No response]"

// orchestrator returns env's Orchestrator, or nil.
func (env *Env) orchestrator() Orchestrator {
	if env == nil {
		return nil
	}
	return env.Orchestrator
}

// noOrchestrator is the result of a salt.* state run outside an
// orchestration.
func noOrchestrator(fun string, call Call) Result {
	return fail(call.Name, "State %s runs only in an orchestration on the master (ctl run state.orchestrate); there is no master to run it here", fun)
}

// orchTarget is where and how an orchestration step runs its job.
type orchTarget struct {
	tgt, tgtType string
	timeout      time.Duration
	batch        string // "" (no batching), "N" or "N%"
	failMinions  map[string]bool
	expect       bool // a targeted minion that does not return is a failure
}

// orchTargetArgs are the arguments of salt.function and salt.state that
// say where and how the step runs.
type orchTargetArgs struct {
	Tgt           any     `salt:"tgt,required"`
	TgtType       *string `salt:"tgt_type"`
	ExprForm      string  `salt:"expr_form"` // tgt_type's name before Salt 2017.7
	Timeout       float64 `salt:"timeout"`
	Batch         *string `salt:"batch"`
	FailMinions   any     `salt:"fail_minions"`
	ExpectMinions bool    `salt:"expect_minions" default:"true"`
	SSH           bool    `salt:"ssh"`
}

// Validate checks what needs no look at the target.
func (a *orchTargetArgs) Validate() error {
	if a.Timeout < 0 {
		return ArgErrorf("timeout", "must not be negative")
	}
	if a.Batch != nil {
		if _, err := batchSize(*a.Batch, 1); err != nil {
			return ArgErrorf("batch", "%v", err)
		}
	}
	if a.SSH {
		return ArgErrorf("ssh", "is not supported: Brine has no salt-ssh")
	}
	return nil
}

// target reads tgt, tgt_type (or expr_form), timeout, batch,
// fail_minions and expect_minions; the warnings go in the comment.
func (a *orchTargetArgs) target(call Call) (orchTarget, []string, error) {
	var t orchTarget
	var warnings []string
	isList := false
	switch v := a.Tgt.(type) {
	case []any, []string:
		ids, bad, ok := coerce.StringList(v)
		if !ok {
			return t, nil, call.wrongType("tgt", "a list of strings", bad)
		}
		t.tgt, isList = strings.Join(ids, ","), true
	default:
		s, ok := coerce.String(v)
		if !ok {
			return t, nil, call.wrongType("tgt", "a string", v)
		}
		if strings.TrimSpace(s) == "" {
			return t, nil, call.ArgErrorf("tgt", "must name the target minions, got %s", coerce.Describe(v))
		}
		t.tgt = s
	}
	tt := a.ExprForm
	if a.TgtType != nil {
		tt = *a.TgtType
	}
	if isList {
		if tt != "" && tt != "list" {
			return t, nil, call.ArgErrorf("tgt", "is a list of minion ids, which needs tgt_type list, not %s", tt)
		}
		tt = "list"
	}
	t.tgtType = tt
	t.timeout = time.Duration(a.Timeout * float64(time.Second))
	if a.Batch != nil {
		t.batch = strings.TrimSpace(*a.Batch)
	}
	t.failMinions = map[string]bool{}
	switch v := a.FailMinions.(type) {
	case nil:
	case string:
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				t.failMinions[id] = true
			}
		}
	case []any, []string:
		ids, bad, ok := coerce.StringList(v)
		if !ok {
			return t, nil, call.wrongType("fail_minions", "a list of strings", bad)
		}
		for _, id := range ids {
			t.failMinions[strings.TrimSpace(id)] = true
		}
	default:
		warnings = append(warnings, "'fail_minions' needs to be a list or a comma separated string. Ignored.")
	}
	t.expect = a.ExpectMinions
	return t, warnings, nil
}

// batchSize reads a batch of N minions or N% of total (at least one).
func batchSize(s string, total int) (int, error) {
	s = strings.TrimSpace(s)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || f <= 0 || f > 100 {
			return 0, fmt.Errorf("%q: want N or N%% with 0 < N <= 100", s)
		}
		return max(1, int(math.Ceil(float64(total)*f/100))), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: want a positive number of minions or a percentage", s)
	}
	return n, nil
}

// orchRun is what running a function on a step's target gave.
type orchRun struct {
	rets    map[string]OrchReturn
	missing []string // targeted and did not return, sorted
	notRun  []string // never started: a batch failed first (id order)
}

// dispatch runs fun on t's minions. Without batch it is one job. With
// batch it runs on at most N minions at a time, one job each, started in
// id order as earlier ones return (Salt's batch); once more than
// allowFail minions failed (failed says which outcome counts: a return,
// or no return when returned is false) no further minion is started.
func dispatch(ctx context.Context, o Orchestrator, t orchTarget, fun string, arg []any, kwarg map[string]any,
	allowFail int, failed func(id string, r OrchReturn, returned bool) bool) (*orchRun, error) {
	run := &orchRun{rets: map[string]OrchReturn{}}
	if t.batch == "" {
		rets, missing, err := o.Local(ctx, t.tgt, t.tgtType, fun, arg, kwarg, t.timeout)
		if err != nil {
			return nil, err
		}
		for id, r := range rets {
			run.rets[id] = r
		}
		run.missing = append(run.missing, missing...)
		sort.Strings(run.missing)
		return run, nil
	}
	ids, err := o.Targets(ctx, t.tgt, t.tgtType)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return run, nil
	}
	size, err := batchSize(t.batch, len(ids))
	if err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		fails int
		slots = make(chan struct{}, size)
	)
	for i, id := range ids {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		mu.Lock()
		stop := fails > allowFail || ctx.Err() != nil
		mu.Unlock()
		if stop {
			run.notRun = append(run.notRun, ids[i:]...)
			break
		}
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			rets, missing, err := o.Local(ctx, id, "list", fun, arg, kwarg, t.timeout)
			mu.Lock()
			defer func() {
				mu.Unlock()
				<-slots
			}()
			if err != nil {
				rets, missing = map[string]OrchReturn{id: {Return: "ERROR: " + err.Error(), Retcode: 1, Error: err.Error()}}, nil
			}
			if len(rets) == 0 && len(missing) == 0 {
				missing = []string{id} // gone since Targets
			}
			for rid, r := range rets {
				run.rets[rid] = r
				if failed(rid, r, true) {
					fails++
				}
			}
			for _, mid := range missing {
				run.missing = append(run.missing, mid)
				if failed(mid, OrchReturn{}, false) {
					fails++
				}
			}
		}(id)
	}
	wg.Wait()
	sort.Strings(run.missing)
	return run, nil
}

// orchFunArgs are a step's arg (a list; a string is split on
// whitespace, as Salt does) and kwarg (a mapping).
type orchFunArgs struct {
	Arg   any            `salt:"arg"`
	Kwarg map[string]any `salt:"kwarg"`
}

// args is arg as a list.
func (a *orchFunArgs) args() []any {
	var arg []any
	switch v := a.Arg.(type) {
	case nil:
	case []any:
		arg = append(arg, v...)
	case []string:
		for _, s := range v {
			arg = append(arg, s)
		}
	case string:
		for _, s := range strings.Fields(v) {
			arg = append(arg, s)
		}
	default:
		arg = []any{v}
	}
	return arg
}

// checkResult is Salt's state.check_result: a state run succeeded when
// it is a non-empty mapping with no state whose result is false (nested
// mappings without a result are checked in turn).
func checkResult(v any) bool {
	m, ok := asMap(v)
	if !ok || len(m) == 0 {
		return false
	}
	for _, e := range m {
		sm, ok := asMap(e)
		if !ok {
			return false
		}
		r, has := sm["result"]
		if !has {
			if !checkResult(sm) {
				return false
			}
			continue
		}
		if b, ok := r.(bool); ok && !b {
			return false
		}
	}
	return true
}

// stateChanged reports whether a state run's return has a state with
// changes.
func stateChanged(v any) bool {
	m, ok := asMap(v)
	if !ok {
		return false
	}
	for _, e := range m {
		if sm, ok := asMap(e); ok {
			if ch, ok := asMap(sm["changes"]); ok && len(ch) > 0 {
				return true
			}
		}
	}
	return false
}

// failureLines describes a failed minion's return for a comment: the
// failed states of a state run, or the error text.
func failureLines(v any) []string {
	switch t := v.(type) {
	case nil:
		return []string{"Minion did not respond"}
	case string:
		return strings.Split(strings.TrimRight(t, "\n"), "\n")
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case []string:
		return t
	}
	m, ok := asMap(v)
	if !ok {
		return []string{fmt.Sprint(v)}
	}
	type entry struct {
		key string
		m   map[string]any
		run float64
	}
	var entries []entry
	for k, e := range m {
		sm, ok := asMap(e)
		if !ok {
			continue
		}
		if b, ok := sm["result"].(bool); !ok || b {
			continue
		}
		run, _ := coerce.Float(sm["__run_num__"])
		entries = append(entries, entry{k, sm, run})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].run != entries[j].run {
			return entries[i].run < entries[j].run
		}
		return entries[i].key < entries[j].key
	})
	var out []string
	for _, e := range entries {
		parts := strings.Split(e.key, "_|-")
		id, fn, name := e.key, "", ""
		if len(parts) == 4 {
			id, fn, name = parts[1], parts[0]+"."+parts[3], parts[2]
		}
		if s, ok := e.m["__id__"].(string); ok {
			id = s
		}
		if s, ok := e.m["name"].(string); ok {
			name = s
		}
		comment, _ := e.m["comment"].(string)
		out = append(out, "----------", "ID: "+id, "Function: "+fn, "Name: "+name, "Result: False")
		cl := strings.Split(comment, "\n")
		out = append(out, "Comment: "+cl[0])
		for _, l := range cl[1:] {
			out = append(out, "         "+l)
		}
	}
	if len(out) == 0 {
		return []string{"State run failed"}
	}
	return out
}

// failureComment is the "Failures:" block of a step's comment.
func failureComment(failures map[string]any) string {
	if len(failures) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nFailures:")
	for _, id := range sortedKeys(failures) {
		b.WriteString("\n    " + id + ":")
		for _, l := range failureLines(failures[id]) {
			b.WriteString("\n        " + l)
		}
	}
	return b.String()
}

// runnerSucceeded says whether a runner's or wheel's return is a
// success: not an {"Error": ...} mapping and, for returns carrying a
// retcode (an orchestration), a zero one.
func runnerSucceeded(v any) bool {
	m, ok := asMap(v)
	if !ok {
		return true
	}
	if _, bad := m["Error"]; bad {
		return false
	}
	if rc, ok := coerce.Int(m["retcode"]); ok && rc != 0 {
		return false
	}
	return true
}

// masterFunArgs are salt.runner's and salt.wheel's arguments: arg,
// kwarg, and every other argument a keyword argument of the function.
type masterFunArgs struct {
	orchFunArgs
	Rest map[string]any `salt:",rest"`
}

// kwargs are the function's keyword arguments: the other arguments merged
// over kwarg.
func (a *masterFunArgs) kwargs() map[string]any {
	out := map[string]any{}
	for k, v := range a.Kwarg {
		out[k] = v
	}
	for k, v := range a.Rest {
		out[k] = v
	}
	return out
}

// joinIDs lists ids sorted, comma-separated.
func joinIDs(ids []string) string {
	s := append([]string(nil), ids...)
	sort.Strings(s)
	return strings.Join(s, ", ")
}
