package output

import (
	"bytes"
	"strings"
	"testing"
)

// An orchestration step's changes {out: highstate, ret: {minion: state
// returns}} show each minion's states in the highstate layout, indented
// under the step, as Salt prints them.
func TestHighstateNestedOrchestration(t *testing.T) {
	var b bytes.Buffer
	p := NewPrinter(Options{Out: &b, Err: &b}, []string{"master"})
	p.Add("master", map[string]any{
		"salt_|-deploy_|-deploy_|-state": map[string]any{"__id__": "deploy", "__run_num__": 0, "name": "deploy", "result": true,
			"comment": "States ran successfully. Updating web-1.", "duration": 1.0,
			"changes": map[string]any{"out": "highstate", "ret": map[string]any{
				"web-1": map[string]any{"cmd_|-app_|-true_|-run": map[string]any{"__id__": "app", "__run_num__": 0, "name": "true",
					"result": true, "comment": "Command \"true\" run", "changes": map[string]any{"retcode": 0}, "duration": 2.0}},
			}}},
		"salt_|-ping_|-test.ping_|-function": map[string]any{"__id__": "ping", "__run_num__": 1, "name": "test.ping", "result": true,
			"comment": "Function ran successfully.", "duration": 1.0,
			"changes": map[string]any{"out": "highstate", "ret": map[string]any{"web-1": true}}},
	}, false)
	p.Finish()
	got := b.String()
	for _, want := range []string{
		"     Changes:\n              web-1:\n              ----------\n                        ID: app\n",
		"                  Function: cmd.run\n",
		"              Summary for web-1\n",
		"     Changes:\n              web-1:\n                  True\n",
		"Summary for master\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
