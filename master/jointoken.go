package master

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// Join tokens let a node the master provisioned join without an operator
// accepting its key. The master issues one per node: random, single-use,
// expiring, bound to the minion id (and, once the provider has named it,
// the instance id). The node generates its key pair itself and presents
// the token with its new public key when it first connects; the master
// accepts that key at once. A reused, expired, unknown or foreign token
// is refused: an event fires and the key waits for an operator like any
// other.
//
// Tokens live in a JetStream KV bucket, so several masters sharing a bus
// share them, and a redemption is a compare-and-set on the record's
// revision: two connections presenting one token cannot both win. The
// bucket holds the token's SHA-256, never the token.

const (
	bucketJoinTokens = "join_tokens"
	// joinTokenKeep is how long a record outlives its use or expiry, so
	// that a reuse is named as such rather than as an unknown token.
	joinTokenKeep = 7 * 24 * time.Hour
	// DefaultJoinTokenTTL is a token's validity when the profile sets none.
	DefaultJoinTokenTTL = 30 * time.Minute
)

// Event tags of join attempts.
func joinTag(id, what string) string { return "brine/join/" + id + "/" + what }

type joinRecord struct {
	ID         string    `json:"id"`
	InstanceID string    `json:"instance_id,omitempty"`
	Issued     time.Time `json:"issued"`
	Expires    time.Time `json:"expires"`
	Used       bool      `json:"used,omitempty"`
	UsedAt     time.Time `json:"used_at,omitzero"`
	UsedBy     string    `json:"used_by,omitempty"` // fingerprint of the key that joined
}

type joinTokens struct {
	kv  jetstream.KeyValue
	now func() time.Time

	// refused remembers the last refusal per id (token and key), so that a
	// node retrying with a spent token fires one event, not one a retry.
	mu      sync.Mutex
	refused map[string]string
}

// maxRefusedIDs bounds the refusals remembered (then they are forgotten
// and fire again).
const maxRefusedIDs = 10_000

// firstRefusal reports whether this refusal of token with key pub for id
// is new, and remembers it.
func (j *joinTokens) firstRefusal(id, pub, token, reason string) bool {
	sig := tokenKey(token) + "/" + pub + "/" + reason
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.refused == nil || len(j.refused) >= maxRefusedIDs {
		j.refused = map[string]string{}
	}
	if j.refused[id] == sig {
		return false
	}
	j.refused[id] = sig
	return true
}

func (m *Master) openJoinTokens(ctx context.Context) error {
	kv, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucketJoinTokens, Description: "cloud join tokens", History: 1,
		TTL: joinTokenKeep, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("join tokens bucket: %w", err)
	}
	m.tokens = &joinTokens{kv: kv, now: time.Now}
	return nil
}

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// issue creates a token for minion id, valid for ttl.
func (j *joinTokens) issue(ctx context.Context, id string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = DefaultJoinTokenTTL
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("join token: %w", err)
	}
	token := "brjt_" + base64.RawURLEncoding.EncodeToString(raw)
	now := j.now().UTC()
	b, _ := json.Marshal(joinRecord{ID: id, Issued: now, Expires: now.Add(ttl)})
	if _, err := j.kv.Create(ctx, tokenKey(token), b); err != nil {
		return "", fmt.Errorf("store join token for %s: %w", id, err)
	}
	return token, nil
}

// bind records the instance id the provider gave the token's node.
func (j *joinTokens) bind(ctx context.Context, token, instanceID string) error {
	for range 5 {
		e, err := j.kv.Get(ctx, tokenKey(token))
		if err != nil {
			return fmt.Errorf("join token: %w", err)
		}
		var r joinRecord
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return fmt.Errorf("join token record: %w", err)
		}
		r.InstanceID = instanceID
		b, _ := json.Marshal(r)
		if _, err := j.kv.Update(ctx, tokenKey(token), b, e.Revision()); err == nil {
			return nil
		} else if !isWrongRevision(err) {
			return fmt.Errorf("join token: %w", err)
		}
	}
	return errors.New("join token: too many concurrent updates")
}

