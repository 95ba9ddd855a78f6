package api

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

const ghSecret = "s3cret-gh"
const ciToken = "t0ken-ci"

func hookConfig() *Config {
	return &Config{
		MaxBody: 4096,
		Hooks: []Hook{
			{Path: "deploy/open", Auth: AuthNone},
			{Path: "deploy/*", Auth: AuthGitHub, Secret: ghSecret},
			{Path: "ci/*", Auth: AuthToken, Secret: ciToken},
			{Path: "public", Auth: AuthNone},
		},
	}
}

func ghSign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// expectOnlyRejected checks that the one event fired is a rejection that
// carries neither the secret nor the body.
func expectOnlyRejected(t *testing.T, fb *fakeBackend, path, auth string, secrets ...string) {
	t.Helper()
	fired := fb.Fired()
	if len(fired) != 1 || fired[0].Tag != TagHookRejected {
		t.Fatalf("fired %v, want only %s", fired, TagHookRejected)
	}
	d := fired[0].Data
	if d["path"] != path || d["auth"] != auth || d["reason"] == "" || d["remote"] == "" {
		t.Fatalf("rejected event data %v", d)
	}
	if len(d) != 4 {
		t.Fatalf("rejected event has extra fields: %v", d)
	}
	data, _ := json.Marshal(d)
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Fatalf("rejected event %s carries %q", data, s)
		}
	}
}

func expectHookEvent(t *testing.T, fb *fakeBackend, path string) map[string]any {
	t.Helper()
	fired := fb.Fired()
	if len(fired) != 1 || fired[0].Tag != TagHookPrefix+path {
		t.Fatalf("fired %v, want only %s", fired, TagHookPrefix+path)
	}
	return fired[0].Data
}

func TestHookGitHub(t *testing.T) {
	e := newEnv(t, hookConfig())
	body := []byte(`{"ref":"refs/heads/main","repository":{"name":"php-web-host"}}`)

	r := e.do("POST", "/hook/deploy/php-web-host", body, map[string]string{
		"Content-Type":        "application/json",
		"X-Hub-Signature-256": ghSign(ghSecret, body),
		"X-Hub-Signature":     "sha1=0000",
		"X-GitHub-Event":      "push",
		"Authorization":       "Bearer x",
		"Cookie":              "a=b",
	})
	expectStatus(t, r, 200, `{"success":true}`)
	d := expectHookEvent(t, e.fb, "deploy/php-web-host")
	if d["body"] != string(body) {
		t.Fatalf("body %q", d["body"])
	}
	post := d["post"].(map[string]any)
	if post["ref"] != "refs/heads/main" {
		t.Fatalf("post %v", post)
	}
	headers := d["headers"].(map[string]any)
	if headers["X-Github-Event"] != "push" || headers["Content-Type"] != "application/json" || headers["Host"] == nil {
		t.Fatalf("headers %v", headers)
	}
	for _, h := range []string{"X-Hub-Signature-256", "X-Hub-Signature", "Authorization", "Cookie"} {
		if _, ok := headers[h]; ok {
			t.Fatalf("header %s reached the event", h)
		}
	}
	if src, _ := d["_source"].(string); !strings.HasPrefix(src, "127.0.0.1:") {
		t.Fatalf("_source %v", d["_source"])
	}

	altered := append([]byte(nil), body...)
	altered[10] ^= 1
	for name, tc := range map[string]struct {
		body []byte
		sig  string
	}{
		"missing":       {body, ""},
		"wrong secret":  {body, ghSign("other", body)},
		"one byte":      {altered, ghSign(ghSecret, body)},
		"not hex":       {body, "sha256=zz"},
		"sha1 form":     {body, "sha1=" + strings.Repeat("0", 40)},
		"truncated sig": {body, ghSign(ghSecret, body)[:40]},
	} {
		t.Run(name, func(t *testing.T) {
			e.fb.reset()
			hdr := map[string]string{"Content-Type": "application/json"}
			if tc.sig != "" {
				hdr["X-Hub-Signature-256"] = tc.sig
			}
			r := e.do("POST", "/hook/deploy/php-web-host", tc.body, hdr)
			expectStatus(t, r, 403, "hook rejected")
			expectOnlyRejected(t, e.fb, "deploy/php-web-host", AuthGitHub, ghSecret, "refs/heads")
		})
	}
}

