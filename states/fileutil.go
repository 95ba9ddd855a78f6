package states

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/internal/udiff"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Helpers shared by the file.* states: ownership and modes, atomic
// writes, streaming comparison, sources.

// maxDiffSize is the largest file (either side) a text diff is built for.
const maxDiffSize = 1 << 20

// sniffSize is how much of a large file is looked at for NUL bytes.
const sniffSize = 8000

// perms is requested ownership and mode; uid/gid -1 and hasMode false
// mean "leave alone".
type perms struct {
	user, group string
	uid, gid    int
	mode        uint32 // unix permission bits, 07777
	hasMode     bool
	// pendingUser, pendingGroup: in test mode, a user or group that does
	// not exist yet (an earlier state of the run may create it): the
	// change is reported, as Salt's test run does, instead of failing
	pendingUser, pendingGroup bool
}

// modeArg is a mode argument: "0644", "644", "0o644", or an integer
// whose decimal digits are the octal mode (YAML's `mode: 644`), as Salt
// reads them. set is false when it was not given, or given as "keep"
// (keep is then true: file.recurse's file_mode keeps the source's mode).
type modeArg struct {
	bits      uint32
	set, keep bool
}

// DecodeArg implements ArgDecoder.
func (m *modeArg) DecodeArg(v any) error {
	bits, keep, err := parseMode(v)
	if err != nil {
		return err
	}
	*m = modeArg{bits: bits, set: !keep, keep: keep}
	return nil
}

// or is m when it is set, else o.
func (m modeArg) or(o modeArg) modeArg {
	if m.set {
		return m
	}
	return o
}

// ownerArgs are the user and group arguments of the file states.
type ownerArgs struct {
	User  string `salt:"user"`
	Group string `salt:"group"`
}

// perms looks up the user and group and adds the mode.
//
// In test mode a user or group that does not exist yet is not an error:
// an earlier state of the run may create it (see perms.pendingUser).
func (o ownerArgs) perms(mode modeArg, test bool) (perms, error) {
	p := perms{user: o.User, group: o.Group, uid: -1, gid: -1, mode: mode.bits, hasMode: mode.set}
	var missing []string
	if p.user != "" {
		u, err := lookupUser(p.user)
		if err != nil {
			missing = append(missing, fmt.Sprintf("User %s is not available", p.user))
		} else {
			p.uid, _ = strconv.Atoi(u.Uid)
		}
	}
	if p.group != "" {
		g, err := lookupGroup(p.group)
		if err != nil {
			missing = append(missing, fmt.Sprintf("Group %s is not available", p.group))
		} else {
			p.gid, _ = strconv.Atoi(g.Gid)
		}
	}
	if len(missing) > 0 && !test {
		return p, errors.New(strings.Join(missing, " "))
	}
	p.pendingUser = p.user != "" && p.uid < 0
	p.pendingGroup = p.group != "" && p.gid < 0
	return p, nil
}

// parseMode reads a file mode (see modeArg). "keep" returns keep=true.
func parseMode(v any) (mode uint32, keep bool, err error) {
	mode, keep, ok := coerce.Mode(v)
	if !ok {
		return 0, false, fmt.Errorf("must be an octal file mode such as \"0644\", got %s", coerce.Describe(v))
	}
	return mode, keep, nil
}

// modeString formats unix permission bits as Salt shows them ("0644").
func modeString(m uint32) string { return fmt.Sprintf("%04o", m&07777) }

// fileMode converts unix permission bits to an os.FileMode.
func fileMode(m uint32) os.FileMode {
	fm := os.FileMode(m & 0777)
	if m&04000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&02000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&01000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

// statOwner returns a file's uid, gid and unix permission bits.
func statOwner(fi fs.FileInfo) (uid, gid int, mode uint32) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid), st.Mode & 07777
	}
	uid, gid = processIDs()
	return uid, gid, uint32(fi.Mode().Perm())
}

// processIDs is the minion's effective uid and gid, which new files get:
// asked once, not twice per file created (the minion does not change
// them).
var processIDs = sync.OnceValues(func() (int, int) { return os.Geteuid(), os.Getegid() })

