package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func viewConfig(t *testing.T) *Config {
	pw := bcryptHash(t, "pw")
	return &Config{Users: map[string]User{
		// test.* on web*, and every job of web*.
		"web": {Password: pw, ACL: []ACLRule{{Target: "web*", Functions: []string{"test.*", "grains.items", "@jobs"}}}},
		// state.apply on the web role (a compound target the master
		// evaluates), and the jobs runner on no minion.
		"grainy": {Password: pw, ACL: []ACLRule{
			{Target: "G@roles:web", Functions: []string{"state.apply"}},
			{Target: "none", Functions: []string{"@jobs"}},
		}},
		"keys":   {Password: pw, ACL: []ACLRule{{Target: "*", Functions: []string{"@wheel:key.*"}}}},
		"runner": {Password: pw, ACL: []ACLRule{{Target: "*", Functions: []string{"@runner:manage.*"}}}},
		"events": {Password: pw, ACL: []ACLRule{{Target: "none", Functions: []string{"@events"}}}},
		// grains.items on the web role; the jobs runner only on web*.
		"grainsg":  {Password: pw, ACL: []ACLRule{{Target: "G@roles:web", Functions: []string{"grains.items"}}}},
		"jobsonly": {Password: pw, ACL: []ACLRule{{Target: "web*", Functions: []string{"@jobs"}}}},
	}}
}

func TestJobsFilteredByACL(t *testing.T) {
	e := newEnv(t, viewConfig(t))
	web := tokenHeader(e.login("web", "pw"))
	grainy := tokenHeader(e.login("grainy", "pw"))
	op := tokenHeader(e.operator())

	listed := func(h map[string]string) map[string]any {
		t.Helper()
		r := e.do("GET", "/jobs", nil, h)
		expectStatus(t, r, 200)
		return r.JSON["return"].([]any)[0].(map[string]any)
	}
	all := listed(op)
	if len(all) != 3 {
		t.Fatalf("operator lists %d jobs: %v", len(all), all)
	}
	if j := all["20260101000000000002"].(map[string]any); j["Arguments"] != "<1 args>" || j["Function"] != "cmd.run" || j["Target"] != "db1" {
		t.Fatalf("operator's cmd.run job = %v", j)
	}
	// web sees the ping (on web1 and db1) and the state run on web2 (its
	// @jobs covers web*), not the cmd.run on db1.
	got := listed(web)
	if len(got) != 2 || got["20260101000000000001"] == nil || got["20260101000000000003"] == nil {
		t.Fatalf("web lists %v", got)
	}
	// grainy sees only the state run: its rule for the web role allows
	// state.apply only, its @jobs covers no minion.
	got = listed(grainy)
	if len(got) != 1 || got["20260101000000000003"] == nil {
		t.Fatalf("grainy lists %v", got)
	}

	// A lookup is cut down to the minions the user may see.
	r := e.do("GET", "/jobs/20260101000000000001", nil, web)
	expectStatus(t, r, 200, `"return":[{"web1":true}]`, `"Minions":["web1"]`)
	if strings.Contains(string(r.Body), "db1") {
		t.Fatalf("web sees db1's return: %s", r.Body)
	}
	// A job none of whose minions the user sees does not exist for it.
	for _, h := range []map[string]string{web, grainy} {
		r = e.do("GET", "/jobs/20260101000000000002", nil, h)
		expectStatus(t, r, 404, "not in the job cache")
		if strings.Contains(string(r.Body), "secret output") {
			t.Fatalf("leak: %s", r.Body)
		}
	}
	expectStatus(t, e.do("GET", "/jobs/20260101000000000001", nil, grainy), 404)
	expectStatus(t, e.do("GET", "/jobs/20260101000000000003", nil, grainy), 200, `"web2":{"ok":true}`)
	expectStatus(t, e.do("GET", "/jobs/20260101000000000002", nil, op), 200, `"db1":"secret output"`)
	expectStatus(t, e.do("GET", "/jobs/20260101000000000009", nil, op), 404)

	// /minions needs grains.items on the minion, compound targets included;
	// @jobs does not give it.
	expectStatus(t, e.do("GET", "/minions/web1", nil, web), 200)
	expectStatus(t, e.do("GET", "/minions/db1", nil, web), 403)
	e.fb.resetCalls()
	gr := tokenHeader(e.login("grainsg", "pw"))
	expectStatus(t, e.do("GET", "/minions/web1", nil, gr), 200, `"web1"`)
	expectStatus(t, e.do("GET", "/minions/db1", nil, gr), 403)
	r = e.do("GET", "/minions", nil, gr)
	expectStatus(t, r, 200, `"web1"`)
	if strings.Contains(string(r.Body), "db1") {
		t.Fatalf("grainsg sees db1: %s", r.Body)
	}
	expectStatus(t, e.do("GET", "/minions/web1", nil, tokenHeader(e.login("jobsonly", "pw"))), 403)
}

