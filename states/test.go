package states

import (
	"context"
	"math/rand/v2"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

// The test states: results on demand, for trying out requisites and the
// state system itself. Nothing on the host is touched.

func init() {
	for _, s := range []Typed[testArgs]{
		{Name: "test.succeed_without_changes", Doc: "Return success without changes.", Apply: testSucceedWithoutChanges},
		{Name: "test.succeed_with_changes", Doc: "Return success with changes (in test mode: would change).", Apply: testSucceedWithChanges},
		{Name: "test.fail_without_changes", Doc: "Return failure without changes.", Apply: testFailWithoutChanges},
		{Name: "test.fail_with_changes", Doc: "Return failure with changes (in test mode: would change).", Apply: testFailWithChanges},
		{Name: "test.nop", Doc: "Do nothing, successfully: a placeholder to hang requisites on.", Apply: testSucceedWithoutChanges},
	} {
		s.ModWatch = testModWatch
		RegisterTyped(s)
	}
	RegisterTyped(Typed[testNotificationArgs]{
		Name: "test.show_notification", Doc: "Return success with text (required) as the comment.",
		Apply: testShowNotification, ModWatch: testModWatch[testNotificationArgs],
	})
	RegisterTyped(Typed[testConfigurableArgs]{
		Name: "test.configurable_test_state", Doc: `Return what the arguments say.

changes: true (default), false or "random": whether to report changes. result: true (default), false or "random". comment: the comment (default empty). In test mode a state with changes gives result None.`,
		Apply: testConfigurable, ModWatch: testModWatch[testConfigurableArgs],
	})
}

// testArgs are the arguments of the test.succeed_*/fail_* states and
// test.nop. They are read leniently: a value of the wrong kind is the
// default, as the test states never fail on their arguments. As in Salt
// (name, **kwargs) they take any other argument without a warning:
// formulas hang rendered data on test.nop to show it.
type testArgs struct {
	Comment any            `salt:"comment"`
	Changes any            `salt:"changes"`
	Data    map[string]any `salt:",rest"`
}

// changes are the changes the test states pretend to make: the changes
// argument when given.
func (a *testArgs) changes() map[string]any {
	if m, ok := coerce.Map(a.Changes); ok && len(m) > 0 {
		return m
	}
	return defaultTestChanges()
}

// comment is the comment argument, else def.
func (a *testArgs) comment(def string) string {
	if s, ok := coerce.String(a.Comment); ok && s != "" {
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

func testSucceedWithoutChanges(ctx context.Context, env *Env, call Call, a *testArgs) Result {
	return Result{Name: call.Name, Result: True(), Comment: a.comment("Success!")}
}

func testSucceedWithChanges(ctx context.Context, env *Env, call Call, a *testArgs) Result {
	if call.Test {
		return Result{Name: call.Name, Changes: a.changes(),
			Comment: "If we weren't testing, this would be successful with changes"}
	}
	return Result{Name: call.Name, Result: True(), Changes: a.changes(), Comment: a.comment("Success!")}
}

func testFailWithoutChanges(ctx context.Context, env *Env, call Call, a *testArgs) Result {
	if call.Test {
		return Result{Name: call.Name, Comment: "If we weren't testing, this would be a failure"}
	}
	return Result{Name: call.Name, Result: False(), Comment: a.comment("Failure!")}
}

func testFailWithChanges(ctx context.Context, env *Env, call Call, a *testArgs) Result {
	if call.Test {
		return Result{Name: call.Name, Changes: a.changes(),
			Comment: "If we weren't testing, this would be failed with changes"}
	}
	return Result{Name: call.Name, Result: False(), Changes: a.changes(), Comment: a.comment("Failure!")}
}

// testNotificationArgs are test.show_notification's arguments.
type testNotificationArgs struct {
	Text string `salt:"text,required"`
}

func testShowNotification(ctx context.Context, env *Env, call Call, a *testNotificationArgs) Result {
	return Result{Name: call.Name, Result: True(), Comment: a.Text}
}

// randomBool is the "Random" choice of configurable_test_state.
func randomBool() bool { return rand.IntN(2) == 1 }

// triState is true, false or "random" (drawn when the argument is read).
type triState bool

// DecodeArg implements ArgDecoder.
func (t *triState) DecodeArg(v any) error {
	if s, ok := v.(string); ok && strings.EqualFold(strings.TrimSpace(s), "random") {
		*t = triState(randomBool())
		return nil
	}
	b, ok := coerce.Bool(v)
	if !ok {
		return wrongArg("a boolean", v)
	}
	*t = triState(b)
	return nil
}

// testConfigurableArgs are test.configurable_test_state's arguments.
type testConfigurableArgs struct {
	Changes triState `salt:"changes" default:"true"`
	Result  triState `salt:"result" default:"true"`
	Comment string   `salt:"comment"`
}

func testConfigurable(ctx context.Context, env *Env, call Call, a *testConfigurableArgs) Result {
	changes, result := bool(a.Changes), bool(a.Result)
	ret := Result{Name: call.Name, Comment: a.Comment}
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

func testModWatch[A any](ctx context.Context, env *Env, call Call, _ *A) Result {
	return Result{Name: call.Name, Result: True(), Changes: map[string]any{"watch": true},
		Comment: "Watch statement fired."}
}