// permChanges are the changes needed to give a file with info fi (nil:
// a file about to be created with defMode) the requested perms.
func permChanges(fi fs.FileInfo, p perms, defMode uint32) map[string]any {
	var uid, gid int
	mode := defMode
	if fi != nil {
		uid, gid, mode = statOwner(fi)
	} else {
		uid, gid = processIDs()
	}
	ch := map[string]any{}
	if p.uid >= 0 && p.uid != uid || p.pendingUser {
		ch["user"] = p.user
	}
	if p.gid >= 0 && p.gid != gid || p.pendingGroup {
		ch["group"] = p.group
	}
	if p.hasMode && p.mode != mode && (fi == nil || fi.Mode()&fs.ModeSymlink == 0) {
		ch["mode"] = modeString(p.mode)
	}
	return ch
}

// applyPerms sets ownership and mode on path (a symlink's own ownership
// when it is one; links have no mode).
func applyPerms(path string, p perms) error {
	if p.uid >= 0 || p.gid >= 0 {
		if err := os.Lchown(path, p.uid, p.gid); err != nil {
			return err
		}
	}
	if p.hasMode {
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if err := os.Chmod(path, fileMode(p.mode)); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeChanges copies src into dst.
func mergeChanges(dst, src map[string]any) {
	for k, v := range src {
		dst[k] = v
	}
}

// content is what a managed file should hold: a local file streamed from
// disk, or bytes in memory.
type content struct {
	path   string
	data   []byte
	inline bool
}

func (c content) size() (int64, error) {
	if c.inline {
		return int64(len(c.data)), nil
	}
	fi, err := os.Stat(c.path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (c content) open() (io.ReadCloser, error) {
	if c.inline {
		return io.NopCloser(bytes.NewReader(c.data)), nil
	}
	return os.Open(c.path)
}

// sum is the content's sha256, streamed.
func (c content) sum() ([]byte, error) {
	if c.inline {
		s := sha256.Sum256(c.data)
		return s[:], nil
	}
	return hashFile(c.path)
}

// copyBufs are the buffers files stream through: a 64 KiB buffer per
// compared file was most of what a no-op run of 500 file.managed states
// allocated.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// createTemp creates a new file named dir/prefix<random> for writing, as
// os.CreateTemp does, without registering it with the poller (which fails
// for a regular file after costing several system calls).
func createTemp(dir, prefix string) (*tempFile, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(mrand.Uint32()), 10))
		var fd int
		err := retryEINTR(func() (err error) {
			fd, err = syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
			return err
		})
		if err == syscall.EEXIST && try < 10000 {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: err}
		}
		return &tempFile{fd: fd, name: name}, nil
	}
}

// tempFile is a file createTemp made, written through its descriptor:
// an *os.File would ask the descriptor's flags (fcntl) for the poller,
// which a regular file does not use, one system call per file written.
type tempFile struct {
	fd   int
	name string
}

func (f *tempFile) Name() string { return f.name }

func (f *tempFile) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		var k int
		if err := retryEINTR(func() (err error) {
			k, err = syscall.Write(f.fd, b[n:])
			return err
		}); err != nil {
			return n, &fs.PathError{Op: "write", Path: f.name, Err: err}
		}
		if k == 0 {
			return n, &fs.PathError{Op: "write", Path: f.name, Err: io.ErrShortWrite}
		}
		n += k
	}
	return n, nil
}

func (f *tempFile) Chown(uid, gid int) error {
	if err := retryEINTR(func() error { return syscall.Fchown(f.fd, uid, gid) }); err != nil {
		return &fs.PathError{Op: "chown", Path: f.name, Err: err}
	}
	return nil
}

// Chmod sets mode as os.File.Chmod does (set-id and sticky bits too).
func (f *tempFile) Chmod(mode os.FileMode) error {
	m := uint32(mode.Perm())
	if mode&os.ModeSetuid != 0 {
		m |= syscall.S_ISUID
	}
	if mode&os.ModeSetgid != 0 {
		m |= syscall.S_ISGID
	}
	if mode&os.ModeSticky != 0 {
		m |= syscall.S_ISVTX
	}
	if err := retryEINTR(func() error { return syscall.Fchmod(f.fd, m) }); err != nil {
		return &fs.PathError{Op: "chmod", Path: f.name, Err: err}
	}
	return nil
}

