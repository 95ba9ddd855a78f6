package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// call is one Backend call the fake recorded.
type call struct {
	Method  string
	User    string
	Tgt     string
	TgtType string
	Fun     string
	Arg     []any
	Kwarg   map[string]any
	Timeout time.Duration
	ID      string
}

type fakeBackend struct {
	mu      sync.Mutex
	calls   []call
	fired   []Event
	opToken string
	eventCh chan Event
	err     error // returned by every call when set
}

const testOpToken = "op-token-0123456789"

func newFake() *fakeBackend {
	return &fakeBackend{opToken: testOpToken, eventCh: make(chan Event)}
}

func (f *fakeBackend) record(c call) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

func (f *fakeBackend) reset() {
	f.mu.Lock()
	f.fired = nil
	f.mu.Unlock()
}

func (f *fakeBackend) resetCalls() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

func (f *fakeBackend) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeBackend) Fired() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.fired...)
}

func (f *fakeBackend) Local(ctx context.Context, user, tgt, tgtType, fun string, arg []any, kwarg map[string]any, timeout time.Duration) (map[string]any, []string, error) {
	f.record(call{Method: "Local", User: user, Tgt: tgt, TgtType: tgtType, Fun: fun, Arg: arg, Kwarg: kwarg, Timeout: timeout})
	if f.err != nil {
		return nil, nil, f.err
	}
	return map[string]any{"web1": true}, []string{"web2"}, nil
}

func (f *fakeBackend) LocalAsync(ctx context.Context, user, tgt, tgtType, fun string, arg []any, kwarg map[string]any) (string, []string, error) {
	f.record(call{Method: "LocalAsync", User: user, Tgt: tgt, TgtType: tgtType, Fun: fun, Arg: arg, Kwarg: kwarg})
	if f.err != nil {
		return "", nil, f.err
	}
	return "20260101000000000001", []string{"web1", "web2"}, nil
}

func (f *fakeBackend) Runner(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error) {
	f.record(call{Method: "Runner", User: user, Fun: fun, Arg: arg, Kwarg: kwarg})
	if f.err != nil {
		return nil, f.err
	}
	return []any{"web1"}, nil
}

func (f *fakeBackend) Wheel(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error) {
	f.record(call{Method: "Wheel", User: user, Fun: fun, Arg: arg, Kwarg: kwarg})
	if f.err != nil {
		return nil, f.err
	}
	return map[string]any{"minions": []any{"web1", "db1"}, "minions_pre": []any{}}, nil
}

func (f *fakeBackend) Minions(ctx context.Context, id string) (map[string]any, error) {
	f.record(call{Method: "Minions", ID: id})
	if f.err != nil {
		return nil, f.err
	}
	all := map[string]any{
		"web1": map[string]any{"id": "web1", "roles": []any{"web"}},
		"db1":  map[string]any{"id": "db1", "roles": []any{"db"}},
	}
	if id == "" {
		return all, nil
	}
	if g, ok := all[id]; ok {
		return map[string]any{id: g}, nil
	}
	return nil, fmt.Errorf("minion %s: %w", id, ErrNotFound)
}

// fakeJobs is the fake's job cache: a ping of web1 and db1, a cmd.run on
// db1 (its argument already redacted, as the master gives it) and a
// state.apply on web2.
func fakeJobs() []Job {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return []Job{
		{JID: "20260101000000000001", Function: "test.ping", Arguments: []any{}, Target: "*", TargetType: "glob", User: "root", StartTime: start,
			Minions: []string{"db1", "web1"}, Returns: map[string]any{"web1": true, "db1": true}},
		{JID: "20260101000000000002", Function: "cmd.run", Arguments: "<1 args>", Target: "db1", TargetType: "glob", User: "root", StartTime: start,
			Minions: []string{"db1"}, Returns: map[string]any{"db1": "secret output"}},
		{JID: "20260101000000000003", Function: "state.apply", Arguments: []any{}, Target: "roles:web", TargetType: "grain", User: "root", StartTime: start,
			Minions: []string{"web2"}, Returns: map[string]any{"web2": map[string]any{"ok": true}}},
	}
}

