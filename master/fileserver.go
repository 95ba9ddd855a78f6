package master

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/brine-cm/brine/proto"
)

// fileServer serves file_roots to minions (salt:// URLs): stat with a
// content hash, chunked reads, and listings. Minions cache files by hash, so
// an unchanged file is never sent twice; large files travel in
// proto.FileChunk pieces and are never held whole in memory.
type fileServer struct {
	roots map[string][]string // saltenv -> directories, first match wins

	mu     sync.Mutex
	hashes map[string]hashEntry // absolute path -> hash of a given version
}

type hashEntry struct {
	size  int64
	mtime time.Time
	sum   string
}

func newFileServer(roots map[string][]string) *fileServer {
	return &fileServer{roots: roots, hashes: map[string]hashEntry{}}
}

// cleanPath turns a salt:// path into a safe relative path: no absolute
// paths, no way out of the file roots.
func cleanPath(p string) (string, error) {
	p = strings.TrimPrefix(p, "salt://")
	if p == "" || strings.Contains(p, "\x00") {
		return "", proto.Errorf(proto.ErrBadRequest, "bad file path %q", p)
	}
	c := path.Clean(p)
	if path.IsAbs(c) || c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", proto.Errorf(proto.ErrBadRequest, "bad file path %q: must stay inside file_roots", p)
	}
	return c, nil
}

func (f *fileServer) envRoots(saltenv string) ([]string, error) {
	if saltenv == "" {
		saltenv = "base"
	}
	roots, ok := f.roots[saltenv]
	if !ok {
		return nil, proto.Errorf(proto.ErrNotFound, "saltenv %q is not in file_roots", saltenv)
	}
	return roots, nil
}

// resolve finds the file p of saltenv on disk.
func (f *fileServer) resolve(saltenv, p string) (string, os.FileInfo, error) {
	rel, err := cleanPath(p)
	if err != nil {
		return "", nil, err
	}
	roots, err := f.envRoots(saltenv)
	if err != nil {
		return "", nil, err
	}
	for _, root := range roots {
		full := filepath.Join(root, filepath.FromSlash(rel))
		fi, err := os.Stat(full)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		real, err := insideRoots(full, roots)
		if err != nil {
			return "", nil, err
		}
		return real, fi, nil
	}
	return "", nil, proto.Errorf(proto.ErrNotFound, "salt://%s not found in saltenv %s", rel, saltenvName(saltenv))
}

// insideRoots resolves every symbolic link in full and checks that the
// file it leads to lies inside one of roots (themselves resolved): a link
// planted in a file root must not hand minions a file from elsewhere on
// the master (its credentials, say). It returns the resolved path, which
// is what gets opened.
func insideRoots(full string, roots []string) (string, error) {
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", full, err)
	}
	for _, root := range roots {
		r, err := filepath.EvalSymlinks(root)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(r, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return real, nil
		}
	}
	return "", proto.Errorf(proto.ErrDenied, "%s is a link to %s, outside file_roots: refused", full, real)
}

func saltenvName(s string) string {
	if s == "" {
		return "base"
	}
	return s
}

func (f *fileServer) stat(req proto.FileRequest) (proto.FileStat, error) {
	full, fi, err := f.resolve(req.Saltenv, req.Path)
	if err != nil {
		return proto.FileStat{}, err
	}
	sum, err := f.hash(full, fi)
	if err != nil {
		return proto.FileStat{}, err
	}
	rel, _ := cleanPath(req.Path)
	return proto.FileStat{Path: rel, Size: fi.Size(), SHA256: sum, Mode: uint32(fi.Mode().Perm())}, nil
}

// hash returns the file's SHA-256, computed once per version (size+mtime).
func (f *fileServer) hash(full string, fi os.FileInfo) (string, error) {
	f.mu.Lock()
	e, ok := f.hashes[full]
	f.mu.Unlock()
	if ok && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) {
		return e.sum, nil
	}
	fh, err := os.Open(full)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", full, err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("hash %s: %w", full, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	f.mu.Lock()
	f.hashes[full] = hashEntry{size: fi.Size(), mtime: fi.ModTime(), sum: sum}
	f.mu.Unlock()
	return sum, nil
}

func (f *fileServer) read(req proto.FileReadRequest) ([]byte, error) {
	full, fi, err := f.resolve(req.Saltenv, req.Path)
	if err != nil {
		return nil, err
	}
	if req.Offset < 0 || req.Length <= 0 || req.Length > proto.FileChunk {
		return nil, proto.Errorf(proto.ErrBadRequest, "bad read range offset %d length %d", req.Offset, req.Length)
	}
	if req.Offset >= fi.Size() {
		return []byte{}, nil
	}
	fh, err := os.Open(full)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", full, err)
	}
	defer fh.Close()
	buf := make([]byte, min(int64(req.Length), fi.Size()-req.Offset))
	n, err := fh.ReadAt(buf, req.Offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", full, err)
	}
	return buf[:n], nil
}

// list returns the relative paths of files under prefix, sorted; a path
// present in several roots is listed once.
func (f *fileServer) list(req proto.FileListRequest) ([]string, error) {
	roots, err := f.envRoots(req.Saltenv)
	if err != nil {
		return nil, err
	}
	prefix := strings.Trim(strings.TrimPrefix(req.Prefix, "salt://"), "/")
	if prefix != "" {
		if prefix, err = cleanPath(prefix); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, root := range roots {
		start := filepath.Join(root, filepath.FromSlash(prefix))
		if _, err := os.Lstat(start); err != nil {
			continue
		}
		if _, err := insideRoots(start, roots); err != nil {
			return nil, err
		}
		err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			regular := d.Type().IsRegular()
			if d.Type()&fs.ModeSymlink != 0 {
				// A link is listed when it leads to a file inside the roots.
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
					_, err := insideRoots(p, roots)
					regular = err == nil
				}
			}
			if regular {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				seen[filepath.ToSlash(rel)] = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", start, err)
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		if prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// rawReply is a reply body sent as is (file data).
type rawReply []byte

func (m *Master) handleFileStat(_ context.Context, _ string, body []byte) (any, error) {
	var req proto.FileRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	return m.files.stat(req)
}

func (m *Master) handleFileRead(_ context.Context, _ string, body []byte) (any, error) {
	var req proto.FileReadRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	b, err := m.files.read(req)
	if err != nil {
		return nil, err
	}
	if m.metrics != nil {
		m.metrics.fileBytes.Add(float64(len(b)))
	}
	return rawReply(b), nil
}

func (m *Master) handleFileList(_ context.Context, _ string, body []byte) (any, error) {
	var req proto.FileListRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	files, err := m.files.list(req)
	if err != nil {
		return nil, err
	}
	return proto.FileListReply{Files: files}, nil
}
