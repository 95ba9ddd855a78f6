package minion

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/pillar"
	"github.com/brine-cm/brine/proto"
)

// Call is `minion call` (salt-call): it runs one function on this host with
// this minion's identity, config and grains, and returns its return. Against
// the master (the default) it connects with the minion's own key, for its
// files, pillar and mine, without taking jobs (the running minion keeps
// those); with local set, or file_client: local in the config, it needs no
// master: files and pillar come from the config's file_roots and
// pillar_roots, as salt-call --local does.
func Call(ctx context.Context, cfg *Config, opts Options, local bool, fun string, args []any, kwargs map[string]any) (proto.Return, error) {
	m, err := New(cfg, opts)
	if err != nil {
		return proto.Return{}, err
	}
	if local || cfg.FileClient == "local" {
		m.useLocalFiles()
	} else {
		nc, err := nats.Connect(cfg.Master,
			nats.Name(cfg.ID),
			nats.Nkey(m.PublicKey(), m.key.Sign),
			nats.CustomInboxPrefix(proto.MinionInbox(cfg.ID)),
			nats.Timeout(5*time.Second),
			nats.NoReconnect(),
			tlsOption(cfg),
		)
		if err != nil {
			return proto.Return{}, fmt.Errorf("connect to the master at %s as %s: %w (is this minion's key accepted? `minion call --local` needs no master)", cfg.Master, cfg.ID, err)
		}
		defer nc.Close()
		m.mu.Lock()
		m.nc = nc
		m.mu.Unlock()
	}
	job := proto.Job{JID: proto.NewJID(time.Now()), Fun: fun, Arg: args, Kwarg: kwargs, User: "minion call"}
	ret := proto.Return{JID: job.JID, ID: cfg.ID, Fun: fun, Start: time.Now().UTC()}
	return m.execute(ctx, job, ret), nil
}

func tlsOption(cfg *Config) nats.Option {
	if cfg.TLSCA != "" {
		return nats.RootCAs(cfg.TLSCA)
	}
	return func(*nats.Options) error { return nil }
}

// useLocalFiles serves files and pillar from the config's roots (masterless).
func (m *Minion) useLocalFiles() {
	files := pillar.Roots(m.cfg.FileRoots)
	if len(files) == 0 {
		files = pillar.Roots{"base": {"/srv/salt"}}
	}
	pillars := pillar.Roots(m.cfg.PillarRoots)
	if len(pillars) == 0 {
		pillars = pillar.Roots{"base": {"/srv/pillar"}}
	}
	lm := &localMaster{m: m, c: &pillar.Compiler{PillarRoots: pillars, FileRoots: files, Opts: m.cfg.Options}}
	m.env.Master = lm
	m.env.Files = localFiles{roots: files}
	m.env.FireEvent = nil
	m.env.OnGrainsChanged = nil
}

// localMaster renders this minion's pillar and state top from local roots.
type localMaster struct {
	m      *Minion
	c      *pillar.Compiler
	mu     sync.Mutex
	pillar map[string]any
}

func (l *localMaster) minion() pillar.Minion {
	return pillar.Minion{ID: l.m.cfg.ID, Grains: l.m.grains.Items()}
}

func (l *localMaster) Pillar(ctx context.Context, fresh bool) (map[string]any, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pillar != nil && !fresh {
		return l.pillar, nil
	}
	p, err := l.c.Compile(ctx, l.minion())
	if err != nil {
		return nil, err
	}
	l.pillar = p
	return p, nil
}

func (l *localMaster) Top(ctx context.Context, saltenv string, p map[string]any) (map[string][]string, []string, error) {
	tops, err := l.c.Top(ctx, l.c.FileRoots, l.minion(), p)
	if err != nil {
		return nil, nil, fmt.Errorf("state top: %w", err)
	}
	if saltenv != "" {
		tops = map[string][]string{saltenv: tops[saltenv]}
	}
	var order []string
	for _, env := range l.c.FileRoots.Envs() {
		if len(tops[env]) > 0 {
			order = append(order, env)
		}
	}
	return tops, order, nil
}

var errNoMaster = errors.New("the mine needs a master: `minion call --local` runs without one")

func (l *localMaster) MineUpdate(context.Context, map[string]any, bool, []string) error {
	return errNoMaster
}

func (l *localMaster) MineGet(context.Context, string, string, string) (map[string]any, error) {
	return nil, errNoMaster
}

// localFiles is the file client of a masterless call: salt://path is
// looked up in file_roots, never outside them (no "..", no link out).
type localFiles struct{ roots pillar.Roots }

func (f localFiles) dirs(saltenv string) ([]string, error) {
	if saltenv == "" {
		saltenv = "base"
	}
	dirs, ok := f.roots[saltenv]
	if !ok {
		return nil, fmt.Errorf("saltenv %q is not in file_roots", saltenv)
	}
	return dirs, nil
}

func (f localFiles) Cache(_ context.Context, url, saltenv string) (string, error) {
	rel, ok := strings.CutPrefix(url, "salt://")
	if !ok {
		return "", fmt.Errorf("%q is not a salt:// URL", url)
	}
	if q := strings.IndexByte(rel, '?'); q >= 0 {
		if env, ok := strings.CutPrefix(rel[q+1:], "saltenv="); ok {
			saltenv = env
		}
		rel = rel[:q]
	}
	clean := path.Clean("/" + rel)[1:]
	if clean == "" || clean != strings.TrimSuffix(rel, "/") {
		return "", fmt.Errorf("%q: the path must be plain (no ., .. or //)", url)
	}
	dirs, err := f.dirs(saltenv)
	if err != nil {
		return "", err
	}
	for _, d := range dirs {
		full := filepath.Join(d, filepath.FromSlash(clean))
		real, err := filepath.EvalSymlinks(full)
		if err != nil {
			continue
		}
		root, err := filepath.EvalSymlinks(d)
		if err != nil {
			continue
		}
		if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return "", fmt.Errorf("%s leads outside file_roots", url)
		}
		if fi, err := os.Stat(real); err == nil && fi.Mode().IsRegular() {
			return real, nil
		}
	}
	return "", fmt.Errorf("%s: not found in file_roots (%s)", url, strings.Join(dirs, ", "))
}

func (f localFiles) List(_ context.Context, prefix, saltenv string) ([]string, error) {
	dirs, err := f.dirs(saltenv)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(d, p)
			if err != nil {
				return nil
			}
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, prefix) {
				seen[rel] = true
			}
			return nil
		})
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}