// Close closes the descriptor once; a second Close does nothing.
func (f *tempFile) Close() error {
	if f.fd < 0 {
		return nil
	}
	fd := f.fd
	f.fd = -1
	if err := syscall.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// readUpTo reads the start of the file at path into buf and returns how
// many bytes it read (less than len(buf) at the end of the file). It uses
// the system calls directly: os.Open's registration with the poller,
// which fails for a regular file, took more system calls than the read.
// A read that leaves it with exactly expect bytes, fewer than buf holds,
// ends it without the read that would return 0 at the end of the file: a
// regular file reads short only at its end (a file that grew since the
// caller's stat gives more than expect).
func readUpTo(path string, buf []byte, expect int) (int, error) {
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(buf) {
		var k int
		if err := retryEINTR(func() (err error) {
			k, err = syscall.Read(fd, buf[n:])
			return err
		}); err != nil {
			return n, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if k <= 0 {
			break
		}
		n += k
		if n == expect && n < len(buf) {
			break
		}
	}
	return n, nil
}

func retryEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// hashFile streams a file through sha256.
func hashFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, *buf); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// sameAsFile reports whether the file at path holds exactly c, comparing
// sizes then the bytes (content in memory up to a buffer's size) or
// streaming hashes (never loading either side).
func (c content) sameAsFile(path string, size int64) (bool, error) {
	csize, err := c.size()
	if err != nil {
		return false, err
	}
	if csize != size {
		return false, nil
	}
	if c.inline && size < 64<<10 {
		buf := copyBufs.Get().(*[]byte)
		defer copyBufs.Put(buf)
		// one byte more than expected: a file grown since its stat
		// differs
		n, err := readUpTo(path, (*buf)[:size+1], int(size))
		if err != nil {
			return false, err
		}
		return bytes.Equal((*buf)[:n], c.data), nil
	}
	a, err := c.sum()
	if err != nil {
		return false, err
	}
	b, err := hashFile(path)
	if err != nil {
		return false, err
	}
	return bytes.Equal(a, b), nil
}

// readSmall reads up to limit bytes; ok is false when there is more.
func readSmall(r io.Reader, limit int64) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return nil, false, nil
	}
	return data, true, nil
}

