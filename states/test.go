package states

import (
	"context"
	"math/rand/v2"
	"strings"
)

// The test states: results on demand, for trying out requisites and the
// state system itself. Nothing on the host is touched.

func init() {
	for _, s := range []State{
		{Name: "test.succeed_without_changes", Doc: "Return success without changes.", Apply: testSucceedWithoutChanges},
		{Name: "test.succeed_with_changes", Doc: "Return success with changes (in test mode: would change).", Apply: testSucceedWithChanges},
		{Name: "test.fail_without_changes", Doc: "Return failure without changes.", Apply: testFailWithoutChanges},
		{Name: "test.fail_with_changes", Doc: "Return failure with changes (in test mode: would change).", Apply: testFailWithChanges},
		{Name: "test.nop", Doc: "Do nothing, successfully: a placeholder to hang requisites on.", Apply: testSucceedWithoutChanges},
		{Name: "test.show_notification", Doc: "Return success with text (required) as the comment.", Apply: testShowNotification, Required: []string{"text"}},
		{Name: "test.configurable_test_state", Doc: `Return what the arguments say.

changes: true (default), false or "random": whether to report changes. result: true (default), false or "random". comment: the comment (default empty). In test mode a state with changes gives result None.`, Apply: testConfigurable},
	} {
		s.ModWatch = testModWatch
		Register(s)
	}
}

// testChanges are the changes the test states pretend to make: the
// changes argument when given.
func testChanges(call Call) map[string]any {
	if m, err := call.Map("changes"); err == nil && len(m) > 0 {
		return m
	}
	return defaultTestChanges()
}

// testComment is the comment argument, else def.
func testComment(call Call, def string) string {
	if s, err := call.String("comment", def); err == nil && s != "" {
		return s
	}
	return def
}

func defaultTestChanges() map[string]any {
	return map[string]any{"testing": map[string]any{
		"old": "Unchanged",
		"new": "Something pretended to change",
	}}
}

func testSucceedWithoutChanges(ctx context.Context, env *Env, call Call) Result {
	return Result{Name: call.Name, Result: True(), Comment: testComment(call, "Success!")}
}

func testSucceedWithChanges(ctx context.Context, env *Env, call Call) Result {
	if call.Test {
		return Result{Name: call.Name, Changes: testChanges(call),
			Comment: "If we weren't testing, this would be successful with changes"}
	}
	return Result{Name: call.Name, Result: True(), Changes: testChanges(call), Comment: testComment(call, "Success!")}
}

func testFailWithoutChanges(ctx context.Context, env *Env, call Call) Result {
	if call.Test {
		return Result{Name: call.Name, Comment: "If we weren't testing, this would be a failure"}
	}
	return Result{Name: call.Name, Result: False(), Comment: testComment(call, "Failure!")}
}

func testFailWithChanges(ctx context.Context, env *Env, call Call) Result {
	if call.Test {
		return Result{Name: call.Name, Changes: testChanges(call),
			Comment: "If we weren't testing, this would be failed with changes"}
	}
	return Result{Name: call.Name, Result: False(), Changes: testChanges(call), Comment: testComment(call, "Failure!")}
}

func testShowNotification(ctx context.Context, env *Env, call Call) Result {
	text, err := call.String("text", "")
	if err != nil {
		return failErr(call.Name, err)
	}
	return Result{Name: call.Name, Result: True(), Comment: text}
}

// randomBool is the "Random" choice of configurable_test_state.
func randomBool() bool { return rand.IntN(2) == 1 }

// triState reads true/false/"random".
func triState(call Call, arg string) (bool, error) {
	if s, ok := call.Args[arg].(string); ok && strings.EqualFold(strings.TrimSpace(s), "random") {
		return randomBool(), nil
	}
	return call.Bool(arg, true)
}

func testConfigurable(ctx context.Context, env *Env, call Call) Result {
	changes, err := triState(call, "changes")
	if err != nil {
		return failErr(call.Name, err)
	}
	result, err := triState(call, "result")
	if err != nil {
		return failErr(call.Name, err)
	}
	comment, err := call.String("comment", "")
	if err != nil {
		return failErr(call.Name, err)
	}
	ret := Result{Name: call.Name, Comment: comment}
	if changes {
		ret.Changes = defaultTestChanges()
	}
	switch {
	case call.Test && changes:
		ret.Result = nil
	case call.Test:
		ret.Result = True()
	default:
		ret.Result = &result
	}
	return ret
}

func testModWatch(ctx context.Context, env *Env, call Call) Result {
	return Result{Name: call.Name, Result: True(), Changes: map[string]any{"watch": true},
		Comment: "Watch statement fired."}
}