func TestHookToken(t *testing.T) {
	e := newEnv(t, hookConfig())
	form := url.Values{"payload": {`{"x":1}`}, "n": {"1", "2"}}
	r := e.do("POST", "/hook/ci/build", form, map[string]string{"X-Brine-Token": ciToken})
	expectStatus(t, r, 200)
	d := expectHookEvent(t, e.fb, "ci/build")
	post := d["post"].(map[string]any)
	if post["payload"] != `{"x":1}` || len(post["n"].([]any)) != 2 {
		t.Fatalf("post %v", post)
	}
	if _, ok := d["headers"].(map[string]any)["X-Brine-Token"]; ok {
		t.Fatal("X-Brine-Token reached the event")
	}
	for name, tok := range map[string]string{"bad": "t0ken-cj", "prefix": "t0ken", "missing": ""} {
		t.Run(name, func(t *testing.T) {
			e.fb.reset()
			hdr := map[string]string{}
			if tok != "" {
				hdr["X-Brine-Token"] = tok
			}
			expectStatus(t, e.do("POST", "/hook/ci/build", form, hdr), 403)
			expectOnlyRejected(t, e.fb, "ci/build", AuthToken, ciToken, "payload")
		})
	}
}

func TestHookNoneAndRouting(t *testing.T) {
	e := newEnv(t, hookConfig())
	// First match wins: deploy/open is auth none, listed before deploy/*.
	expectStatus(t, e.do("POST", "/hook/deploy/open", "plain text", nil), 200)
	d := expectHookEvent(t, e.fb, "deploy/open")
	if d["body"] != "plain text" || len(d["post"].(map[string]any)) != 0 {
		t.Fatalf("event %v", d)
	}

	e.fb.reset()
	expectStatus(t, e.do("POST", "/hook/public/", map[string]any{"a": 1}, nil), 200)
	expectHookEvent(t, e.fb, "public")

	// Unconfigured paths are refused and fire nothing.
	for _, p := range []string{"/hook/other", "/hook/public/x", "/hook/", "/hook/deployx", "/hook/" + strings.Repeat("a", 300)} {
		e.fb.reset()
		r := e.do("POST", p, "{}", nil)
		expectStatus(t, r, 404)
		if p != "/hook/" && !strings.Contains(string(r.Body), "no hook configured for path") {
			t.Fatalf("%s: %s", p, r.Body)
		}
		if f := e.fb.Fired(); len(f) != 0 {
			t.Fatalf("%s fired %v", p, f)
		}
	}
	// Hooks need no login, but other methods are not hooks.
	expectStatus(t, e.do("GET", "/hook/public", nil, nil), 405)

	// Too large.
	e.fb.reset()
	big := strings.Repeat("x", 5000)
	expectStatus(t, e.do("POST", "/hook/deploy/web", big, map[string]string{"X-Hub-Signature-256": ghSign(ghSecret, []byte(big))}), 413)
	expectOnlyRejected(t, e.fb, "deploy/web", AuthGitHub, ghSecret, "xxxx")
}

func TestHookNoHooks(t *testing.T) {
	e := newEnv(t, &Config{})
	expectStatus(t, e.do("POST", "/hook/anything", "{}", nil), 404, "no hook configured for path")
	if f := e.fb.Fired(); len(f) != 0 {
		t.Fatalf("fired %v", f)
	}
}

func TestRejectedEventsRateLimited(t *testing.T) {
	e := newEnv(t, hookConfig())
	now := time.Now()
	e.s.now = func() time.Time { return now }
	for range 150 {
		expectStatus(t, e.do("POST", "/hook/ci/x", "{}", nil), 403)
	}
	if n := len(e.fb.Fired()); n != 100 {
		t.Fatalf("%d rejected events, want the burst of 100", n)
	}
	now = now.Add(time.Second)
	for range 50 {
		expectStatus(t, e.do("POST", "/hook/ci/x", "{}", nil), 403)
	}
	if n := len(e.fb.Fired()); n != 120 {
		t.Fatalf("%d rejected events, want 120", n)
	}
}

