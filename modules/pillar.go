package modules

import (
	"context"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/proto"
)

func init() {
	Register("pillar.items", `Return this minion's pillar, freshly compiled by the master.

CLI Example:

    ctl '*' pillar.items`, pillarItems)
	Register("pillar.get", `Return the pillar value at key (nested keys as a:b:c), or default.

CLI Example:

    ctl '*' pillar.get pkg:apache default=httpd`, pillarGet)
	Register("pillar.raw", `Return the pillar the minion holds now, without asking the master.

CLI Example:

    ctl '*' pillar.raw`, pillarRaw)
	Register("saltutil.refresh_pillar", `Ask the master for a fresh pillar and keep it.

CLI Example:

    ctl '*' saltutil.refresh_pillar`, refreshPillar)
}

func needMaster(env *Env, fun string) error {
	if env.Master == nil {
		return proto.Errorf(proto.ErrExecution, "%s needs a master", fun)
	}
	return nil
}

func pillarItems(ctx context.Context, env *Env, _ Call) (any, error) {
	if err := needMaster(env, "pillar.items"); err != nil {
		return nil, err
	}
	return env.Master.Pillar(ctx, true)
}

func pillarRaw(ctx context.Context, env *Env, _ Call) (any, error) {
	if err := needMaster(env, "pillar.raw"); err != nil {
		return nil, err
	}
	return env.Master.Pillar(ctx, false)
}

func refreshPillar(ctx context.Context, env *Env, _ Call) (any, error) {
	if err := needMaster(env, "saltutil.refresh_pillar"); err != nil {
		return nil, err
	}
	if _, err := env.Master.Pillar(ctx, true); err != nil {
		return nil, err
	}
	return true, nil
}

func pillarGet(ctx context.Context, env *Env, c Call) (any, error) {
	key, err := c.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	def := any("")
	if c.Has(1, "default") {
		if len(c.Args) > 1 {
			def = c.Args[1]
		} else {
			def = c.Kwargs["default"]
		}
	}
	if err := needMaster(env, "pillar.get"); err != nil {
		return nil, err
	}
	p, err := env.Master.Pillar(ctx, false)
	if err != nil {
		return nil, err
	}
	delim := grains.Delimiter
	if d, ok := c.Kwargs["delimiter"].(string); ok && d != "" {
		delim = d
	}
	if v, ok := grains.Traverse(p, key, delim); ok {
		return v, nil
	}
	return def, nil
}
