package master

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// `master backup` and `master restore`: a backup is a tar file holding a
// JetStream snapshot of every stream and bucket the master keeps (keys,
// grains, jobs, returns, events, mine, ...).
//
// Backup works with the master running (it connects to the master's bus
// as the master's own data user) or stopped (it opens the store itself
// with a bus of its own that listens nowhere). Restore runs only with the
// master stopped: it holds root_dir/master.lock, which a running master
// holds, so neither can start while the other runs.
//
// pki/ and ctl.creds are not in a backup: they are secrets, kept apart.

const (
	lockFile        = "master.lock"
	backupIndexName = "brine-backup.json"
	backupVersion   = 1
)

// rootLock is root_dir/master.lock, held with flock while a master (or a
// restore, or an offline backup) uses root_dir.
type rootLock struct{ f *os.File }

var errRootLocked = errors.New("root_dir is in use")

// lockRoot takes root_dir's lock without waiting.
func lockRoot(rootDir string) (*rootLock, error) {
	if err := os.MkdirAll(rootDir, 0o700); err != nil {
		return nil, fmt.Errorf("create root_dir %s: %w", rootDir, err)
	}
	path := filepath.Join(rootDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another master (or a backup or restore) holds %s", errRootLocked, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &rootLock{f: f}, nil
}

func (l *rootLock) release() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
	}
}

// backupIndex is the first entry of a backup file.
type backupIndex struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	RootDir string    `json:"root_dir"`
	Streams []string  `json:"streams"`
}

// toolBus is a connection to the store's bus for backup and restore, and
// what to close after.
type toolBus struct {
	nc     *nats.Conn
	ns     *server.Server // a bus of our own, offline
	lock   *rootLock
	online bool
}

func (b *toolBus) close() {
	if b.nc != nil {
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
	b.lock.release()
}

// openToolBus connects to the store: through the running master's bus
// when allowOnline and the master runs (or the bus is external), else
// through a bus of its own on root_dir's store.
func openToolBus(cfg *Config, allowOnline bool, log *slog.Logger) (*toolBus, error) {
	lock, err := lockRoot(cfg.RootDir)
	running := errors.Is(err, errRootLocked)
	if err != nil && !running {
		return nil, err
	}
	if running || cfg.NATSURL != "" {
		lock.release()
		if !allowOnline {
			return nil, fmt.Errorf("the master with root_dir %s is running: stop it first", cfg.RootDir)
		}
		nc, err := connectRunning(cfg)
		if err != nil {
			return nil, err
		}
		return &toolBus{nc: nc, online: true}, nil
	}
	ns, nc, err := startOffline(cfg, log)
	if err != nil {
		lock.release()
		return nil, err
	}
	return &toolBus{nc: nc, ns: ns, lock: lock}, nil
}

// connectRunning connects to the running master's bus as its data user.
func connectRunning(cfg *Config) (*nats.Conn, error) {
	url := cfg.NATSURL
	if url == "" {
		b, err := os.ReadFile(filepath.Join(cfg.RootDir, "master.url"))
		if err != nil {
			return nil, fmt.Errorf("find the running master's bus: %w", err)
		}
		url = strings.TrimSpace(string(b))
	}
	pass, err := os.ReadFile(filepath.Join(cfg.RootDir, "pki", "master.secret"))
	if err != nil {
		return nil, fmt.Errorf("read the master's bus credentials: %w", err)
	}
	opts := []nats.Option{nats.Name("brine-master-backup"), nats.UserInfo(userMaster, strings.TrimSpace(string(pass))), nats.Timeout(10 * time.Second)}
	if cfg.TLSCert != "" || cfg.TLSCA != "" {
		ca := cfg.TLSCA
		if ca == "" {
			ca = cfg.TLSCert
		}
		opts = append(opts, nats.RootCAs(ca))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to the master's bus at %s: %w", url, err)
	}
	return nc, nil
}

// startOffline opens root_dir's store with a bus of its own that listens
// nowhere, reached in-process.
func startOffline(cfg *Config, log *slog.Logger) (*server.Server, *nats.Conn, error) {
	// A one-time nkey identity: nothing else can connect in-process anyway.
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, nil, err
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, nil, err
	}
	conf := fmt.Sprintf("accounts {\n  %s {\n    jetstream: enabled\n    users: [ {nkey: %s} ]\n  }\n}\n", accountBrine, pub)
	dir, err := os.MkdirTemp("", "brine-store-tool-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, nil, err
	}
	opts, err := server.ProcessConfigFile(confPath)
	if err != nil {
		return nil, nil, fmt.Errorf("store bus config: %w", err)
	}
	opts.ServerName = "brine-master"
	opts.DontListen = true
	opts.JetStream = true
	opts.StoreDir = filepath.Join(cfg.RootDir, "jetstream")
	opts.NoSigs = true
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("open store %s: %w", opts.StoreDir, err)
	}
	ns.SetLoggerV2(&natsLogger{log: log.With("component", "nats")}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, nil, fmt.Errorf("open store %s: the bus did not start", opts.StoreDir)
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Nkey(pub, kp.Sign), nats.Name("brine-store-tool"))
	if err != nil {
		ns.Shutdown()
		return nil, nil, fmt.Errorf("open store %s: %w", opts.StoreDir, err)
	}
	return ns, nc, nil
}

