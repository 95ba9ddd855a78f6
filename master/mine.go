package master

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// The mine: each minion's published function results, one KV entry per
// minion, mirrored in memory by a watch so that mine.get over thousands of
// minions is a map lookup. A minion writes only its own entry (the id comes
// from its request subject) and reads others' only through mine.get's
// answer. Entries of minions gone longer than mine_ttl are left out of
// answers; a deleted key's entry is removed.
type mine struct {
	kv jetstream.KeyValue

	mu   sync.RWMutex
	data map[string]map[string]any // id -> fun -> value
}

func (mn *mine) apply(id string, val []byte) {
	mn.mu.Lock()
	defer mn.mu.Unlock()
	if val == nil {
		delete(mn.data, id)
		return
	}
	var d map[string]any
	if json.Unmarshal(val, &d) == nil {
		mn.data[id] = d
	}
}

func (mn *mine) get(id string) map[string]any {
	mn.mu.RLock()
	defer mn.mu.RUnlock()
	return mn.data[id]
}

func (m *Master) openMine(ctx context.Context) error {
	kv, err := m.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: proto.BucketMine, Description: "mine data", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("mine bucket: %w", err)
	}
	m.mine = &mine{kv: kv, data: map[string]map[string]any{}}
	return m.fleet.watch(ctx, kv, m.mine.apply)
}

// handleMineUpdate stores the calling minion's mine data.
func (m *Master) handleMineUpdate(ctx context.Context, id string, body []byte) (any, error) {
	var u proto.MineUpdate
	if err := decode(body, &u); err != nil {
		return nil, err
	}
	cur := map[string]any{}
	if !u.Clear {
		for k, v := range m.mine.get(id) {
			cur[k] = v
		}
	}
	for k, v := range u.Data {
		cur[k] = v
	}
	for _, k := range u.Delete {
		delete(cur, k)
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	if _, err := m.mine.kv.Put(ctx, id, b); err != nil {
		return nil, fmt.Errorf("store mine of %s: %w", id, err)
	}
	m.mine.apply(id, b) // read-your-writes for the next mine.get
	return proto.Ack{}, nil
}

// mineGet answers mine.get: fun's data of every minion t matches that has
// some and has not been gone longer than mine_ttl.
func (m *Master) mineGet(t proto.Target, fun string, pillarOf func(string) map[string]any) (map[string]any, error) {
	ids, err := m.fleet.match(t, pillarOf)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadTarget, "%v", err)
	}
	ttl := time.Duration(m.cfg.MineTTL * float64(time.Second))
	out := map[string]any{}
	for _, id := range ids {
		d := m.mine.get(id)
		v, ok := d[fun]
		if !ok {
			continue
		}
		if ttl > 0 && m.presence.absentFor(id) > ttl {
			continue
		}
		out[id] = v
	}
	return out, nil
}

func (m *Master) handleMineGet(_ context.Context, _ string, body []byte) (any, error) {
	var req proto.MineGetRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := minionTargetAllowed(req.Target); err != nil {
		return nil, err
	}
	// No pillar: which minions matched would reveal their pillar.
	data, err := m.mineGet(req.Target, req.Fun, nil)
	if err != nil {
		return nil, err
	}
	return proto.MineGetReply{Data: data}, nil
}

// minionTargets are the target kinds a minion may use in its own requests
// (mine.get): those that read only what every minion may know of the
// others (ids, grains, addresses), as Salt restricts mine.get. Pillar is
// private to its minion, and a target over it answers, minion by minion,
// a question about that pillar.
var minionTargets = map[string]bool{
	"": true, "glob": true, "pcre": true, "list": true, "grain": true, "grain_pcre": true,
	"ipcidr": true, "compound": true, "expr": true,
}

var (
	compoundPillarRe = regexp.MustCompile(`(^|[\s(])[IJN]@`)
	exprPillarRe     = regexp.MustCompile(`\bpillar\b`)
)

// minionTargetAllowed refuses targets from minions that read pillar or
// nodegroups (which may be defined over pillar).
func minionTargetAllowed(t proto.Target) error {
	if !minionTargets[t.Type] {
		return proto.Errorf(proto.ErrDenied, "a minion may not target by %s in mine.get: use glob, pcre, list, grain, grain_pcre, ipcidr, compound or expr", t.Type)
	}
	switch {
	case t.Type == "compound" && compoundPillarRe.MatchString(t.Expr):
		return proto.Errorf(proto.ErrDenied, "a minion may not use pillar (I@, J@) or nodegroup (N@) matches in mine.get: %q", t.Expr)
	case t.Type == "expr" && exprPillarRe.MatchString(t.Expr):
		return proto.Errorf(proto.ErrDenied, "a minion's expr target may not read pillar in mine.get: %q", t.Expr)
	}
	return nil
}
