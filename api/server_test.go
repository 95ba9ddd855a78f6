package api

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// aclConfig has users for the ACL tests; every password is "pw".
func aclConfig(t *testing.T) *Config {
	pw := bcryptHash(t, "pw")
	return &Config{Users: map[string]User{
		"web": {Password: pw, ACL: []ACLRule{{Target: "web*", Functions: []string{"test.*", "grains.items"}}}},
		"grainy": {Password: argon2Hash("pw"), ACL: []ACLRule{
			{Target: "G@roles:web", Functions: []string{"state.apply"}},
			{Target: "db1", Functions: []string{"cmd.run"}},
		}},
		"runner": {Password: pw, ACL: []ACLRule{{Target: "*", Functions: []string{"@runner:manage.*"}}}},
		"wheel":  {Password: pw, ACL: []ACLRule{{Target: "*", Functions: []string{"@wheel", "@jobs"}}}},
		"admin":  {Password: pw, ACL: []ACLRule{{Target: "*", Functions: []string{"*", "@runner", "@wheel"}}}},
		"nobody": {Password: pw},
	}}
}

func TestLogin(t *testing.T) {
	cfg := &Config{Users: map[string]User{
		"alice": {Password: bcryptHash(t, "s3cret"), ACL: []ACLRule{{Target: "web*", Functions: []string{"test.*", "@runner"}}}},
		"bob":   {Password: argon2Hash("hunter2")},
	}}
	e := newEnv(t, cfg)

	r := e.do("POST", "/login", map[string]any{"username": "alice", "password": "s3cret", "eauth": "pam"}, nil)
	expectStatus(t, r, 200)
	ret := r.JSON["return"].([]any)[0].(map[string]any)
	tok := ret["token"].(string)
	if len(tok) != 64 || ret["user"] != "alice" || ret["eauth"] != "brine" || r.Header.Get("X-Auth-Token") != tok {
		t.Fatalf("login return %v", ret)
	}
	if start, expire := ret["start"].(float64), ret["expire"].(float64); expire-start < 12*3600-1 || expire-start > 12*3600+1 {
		t.Fatalf("start %v expire %v: want 12h apart", start, expire)
	}
	perms, _ := json.Marshal(ret["perms"])
	if string(perms) != `[{"web*":["test.*"]},"@runner"]` {
		t.Fatalf("perms %s", perms)
	}

	// argon2id, as a form.
	r = e.do("POST", "/login", url.Values{"username": {"bob"}, "password": {"hunter2"}, "eauth": {"auto"}}, nil)
	expectStatus(t, r, 200, `"user":"bob"`)

	// Operator token.
	r = e.do("POST", "/login", map[string]any{"token": testOpToken}, nil)
	expectStatus(t, r, 200, `"user":"operator"`, `"@wheel"`)

	if n := len(e.fb.Fired()); n != 0 {
		t.Fatalf("successful logins fired %d events", n)
	}

	for _, bad := range []any{
		map[string]any{"username": "alice", "password": "wrong"},
		map[string]any{"username": "bob", "password": "s3cret"},
		map[string]any{"username": "mallory", "password": "s3cret"},
		map[string]any{"username": "alice"},
		map[string]any{"token": "not-the-operator-token"},
	} {
		e.fb.reset()
		r := e.do("POST", "/login", bad, nil)
		expectStatus(t, r, 401, "Could not authenticate")
		fired := e.fb.Fired()
		if len(fired) != 1 || fired[0].Tag != TagAuthFailed {
			t.Fatalf("%v: fired %v", bad, fired)
		}
		data, _ := json.Marshal(fired[0].Data)
		if strings.Contains(string(data), "wrong") || strings.Contains(string(data), "s3cret") || strings.Contains(string(data), "not-the-operator") {
			t.Fatalf("auth failed event carries a secret: %s", data)
		}
		if fired[0].Data["remote"] == "" {
			t.Fatalf("no remote in %s", data)
		}
	}
}

