package states

import (
	"context"
	"fmt"
	"strings"
)

// salt.state: apply states on minions from an orchestration, as Salt's
// saltmod.state does.

func init() {
	Register(State{
		Name: "salt.state",
		Doc: `Apply states on the minions tgt matches, from an orchestration on the master (ctl run state.orchestrate): sls (a name, a comma-separated string or a list) runs state.sls, highstate: True runs state.highstate.

tgt, tgt_type (or expr_form), timeout, batch (N or N%: that many minions at a time, in id order, starting no more once one failed), fail_minions (minions allowed to fail, a list or comma-separated) and expect_minions (default True) as for salt.function; allow_fail: how many other minions may fail. pillar, saltenv and test are passed to the minions' state run; in an orchestration run with test=True the minions run in test mode.

The result is False when a minion's state run failed (a state failed, or it did not compile) or a minion did not return, beyond fail_minions and allow_fail. changes: {out: highstate, ret: {minion: its state return}} for the minions with changes. In test mode a run that would change something gives None.`,
		Apply:    saltState,
		Required: []string{"tgt"},
	})
}

func saltState(ctx context.Context, env *Env, call Call) Result {
	o := env.orchestrator()
	if o == nil {
		return noOrchestrator("salt.state", call)
	}
	t, warnings, err := parseOrchTarget(call)
	if err != nil {
		return failErr(call.Name, err)
	}
	allowFail, err := call.Int("allow_fail", 0)
	if err != nil {
		return fail(call.Name, "Passed invalid value for 'allow_fail', must be an int")
	}
	highstate, err := call.Bool("highstate", false)
	if err != nil {
		return failErr(call.Name, err)
	}
	var fun string
	var arg []any
	switch {
	case highstate:
		fun = "state.highstate"
	case call.Has("top"):
		return fail(call.Name, "State '%s' (salt.state): top is not supported; use sls or highstate", call.ID)
	case call.Has("sls"):
		names, err := call.StringList("sls")
		if err != nil {
			return failErr(call.Name, err)
		}
		fun, arg = "state.sls", []any{strings.Join(names, ",")}
	default:
		return fail(call.Name, "No highstate or sls specified, no execution made")
	}
	kwarg := map[string]any{}
	test := call.Test
	if call.Has("test") {
		if test, err = call.Bool("test", false); err != nil {
			return failErr(call.Name, err)
		}
		kwarg["test"] = test
	} else if test {
		kwarg["test"] = true
	}
	if call.Has("pillar") {
		p, err := call.Map("pillar")
		if err != nil {
			return failErr(call.Name, err)
		}
		kwarg["pillar"] = p
	}
	if call.Has("saltenv") {
		s, err := call.String("saltenv", "")
		if err != nil {
			return failErr(call.Name, err)
		}
		kwarg["saltenv"] = s
	}
	if call.Has("pillarenv") {
		kwarg["pillarenv"] = call.Args["pillarenv"]
	}

	failedRun := func(r OrchReturn) bool { return r.Failed() || !checkResult(r.Return) }
	failed := func(id string, r OrchReturn, returned bool) bool {
		if t.failMinions[id] {
			return false
		}
		if !returned {
			return t.expect
		}
		return failedRun(r)
	}
	run, err := dispatch(ctx, o, t, fun, arg, kwarg, allowFail, failed)
	if err != nil {
		return fail(call.Name, "Running %s on target %s failed: %v", fun, t.tgt, err)
	}
	if len(run.rets) == 0 && (len(run.missing) == 0 || !t.expect) {
		return fail(call.Name, "No minions returned")
	}
	changes := map[string]any{}
	failures := map[string]any{}
	var bad, noChange []string
	for id, r := range run.rets {
		if failedRun(r) {
			failures[id] = r.Return
			if !t.failMinions[id] {
				bad = append(bad, id)
			}
			continue
		}
		if stateChanged(r.Return) {
			changes[id] = r.Return
		} else {
			noChange = append(noChange, id)
		}
	}
	if t.expect {
		for _, id := range run.missing {
			failures[id] = nil
			if !t.failMinions[id] {
				bad = append(bad, id)
			}
		}
	}
	res := Result{Name: call.Name, Result: True(), Changes: map[string]any{}}
	if len(changes) > 0 {
		res.Changes = map[string]any{"out": "highstate", "ret": changes}
	}
	var b strings.Builder
	if len(bad) > allowFail {
		res.Result = False()
		fmt.Fprintf(&b, "Run failed on minions: %s", joinIDs(bad))
	} else {
		b.WriteString("States ran successfully.")
		if len(changes) > 0 {
			fmt.Fprintf(&b, " Updating %s.", joinIDs(sortedKeys(changes)))
		}
		if len(noChange) > 0 {
			fmt.Fprintf(&b, " No changes made to %s.", joinIDs(noChange))
		}
	}
	if len(run.notRun) > 0 {
		fmt.Fprintf(&b, "\nBatch stopped after a failure; not run on: %s.", strings.Join(run.notRun, ", "))
	}
	b.WriteString(failureComment(failures))
	for _, w := range warnings {
		b.WriteString("\nWarning: " + w)
	}
	res.Comment = b.String()
	if test && len(changes) > 0 && isTrueResult(res.Result) {
		res.Result = nil // test mode with changes is the one case for None
	}
	return res
}

func isTrueResult(b *bool) bool { return b != nil && *b }
