package states

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Sources of archive.extracted: salt:// (the file client), local paths,
// and http(s) URLs downloaded into the minion's cache; and Salt's
// source_hash forms.

// archiveSource is a classified source.
type archiveSource struct {
	url     string // as given (salt://...?saltenv=, http://...)
	local   string // a local path ("" unless local)
	remote  bool   // http(s): downloaded
	base    string // the file name, for the format and checksum files
	display string // how comments name it (credentials removed)
}

func classifySource(s string) (archiveSource, error) {
	src := archiveSource{url: s, display: s}
	switch {
	case strings.HasPrefix(s, "salt://"):
		base, _ := splitSourceURL(s)
		src.base = path.Base(base)
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return src, fmt.Errorf("Invalid source \"%s\"", s)
		}
		if u.User != nil {
			u.User = url.User("redacted")
			src.display = u.String()
		}
		src.remote, src.base = true, path.Base(u.Path)
	case strings.HasPrefix(s, "file://") || filepath.IsAbs(s):
		p := filepath.Clean(strings.TrimPrefix(s, "file://"))
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			return src, fmt.Errorf("Source file '%s' does not exist", p)
		}
		src.local, src.base, src.display = p, filepath.Base(p), p
	default:
		return src, fmt.Errorf("Invalid source \"%s\": use salt://, an absolute path, or an http(s) URL", s)
	}
	return src, nil
}

// sourceSum is an expected digest.
type sourceSum struct {
	typ, hex string
}

var hashLengths = map[int]string{32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}