func TestTokenRequired(t *testing.T) {
	e := newEnv(t, aclConfig(t))
	for _, ep := range []struct{ method, path string }{
		{"GET", "/minions"}, {"GET", "/minions/web1"}, {"GET", "/jobs"}, {"GET", "/jobs/1"},
		{"GET", "/keys"}, {"GET", "/events"}, {"POST", "/"}, {"POST", "/minions"}, {"POST", "/logout"},
	} {
		for _, tok := range []string{"", "deadbeef"} {
			var body any
			if ep.method == "POST" {
				body = []any{map[string]any{"client": "local", "tgt": "*", "fun": "test.ping"}}
			}
			r := e.do(ep.method, ep.path, body, tokenHeader(tok))
			expectStatus(t, r, 401)
		}
	}
	if calls := e.fb.Calls(); len(calls) != 0 {
		t.Fatalf("unauthenticated requests reached the backend: %v", calls)
	}

	tok := e.login("admin", "pw")
	expectStatus(t, e.do("GET", "/minions", nil, tokenHeader(tok)), 200)

	// Expiry: move the clock past the TTL.
	e.s.now = func() time.Time { return time.Now().Add(DefaultTokenTTL + time.Minute) }
	expectStatus(t, e.do("GET", "/minions", nil, tokenHeader(tok)), 401)
	e.s.now = time.Now

	// Logout clears the token.
	tok = e.login("admin", "pw")
	expectStatus(t, e.do("POST", "/logout", nil, tokenHeader(tok)), 200)
	expectStatus(t, e.do("GET", "/minions", nil, tokenHeader(tok)), 401)

	// An operator session ends when the operator credential changes.
	tok = e.operator()
	expectStatus(t, e.do("GET", "/keys", nil, tokenHeader(tok)), 200)
	e.fb.mu.Lock()
	e.fb.opToken = "rotated"
	e.fb.mu.Unlock()
	expectStatus(t, e.do("GET", "/keys", nil, tokenHeader(tok)), 401)
}

func lowstate(client, tgt, fun string) []any {
	c := map[string]any{"client": client, "fun": fun}
	if tgt != "" {
		c["tgt"] = tgt
	}
	return []any{c}
}

func TestACL(t *testing.T) {
	e := newEnv(t, aclConfig(t))
	toks := map[string]string{}
	for _, u := range []string{"web", "grainy", "runner", "wheel", "admin", "nobody"} {
		toks[u] = e.login(u, "pw")
	}
	toks["operator"] = e.operator()

	for _, tc := range []struct {
		user  string
		chunk map[string]any
		allow bool
	}{
		{"web", map[string]any{"client": "local", "tgt": "web1", "fun": "test.ping"}, true},
		{"web", map[string]any{"client": "local", "tgt": "web*", "fun": "test.ping"}, true},
		{"web", map[string]any{"client": "local_async", "tgt": "web-[0-9]?", "fun": "test.echo"}, true},
		{"web", map[string]any{"client": "local", "tgt": "web1,web2", "tgt_type": "list", "fun": "test.ping"}, true},
		{"web", map[string]any{"client": "local", "tgt": "web1,db1", "tgt_type": "list", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "db1", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "*", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "we*", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "*web*", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "web1", "fun": "cmd.run"}, false},
		{"web", map[string]any{"client": "local", "tgt": "web1 or db1", "tgt_type": "compound", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "web.*", "tgt_type": "pcre", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "roles:web", "tgt_type": "grain", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "local", "tgt": "web1", "expr_form": "pcre", "fun": "test.ping"}, false},
		{"web", map[string]any{"client": "runner", "fun": "manage.up"}, false},
		{"web", map[string]any{"client": "wheel", "fun": "key.list_all"}, false},
		{"grainy", map[string]any{"client": "local", "tgt": "roles:web", "tgt_type": "grain", "fun": "state.apply"}, true},
		{"grainy", map[string]any{"client": "local", "tgt": "G@roles:web", "tgt_type": "compound", "fun": "state.apply"}, true},
		{"grainy", map[string]any{"client": "local", "tgt": "roles:db", "tgt_type": "grain", "fun": "state.apply"}, false},
		{"grainy", map[string]any{"client": "local", "tgt": "roles:web", "tgt_type": "grain", "fun": "cmd.run"}, false},
		{"grainy", map[string]any{"client": "local", "tgt": "db1", "fun": "cmd.run"}, true},
		{"grainy", map[string]any{"client": "local", "tgt": "db1", "tgt_type": "pcre", "fun": "cmd.run"}, false},
		{"runner", map[string]any{"client": "runner", "fun": "manage.up"}, true},
		{"runner", map[string]any{"client": "runner", "fun": "jobs.list_jobs"}, false},
		{"runner", map[string]any{"client": "wheel", "fun": "key.accept", "match": "web1"}, false},
		{"runner", map[string]any{"client": "local", "tgt": "*", "fun": "test.ping"}, false},
		{"wheel", map[string]any{"client": "wheel", "fun": "key.accept", "match": "web1"}, true},
		{"wheel", map[string]any{"client": "runner", "fun": "jobs.lookup_jid"}, true},
		{"wheel", map[string]any{"client": "runner", "fun": "manage.up"}, false},
		{"admin", map[string]any{"client": "local", "tgt": "roles:db", "tgt_type": "grain", "fun": "cmd.run"}, true},
		{"admin", map[string]any{"client": "runner", "fun": "cloud.create"}, true},
		{"admin", map[string]any{"client": "wheel", "fun": "key.delete"}, true},
		{"nobody", map[string]any{"client": "local", "tgt": "web1", "fun": "test.ping"}, false},
		{"operator", map[string]any{"client": "local", "tgt": "x", "tgt_type": "expr", "fun": "cmd.run"}, true},
		{"operator", map[string]any{"client": "wheel", "fun": "key.delete"}, true},
	} {
		name := fmt.Sprintf("%s %v", tc.user, tc.chunk)
		e.fb.resetCalls()
		r := e.do("POST", "/", []any{tc.chunk}, tokenHeader(toks[tc.user]))
		calls := e.fb.Calls()
		if tc.allow {
			if r.Status != 200 || len(calls) != 1 {
				t.Errorf("%s: want allowed, got %d %s (calls %v)", name, r.Status, r.Body, calls)
			}
			continue
		}
		if r.Status != 403 || len(calls) != 0 {
			t.Errorf("%s: want 403 and nothing run, got %d %s (calls %v)", name, r.Status, r.Body, calls)
		}
		if !strings.Contains(string(r.Body), "may not run") {
			t.Errorf("%s: unclear message %s", name, r.Body)
		}
	}

	// One denied chunk stops them all.
	e.fb.resetCalls()
	r := e.do("POST", "/", []any{
		map[string]any{"client": "local", "tgt": "web1", "fun": "test.ping"},
		map[string]any{"client": "local", "tgt": "db1", "fun": "test.ping"},
	}, tokenHeader(toks["web"]))
	expectStatus(t, r, 403, "chunk 1")
	if calls := e.fb.Calls(); len(calls) != 0 {
		t.Fatalf("ran %v", calls)
	}
}

