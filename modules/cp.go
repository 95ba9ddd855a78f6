package modules

import (
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// The cp module: files from the master's file server, as Salt's
// salt.modules.cp. As in Salt, a file the master does not have gives ""
// (get_file) or false (cache_file); any other failure is an error.

func init() {
	Register("cp.get_file", `Copy the file path (salt://...) from the master to dest on the minion and return dest; "" when the master has no such file. makedirs=True creates dest's parent directories; template=jinja renders the file with grains and pillar first; saltenv (default base); gzip is accepted. A dest ending in '/' (or an existing directory) receives the file under its own name.

CLI Example:

    ctl '*' cp.get_file salt://vimrc /etc/vimrc makedirs=True`, cpGetFile)
	Register("cp.get_dir", `Copy the directory path (salt://...) recursively from the master into dest on the minion (dest/<last part of path>/...) and return the list of files written. template and saltenv as for cp.get_file.

CLI Example:

    ctl '*' cp.get_dir salt://etc/apache2 /etc`, cpGetDir)
	Register("cp.cache_file", `Fetch the file path (salt://...) into the minion's cache and return the local path; false when the master has no such file. saltenv (default base).

CLI Example:

    ctl '*' cp.cache_file salt://foo/bar.conf saltenv=base`, cpCacheFile)
	Register("cp.list_master", `List the files of saltenv (default base) on the master's file server, as paths relative to its roots; prefix narrows the list.

CLI Example:

    ctl '*' cp.list_master prefix=apache`, cpListMaster)
	Register("cp.list_master_dirs", `List the directories of saltenv (default base) on the master's file server (those holding files); prefix narrows the list.

CLI Example:

    ctl '*' cp.list_master_dirs`, cpListMasterDirs)
	Register("cp.list_states", `List the SLS names available in saltenv (default: the minion's saltenv option, else base) on the master's file server, sorted: "a/b.sls" is a.b, "a/b/init.sls" is a.b.

CLI Example:

    ctl '*' cp.list_states saltenv=prod`, cpListStates)
}

func needFiles(env *Env, fun string) error {
	if env == nil || env.Files == nil {
		return proto.Errorf(proto.ErrExecution, "%s needs a master", fun)
	}
	return nil
}

func isNotFound(err error) bool {
	var pe *proto.Error
	return errors.As(err, &pe) && pe.Kind == proto.ErrNotFound
}

// saltURL reads a salt:// source argument.
func saltURL(c Call, i int, name string) (string, error) {
	src, err := c.String(i, name, nil)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(src, "salt://") {
		return "", badArg("%s must be a salt:// URL, got %q", name, src)
	}
	return src, nil
}

// copyOut copies (or, with template, renders) the cached file local to
// dest.
func copyOut(ctx context.Context, env *Env, local, source, dest, template, saltenv string) error {
	src, err := os.Open(local)
	if err != nil {
		return osErr(err)
	}
	defer src.Close()
	var data io.Reader = src
	switch strings.ToLower(template) {
	case "":
	case "jinja":
		text, err := io.ReadAll(src)
		if err != nil {
			return osErr(err)
		}
		rc := &render.Context{Saltenv: saltenv}
		if env.Grains != nil {
			rc.Grains = env.Grains.Items()
		}
		if env.Master != nil {
			if rc.Pillar, err = env.Master.Pillar(ctx, false); err != nil {
				return err
			}
		}
		out, err := render.Jinja(ctx, text, source, rc)
		if err != nil {
			return proto.Errorf(proto.ErrExecution, "%v", err)
		}
		data = strings.NewReader(string(out))
	default:
		return badArg("template %q is not supported (jinja)", template)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".part*")
	if err != nil {
		return osErr(err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, data); err != nil {
		tmp.Close()
		return osErr(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return osErr(err)
	}
	if err := tmp.Close(); err != nil {
		return osErr(err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return osErr(err)
	}
	return nil
}

func cpGetFile(ctx context.Context, env *Env, c Call) (any, error) {
	source, err := saltURL(c, 0, "path")
	if err != nil {
		return nil, err
	}
	dest, err := absArg(c, 1, "dest")
	if err != nil {
		return nil, err
	}
	saltenv, err := c.String(2, "saltenv", ptr("base"))
	if err != nil {
		return nil, err
	}
	makedirs, err := c.Bool(3, "makedirs", ptr(false))
	if err != nil {
		return nil, err
	}
	template, err := c.String(4, "template", ptr(""))
	if err != nil {
		return nil, err
	}
	if err := needFiles(env, "cp.get_file"); err != nil {
		return nil, err
	}
	local, err := env.Files.Cache(ctx, source, saltenv)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(dest, "/") || isDir(dest) {
		dest = filepath.Join(dest, path.Base(source))
	}
	if makedirs {
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return nil, osErr(err)
		}
	}
	if err := copyOut(ctx, env, local, source, dest, template, saltenv); err != nil {
		return nil, err
	}
	return dest, nil
}

func cpGetDir(ctx context.Context, env *Env, c Call) (any, error) {
	source, err := saltURL(c, 0, "path")
	if err != nil {
		return nil, err
	}
	dest, err := absArg(c, 1, "dest")
	if err != nil {
		return nil, err
	}
	saltenv, err := c.String(2, "saltenv", ptr("base"))
	if err != nil {
		return nil, err
	}
	template, err := c.String(3, "template", ptr(""))
	if err != nil {
		return nil, err
	}
	if err := needFiles(env, "cp.get_dir"); err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(strings.TrimPrefix(source, "salt://"), "/")
	files, err := env.Files.List(ctx, prefix+"/", saltenv)
	if err != nil {
		return nil, err
	}
	parent := path.Dir(prefix)
	out := []any{}
	for _, f := range files {
		rel := strings.TrimPrefix(f, "salt://")
		if !strings.HasPrefix(rel, prefix+"/") {
			continue
		}
		if parent != "." {
			rel = strings.TrimPrefix(rel, parent+"/")
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		local, err := env.Files.Cache(ctx, f, saltenv)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, osErr(err)
		}
		if err := copyOut(ctx, env, local, f, target, template, saltenv); err != nil {
			return nil, err
		}
		out = append(out, target)
	}
	return out, nil
}

func cpCacheFile(ctx context.Context, env *Env, c Call) (any, error) {
	source, err := saltURL(c, 0, "path")
	if err != nil {
		return nil, err
	}
	saltenv, err := c.String(1, "saltenv", ptr("base"))
	if err != nil {
		return nil, err
	}
	if err := needFiles(env, "cp.cache_file"); err != nil {
		return nil, err
	}
	local, err := env.Files.Cache(ctx, source, saltenv)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return nil, err
	}
	return local, nil
}

func masterFiles(ctx context.Context, env *Env, c Call, fun string) ([]string, error) {
	saltenv, err := c.String(0, "saltenv", ptr("base"))
	if err != nil {
		return nil, err
	}
	prefix, err := c.String(1, "prefix", ptr(""))
	if err != nil {
		return nil, err
	}
	if err := needFiles(env, fun); err != nil {
		return nil, err
	}
	files, err := env.Files.List(ctx, prefix, saltenv)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, strings.TrimPrefix(f, "salt://"))
	}
	sort.Strings(out)
	return out, nil
}

