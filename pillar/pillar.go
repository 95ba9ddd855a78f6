// Package pillar compiles a minion's pillar on the master: it renders the
// pillar top file with the minion's grains, picks the pillar SLS files whose
// targets match the minion, renders each and merges them. It also evaluates
// state top files, which share the format. It runs on the master only and
// is handed a minion's id and grains; it never sees another minion's data.
package pillar

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

	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/target"
)

// Roots maps a saltenv to its directories (file_roots or pillar_roots).
type Roots map[string][]string

// Envs returns the saltenvs in a stable order, base first.
func (r Roots) Envs() []string {
	var envs []string
	for e := range r {
		envs = append(envs, e)
	}
	sort.Slice(envs, func(i, j int) bool {
		if envs[i] == "base" || envs[j] == "base" {
			return envs[i] == "base"
		}
		return envs[i] < envs[j]
	})
	return envs
}

// Loader reads salt:// paths from the directories of one saltenv; it is
// the render.Loader for files rendered from these roots.
type Loader struct {
	Dirs []string
}

// Read returns the first file named p under the loader's directories.
func (l Loader) Read(_ context.Context, p string) ([]byte, error) {
	rel, err := clean(p)
	if err != nil {
		return nil, err
	}
	for _, d := range l.Dirs {
		b, err := os.ReadFile(filepath.Join(d, filepath.FromSlash(rel)))
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read salt://%s: %w", rel, err)
		}
	}
	return nil, fmt.Errorf("salt://%s: %w", rel, fs.ErrNotExist)
}

func clean(p string) (string, error) {
	p = strings.TrimPrefix(p, "salt://")
	c := path.Clean(p)
	if p == "" || path.IsAbs(c) || c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("bad path %q: must stay inside the roots", p)
	}
	return c, nil
}

// slsPath turns an SLS name ("web.nginx") into the file that holds it:
// web/nginx.sls, or web/nginx/init.sls.
func slsPath(l Loader, ctx context.Context, sls string) (string, []byte, error) {
	base := strings.ReplaceAll(sls, ".", "/")
	for _, p := range []string{base + ".sls", base + "/init.sls"} {
		b, err := l.Read(ctx, p)
		if err == nil {
			return p, b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, err
		}
	}
	return "", nil, fmt.Errorf("no SLS %q (looked for %s.sls and %s/init.sls)", sls, base, base)
}

// Minion is who the pillar is compiled for.
type Minion struct {
	ID     string
	Grains map[string]any
}

// Compiler renders pillar and top files.
type Compiler struct {
	PillarRoots Roots
	FileRoots   Roots
	// Salt holds extra salt[...] functions for templates (e.g. mine.get).
	Salt map[string]render.Func
	Opts map[string]any
	// Pillarenv, when set, compiles the pillar from that environment of
	// PillarRoots only, as Salt's pillarenv does; an environment
	// PillarRoots does not have is an error.
	Pillarenv string
}

func (c *Compiler) context(roots Roots, env string, m Minion, pillar map[string]any, sls string) *render.Context {
	return &render.Context{
		Grains:  m.Grains,
		Pillar:  pillar,
		Opts:    c.Opts,
		Saltenv: env,
		SLS:     sls,
		Salt:    c.Salt,
		Loader:  Loader{Dirs: roots[env]},
	}
}

