package master

import (
	"maps"
	"slices"
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

// logConfigNotes logs, once at start, what the config asks for that Brine
// cannot honour, and the custom options it carries.
func (m *Master) logConfigNotes() {
	for _, w := range m.cfg.Warnings {
		m.log.Warn("config: " + w)
	}
	if len(m.cfg.Options) > 0 {
		keys := slices.Sorted(maps.Keys(m.cfg.Options))
		m.log.Info("config: custom options (no Brine setting; templates read them through opts and config.get)", "keys", keys)
	}
}
