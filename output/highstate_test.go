package output

import (
	"bytes"
	"strings"
	"testing"
)

func TestHighstateText(t *testing.T) {
	var b bytes.Buffer
	p := NewPrinter(Options{Out: &b, Err: &b}, []string{"web-1"})
	p.Add("web-1", map[string]any{
		"cmd_|-fail_|-false_|-run": map[string]any{"__id__": "fail", "__run_num__": 1, "name": "false", "result": false,
			"comment": "Command \"false\" run", "changes": map[string]any{}, "duration": 2.25},
		"file_|-cfg_|-/etc/x_|-managed": map[string]any{"__id__": "cfg", "__run_num__": 0, "name": "/etc/x", "result": true,
			"comment": "File /etc/x updated", "changes": map[string]any{"diff": "New file"}, "duration": 1.5, "start_time": "10:00:00.000001"},
		"test_|-t_|-t_|-nop": map[string]any{"__id__": "t", "__run_num__": 2, "name": "t", "result": nil,
			"comment": "would run\nsecond line", "changes": map[string]any{}, "duration": 0.0},
	}, false)
	p.Finish()
	want := `web-1:
----------
          ID: cfg
    Function: file.managed
        Name: /etc/x
      Result: True
     Comment: File /etc/x updated
     Started: 10:00:00.000001
    Duration: 1.5 ms
     Changes:
              ----------
              diff:
                  New file
----------
          ID: fail
    Function: cmd.run
        Name: false
      Result: False
     Comment: Command "false" run
    Duration: 2.25 ms
     Changes:
----------
          ID: t
    Function: test.nop
        Name: t
      Result: None
     Comment: would run
              second line
    Duration: 0 ms
     Changes:

Summary for web-1
------------
Succeeded: 2 (changed=1)
Failed:    1
------------
Total states run:     3
Total run time:    3.750 ms
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestHighstateOnlyForStateReturns(t *testing.T) {
	for _, v := range []any{
		map[string]any{"a": map[string]any{}},
		map[string]any{"x_|-y_|-z_|-w": "not a map"},
		map[string]any{},
		"text",
	} {
		if _, ok := isStateReturn(normalize(v)); ok {
			t.Errorf("%v taken for a state return", v)
		}
	}
	var b bytes.Buffer
	p := NewPrinter(Options{Out: &b, Err: &b, Color: true}, nil)
	p.Add("m", map[string]any{"file_|-a_|-a_|-managed": map[string]any{"result": false, "changes": map[string]any{}}}, true)
	if !strings.Contains(b.String(), ansiRed+"Failed:    1") {
		t.Errorf("failed summary not red:\n%q", b.String())
	}
}

func TestHighstateStateOutputModes(t *testing.T) {
	ret := map[string]any{
		"file_|-conf_|-/etc/app.conf_|-managed": map[string]any{"result": true, "changes": map[string]any{"diff": "New file"}, "comment": "written", "__run_num__": 0, "start_time": "10:00:00.000001", "duration": 1.5, "__id__": "conf", "name": "/etc/app.conf"},
		"pkg_|-tools_|-tools_|-installed":       map[string]any{"result": true, "changes": map[string]any{}, "comment": "already", "__run_num__": 1, "start_time": "10:00:00.000002", "duration": 2.0, "__id__": "tools", "name": "tools"},
		"cmd_|-boom_|-false_|-run":              map[string]any{"result": false, "changes": map[string]any{}, "comment": "failed", "__run_num__": 2, "start_time": "10:00:00.000003", "duration": 3.0, "__id__": "boom", "name": "false"},
	}
	render := func(s Style) string {
		var b bytes.Buffer
		highstate(&b, "web-1", ret, s)
		return b.String()
	}
	terse := render(Style{StateOutput: "terse"})
	for _, want := range []string{
		"  Name: /etc/app.conf - Function: file.managed - Result: Changed - Started: 10:00:00.000001 - Duration: 1.5 ms\n",
		"  Name: tools - Function: pkg.installed - Result: Clean - Started: 10:00:00.000002 - Duration: 2 ms\n",
		"  Name: false - Function: cmd.run - Result: Failed - Started: 10:00:00.000003 - Duration: 3 ms\n",
	} {
		if !strings.Contains(terse, want) {
			t.Errorf("terse lacks %q:\n%s", want, terse)
		}
	}
	if strings.Contains(terse, "ID: ") {
		t.Errorf("terse has a full block:\n%s", terse)
	}
	mixed := render(Style{StateOutput: "mixed"})
	if !strings.Contains(mixed, "          ID: boom") || strings.Contains(mixed, "          ID: conf") || !strings.Contains(mixed, "Result: Changed") {
		t.Errorf("mixed: only the failure in full:\n%s", mixed)
	}
	changes := render(Style{StateOutput: "changes"})
	if !strings.Contains(changes, "          ID: conf") || !strings.Contains(changes, "          ID: boom") || !strings.Contains(changes, "Name: tools - Function: pkg.installed - Result: Clean") {
		t.Errorf("changes: clean states terse, the rest in full:\n%s", changes)
	}
	if byID := render(Style{StateOutput: "terse_id"}); !strings.Contains(byID, "  Name: conf - Function: file.managed") {
		t.Errorf("terse_id names the ID:\n%s", byID)
	}
	quiet := render(Style{StateQuiet: true})
	if strings.Contains(quiet, "ID: tools") || !strings.Contains(quiet, "ID: conf") || !strings.Contains(quiet, "ID: boom") || !strings.Contains(quiet, "Total states run:     3") {
		t.Errorf("state_verbose=False hides only clean successes, and still counts them:\n%s", quiet)
	}
}
