package master

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/proto"
)

// keyRecord is one minion id's entry in the keys bucket.
type keyRecord struct {
	ID      string      `json:"id"`
	Public  string      `json:"public"`
	State   string      `json:"state"` // proto.KeyAccepted, KeyPending or KeyRejected
	Updated time.Time   `json:"updated"`
	Denied  []deniedKey `json:"denied,omitempty"`
	// Lease names who made the minion join (autoscale/<group>, cloud):
	// its key goes once the minion has been gone longer than key_lease.
	Lease string `json:"lease,omitempty"`
}

// deniedKey is a second, different key that arrived for an id.
type deniedKey struct {
	Public string    `json:"public"`
	Seen   time.Time `json:"seen"`
}

// keyStore keeps minion keys in a JetStream KV bucket so that they survive
// restarts and several masters can share them. Updates use the bucket's
// revisions, so two masters never overwrite each other's decision.
type keyStore struct {
	maxPendingKeys int // 0: defaultMaxPendingKeys
	kv             jetstream.KeyValue
	cache          *fleet // answers known keys without a round trip
	autoAccept     bool
	autosignFile   string
	fire           func(tag string, data map[string]any)
	log            *slog.Logger
	// retired, when set, reports ids whose instance was terminated
	// (autoscale): a new key for one is refused without being recorded,
	// so a minion that reconnects before its instance is gone leaves no
	// pending key behind.
	retired func(ctx context.Context, id string) bool
}

// Bounds on what unauthenticated or unaccepted clients can make the master
// store: keys waiting for acceptance, and other keys recorded per id.
const (
	defaultMaxPendingKeys = 10_000
	maxDeniedPerID        = 8
)

func (k *keyStore) maxPending() int {
	if k.maxPendingKeys > 0 {
		return k.maxPendingKeys
	}
	return defaultMaxPendingKeys
}

func (k *keyStore) get(ctx context.Context, id string) (*keyRecord, uint64, error) {
	e, err := k.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load key %s: %w", id, err)
	}
	var r keyRecord
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("decode key %s: %w", id, err)
	}
	r.ID = id // the bucket key names the minion
	return &r, e.Revision(), nil
}

func (k *keyStore) put(ctx context.Context, r *keyRecord, rev uint64) error {
	r.Updated = time.Now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	k.cache.invalidate(r.ID)
	if rev == 0 {
		_, err = k.kv.Create(ctx, r.ID, b)
	} else {
		_, err = k.kv.Update(ctx, r.ID, b, rev)
	}
	if err != nil {
		return fmt.Errorf("store key %s: %w", r.ID, err)
	}
	k.cache.noteKey(r)
	return nil
}

// authenticate records the key a minion presents and returns the state it
// is in: a new id lands in pending (or accepted with auto_accept or a
// matching autosign glob); a different key for a known id is denied.
func (k *keyStore) authenticate(ctx context.Context, id, pub string) (string, error) {
	if state, ok := k.cache.keyState(id, pub); ok {
		return state, nil
	}
	for attempt := 0; attempt < 5; attempt++ {
		r, rev, err := k.get(ctx, id)
		if err != nil {
			return "", err
		}
		if r == nil {
			if k.retired != nil && k.retired(ctx, id) {
				k.log.Debug("registration refused: the minion's instance was terminated", "id", id)
				return proto.KeyRejected, nil
			}
			r = &keyRecord{ID: id, Public: pub, State: proto.KeyPending}
			if k.autoAccept || k.autosigned(id) {
				r.State = proto.KeyAccepted
			} else if n := k.cache.count(proto.KeyPending); n >= k.maxPending() {
				// Anyone who can reach the bus can ask to register: the
				// number of keys waiting for an operator is bounded.
				k.log.Warn("registration refused: too many keys pending acceptance", "id", id, "pending", n, "max_pending_keys", k.maxPending())
				return proto.KeyPending, nil
			}
			if err := k.put(ctx, r, 0); err != nil {
				if errors.Is(err, jetstream.ErrKeyExists) {
					continue
				}
				return "", err
			}
			act := "pend"
			if r.State == proto.KeyAccepted {
				act = "accept"
			}
			k.fire(proto.TagAuth, map[string]any{"id": id, "pub": pub, "act": act, "result": r.State == proto.KeyAccepted})
			return r.State, nil
		}
		if r.Public == pub {
			k.cache.noteKey(r)
			return r.State, nil
		}
		for _, d := range r.Denied {
			if d.Public == pub {
				return proto.KeyDenied, nil
			}
		}
		if len(r.Denied) >= maxDeniedPerID {
			// Recorded enough to show the operator that the id is
			// contested; more would only grow the record.
			return proto.KeyDenied, nil
		}
		r.Denied = append(r.Denied, deniedKey{Public: pub, Seen: time.Now().UTC()})
		if err := k.put(ctx, r, rev); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) || strings.Contains(err.Error(), "wrong last sequence") {
				continue
			}
			return "", err
		}
		k.log.Warn("key denied: a different key is registered for this id", "id", id)
		k.fire(proto.TagAuth, map[string]any{"id": id, "pub": pub, "act": "denied", "result": false})
		return proto.KeyDenied, nil
	}
	return "", fmt.Errorf("key %s: too many concurrent updates", id)
}