func newHash(typ string) (hash.Hash, error) {
	switch typ {
	case "md5":
		return md5.New(), nil
	case "sha1":
		return sha1.New(), nil
	case "sha224":
		return sha256.New224(), nil
	case "sha256":
		return sha256.New(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unknown hash type %q", typ)
}

// matches reports whether the file at p has the digest.
func (s *sourceSum) matches(p string) bool {
	h, err := newHash(s.typ)
	if err != nil {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == s.hex
}

var hexRE = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// parseHash reads "type=hex" or a bare hex digest; ok false when s is
// neither.
func parseHash(s string) (*sourceSum, bool, error) {
	s = strings.TrimSpace(s)
	if typ, h, ok := strings.Cut(s, "="); ok && !strings.Contains(typ, "/") {
		typ = strings.ToLower(typ)
		if !hexRE.MatchString(h) {
			return nil, true, fmt.Errorf("source_hash %q: the digest is not hexadecimal", s)
		}
		if _, err := newHash(typ); err != nil {
			return nil, true, fmt.Errorf("source_hash %q: %v", s, err)
		}
		if want := hashLengths[len(h)]; want != typ {
			return nil, true, fmt.Errorf("source_hash %q: a %s digest has %d hex digits", s, typ, 2*hashSize(typ))
		}
		return &sourceSum{typ: typ, hex: strings.ToLower(h)}, true, nil
	}
	if hexRE.MatchString(s) {
		typ, ok := hashLengths[len(s)]
		if !ok {
			return nil, true, fmt.Errorf("source_hash %q: a digest of %d hex digits is no known hash type", s, len(s))
		}
		return &sourceSum{typ: typ, hex: strings.ToLower(s)}, true, nil
	}
	return nil, false, nil
}

func hashSize(typ string) int {
	h, err := newHash(typ)
	if err != nil {
		return 0
	}
	return h.Size()
}

// getSourceSum is Salt's file.get_source_sum: source_hash is a digest,
// or a file of digests (salt://, http(s), local) in which the line
// naming the source (or hashName) gives it, or its only digest.
func getSourceSum(ctx context.Context, env *Env, call Call, sourceHash, hashName string, src archiveSource) (*sourceSum, error) {
	if s, ok, err := parseHash(sourceHash); ok || err != nil {
		return s, err
	}
	hsrc, err := classifySource(sourceHash)
	if err != nil {
		return nil, fmt.Errorf("source_hash %s: %v", sourceHash, err)
	}
	local, cleanup, err := fetchArchive(ctx, env, call, hsrc, nil)
	if err != nil {
		return nil, fmt.Errorf("source_hash file %s: %v", sourceHash, err)
	}
	defer cleanup()
	data, err := os.ReadFile(local)
	if err != nil {
		return nil, err
	}
	want := hashName
	if want == "" {
		want = src.base
	}
	var only []*sourceSum
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		var found *sourceSum
		named := false
		for _, f := range fields {
			if s, ok, _ := parseHash(f); ok && s != nil && found == nil {
				found = s
				continue
			}
			f = strings.TrimPrefix(f, "*")
			if f == want || path.Base(f) == want || strings.Trim(f, "()") == want {
				named = true
			}
		}
		if found == nil {
			continue
		}
		if named {
			return found, nil
		}
		only = append(only, found)
	}
	if len(only) == 1 {
		return only[0], nil
	}
	return nil, fmt.Errorf("Source hash file %s contains no hash for %s", sourceHash, want)
}

// cacheDir is where downloads are kept ("" : none).
func (env *Env) cacheDir() string {
	if env == nil {
		return ""
	}
	return env.CacheDir
}

// cachePath is where a remote source is kept: CacheDir/extrn_files/
// <saltenv>/<host>/<path>, as Salt's cp.cache_file keeps it.
func (env *Env) cachePath(src archiveSource) string {
	dir := env.cacheDir()
	if dir == "" || !src.remote {
		return ""
	}
	u, err := url.Parse(src.url)
	if err != nil {
		return ""
	}
	p := filepath.Clean("/" + u.Path)
	if u.RawQuery != "" {
		p += "_" + strings.NewReplacer("/", "_", "&", "_", "=", "_").Replace(u.RawQuery)
	}
	saltenv := "base"
	if env.Saltenv != "" {
		saltenv = env.Saltenv
	}
	return filepath.Join(dir, "extrn_files", saltenv, u.Host, p)
}

// cachedDownload is the cached copy of a remote source, "" if none.
func (env *Env) cachedDownload(src archiveSource) string {
	p := env.cachePath(src)
	if p == "" {
		return ""
	}
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p
	}
	return ""
}

// fetchArchive makes src available locally: local paths as they are,
// salt:// through the file client, http(s) downloaded (into the cache,
// reused while it matches sum; without a cache into a temporary file
// that cleanup removes). A download that does not match sum is removed
// and is an error.
func fetchArchive(ctx context.Context, env *Env, call Call, src archiveSource, sum *sourceSum) (string, func(), error) {
	nothing := func() {}
	switch {
	case src.local != "":
		return src.local, nothing, nil
	case !src.remote:
		p, err := cacheSource(ctx, env, call, src.url)
		return p, nothing, err
	}
	if p := env.cachedDownload(src); p != "" && sum != nil && sum.matches(p) {
		return p, nothing, nil
	}
	dst := env.cachePath(src)
	cleanup := nothing
	if dst == "" {
		dir, err := os.MkdirTemp("", "brine-download-")
		if err != nil {
			return "", nothing, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		dst = filepath.Join(dir, src.base)
	} else if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", nothing, err
	}
	if err := download(ctx, src, dst); err != nil {
		cleanup()
		return "", nothing, err
	}
	if sum != nil && !sum.matches(dst) {
		os.Remove(dst)
		cleanup()
		return "", nothing, fmt.Errorf("%s does not match the desired source_hash %s", src.display, sum.hex)
	}
	return dst, cleanup, nil
}

// download fetches src into dst through a temporary file beside it.
func download(ctx context.Context, src archiveSource, dst string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.url, nil)
	if err != nil {
		return fmt.Errorf("Invalid source \"%s\": %v", src.display, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("Failed to cache %s: %v", src.display, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("Failed to cache %s: HTTP error %d %s", src.display, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return writeAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, resp.Body)
		return err
	}, 0o600, -1, -1)
}

// listZip lists a zip archive.
func listZip(archive string) (*archiveListing, error) {
	r, err := zip.OpenReader(archive)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	l := &archiveListing{}
	for _, f := range r.File {
		switch {
		case strings.HasSuffix(f.Name, "/") || f.Mode().IsDir():
			l.add(f.Name, 'd')
		case f.Mode()&fs.ModeSymlink != 0:
			l.add(f.Name, 'l')
		default:
			l.add(f.Name, '-')
		}
	}
	return l, nil
}

// extractZip extracts a zip archive into dest, refusing members that
// would land outside it; extractPerms applies the archived permissions.
func extractZip(archive, dest string, extractPerms bool) ([]any, error) {
	r, err := zip.OpenReader(archive)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var files []any
	for _, f := range r.File {
		rel := filepath.Clean(filepath.FromSlash(f.Name))
		if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return files, fmt.Errorf("member %s would be extracted outside %s", f.Name, dest)
		}
		target := filepath.Join(dest, rel)
		mode := f.Mode()
		switch {
		case strings.HasSuffix(f.Name, "/") || mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return files, err
			}
			if extractPerms && mode.Perm() != 0 {
				if err := os.Chmod(target, mode.Perm()); err != nil {
					return files, err
				}
			}
		case mode&fs.ModeSymlink != 0:
			rc, err := f.Open()
			if err != nil {
				return files, err
			}
			link, err := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			if err != nil {
				return files, err
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return files, err
			}
			os.Remove(target)
			if err := os.Symlink(string(link), target); err != nil {
				return files, err
			}
		default:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return files, err
			}
			perm := uint32(0o644)
			if extractPerms && mode.Perm() != 0 {
				perm = uint32(mode.Perm())
			}
			rc, err := f.Open()
			if err != nil {
				return files, err
			}
			err = writeAtomic(target, func(w io.Writer) error {
				_, err := io.Copy(w, rc)
				return err
			}, perm, -1, -1)
			rc.Close()
			if err != nil {
				return files, err
			}
		}
		files = append(files, f.Name)
	}
	return files, nil
}
