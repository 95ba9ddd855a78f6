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
	// IdentityCert, when set, is the certificate (PEM file) the node's
	// instance identity document must be signed with (require_identity).
	IdentityCert string `json:"identity_cert,omitempty"`
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
	// Instances that proved their identity, shared with autoscale: an
	// instance joins once, whichever way.
	joined, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucketAutoscaleJoined, Description: "instances joined with an identity document", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("joined instances bucket: %w", err)
	}
	m.joinedInstances = joined
	return nil
}

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// issue creates a token for minion id, valid for ttl. identityCert, when
// set, makes the node also prove its instance (require_identity).
func (j *joinTokens) issue(ctx context.Context, id string, ttl time.Duration, identityCert string) (string, error) {
	if ttl <= 0 {
		ttl = DefaultJoinTokenTTL
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("join token: %w", err)
	}
	token := "brjt_" + base64.RawURLEncoding.EncodeToString(raw)
	now := j.now().UTC()
	b, _ := json.Marshal(joinRecord{ID: id, Issued: now, Expires: now.Add(ttl), IdentityCert: identityCert})
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

// waitBound waits up to d for token's record to name its instance, and
// reports whether it does.
func (j *joinTokens) waitBound(ctx context.Context, token string, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	w, err := j.kv.Watch(ctx, tokenKey(token))
	if err != nil {
		return false
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case e := <-w.Updates():
			if e == nil {
				continue // the current value has been delivered
			}
			var r joinRecord
			if json.Unmarshal(e.Value(), &r) == nil && r.InstanceID != "" {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
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
// "foreign" (issued for another id), "reused" or "expired", or what check
// (when not nil) says of a valid token's record.
func (j *joinTokens) redeem(ctx context.Context, id, pub, token string, check func(joinRecord) string) (string, error) {
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
		if check != nil {
			if why := check(r); why != "" {
				return why, nil
			}
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
func (m *Master) join(ctx context.Context, id, pub string, claims *proto.JoinClaims, host string) (string, error) {
	token := claims.JoinToken
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
	var proven string // the instance an identity document proved
	check := func(r joinRecord) string {
		if r.IdentityCert == "" {
			return ""
		}
		inst, why := m.checkJoinIdentity(ctx, r, claims.EC2Identity)
		proven = inst
		return why
	}
	reason, err := m.tokens.redeem(ctx, id, pub, token, check)
	if err == nil && reason == reasonUnbound {
		// A fast node may knock before the provider's answer is recorded:
		// give it a moment, within the server's authentication timeout.
		if m.tokens.waitBound(ctx, token, startWait) {
			reason, err = m.tokens.redeem(ctx, id, pub, token, check)
		}
	}
	if err != nil {
		return "", err
	}
	if reason == reasonUnbound {
		// The node came before the provider named its instance: it waits
		// (pending) and is let in when it retries.
		m.log.Debug("join: the instance id is not known yet; the node retries", "id", id)
		return m.keys.authenticate(ctx, id, pub)
	}
	if reason == "" && proven != "" {
		b, _ := json.Marshal(map[string]any{"minion": id, "cloud": true, "at": m.tokens.now().UTC()})
		if _, err := m.joinedInstances.Create(ctx, proven, b); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			m.log.Warn("join: recording the instance", "id", id, "instance", proven, "err", err)
		}
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

// reasonUnbound is redeem's answer for a require_identity token whose
// instance id the provider has not given yet.
const reasonUnbound = "unbound"

// checkJoinIdentity checks, for a require_identity token's record r, the
// instance identity document the node presented: signed with the
// record's certificate, naming the instance the provider started for the
// token, pending recently, and of an instance that never joined before.
// It returns the instance, or why it is refused.
func (m *Master) checkJoinIdentity(ctx context.Context, r joinRecord, ci *proto.EC2Identity) (string, string) {
	if r.InstanceID == "" {
		return "", reasonUnbound
	}
	if ci == nil {
		return "", "identity: the node presented no instance identity document (its minion needs ec2_identity: true)"
	}
	v := m.cloud.verifier(r.IdentityCert)
	if v == nil {
		return "", "identity: no verifier for " + r.IdentityCert
	}
	inst, pending, err := v.Verify([]byte(ci.Document), []byte(ci.Signature))
	if err != nil {
		return "", "identity: " + err.Error()
	}
	if inst != r.InstanceID {
		return "", fmt.Sprintf("identity: the document is instance %s's, not %s's", inst, r.InstanceID)
	}
	if age := m.tokens.now().Sub(pending); age > joinIdentityMaxAge || age < -5*time.Minute {
		return "", fmt.Sprintf("identity: the document's pendingTime %s is not recent", pending.UTC().Format(time.RFC3339))
	}
	switch _, err := m.joinedInstances.Get(ctx, inst); {
	case err == nil:
		return "", fmt.Sprintf("identity: instance %s has joined before", inst)
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		// Unknown is not "never": refuse, the node retries.
		return "", fmt.Sprintf("identity: cannot tell whether instance %s joined before: %v", inst, err)
	}
	return inst, ""
}

// joinIdentityMaxAge is how long after an instance's pendingTime its
// identity document is accepted (as for autoscale).
const joinIdentityMaxAge = time.Hour

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