// sniffBinary reports whether the first bytes of r hold a NUL.
func sniffBinary(r io.Reader) (bool, error) {
	buf := make([]byte, sniffSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	return bytes.IndexByte(buf[:n], 0) >= 0, nil
}

// contentDiff describes replacing the file at oldPath (nil: none) with c:
// a unified diff when both sides are small text, else a note.
func contentDiff(oldPath string, oldSize int64, c content) (string, error) {
	newSize, err := c.size()
	if err != nil {
		return "", err
	}
	readSide := func(open func() (io.ReadCloser, error), size int64) (data []byte, binary bool, err error) {
		r, err := open()
		if err != nil {
			return nil, false, err
		}
		defer r.Close()
		if size <= maxDiffSize {
			data, ok, err := readSmall(r, maxDiffSize)
			if err != nil {
				return nil, false, err
			}
			if ok {
				return data, bytes.IndexByte(data, 0) >= 0, nil
			}
			// It grew while we looked: treat as large.
			return nil, false, nil
		}
		bin, err := sniffBinary(r)
		return nil, bin, err
	}
	oldData, oldBin, err := readSide(func() (io.ReadCloser, error) { return os.Open(oldPath) }, oldSize)
	if err != nil {
		return "", err
	}
	newData, newBin, err := readSide(c.open, newSize)
	if err != nil {
		return "", err
	}
	switch {
	case oldBin || newBin:
		return "Replace binary file", nil
	case oldData == nil || newData == nil:
		return fmt.Sprintf("Replace text file of %d bytes with one of %d bytes (larger than %d bytes: diff not shown)",
			oldSize, newSize, maxDiffSize), nil
	}
	return udiff.Unified(string(oldData), string(newData)), nil
}

// writeAtomic writes a file through a temporary file in the same
// directory, renamed over path once complete, with the given mode and
// ownership (uid/gid -1: the writer's).
func writeAtomic(path string, write func(w io.Writer) error, mode uint32, uid, gid int) (err error) {
	dir, base := filepath.Split(path)
	tmp, err := createTemp(dir, "."+base+".brine-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	// No fsync, as Salt's file states (and the package managers') do
	// not: the rename keeps readers from ever seeing a partial file, and
	// an fsync per file cost 1-4 ms here, most of a 500-file apply.
	if uid >= 0 || gid >= 0 {
		if err = tmp.Chown(uid, gid); err != nil {
			return err
		}
	}
	// After chown, which clears set-id bits.
	if err = tmp.Chmod(fileMode(mode)); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	// rename(2) itself, not os.Rename, whose check that path is not a
	// directory costs a stat per file: rename(2) refuses to put a file
	// over a directory (EISDIR) by itself.
	if rerr := retryEINTR(func() error { return syscall.Rename(tmp.Name(), path) }); rerr != nil {
		return &os.LinkError{Op: "rename", Old: tmp.Name(), New: path, Err: rerr}
	}
	return nil
}

// copyFile copies src to dst (created exclusively) by streaming.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}

// backupFile keeps a copy of path before it is replaced: beside it as
// PATH.<timestamp>.bak, or under dir (backup: minion) keeping its path.
func backupFile(path, dir string, now time.Time) (string, error) {
	stamp := now.UTC().Format("20060102T150405.000000000Z")
	dst := path + "." + stamp + ".bak"
	if dir != "" {
		dst = filepath.Join(dir, filepath.Dir(path), filepath.Base(path)+"_"+stamp)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return "", err
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if err := copyFile(path, dst, fi.Mode().Perm()); err != nil {
		return "", err
	}
	return dst, nil
}

// mkdirAll creates dir and its missing parents with mode, returning the
// directories it created (outermost first).
func mkdirAll(dir string, mode uint32, p perms) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	var made []string
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, fileMode(mode)); err != nil && !errors.Is(err, fs.ErrExist) {
			return made, err
		}
		// Mkdir applies the umask: set the mode exactly.
		if err := os.Chmod(d, fileMode(mode)); err != nil {
			return made, err
		}
		if p.uid >= 0 || p.gid >= 0 {
			if err := os.Lchown(d, p.uid, p.gid); err != nil {
				return made, err
			}
		}
		made = append(made, d)
	}
	return made, nil
}

// randHex is a random name suffix.
func randHex() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 16)
	}
	return hex.EncodeToString(b[:])
}

// checkAbs validates a state's name as an absolute path.
func checkAbs(name string) error {
	if !filepath.IsAbs(name) {
		return fmt.Errorf("Specified file %s is not an absolute path", name)
	}
	return nil
}

// splitSourceURL separates "salt://path?saltenv=dev" into the URL without
// the query and the saltenv it names (empty if none).
func splitSourceURL(src string) (string, string) {
	base, query, ok := strings.Cut(src, "?")
	if !ok || !strings.HasPrefix(src, "salt://") {
		return src, ""
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return base, ""
	}
	return base, q.Get("saltenv")
}

// cacheSource makes a source available locally: salt:// and other URLs
// through env.Files, absolute paths (and file:// URLs) as they are.
func cacheSource(ctx context.Context, env *Env, call Call, src string) (string, error) {
	src, qenv := splitSourceURL(src)
	saltenv := env.saltenv(call)
	if qenv != "" {
		saltenv = qenv
	}
	src = strings.TrimPrefix(src, "file://")
	if filepath.IsAbs(src) {
		fi, err := os.Stat(src)
		if err != nil {
			return "", fmt.Errorf("Source file %s not found", src)
		}
		if fi.IsDir() {
			return "", fmt.Errorf("Source file %s is a directory", src)
		}
		return src, nil
	}
	if !strings.Contains(src, "://") {
		return "", fmt.Errorf("Source %s is neither a salt:// URL nor an absolute path", src)
	}
	if env == nil || env.Files == nil {
		return "", fmt.Errorf("Source %s cannot be fetched: no file client", src)
	}
	p, err := env.Files.Cache(ctx, src, saltenv)
	if err != nil {
		return "", fmt.Errorf("Source file %s not found in saltenv '%s': %v", src, saltenv, err)
	}
	return p, nil
}