// revoke deletes a token that will not be used (its node failed to start
// or was destroyed before it joined).
func (j *joinTokens) revoke(ctx context.Context, token string) error {
	if err := j.kv.Delete(ctx, tokenKey(token)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("revoke join token: %w", err)
	}
	return nil
}

// redeem uses token for minion id and key pub. It returns "" when the
// token was valid (it is now used), else why it is refused: "unknown",
// "foreign" (issued for another id), "reused" or "expired".
func (j *joinTokens) redeem(ctx context.Context, id, pub, token string) (string, error) {
	for range 5 {
		e, err := j.kv.Get(ctx, tokenKey(token))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return "unknown", nil
		}
		if err != nil {
			return "", fmt.Errorf("join token: %w", err)
		}
		var r joinRecord
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return "", fmt.Errorf("join token record: %w", err)
		}
		now := j.now().UTC()
		switch {
		case r.ID != id:
			return "foreign", nil
		case r.Used:
			return "reused", nil
		case !now.Before(r.Expires):
			return "expired", nil
		}
		r.Used, r.UsedAt, r.UsedBy = true, now, fingerprint(pub)
		b, _ := json.Marshal(r)
		if _, err := j.kv.Update(ctx, tokenKey(token), b, e.Revision()); err == nil {
			return "", nil
		} else if !isWrongRevision(err) {
			return "", fmt.Errorf("join token: %w", err)
		}
		// Another connection changed it first: look again (it is used).
	}
	return "reused", nil
}

func isWrongRevision(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || strings.Contains(err.Error(), "wrong last sequence")
}

// join decides for a connection that presents a join token: a valid one
// accepts its key at once; any other is refused with an event and the key
// goes the usual way (pending, or denied for an id that has another key).
func (m *Master) join(ctx context.Context, id, pub, token, host string) (string, error) {
	if state, ok := m.keys.cache.keyState(id, pub); ok && state == proto.KeyAccepted {
		return state, nil // joined before; the token is spent
	}
	r, _, err := m.keys.get(ctx, id)
	if err != nil {
		return "", err
	}
	if r != nil && r.Public == pub && r.State == proto.KeyAccepted {
		return proto.KeyAccepted, nil // joined before; the token is spent
	}
	if r != nil && r.State != proto.KeyPending {
		// The id has a decided key (another one, or this one rejected): a
		// token does not override an operator's decision.
		return m.keys.authenticate(ctx, id, pub)
	}
	reason, err := m.tokens.redeem(ctx, id, pub, token)
	if err != nil {
		return "", err
	}
	if reason != "" {
		if m.tokens.firstRefusal(id, pub, token, reason) {
			m.log.Warn("join token refused; the key waits for acceptance", "id", id, "reason", reason, "host", host)
			m.fire(joinTag(id, "refused"), map[string]any{"id": id, "reason": reason, "host": host, "fingerprint": fingerprint(pub)})
		}
		return m.keys.authenticate(ctx, id, pub)
	}
	if err := m.keys.acceptJoined(ctx, id, pub); err != nil {
		return "", err
	}
	m.log.Info("minion joined with a join token", "id", id, "host", host)
	m.fire(joinTag(id, "accepted"), map[string]any{"id": id, "host": host, "fingerprint": fingerprint(pub)})
	return proto.KeyAccepted, nil
}

// acceptJoined records pub as id's accepted key: a new record, or one
// pending (the token proves the node is the one provisioned as id, so it
// replaces a key someone else left pending under that name).
func (k *keyStore) acceptJoined(ctx context.Context, id, pub string) error {
	for range 5 {
		r, rev, err := k.get(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case r == nil:
			r = &keyRecord{ID: id}
		case r.State != proto.KeyPending:
			return fmt.Errorf("key %s: is %s, not pending", id, r.State)
		}
		r.Public, r.State = pub, proto.KeyAccepted
		if err := k.put(ctx, r, rev); err != nil {
			if isWrongRevision(err) {
				continue
			}
			return err
		}
		k.fire(proto.TagAuth, map[string]any{"id": id, "pub": pub, "act": "accept", "result": true, "join": true})
		return nil
	}
	return fmt.Errorf("key %s: too many concurrent updates", id)
}
