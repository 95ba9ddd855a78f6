package api

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A GitHub delivery replayed with its valid signature fires nothing the
// second time, whether it keeps its X-GitHub-Delivery id or carries a new
// one; a new delivery fires.
func TestHookGitHubReplay(t *testing.T) {
	e := newEnv(t, hookConfig())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.s.now = func() time.Time { return now }
	send := func(delivery string, body []byte) resp {
		t.Helper()
		e.fb.reset()
		hdr := map[string]string{"Content-Type": "application/json", "X-Hub-Signature-256": ghSign(ghSecret, body), "X-GitHub-Event": "push"}
		if delivery != "" {
			hdr["X-GitHub-Delivery"] = delivery
		}
		return e.do("POST", "/hook/deploy/web", body, hdr)
	}
	push1 := []byte(`{"ref":"refs/heads/main","after":"f5d9859"}`)
	push2 := []byte(`{"ref":"refs/heads/main","after":"0a1b2c3"}`)

	expectStatus(t, send("72d3162e-cc78-11e3-81ab-4c9367dc0958", push1), 200, `{"success":true}`)
	expectHookEvent(t, e.fb, "deploy/web")
	for name, tc := range map[string]struct {
		delivery string
		body     []byte
	}{
		"same delivery":      {"72d3162e-cc78-11e3-81ab-4c9367dc0958", push1},
		"new delivery id":    {"00000000-0000-0000-0000-000000000001", push1},
		"no delivery id":     {"", push1},
		"known id, new body": {"72d3162e-cc78-11e3-81ab-4c9367dc0958", push2},
	} {
		r := send(tc.delivery, tc.body)
		expectStatus(t, r, 200, `"duplicate":true`)
		if f := e.fb.Fired(); len(f) != 0 {
			t.Fatalf("%s: a replay fired %v", name, f)
		}
	}
	// push2 was not acted on above (its delivery id was a replay): with its
	// own id it fires.
	expectStatus(t, send("8f9d2a3c-cc78-11e3-81ab-4c9367dc0958", push2), 200, `{"success":true}`)
	expectHookEvent(t, e.fb, "deploy/web")
	// A day later the first delivery is forgotten (memory is bounded).
	now = now.Add(githubReplayTTL + time.Minute)
	expectStatus(t, send("72d3162e-cc78-11e3-81ab-4c9367dc0958", push1), 200, `{"success":true}`)
	expectHookEvent(t, e.fb, "deploy/web")
	if n := len(e.s.github.m); n > githubReplaySize || n != 2 {
		t.Fatalf("%d remembered deliveries", n)
	}
}

// rawPost sends a request line as given, unnormalised by any client.
func rawPost(t *testing.T, srv *httptest.Server, path string) int {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Hook paths with . or .. segments, percent-encoded or not, are refused
// and fire nothing.
func TestHookDotSegments(t *testing.T) {
	e := newEnv(t, &Config{Hooks: []Hook{{Path: "*", Auth: AuthNone}}})
	for _, p := range []string{
		"/hook/a/../x", "/hook/../x", "/hook/./x", "/hook/a/.", "/hook/..",
		"/hook/a/%2e%2e/x", "/hook/a/%2E%2E/x", "/hook/a/.%2e/x", "/hook/a%2F..%2Fx",
		"/hook/a/%2e/x", "/hook/deploy/..%2f..%2fsalt", "/hook/a//x", "/hook/a/%2F/x",
	} {
		e.fb.reset()
		if code := rawPost(t, e.srv, p); code != http.StatusBadRequest {
			t.Errorf("POST %s: status %d, want 400", p, code)
		}
		if f := e.fb.Fired(); len(f) != 0 {
			t.Errorf("POST %s fired %v", p, f)
		}
	}
	// Dots inside a segment are fine.
	for _, p := range []string{"/hook/v1.2/x", "/hook/a/..b/.c", "/hook/x/"} {
		e.fb.reset()
		if code := rawPost(t, e.srv, p); code != http.StatusOK {
			t.Errorf("POST %s: status %d, want 200", p, code)
		}
		want := TagHookPrefix + strings.Trim(strings.TrimPrefix(p, "/hook/"), "/")
		if f := e.fb.Fired(); len(f) != 1 || f[0].Tag != want {
			t.Errorf("POST %s fired %v, want %s", p, f, want)
		}
	}
}