func TestLowstate(t *testing.T) {
	e := newEnv(t, aclConfig(t))
	tok := e.login("admin", "pw")
	h := tokenHeader(tok)

	r := e.do("POST", "/", []any{
		map[string]any{"client": "local", "tgt": "web*", "fun": "test.echo", "arg": []any{"hi"}, "kwarg": map[string]any{"k": "v"}, "timeout": 3},
		map[string]any{"client": "local_async", "tgt": "web1,web2", "expr_form": "list", "fun": "test.ping"},
		map[string]any{"client": "runner", "fun": "jobs.lookup_jid", "jid": "20260101000000000001"},
		map[string]any{"client": "wheel", "fun": "key.list_all"},
	}, h)
	expectStatus(t, r, 200)
	got, _ := json.Marshal(r.JSON["return"])
	want := `[{"web1":true},{"jid":"20260101000000000001","minions":["web1","web2"]},["web1"],` +
		`{"data":{"fun":"wheel.key.list_all","return":{"minions":["web1","db1"],"minions_pre":[]},"success":true,"user":"admin"},"tag":"wheel"}]`
	if string(got) != want {
		t.Fatalf("return\n %s\nwant\n %s", got, want)
	}
	calls := e.fb.Calls()
	if len(calls) != 4 {
		t.Fatalf("calls %v", calls)
	}
	if c := calls[0]; c.User != "admin" || c.Tgt != "web*" || c.TgtType != "glob" || c.Fun != "test.echo" ||
		c.Arg[0] != "hi" || c.Kwarg["k"] != "v" || c.Timeout != 3*time.Second {
		t.Fatalf("local call %+v", c)
	}
	if c := calls[1]; c.Method != "LocalAsync" || c.TgtType != "list" {
		t.Fatalf("local_async call %+v", c)
	}
	if c := calls[2]; c.Method != "Runner" || c.Kwarg["jid"] != "20260101000000000001" {
		t.Fatalf("runner call %+v", c)
	}

	// A single chunk as a form, as salt-api takes it.
	e.fb.resetCalls()
	r = e.do("POST", "/", url.Values{"client": {"local"}, "tgt": {"web1"}, "fun": {"test.arg"}, "arg": {"a"}}, h)
	expectStatus(t, r, 200)
	if c := e.fb.Calls()[0]; c.Timeout != DefaultLocalTimeout || len(c.Arg) != 1 || c.Arg[0] != "a" {
		t.Fatalf("form call %+v", c)
	}

	// Backend errors choose the status.
	e.fb.err = fmt.Errorf("no minion matches: %w", ErrInvalid)
	expectStatus(t, e.do("POST", "/", lowstate("local", "zz", "test.ping"), h), 400, "chunk 0: no minion matches")
	e.fb.err = errors.New("bus down")
	expectStatus(t, e.do("POST", "/", lowstate("runner", "", "manage.up"), h), 500, "bus down")
	e.fb.err = nil
}