// stream opens /events for user and returns a reader of its events, each
// as "TAG DATA".
func stream(t *testing.T, e *env, user string) func() string {
	t.Helper()
	tok := e.login(user, "pw")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/events?token="+tok, nil)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	rd := bufio.NewReader(resp.Body)
	next := func() string {
		t.Helper()
		for {
			var lines []string
			for {
				line, err := rd.ReadString('\n')
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				line = strings.TrimSuffix(line, "\n")
				if line == "" {
					break
				}
				lines = append(lines, line)
			}
			if len(lines) == 2 && strings.HasPrefix(lines[1], "data: ") {
				var ev struct {
					Tag  string         `json:"tag"`
					Data map[string]any `json:"data"`
				}
				if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &ev); err != nil {
					t.Fatal(err)
				}
				data, _ := json.Marshal(ev.Data)
				return ev.Tag + " " + string(data)
			}
		}
	}
	return next
}

// events are what the bus carries in TestEventsFilteredByACL.
var busEvents = []Event{
	{Tag: "salt/job/1/new", Data: map[string]any{"fun": "test.ping", "minions": []any{"db1", "web1"}, "arg": []any{}}},
	{Tag: "salt/job/1/ret/db1", Data: map[string]any{"fun": "test.ping", "id": "db1", "return": true}},
	{Tag: "salt/job/1/ret/web1", Data: map[string]any{"fun": "test.ping", "id": "web1", "return": true}},
	{Tag: "salt/job/2/new", Data: map[string]any{"fun": "state.apply", "minions": []any{"web2"}}},
	{Tag: "salt/job/2/ret/web2", Data: map[string]any{"fun": "state.apply", "id": "web2"}},
	{Tag: "salt/job/3/new", Data: map[string]any{"fun": "cmd.run", "minions": []any{"db1"}, "arg": "<1 args>"}},
	{Tag: "salt/job/3/ret/db1", Data: map[string]any{"fun": "cmd.run", "id": "db1", "return": "secret output"}},
	{Tag: "salt/auth", Data: map[string]any{"id": "db1", "act": "accept"}},
	{Tag: "salt/key", Data: map[string]any{"id": "web9", "act": "delete"}},
	{Tag: "salt/minion/db1/start", Data: map[string]any{"id": "db1"}},
	{Tag: "salt/minion/web1/start", Data: map[string]any{"id": "web1"}},
	{Tag: "myapp/backup/done", Data: map[string]any{"id": "db1"}},
	{Tag: "myapp/deploy/done", Data: map[string]any{"id": "web2"}},
	{Tag: "salt/run/4/new", Data: map[string]any{"fun": "runner.manage.up"}},
	{Tag: "salt/run/5/new", Data: map[string]any{"fun": "runner.state.orchestrate"}},
	{Tag: "salt/netapi/hook/deploy", Data: map[string]any{"body": "{}"}},
	{Tag: "brine/reactor/deploy/result", Data: map[string]any{"fun": "local.cmd.run"}},
	{Tag: "salt/presence/change", Data: map[string]any{"new": []any{"db1"}}},
	{Tag: "end", Data: map[string]any{}}, // shown only with @events
	{Tag: "salt/job/9/ret/web1", Data: map[string]any{"fun": "test.ping", "id": "web1"}},
}

