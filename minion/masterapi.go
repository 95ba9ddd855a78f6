package minion

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// masterAPI is what execution modules may ask of the master, on this
// minion's behalf (modules.Master). It keeps the last pillar the master
// compiled for this minion.
type masterAPI struct {
	m *Minion

	mu     sync.Mutex
	pillar map[string]any
	// ordered is the same pillar with its nested mappings as
	// *render.Map in the order of the pillar files, for templates
	ordered map[string]any
}

// Pillar returns the cached pillar, or with fresh (or none cached) asks the
// master to compile it.
func (a *masterAPI) Pillar(ctx context.Context, fresh bool) (map[string]any, error) {
	a.mu.Lock()
	p := a.pillar
	a.mu.Unlock()
	if p != nil && !fresh {
		return p, nil
	}
	msg, err := a.m.request(ctx, proto.ReqPillar, proto.PillarRequest{})
	if err != nil {
		return nil, err
	}
	var rep proto.PillarReply
	if err := decodeData(msg.Data, &rep); err != nil {
		return nil, fmt.Errorf("bad pillar reply: %w", err)
	}
	fixMap(rep.Pillar)
	if rep.Pillar == nil {
		rep.Pillar = map[string]any{}
	}
	ordered := orderedPillar(msg.Data, rep.Pillar)
	a.mu.Lock()
	a.pillar = rep.Pillar
	a.ordered = ordered
	a.mu.Unlock()
	a.m.pillarChanged(rep.Pillar) // the pillar's schedule (schedule.go)
	return rep.Pillar, nil
}

// PillarEnv asks the master for this minion's pillar compiled from one
// pillar environment (pillarenv=); it is not cached. It returns the plain
// pillar and the same with its mappings in file order.
func (a *masterAPI) PillarEnv(ctx context.Context, pillarenv string) (map[string]any, map[string]any, error) {
	msg, err := a.m.request(ctx, proto.ReqPillar, proto.PillarRequest{Pillarenv: pillarenv})
	if err != nil {
		return nil, nil, err
	}
	var rep proto.PillarReply
	if err := decodeData(msg.Data, &rep); err != nil {
		return nil, nil, fmt.Errorf("bad pillar reply: %w", err)
	}
	fixMap(rep.Pillar)
	if rep.Pillar == nil {
		rep.Pillar = map[string]any{}
	}
	return rep.Pillar, orderedPillar(msg.Data, rep.Pillar), nil
}

// OrderedPillar is the pillar Pillar returns with its nested mappings in
// the order of the pillar files (*render.Map), for templates.
func (a *masterAPI) OrderedPillar(ctx context.Context, fresh bool) (map[string]any, error) {
	if _, err := a.Pillar(ctx, fresh); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ordered, nil
}

// orderedPillar decodes the reply's pillar again keeping key order; the
// plain pillar when that fails.
func orderedPillar(data []byte, plain map[string]any) map[string]any {
	var raw struct {
		Pillar json.RawMessage `json:"pillar"`
	}
	if err := json.Unmarshal(data, &raw); err != nil || len(raw.Pillar) == 0 {
		return plain
	}
	v, err := render.DecodeOrderedJSON(raw.Pillar)
	m, ok := v.(*render.Map)
	if err != nil || !ok {
		return plain
	}
	out := make(map[string]any, m.Len())
	for _, k := range m.Keys {
		out[k] = m.Values[k]
	}
	return out
}

// Top asks the master which SLS the state top assigns to this minion.
func (a *masterAPI) Top(ctx context.Context, saltenv string, pillar map[string]any) (map[string][]string, []string, error) {
	msg, err := a.m.request(ctx, proto.ReqTop, proto.TopRequest{Saltenv: saltenv, Pillar: pillar})
	if err != nil {
		return nil, nil, err
	}
	var rep proto.TopReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return nil, nil, fmt.Errorf("bad top reply: %w", err)
	}
	return rep.Tops, rep.Order, nil
}

// MineUpdate sends this minion's mine data to the master.
func (a *masterAPI) MineUpdate(ctx context.Context, data map[string]any, clear bool, del []string) error {
	_, err := a.m.request(ctx, proto.ReqMineUp, proto.MineUpdate{Data: data, Clear: clear, Delete: del})
	return err
}

// MineGet asks the master for fun's mine data of the minions tgt matches.
func (a *masterAPI) MineGet(ctx context.Context, tgt, tgtType, fun string) (map[string]any, error) {
	msg, err := a.m.request(ctx, proto.ReqMineGet, proto.MineGetRequest{Target: proto.Target{Expr: tgt, Type: tgtType}, Fun: fun})
	if err != nil {
		return nil, err
	}
	var rep proto.MineGetReply
	if err := decodeData(msg.Data, &rep); err != nil {
		return nil, fmt.Errorf("bad mine.get reply: %w", err)
	}
	fixMap(rep.Data)
	if rep.Data == nil {
		rep.Data = map[string]any{}
	}
	return rep.Data, nil
}
