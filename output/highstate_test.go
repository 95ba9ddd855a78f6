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
