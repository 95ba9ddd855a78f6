package states

import (
	"context"
	"fmt"
	"strings"
)

// salt.state: apply states on minions from an orchestration, as Salt's
// saltmod.state does.

func init() {
	RegisterTyped(Typed[saltStateArgs]{
		Name: "salt.state",
		Doc: `Apply states on the minions tgt matches, from an orchestration on the master (ctl run state.orchestrate): sls (a name, a comma-separated string or a list) runs state.sls, highstate: True runs state.highstate.

tgt, tgt_type (or expr_form), timeout, batch (N or N%: that many minions at a time, in id order, starting no more once one failed), fail_minions (minions allowed to fail, a list or comma-separated) and expect_minions (default True) as for salt.function; allow_fail: how many other minions may fail. pillar, saltenv and test are passed to the minions' state run; in an orchestration run with test=True the minions run in test mode.

The result is False when a minion's state run failed (a state failed, or it did not compile) or a minion did not return, beyond fail_minions and allow_fail. changes: {out: highstate, ret: {minion: its state return}} for the minions with changes. In test mode a run that would change something gives None.`,
		Apply: saltState,
	})
}

// saltStateArgs are salt.state's arguments.
type saltStateArgs struct {
	orchTargetArgs
	AllowFail int            `salt:"allow_fail"`
	Highstate bool           `salt:"highstate"`
	Top       any            `salt:"top"`
	SLS       []string       `salt:"sls"`
	Test      *bool          `salt:"test"`
	Pillar    map[string]any `salt:"pillar"`
	Saltenv   *string        `salt:"saltenv"`
	Pillarenv any            `salt:"pillarenv"`
}

func saltState(ctx context.Context, env *Env, call Call, a *saltStateArgs) Result {
	o := env.orchestrator()
	if o == nil {
		return noOrchestrator("salt.state", call)
	}
	t, warnings, err := a.target(call)
	if err != nil {
		return failErr(call.Name, err)
	}
	allowFail := a.AllowFail
	var fun string
	var arg []any
	switch {
	case a.Highstate:
		fun = "state.highstate"
	case a.Top != nil:
		return fail(call.Name, "State '%s' (salt.state): top is not supported; use sls or highstate", call.ID)
	case a.SLS != nil:
		fun, arg = "state.sls", []any{strings.Join(a.SLS, ",")}
	default:
		return fail(call.Name, "No highstate or sls specified, no execution made")
	}
	kwarg := map[string]any{}
	test := call.Test
	if a.Test != nil {
		test = *a.Test
		kwarg["test"] = test
	} else if test {
		kwarg["test"] = true
	}
	if a.Pillar != nil {
		kwarg["pillar"] = a.Pillar
	}
	if a.Saltenv != nil {
		kwarg["saltenv"] = *a.Saltenv
	}
	if a.Pillarenv != nil {
		kwarg["pillarenv"] = a.Pillarenv
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
