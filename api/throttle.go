package api

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Login throttling: after loginMaxFailures failed logins within
// loginWindow for one user name, or from one client address (an IPv6
// client by its /64), further logins for that name or from that address
// are answered 429 with Retry-After, without checking a password, until
// the window that began with the first of those failures has passed. A
// successful login clears the counts of its user and of its address. Each
// table holds at most loginTableSize entries; when full, expired entries go
// first, then the one whose window ends soonest.
const (
	loginMaxFailures = 5
	loginWindow      = 5 * time.Minute
	loginTableSize   = 10000
)

type failures struct {
	n     int
	start time.Time
}

// failTable counts failures per key within a window.
type failTable struct {
	m map[string]*failures
}

// blocked returns how long key must wait, 0 if it need not.
func (t *failTable) blocked(key string, now time.Time) time.Duration {
	f := t.m[key]
	if f == nil {
		return 0
	}
	end := f.start.Add(loginWindow)
	if !now.Before(end) || now.Before(f.start) {
		delete(t.m, key)
		return 0
	}
	if f.n < loginMaxFailures {
		return 0
	}
	return end.Sub(now)
}

func (t *failTable) fail(key string, now time.Time) {
	if t.m == nil {
		t.m = map[string]*failures{}
	}
	f := t.m[key]
	if f != nil && (!now.Before(f.start.Add(loginWindow)) || now.Before(f.start)) {
		f = nil
	}
	if f == nil {
		if len(t.m) >= loginTableSize {
			t.evict(now)
		}
		f = &failures{start: now}
		t.m[key] = f
	}
	f.n++
}

func (t *failTable) evict(now time.Time) {
	oldest := ""
	var oldestStart time.Time
	for k, f := range t.m {
		if !now.Before(f.start.Add(loginWindow)) {
			delete(t.m, k)
			continue
		}
		if oldest == "" || f.start.Before(oldestStart) {
			oldest, oldestStart = k, f.start
		}
	}
	if len(t.m) >= loginTableSize {
		delete(t.m, oldest)
	}
}

// loginThrottle holds the failure counts by user and by address.
type loginThrottle struct {
	mu    sync.Mutex
	users failTable
	addrs failTable
}

// attempt returns how long a login for user from addr must wait; when it
// need not (0), the attempt is counted as a failure at once, so that
// concurrent attempts cannot slip past the limit, and a success clears it.
func (l *loginThrottle) attempt(user, addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := l.addrs.blocked(addr, now)
	if user != "" {
		wait = max(wait, l.users.blocked(user, now))
	}
	if wait > 0 {
		return wait
	}
	l.addrs.fail(addr, now)
	if user != "" {
		l.users.fail(user, now)
	}
	return 0
}

func (l *loginThrottle) succeeded(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.addrs.m, addr)
	delete(l.users.m, user)
}

// clientKey is the address a login is counted against: the peer's IP (an
// IPv6 peer by its /64, which one host usually holds whole). Forwarding
// headers are not trusted.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}
