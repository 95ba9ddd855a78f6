package minion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/proto"
)

// request sends a request to the master on the minion's own request
// subject and returns the reply, turning an error reply into *proto.Error.
func (m *Minion) request(ctx context.Context, op string, req any) (*nats.Msg, error) {
	m.mu.Lock()
	nc := m.nc
	m.mu.Unlock()
	if nc == nil {
		return nil, errors.New("not connected to the master")
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	msg, err := nc.RequestWithContext(ctx, proto.MinionRequestSubject(m.cfg.ID, op), body)
	if err != nil {
		return nil, fmt.Errorf("%s request to master: %w", op, err)
	}
	if e := msg.Header.Get(proto.HeaderError); e != "" {
		var reply struct {
			Error *proto.Error `json:"error"`
		}
		if json.Unmarshal(msg.Data, &reply) == nil && reply.Error != nil {
			return nil, reply.Error
		}
		return nil, errors.New(e)
	}
	return msg, nil
}

// hashSuffix names the file beside a cached file that records its hash.
const hashSuffix = ".brine-sha256"

// fileClient fetches salt:// files from the master's file server into a
// cache under root_dir, keyed by path and checked by SHA-256, so a file is
// transferred only when it changed. Transfers go in proto.FileChunk pieces
// straight to disk.
type fileClient struct {
	m   *Minion
	dir string

	mu    sync.Mutex
	locks map[string]*sync.Mutex // one download per local path at a time
}

func newFileClient(m *Minion) *fileClient {
	return &fileClient{m: m, dir: filepath.Join(m.cfg.RootDir, "cache", "files"), locks: map[string]*sync.Mutex{}}
}

func (c *fileClient) lock(p string) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locks[p]
	if !ok {
		l = &sync.Mutex{}
		c.locks[p] = l
	}
	return l
}

// Cache returns a local path holding url's current content. Local absolute
// paths are returned as they are.
func (c *fileClient) Cache(ctx context.Context, url, saltenv string) (string, error) {
	if !strings.HasPrefix(url, "salt://") {
		if filepath.IsAbs(url) {
			if _, err := os.Stat(url); err != nil {
				return "", fmt.Errorf("source %s: %w", url, err)
			}
			return url, nil
		}
		return "", fmt.Errorf("source %q: use salt:// or an absolute path", url)
	}
	if saltenv == "" {
		saltenv = "base"
	}
	msg, err := c.m.request(ctx, proto.ReqFileStat, proto.FileRequest{Saltenv: saltenv, Path: url})
	if err != nil {
		return "", fmt.Errorf("%s: %w", url, err)
	}
	var st proto.FileStat
	if err := json.Unmarshal(msg.Data, &st); err != nil {
		return "", fmt.Errorf("%s: bad stat reply: %w", url, err)
	}
	local := filepath.Join(c.dir, saltenv, filepath.FromSlash(st.Path))
	l := c.lock(local)
	l.Lock()
	defer l.Unlock()
	if cached, _ := os.ReadFile(local + hashSuffix); strings.TrimSpace(string(cached)) == st.SHA256 {
		if fi, err := os.Stat(local); err == nil && fi.Size() == st.Size {
			return local, nil
		}
	}
	for attempt := 0; ; attempt++ {
		err := c.download(ctx, saltenv, st, local)
		if err == nil {
			break
		}
		if attempt >= 2 || ctx.Err() != nil {
			return "", fmt.Errorf("fetch %s: %w", url, err)
		}
		// The file may have changed during the transfer: stat again.
		if msg, err = c.m.request(ctx, proto.ReqFileStat, proto.FileRequest{Saltenv: saltenv, Path: url}); err != nil {
			return "", fmt.Errorf("%s: %w", url, err)
		}
		if err := json.Unmarshal(msg.Data, &st); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(local+hashSuffix, []byte(st.SHA256+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("cache %s: %w", url, err)
	}
	return local, nil
}

func (c *fileClient) download(ctx context.Context, saltenv string, st proto.FileStat, local string) error {
	if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(local), "."+filepath.Base(local)+".part*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	for off := int64(0); off < st.Size; {
		msg, err := c.m.request(ctx, proto.ReqFileRead, proto.FileReadRequest{
			FileRequest: proto.FileRequest{Saltenv: saltenv, Path: st.Path}, Offset: off, Length: proto.FileChunk,
		})
		if err != nil {
			return err
		}
		if len(msg.Data) == 0 {
			return fmt.Errorf("file shrank to %d bytes during transfer", off)
		}
		if _, err := w.Write(msg.Data); err != nil {
			return err
		}
		off += int64(len(msg.Data))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != st.SHA256 {
		return fmt.Errorf("checksum mismatch (file changed during transfer?)")
	}
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), local)
}

// List returns the salt:// paths under prefix.
func (c *fileClient) List(ctx context.Context, prefix, saltenv string) ([]string, error) {
	if saltenv == "" {
		saltenv = "base"
	}
	msg, err := c.m.request(ctx, proto.ReqFileList, proto.FileListRequest{Saltenv: saltenv, Prefix: prefix})
	if err != nil {
		return nil, fmt.Errorf("list salt://%s: %w", strings.TrimPrefix(prefix, "salt://"), err)
	}
	var rep proto.FileListReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return nil, fmt.Errorf("list salt://%s: %w", prefix, err)
	}
	out := make([]string, len(rep.Files))
	for i, f := range rep.Files {
		out[i] = "salt://" + f
	}
	return out, nil
}
