package reactor

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/render"
)

// deploySLS is seed 003's GitHub deploy reactor (a #!py file there) in
// Jinja+YAML: state.sls <target>.deploy on the minions with grain
// roles:<target>, target being the last part of the hook path. The HMAC
// check of the seed is the API's (hooks auth: github); the reactor only
// reacts to pushes.
const deploySLS = `{% set target = tag.split('/')[-1] %}
github_webhook_deploy:
  local.state.sls:
    - if: data.headers["X-Github-Event"] == "push"
    - tgt: 'roles:{{ target }}'
    - expr_form: grain
    - arg:
      - {{ target }}.deploy
      - prod
    - kwarg:
        pillar:
          repo: {{ data.post.repository.name }}
          deploy_token: hunter2
`

func startEngine(t *testing.T, cfg Config, fb *fakeBackend) *Engine {
	t.Helper()
	e := New(cfg, fb, nil)
	ctx, cancel := context.WithCancel(context.Background())
	e.Start(ctx)
	t.Cleanup(func() {
		cancel()
		e.Wait()
	})
	return e
}

func hookData(event, repo string) map[string]any {
	return map[string]any{
		"headers": map[string]any{"X-Github-Event": event, "Content-Type": "application/json"},
		"body":    `{"repository": {"name": "` + repo + `"}}`,
		"post":    map[string]any{"repository": map[string]any{"name": repo}},
		"_source": "192.0.2.1",
	}
}

