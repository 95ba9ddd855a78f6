package minion

import "time"

// TagOrphans is fired once after connecting when the previous run of the
// minion (killed with SIGKILL, or crashed) left commands running.
func TagOrphans(id string) string { return "salt/minion/" + id + "/orphans" }

// reapOrphans kills the process groups of commands a previous run left
// running and keeps the list for reportOrphans. Their jobs' returns died
// with that run, so nobody would see what they do next. Call it before any
// job runs.
func (m *Minion) reapOrphans() {
	orphans, err := m.procs.Reap()
	if err != nil {
		m.log.Warn("cannot look for commands a previous run left running", "err", err)
		return
	}
	for _, o := range orphans {
		m.log.Warn("killed a command the previous run of the minion left running (its job was lost)",
			"pgid", o.PGID, "function", o.Label, "started", o.Start.Format(time.RFC3339), "processes", o.Processes,
			"killed", o.Killed, "err", o.Error)
	}
	m.mu.Lock()
	m.orphans = orphans
	m.mu.Unlock()
}

// reportOrphans fires TagOrphans with what reapOrphans found, once.
func (m *Minion) reportOrphans() {
	m.mu.Lock()
	orphans := m.orphans
	m.orphans = nil
	m.mu.Unlock()
	if len(orphans) == 0 {
		return
	}
	list := make([]any, len(orphans))
	for i, o := range orphans {
		list[i] = map[string]any{
			"pgid": o.PGID, "function": o.Label, "start": o.Start.Format(time.RFC3339Nano),
			"processes": o.Processes, "killed": o.Killed, "error": o.Error,
		}
	}
	if err := m.fireEvent(TagOrphans(m.cfg.ID), map[string]any{"orphans": list}); err != nil {
		m.log.Warn("cannot report the commands left running", "err", err)
	}
}
