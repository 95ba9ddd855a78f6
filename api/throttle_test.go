package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// loginAs posts a login as from the client address from.
func loginAs(t *testing.T, s *Server, from, user, password string) *httptest.ResponseRecorder {
	t.Helper()
	body := fmt.Sprintf(`{"username": %q, "password": %q, "eauth": "auto"}`, user, password)
	if user == "" {
		body = fmt.Sprintf(`{"token": %q}`, password)
	}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = from
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

func TestLoginThrottled(t *testing.T) {
	pw := bcryptHash(t, "right")
	e := newEnv(t, &Config{Users: map[string]User{"alice": {Password: pw}, "bob": {Password: pw}}})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.s.now = func() time.Time { return now }
	s := e.s

	// Five failures for alice from one address: the sixth attempt, even
	// with the right password, is refused without a password check.
	for i := range loginMaxFailures {
		if w := loginAs(t, s, "192.0.2.1:1000", "alice", "wrong"); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := loginAs(t, s, "192.0.2.1:1001", "alice", "right")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("sixth login: %d %s", w.Code, w.Body)
	}
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra != int(loginWindow/time.Second) {
		t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	// Per user: from another address too.
	if w := loginAs(t, s, "198.51.100.7:2000", "alice", "right"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("alice from elsewhere: %d", w.Code)
	}
	// Per address: bob from the same address, an operator token too.
	if w := loginAs(t, s, "192.0.2.1:1002", "bob", "right"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("bob from the throttled address: %d", w.Code)
	}
	if w := loginAs(t, s, "192.0.2.1:1003", "", testOpToken); w.Code != http.StatusTooManyRequests {
		t.Fatalf("operator token from the throttled address: %d", w.Code)
	}
	// Bob from elsewhere is not affected.
	if w := loginAs(t, s, "198.51.100.7:2001", "bob", "right"); w.Code != http.StatusOK {
		t.Fatalf("bob from elsewhere: %d %s", w.Code, w.Body)
	}

	// The window passes: alice may log in, and success clears her count.
	now = now.Add(loginWindow - time.Second)
	if w := loginAs(t, s, "203.0.113.9:1", "alice", "right"); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("just before the window ends: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
	now = now.Add(time.Second)
	if w := loginAs(t, s, "192.0.2.1:1004", "alice", "right"); w.Code != http.StatusOK {
		t.Fatalf("after the window: %d %s", w.Code, w.Body)
	}
	for i := range loginMaxFailures - 1 {
		if w := loginAs(t, s, "192.0.2.1:1005", "alice", "wrong"); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d after reset: %d", i, w.Code)
		}
	}
	if w := loginAs(t, s, "192.0.2.1:1006", "alice", "right"); w.Code != http.StatusOK {
		t.Fatalf("fifth attempt, right password: %d %s", w.Code, w.Body)
	}
	// ... which cleared the count again.
	for i := range loginMaxFailures - 1 {
		if w := loginAs(t, s, "192.0.2.1:1007", "alice", "wrong"); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d after second reset: %d", i, w.Code)
		}
	}

	// An IPv6 client is counted by its /64.
	for i := range loginMaxFailures {
		loginAs(t, s, fmt.Sprintf("[2001:db8::%x]:1", i+1), "carol", "x")
	}
	if w := loginAs(t, s, "[2001:db8::ffff]:1", "bob", "right"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("IPv6 /64: %d", w.Code)
	}
	if w := loginAs(t, s, "[2001:db8:0:1::1]:1", "bob", "right"); w.Code != http.StatusOK {
		t.Fatalf("another /64: %d", w.Code)
	}
}

func TestFailTableBounded(t *testing.T) {
	var ft failTable
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range loginTableSize + 500 {
		ft.fail(fmt.Sprintf("user%d", i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(ft.m) != loginTableSize {
		t.Fatalf("%d entries, want %d", len(ft.m), loginTableSize)
	}
	if ft.m["user0"] != nil || ft.m[fmt.Sprintf("user%d", loginTableSize+499)] == nil {
		t.Fatal("the oldest entry was not the one evicted")
	}
	// Expired entries go first.
	later := now.Add(loginWindow + time.Hour)
	ft.fail("new", later)
	if len(ft.m) != 1 {
		t.Fatalf("%d entries after expiry, want 1", len(ft.m))
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:1234":       "192.0.2.1",
		"[::ffff:192.0.2.1]:1": "192.0.2.1",
		"[2001:db8::1]:80":     "2001:db8::/64",
		"[fe80::1%eth0]:80":    "fe80::/64",
		"not an address":       "not an address",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}