func cpListMaster(ctx context.Context, env *Env, c Call) (any, error) {
	files, err := masterFiles(ctx, env, c, "cp.list_master")
	if err != nil {
		return nil, err
	}
	out := make([]any, len(files))
	for i, f := range files {
		out[i] = f
	}
	return out, nil
}

func cpListMasterDirs(ctx context.Context, env *Env, c Call) (any, error) {
	files, err := masterFiles(ctx, env, c, "cp.list_master_dirs")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(f); d != "." && d != "/"; d = path.Dir(d) {
			set[d] = true
		}
	}
	dirs := make([]string, 0, len(set))
	for d := range set {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	out := make([]any, len(dirs))
	for i, d := range dirs {
		out[i] = d
	}
	return out, nil
}

// cpListStates is Salt's cp.list_states (fileclient.list_states).
func cpListStates(ctx context.Context, env *Env, c Call) (any, error) {
	def := "base"
	if env != nil {
		if s, ok := env.Opts["saltenv"].(string); ok && s != "" {
			def = s
		}
	}
	saltenv, err := c.String(0, "saltenv", &def)
	if err != nil {
		return nil, err
	}
	if saltenv == "" {
		saltenv = def
	}
	if err := needFiles(env, "cp.list_states"); err != nil {
		return nil, err
	}
	files, err := env.Files.List(ctx, "", saltenv)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, f := range files {
		f = strings.TrimPrefix(f, "salt://")
		switch {
		case strings.HasSuffix(f, "/init.sls"):
			set[strings.ReplaceAll(strings.TrimSuffix(f, "/init.sls"), "/", ".")] = true
		case strings.HasSuffix(f, ".sls"):
			set[strings.ReplaceAll(strings.TrimSuffix(f, ".sls"), "/", ".")] = true
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out, nil
}
