package modules

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/proto"
)

// cp.recv: the receiving end of `ctl cp` (salt-cp). The files travel in the
// job's arguments, so they are declared secret: events and job listings
// never show their contents.

// MaxCpBytes bounds what one `ctl cp` may send (proto.MaxCpBytes).
const MaxCpBytes = proto.MaxCpBytes

func init() {
	Register("cp.recv", `Write the files ctl cp sends: files is a mapping of file name to {data: base64, mode: octal permission bits}; dest is a file path (one file) or a directory (it must exist, or end in '/' with makedirs=True). Returns {path written: true}. Used by ctl cp (salt-cp); not meant to be called by hand.

CLI Example:

    ctl '*' cp.recv '{"motd": {"data": "aGkK", "mode": 420}}' /etc/motd
    ctl cp 'web*' ./motd /etc/motd    (what it is for)`, cpRecv, SecretArgs(0), SecretKwargs("files"))
}

func cpRecv(_ context.Context, _ *Env, c Call) (any, error) {
	raw, ok := c.value(0, "files")
	files, isMap := raw.(map[string]any)
	if !ok || !isMap || len(files) == 0 {
		return nil, badArg("cp.recv needs files: a mapping of file name to {data, mode}")
	}
	dest, err := c.String(1, "dest", nil)
	if err != nil {
		return nil, err
	}
	makedirs, err := c.Bool(2, "makedirs", ptr(false))
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(dest) {
		return nil, badArg("dest %q must be an absolute path", dest)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	toDir := len(files) > 1 || strings.HasSuffix(dest, "/")
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		toDir = true
	}
	if toDir {
		if _, err := os.Stat(dest); err != nil {
			if !makedirs {
				return nil, fmt.Errorf("destination directory %s does not exist (makedirs=True creates it)", dest)
			}
			if err := os.MkdirAll(dest, 0o755); err != nil {
				return nil, err
			}
		}
	} else if _, err := os.Stat(filepath.Dir(dest)); err != nil {
		if !makedirs {
			return nil, fmt.Errorf("directory %s does not exist (makedirs=True creates it)", filepath.Dir(dest))
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return nil, err
		}
	}
	out := map[string]any{}
	total := 0
	for _, name := range names {
		spec, ok := files[name].(map[string]any)
		data, ok2 := spec["data"].(string)
		if !ok || !ok2 {
			return nil, badArg("files[%q] must be {data: base64, mode: bits}", name)
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, badArg("files[%q]: data is not base64: %v", name, err)
		}
		if total += len(b); total > MaxCpBytes {
			return nil, badArg("ctl cp sends at most %d bytes; use the file server (salt://, cp.get_file) for larger files", MaxCpBytes)
		}
		base := filepath.Base(filepath.Clean("/" + name))
		if base == "/" || base == "." || base == ".." {
			return nil, badArg("files[%q] has no file name", name)
		}
		target := dest
		if toDir {
			target = filepath.Join(dest, base)
		}
		mode := os.FileMode(0o644)
		if m, ok := coerce.Int(spec["mode"]); ok && m >= 0 && m <= 0o7777 {
			mode = os.FileMode(m) & 0o777
		}
		tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".brine-cp-")
		if err != nil {
			return nil, err
		}
		_, werr := tmp.Write(b)
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), mode)
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), target)
		}
		if werr != nil {
			_ = os.Remove(tmp.Name())
			return nil, fmt.Errorf("write %s: %w", target, werr)
		}
		out[target] = true
	}
	return out, nil
}