func TestLowstateValidation(t *testing.T) {
	cfg := aclConfig(t)
	cfg.MaxBody = 2048
	e := newEnv(t, cfg)
	h := tokenHeader(e.login("admin", "pw"))
	for _, tc := range []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"unknown client", lowstate("ssh", "*", "test.ping"), 400, `chunk 0: unknown client \"ssh\"`},
		{"missing client", []any{map[string]any{"tgt": "*", "fun": "test.ping"}}, 400, "chunk 0: missing field client"},
		{"missing fun", lowstate("local", "*", ""), 400, "chunk 0: missing field fun"},
		{"missing tgt", lowstate("local", "", "test.ping"), 400, "chunk 0: missing field tgt"},
		{"missing tgt async", lowstate("local_async", "", "test.ping"), 400, "missing field tgt"},
		{"second chunk", append(lowstate("local", "*", "test.ping"), map[string]any{"client": "local", "tgt": "*"}), 400, "chunk 1: missing field fun"},
		{"bad fun", lowstate("local", "*", "rm -rf"), 400, "field fun"},
		{"fun type", []any{map[string]any{"client": "local", "tgt": "*", "fun": 3}}, 400, "field fun must be a string"},
		{"kwarg type", []any{map[string]any{"client": "local", "tgt": "*", "fun": "test.ping", "kwarg": "x=1"}}, 400, "field kwarg must be an object"},
		{"unknown local field", []any{map[string]any{"client": "local", "tgt": "*", "fun": "test.ping", "batch": "10%"}}, 400, "unknown field batch"},
		{"tgt for runner", []any{map[string]any{"client": "runner", "tgt": "*", "fun": "manage.up"}}, 400, "field tgt applies to local clients only"},
		{"bad tgt_type", []any{map[string]any{"client": "local", "tgt": "*", "tgt_type": "magic", "fun": "test.ping"}}, 400, "field tgt_type"},
		{"bad timeout", []any{map[string]any{"client": "local", "tgt": "*", "fun": "test.ping", "timeout": -1}}, 400, "field timeout"},
		{"empty", []any{}, 400, "empty lowstate"},
		{"not a list", `"test.ping"`, 400, "lowstate"},
		{"chunk not object", []any{"test.ping"}, 400, "chunk 0: must be an object"},
		{"bad json", `[{"client":`, 400, "bad JSON"},
		{"too large", []any{map[string]any{"client": "local", "tgt": "*", "fun": "test.ping", "arg": []any{strings.Repeat("x", 4096)}}}, 413, "larger than 2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.fb.resetCalls()
			body := tc.body
			hdr := map[string]string{"X-Auth-Token": h["X-Auth-Token"]}
			if s, ok := body.(string); ok {
				hdr["Content-Type"] = "application/json"
				body = s
			}
			r := e.do("POST", "/", body, hdr)
			expectStatus(t, r, tc.status, tc.want)
			if calls := e.fb.Calls(); len(calls) != 0 {
				t.Fatalf("ran %v", calls)
			}
		})
	}
	r := e.do("POST", "/", "client: local", map[string]string{"X-Auth-Token": h["X-Auth-Token"], "Content-Type": "application/x-yaml"})
	expectStatus(t, r, 415, "application/json")
}

