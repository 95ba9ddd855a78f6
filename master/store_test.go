package master

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// lockedBuffer is a log sink tests read while the code writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger() (*slog.Logger, *lockedBuffer) {
	buf := &lockedBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})), buf
}

func TestCompareStream(t *testing.T) {
	for _, tc := range []struct {
		name     string
		was, now streamMark
		lost     uint64
	}{
		{"unchanged", streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 5}, streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 5}, 0},
		{"grew", streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 5}, streamMark{Msgs: 7, FirstSeq: 1, LastSeq: 7}, 0},
		{"tail cut", streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 5}, streamMark{Msgs: 2, FirstSeq: 1, LastSeq: 2}, 3},
		{"tail cut of a bucket with history", streamMark{Msgs: 2, FirstSeq: 3, LastSeq: 9}, streamMark{Msgs: 2, FirstSeq: 1, LastSeq: 4}, 2},
		{"bucket lost entries in the middle", streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 9}, streamMark{Msgs: 3, FirstSeq: 1, LastSeq: 9}, 2},
		{"expiring stream aged out", streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 5, Expires: true}, streamMark{Msgs: 2, FirstSeq: 4, LastSeq: 5, Expires: true}, 0},
		{"expiring stream written to since", streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 5, Expires: true}, streamMark{Msgs: 4, FirstSeq: 3, LastSeq: 6, Expires: true}, 0},
		{"expiring stream lost entries, nothing written", streamMark{Msgs: 5, FirstSeq: 1, LastSeq: 5, Expires: true}, streamMark{Msgs: 3, FirstSeq: 1, LastSeq: 5, Expires: true}, 2},
	} {
		if got := compareStream(tc.was, tc.now); got != tc.lost {
			t.Errorf("%s: lost %d, want %d", tc.name, got, tc.lost)
		}
	}
}

func TestIsNoSpace(t *testing.T) {
	for s, want := range map[string]bool{
		"write /x/1.blk: no space left on device":                                                       true,
		"nats: API error: code=500 err_code=10077 description=write 1.blk: no space left on device":     true,
		"nats: API error: code=500 err_code=10047 description=insufficient storage resources available": false,
		"context deadline exceeded": false,
		"wrong last sequence: 4":    false,
	} {
		if got := isNoSpace(s); got != want {
			t.Errorf("isNoSpace(%q) = %v", s, got)
		}
	}
}

// TestStoreGuardWrite: a write that fails for want of space, or is under
// way when the server reports the disk full, is answered at once with
// "no space left on device in ROOT"; later writes fail without reaching
// the store until space returns.
func TestStoreGuardWrite(t *testing.T) {
	root := t.TempDir()
	log, logs := testLogger()
	g := newStoreGuard(root, nil, log)
	ctx := context.Background()
	if err := g.write(ctx, "job 1", func(context.Context) error { return nil }); err != nil {
		t.Fatalf("write: %v", err)
	}
	// A plain error passes through untouched, and does not mark the store.
	other := jetstream.ErrKeyExists
	if err := g.write(ctx, "job 1", func(context.Context) error { return other }); !errors.Is(err, other) || g.isFull() {
		t.Fatalf("write with %v: got %v, full %v", other, err, g.isFull())
	}
	err := g.write(ctx, "job 2", func(context.Context) error {
		return errors.New("nats: API error: code=500 err_code=10077 description=write 1.blk: no space left on device")
	})
	var pe *proto.Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "no space left on device in "+root) || !strings.Contains(pe.Message, "job 2") {
		t.Fatalf("write on a full store: %v", err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a full store is not logged as an error:\n%s", logs)
	}
	called := false
	if err := g.write(ctx, "job 3", func(context.Context) error { called = true; return nil }); err == nil || called {
		t.Fatalf("write while full: err %v, reached the store %v", err, called)
	}
	// Space is there (a temp dir): with no embedded server to restart,
	// recovery only clears the state.
	if !g.recovered(ctx) || g.isFull() {
		t.Fatal("the guard did not recover with space free")
	}
	if err := g.write(ctx, "job 4", func(context.Context) error { return nil }); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}

	// A write the server never answers is cut short when the server
	// reports the disk full (the publisher would otherwise wait out its
	// timeout).
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- g.write(ctx, "job 5", func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	<-started
	sl := &storeLogger{natsLogger: natsLogger{log: log}, guard: g}
	sl.Errorf("Filestore [%s] Critical write error: %v", "KV_brine_jobs", "write 1.blk: no space left on device")
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no space left on device in "+root) {
			t.Fatalf("cut-short write: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write under way was not cut short when the disk filled")
	}
}