// readText reads a text file an editing state works on (file.append,
// file.replace, file.line). A missing file gives fi nil and "".
func readText(name string) (fs.FileInfo, string, error) {
	fi, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	if fi.IsDir() {
		return nil, "", fmt.Errorf("%s is a directory", name)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, "", err
	}
	return fi, string(data), nil
}

// textEdit is the apply half of the editing states: given the file's
// info (nil: it does not exist yet) and old and new text, report a diff
// and, outside test mode, write the new text atomically keeping the
// file's mode and ownership. backupSuffix (e.g. ".bak") keeps a copy.
type textEdit struct {
	name, target string // name as given; the file written (links followed)
	fi           fs.FileInfo
	old, new     string
	test         bool
	showChanges  bool
	backupSuffix string
	makedirs     bool
	// comments: nothing to do / would change / changed
	noop, would, done string
}

func (e textEdit) run() Result {
	ret := Result{Name: e.name, Changes: map[string]any{}}
	if e.fi != nil && e.old == e.new {
		ret.Result = True()
		ret.Comment = e.noop
		return ret
	}
	diff := "<show_changes=False>"
	switch {
	case e.fi == nil && e.new == "":
		diff = "New file"
	case e.showChanges:
		diff = udiff.Unified(e.old, e.new)
	}
	ret.Changes["diff"] = diff
	if e.test {
		ret.Comment = e.would
		return ret
	}
	target := e.target
	if target == "" {
		target = e.name
	}
	uid, gid, mode := -1, -1, uint32(0o644)
	if e.fi != nil {
		uid, gid, mode = statOwner(e.fi)
		if e.backupSuffix != "" {
			if err := os.Remove(target + e.backupSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fail(e.name, "Unable to back up %s: %v", e.name, err)
			}
			if err := copyFile(target, target+e.backupSuffix, e.fi.Mode().Perm()); err != nil {
				return fail(e.name, "Unable to back up %s: %v", e.name, err)
			}
		}
	} else if e.makedirs {
		if _, err := mkdirAll(filepath.Dir(target), 0o755, perms{uid: -1, gid: -1}); err != nil {
			return fail(e.name, "Unable to create parent directories of %s: %v", e.name, err)
		}
	}
	err := writeAtomic(target, func(w io.Writer) error {
		_, err := io.WriteString(w, e.new)
		return err
	}, mode, uid, gid)
	if err != nil {
		return fail(e.name, "Unable to write %s: %v", e.name, err)
	}
	ret.Result = True()
	ret.Comment = e.done
	return ret
}

// resolveTarget follows a symlink at name so edits change the file it
// points to rather than replacing the link.
func resolveTarget(name string) string {
	if t, err := filepath.EvalSymlinks(name); err == nil {
		return t
	}
	return name
}

// templateArgs are the template arguments of file.managed, file.recurse
// and cmd.script: template (only jinja), and the render context:
// defaults updated by context.
type templateArgs struct {
	Template string         `salt:"template"`
	Context  map[string]any `salt:"context"`
	Defaults map[string]any `salt:"defaults"`
}

// checkTemplate normalises template and refuses a format other than
// jinja.
func (t *templateArgs) checkTemplate() error {
	t.Template = strings.ToLower(strings.TrimSpace(t.Template))
	if t.Template != "" && t.Template != "jinja" {
		return ArgErrorf("template", "names format %q, which is not supported (only jinja)", t.Template)
	}
	return nil
}

// renderContext is defaults updated by context.
func (t templateArgs) renderContext() map[string]any {
	out := make(map[string]any, len(t.Defaults)+len(t.Context))
	mergeChanges(out, t.Defaults)
	mergeChanges(out, t.Context)
	return out
}
