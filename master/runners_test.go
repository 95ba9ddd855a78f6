package master

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/reactor"
	"github.com/brine-cm/brine/runners"
)

// A runner and a wheel function registered in this test file only: every
// caller reaches them with no other file touched.
func init() {
	runners.Register("brinetest.echo", `Echo word= and who ran it.`, func(_ context.Context, _ runners.Env, call runners.Call) (any, error) {
		word, ok := call.String(0, "word")
		if !ok {
			return nil, runners.BadArg("brinetest.echo needs word=")
		}
		return map[string]any{"word": word, "user": call.User}, nil
	})
	runners.RegisterWheel("brinetest.accepted", `Count the accepted keys.`, func(ctx context.Context, env runners.Env, call runners.Call) (any, error) {
		keys, err := runners.Need[runners.Keys](env, call, "key management")
		if err != nil {
			return nil, err
		}
		infos, err := keys.ListKeys(ctx)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, k := range infos {
			if k.State == proto.KeyAccepted {
				n++
			}
		}
		return map[string]any{"accepted": n, "user": call.User}, nil
	})
}

// ctl run, over the bus: the test runner, doc.runner listing it and an
// unknown runner's error.
func TestRegisteredRunnerOverBus(t *testing.T) {
	m, nc := newTestMaster(t)
	if err := m.subscribe(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := func(fun string, arg []any, kwarg map[string]any) (any, *proto.Error) {
		t.Helper()
		subj := proto.MasterSubject(proto.OpRunner)
		msg := operatorMsg(t, m.secrets.Operator, m.secrets.OperatorPub, subj, time.Now(), mustJSON(t, proto.RunnerRequest{Fun: fun, Arg: arg, Kwarg: kwarg}))
		resp, err := requestAs(nc, msg, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep proto.RunnerReply
		if err := json.Unmarshal(resp.Data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Return, rep.Error
	}
	if ret, perr := run("brinetest.echo", nil, map[string]any{"word": "hi"}); perr != nil || !reflect.DeepEqual(ret, map[string]any{"word": "hi", "user": "alice"}) {
		t.Errorf("brinetest.echo = %v, %v", ret, perr)
	}
	if _, perr := run("brinetest.echo", nil, nil); perr == nil || perr.Kind != proto.ErrBadArgument || perr.Message != "brinetest.echo needs word=" {
		t.Errorf("brinetest.echo without word: %+v", perr)
	}
	if ret, perr := run("doc.runner", []any{"brinetest"}, nil); perr != nil || !reflect.DeepEqual(ret, map[string]any{"brinetest.echo": "Echo word= and who ran it."}) {
		t.Errorf("doc.runner brinetest = %v, %v", ret, perr)
	}
	if ret, perr := run("doc.wheel", []any{"brinetest.*"}, nil); perr != nil || !reflect.DeepEqual(ret, map[string]any{"brinetest.accepted": "Count the accepted keys."}) {
		t.Errorf("doc.wheel brinetest.* = %v, %v", ret, perr)
	}
	all, perr := run("doc.runner", nil, nil)
	if perr != nil || all.(map[string]any)["brinetest.echo"] == nil || all.(map[string]any)["jobs.lookup_jid"] == nil {
		t.Errorf("doc.runner = %v, %v", all, perr)
	}
	if _, perr := run("brinetest.nope", nil, nil); perr == nil || perr.Kind != proto.ErrUnknownFunction || perr.Message != `runner "brinetest.nope" is not available` {
		t.Errorf("unknown runner: %+v", perr)
	}
	// A wheel function is not a runner.
	if _, perr := run("brinetest.accepted", nil, nil); perr == nil || perr.Kind != proto.ErrUnknownFunction || perr.Message != `runner "brinetest.accepted" is not available` {
		t.Errorf("wheel function as a runner: %+v", perr)
	}
}

// The API's lowstate client=runner and client=wheel reach the test
// functions; unknown names are a 400 naming them.
func TestRegisteredRunnerThroughAPI(t *testing.T) {
	m, _ := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	addMinion(t, m, "web2", proto.KeyPending, nil)
	srv := httptest.NewServer(api.New(&api.Config{}, apiBackend{m}, nil).Handler())
	t.Cleanup(srv.Close)
	sig, err := m.secrets.Operator.Sign([]byte(proto.OperatorTokenMessage))
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, tok string, body any) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(mustJSON(t, body)))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("X-Auth-Token", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/login", "", map[string]any{"token": base64.RawURLEncoding.EncodeToString(sig)})
	var login struct {
		Return []struct{ Token string } `json:"return"`
	}
	if err := json.Unmarshal([]byte(body), &login); code != 200 || err != nil || len(login.Return) != 1 {
		t.Fatalf("login: %d %s", code, body)
	}
	tok := login.Return[0].Token

	code, body = post("/", tok, []any{
		map[string]any{"client": "runner", "fun": "brinetest.echo", "word": "api"},
		map[string]any{"client": "wheel", "fun": "brinetest.accepted"},
		map[string]any{"client": "runner", "fun": "doc.runner", "arg": []any{"brinetest.echo"}},
	})
	want := `{"return":[{"user":"operator","word":"api"},` +
		`{"data":{"fun":"wheel.brinetest.accepted","return":{"accepted":1,"user":"operator"},"success":true,"user":"operator"},"tag":"wheel"},` +
		`{"brinetest.echo":"Echo word= and who ran it."}]}`
	if code != 200 || strings.TrimSpace(body) != want {
		t.Fatalf("lowstate: %d\n %s\nwant\n %s", code, body, want)
	}
	for _, c := range []struct {
		chunk map[string]any
		want  string
	}{
		{map[string]any{"client": "runner", "fun": "brinetest.nope"}, `runner \"brinetest.nope\" is not available`},
		{map[string]any{"client": "wheel", "fun": "brinetest.nope"}, `wheel \"brinetest.nope\" is not available`},
		{map[string]any{"client": "runner", "fun": "brinetest.echo"}, `brinetest.echo needs word=`},
	} {
		if code, body := post("/", tok, []any{c.chunk}); code != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%v: %d %s", c.chunk, code, body)
		}
	}
}

// A reactor's runner.* and wheel.* reactions reach the test functions.
func TestRegisteredRunnerFromReactor(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	dir := t.TempDir()
	file := filepath.Join(dir, "react.sls")
	if err := os.WriteFile(file, []byte(`echo:
  runner.brinetest.echo:
    - word: {{ data.word }}
count:
  wheel.brinetest.accepted: []
nope:
  runner.brinetest.nope: []
`), 0o644); err != nil {
		t.Fatal(err)
	}
	m.cfg.Reactor = []map[string][]string{{"brinetest/go": {file}}}
	results := subscribeSync(t, nc, strings.Replace(proto.EventSubject(reactor.ResultTag("id")), ".id.", ".*.", 1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.startReactor(ctx); err != nil {
		t.Fatal(err)
	}
	m.fire("brinetest/go", map[string]any{"word": "reacted"})
	got := map[string]map[string]any{}
	for range 3 {
		ev := nextEvent(t, results)
		got[ev.Data["reaction"].(string)] = ev.Data
	}
	if ev := got["echo"]; ev["success"] != true || !reflect.DeepEqual(ev["result"], map[string]any{"word": "reacted", "user": "reactor"}) {
		t.Errorf("echo: %v", ev)
	}
	if ev := got["count"]; ev["success"] != true || !reflect.DeepEqual(ev["result"], map[string]any{"accepted": float64(1), "user": "reactor"}) {
		t.Errorf("count: %v", ev)
	}
	if ev := got["nope"]; ev["success"] != false || !strings.Contains(ev["error"].(string), `runner "brinetest.nope" is not available`) {
		t.Errorf("nope: %v", ev)
	}
}

// A master schedule entry runs the test runner; one naming an unknown
// runner stops the master from starting.
func TestRegisteredRunnerFromSchedule(t *testing.T) {
	m, nc := newTestMaster(t)
	results := subscribeSync(t, nc, proto.SubjectEvent+".brine.schedule.*.result")
	m.cfg.Schedule = map[string]any{"echo": map[string]any{"function": "brinetest.echo", "kwargs": map[string]any{"word": "tick"}, "hours": 1, "run_on_start": true}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.startSchedule(ctx); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, results)
	if ev.Data["success"] != true || !reflect.DeepEqual(ev.Data["return"], map[string]any{"word": "tick", "user": "schedule:echo"}) {
		t.Errorf("schedule result: %v", ev.Data)
	}
	m2, _ := newTestMaster(t)
	m2.cfg.Schedule = map[string]any{"nope": map[string]any{"function": "brinetest.nope", "hours": 1}}
	if err := m2.startSchedule(ctx); err == nil || !strings.Contains(err.Error(), `runner "brinetest.nope" is not available`) {
		t.Errorf("unknown runner in the schedule: %v", err)
	}
}

// An orchestration's salt.runner and salt.wheel states reach the test
// functions.
func TestRegisteredRunnerFromOrchestration(t *testing.T) {
	m, _ := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "orch"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "orch", "brinetest.sls"), []byte(`echo:
  salt.runner:
    - name: brinetest.echo
    - word: orchestrated
count:
  salt.wheel:
    - name: brinetest.accepted
`), 0o644); err != nil {
		t.Fatal(err)
	}
	m.cfg.FileRoots = map[string][]string{"base": {dir}}
	ret, err := m.runner(context.Background(), "alice", "state.orchestrate", []any{"orch.brinetest"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := mustJSON(t, ret)
	for _, want := range []string{`"retcode":0`, `"return":{"user":"alice","word":"orchestrated"}`, `"return":{"accepted":1,"user":"alice"}`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("orchestration return lacks %s: %s", want, out)
		}
	}
}

// The master's capabilities behind the built-in runners and wheel
// functions work on its real store.
func TestRunnerEnvOnTheStore(t *testing.T) {
	m, _ := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	addMinion(t, m, "web2", proto.KeyPending, nil)
	ctx := context.Background()
	jid, _, err := apiBackend{m}.LocalAsync(ctx, "alice", "web1", "glob", "test.ping", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := m.runner(ctx, "bob", "jobs.list_jobs", nil, nil)
	if j, _ := list.(map[string]any)[jid].(map[string]any); err != nil || j["Function"] != "test.ping" || j["User"] != "alice" {
		t.Errorf("jobs.list_jobs = %v, %v", list, err)
	}
	if rets, err := m.runner(ctx, "bob", "jobs.lookup_jid", []any{jid}, nil); err != nil || !reflect.DeepEqual(rets, map[string]any{}) {
		t.Errorf("jobs.lookup_jid of a job with no returns = %v, %v", rets, err)
	}
	if _, err := m.runner(ctx, "bob", "jobs.lookup_jid", []any{"20000101000000000000"}, nil); errKind(err) != proto.ErrNotFound {
		t.Errorf("jobs.lookup_jid of an unknown job: %v", err)
	}
	if got, err := m.wheel(ctx, "bob", "key.accept", nil, map[string]any{"match": "web*"}); err != nil || !reflect.DeepEqual(got, proto.KeyActionReply{Changed: []string{"web2"}}) {
		t.Errorf("key.accept = %v, %v", got, err)
	}
	all, err := m.wheel(ctx, "bob", "key.list_all", nil, nil)
	if err != nil || !reflect.DeepEqual(all.(map[string]any)[proto.KeyAccepted], []string{"web1", "web2"}) {
		t.Errorf("key.list_all = %v, %v", all, err)
	}
	if _, err := m.wheel(ctx, "bob", "key.nope", nil, nil); errKind(err) != proto.ErrUnknownFunction || err.Error() != `wheel "key.nope" is not available` {
		t.Errorf("unknown wheel function: %v", err)
	}
}
