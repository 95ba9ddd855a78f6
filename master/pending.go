package master

import (
	"sync"
	"time"
)

// pendingJobs keeps, for a short while, the jobs published to minions that
// were not connected at that moment: a minion whose key was accepted a
// moment ago, or one reconnecting, is targeted (its key is accepted) but
// not yet subscribed, and a job sent then would be lost while ctl waits
// out its timeout. When the minion connects and announces itself, the
// master sends it the jobs still waited for; the minion runs each jid once.
type pendingJobs struct {
	mu sync.Mutex
	m  map[string][]pendingJob // minion id -> jobs, oldest first
}

type pendingJob struct {
	jid   string
	body  []byte
	until time.Time
}

// Bounds: per minion and per job body, so that jobs for a fleet that is
// gone cannot grow the master without limit.
const (
	maxPendingPerMinion = 16
	maxPendingBody      = 1 << 20
	pendingGrace        = 5 * time.Second
)

func (p *pendingJobs) add(id, jid string, body []byte, until time.Time) {
	if len(body) > maxPendingBody {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]pendingJob{}
	}
	now := time.Now()
	q := p.m[id][:0:0]
	for _, j := range p.m[id] {
		if j.until.After(now) {
			q = append(q, j)
		}
	}
	q = append(q, pendingJob{jid: jid, body: body, until: until})
	if len(q) > maxPendingPerMinion {
		q = q[len(q)-maxPendingPerMinion:]
	}
	p.m[id] = q
}

// take returns and forgets id's jobs still waited for.
func (p *pendingJobs) take(id string) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.m[id]
	delete(p.m, id)
	now := time.Now()
	var out [][]byte
	for _, j := range q {
		if j.until.After(now) {
			out = append(out, j.body)
		}
	}
	return out
}

// sweep drops expired jobs of every minion.
func (p *pendingJobs) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for id, q := range p.m {
		keep := q[:0]
		for _, j := range q {
			if j.until.After(now) {
				keep = append(keep, j)
			}
		}
		if len(keep) == 0 {
			delete(p.m, id)
		} else {
			p.m[id] = keep
		}
	}
}