// autosigned reports whether id matches a glob in autosign_file.
func (k *keyStore) autosigned(id string) bool {
	if k.autosignFile == "" {
		return false
	}
	data, err := os.ReadFile(k.autosignFile)
	if err != nil {
		k.log.Warn("read autosign_file", "path", k.autosignFile, "err", err)
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g, err := glob.CompileFnmatch(line)
		if err != nil {
			k.log.Warn("autosign_file: line ignored", "path", k.autosignFile, "err", err)
			continue
		}
		if g.Match(id) {
			return true
		}
	}
	return false
}

func (k *keyStore) all(ctx context.Context) ([]*keyRecord, error) {
	lister, err := k.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	var out []*keyRecord
	for id := range lister.Keys() {
		r, _, err := k.get(ctx, id)
		if err != nil {
			// A record that cannot be read is listed as damaged, so that
			// `ctl key delete` can still remove it.
			k.log.Error("damaged key record", "id", id, "err", err)
			r = &keyRecord{ID: id, State: proto.KeyDamaged}
		}
		if r != nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// fingerprint is the SHA-256 of the public key, colon-separated hex.
func fingerprint(pub string) string {
	sum := sha256.Sum256([]byte(pub))
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}

// infos flattens records into KeyInfo rows, denied keys included.
func infos(recs []*keyRecord) []proto.KeyInfo {
	var out []proto.KeyInfo
	for _, r := range recs {
		out = append(out, proto.KeyInfo{ID: r.ID, State: r.State, Public: r.Public, Finger: fingerprint(r.Public)})
		for _, d := range r.Denied {
			out = append(out, proto.KeyInfo{ID: r.ID, State: proto.KeyDenied, Public: d.Public, Finger: fingerprint(d.Public)})
		}
	}
	return out
}

// selectKeys picks the records an action applies to: those whose id
// matches the glob (or all with all=true) and whose state is in from.
func selectKeys(recs []*keyRecord, req proto.KeyRequest, from ...string) ([]*keyRecord, error) {
	if !req.All && req.ID == "" {
		return nil, proto.Errorf(proto.ErrBadRequest, "name a key id (glob) or --all")
	}
	var pattern *glob.Glob
	if !req.All {
		var err error
		if pattern, err = glob.CompileFnmatch(req.ID); err != nil {
			return nil, proto.Errorf(proto.ErrBadRequest, "bad key glob: %v", err)
		}
	}
	var out []*keyRecord
	for _, r := range recs {
		if pattern != nil && !pattern.Match(r.ID) {
			continue
		}
		for _, s := range from {
			if r.State == s {
				out = append(out, r)
				break
			}
		}
	}
	return out, nil
}

// setState moves the selected keys to state; it returns the ids changed.
func (k *keyStore) setState(ctx context.Context, req proto.KeyRequest, to string, from ...string) ([]string, error) {
	recs, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	sel, err := selectKeys(recs, req, from...)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, r := range sel {
		cur, rev, err := k.get(ctx, r.ID)
		if err != nil {
			return changed, err
		}
		if cur == nil || cur.State == to {
			continue
		}
		cur.State = to
		if err := k.put(ctx, cur, rev); err != nil {
			return changed, err
		}
		changed = append(changed, r.ID)
		act := map[string]string{proto.KeyAccepted: "accept", proto.KeyRejected: "reject"}[to]
		k.fire(proto.TagKey, map[string]any{"id": r.ID, "act": act})
	}
	return changed, nil
}

// delete removes the selected keys, denied ones included.
func (k *keyStore) delete(ctx context.Context, req proto.KeyRequest) ([]string, error) {
	recs, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	sel, err := selectKeys(recs, req, proto.KeyAccepted, proto.KeyPending, proto.KeyRejected, proto.KeyDamaged)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, r := range sel {
		k.cache.invalidate(r.ID)
		if err := k.kv.Delete(ctx, r.ID); err != nil {
			return deleted, fmt.Errorf("delete key %s: %w", r.ID, err)
		}
		k.cache.dropKey(r.ID)
		deleted = append(deleted, r.ID)
		k.fire(proto.TagKey, map[string]any{"id": r.ID, "act": "delete"})
	}
	return deleted, nil
}
