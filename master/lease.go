package master

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// Key leases: the keys of minions that autoscale (or cloud) made join
// carry a lease (keyRecord.Lease). Such a minion whose instance went away
// without a goodbye (a lost termination message, an instance killed
// outside its group) would leave its key behind for ever, as happens
// behind Salt's autoscaling reactors: once it has been disconnected longer
// than key_lease, its key and mine data are removed and
// brine/key/lease/expired fires.

// acceptLeased accepts id's pending key and records its lease.
func (k *keyStore) acceptLeased(ctx context.Context, id, lease string) error {
	for range 5 {
		r, rev, err := k.get(ctx, id)
		if err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("no key for %s", id)
		}
		if r.State == proto.KeyAccepted && r.Lease == lease {
			return nil
		}
		if r.State != proto.KeyPending && r.State != proto.KeyAccepted {
			return fmt.Errorf("key %s is %s, not pending", id, r.State)
		}
		was := r.State
		r.State, r.Lease = proto.KeyAccepted, lease
		if err := k.put(ctx, r, rev); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err) {
				continue
			}
			return err
		}
		if was != proto.KeyAccepted {
			k.fire(proto.TagKey, map[string]any{"id": id, "act": "accept", "lease": lease})
		}
		return nil
	}
	return fmt.Errorf("key %s: too many concurrent updates", id)
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return (errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) ||
		strings.Contains(err.Error(), "wrong last sequence")
}

// leaseSweep is how often leases are checked: a tenth of key_lease,
// within [250ms, 1m].
func leaseSweep(lease time.Duration) time.Duration {
	return min(max(lease/10, 250*time.Millisecond), time.Minute)
}

// expireLeases removes leased keys whose minion has been gone longer than
// key_lease, until ctx ends.
func (m *Master) expireLeases(ctx context.Context) {
	lease := time.Duration(m.cfg.KeyLease * float64(time.Second))
	if lease <= 0 {
		return
	}
	// absentSince notes when this master first saw a leased minion
	// absent, for minions it never saw go (disconnected before it started).
	absentSince := map[string]time.Time{}
	t := time.NewTicker(leaseSweep(lease))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		m.fleet.mu.RLock()
		var leased []*keyRecord
		for _, r := range m.fleet.keys {
			if r.Lease != "" && r.State == proto.KeyAccepted {
				leased = append(leased, r)
			}
		}
		m.fleet.mu.RUnlock()
		seen := map[string]bool{}
		for _, r := range leased {
			seen[r.ID] = true
			if m.presence.isConnected(r.ID) {
				delete(absentSince, r.ID)
				continue
			}
			since, ok := absentSince[r.ID]
			if !ok {
				since = now
				if gone := m.presence.absentFor(r.ID); gone > 0 {
					since = now.Add(-gone)
				} else if r.Updated.After(m.startedAt) {
					since = r.Updated // accepted since this master started
				}
				absentSince[r.ID] = since
			}
			if now.Sub(since) < lease || m.presence.isConnected(r.ID) {
				continue
			}
			m.log.Info("key lease expired: minion gone longer than key_lease; key and mine data removed", "id", r.ID, "lease", r.Lease, "gone", now.Sub(since).Round(time.Second))
			if err := m.deleteMinion(ctx, r.ID); err != nil {
				m.log.Warn("removing a minion whose lease expired", "id", r.ID, "err", err)
				continue
			}
			delete(absentSince, r.ID)
			m.fire("brine/key/lease/expired", map[string]any{"id": r.ID, "lease": r.Lease, "gone_seconds": now.Sub(since).Seconds()})
		}
		for id := range absentSince {
			if !seen[id] {
				delete(absentSince, id)
			}
		}
	}
}
