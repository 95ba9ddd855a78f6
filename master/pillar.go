package master

import (
	"context"
	"fmt"
	"sync"

	"github.com/brine-cm/brine/pillar"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// pillarCache keeps each minion's last compiled pillar in the master's
// memory, for pillar targeting (-I, I@). It is never published: a pillar
// goes only to its own minion, in the reply to that minion's request.
type pillarCache struct {
	mu sync.RWMutex
	m  map[string]map[string]any
}

func (p *pillarCache) set(id string, data map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]map[string]any{}
	}
	p.m[id] = data
}

func (p *pillarCache) get(id string) map[string]any {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.m[id]
}

func (p *pillarCache) drop(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}

func (m *Master) pillarCompiler() *pillar.Compiler {
	return &pillar.Compiler{
		PillarRoots: pillar.Roots(m.cfg.PillarRoots),
		FileRoots:   pillar.Roots(m.cfg.FileRoots),
		Opts:        m.templateOpts(map[string]any{"id": "master"}),
		Salt:        map[string]render.Func{"mine.get": m.templateMineGet},
	}
}

// templateMineGet is salt['mine.get'](tgt, fun, tgt_type=..., expr_form=...)
// in pillar and top templates rendered on the master.
func (m *Master) templateMineGet(args []any, kwargs map[string]any) (any, error) {
	tgt, ok1 := argString(args, kwargs, 0, "tgt")
	fun, ok2 := argString(args, kwargs, 1, "fun")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("mine.get needs a target and a function")
	}
	tt, _ := argString(args, kwargs, 2, "tgt_type")
	if tt == "" {
		tt, _ = kwargs["expr_form"].(string)
	}
	if tt == "" {
		tt = "glob"
	}
	return m.mineGet(proto.Target{Expr: tgt, Type: tt}, fun, m.pillars.get)
}

func (m *Master) minionFor(id string) pillar.Minion {
	return pillar.Minion{ID: id, Grains: m.fleet.grainsOf(id)}
}

// handlePillar compiles the calling minion's pillar. The id comes from the
// request subject, which only that minion may publish on, so a minion can
// only ever receive its own pillar. Render errors go back to the minion
// (and so to the operator's job) and into the master's log without any
// pillar values.
func (m *Master) handlePillar(ctx context.Context, id string, body []byte) (any, error) {
	var req proto.PillarRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	comp := m.pillarCompiler()
	comp.Pillarenv = req.Pillarenv
	ordered, err := comp.CompileOrdered(ctx, m.minionFor(id))
	if err != nil {
		m.log.Warn("pillar render failed", "id", id, "err", err)
		// Compile's errors already say "pillar top: ..." or "pillar <sls>: ...".
		return nil, proto.Errorf(proto.ErrExecution, "%v", err)
	}
	if req.Pillarenv == "" {
		// the pillar targeting sees; a pillarenv= run's pillar is its own
		m.pillars.set(id, ordered.ToPlain())
	}
	// mappings go out in file order for the minion's templates, and
	// floats keep a fraction (threshold: 70.0 stays a float there)
	return pillarReply{ordered}, nil
}

// pillarReply is proto.PillarReply with the pillar encoded by
// render.MarshalData: keys in file order, floats with a fraction.
type pillarReply struct{ pillar *render.Map }

func (r pillarReply) MarshalJSON() ([]byte, error) {
	p, err := render.MarshalData(r.pillar)
	if err != nil {
		return nil, err
	}
	return append(append([]byte(`{"pillar":`), p...), '}'), nil
}

// handleTop returns the SLS names the state top assigns to the caller.
func (m *Master) handleTop(ctx context.Context, id string, body []byte) (any, error) {
	var req proto.TopRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	c := m.pillarCompiler()
	p := req.Pillar
	if p == nil {
		p = m.pillars.get(id)
	}
	tops, err := c.Top(ctx, c.FileRoots, m.minionFor(id), p)
	if err != nil {
		return nil, proto.Errorf(proto.ErrExecution, "state top: %v", err)
	}
	if req.Saltenv != "" {
		tops = map[string][]string{req.Saltenv: tops[req.Saltenv]}
	}
	var order []string
	for _, env := range c.FileRoots.Envs() {
		if len(tops[env]) > 0 {
			order = append(order, env)
		}
	}
	return proto.TopReply{Tops: tops, Order: order}, nil
}
