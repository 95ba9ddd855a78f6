package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// Damage detection. JetStream recovers a damaged file store by dropping
// what it cannot read, silently: a flipped byte or a truncated block can
// lose accepted keys or jobs with nothing in the log. And a damaged message
// that its saved stream state still lists is worse: every reader of the
// stream (the master's key watch at start, say) stalls on it for good.
// So at start the master
//   - removes each stream's saved state (msgs/index.db) before the bus
//     opens the store, which makes nats-server rebuild every stream from
//     its message blocks, checking every message's checksum and cutting a
//     block at the first damaged record, as after a crash;
//   - compares each stream with root_dir/store.manifest, a small record of
//     what the store held (written atomically at start, every
//     manifestEvery while running and at a clean stop): a last sequence
//     that went back, fewer entries in a bucket that never expires, or
//     fewer entries with nothing written since, is data lost;
//   - looks up every key the manifest lists as accepted: a key that is
//     neither there nor deleted (a delete leaves a marker) was lost,
//
// and logs each loss as an ERROR naming the bucket or stream, how many
// entries, and the minion ids whose accepted keys are gone.

const manifestFile = "store.manifest"

// manifestEvery is how often the running master refreshes the manifest.
const manifestEvery = 10 * time.Second

// storeManifest is what the store held when it was last written.
type storeManifest struct {
	Written time.Time             `json:"written"`
	Streams map[string]streamMark `json:"streams"`
	// AcceptedKeys are the ids of accepted minion keys.
	AcceptedKeys []string `json:"accepted_keys"`
}

