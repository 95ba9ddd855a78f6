package master

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/proto"
)

// A minion's scheduled run, announced on its own request subject, is
// recorded as a job of that minion alone.
func TestHandleScheduleJob(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web-1", proto.KeyAccepted, nil)
	ctx := context.Background()
	if err := m.subscribe(ctx); err != nil {
		t.Fatal(err)
	}
	events := subscribeSync(t, nc, proto.SubjectEvent+".salt.job.*.new")
	send := func(id string, req proto.ScheduleJob) (string, *proto.Error) {
		t.Helper()
		resp, err := requestAs(nc, &nats.Msg{Subject: proto.MinionRequestSubject(id, proto.ReqScheduleJob), Data: mustJSON(t, req)}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			JID   string       `json:"jid"`
			Error *proto.Error `json:"error"`
		}
		if err := json.Unmarshal(resp.Data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep.JID, rep.Error
	}
	// The minion proposes a jid (a ctl job's, say): the master ignores it
	// and names the run itself, so a minion cannot squat a job record.
	squat := proto.NewJID(time.Now())
	req := proto.ScheduleJob{JID: squat, Fun: "cmd.run", Arg: []any{"echo tick"}, Kwarg: map[string]any{"cwd": "/"}, Name: "tick"}
	jid, e := send("web-1", req)
	if e != nil {
		t.Fatalf("schedule_job: %v", e)
	}
	if !proto.ValidJID(jid) || jid == squat {
		t.Fatalf("recorded as jid %q; want a fresh jid picked by the master, not the minion's %s", jid, squat)
	}
	if _, err := m.jobRecord(ctx, squat); err == nil {
		t.Errorf("the minion's proposed jid %s was recorded", squat)
	}
	rec, err := m.jobRecord(ctx, jid)
	if err != nil {
		t.Fatal(err)
	}
	want := proto.Target{Expr: "web-1", Type: "list"}
	if rec.User != "schedule:tick" || rec.Fun != "cmd.run" || !reflect.DeepEqual(rec.Minions, []string{"web-1"}) || rec.Target != want ||
		!reflect.DeepEqual(rec.Arg, []any{"echo tick"}) || rec.Kwarg["cwd"] != "/" || rec.Start.IsZero() {
		t.Errorf("job record = %+v", rec)
	}
	ev := nextEvent(t, events)
	if ev.Tag != proto.TagJobNew(jid) || ev.Data["user"] != "schedule:tick" || ev.Data["tgt"] != "web-1" || ev.Data["schedule"] != "tick" || ev.Data["arg"] != "<1 args>" {
		t.Errorf("event = %+v", ev)
	}
	for name, tc := range map[string]struct {
		id   string
		req  proto.ScheduleJob
		kind string
	}{
		"bad fun":      {"web-1", proto.ScheduleJob{Fun: "ping", Name: "x"}, proto.ErrUnknownFunction},
		"no name":      {"web-1", proto.ScheduleJob{Fun: "test.ping"}, proto.ErrBadRequest},
		"control name": {"web-1", proto.ScheduleJob{Fun: "test.ping", Name: "a\nb"}, proto.ErrBadRequest},
		"not accepted": {"nosuch", proto.ScheduleJob{Fun: "test.ping", Name: "x"}, proto.ErrDenied},
	} {
		if _, e := send(tc.id, tc.req); e == nil || e.Kind != tc.kind {
			t.Errorf("%s: error %v, want kind %s", name, e, tc.kind)
		}
	}
}

// A bad master schedule entry stops the master, naming the entry.
func TestMasterScheduleConfigErrors(t *testing.T) {
	m := &Master{cfg: &Config{Schedule: map[string]any{
		"good":     map[string]any{"function": "manage.present", "minutes": 5},
		"norunner": map[string]any{"function": "cmd.run", "minutes": 5},
		"badfun":   map[string]any{"function": "ping", "tgt": "*", "minutes": 5},
		"nowhen":   map[string]any{"function": "manage.present"},
	}}, log: discardLog()}
	err := m.startSchedule(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`schedule entry "norunner": runner "cmd.run" is not available`, `schedule entry "badfun": function "ping"`, `schedule entry "nowhen": no interval`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"good"`) {
		t.Errorf("error names the good entry: %v", err)
	}
}

// Master entries run a runner (its return in brine/schedule/<name>/result)
// or publish a job to the minions tgt matches.
func TestMasterScheduleRuns(t *testing.T) {
	m, nc := newTestMaster(t)
	m.presence = newPresence()
	addMinion(t, m, "web-1", proto.KeyAccepted, map[string]any{"roles": []any{"web"}})
	addMinion(t, m, "db-1", proto.KeyAccepted, map[string]any{"roles": []any{"db"}})
	results := subscribeSync(t, nc, proto.SubjectEvent+".brine.schedule.*.result")
	jobs := subscribeSync(t, nc, proto.JobSubject("web-1"))
	m.cfg.Schedule = map[string]any{
		"present": map[string]any{"function": "manage.present", "hours": 1, "run_on_start": true},
		"ping":    map[string]any{"function": "test.ping", "tgt": "roles:web", "tgt_type": "grain", "args": []any{}, "hours": 1, "run_on_start": true},
		"nobody":  map[string]any{"function": "test.ping", "tgt": "nosuch*", "hours": 1, "run_on_start": true},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.startSchedule(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]proto.Event{}
	for range 3 {
		msg, err := results.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("result events: %v (got %v)", err, got)
		}
		var ev proto.Event
		if err := json.Unmarshal(msg.Data, &ev); err != nil {
			t.Fatal(err)
		}
		got[ev.Data["name"].(string)] = ev
	}
	if ev := got["present"]; ev.Tag != "brine/schedule/present/result" || ev.Data["success"] != true || ev.Data["fun"] != "manage.present" {
		t.Errorf("present = %+v", ev)
	} else if _, ok := ev.Data["return"].([]any); !ok {
		t.Errorf("present return = %#v", ev.Data["return"])
	}
	ping := got["ping"]
	if ping.Data["success"] != true || !reflect.DeepEqual(ping.Data["minions"], []any{"web-1"}) {
		t.Errorf("ping = %+v", ping)
	}
	if ev := got["nobody"]; ev.Data["success"] != false || !strings.Contains(ev.Data["error"].(string), "no minions") {
		t.Errorf("nobody = %+v", ev)
	}
	msg, err := jobs.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var job proto.Job
	if err := json.Unmarshal(msg.Data, &job); err != nil {
		t.Fatal(err)
	}
	if job.Fun != "test.ping" || job.User != "schedule:ping" || job.JID != ping.Data["jid"] {
		t.Errorf("job = %+v", job)
	}
	if rec, err := m.jobRecord(ctx, job.JID); err != nil || rec.User != "schedule:ping" {
		t.Errorf("job record = %+v, %v", rec, err)
	}
}
