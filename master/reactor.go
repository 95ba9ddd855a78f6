package master

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/pillar"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/reactor"
	"github.com/brine-cm/brine/render"
)

// reactorBackend runs reactions through the master's own paths: jobs via
// publish, runners and key actions via their tables. Work a reaction starts
// carries its depth, so the events it causes are stamped with it and a
// reaction loop stops at the reactor's depth limit.
type reactorBackend struct{ m *Master }

func (b reactorBackend) Local(ctx context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any) (string, error) {
	rec, err := b.m.publishDepth(ctx, proto.Target{Expr: tgt, Type: tgtType}, fun, arg, kwarg)
	if err != nil {
		return "", err
	}
	return rec.JID, nil
}

func (b reactorBackend) Caller(ctx context.Context, minion, fun string, arg []any, kwarg map[string]any) (string, error) {
	return b.Local(ctx, minion, "list", fun, arg, kwarg)
}

func (b reactorBackend) Runner(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	return apiBackend(b).Runner(ctx, "reactor", fun, arg, kwarg)
}

func (b reactorBackend) Wheel(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	return apiBackend(b).Wheel(ctx, "reactor", fun, arg, kwarg)
}

func (b reactorBackend) Fire(tag string, data map[string]any) { b.m.fire(tag, data) }

// jobDepths remembers the reactor depth of jobs reactions started, so that
// their new and return events carry it.
type jobDepths struct {
	mu sync.Mutex
	m  map[string]depthEntry
}

type depthEntry struct {
	depth int
	at    time.Time
}

func (j *jobDepths) set(jid string, d int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.m == nil {
		j.m = map[string]depthEntry{}
	}
	now := time.Now()
	for k, e := range j.m {
		if now.Sub(e.at) > time.Hour {
			delete(j.m, k)
		}
	}
	j.m[jid] = depthEntry{d, now}
}

func (j *jobDepths) get(jid string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m[jid].depth
}

// publishDepth publishes a job started by a reaction, recording its depth.
func (m *Master) publishDepth(ctx context.Context, t proto.Target, fun string, arg []any, kwarg map[string]any) (*proto.JobRecord, error) {
	jid := proto.NewJID(time.Now())
	if d := reactor.DepthFrom(ctx); d > 0 {
		m.depths.set(jid, d)
	}
	return m.publish(ctx, jid, t, fun, arg, kwarg, "reactor", 0)
}

// reactorLoader reads reactor files: absolute paths from disk, salt://
// paths from the base file_roots.
type reactorLoader struct{ roots []string }

func (l reactorLoader) Read(ctx context.Context, p string) ([]byte, error) {
	if filepath.IsAbs(p) && !strings.HasPrefix(p, "salt://") {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reactor file: %w", err)
		}
		return b, nil
	}
	return pillar.Loader{Dirs: l.roots}.Read(ctx, p)
}

// startReactor follows the event bus and hands each event to the reactor
// engine, when reactor rules are configured.
func (m *Master) startReactor(ctx context.Context) error {
	if len(m.cfg.Reactor) == 0 {
		return nil
	}
	rules, err := reactor.ParseRules(m.cfg.Reactor)
	if err != nil {
		return fmt.Errorf("reactor: %w", err)
	}
	salt := map[string]render.Func{"mine.get": m.templateMineGet}
	loader := reactorLoader{roots: m.cfg.FileRoots["base"]}
	py := newPyReactor(ctx, m.log.With("component", "reactor"), m.cfg.PyInterpreter, salt)
	cfg := reactor.Config{
		Rules:    rules,
		Loader:   loader,
		Opts:     m.templateOpts(map[string]any{"id": "master"}),
		Salt:     salt,
		RenderPy: py.render,
	}
	if err := py.check(ctx, rules, cfg); err != nil {
		return fmt.Errorf("reactor: %w", err)
	}
	eng := reactor.New(cfg, reactorBackend{m}, m.log.With("component", "reactor"))
	eng.Start(ctx)
	_, err = m.nc.Subscribe(proto.SubjectEvent+".>", func(msg *nats.Msg) {
		var ev proto.Event
		if json.Unmarshal(msg.Data, &ev) != nil {
			return
		}
		eng.Handle(ev.Tag, ev.Data)
	})
	if err != nil {
		return fmt.Errorf("reactor: follow events: %w", err)
	}
	m.log.Info("reactor started", "rules", len(rules))
	return nil
}