// streamMark is one stream's state.
type streamMark struct {
	Msgs     uint64 `json:"msgs"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	// Expires is set for streams that drop entries by age or count, whose
	// entry count may fall without loss.
	Expires bool `json:"expires,omitempty"`
}

func (a storeManifest) equal(b storeManifest) bool {
	if len(a.Streams) != len(b.Streams) || !slices.Equal(a.AcceptedKeys, b.AcceptedKeys) {
		return false
	}
	for k, v := range a.Streams {
		if w, ok := b.Streams[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func readManifest(rootDir string) (*storeManifest, error) {
	b, err := os.ReadFile(filepath.Join(rootDir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read store manifest: %w", err)
	}
	var m storeManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read store manifest %s: %w", filepath.Join(rootDir, manifestFile), err)
	}
	return &m, nil
}

func writeManifest(rootDir string, m *storeManifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(rootDir, manifestFile), append(b, '\n'), 0o600)
}

// streamLoss is what the check found lost in one stream.
type streamLoss struct {
	Stream string
	// Lost is how many entries are gone, at least.
	Lost uint64
	// Missing is set when the whole stream is gone.
	Missing bool
	// Keys are accepted minion ids whose keys are gone (keys bucket).
	Keys []string
}

// compareStream finds how many entries of one stream were lost, at least,
// between the manifest's mark and its state now.
func compareStream(was, now streamMark) uint64 {
	var lost uint64
	if now.LastSeq < was.LastSeq {
		// The newest entries are gone: nothing but damage takes them.
		lost = min(was.LastSeq-now.LastSeq, was.Msgs)
	}
	if now.Msgs < was.Msgs {
		fewer := was.Msgs - now.Msgs
		// A bucket that never expires keeps its count through updates and
		// deletes (a delete leaves a marker). Any stream keeps it while
		// nothing was written and nothing aged out from the front.
		if !was.Expires || (now.LastSeq == was.LastSeq && now.FirstSeq == was.FirstSeq) {
			lost = max(lost, fewer)
		}
	}
	return lost
}

// describe is the ERROR line's message for a loss.
func (l streamLoss) describe() string {
	what := "stream " + l.Stream
	noun := "entries"
	if b, ok := strings.CutPrefix(l.Stream, "KV_"); ok {
		what = "bucket " + b
		switch b {
		case proto.BucketKeys:
			noun = "minion keys"
		case proto.BucketJobs:
			noun = "job records"
		case proto.BucketGrains:
			noun = "grains entries"
		}
	} else if l.Stream == proto.StreamReturns {
		noun = "job returns"
	} else if l.Stream == proto.StreamEvents {
		noun = "events"
	}
	var parts []string
	switch {
	case l.Missing:
		parts = append(parts, fmt.Sprintf("the store lost %s: it could not be read back (%d %s gone)", what, l.Lost, noun))
	case l.Lost > 0:
		parts = append(parts, fmt.Sprintf("the store lost %d %s from %s", l.Lost, noun, what))
	default:
		parts = append(parts, fmt.Sprintf("the store lost data from %s", what))
	}
	if len(l.Keys) > 0 {
		parts = append(parts, fmt.Sprintf("accepted keys lost (accept them again or restore a backup): %s", strings.Join(l.Keys, ", ")))
	}
	if l.Stream == "KV_"+proto.BucketKeys && !l.Missing && l.Lost > 0 {
		// Cutting the newest entries brings older ones back: a key
		// rejected or deleted lately may be accepted again.
		parts = append(parts, "recent key decisions may be undone: review `ctl key list`")
	}
	return strings.Join(parts, "; ")
}

// check verifies the store at start and reports every loss as an ERROR.
// It runs before the master opens (or creates) its buckets. A stream the
// manifest lists that the bus could not open while its message blocks are
// still on disk (its metadata is damaged) comes back with its data when the
// master creates it again: write checks it then, before the first manifest.
func (w *manifestWriter) check(ctx context.Context) ([]streamLoss, error) {
	m := w.m
	start := time.Now()
	was, err := readManifest(m.cfg.RootDir)
	if err != nil {
		m.log.Error("store manifest unreadable: losses since the last run cannot be named", "err", err)
		was = nil
	}
	if was == nil && err == nil {
		m.log.Info("no store manifest yet: what damage takes from the store is named from the next start on", "file", filepath.Join(m.cfg.RootDir, manifestFile))
	}
	names, err := streamNames(ctx, m.nc)
	if err != nil {
		return nil, err
	}
	var losses []streamLoss
	present := map[string]bool{}
	for _, name := range names {
		present[name] = true
		if was == nil {
			continue
		}
		mark, ok := was.Streams[name]
		if !ok {
			continue
		}
		loss, err := w.lossOf(ctx, name, mark, was.AcceptedKeys)
		if err != nil {
			return nil, err
		}
		if loss != nil {
			losses = append(losses, *loss)
		}
	}
	if was != nil {
		for name, mark := range was.Streams {
			if present[name] || mark.Msgs == 0 {
				continue
			}
			if blocks, _ := filepath.Glob(filepath.Join(m.cfg.RootDir, "jetstream", "jetstream", accountBrine, "streams", name, "msgs", "*.blk")); len(blocks) > 0 {
				m.log.Warn("the store could not open a stream (its metadata is damaged); its data is checked once the master has created it again", "stream", name)
				if w.recheck == nil {
					w.recheck = &storeManifest{Streams: map[string]streamMark{}, AcceptedKeys: was.AcceptedKeys}
				}
				w.recheck.Streams[name] = mark
				continue
			}
			losses = append(losses, missingLoss(name, mark, was.AcceptedKeys))
		}
	}
	w.report(losses)
	m.log.Info("store checked", "streams", len(names), "damaged", len(losses), "took", time.Since(start).Round(time.Millisecond))
	return losses, nil
}

// recheckReopened checks the streams check deferred, now that the master
// has created them again.
func (w *manifestWriter) recheckReopened(ctx context.Context) ([]streamLoss, error) {
	if w.recheck == nil {
		return nil, nil
	}
	names, err := streamNames(ctx, w.m.nc)
	if err != nil {
		return nil, err
	}
	var losses []streamLoss
	for name, mark := range w.recheck.Streams {
		if !slices.Contains(names, name) {
			losses = append(losses, missingLoss(name, mark, w.recheck.AcceptedKeys))
			continue
		}
		loss, err := w.lossOf(ctx, name, mark, w.recheck.AcceptedKeys)
		if err != nil {
			return nil, err
		}
		if loss == nil {
			w.m.log.Info("stream recreated from its data, nothing lost", "stream", name)
			continue
		}
		losses = append(losses, *loss)
	}
	w.recheck = nil
	w.report(losses)
	return losses, nil
}

func missingLoss(name string, mark streamMark, accepted []string) streamLoss {
	loss := streamLoss{Stream: name, Missing: true, Lost: mark.Msgs}
	if name == "KV_"+proto.BucketKeys {
		loss.Keys = slices.Clone(accepted)
	}
	return loss
}

// lossOf compares one stream with its manifest mark; nil: nothing lost.
func (w *manifestWriter) lossOf(ctx context.Context, name string, mark streamMark, accepted []string) (*streamLoss, error) {
	now, err := w.m.streamMark(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("check store: %w", err)
	}
	loss := streamLoss{Stream: name, Lost: compareStream(mark, now)}
	if name == "KV_"+proto.BucketKeys {
		// The newest entries are gone, or entries went missing with
		// nothing written since: every key the manifest lists as accepted
		// must still be accepted (an older entry that damage brought back
		// is no accepted key).
		strict := now.LastSeq < mark.LastSeq || (now.LastSeq == mark.LastSeq && now.Msgs < mark.Msgs)
		if loss.Keys, err = w.m.lostKeys(ctx, accepted, strict); err != nil {
			return nil, fmt.Errorf("check store: %w", err)
		}
		loss.Lost = max(loss.Lost, uint64(len(loss.Keys)))
	}
	if loss.Lost == 0 && len(loss.Keys) == 0 {
		return nil, nil
	}
	return &loss, nil
}

// report logs each loss as an ERROR.
func (w *manifestWriter) report(losses []streamLoss) {
	slices.SortFunc(losses, func(a, b streamLoss) int { return strings.Compare(a.Stream, b.Stream) })
	for _, l := range losses {
		args := []any{"stream", l.Stream, "lost", l.Lost, "root_dir", w.m.cfg.RootDir}
		if len(l.Keys) > 0 {
			args = append(args, "minions", strings.Join(l.Keys, ","))
		}
		w.m.log.Error(l.describe(), args...)
	}
}

// dropStreamStates removes every stream's saved state under rootDir's
// store, so that the bus rebuilds (and checks) each stream from its message
// blocks when it opens the store. Run it only before the bus starts.
func dropStreamStates(rootDir string) error {
	states, err := filepath.Glob(filepath.Join(rootDir, "jetstream", "jetstream", "*", "streams", "*", "msgs", "index.db"))
	if err != nil {
		return err
	}
	for _, f := range states {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("drop saved stream state %s: %w", f, err)
		}
	}
	return nil
}

// lostKeys returns the ids in accepted that have no entry in the keys
// bucket now: neither a key nor the marker a deletion leaves. With strict
// (nothing was written to the bucket since accepted was taken), an id
// whose entry is no longer an accepted key is lost too: damage brought an
// older entry back.
func (m *Master) lostKeys(ctx context.Context, accepted []string, strict bool) ([]string, error) {
	if len(accepted) == 0 {
		return nil, nil
	}
	// One pass over the bucket's newest entries (a watch delivers them all
	// in one go), not a lookup per id: ten thousand lookups took seconds
	// while the fleet waited to reconnect.
	kv, err := m.js.KeyValue(ctx, proto.BucketKeys)
	if err != nil {
		return nil, fmt.Errorf("keys bucket: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	w, err := kv.WatchAll(wctx)
	if err != nil {
		return nil, fmt.Errorf("read keys bucket: %w", err)
	}
	defer w.Stop()
	latest := map[string]jetstream.KeyValueEntry{}
read:
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				break read
			}
			latest[e.Key()] = e
		case <-wctx.Done():
			return nil, fmt.Errorf("read keys bucket: %w", wctx.Err())
		}
	}
	var lost []string
	for _, id := range accepted {
		e, ok := latest[id]
		if !ok {
			lost = append(lost, id)
			continue
		}
		if strict {
			var r keyRecord
			if e.Operation() != jetstream.KeyValuePut || json.Unmarshal(e.Value(), &r) != nil || r.State != proto.KeyAccepted {
				lost = append(lost, id)
			}
		}
	}
	return lost, nil
}

// streamMark reads a stream's state for the manifest.
func (m *Master) streamMark(ctx context.Context, name string) (streamMark, error) {
	st, err := m.js.Stream(ctx, name)
	if err != nil {
		return streamMark{}, fmt.Errorf("stream %s: %w", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return streamMark{}, fmt.Errorf("stream %s: %w", name, err)
	}
	c := info.Config
	return streamMark{
		Msgs:     info.State.Msgs,
		FirstSeq: info.State.FirstSeq,
		LastSeq:  info.State.LastSeq,
		Expires:  c.MaxAge > 0 || c.MaxMsgs > 0 || c.MaxBytes > 0 || c.Retention != jetstream.LimitsPolicy,
	}, nil
}

// manifestWriter checks the store against store.manifest at start and
// keeps the manifest current.
type manifestWriter struct {
	m *Master

	mu       sync.Mutex // one write at a time: the ticker's and the last one at stop
	last     storeManifest
	keysSeq  uint64
	keysList []string
	// recheck holds the marks of streams check deferred until the master
	// has created them again.
	recheck *storeManifest
}

// snapshot reads what the store holds now.
func (w *manifestWriter) snapshot(ctx context.Context) (storeManifest, error) {
	names, err := streamNames(ctx, w.m.nc)
	if err != nil {
		return storeManifest{}, err
	}
	man := storeManifest{Streams: map[string]streamMark{}}
	for _, name := range names {
		mark, err := w.m.streamMark(ctx, name)
		if err != nil {
			return storeManifest{}, err
		}
		man.Streams[name] = mark
	}
	keys := man.Streams["KV_"+proto.BucketKeys]
	if keys.LastSeq != w.keysSeq || w.keysList == nil {
		ids, err := w.acceptedIDs(ctx)
		if err != nil {
			return storeManifest{}, err
		}
		w.keysList, w.keysSeq = ids, keys.LastSeq
	}
	man.AcceptedKeys = w.keysList
	return man, nil
}

// acceptedIDs lists the accepted minion ids, from the fleet cache (which
// follows the keys bucket) when the master has one.
func (w *manifestWriter) acceptedIDs(ctx context.Context) ([]string, error) {
	ids := []string{}
	if f := w.m.fleet; f != nil {
		f.mu.RLock()
		for id, r := range f.keys {
			if r.State == proto.KeyAccepted {
				ids = append(ids, id)
			}
		}
		f.mu.RUnlock()
	} else {
		recs, err := w.m.keys.all(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.State == proto.KeyAccepted {
				ids = append(ids, r.ID)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// write refreshes the manifest when the store changed.
func (w *manifestWriter) write(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.recheckReopened(ctx); err != nil {
		return err
	}
	if w.m.guard != nil && w.m.guard.isFull() {
		return nil // keep the last good manifest; it cannot be written anyway
	}
	man, err := w.snapshot(ctx)
	if err != nil {
		return err
	}
	if man.equal(w.last) {
		return nil
	}
	man.Written = time.Now().UTC()
	if err := writeManifest(w.m.cfg.RootDir, &man); err != nil {
		return err
	}
	w.last = man
	return nil
}

// run refreshes the manifest every manifestEvery until ctx ends.
func (w *manifestWriter) run(ctx context.Context) {
	t := time.NewTicker(manifestEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.write(ctx); err != nil && ctx.Err() == nil {
				w.m.log.Warn("store manifest not updated", "err", err)
			}
		}
	}
}