func TestGitHubDeploy(t *testing.T) {
	fb := newFake()
	rules, err := ParseRules([]map[string][]string{{"salt/netapi/hook/deploy/*": {"/srv/reactor/deploy.sls"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, Config{Rules: rules, Loader: render.MapLoader{"srv/reactor/deploy.sls": deploySLS}}, fb)

	e.Handle("salt/netapi/hook/deploy/app", hookData("push", "shop"))
	ev := fb.waitTag(t, "brine/reactor/github_webhook_deploy/result")

	calls := fb.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	c := calls[0]
	want := call{
		kind: "local", tgt: "roles:app", tgtType: "grain", fun: "state.sls",
		arg:   []any{"app.deploy", "prod"},
		kwarg: map[string]any{"pillar": map[string]any{"repo": "shop", "deploy_token": "hunter2"}},
		depth: 1,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("call = %+v\nwant %+v", c, want)
	}
	d := ev.data
	if d["success"] != true || d["tag"] != "salt/netapi/hook/deploy/app" || d["file"] != "/srv/reactor/deploy.sls" ||
		d["reaction"] != "github_webhook_deploy" || d["fun"] != "local.state.sls" || d["depth"] != 1 || d[DepthKey] != 1 {
		t.Fatalf("result event = %v", d)
	}
	if res, _ := d["result"].(map[string]any); res == nil || res["jid"] == "" {
		t.Fatalf("result = %v", d["result"])
	}
	kw, _ := d["kwarg"].(map[string]any)
	if !reflect.DeepEqual(kw["pillar"], []string{"deploy_token", "repo"}) {
		t.Fatalf("pillar in event = %#v, want its keys only", kw["pillar"])
	}
	if s := mustJSON(t, d); strings.Contains(s, "hunter2") || strings.Contains(s, "shop") {
		t.Fatalf("pillar value leaked into the result event: %s", s)
	}

	// Another GitHub event type: skipped, nothing published.
	e.Handle("salt/netapi/hook/deploy/api", hookData("ping", "shop"))
	ev = fb.waitTag(t, "brine/reactor/github_webhook_deploy/result")
	if ev.data["skipped"] != true || ev.data["success"] != true || !strings.Contains(ev.data["reason"].(string), "false") {
		t.Fatalf("skip event = %v", ev.data)
	}
	if n := len(fb.Calls()); n != 1 {
		t.Fatalf("skipped reaction ran: %d calls", n)
	}
	// Tags outside the glob are not reacted to.
	e.Handle("salt/netapi/hook/other/app", hookData("push", "shop"))
	e.Handle("salt/netapi/hook/deploy/web", hookData("push", "site"))
	fb.waitTag(t, "brine/reactor/github_webhook_deploy/result")
	calls = fb.Calls()
	if len(calls) != 2 || calls[1].tgt != "roles:web" || calls[1].arg[0] != "web.deploy" {
		t.Fatalf("calls = %+v", calls)
	}
}

// autoscaleSLS has the shape of seed 002's ec2-autoscale reactor: the SNS
// notification's Subject says launch or termination; a launch creates the
// instance with salt-cloud from opts['ec2.autoscale'][<group>] (the group
// is the hook path's next to last part), a termination deletes its key.
// A subscription confirmation yields no reaction.
const autoscaleSLS = `{% set sns = data.post %}
{% if sns.Type == 'Notification' %}
{% set message = sns.Message|load_json %}
{% set instance_id = message.EC2InstanceId %}
{% set subject = sns.get('Subject', '')|lower %}
{% if 'launch' in subject %}
{% set vm_ = opts.get('ec2.autoscale', {}).get(tag.split('/')[-2]) %}
ec2_autoscale_launch:
  runner.cloud.create:
{% for key, value in vm_|dictsort %}
    - {{ key }}: {{ value|json }}
{% endfor %}
    - reactor: true
    - instances: {{ instance_id }}
    - instance_id: {{ instance_id }}
{% elif 'termination' in subject %}
ec2_autoscale_termination:
  wheel.key.delete:
    - match: {{ instance_id }}
{% endif %}
{% endif %}
`

func snsData(typ, subject, instance string) map[string]any {
	post := map[string]any{
		"Type":      typ,
		"MessageId": "4bd78f34-3162-5d9a-9fd3-c03de213b664",
		"TopicArn":  "arn:aws:sns:eu-west-1:123456789111:topic",
		"Message":   `{"StatusCode": "InProgress", "Service": "AWS Auto Scaling", "AutoScalingGroupName": "asg", "EC2InstanceId": "` + instance + `"}`,
	}
	if subject != "" {
		post["Subject"] = subject
	}
	return map[string]any{"headers": map[string]any{}, "body": "{}", "post": post}
}

func TestAutoscale(t *testing.T) {
	fb := newFake()
	fb.results["cloud.create"] = map[string]any{"web-i-2d125da0": map[string]any{"created": true}}
	fb.results["key.delete"] = map[string]any{"minions": []any{"i-883a3a42"}}
	rules, err := ParseRules([]map[string][]string{
		{"salt/netapi/hook/autoscale/web/up": {"/srv/lta/reactor/ec2-autoscale.sls"}},
		{"salt/netapi/hook/autoscale/web/down": {"/srv/lta/reactor/ec2-autoscale.sls"}},
		{"test/sync": {"/srv/sync.sls"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]any{"ec2.autoscale": map[string]any{"web": map[string]any{
		"provider": "aws_provider", "ssh_username": "ubuntu",
		"minion": map[string]any{"startup_states": "highstate", "grains": map[string]any{"roles": "web-host"}},
	}}}
	e := startEngine(t, Config{Rules: rules, Opts: opts, Workers: 1, Loader: render.MapLoader{
		"srv/lta/reactor/ec2-autoscale.sls": autoscaleSLS,
		"srv/sync.sls":                      "sync:\n  runner.test.sync: []\n",
	}}, fb)

	e.Handle("salt/netapi/hook/autoscale/web/up", snsData("Notification", "Auto Scaling: launch for group \"asg\"", "i-2d125da0"))
	ev := fb.waitTag(t, "brine/reactor/ec2_autoscale_launch/result")
	if ev.data["success"] != true || !reflect.DeepEqual(ev.data["result"], fb.results["cloud.create"]) {
		t.Fatalf("launch result = %v", ev.data)
	}
	e.Handle("salt/netapi/hook/autoscale/web/down", snsData("Notification", "Auto Scaling: termination for group \"asg\"", "i-883a3a42"))
	fb.waitTag(t, "brine/reactor/ec2_autoscale_termination/result")
	// A subscription confirmation renders to nothing. One worker runs
	// events in order: once the next event's result is in, it is done.
	e.Handle("salt/netapi/hook/autoscale/web/up", snsData("SubscriptionConfirmation", "", "i-0"))
	e.Handle("test/sync", nil)
	fb.waitTag(t, "brine/reactor/sync/result")

	calls := fb.Calls()
	want := []call{
		{kind: "runner", fun: "cloud.create", arg: []any{}, depth: 1, kwarg: map[string]any{
			"provider": "aws_provider", "ssh_username": "ubuntu", "reactor": true,
			"minion":    map[string]any{"startup_states": "highstate", "grains": map[string]any{"roles": "web-host"}},
			"instances": "i-2d125da0", "instance_id": "i-2d125da0",
		}},
		{kind: "wheel", fun: "key.delete", arg: []any{}, kwarg: map[string]any{"match": "i-883a3a42"}, depth: 1},
		{kind: "runner", fun: "test.sync", arg: []any{}, kwarg: map[string]any{}, depth: 1},
	}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("calls:\n%+v\nwant\n%+v", calls, want)
	}
	for _, ev := range fb.Events() {
		if ev.tag == TagError {
			t.Fatalf("error event: %v", ev.data)
		}
	}
}

func TestIfConditions(t *testing.T) {
	fb := newFake()
	files := render.MapLoader{"r/if.sls": `
always:
  local.test.ping:
    - tgt: '*'
    - if: true
never:
  if: 'tag endsWith "/nope"'
  local.test.ping:
    - tgt: '*'
both:
  if: 'data.n > 1'
  runner.test.arg:
    - if: 'data.n < 10'
    - a: 1
broken:
  runner.test.arg:
    - if: 'data.missing.field == 1'
badtype:
  runner.test.arg:
    - if: 'data.n + 1'
`}
	e := startEngine(t, Config{Rules: []Rule{{Pattern: "t/*", Files: []string{"r/if.sls"}}}, Loader: files, Workers: 1}, fb)
	e.Handle("t/x", map[string]any{"n": 5})
	results := map[string]map[string]any{}
	for _, id := range []string{"always", "never", "both", "broken", "badtype"} {
		results[id] = fb.waitTag(t, ResultTag(id)).data
	}
	if r := results["always"]; r["success"] != true || r["skipped"] != nil {
		t.Errorf("always: %v", r)
	}
	if r := results["never"]; r["skipped"] != true {
		t.Errorf("never: %v", r)
	}
	if r := results["both"]; r["success"] != true || r["skipped"] != nil {
		t.Errorf("both: %v", r)
	}
	for _, id := range []string{"broken", "badtype"} {
		if r := results[id]; r["success"] != false || !strings.HasPrefix(r["error"].(string), "if: ") {
			t.Errorf("%s: %v", id, r)
		}
	}
	calls := fb.Calls()
	if len(calls) != 2 || calls[0].fun != "test.ping" || calls[1].fun != "test.arg" || calls[1].kwarg["a"] != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	// n = 20: the ID-level condition holds, the item-level one does not.
	e.Handle("t/x", map[string]any{"n": 20})
	for _, id := range []string{"always", "never", "both"} {
		results[id] = fb.waitTag(t, ResultTag(id)).data
	}
	if results["both"]["skipped"] != true {
		t.Errorf("both with n=20: %v", results["both"])
	}
}

func TestDepthStopsLoop(t *testing.T) {
	for _, glob := range []string{"brine/reactor/*/result", "*"} {
		t.Run(glob, func(t *testing.T) {
			fb := newFake()
			rules := []Rule{
				{Pattern: "test/start", Files: []string{"/srv/loop.sls"}},
				{Pattern: glob, Files: []string{"/srv/loop.sls"}},
			}
			e := startEngine(t, Config{Rules: rules, Loader: render.MapLoader{
				"srv/loop.sls": "loop:\n  local.test.ping:\n    - tgt: '*'\n",
			}}, fb)
			fb.mu.Lock()
			fb.onFire = e.Handle // the bus delivers the engine's own events back
			fb.mu.Unlock()
			e.Handle("test/start", map[string]any{})
			ev := fb.waitTag(t, TagDepthExceeded)
			if ev.data["tag"] != ResultTag("loop") || ev.data["depth"] != 3 || ev.data["max_depth"] != 3 {
				t.Fatalf("depth_exceeded = %v", ev.data)
			}
			calls := fb.Calls()
			if len(calls) != 3 {
				t.Fatalf("%d calls, want 3: %+v", len(calls), calls)
			}
			for i, c := range calls {
				if c.depth != i+1 {
					t.Fatalf("call %d at depth %d", i, c.depth)
				}
			}
			var depths []any
			for _, ev := range fb.Events() {
				if ev.tag == ResultTag("loop") {
					depths = append(depths, ev.data[DepthKey])
				}
			}
			if !reflect.DeepEqual(depths, []any{1, 2, 3}) {
				t.Fatalf("result depths = %v", depths)
			}
		})
	}
}

func TestEventDepth(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int
	}{
		{nil, 0}, {2, 2}, {int64(3), 3}, {2.0, 2}, {float32(1.5), 1}, {"2", 2}, {"x", 0},
		{-4, 0}, {uint8(7), 7}, {1e300, 1<<31 - 1}, {[]any{1}, 0},
	} {
		d := map[string]any{}
		if tc.v != nil {
			d[DepthKey] = tc.v
		}
		if got := EventDepth(d); got != tc.want {
			t.Errorf("EventDepth(%#v) = %d, want %d", tc.v, got, tc.want)
		}
	}
	ctx := context.Background()
	if DepthFrom(ctx) != 0 || DepthFrom(WithDepth(ctx, 2)) != 2 {
		t.Fatal("WithDepth/DepthFrom")
	}
	// Handle refuses deep events outright.
	fb := newFake()
	e := New(Config{Rules: []Rule{{Pattern: "*", Files: []string{"x.sls"}}}, MaxDepth: 2}, fb, nil)
	e.Handle("a/b", map[string]any{DepthKey: 2.0})
	evs := fb.Events()
	if len(evs) != 1 || evs[0].tag != TagDepthExceeded || evs[0].data["depth"] != 2 || len(e.queue) != 0 {
		t.Fatalf("events = %v, queued %d", evs, len(e.queue))
	}
	e.Handle("a/b", map[string]any{DepthKey: 1})
	if len(e.queue) != 1 {
		t.Fatal("depth 1 of 2 not queued")
	}
}

func TestRateLimit(t *testing.T) {
	fb := newFake()
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	e := New(Config{Rules: []Rule{{Pattern: "hook/*", Files: []string{"x.sls"}}}, RatePerTag: 1, Burst: 3}, fb, nil)
	e.now = clk.now
	for range 3 {
		e.Handle("hook/a", nil)
	}
	if len(e.queue) != 3 || len(fb.Events()) != 0 {
		t.Fatalf("burst: queued %d, events %v", len(e.queue), fb.Events())
	}
	e.Handle("hook/a", nil) // over: notice
	e.Handle("hook/a", nil) // over: counted, no second notice within a second
	e.Handle("hook/b", nil) // another tag has its own bucket
	evs := fb.Events()
	if len(evs) != 1 || evs[0].tag != TagRateLimited || evs[0].data["tag"] != "hook/a" || evs[0].data["dropped"] != 1 {
		t.Fatalf("events = %v", evs)
	}
	if len(e.queue) != 4 {
		t.Fatalf("queued %d, want 4", len(e.queue))
	}
	clk.add(time.Second) // one token back
	e.Handle("hook/a", nil)
	if len(e.queue) != 5 {
		t.Fatalf("refill: queued %d", len(e.queue))
	}
	e.Handle("hook/a", nil)
	evs = fb.Events()
	if len(evs) != 2 || evs[1].tag != TagRateLimited || evs[1].data["dropped"] != 2 || evs[1].data[DepthKey] != 1 {
		t.Fatalf("second notice = %v", evs)
	}
	// A long quiet spell refills to the burst, not beyond.
	clk.add(time.Hour)
	for range 3 {
		e.Handle("hook/a", nil)
	}
	if len(e.queue) != 8 {
		t.Fatalf("after refill queued %d, want 8", len(e.queue))
	}
	e.Handle("hook/a", nil)
	if n := len(fb.Events()); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
	// Negative rate: no limit.
	e2 := New(Config{Rules: []Rule{{Pattern: "*", Files: []string{"x.sls"}}}, RatePerTag: -1, Burst: 1, QueueSize: 100}, fb, nil)
	for range 100 {
		e2.Handle("t", nil)
	}
	if len(e2.queue) != 100 {
		t.Fatalf("unlimited: queued %d", len(e2.queue))
	}
}

func TestQueueFullDoesNotBlock(t *testing.T) {
	fb := newFake()
	files := render.MapLoader{"q.sls": "q:\n  local.test.ping:\n    - tgt: '*'\n"}
	e := New(Config{Rules: []Rule{{Pattern: "q/*", Files: []string{"q.sls"}}}, Loader: files, QueueSize: 2, Workers: 1}, fb, nil)
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	e.now = clk.now
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 5 { // no workers yet: the queue fills after two
			e.Handle("q/"+string(rune('a'+i)), nil)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Handle blocked on a full queue")
	}
	evs := fb.Events()
	if len(evs) != 1 || evs[0].tag != TagError || evs[0].data["tag"] != "q/c" || evs[0].data["dropped"] != 1 ||
		!strings.Contains(evs[0].data["error"].(string), "queue full") {
		t.Fatalf("events = %v", evs)
	}
	clk.add(2 * time.Second)
	e.Handle("q/f", nil)
	evs = fb.Events()
	if len(evs) != 2 || evs[1].data["dropped"] != 3 {
		t.Fatalf("second notice = %v", evs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); e.Wait() }()
	e.Start(ctx)
	fb.waitTag(t, ResultTag("q"))
	fb.waitTag(t, ResultTag("q"))
	if n := len(fb.Calls()); n != 2 {
		t.Fatalf("%d calls, want the 2 queued", n)
	}
}

func TestBrokenFileOthersWork(t *testing.T) {
	fb := newFake()
	files := render.MapLoader{
		"srv/jinja.sls":   "{% if %}\n",
		"srv/yaml.sls":    "a: [1\n",
		"srv/type.sls":    "x:\n  salt.function:\n    - tgt: '*'\n",
		"srv/shape.sls":   "x:\n  - local.test.ping\n",
		"srv/notgt.sls":   "x:\n  local.test.ping:\n    - arg: [1]\n",
		"srv/partial.sls": "ok:\n  local.test.ping:\n    - tgt: '*'\nbad:\n  runner:\n    - {arg: 1}\n",
		"srv/good.sls":    "good:\n  local.test.ping:\n    - tgt: 'web*'\n",
	}
	bad := []string{"/srv/jinja.sls", "/srv/yaml.sls", "/srv/type.sls", "/srv/shape.sls", "/srv/notgt.sls", "/srv/partial.sls", "/srv/missing.sls"}
	rules := []Rule{{Pattern: "ev/*", Files: bad}, {Pattern: "ev/x", Files: []string{"/srv/good.sls"}}}
	e := startEngine(t, Config{Rules: rules, Loader: files, Workers: 1}, fb)
	e.Handle("ev/x", map[string]any{"id": "web1"})
	fb.waitTag(t, ResultTag("good"))
	errs := map[string]string{}
	for _, ev := range fb.Events() {
		if ev.tag == TagError {
			if ev.data["tag"] != "ev/x" || ev.data[DepthKey] != 1 {
				t.Errorf("error event = %v", ev.data)
			}
			errs[ev.data["file"].(string)] = ev.data["error"].(string)
		}
	}
	for _, f := range bad {
		if errs[f] == "" {
			t.Errorf("no error event for %s (errors: %v)", f, errs)
		}
	}
	if !strings.Contains(errs["/srv/type.sls"], "unknown reaction type") {
		t.Errorf("type.sls: %s", errs["/srv/type.sls"])
	}
	if !strings.Contains(errs["/srv/notgt.sls"], "no tgt") {
		t.Errorf("notgt.sls: %s", errs["/srv/notgt.sls"])
	}
	calls := fb.Calls()
	if len(calls) != 1 || calls[0].tgt != "web*" {
		t.Fatalf("calls = %+v (a broken file must start none of its reactions)", calls)
	}
}

func TestBackendErrorsAndCaller(t *testing.T) {
	fb := newFake()
	fb.fail["state.orchestrate"] = errors.New("orchestration failed")
	files := render.MapLoader{"r.sls": `
orch:
  runner.state.orchestrate:
    - args:
      - mods: orch.deploy
      - pillar:
          password: s3cr3t
say:
  caller.cmd.run:
    - args: ['echo {{ data.id }}']
accept:
  wheel.key.accept:
    - name: {{ data.id }}
`}
	e := startEngine(t, Config{Rules: []Rule{{Pattern: "salt/minion/*/start", Files: []string{"r.sls"}}}, Loader: files, Workers: 1}, fb)
	e.Handle("salt/minion/web1/start", map[string]any{"id": "web1"})
	orch := fb.waitTag(t, ResultTag("orch")).data
	say := fb.waitTag(t, ResultTag("say")).data
	acc := fb.waitTag(t, ResultTag("accept")).data
	if orch["success"] != false || orch["error"] != "orchestration failed" {
		t.Fatalf("orch = %v", orch)
	}
	if s := mustJSON(t, orch); strings.Contains(s, "s3cr3t") {
		t.Fatalf("pillar leaked: %s", s)
	}
	if say["success"] != true || say["minion"] != "web1" || say["arg"] != "<1 args>" {
		t.Fatalf("say = %v", say)
	}
	if acc["success"] != true {
		t.Fatalf("accept = %v", acc)
	}
	calls := fb.Calls()
	want := []call{
		{kind: "runner", fun: "state.orchestrate", arg: []any{}, depth: 1,
			kwarg: map[string]any{"mods": "orch.deploy", "pillar": map[string]any{"password": "s3cr3t"}}},
		{kind: "caller", minion: "web1", fun: "cmd.run", arg: []any{"echo web1"}, kwarg: map[string]any{}, depth: 1},
		{kind: "wheel", fun: "key.accept", arg: []any{}, kwarg: map[string]any{"match": "web1"}, depth: 1},
	}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("calls:\n%+v\nwant\n%+v", calls, want)
	}
	// A caller reaction needs the event's minion.
	e.Handle("salt/minion/x/start", map[string]any{"id": "../bad"})
	say = fb.waitTag(t, ResultTag("say")).data
	if say["success"] != false || !strings.Contains(say["error"].(string), "data.id") {
		t.Fatalf("say without id = %v", say)
	}
}

func TestFilesDedupAndOrder(t *testing.T) {
	e := New(Config{Rules: []Rule{
		{Pattern: "salt/*", Files: []string{"a", "b"}},
		{Pattern: "salt/job/*/ret/*", Files: []string{"b", "c"}},
		{Pattern: "[", Files: []string{"d"}},
	}}, newFake(), nil)
	if got := e.Files("salt/job/1/ret/web1"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("Files = %v", got)
	}
	if got := e.Files("["); !reflect.DeepEqual(got, []string{"d"}) {
		t.Fatalf("Files([) = %v", got)
	}
	if got := e.Files("other"); got != nil {
		t.Fatalf("Files(other) = %v", got)
	}
}

func TestResultTag(t *testing.T) {
	for id, want := range map[string]string{
		"deploy":        "brine/reactor/deploy/result",
		"a/b":           "brine/reactor/a_b/result",
		"":              "brine/reactor/_/result",
		"x\ny":          "brine/reactor/x_y/result",
		"web-1.example": "brine/reactor/web-1.example/result",
	} {
		if got := ResultTag(id); got != want {
			t.Errorf("ResultTag(%q) = %q, want %q", id, got, want)
		}
	}
	long := strings.Repeat("é", 100)
	if got := ResultTag(long); len(got) > len("brine/reactor//result")+128 || !strings.HasSuffix(got, "é/result") {
		t.Errorf("long id: %q", got)
	}
}
