package master

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// The store guard keeps a full disk loud and recoverable. When the
// filesystem under root_dir fills up, nats-server's file store fails the
// write, logs it and never answers the publisher (which then waits out its
// timeout), and refuses every later write of that stream even once space
// returns. The guard learns of the failure from the server's log (or from a
// write that fails or times out while the disk is full), answers every
// store write at once with "no space left on device in ROOT_DIR", and
// watches the disk: once there is room again it restarts the embedded
// JetStream, which reopens every stream from disk, and writes resume.

// storeFreeMin is the free space the store's filesystem must have again
// before the guard restarts JetStream after a full disk.
const storeFreeMin = 4 << 20

// storeRecheck is how often a full store's filesystem is looked at.
const storeRecheck = 500 * time.Millisecond

type storeGuard struct {
	rootDir  string
	storeDir string         // nats-server's StoreDir (ROOT/jetstream)
	ns       *server.Server // nil with nats_url: nothing to restart
	log      *slog.Logger

	mu     sync.Mutex
	full   string        // why the store cannot write; "" while it can
	fullCh chan struct{} // closed when full is set
	wake   chan struct{} // starts the recovery loop
}

func newStoreGuard(rootDir string, ns *server.Server, log *slog.Logger) *storeGuard {
	return &storeGuard{
		rootDir:  rootDir,
		storeDir: filepath.Join(rootDir, "jetstream"),
		ns:       ns,
		log:      log,
		fullCh:   make(chan struct{}),
		wake:     make(chan struct{}, 1),
	}
}

// isNoSpace reports whether an error (or a server log line) says the
// store's filesystem is full (ENOSPC). JetStream's own limits (a stream's
// max_bytes, say) are not a full disk: restarting JetStream cures nothing
// there.
func isNoSpace(s string) bool {
	return strings.Contains(strings.ToLower(s), "no space left on device")
}

// markFull records that the store cannot write, once, and starts the
// recovery loop.
func (g *storeGuard) markFull(why string) {
	g.mu.Lock()
	if g.full != "" {
		g.mu.Unlock()
		return
	}
	g.full = why
	close(g.fullCh)
	g.mu.Unlock()
	g.log.Error("store out of space: writes are refused until space is freed", "root_dir", g.rootDir, "cause", why)
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// errFull is the error every store write gets while the store is full.
func (g *storeGuard) errFull(what string) error {
	return proto.Errorf(proto.ErrInternal, "no space left on device in %s: the master cannot store %s; free space there (the master resumes by itself)", g.rootDir, what)
}

// state returns the current full reason and the channel closed when the
// store becomes full.
func (g *storeGuard) state() (string, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.full, g.fullCh
}

// isFull reports whether the store is known to be full.
func (g *storeGuard) isFull() bool {
	full, _ := g.state()
	return full != ""
}

// write runs one store write for what ("job 2026...", "key web-1"). It fails
// at once while the store is full, is cut short when the store fills up
// during the write, and turns a write the server never acknowledged because
// the disk is full into the same clear error.
func (g *storeGuard) write(ctx context.Context, what string, op func(context.Context) error) error {
	full, fullCh := g.state()
	if full != "" {
		return g.errFull(what)
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-fullCh:
			cancel(errStoreFull)
		case <-stop:
		}
	}()
	err := op(wctx)
	if err == nil {
		return nil
	}
	if g.isFull() {
		return g.errFull(what)
	}
	if isNoSpace(err.Error()) {
		g.markFull(err.Error())
		return g.errFull(what)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The server drops a publish it could not write; a timeout with a
		// full filesystem under the store is that.
		if free, ok := diskFree(g.storeDir); ok && free < storeFreeMin {
			g.markFull(fmt.Sprintf("%s free on the store's filesystem after a write timed out", humanBytes(free)))
			return g.errFull(what)
		}
	}
	return err
}

var errStoreFull = errors.New("store out of space")

// run restarts JetStream once space returns after the store filled up.
func (g *storeGuard) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.wake:
		}
		t := time.NewTicker(storeRecheck)
		for !g.recovered(ctx) {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		t.Stop()
	}
}

// recovered checks for room and, when there is, restarts JetStream and
// clears the full state.
func (g *storeGuard) recovered(ctx context.Context) bool {
	if !g.isFull() {
		return true
	}
	dir := g.storeDir
	if _, err := os.Stat(dir); err != nil {
		dir = g.rootDir
	}
	free, ok := diskFree(dir)
	if !ok || free < storeFreeMin {
		return false
	}
	if err := probeWrite(dir, 1<<20); err != nil {
		return false
	}
	if g.ns != nil {
		// Streams that failed a write refuse every later one until they
		// are reopened: restart JetStream, which reopens them from disk.
		jsc := g.ns.JetStreamConfig()
		if jsc == nil {
			jsc = &server.JetStreamConfig{}
		}
		jsc.StoreDir = g.storeDir // EnableJetStream adds "jetstream" itself
		if err := g.ns.ShutdownJetStream(); err != nil {
			g.log.Warn("restart JetStream after a full disk: stop", "err", err)
			return false
		}
		if err := g.ns.EnableJetStream(jsc); err != nil {
			g.log.Error("restart JetStream after a full disk", "err", err)
			return false
		}
		if err := ctx.Err(); err != nil {
			return true
		}
	}
	g.mu.Lock()
	g.full = ""
	g.fullCh = make(chan struct{})
	g.mu.Unlock()
	g.log.Warn("store writable again: space was freed, JetStream reopened", "root_dir", g.rootDir, "free", humanBytes(free))
	return true
}