func TestEventsFilteredByACL(t *testing.T) {
	// Each user's list ends with a last event of its own, sent after all
	// of busEvents: reading it next proves nothing else got through.
	for user, tc := range map[string]struct {
		want []string
		last Event
	}{
		"web": {[]string{
			`salt/job/1/new {"arg":[],"fun":"test.ping","minions":["web1"]}`,
			`salt/job/1/ret/web1 {"fun":"test.ping","id":"web1","return":true}`,
			`salt/job/2/new {"fun":"state.apply","minions":["web2"]}`, // @jobs on web*
			`salt/job/2/ret/web2 {"fun":"state.apply","id":"web2"}`,
			`salt/minion/web1/start {"id":"web1"}`,
			`myapp/deploy/done {"id":"web2"}`,
			`salt/job/9/ret/web1 {"fun":"test.ping","id":"web1"}`,
		}, Event{Tag: "salt/minion/web2/start", Data: map[string]any{}}},
		"grainy": {[]string{
			`salt/job/2/new {"fun":"state.apply","minions":["web2"]}`,
			`salt/job/2/ret/web2 {"fun":"state.apply","id":"web2"}`,
			`salt/minion/web1/start {"id":"web1"}`,
			`myapp/deploy/done {"id":"web2"}`,
		}, Event{Tag: "salt/job/10/ret/web1", Data: map[string]any{"fun": "state.apply"}}},
		"keys": {[]string{
			`salt/auth {"act":"accept","id":"db1"}`,
			`salt/key {"act":"delete","id":"web9"}`,
		}, Event{Tag: "salt/key", Data: map[string]any{}}},
		"runner": {[]string{
			`salt/run/4/new {"fun":"runner.manage.up"}`,
		}, Event{Tag: "salt/run/6/new", Data: map[string]any{"fun": "runner.manage.down"}}},
	} {
		t.Run(user, func(t *testing.T) {
			e := newEnv(t, viewConfig(t))
			next := stream(t, e, user)
			go func() {
				for _, ev := range append(busEvents[:len(busEvents):len(busEvents)], tc.last) {
					e.fb.eventCh <- ev
				}
			}()
			data, _ := json.Marshal(tc.last.Data)
			for _, w := range append(tc.want, tc.last.Tag+" "+string(data)) {
				if got := next(); got != w {
					t.Fatalf("%s got event\n%s\nwant\n%s", user, got, w)
				}
			}
		})
	}

	// @events shows everything, the operator too.
	e := newEnv(t, viewConfig(t))
	next := stream(t, e, "events")
	go func() {
		for _, ev := range busEvents {
			e.fb.eventCh <- ev
		}
	}()
	for _, ev := range busEvents {
		if got := next(); !strings.HasPrefix(got, ev.Tag+" ") {
			t.Fatalf("@events got %s, want %s", got, ev.Tag)
		}
	}
}

// The jobs runner through the lowstate endpoint shows what GET /jobs shows.
func TestJobsRunnerFilteredByACL(t *testing.T) {
	e := newEnv(t, viewConfig(t))
	web := tokenHeader(e.login("web", "pw"))
	run := func(fun string, arg ...any) resp {
		return e.do("POST", "/", []any{map[string]any{"client": "runner", "fun": fun, "arg": arg}}, web)
	}
	r := run("jobs.list_jobs")
	expectStatus(t, r, 200, "20260101000000000001", "20260101000000000003")
	if strings.Contains(string(r.Body), "20260101000000000002") {
		t.Fatalf("web lists the db1 job: %s", r.Body)
	}
	expectStatus(t, run("jobs.lookup_jid", "20260101000000000001"), 200, `{"return":[{"web1":true}]}`)
	expectStatus(t, run("jobs.lookup_jid", "20260101000000000002"), 404)
	if r := e.do("POST", "/", []any{map[string]any{"client": "runner", "fun": "jobs.lookup_jid", "jid": "20260101000000000002"}}, web); r.Status != 404 || strings.Contains(string(r.Body), "secret output") {
		t.Fatalf("lookup by keyword: %d %s", r.Status, r.Body)
	}
	for _, c := range e.fb.Calls() {
		if c.Method == "Runner" {
			t.Fatalf("the jobs runner ran unfiltered: %+v", c)
		}
	}
	// The operator's runner calls go to the master as they are (so do those
	// of a user granted the jobs runner on "*": see TestLowstate).
	op := tokenHeader(e.operator())
	expectStatus(t, e.do("POST", "/", []any{map[string]any{"client": "runner", "fun": "jobs.list_jobs"}}, op), 200)
	if calls := e.fb.Calls(); calls[len(calls)-1].Method != "Runner" {
		t.Fatalf("operator's runner call: %+v", calls[len(calls)-1])
	}
}