// Backup writes a snapshot of every stream and bucket of cfg's store to
// out (a tar file, written whole or not at all).
func Backup(ctx context.Context, cfg *Config, out string, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(cfg.RootDir, "jetstream")); err != nil && cfg.NATSURL == "" {
		return fmt.Errorf("no master store in %s: %w", cfg.RootDir, err)
	}
	bus, err := openToolBus(cfg, true, log)
	if err != nil {
		return err
	}
	defer bus.close()
	names, err := streamNames(ctx, bus.nc)
	if err != nil {
		return err
	}
	slices.Sort(names)
	if len(names) == 0 {
		return fmt.Errorf("the store in %s holds nothing to back up", cfg.RootDir)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeBackup(ctx, bus.nc, tmp, cfg.RootDir, names); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	log.Info("backup written", "file", out, "streams", strings.Join(names, ","), "online", bus.online)
	return nil
}

func writeBackup(ctx context.Context, nc *nats.Conn, f *os.File, rootDir string, names []string) error {
	tw := tar.NewWriter(f)
	now := time.Now().UTC()
	idx, _ := json.MarshalIndent(backupIndex{Version: backupVersion, Created: now, RootDir: rootDir, Streams: names}, "", "  ")
	if err := tarFile(tw, backupIndexName, idx, now); err != nil {
		return err
	}
	for _, name := range names {
		// Each snapshot goes to a spool file first: tar needs its size.
		spool, err := os.CreateTemp(filepath.Dir(f.Name()), ".snapshot-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		info, err := snapshotStream(ctx, nc, name, spool)
		if err == nil {
			var b []byte
			b, err = json.MarshalIndent(info, "", "  ")
			if err == nil {
				err = tarFile(tw, "streams/"+name+"/info.json", b, now)
			}
		}
		if err == nil {
			err = tarSpool(tw, "streams/"+name+"/snapshot", spool, now)
		}
		spool.Close()
		os.Remove(spool.Name())
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return nil
}

func tarFile(tw *tar.Writer, name string, data []byte, t time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: t, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func tarSpool(tw *tar.Writer, name string, f *os.File, t time.Time) error {
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: t, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := io.CopyN(tw, f, size); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// Restore puts every stream and bucket of the backup in file back into
// cfg's store. The master must be stopped. A stream that exists already is
// refused unless force, which replaces it.
func Restore(ctx context.Context, cfg *Config, file string, force bool, log *slog.Logger) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != backupIndexName {
		return fmt.Errorf("%s is not a Brine backup", file)
	}
	var idx backupIndex
	if err := json.NewDecoder(tr).Decode(&idx); err != nil || idx.Version != backupVersion {
		return fmt.Errorf("%s is not a Brine backup (version %d)", file, idx.Version)
	}
	bus, err := openToolBus(cfg, false, log)
	if err != nil {
		return err
	}
	defer bus.close()
	existing, err := streamNames(ctx, bus.nc)
	if err != nil {
		return err
	}
	var clash []string
	for _, name := range idx.Streams {
		if slices.Contains(existing, name) {
			clash = append(clash, name)
		}
	}
	if len(clash) > 0 && !force {
		return fmt.Errorf("the store in %s already holds %s (use --force to replace them)", cfg.RootDir, strings.Join(clash, ", "))
	}
	for _, name := range clash {
		if err := deleteStream(ctx, bus.nc, name); err != nil {
			return err
		}
	}
	restored := 0
	var info *streamSnapshotInfo
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		dir, base := filepath.Split(hdr.Name)
		name := filepath.Base(dir)
		switch base {
		case "info.json":
			info = &streamSnapshotInfo{}
			if err := json.NewDecoder(tr).Decode(info); err != nil {
				return fmt.Errorf("%s in %s: %w", hdr.Name, file, err)
			}
		case "snapshot":
			if info == nil {
				return fmt.Errorf("%s in %s comes without its stream's info", hdr.Name, file)
			}
			if err := restoreStream(ctx, bus.nc, name, info, tr); err != nil {
				return err
			}
			log.Info("stream restored", "stream", name)
			info = nil
			restored++
		}
	}
	if restored != len(idx.Streams) {
		return fmt.Errorf("%s holds %d of its %d streams", file, restored, len(idx.Streams))
	}
	// The manifest describes the store it was written for; the restored
	// store starts a new one.
	if err := os.Remove(filepath.Join(cfg.RootDir, manifestFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	log.Info("restore done", "file", file, "streams", restored, "backup_created", idx.Created)
	return nil
}
