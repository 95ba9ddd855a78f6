package command

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"

	"github.com/brine-cm/brine/proto"
)

// runCp is `ctl cp TARGET SRC... DEST` (salt-cp): small local files are
// sent in the job to the targeted minions' cp.recv, which writes them to
// DEST (a file for one source, else a directory). --makedirs creates
// missing directories.
func (r *runner) runCp(words []string) int {
	if len(words) < 3 {
		return r.usage("ctl cp TARGET SRC... DEST (e.g. ctl cp 'web*' ./motd /etc/motd)")
	}
	tgt, srcs, dest := words[0], words[1:len(words)-1], words[len(words)-1]
	if !filepath.IsAbs(dest) {
		return r.usage(fmt.Sprintf("cp: DEST %q must be an absolute path on the minions", dest))
	}
	files := map[string]any{}
	total := 0
	for _, src := range srcs {
		fi, err := os.Stat(src)
		if err != nil {
			return r.usage(fmt.Sprintf("cp: %v", err))
		}
		if !fi.Mode().IsRegular() {
			return r.usage(fmt.Sprintf("cp: %s is not a regular file (ctl cp sends files; put directories on the file server and use cp.get_dir)", src))
		}
		if total += int(fi.Size()); total > proto.MaxCpBytes {
			return r.usage(fmt.Sprintf("cp: the files add up to more than %d bytes; put them on the file server (salt://) and use cp.get_file", proto.MaxCpBytes))
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return r.usage(fmt.Sprintf("cp: %v", err))
		}
		name := filepath.Base(src)
		if _, dup := files[name]; dup {
			return r.usage(fmt.Sprintf("cp: two sources are named %s", name))
		}
		files[name] = map[string]any{"data": base64.StdEncoding.EncodeToString(b), "mode": int(fi.Mode().Perm())}
	}
	kwargs := map[string]any{}
	if r.g.Makedirs {
		kwargs["makedirs"] = true
	}
	return r.runParsed("cp.recv", tgt, []any{files, dest}, kwargs)
}
