package modules

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/proto"
)

// The archive module: tar, zip and gzip archives, as Salt's
// salt.modules.archive. tar and gzip run the host's tools; zip and unzip
// are done in-process, as Salt does with Python's zipfile. Failures are
// errors, never the tool's output returned as a value.

func init() {
	Register("archive.tar", `Run tar with options (e.g. czf, or -czf; required) on tarfile, with sources (a list or comma-separated) and dest (tar -C); cwd is the directory to run in, runas the user. Returns tar's output lines.

CLI Example:

    ctl '*' archive.tar czf /tmp/etc.tar.gz sources=/etc/hosts,/etc/motd`, archiveTar)
	Register("archive.list", `List the contents of the archive name (an absolute path or salt://): tar (any compression tar understands) or zip, from archive_format or the name. Directories end in '/'. Returns the sorted list.

CLI Example:

    ctl '*' archive.list /tmp/foo.tar.gz`, archiveList)
	Register("archive.zip", `Create the zip archive zip_file from sources (a list or comma-separated; directories are added recursively, relative paths are taken from cwd). Returns the list of archived paths.

CLI Example:

    ctl '*' archive.zip /tmp/app.zip /srv/app cwd=/srv`, archiveZip)
	Register("archive.unzip", `Extract the zip archive zip_file into dest, except the members listed in excludes (a list or comma-separated); members that would land outside dest are refused; extract_perms (default true) applies the archived permissions. Returns the list of extracted members.

CLI Example:

    ctl '*' archive.unzip /tmp/app.zip /srv/app excludes=README.md`, archiveUnzip)
	Register("archive.gzip", `Compress sourcefile with gzip (options passed to it) and return gzip's output lines.

CLI Example:

    ctl '*' archive.gzip /tmp/sourcefile.txt`, archiveGzip("gzip"))
	Register("archive.gunzip", `Decompress gzipfile with gunzip (options passed to it) and return gunzip's output lines.

CLI Example:

    ctl '*' archive.gunzip /tmp/sourcefile.txt.gz`, archiveGzip("gunzip"))
}

