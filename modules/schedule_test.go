package modules

import (
	"context"
	"strings"
	"testing"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/schedule"
)

func TestScheduleFunctions(t *testing.T) {
	ran := make(chan string, 10)
	s := schedule.New(schedule.Config{Run: func(_ context.Context, e *schedule.Entry, jid string) { ran <- e.Name + " " + jid }})
	entries, _ := schedule.Parse(map[string]any{
		"backup": map[string]any{"function": "cmd.run", "args": []any{"true"}, "seconds": 30},
		"off":    map[string]any{"function": "test.ping", "seconds": 30, "enabled": false},
		"bad":    map[string]any{"function": "test.ping"},
	}, schedule.Options{Source: "config"})
	s.SetEntries(entries, true)
	env := &Env{ID: "m1", Schedule: s}

	list := mustCall(t, env, "schedule.list", nil, nil).(map[string]any)
	if len(list) != 3 {
		t.Fatalf("schedule.list = %v", list)
	}
	b := list["backup"].(map[string]any)
	if b["function"] != "cmd.run" || b["seconds"] != 30.0 || b["enabled"] != true || b["next_fire_time"] == nil {
		t.Errorf("backup = %v", b)
	}
	if bad := list["bad"].(map[string]any); !strings.Contains(bad["error"].(string), `schedule entry "bad": no interval`) {
		t.Errorf("bad = %v", bad)
	}
	if l := mustCall(t, env, "schedule.list", nil, map[string]any{"show_disabled": false}).(map[string]any); len(l) != 1 || l["backup"] == nil {
		t.Errorf("show_disabled=False: %v", l)
	}
	y := mustCall(t, env, "schedule.list", nil, map[string]any{"return_yaml": true}).(string)
	if !strings.HasPrefix(y, "schedule:\n") || !strings.Contains(y, "function: cmd.run") {
		t.Errorf("return_yaml: %s", y)
	}

	r := mustCall(t, env, "schedule.run_job", []any{"backup"}, nil).(map[string]any)
	jid, _ := r["jid"].(string)
	if r["result"] != true || !proto.ValidJID(jid) || r["comment"] != "Scheduling Job backup on minion." {
		t.Errorf("run_job = %v", r)
	}
	if got := <-ran; got != "backup "+jid {
		t.Errorf("ran %q", got)
	}
	_, err := call(t, context.Background(), env, "schedule.run_job", []any{"off"}, nil)
	wantKind(t, err, proto.ErrExecution, "disabled")
	mustCall(t, env, "schedule.run_job", []any{"off"}, map[string]any{"force": true})
	<-ran
	_, err = call(t, context.Background(), env, "schedule.run_job", []any{"nosuch"}, nil)
	wantKind(t, err, proto.ErrNotFound, "nosuch")
	wantBadArg(t, "schedule.run_job", nil, nil, env, "name")

	if r := mustCall(t, env, "schedule.enable_job", []any{"off"}, nil).(map[string]any); r["comment"] != "Enabled Job off in schedule." {
		t.Errorf("enable_job = %v", r)
	}
	if r := mustCall(t, env, "schedule.disable_job", []any{"backup"}, nil).(map[string]any); r["comment"] != "Disabled Job backup in schedule." {
		t.Errorf("disable_job = %v", r)
	}
	list = mustCall(t, env, "schedule.list", nil, nil).(map[string]any)
	if list["off"].(map[string]any)["enabled"] != true || list["backup"].(map[string]any)["enabled"] != false {
		t.Errorf("after enable/disable: %v", list)
	}
	_, err = call(t, context.Background(), env, "schedule.disable_job", []any{"bad"}, nil)
	wantKind(t, err, proto.ErrExecution, "no interval")
	s.Wait()

	_, err = call(t, context.Background(), &Env{ID: "m1"}, "schedule.list", nil, nil)
	wantKind(t, err, proto.ErrExecution, "not available")
}
