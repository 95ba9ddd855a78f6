package master

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

func newTestTokens(t *testing.T, js jetstream.JetStream) *joinTokens {
	t.Helper()
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: bucketJoinTokens, History: 1, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	return &joinTokens{kv: kv, now: time.Now}
}

func TestJoinTokens(t *testing.T) {
	_, js := startJS(t)
	j := newTestTokens(t, js)
	ctx := context.Background()
	_, pub := newUser(t)

	tok, err := j.issue(ctx, "web-1", time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "brjt_") || len(tok) < 40 {
		t.Errorf("token %q", tok)
	}
	// The bucket holds the hash, never the token.
	e, err := j.kv.Get(ctx, tokenKey(tok))
	if err != nil || strings.Contains(string(e.Value()), tok) {
		t.Fatalf("record %s, %v", e.Value(), err)
	}
	if err := j.bind(ctx, tok, "i-0abc"); err != nil {
		t.Fatal(err)
	}
	if why, _ := j.redeem(ctx, "web-2", pub, tok, nil); why != "foreign" {
		t.Errorf("another id: %q", why)
	}
	if why, _ := j.redeem(ctx, "web-1", pub, "brjt_madeup", nil); why != "unknown" {
		t.Errorf("made-up token: %q", why)
	}
	if why, err := j.redeem(ctx, "web-1", pub, tok, nil); why != "" || err != nil {
		t.Fatalf("valid token: %q %v", why, err)
	}
	e, _ = j.kv.Get(ctx, tokenKey(tok))
	var r joinRecord
	if err := json.Unmarshal(e.Value(), &r); err != nil || !r.Used || r.InstanceID != "i-0abc" || r.UsedBy != fingerprint(pub) {
		t.Errorf("used record %+v %v", r, err)
	}
	if why, _ := j.redeem(ctx, "web-1", pub, tok, nil); why != "reused" {
		t.Errorf("second use: %q", why)
	}

	// Expiry, on the store's clock.
	tok2, err := j.issue(ctx, "web-3", time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	j.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if why, _ := j.redeem(ctx, "web-3", pub, tok2, nil); why != "expired" {
		t.Errorf("expired token: %q", why)
	}
	j.now = time.Now
	if err := j.revoke(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if why, _ := j.redeem(ctx, "web-3", pub, tok2, nil); why != "unknown" {
		t.Errorf("revoked token: %q", why)
	}
}

// Two connections presenting one token at once: exactly one wins.
func TestJoinTokenRace(t *testing.T) {
	_, js := startJS(t)
	j := newTestTokens(t, js)
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		tok, err := j.issue(ctx, "web-1", time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]string, 8)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, pub := newUser(t)
				why, err := j.redeem(ctx, "web-1", pub, tok, nil)
				if err != nil {
					why = err.Error()
				}
				results[i] = why
			}()
		}
		wg.Wait()
		wins := 0
		for _, r := range results {
			switch r {
			case "":
				wins++
			case "reused":
			default:
				t.Errorf("redeem: %q", r)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners (%q)", round, wins, results)
		}
	}
}

// A token accepts a new key or replaces one left pending under its id,
// never a decided one.
func TestAcceptJoined(t *testing.T) {
	_, js := startJS(t)
	k, rec := newTestKeyStore(t, js)
	ctx := context.Background()
	_, pub1 := newUser(t)
	_, pub2 := newUser(t)
	if err := k.acceptJoined(ctx, "new", pub1); err != nil {
		t.Fatal(err)
	}
	mustState(t, k, "new", pub1, proto.KeyAccepted)
	mustState(t, k, "squat", pub1, proto.KeyPending) // someone registers the name first
	if err := k.acceptJoined(ctx, "squat", pub2); err != nil {
		t.Fatal(err)
	}
	mustState(t, k, "squat", pub2, proto.KeyAccepted)
	if err := k.acceptJoined(ctx, "new", pub2); err == nil {
		t.Error("a token replaced an accepted key")
	}
	mustState(t, k, "new", pub1, proto.KeyAccepted)
	joins := 0
	for _, e := range rec.take() {
		if e.tag == proto.TagAuth && e.data["join"] == true {
			joins++
		}
	}
	if joins != 2 {
		t.Errorf("salt/auth join events: %d", joins)
	}
}

// A node retrying with a refused token fires one event, not one a retry;
// another token, key or reason is a new refusal.
func TestFirstRefusal(t *testing.T) {
	j := &joinTokens{}
	if !j.firstRefusal("a", "P1", "t1", "reused") || j.firstRefusal("a", "P1", "t1", "reused") {
		t.Error("the same refusal twice")
	}
	if !j.firstRefusal("a", "P2", "t1", "reused") || !j.firstRefusal("a", "P2", "t2", "reused") || !j.firstRefusal("a", "P2", "t2", "expired") {
		t.Error("a different refusal not reported")
	}
	if !j.firstRefusal("b", "P2", "t2", "expired") {
		t.Error("another id not reported")
	}
}
