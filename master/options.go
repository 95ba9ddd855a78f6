package master

import (
	"maps"
	"slices"
	"strings"

	"github.com/brine-cm/brine/internal/config"
)

// templateOpts are the master options templates see as opts (and
// config.get reads): the config's custom options, with fixed (id, test)
// over them.
func (m *Master) templateOpts(fixed map[string]any) map[string]any {
	return withFixed(m.cfg.Options, fixed)
}

// withFixed is opts with fixed over it, in a new map.
func withFixed(opts, fixed map[string]any) map[string]any {
	out := make(map[string]any, len(opts)+len(fixed))
	maps.Copy(out, opts)
	maps.Copy(out, fixed)
	return out
}

// saltSettingsWarning names the Salt settings a config gives that Brine
// does not implement.
func saltSettingsWarning(keys []string) string {
	return "Salt settings Brine does not implement, ignored (templates still see them in opts): " + strings.Join(keys, ", ")
}

// customKeys are the custom options that are not Salt settings (those are
// named in a warning).
func customKeys(opts map[string]any) []string {
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if !config.SaltSetting(k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// logConfigNotes logs, once at start, what the config asks for that Brine
// cannot honour, and the custom options it carries.
func (m *Master) logConfigNotes() {
	for _, w := range m.cfg.Warnings {
		m.log.Warn("config: " + w)
	}
	if keys := customKeys(m.cfg.Options); len(keys) > 0 {
		m.log.Info("config: custom options (no Brine setting; templates read them through opts and config.get)", "keys", keys)
	}
}