// listArg reads a list or a comma-separated string.
func listArg(c Call, i int, name string) ([]string, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		return nil, nil
	}
	var out []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			s, ok := coerce.String(e)
			if !ok {
				return nil, wrongType(name, "a list of strings", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := coerce.String(v)
	if !ok {
		return nil, wrongType(name, "a list or a comma-separated string", v)
	}
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out, nil
}

func splitLines(s string) []any {
	out := []any{}
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func archiveTar(ctx context.Context, env *Env, c Call) (any, error) {
	options, err := c.String(0, "options", nil)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(options) == "" {
		return nil, badArg("Tar options can not be empty")
	}
	tarfile, err := pathArg(c, 1, "tarfile")
	if err != nil {
		return nil, err
	}
	sources, err := listArg(c, 2, "sources")
	if err != nil {
		return nil, err
	}
	dest, err := c.String(3, "dest", ptr(""))
	if err != nil {
		return nil, err
	}
	cwd, err := c.String(4, "cwd", ptr(""))
	if err != nil {
		return nil, err
	}
	runas, err := c.String(6, "runas", ptr(""))
	if err != nil {
		return nil, err
	}
	p := prog{fun: "archive.tar", path: "tar", args: append(strings.Fields(options), tarfile), cwd: cwd, runas: runas, combined: true}
	p.args = append(p.args, sources...)
	if dest != "" {
		p.args = append(p.args, "-C", dest)
	}
	res, err := runOK(ctx, env, p)
	if err != nil {
		return nil, err
	}
	return splitLines(res.stdout), nil
}

// localArchive resolves name to a local file (salt:// is fetched).
func localArchive(ctx context.Context, env *Env, fun, name, saltenv string) (string, error) {
	if strings.HasPrefix(name, "salt://") {
		if err := needFiles(env, fun); err != nil {
			return "", err
		}
		return env.Files.Cache(ctx, name, saltenv)
	}
	name = expandUser(name)
	if !filepath.IsAbs(name) {
		return "", badArg("name must be an absolute path or salt://, got %q", name)
	}
	return name, nil
}

func archiveList(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := c.String(0, "name", nil)
	if err != nil {
		return nil, err
	}
	format, err := c.String(1, "archive_format", ptr(""))
	if err != nil {
		return nil, err
	}
	saltenv, err := c.String(-1, "saltenv", ptr("base"))
	if err != nil {
		return nil, err
	}
	local, err := localArchive(ctx, env, "archive.list", name, saltenv)
	if err != nil {
		return nil, err
	}
	if format == "" {
		lower := strings.ToLower(name)
		switch {
		case strings.HasSuffix(lower, ".zip"):
			format = "zip"
		case strings.Contains(lower, ".tar") || strings.HasSuffix(lower, ".tgz") || strings.HasSuffix(lower, ".tbz2") || strings.HasSuffix(lower, ".txz"):
			format = "tar"
		default:
			return nil, badArg("cannot tell the format of %s: give archive_format (tar or zip)", name)
		}
	}
	var names []string
	switch format {
	case "zip":
		zr, err := zip.OpenReader(local)
		if err != nil {
			return nil, execErr("archive.list: %s: %v", name, err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
	case "tar":
		res, err := runOK(ctx, env, prog{fun: "archive.list", path: "tar", args: []string{"-tf", local}})
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(res.stdout, "\n") {
			if l != "" {
				names = append(names, strings.TrimPrefix(l, "./"))
			}
		}
	default:
		return nil, badArg("archive_format %q is not supported (tar, zip)", format)
	}
	sort.Strings(names)
	out := make([]any, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out, nil
}

func archiveZip(_ context.Context, _ *Env, c Call) (any, error) {
	zipFile, err := absArg(c, 0, "zip_file")
	if err != nil {
		return nil, err
	}
	sources, err := listArg(c, 1, "sources")
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, missingArg("sources")
	}
	cwd, err := c.String(3, "cwd", ptr(""))
	if err != nil {
		return nil, err
	}
	f, err := os.Create(zipFile)
	if err != nil {
		return nil, osErr(err)
	}
	zw := zip.NewWriter(f)
	archived := []any{}
	add := func(full, arcname string, fi fs.FileInfo) error {
		hdr, err := zip.FileInfoHeader(fi)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(arcname)
		if fi.IsDir() {
			hdr.Name += "/"
		} else {
			hdr.Method = zip.Deflate
		}
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		archived = append(archived, hdr.Name)
		if fi.IsDir() {
			return nil
		}
		src, err := os.Open(full)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	}
	var werr error
	for _, s := range sources {
		full := expandUser(s)
		if !filepath.IsAbs(full) {
			if cwd == "" {
				werr = badArg("relative source %q needs cwd", s)
				break
			}
			full = filepath.Join(cwd, full)
		}
		base := filepath.Dir(full)
		if cwd != "" && strings.HasPrefix(full, filepath.Clean(cwd)+"/") {
			base = filepath.Clean(cwd)
		}
		werr = filepath.Walk(full, func(p string, fi fs.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(base, p)
			if err != nil {
				return err
			}
			return add(p, rel, fi)
		})
		if werr != nil {
			break
		}
	}
	if err := zw.Close(); werr == nil {
		werr = err
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		os.Remove(zipFile)
		var pe *proto.Error
		if errors.As(werr, &pe) {
			return nil, pe
		}
		return nil, execErr("archive.zip: %v", werr)
	}
	return archived, nil
}

func archiveUnzip(_ context.Context, _ *Env, c Call) (any, error) {
	zipFile, err := absArg(c, 0, "zip_file")
	if err != nil {
		return nil, err
	}
	dest, err := absArg(c, 1, "dest")
	if err != nil {
		return nil, err
	}
	excludes, err := listArg(c, 2, "excludes")
	if err != nil {
		return nil, err
	}
	if pw, _ := c.value(-1, "password"); pw != nil {
		return nil, badArg("password-protected zip files are not supported")
	}
	perms, err := c.Bool(-1, "extract_perms", ptr(true))
	if err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		return nil, execErr("archive.unzip: %s: %v", zipFile, err)
	}
	defer zr.Close()
	root := filepath.Clean(dest)
	out := []any{}
	for _, f := range zr.File {
		if containsString(excludes, f.Name) {
			continue
		}
		target := filepath.Join(root, filepath.FromSlash(f.Name))
		if target != root && !strings.HasPrefix(target, root+string(filepath.Separator)) {
			return nil, execErr("archive.unzip: member %q would be extracted outside %s", f.Name, dest)
		}
		mode := f.Mode()
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return nil, osErr(err)
			}
		} else {
			if mode&fs.ModeSymlink != 0 {
				return nil, execErr("archive.unzip: member %q is a symlink, which is not extracted", f.Name)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return nil, osErr(err)
			}
			if err := extractZipFile(f, target); err != nil {
				return nil, err
			}
		}
		if perms && mode.Perm() != 0 {
			if err := os.Chmod(target, mode.Perm()); err != nil {
				return nil, osErr(err)
			}
		}
		out = append(out, f.Name)
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func extractZipFile(f *zip.File, target string) error {
	rc, err := f.Open()
	if err != nil {
		return execErr("archive.unzip: %s: %v", f.Name, err)
	}
	defer rc.Close()
	w, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return osErr(err)
	}
	if _, err := io.Copy(w, rc); err != nil {
		w.Close()
		return execErr("archive.unzip: %s: %v", f.Name, err)
	}
	if err := w.Close(); err != nil {
		return osErr(err)
	}
	return nil
}

func archiveGzip(tool string) Func {
	fun := "archive." + tool
	argName := map[string]string{"gzip": "sourcefile", "gunzip": "gzipfile"}[tool]
	return func(ctx context.Context, env *Env, c Call) (any, error) {
		file, err := absArg(c, 0, argName)
		if err != nil {
			return nil, err
		}
		runas, err := c.String(2, "runas", ptr(""))
		if err != nil {
			return nil, err
		}
		options, err := optsArg(c, 3, "options")
		if err != nil {
			return nil, err
		}
		res, err := runOK(ctx, env, prog{fun: fun, path: tool, args: append(options, file), runas: runas, combined: true})
		if err != nil {
			return nil, err
		}
		return splitLines(res.stdout), nil
	}
}
