package master

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
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
}

func newPresence() *presence {
	return &presence{conn: map[string]int{}, gone: map[string]time.Time{}}
}

// minionName returns the minion id of a connection, or "" for the master's
// own and operator connections.
func minionName(ci server.ClientInfo) string {
	if ci.Name == "" || ci.Name == "ctl" || strings.HasPrefix(ci.Name, "brine-master") || proto.ValidID(ci.Name) != nil {
		return ""
	}
	return ci.Name
}

func (p *presence) connected(id string) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conn[id]++
	delete(p.gone, id)
	return p.conn[id] == 1
}

func (p *presence) disconnected(id string, at time.Time) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn[id] <= 1 {
		delete(p.conn, id)
		p.gone[id] = at
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

// followPresence subscribes to connect/disconnect advisories of the BRINE
// account on the system connection.
func (m *Master) followPresence() error {
	handle := func(msg *nats.Msg, up bool) {
		var ev struct {
			Client server.ClientInfo `json:"client"`
		}
		if err := json.Unmarshal(msg.Data, &ev); err != nil {
			return
		}
		id := minionName(ev.Client)
		if id == "" {
			return
		}
		var changed bool
		if up {
			changed = m.presence.connected(id)
		} else {
			changed = m.presence.disconnected(id, time.Now())
		}
		if changed {
			key := "lost"
			if up {
				key = "new"
			}
			m.fire(proto.TagPresenceChange, map[string]any{key: []string{id}})
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