// diskFree is the space available to the master on dir's filesystem.
func diskFree(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

// probeWrite writes and removes n bytes in dir, to see that the filesystem
// really takes writes again.
func probeWrite(dir string, n int) error {
	f, err := os.CreateTemp(dir, ".space-probe-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, n))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func humanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// storeLogger is natsLogger that also tells the guard when the server
// fails a write for want of space.
type storeLogger struct {
	natsLogger
	guard *storeGuard
}

func (l *storeLogger) Errorf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if isMinionAuthRefusal(msg) {
		l.log.Debug(msg)
		return
	}
	l.log.Error(msg)
	if isNoSpace(msg) {
		l.guard.markFull(msg)
	}
}

func (l *storeLogger) Warnf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Warn(msg)
	if isNoSpace(msg) {
		l.guard.markFull(msg)
	}
}

// guardedJS hands out KV buckets whose writes go through the guard.
type guardedJS struct {
	jetstream.JetStream
	g *storeGuard
}

func (j guardedJS) CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := j.JetStream.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return guardedKV{KeyValue: kv, g: j.g}, nil
}

func (j guardedJS) CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := j.JetStream.CreateKeyValue(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return guardedKV{KeyValue: kv, g: j.g}, nil
}

func (j guardedJS) UpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := j.JetStream.UpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return guardedKV{KeyValue: kv, g: j.g}, nil
}

func (j guardedJS) KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	kv, err := j.JetStream.KeyValue(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return guardedKV{KeyValue: kv, g: j.g}, nil
}

func (j guardedJS) Publish(ctx context.Context, subject string, payload []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	var ack *jetstream.PubAck
	err := j.g.write(ctx, "messages on "+subject, func(ctx context.Context) error {
		var err error
		ack, err = j.JetStream.Publish(ctx, subject, payload, opts...)
		return err
	})
	return ack, err
}

func (j guardedJS) PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	var ack *jetstream.PubAck
	err := j.g.write(ctx, "messages on "+msg.Subject, func(ctx context.Context) error {
		var err error
		ack, err = j.JetStream.PublishMsg(ctx, msg, opts...)
		return err
	})
	return ack, err
}

// guardedKV is a KV bucket whose writes go through the guard.
type guardedKV struct {
	jetstream.KeyValue
	g *storeGuard
}

func (kv guardedKV) what(key string) string {
	switch kv.Bucket() {
	case proto.BucketJobs:
		return "job " + key
	case proto.BucketKeys:
		return "the key of minion " + key
	case proto.BucketGrains:
		return "the grains of minion " + key
	case proto.BucketMine:
		return "the mine data of minion " + key
	}
	return fmt.Sprintf("%q in bucket %s", key, kv.Bucket())
}

func (kv guardedKV) rev(ctx context.Context, key string, op func(context.Context) (uint64, error)) (uint64, error) {
	var rev uint64
	err := kv.g.write(ctx, kv.what(key), func(ctx context.Context) error {
		var err error
		rev, err = op(ctx)
		return err
	})
	return rev, err
}

func (kv guardedKV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	return kv.rev(ctx, key, func(ctx context.Context) (uint64, error) { return kv.KeyValue.Put(ctx, key, value) })
}

func (kv guardedKV) PutString(ctx context.Context, key string, value string) (uint64, error) {
	return kv.rev(ctx, key, func(ctx context.Context) (uint64, error) { return kv.KeyValue.PutString(ctx, key, value) })
}

func (kv guardedKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	return kv.rev(ctx, key, func(ctx context.Context) (uint64, error) { return kv.KeyValue.Create(ctx, key, value, opts...) })
}

func (kv guardedKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	return kv.rev(ctx, key, func(ctx context.Context) (uint64, error) { return kv.KeyValue.Update(ctx, key, value, revision) })
}

func (kv guardedKV) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	return kv.g.write(ctx, kv.what(key), func(ctx context.Context) error { return kv.KeyValue.Delete(ctx, key, opts...) })
}

func (kv guardedKV) Purge(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	return kv.g.write(ctx, kv.what(key), func(ctx context.Context) error { return kv.KeyValue.Purge(ctx, key, opts...) })
}
