package master

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/proto"
)

// presence follows the bus's own connect and disconnect advisories (system
// account) to know which minions are connected, and since when they are
// gone. It feeds mine_ttl, manage.* and salt/presence events.
type presence struct {
	mu   sync.Mutex
	conn map[string]int       // id -> live connections
	gone map[string]time.Time // id -> when its last connection closed
	// Changes since the last salt/presence/change event.
	added, lost map[string]bool
	since       time.Time // when this master started following
	// ready marks minions that said hello (grains with connect) on their
	// current connection: their job subscription exists. A job published
	// to a minion connected but not yet ready is also kept for replay at
	// its hello (the minion ignores a jid it has seen).
	ready map[string]bool
}

func newPresence() *presence {
	return &presence{conn: map[string]int{}, gone: map[string]time.Time{}, added: map[string]bool{}, lost: map[string]bool{}, since: time.Now(), ready: map[string]bool{}}
}

// presenceWarmup is how long after start a master takes a minion it has
// not seen connect for disconnected: minions that stayed connected to an
// external bus through a master restart are seen again by then (they
// re-authenticate or show in the advisories).
const presenceWarmup = 30 * time.Second

// knownDown reports whether id is surely not connected now: this master saw
// its last connection close, or has been up past presenceWarmup without
// seeing it connect.
func (p *presence) knownDown(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn[id] > 0 {
		return false
	}
	_, wentAway := p.gone[id]
	return wentAway || time.Since(p.since) > presenceWarmup
}

// takeChanges returns and clears the ids that came and went since the last
// call (an id that did both is reported as it ended).
func (p *presence) takeChanges() (added, lost []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id := range p.added {
		added = append(added, id)
	}
	for id := range p.lost {
		lost = append(lost, id)
	}
	clear(p.added)
	clear(p.lost)
	sort.Strings(added)
	sort.Strings(lost)
	return added, lost
}

// minionName returns the minion id of a connection, or "" for the master's
// own and operator connections.
func minionName(ci server.ClientInfo) string {
	if proto.ValidID(ci.Name) != nil { // also refuses "", ctl and brine-master*
		return ""
	}
	return ci.Name
}

func (p *presence) connected(id string) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conn[id]++
	delete(p.gone, id)
	if p.conn[id] == 1 {
		delete(p.lost, id)
		p.added[id] = true
		return true
	}
	return false
}

func (p *presence) disconnected(id string, at time.Time) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn[id] <= 1 {
		delete(p.conn, id)
		delete(p.ready, id)
		p.gone[id] = at
		delete(p.added, id)
		p.lost[id] = true
		return true
	}
	p.conn[id]--
	return false
}

// absentFor is how long id has been disconnected; zero if connected or if
// this master never saw it go.
func (p *presence) absentFor(id string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.gone[id]; ok {
		return time.Since(t)
	}
	return 0
}

// isConnected reports whether id has a live connection now.
func (p *presence) isConnected(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn[id] > 0
}

// present lists connected minions, sorted.
func (p *presence) present() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.conn))
	for id := range p.conn {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Presence events, as Salt's presence_events: salt/presence/change at most
// every presenceChangeEvery with the minions that came and went, and
// salt/presence/present every presentEvery with all connected minions.
const (
	presenceChangeEvery = time.Second
	presentEvery        = time.Minute
)

// presenceEvents fires the batched presence events until ctx ends.
func (m *Master) presenceEvents(ctx context.Context) {
	change := time.NewTicker(presenceChangeEvery)
	defer change.Stop()
	present := time.NewTicker(presentEvery)
	defer present.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-change.C:
			added, lost := m.presence.takeChanges()
			if len(added)+len(lost) > 0 {
				m.fire(proto.TagPresenceChange, map[string]any{"new": nonNilStrings(added), "lost": nonNilStrings(lost)})
			}
		case <-present.C:
			m.fire(proto.TagPresence, map[string]any{"present": m.presence.present()})
			m.pending.sweep()
		}
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// followPresence subscribes to connect/disconnect advisories of the BRINE
// account on the system connection.
func (m *Master) followPresence(ctx context.Context) error {
	go m.presenceEvents(ctx)
	handle := func(msg *nats.Msg, up bool) {
		var ev struct {
			Server server.ServerInfo `json:"server"`
			Client server.ClientInfo `json:"client"`
		}
		if err := json.Unmarshal(msg.Data, &ev); err != nil {
			return
		}
		id := minionName(ev.Client)
		if id == "" {
			return
		}
		if up {
			m.presence.connected(id)
		} else {
			m.conns.remove(id, ev.Server.ID, ev.Client.ID)
			m.presence.disconnected(id, time.Now())
		}
	}
	if _, err := m.sysNC.Subscribe(fmt.Sprintf("$SYS.ACCOUNT.%s.CONNECT", accountBrine), func(msg *nats.Msg) { handle(msg, true) }); err != nil {
		return fmt.Errorf("follow connects: %w", err)
	}
	if _, err := m.sysNC.Subscribe(fmt.Sprintf("$SYS.ACCOUNT.%s.DISCONNECT", accountBrine), func(msg *nats.Msg) { handle(msg, false) }); err != nil {
		return fmt.Errorf("follow disconnects: %w", err)
	}
	return m.sysNC.Flush()
}

// markReady records id's hello on its current connection.
func (p *presence) markReady(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ready[id] = true
}

// isReady reports whether id is connected and has said hello since.
func (p *presence) isReady(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready[id] && p.conn[id] > 0
}
