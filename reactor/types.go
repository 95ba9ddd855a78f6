package reactor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// reactionType is one type of reaction (the "local" of local.state.sls):
// how a declaration of it is read and how it runs. Types register by name
// from init below; parsing and the engine look them up, so a new type is
// one registration here plus the Backend method it runs through.
type reactionType struct {
	// Name is the type's name in reactor files; Aliases are other names
	// for it (Salt's legacy cmd for local).
	Name    string
	Aliases []string
	// OnMinions says the function is an execution function run on
	// minions: name= and LocalClient publish options are ignored with a
	// warning, and result events redact its arguments as its module
	// declares.
	OnMinions bool
	// PositionalArgs says args: given as a plain list are positional
	// arguments (as salt-call takes them), not Salt's list of {key: value}.
	PositionalArgs bool
	// Fill, when set, reads the type's own items (its target) from p
	// before the arguments shared by every type are read.
	Fill func(r *Reaction, key string, p *render.Map) error
	// Run starts the reaction through b. data is the event's data; ev is
	// the result event being built, to which Run may add.
	Run func(ctx context.Context, b Backend, r *Reaction, data, ev map[string]any) (any, error)
}

// reactionTypes is filled by init only and read afterwards.
var reactionTypes = map[string]*reactionType{}

func registerType(t reactionType) {
	for _, n := range append([]string{t.Name}, t.Aliases...) {
		if _, dup := reactionTypes[n]; dup || n == "" || strings.Contains(n, ".") {
			panic(fmt.Sprintf("reactor: reaction type %q registered twice or malformed", n))
		}
		reactionTypes[n] = &t
	}
}

// lookupType finds a reaction type by name or alias.
func lookupType(name string) (*reactionType, bool) {
	t, ok := reactionTypes[name]
	return t, ok
}

// typeNames lists the registered types (not aliases), sorted.
func typeNames() []string {
	var out []string
	for n, t := range reactionTypes {
		if n == t.Name {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func init() {
	registerType(reactionType{
		Name: TypeLocal, Aliases: []string{"cmd"}, OnMinions: true,
		Fill: fillLocal,
		Run: func(ctx context.Context, b Backend, r *Reaction, _, _ map[string]any) (any, error) {
			jid, err := b.Local(ctx, r.Tgt, r.TgtType, r.Fun, r.Arg, r.Kwarg)
			if err != nil {
				return nil, err
			}
			return map[string]any{"jid": jid}, nil
		},
	})
	registerType(reactionType{
		Name: TypeRunner,
		Run: func(ctx context.Context, b Backend, r *Reaction, _, _ map[string]any) (any, error) {
			return b.Runner(ctx, r.Fun, r.Arg, r.Kwarg)
		},
	})
	registerType(reactionType{
		Name: TypeWheel,
		Fill: fillWheel,
		Run: func(ctx context.Context, b Backend, r *Reaction, _, _ map[string]any) (any, error) {
			return b.Wheel(ctx, r.Fun, r.Arg, r.Kwarg)
		},
	})
	registerType(reactionType{
		Name: TypeCaller, OnMinions: true, PositionalArgs: true,
		Fill: func(_ *Reaction, key string, p *render.Map) error {
			for _, k := range []string{"tgt", "tgt_type", "expr_form"} {
				if _, ok := p.Get(k); ok {
					return fmt.Errorf("%s: %s is not allowed: a caller reaction runs on the event's minion (data.id); use local.* to target minions", key, k)
				}
			}
			return nil
		},
		Run: func(ctx context.Context, b Backend, r *Reaction, data, ev map[string]any) (any, error) {
			id, _ := data["id"].(string)
			if err := proto.ValidID(id); err != nil {
				return nil, fmt.Errorf("caller reaction: the event has no valid minion id in data.id")
			}
			ev["minion"] = id
			jid, err := b.Caller(ctx, id, r.Fun, r.Arg, r.Kwarg)
			if err != nil {
				return nil, err
			}
			return map[string]any{"jid": jid}, nil
		},
	})
}

// fillLocal reads a local reaction's target: tgt, and tgt_type or its
// legacy name expr_form (default glob).
func fillLocal(r *Reaction, key string, p *render.Map) error {
	take := func(k string) (any, bool) {
		v, ok := p.Get(k)
		if ok {
			p.Delete(k)
		}
		return v, ok
	}
	v, ok := take("tgt")
	if !ok {
		return fmt.Errorf("%s: no tgt", key)
	}
	tgt, err := tgtString(v)
	if err != nil {
		return fmt.Errorf("%s: tgt: %w", key, err)
	}
	r.Tgt = tgt
	tt, hasTT := take("tgt_type")
	ef, hasEF := take("expr_form")
	r.TgtType = "glob"
	if hasTT {
		s, ok := tt.(string)
		if !ok || s == "" {
			return fmt.Errorf("%s: tgt_type must be a non-empty string", key)
		}
		r.TgtType = s
	}
	if hasEF {
		s, ok := ef.(string)
		if !ok || s == "" {
			return fmt.Errorf("%s: expr_form must be a non-empty string", key)
		}
		if hasTT && s != r.TgtType {
			return fmt.Errorf("%s: tgt_type %q and expr_form %q disagree", key, r.TgtType, s)
		}
		r.TgtType = s
	}
	return nil
}

// fillWheel lets a key.* wheel reaction name its keys with name=, as
// Salt's reactor examples do (wheel.key.accept: [name: ...]): it becomes
// match= unless match is given (as an item or in kwarg) or args: is used.
func fillWheel(r *Reaction, _ string, p *render.Map) error {
	if !strings.HasPrefix(r.Fun, "key.") {
		return nil
	}
	for _, k := range []string{"args", "match"} {
		if _, ok := p.Get(k); ok {
			return nil
		}
	}
	if kw, ok := p.Get("kwarg"); ok {
		if m, isMap := asMap(kw); isMap {
			if _, has := m.Get("match"); has {
				return nil
			}
		}
	}
	if v, ok := p.Get("name"); ok {
		p.Delete("name")
		p.Set("match", v)
	}
	return nil
}
