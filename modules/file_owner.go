package modules

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// file.get_user, get_group, get_uid, get_gid and contains_regex, as Salt's
// file module answers them.

func init() {
	for _, f := range []struct {
		name, doc string
		pick      func(st *syscall.Stat_t) any
		missing   any
	}{
		{"file.get_user", "Return the name of the user owning path (false when path does not exist).", func(st *syscall.Stat_t) any { return userName(st.Uid) }, false},
		{"file.get_group", "Return the name of the group owning path (false when path does not exist).", func(st *syscall.Stat_t) any { return groupName(st.Gid) }, false},
		{"file.get_uid", "Return the uid of the user owning path (-1 when path does not exist).", func(st *syscall.Stat_t) any { return int64(st.Uid) }, int64(-1)},
		{"file.get_gid", "Return the gid of the group owning path (-1 when path does not exist).", func(st *syscall.Stat_t) any { return int64(st.Gid) }, int64(-1)},
	} {
		Register(f.name, f.doc+` follow_symlinks (default true) looks at the link itself when false.

CLI Example:

    ctl '*' `+f.name+` /etc/passwd`, func(_ context.Context, _ *Env, c Call) (any, error) {
			path, err := pathArg(c, 0, "path")
			if err != nil {
				return nil, err
			}
			follow, err := c.Bool(1, "follow_symlinks", ptr(true))
			if err != nil {
				return nil, err
			}
			fi, err := statFollow(path, follow)
			if errors.Is(err, fs.ErrNotExist) {
				return f.missing, nil
			}
			if err != nil {
				return nil, osErr(err)
			}
			return f.pick(fi.Sys().(*syscall.Stat_t)), nil
		})
	}
	Register("file.contains_regex", `Return true if a line of the file at path matches the regular expression (Python syntax, searched anywhere in the line); a missing file gives false.

CLI Example:

    ctl '*' file.contains_regex /etc/ssh/sshd_config '^PermitRootLogin\s+no'`, fileContainsRegex)
}

func fileContainsRegex(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	pattern, err := c.String(1, "regex", nil)
	if err != nil {
		return nil, err
	}
	re, err := compilePy(pattern, 0)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return nil, osErr(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			return true, nil
		}
	}
	return false, nil
}
