package modules

import (
	"context"

	"github.com/brine-cm/brine/grains"
)

// The config module: configuration values looked up as Salt's config.get
// does, in the minion's options, then its grains, then its pillar, then
// the master's configuration as pillar shows it (pillar's master key).

func init() {
	Register("config.get", `Return the value of key (nested keys as a:b:c, or with delimiter), looked up in the minion's configuration, then its grains, then its pillar, then the master's configuration under pillar's master key; default (default "") when none has it. omit_opts, omit_grains, omit_pillar and omit_master skip a source.

CLI Example:

    ctl '*' config.get pkg:apache default=httpd`, configGet)
}

func configGet(ctx context.Context, env *Env, c Call) (any, error) {
	key, err := c.String(0, "key", nil)
	if err != nil {
		return nil, err
	}
	def := any("")
	if v, ok := c.value(1, "default"); ok {
		def = v
	}
	delim, err := c.String(2, "delimiter", ptr(grains.Delimiter))
	if err != nil {
		return nil, err
	}
	if delim == "" {
		delim = grains.Delimiter
	}
	if v, _ := c.value(3, "merge"); v != nil {
		return nil, badArg("merge is not supported: the first source holding the key answers")
	}
	omit := map[string]bool{}
	for _, n := range []string{"omit_opts", "omit_grains", "omit_pillar", "omit_master"} {
		if omit[n], err = c.Bool(-1, n, ptr(false)); err != nil {
			return nil, err
		}
	}
	if !omit["omit_opts"] && env.Opts != nil {
		if v, ok := grains.Traverse(env.Opts, key, delim); ok {
			return v, nil
		}
	}
	if !omit["omit_grains"] && env.Grains != nil {
		if v, ok := lookupGrain(env.Grains, key, delim); ok {
			return v, nil
		}
	}
	if env.Master != nil && (!omit["omit_pillar"] || !omit["omit_master"]) {
		p, err := env.Master.Pillar(ctx, false)
		if err != nil {
			return nil, err
		}
		if !omit["omit_pillar"] {
			if v, ok := grains.Traverse(p, key, delim); ok {
				return v, nil
			}
		}
		if m, ok := p["master"].(map[string]any); ok && !omit["omit_master"] {
			if v, ok := grains.Traverse(m, key, delim); ok {
				return v, nil
			}
		}
	}
	return def, nil
}
