package states

import "testing"

func TestTestStates(t *testing.T) {
	want(t, apply(t, nil, "test.succeed_without_changes", "x", nil, false), True(), false, "Success!")
	want(t, apply(t, nil, "test.succeed_without_changes", "x", nil, true), True(), false, "Success!")
	want(t, apply(t, nil, "test.succeed_with_changes", "x", nil, false), True(), true, "Success!")
	want(t, apply(t, nil, "test.succeed_with_changes", "x", nil, true), nil, true, "would be successful")
	want(t, apply(t, nil, "test.fail_without_changes", "x", nil, false), False(), false, "Failure!")
	want(t, apply(t, nil, "test.fail_with_changes", "x", nil, false), False(), true, "Failure!")
	want(t, apply(t, nil, "test.fail_with_changes", "x", nil, true), nil, true)
	want(t, apply(t, nil, "test.nop", "x", nil, false), True(), false)
	want(t, apply(t, nil, "test.show_notification", "x", map[string]any{"text": "hello"}, false), True(), false, "hello")
	wantFail(t, apply(t, nil, "test.show_notification", "x", nil, false), "'text'")
	want(t, apply(t, nil, "test.succeed_without_changes", "x", map[string]any{"comment": "custom"}, false), True(), false, "custom")

	res := apply(t, nil, "test.succeed_with_changes", "x", nil, false)
	ch, _ := res.Changes["testing"].(map[string]any)
	if ch["old"] != "Unchanged" || ch["new"] != "Something pretended to change" {
		t.Errorf("changes %v", res.Changes)
	}

	cts := "test.configurable_test_state"
	want(t, apply(t, nil, cts, "x", nil, false), True(), true)
	want(t, apply(t, nil, cts, "x", map[string]any{"changes": false, "result": false, "comment": "c"}, false), False(), false, "c")
	want(t, apply(t, nil, cts, "x", map[string]any{"changes": true}, true), nil, true)
	want(t, apply(t, nil, cts, "x", map[string]any{"changes": false}, true), True(), false)
	for i := 0; i < 10; i++ {
		r := apply(t, nil, cts, "x", map[string]any{"changes": "Random", "result": "random"}, false)
		if r.Result == nil {
			t.Fatal("random result must be a bool")
		}
	}
	wantFail(t, apply(t, nil, cts, "x", map[string]any{"result": "maybe"}, false), "'result'")

	mw := modWatch(t, nil, "test.nop", "x", nil, false)
	want(t, mw, True(), true, "Watch statement fired.")
}