func ghSign1(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// X-Hub-Signature (HMAC-SHA1) is accepted only by a hook that says
// algorithms: [sha1, sha256], and only when X-Hub-Signature-256 is absent;
// a hook with the default (sha256 only) refuses it.
func TestHookGitHubSHA1(t *testing.T) {
	cfg := &Config{Hooks: []Hook{
		{Path: "legacy/*", Auth: AuthGitHub, Secret: ghSecret, Algorithms: []string{AlgSHA1, AlgSHA256}},
		{Path: "modern/*", Auth: AuthGitHub, Secret: ghSecret},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, cfg)
	// GitHub deliveries are de-duplicated by body: each case has its own.
	var body []byte
	for i, tc := range []struct {
		name, path string
		hdr        map[string]string
		status     int
		reason     string
	}{
		{"sha1 accepted", "legacy/a", map[string]string{"X-Hub-Signature": "sha1"}, 200, ""},
		{"sha256 still accepted", "legacy/a", map[string]string{"X-Hub-Signature-256": "sha256"}, 200, ""},
		{"sha1 wrong secret", "legacy/a", map[string]string{"X-Hub-Signature": "sha1-other"}, 403, "signature mismatch"},
		{"sha1 not hex", "legacy/a", map[string]string{"X-Hub-Signature": "sha1=zz"}, 403, "X-Hub-Signature is not sha1="},
		{"sha256 form in sha1 header", "legacy/a", map[string]string{"X-Hub-Signature": "sha256"}, 403, "X-Hub-Signature is not sha1="},
		// With both, the sha256 signature decides: a good sha1 does not
		// rescue a bad sha256.
		{"bad sha256 beside good sha1", "legacy/a", map[string]string{"X-Hub-Signature-256": "sha256-other", "X-Hub-Signature": "sha1"}, 403, "signature mismatch"},
		{"sha1 refused by default", "modern/a", map[string]string{"X-Hub-Signature": "sha1"}, 403, "does not accept the sha1"},
		{"sha256 by default", "modern/a", map[string]string{"X-Hub-Signature-256": "sha256"}, 200, ""},
	} {
		body = []byte(fmt.Sprintf(`{"ref":"refs/heads/main","case":%d}`, i))
		for k, v := range tc.hdr {
			switch v {
			case "sha1":
				tc.hdr[k] = ghSign1(ghSecret, body)
			case "sha1-other":
				tc.hdr[k] = ghSign1("other", body)
			case "sha256":
				tc.hdr[k] = ghSign(ghSecret, body)
			case "sha256-other":
				tc.hdr[k] = ghSign("other", body)
			}
		}
		t.Run(tc.name, func(t *testing.T) {
			e.fb.reset()
			r := e.do("POST", "/hook/"+tc.path, body, tc.hdr)
			if tc.status == 200 {
				expectStatus(t, r, 200, `{"success":true}`)
				expectHookEvent(t, e.fb, tc.path)
				return
			}
			expectStatus(t, r, tc.status, tc.reason)
			expectOnlyRejected(t, e.fb, tc.path, AuthGitHub, ghSecret)
		})
	}
}

// A hook with auth none checks no signature, so GitHub's signature headers
// reach the event for a reactor to check (seed 003's reactor reads
// X-Hub-Signature); credentials still do not.
func TestHookNoneKeepsSignatureHeaders(t *testing.T) {
	e := newEnv(t, hookConfig())
	body := []byte(`{"ref":"refs/heads/main"}`)
	r := e.do("POST", "/hook/deploy/open", body, map[string]string{
		"X-Hub-Signature":     ghSign1(ghSecret, body),
		"X-Hub-Signature-256": ghSign(ghSecret, body),
		"Authorization":       "Bearer x",
		"Cookie":              "a=b",
	})
	expectStatus(t, r, 200)
	headers := expectHookEvent(t, e.fb, "deploy/open")["headers"].(map[string]any)
	if headers["X-Hub-Signature"] != ghSign1(ghSecret, body) || headers["X-Hub-Signature-256"] != ghSign(ghSecret, body) {
		t.Errorf("signature headers: %v", headers)
	}
	for _, h := range []string{"Authorization", "Cookie"} {
		if _, ok := headers[h]; ok {
			t.Errorf("header %s reached the event", h)
		}
	}
}
