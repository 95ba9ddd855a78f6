package master

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/target"
)

// fleet is the master's in-memory view of the keys and grains buckets,
// kept current by KV watches. It answers "which minions does this target
// reach" without touching storage. The buckets stay the source of truth, so
// several masters sharing them see the same fleet.
type fleet struct {
	mu     sync.RWMutex
	keys   map[string]*keyRecord     // id -> key record
	grains map[string]map[string]any // id -> grains
	raw    map[string][]byte         // id -> grains as stored
	// stale marks ids whose key this master just changed, until the watch
	// has surely caught up: authentication then reads the bucket itself.
	stale map[string]time.Time
	log   *slog.Logger
	// nodegroups, from the config, are set before the fleet is used and
	// only read afterwards.
	nodegroups target.Nodegroups
}

func newFleet(log *slog.Logger) *fleet {
	return &fleet{keys: map[string]*keyRecord{}, grains: map[string]map[string]any{}, raw: map[string][]byte{}, stale: map[string]time.Time{}, log: log}
}

// watch follows a bucket, calling apply for each entry (nil value on
// delete). It returns once the initial snapshot is loaded.
func (f *fleet) watch(ctx context.Context, kv jetstream.KeyValue, apply func(key string, val []byte)) error {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch bucket %s: %w", kv.Bucket(), err)
	}
	ready := make(chan struct{})
	go func() {
		defer w.Stop()
		first := true
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					if first {
						first = false
						close(ready)
					}
					continue
				}
				if e.Operation() != jetstream.KeyValuePut {
					apply(e.Key(), nil)
				} else {
					apply(e.Key(), e.Value())
				}
			}
		}
	}()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fleet) applyKey(id string, val []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if val == nil {
		delete(f.keys, id)
		return
	}
	var r keyRecord
	if err := json.Unmarshal(val, &r); err != nil {
		f.log.Error("damaged key record in the keys bucket; the minion is refused until `ctl key delete` removes it", "id", id, "err", err)
		delete(f.keys, id)
		return
	}
	r.ID = id // the bucket key, not the record, names the minion
	if cur := f.keys[id]; cur != nil && cur.Updated.After(r.Updated) {
		return // this master's own newer write, noted before the watch caught up
	}
	f.keys[id] = &r
}

// noteKey puts a record this master has just written into the cache at
// once, ahead of the watch: a minion whose key was accepted a moment ago is
// targetable by the very next job.
func (f *fleet) noteKey(r *keyRecord) {
	c := *r
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur := f.keys[c.ID]; cur != nil && cur.Updated.After(c.Updated) {
		return
	}
	f.keys[c.ID] = &c
}

// dropKey removes a key this master has just deleted from the cache.
func (f *fleet) dropKey(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, id)
}

// keyState returns the cached state of id's key if pub is its key; ok is
// false when the cache cannot answer (unknown id or another key).
func (f *fleet) keyState(id, pub string) (state string, ok bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if t, ok := f.stale[id]; ok && time.Since(t) < staleFor {
		return "", false
	}
	r := f.keys[id]
	if r == nil || r.Public != pub {
		return "", false
	}
	return r.State, true
}

// staleFor bounds how long the key watch may lag behind this master's own
// writes.
const staleFor = 10 * time.Second

// invalidate makes authentication of id bypass the cache for a while, after
// this master changed id's key (delete, reject): a minion reconnecting at
// once must not be let in on the cache's older answer.
func (f *fleet) invalidate(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stale[id] = time.Now()
	for k, t := range f.stale {
		if time.Since(t) >= staleFor {
			delete(f.stale, k)
		}
	}
}

// sameGrains reports whether raw is what the cache already holds for id.
func (f *fleet) sameGrains(id string, raw []byte) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return bytes.Equal(f.raw[id], raw)
}

func (f *fleet) applyGrains(id string, val []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if val == nil {
		delete(f.grains, id)
		delete(f.raw, id)
		return
	}
	var g map[string]any
	if err := json.Unmarshal(val, &g); err != nil {
		f.log.Warn("bad grains record", "id", id, "err", err)
		return
	}
	f.grains[id] = g
	f.raw[id] = val
}

// grainsOf returns id's cached grains (shared: do not modify).
func (f *fleet) grainsOf(id string) map[string]any {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if g := f.grains[id]; g != nil {
		return g
	}
	return map[string]any{"id": id}
}

// count returns how many keys are in state.
func (f *fleet) count(state string) int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	for _, r := range f.keys {
		if r.State == state {
			n++
		}
	}
	return n
}

// matchBudget bounds the time one target evaluation may take over the
// whole fleet (10,000 minions take milliseconds with any sane target).
const matchBudget = 5 * time.Second

// maxTargetLen bounds a target expression's length.
const maxTargetLen = 64 << 10

// accepted reports whether id has an accepted key.
func (f *fleet) accepted(id string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	r := f.keys[id]
	return r != nil && r.State == proto.KeyAccepted
}

// match returns the accepted minions t targets, sorted. pillarOf supplies
// cached pillars for pillar targets (nil: none).
func (f *fleet) match(t proto.Target, pillarOf func(id string) map[string]any) ([]string, error) {
	if len(t.Expr) > maxTargetLen {
		return nil, fmt.Errorf("target of %d bytes is longer than %d", len(t.Expr), maxTargetLen)
	}
	kind, expr, err := f.nodegroups.Expand(t.Type, t.Expr)
	if err != nil {
		return nil, err
	}
	m, err := target.Compile(kind, expr)
	if err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []string
	deadline := time.Now().Add(matchBudget)
	n := 0
	for id, r := range f.keys {
		if r.State != proto.KeyAccepted {
			continue
		}
		if n++; n%256 == 0 && time.Now().After(deadline) {
			return nil, fmt.Errorf("target %q took longer than %s to evaluate over the fleet; simplify it", t.Expr, matchBudget)
		}
		g := f.grains[id]
		if g == nil {
			g = map[string]any{"id": id}
		}
		var p map[string]any
		if pillarOf != nil {
			p = pillarOf(id)
		}
		if m.Match(&target.Minion{ID: id, Grains: g, Pillar: p}) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		// An expression that failed when evaluated on every minion is an
		// error, not "no minions matched".
		if err := target.MatchError(m); err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// conns remembers, per minion, every live connection authorised for it,
// so that deleting or rejecting its key can cut them all: a minion that
// reconnected, or a copy of its key elsewhere, may hold more than one.
// Entries leave on the bus's disconnect advisory or when taken.
type conns struct {
	mu sync.Mutex
	m  map[string]map[connRef]struct{}
}

type connRef struct {
	server string
	cid    uint64
}

func (c *conns) add(id, server string, cid uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]map[connRef]struct{}{}
	}
	set := c.m[id]
	if set == nil {
		set = map[connRef]struct{}{}
		c.m[id] = set
	}
	set[connRef{server: server, cid: cid}] = struct{}{}
}

// remove forgets a connection that closed.
func (c *conns) remove(id, server string, cid uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.m[id]
	for r := range set {
		if r.cid == cid && (server == "" || r.server == server) {
			delete(set, r)
		}
	}
	if len(set) == 0 {
		delete(c.m, id)
	}
}

// take returns and forgets every connection of id.
func (c *conns) take(id string) []connRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.m[id]
	delete(c.m, id)
	out := make([]connRef, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	return out
}