func TestMinionsJobsKeys(t *testing.T) {
	e := newEnv(t, aclConfig(t))
	admin := tokenHeader(e.login("admin", "pw"))
	web := tokenHeader(e.login("web", "pw"))
	wheel := tokenHeader(e.login("wheel", "pw"))

	r := e.do("GET", "/minions", nil, admin)
	expectStatus(t, r, 200, `"web1"`, `"db1"`)
	// A restricted user sees only the minions it may read.
	r = e.do("GET", "/minions", nil, web)
	expectStatus(t, r, 200, `"web1"`)
	if strings.Contains(string(r.Body), "db1") {
		t.Fatalf("web user sees db1: %s", r.Body)
	}
	expectStatus(t, e.do("GET", "/minions/web1", nil, web), 200, `{"return":[{"web1":{`)
	expectStatus(t, e.do("GET", "/minions/db1", nil, web), 403, "may not read the grains of db1")
	expectStatus(t, e.do("GET", "/minions/nosuch", nil, admin), 404, "nosuch")
	expectStatus(t, e.do("GET", "/minions", nil, wheel), 403, "grains.items")

	r = e.do("POST", "/minions", map[string]any{"tgt": "web1", "fun": "test.ping"}, web)
	expectStatus(t, r, 202, `"jid":"20260101000000000001"`, `"href":"/jobs/20260101000000000001"`)
	expectStatus(t, e.do("POST", "/minions", map[string]any{"tgt": "db1", "fun": "test.ping"}, web), 403)

	expectStatus(t, e.do("GET", "/jobs", nil, admin), 200, `"Function":"test.ping"`)
	expectStatus(t, e.do("GET", "/jobs/20260101000000000001", nil, wheel), 200, `"return":[{"db1":true,"web1":true}]`, `"Result":{"db1":{"return":true}`)
	expectStatus(t, e.do("GET", "/jobs", nil, web), 403, "@jobs")

	r = e.do("GET", "/keys", nil, wheel)
	expectStatus(t, r, 200, `{"return":{"minions":["web1","db1"],"minions_pre":[]}}`)
	e.fb.resetCalls()
	expectStatus(t, e.do("GET", "/keys/web1", nil, wheel), 200)
	if c := e.fb.Calls()[0]; c.Fun != "key.finger" || c.Kwarg["match"] != "web1" {
		t.Fatalf("keys/web1 call %+v", c)
	}
	expectStatus(t, e.do("GET", "/keys", nil, web), 403, "@wheel")

	expectStatus(t, e.do("GET", "/", nil, nil), 200, "Welcome")
}

func TestEventsStream(t *testing.T) {
	e := newEnv(t, aclConfig(t))
	tok := e.login("admin", "pw")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/events?token="+tok, nil)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	readEvent := func() []string {
		var lines []string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v (so far %q)", err, lines)
			}
			line = strings.TrimSuffix(line, "\n")
			if line == "" {
				return lines
			}
			lines = append(lines, line)
		}
	}
	// The handler subscribes before it writes the retry line.
	if got := readEvent(); len(got) != 1 || got[0] != "retry: 400" {
		t.Fatalf("preamble %q", got)
	}
	e.fb.eventCh <- Event{Tag: "salt/job/1/new", Data: map[string]any{"minions": []any{"web1"}}}
	e.fb.eventCh <- Event{Tag: "salt/job/1/ret/web1", Data: map[string]any{"return": true}}
	want := [][]string{
		{"tag: salt/job/1/new", `data: {"data":{"minions":["web1"]},"tag":"salt/job/1/new"}`},
		{"tag: salt/job/1/ret/web1", `data: {"data":{"return":true},"tag":"salt/job/1/ret/web1"}`},
	}
	for _, w := range want {
		got := readEvent()
		if strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Fatalf("event %q, want %q", got, w)
		}
	}
}

func TestServeTLSAndShutdown(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	certFile, keyFile := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	if err := os.WriteFile(certFile, k.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, k.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := aclConfig(t)
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	fb := newFake()
	s := New(cfg, fb, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: k.pool}}}
	base := "https://" + ln.Addr().String()
	r, err := client.Post(base+"/login", "application/json", strings.NewReader(`{"username":"admin","password":"pw","eauth":"auto"}`))
	if err != nil {
		t.Fatal(err)
	}
	var lr struct {
		Return []struct{ Token string } `json:"return"`
	}
	json.NewDecoder(r.Body).Decode(&lr)
	r.Body.Close()
	if r.StatusCode != 200 || r.TLS == nil {
		t.Fatalf("login over TLS: %d", r.StatusCode)
	}

	// An open event stream must not hold up the shutdown.
	req, _ := http.NewRequest("GET", base+"/events", nil)
	req.Header.Set("X-Auth-Token", lr.Return[0].Token)
	er, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer er.Body.Close()
	line, err := bufio.NewReader(er.Body).ReadString('\n')
	if err != nil || line != "retry: 400\n" {
		t.Fatalf("stream start %q %v", line, err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestServeConfigError(t *testing.T) {
	s := New(&Config{Hooks: []Hook{{Path: "x", Auth: "magic"}}}, newFake(), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(context.Background(), ln); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Fatalf("Serve: %v", err)
	}
}