// openStore opens root's store with a bus of its own (as `master backup`
// does offline) and returns a master wired to it for the store check.
func openStore(t *testing.T, root string, log *slog.Logger) (*Master, func()) {
	t.Helper()
	cfg := &Config{RootDir: root}
	lock, err := lockRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	ns, nc, err := startOffline(cfg, log)
	if err != nil {
		lock.release()
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	m := &Master{cfg: cfg, log: log, nc: nc, js: js}
	var once sync.Once
	closeFn := func() {
		once.Do(func() {
			nc.Close()
			ns.Shutdown()
			ns.WaitForShutdown()
			lock.release()
		})
	}
	t.Cleanup(closeFn)
	return m, closeFn
}

func openKeys(t *testing.T, m *Master) jetstream.KeyValue {
	t.Helper()
	kv, err := m.js.CreateOrUpdateKeyValue(context.Background(), jetstream.KeyValueConfig{
		Bucket: proto.BucketKeys, History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.keys = &keyStore{kv: kv, cache: newFleet(m.log), log: m.log}
	return kv
}

func putKey(t *testing.T, kv jetstream.KeyValue, id, state string) {
	t.Helper()
	b, _ := json.Marshal(keyRecord{ID: id, Public: "U" + strings.Repeat("A", 55), State: state, Updated: time.Now().UTC()})
	if _, err := kv.Put(context.Background(), id, b); err != nil {
		t.Fatal(err)
	}
}

func keysBlock(root string) string {
	return filepath.Join(root, "jetstream", "jetstream", accountBrine, "streams", "KV_"+proto.BucketKeys, "msgs", "1.blk")
}

// TestStoreCheckNamesLostKeys: a truncated block that takes accepted keys
// is an ERROR at start naming the bucket and the minion ids; keys deleted
// or added after the manifest are no loss.
func TestStoreCheckNamesLostKeys(t *testing.T) {
	root := t.TempDir()
	log, _ := testLogger()
	ctx := context.Background()
	m, closeStore := openStore(t, root, log)
	kv := openKeys(t, m)
	for _, id := range []string{"web-1", "web-2", "web-3", "db-1"} {
		putKey(t, kv, id, proto.KeyAccepted)
	}
	if err := (&manifestWriter{m: m}).write(ctx); err != nil {
		t.Fatal(err)
	}
	// After the manifest, as if the master then crashed: web-3 deleted,
	// db-2 added. Neither is a loss.
	if err := kv.Delete(ctx, "web-3"); err != nil {
		t.Fatal(err)
	}
	putKey(t, kv, "db-2", proto.KeyPending)
	putKey(t, kv, "web-1", proto.KeyRejected) // an update in the middle of the block
	before, err := m.streamMark(ctx, "KV_"+proto.BucketKeys)
	if err != nil {
		t.Fatal(err)
	}
	closeStore()

	// A clean restart reports nothing, and rebuilding the stream from its
	// blocks brings back no entry that an update or delete replaced.
	if err := dropStreamStates(root); err != nil {
		t.Fatal(err)
	}
	m, closeStore = openStore(t, root, log)
	if losses, err := (&manifestWriter{m: m}).check(ctx); err != nil || len(losses) != 0 {
		t.Fatalf("undamaged store: losses %+v, err %v", losses, err)
	}
	if after, err := m.streamMark(ctx, "KV_"+proto.BucketKeys); err != nil || after != before {
		t.Fatalf("keys bucket rebuilt from its blocks: %+v, was %+v (%v)", after, before, err)
	}
	closeStore()

	// Cut the block inside db-1's record: db-1 and everything after it are gone.
	blk := keysBlock(root)
	data, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte(`{"id":"db-1"`))
	if at < 0 {
		t.Fatalf("db-1's record not found in %s", blk)
	}
	if err := os.Truncate(blk, int64(at+10)); err != nil {
		t.Fatal(err)
	}
	if err := dropStreamStates(root); err != nil {
		t.Fatal(err)
	}
	log, logs := testLogger()
	m, _ = openStore(t, root, log)
	losses, err := (&manifestWriter{m: m}).check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 1 || losses[0].Stream != "KV_"+proto.BucketKeys || !slices.Equal(losses[0].Keys, []string{"db-1"}) {
		t.Fatalf("losses after a truncated block: %+v", losses)
	}
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "brine_keys") || !strings.Contains(out, "db-1") {
		t.Errorf("no ERROR naming the bucket and db-1:\n%s", out)
	}
}

// TestStoreCheckFlippedByte: a flipped byte in a stored key is found at
// start (the bus rebuilds the stream from its blocks), named, and no
// reader stalls on the damaged message afterwards.
func TestStoreCheckFlippedByte(t *testing.T) {
	root := t.TempDir()
	log, _ := testLogger()
	ctx := context.Background()
	m, closeStore := openStore(t, root, log)
	kv := openKeys(t, m)
	putKey(t, kv, "web-1", proto.KeyAccepted)
	putKey(t, kv, "web-2", proto.KeyAccepted)
	if err := (&manifestWriter{m: m}).write(ctx); err != nil {
		t.Fatal(err)
	}
	closeStore()

	blk := keysBlock(root)
	data, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte(`"id":"web-2"`))
	if at < 0 {
		t.Fatal("web-2's record not found")
	}
	data[at+7] ^= 0x20
	if err := os.WriteFile(blk, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := dropStreamStates(root); err != nil {
		t.Fatal(err)
	}
	log, logs := testLogger()
	m, _ = openStore(t, root, log)
	losses, err := (&manifestWriter{m: m}).check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 1 || !slices.Equal(losses[0].Keys, []string{"web-2"}) {
		t.Fatalf("losses after a flipped byte: %+v", losses)
	}
	if !strings.Contains(logs.String(), "web-2") {
		t.Errorf("the ERROR does not name web-2:\n%s", logs)
	}
	// A watch of the bucket delivers what is left and its end marker.
	kv = openKeys(t, m)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	w, err := kv.WatchAll(wctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var keys []string
	for e := range w.Updates() {
		if e == nil {
			break
		}
		keys = append(keys, e.Key())
	}
	if wctx.Err() != nil || !slices.Equal(keys, []string{"web-1"}) {
		t.Fatalf("watch after the check: keys %v, err %v", keys, wctx.Err())
	}
}

// TestStoreCheckDamagedMetadata: a stream whose metadata is damaged is not
// opened by the bus; when the master creates it again it comes back with
// its data, and only what is really gone is an ERROR.
func TestStoreCheckDamagedMetadata(t *testing.T) {
	root := t.TempDir()
	log, _ := testLogger()
	ctx := context.Background()
	m, closeStore := openStore(t, root, log)
	kv := openKeys(t, m)
	putKey(t, kv, "web-1", proto.KeyAccepted)
	w := &manifestWriter{m: m}
	if err := w.write(ctx); err != nil {
		t.Fatal(err)
	}
	closeStore()
	meta := filepath.Join(filepath.Dir(filepath.Dir(keysBlock(root))), "meta.inf")
	damage := func() {
		if err := os.WriteFile(meta, []byte(`{"name":"KV_brine_k`), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	damage()
	log, logs := testLogger()
	m, closeStore = openStore(t, root, log)
	w = &manifestWriter{m: m}
	if losses, err := w.check(ctx); err != nil || len(losses) != 0 {
		t.Fatalf("check with the keys bucket's metadata damaged: %+v, %v", losses, err)
	}
	openKeys(t, m) // the master creates its bucket again
	if losses, err := w.recheckReopened(ctx); err != nil || len(losses) != 0 {
		t.Fatalf("recheck of the recreated keys bucket: %+v, %v", losses, err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an ERROR for a stream that came back whole:\n%s", logs)
	}
	if err := w.write(ctx); err != nil {
		t.Fatal(err)
	}
	closeStore()

	// Metadata damaged and the data gone: web-1's key is lost.
	damage()
	if err := os.Remove(keysBlock(root)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(filepath.Dir(keysBlock(root)), "index.db")); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	log, logs = testLogger()
	m, _ = openStore(t, root, log)
	w = &manifestWriter{m: m}
	losses, err := w.check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 1 || !losses[0].Missing || !slices.Equal(losses[0].Keys, []string{"web-1"}) {
		t.Fatalf("losses with the keys bucket gone: %+v", losses)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "web-1") {
		t.Errorf("no ERROR naming web-1:\n%s", logs)
	}
}

// TestBackupRestore: a backup taken offline holds every bucket and
// stream; restore refuses a running master and a store that holds them
// already (unless forced), and brings them back into a wiped store.
func TestBackupRestore(t *testing.T) {
	root := t.TempDir()
	log, _ := testLogger()
	ctx := context.Background()
	m, closeStore := openStore(t, root, log)
	kv := openKeys(t, m)
	putKey(t, kv, "web-1", proto.KeyAccepted)
	putKey(t, kv, "web-2", proto.KeyPending)
	if _, err := m.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: proto.StreamReturns, Subjects: []string{proto.SubjectReturn + ".>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	// More than the snapshot window, in chunks the server must wait for.
	payload := make([]byte, 4000)
	for i := 0; i < 1500; i++ {
		copy(payload, fmt.Sprintf("return %d ", i))
		if _, err := m.js.Publish(ctx, proto.SubjectReturn+".1.web-1", payload); err != nil {
			t.Fatal(err)
		}
	}
	closeStore()

	cfg := &Config{RootDir: root}
	out := filepath.Join(t.TempDir(), "brine.backup")
	if err := Backup(ctx, cfg, out, log); err != nil {
		t.Fatalf("backup: %v", err)
	}

	lock, err := lockRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, cfg, out, false, log); err == nil || !strings.Contains(err.Error(), "running") {
		t.Errorf("restore with the root locked (a master running): %v", err)
	}
	lock.release()
	if err := Restore(ctx, cfg, out, false, log); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over existing streams: %v", err)
	}
	if err := Restore(ctx, cfg, out, true, log); err != nil {
		t.Errorf("restore --force: %v", err)
	}

	if err := os.RemoveAll(filepath.Join(root, "jetstream")); err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, cfg, out, false, log); err != nil {
		t.Fatalf("restore into a wiped store: %v", err)
	}
	m, _ = openStore(t, root, log)
	kv, err = m.js.KeyValue(ctx, proto.BucketKeys)
	if err != nil {
		t.Fatal(err)
	}
	for id, state := range map[string]string{"web-1": proto.KeyAccepted, "web-2": proto.KeyPending} {
		e, err := kv.Get(ctx, id)
		if err != nil {
			t.Fatalf("key %s after restore: %v", id, err)
		}
		var r keyRecord
		if err := json.Unmarshal(e.Value(), &r); err != nil || r.State != state {
			t.Errorf("key %s after restore: %s", id, e.Value())
		}
	}
	st, err := m.js.Stream(ctx, proto.StreamReturns)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Msgs != 1500 {
		t.Fatalf("returns after restore: %+v, %v", info, err)
	}
	if msg, err := st.GetMsg(ctx, 1234); err != nil || !bytes.HasPrefix(msg.Data, []byte("return 1233 ")) {
		t.Fatalf("return 1233 after restore: %v", err)
	}

	if err := Restore(ctx, cfg, filepath.Join(root, "ctl.creds"), false, log); err == nil {
		t.Error("restore of a file that is no backup succeeded")
	}
}

// TestRootLock: one master (or backup, or restore) per root_dir.
func TestRootLock(t *testing.T) {
	root := t.TempDir()
	l, err := lockRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockRoot(root); !errors.Is(err, errRootLocked) {
		t.Fatalf("second lock: %v", err)
	}
	l.release()
	l, err = lockRoot(root)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l.release()
}