func (f *fakeBackend) Jobs(ctx context.Context) ([]Job, error) {
	f.record(call{Method: "Jobs"})
	var out []Job
	for _, j := range fakeJobs() {
		j.Returns = nil
		out = append(out, j)
	}
	return out, nil
}

func (f *fakeBackend) Job(ctx context.Context, jid string) (*Job, error) {
	f.record(call{Method: "Job", ID: jid})
	for _, j := range fakeJobs() {
		if j.JID == jid {
			return &j, nil
		}
	}
	return nil, fmt.Errorf("job %s: %w", jid, ErrNotFound)
}

// fakeGrains are the fake fleet's roles, for compound ACL targets.
var fakeRoles = map[string]string{"web1": "web", "web2": "web", "db1": "db"}

// Match evaluates the compound targets the tests use: G@roles:<role> and
// L@<id>,<id>.
func (f *fakeBackend) Match(ctx context.Context, tgt, tgtType string) ([]string, error) {
	f.record(call{Method: "Match", Tgt: tgt, TgtType: tgtType})
	var out []string
	switch {
	case tgtType != "compound":
		return nil, fmt.Errorf("unexpected target type %s", tgtType)
	case strings.HasPrefix(tgt, "G@roles:"):
		for id, role := range fakeRoles {
			if role == strings.TrimPrefix(tgt, "G@roles:") {
				out = append(out, id)
			}
		}
	case strings.HasPrefix(tgt, "L@"):
		out = strings.Split(strings.TrimPrefix(tgt, "L@"), ",")
	default:
		return nil, fmt.Errorf("%w: cannot evaluate %q", ErrInvalid, tgt)
	}
	return out, nil
}

func (f *fakeBackend) Fire(tag string, data map[string]any) {
	f.mu.Lock()
	f.fired = append(f.fired, Event{Tag: tag, Data: data})
	f.mu.Unlock()
}

func (f *fakeBackend) Events(ctx context.Context) (<-chan Event, error) {
	f.record(call{Method: "Events"})
	return f.eventCh, nil
}

func (f *fakeBackend) CheckOperatorToken(tok string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opToken != "" && tok == f.opToken
}

// --- password hashes -----------------------------------------------------

func bcryptHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func argon2Hash(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 1, 1024, 1, 32)
	return fmt.Sprintf("$argon2id$v=19$m=1024,t=1,p=1$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// --- servers and requests ---------------------------------------------------

type env struct {
	t   *testing.T
	s   *Server
	fb  *fakeBackend
	srv *httptest.Server
}

func newEnv(t *testing.T, cfg *Config) *env {
	t.Helper()
	fb := newFake()
	s := New(cfg, fb, nil)
	if s.err != nil {
		t.Fatalf("config: %v", s.err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, s: s, fb: fb, srv: srv}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (e *env) do(method, path string, body any, header map[string]string) resp {
	e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case url.Values:
		rd = strings.NewReader(b.Encode())
		ctype = "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
		ctype = "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	r, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	data, _ := io.ReadAll(r.Body)
	out := resp{Status: r.StatusCode, Header: r.Header, Body: data}
	_ = json.Unmarshal(data, &out.JSON)
	return out
}

// login returns a token for user/password, failing the test otherwise.
func (e *env) login(user, password string) string {
	e.t.Helper()
	r := e.do("POST", "/login", map[string]any{"username": user, "password": password, "eauth": "auto"}, nil)
	if r.Status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.Status, r.Body)
	}
	return r.JSON["return"].([]any)[0].(map[string]any)["token"].(string)
}

func (e *env) operator() string {
	e.t.Helper()
	r := e.do("POST", "/login", map[string]any{"token": testOpToken}, nil)
	if r.Status != 200 {
		e.t.Fatalf("operator login: %d %s", r.Status, r.Body)
	}
	return r.JSON["return"].([]any)[0].(map[string]any)["token"].(string)
}

func tokenHeader(tok string) map[string]string { return map[string]string{"X-Auth-Token": tok} }

// expectStatus fails unless r has status want and its body mentions each
// of words.
func expectStatus(t *testing.T, r resp, want int, words ...string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	for _, w := range words {
		if !strings.Contains(string(r.Body), w) {
			t.Fatalf("body %s does not mention %q", r.Body, w)
		}
	}
}
