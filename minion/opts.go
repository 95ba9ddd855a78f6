package minion

import (
	"gopkg.in/yaml.v3"
)

// optsSecret are configuration keys __opts__ never shows.
var optsSecret = []string{"join_token"}

// configOpts is the minion's configuration as Salt's __opts__ shows it to
// config.get and templates: every key by its configuration name, the
// secrets left out.
func configOpts(cfg *Config) map[string]any {
	out := map[string]any{}
	b, err := yaml.Marshal(cfg)
	if err == nil {
		_ = yaml.Unmarshal(b, &out)
	}
	// Custom options (top-level keys that are no setting) as written.
	for k, v := range cfg.Options {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	for _, k := range optsSecret {
		delete(out, k)
	}
	out["id"] = cfg.ID
	return out
}