// Top renders the top.sls of each saltenv in roots and returns, per
// saltenv, the SLS names whose targets match the minion, in file order
// without repeats. pillar is the minion's pillar (for I@ and pillar
// matches in state tops; nil for the pillar top itself).
func (c *Compiler) Top(ctx context.Context, roots Roots, m Minion, pillar map[string]any) (map[string][]string, error) {
	out := map[string][]string{}
	for _, env := range roots.Envs() {
		l := Loader{Dirs: roots[env]}
		text, err := l.Read(ctx, "top.sls")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		top, err := render.SLS(ctx, text, env+":top.sls", c.context(roots, env, m, pillar, "top"))
		if err != nil {
			return nil, err
		}
		if err := matchTop(top, env+":top.sls", m, pillar, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// matchTop adds to out the SLS names of top whose targets match m.
func matchTop(top *render.Map, file string, m Minion, pillar map[string]any, out map[string][]string) error {
	tm := &target.Minion{ID: m.ID, Grains: m.Grains, Pillar: pillar}
	for _, env := range top.Keys {
		targets, ok := top.Values[env].(*render.Map)
		if !ok {
			return fmt.Errorf("%s: saltenv %q must map targets to lists of SLS names", file, env)
		}
		for _, expr := range targets.Keys {
			items, ok := targets.Values[expr].([]any)
			if !ok {
				return fmt.Errorf("%s: target %q in %s must list SLS names", file, expr, env)
			}
			kind := "glob"
			var names []string
			for _, it := range items {
				switch v := it.(type) {
				case string:
					names = append(names, v)
				case *render.Map:
					if mt, ok := v.Get("match"); ok {
						s, _ := mt.(string)
						kind = s
					}
				default:
					return fmt.Errorf("%s: target %q in %s: unexpected item %v", file, expr, env, it)
				}
			}
			if kind == "nodegroup" {
				return fmt.Errorf("%s: target %q: nodegroups are not supported", file, expr)
			}
			matcher, err := target.Compile(kind, expr)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			if !matcher.Match(tm) {
				continue
			}
			for _, n := range names {
				if !contains(out[env], n) {
					out[env] = append(out[env], n)
				}
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Compile returns the minion's pillar: every pillar SLS its pillar top
// matches, rendered with its grains and merged in order. Any error stops
// the compile: a minion never gets a partial pillar.
func (c *Compiler) Compile(ctx context.Context, m Minion) (map[string]any, error) {
	p, err := c.CompileOrdered(ctx, m)
	if err != nil {
		return nil, err
	}
	return p.ToPlain(), nil
}

// CompileOrdered is Compile keeping the order of the pillar files'
// mappings, as Salt's pillar dicts do (templates iterating a pillar
// mapping see its keys in file order).
func (c *Compiler) CompileOrdered(ctx context.Context, m Minion) (*render.Map, error) {
	roots := c.PillarRoots
	if c.Pillarenv != "" {
		dirs, ok := roots[c.Pillarenv]
		if !ok {
			return nil, fmt.Errorf("pillarenv '%s' is not an environment of pillar_roots (%s)", c.Pillarenv, strings.Join(roots.Envs(), ", "))
		}
		roots = Roots{c.Pillarenv: dirs}
	}
	tops, err := c.Top(ctx, roots, m, nil)
	if err != nil {
		return nil, fmt.Errorf("pillar top: %w", err)
	}
	pillar := render.NewMap()
	for _, env := range roots.Envs() {
		seen := map[string]bool{}
		for _, sls := range tops[env] {
			if err := c.renderInto(ctx, env, sls, m, pillar, seen); err != nil {
				return nil, err
			}
		}
	}
	return pillar, nil
}

// renderInto renders one pillar SLS (its includes first) and merges it into
// pillar.
func (c *Compiler) renderInto(ctx context.Context, env, sls string, m Minion, pillar *render.Map, seen map[string]bool) error {
	if seen[sls] {
		return nil
	}
	seen[sls] = true
	l := Loader{Dirs: c.PillarRoots[env]}
	file, text, err := slsPath(l, ctx, sls)
	if err != nil {
		return fmt.Errorf("pillar %s: %w", sls, err)
	}
	// the pillar so far, as templates see it (nested mappings ordered)
	sofar := make(map[string]any, pillar.Len())
	for _, k := range pillar.Keys {
		sofar[k] = pillar.Values[k]
	}
	data, err := render.SLS(ctx, text, file, c.context(c.PillarRoots, env, m, sofar, sls))
	if err != nil {
		return fmt.Errorf("pillar %s: %w", sls, err)
	}
	if inc, ok := data.Get("include"); ok {
		list, ok := inc.([]any)
		if !ok {
			return fmt.Errorf("pillar %s (%s): include must be a list", sls, file)
		}
		for _, it := range list {
			name, ok := it.(string)
			if !ok {
				return fmt.Errorf("pillar %s (%s): include entries must be SLS names", sls, file)
			}
			if err := c.renderInto(ctx, env, resolveRelative(sls, file, name), m, pillar, seen); err != nil {
				return err
			}
		}
	}
	data.Delete("include")
	render.MergeOrdered(pillar, data)
	return nil
}

// resolveRelative resolves ".name" and "..name" includes against sls,
// read from file: inside a package's init.sls, ".name" is a sibling file
// of that init.sls (a.init includes .b as a.b), as in Salt.
func resolveRelative(sls, file, name string) string {
	if !strings.HasPrefix(name, ".") {
		return name
	}
	parts := strings.Split(sls, ".")
	if file == "init.sls" || strings.HasSuffix(file, "/init.sls") {
		parts = append(parts, "init")
	}
	dots := len(name) - len(strings.TrimLeft(name, "."))
	parts = parts[:max(0, len(parts)-dots)]
	rest := strings.TrimLeft(name, ".")
	if rest != "" {
		parts = append(parts, rest)
	}
	return strings.Join(parts, ".")
}

// Merge deep-merges src into dst: maps merge recursively, anything else in
// src replaces what dst had (Salt's "smart"/recurse strategy).
func Merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				Merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}
