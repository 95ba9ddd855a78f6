package states

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/brine-cm/brine/internal/coerce"
)

// archive.extracted, as Salt's states/archive.py: the archive's listing
// decides whether it must be extracted (a path missing or overwrite), so
// running it again changes nothing. Tar archives are listed and
// extracted by the tar command (any compression it reads), zip archives
// here (or by unzip when options are given).

func init() {
	RegisterTyped(Typed[archiveArgs]{
		Name: "archive.extracted",
		Doc: `Extract an archive (tar in any compression tar reads, or zip) into the directory name, when one of its paths is missing there.

source: salt://, an absolute local path, or an http(s) URL (which needs source_hash, or skip_verify: True). source_hash: "sha256=HEX", a bare hex digest (its length names the type), or a salt://, http(s) or local file of checksums (the line naming the archive, or source_hash_name, or its only digest). archive_format: tar or zip (default: from the source's extension). options: tar options (e.g. --strip-components=1, or z), or unzip options (then unzip extracts).
enforce_toplevel (default True): refuse an archive without a single top-level directory. if_missing: do nothing when this path exists. overwrite: extract even when everything is present. clean: remove the archive's top-level paths before extracting; clean_parent: remove name itself. force: replace paths of the wrong type (a file where the archive has a directory). user, group: owner of the extracted paths (recursively; enforce_ownership_on limits it to one path). trim_output: True (100) or N: list at most N extracted files.
Changes: extracted_files, directories_created, removed, "updated ownership". Downloads are kept under the minion's cache (extrn_files) unless keep_source is False.`,
		Apply: archiveExtracted,
	})
}

type archiveArgs struct {
	ownerArgs
	Source             string `salt:"source,required"`
	SourceHash         string `salt:"source_hash"`
	SourceHashName     string `salt:"source_hash_name"`
	SkipVerify         bool   `salt:"skip_verify"`
	ArchiveFormat      string `salt:"archive_format"`
	Options            string `salt:"options"`
	Force              bool   `salt:"force"`
	Overwrite          bool   `salt:"overwrite"`
	Clean              bool   `salt:"clean"`
	CleanParent        bool   `salt:"clean_parent"`
	IfMissing          string `salt:"if_missing"`
	TrimOutput         any    `salt:"trim_output"`
	EnforceToplevel    bool   `salt:"enforce_toplevel" default:"true"`
	EnforceOwnershipOn string `salt:"enforce_ownership_on"`
	ExtractPerms       bool   `salt:"extract_perms" default:"true"`
	UseCmdUnzip        *bool  `salt:"use_cmd_unzip"`
	KeepSource         *bool  `salt:"keep_source"`
	Keep               *bool  `salt:"keep"`

	trim int // 0: no trimming
}

// Validate checks the arguments that do not need the system.
func (a *archiveArgs) Validate() error {
	if a.IfMissing != "" && !filepath.IsAbs(a.IfMissing) {
		return ArgErrorf("if_missing", "is not an absolute path: %q", a.IfMissing)
	}
	if a.EnforceOwnershipOn != "" && !filepath.IsAbs(a.EnforceOwnershipOn) {
		return ArgErrorf("enforce_ownership_on", "is not an absolute path: %q", a.EnforceOwnershipOn)
	}
	if a.Clean && a.CleanParent {
		return ArgErrorf("clean_parent", "cannot be used with clean: only one of 'clean' and 'clean_parent' can be set to True")
	}
	if a.SkipVerify && a.SourceHash != "" {
		return ArgErrorf("skip_verify", "cannot be used with source_hash")
	}
	switch t := a.TrimOutput.(type) {
	case nil:
	case bool:
		if t {
			a.trim = 100
		}
	default:
		n, ok := coerce.Int(t)
		if !ok || n < 0 {
			return ArgErrorf("trim_output", "must be True/False or a positive integer, got %s", coerce.Describe(t))
		}
		a.trim = n
	}
	a.ArchiveFormat = strings.ToLower(a.ArchiveFormat)
	switch a.ArchiveFormat {
	case "", "tar", "zip":
	case "rar":
		return ArgErrorf("archive_format", "rar is not supported (tar and zip are)")
	default:
		return ArgErrorf("archive_format", "is %q: set it to tar or zip, or remove it and the format is guessed from the source's extension", a.ArchiveFormat)
	}
	if a.UseCmdUnzip != nil && !*a.UseCmdUnzip && a.Options != "" && a.ArchiveFormat == "zip" {
		return ArgErrorf("use_cmd_unzip", "cannot be False when options are given (unzip takes them)")
	}
	return nil
}

// guessArchiveFormat is Salt's guess_archive_type.
func guessArchiveFormat(name string) string {
	name = strings.ToLower(name)
	for _, e := range []string{"tar", "tar.gz", "tgz", "tar.bz2", "tbz2", "tbz", "tar.xz", "txz", "tar.lzma", "tlz", "tar.zst"} {
		if strings.HasSuffix(name, "."+e) {
			return "tar"
		}
	}
	if strings.HasSuffix(name, ".zip") {
		return "zip"
	}
	if strings.HasSuffix(name, ".rar") {
		return "rar"
	}
	return ""
}

// archiveListing is what an archive holds, paths relative to its root
// (directories without their trailing slash).
type archiveListing struct {
	dirs, files, links []string
	topDirs, topFiles  []string
	topLinks           []string
}

func (l *archiveListing) add(name string, kind byte) {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" {
		return
	}
	top, rest, _ := strings.Cut(name, "/")
	switch kind {
	case 'd':
		l.dirs = append(l.dirs, name)
	case 'l':
		l.links = append(l.links, name)
	default:
		l.files = append(l.files, name)
	}
	if rest != "" || kind == 'd' {
		if !containsStr(l.topDirs, top) {
			l.topDirs = append(l.topDirs, top)
		}
		return
	}
	switch kind {
	case 'l':
		l.topLinks = append(l.topLinks, top)
	default:
		l.topFiles = append(l.topFiles, top)
	}
}

func containsStr(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func archiveExtracted(ctx context.Context, env *Env, call Call, a *archiveArgs) Result {
	if !filepath.IsAbs(call.Name) {
		return fail(call.Name, "%s is not an absolute path", call.Name)
	}
	dest := filepath.Clean(call.Name)
	name := dest + "/" // Salt shows the directory with its slash
	if fi, err := os.Stat(dest); err == nil && !fi.IsDir() {
		return fail(call.Name, "%s exists and is not a directory", dest)
	}
	if a.IfMissing != "" {
		if _, err := os.Lstat(a.IfMissing); err == nil {
			return Result{Name: call.Name, Result: True(), Comment: fmt.Sprintf("Path %s exists", a.IfMissing)}
		}
	}
	p := perms{uid: -1, gid: -1}
	if a.User != "" {
		u, err := lookupUser(a.User)
		if err != nil {
			return fail(call.Name, "User %s does not exist", a.User)
		}
		p.user, p.uid = a.User, atoiOr(u.Uid, -1)
	}
	if a.Group != "" {
		g, err := lookupGroup(a.Group)
		if err != nil {
			return fail(call.Name, "Group %s does not exist", a.Group)
		}
		p.group, p.gid = a.Group, atoiOr(g.Gid, -1)
	}
	src, err := classifySource(a.Source)
	if err != nil {
		return failErr(call.Name, err)
	}
	format := a.ArchiveFormat
	if format == "" {
		format = guessArchiveFormat(src.base)
		switch format {
		case "":
			return fail(call.Name, "Could not guess archive_format from the value of the 'source' argument. Please set this archive_format to one of the following: tar, zip")
		case "rar":
			return fail(call.Name, "archive_format rar is not supported (tar and zip are)")
		}
	}
	useUnzip := format == "zip" && (a.Options != "" || (a.UseCmdUnzip != nil && *a.UseCmdUnzip))
	var sum *sourceSum
	if a.SourceHash != "" {
		if sum, err = getSourceSum(ctx, env, call, a.SourceHash, a.SourceHashName, src); err != nil {
			return failErr(call.Name, err)
		}
	} else if src.remote && !a.SkipVerify {
		return fail(call.Name, "Unable to verify upstream hash of source file %s, please set source_hash or set skip_verify to True", src.display)
	}
	if src.remote && call.Test {
		if cached := env.cachedDownload(src); cached == "" || sum == nil || !sum.matches(cached) {
			return Result{Name: call.Name, Comment: fmt.Sprintf("Archive %s would be cached (if necessary) and checked to discover if extraction is needed", src.display)}
		}
	}
	cached, cleanup, err := fetchArchive(ctx, env, call, src, sum)
	if err != nil {
		return failErr(call.Name, err)
	}
	defer cleanup()
	if !a.keepSource() && src.remote && cached == env.cachePath(src) {
		// keep_source: False drops the download once the state is done
		defer os.Remove(cached)
	}
	if sum != nil && !sum.matches(cached) {
		return fail(call.Name, "%s does not match the desired source_hash %s", src.display, sum.hex)
	}
	strip := 0
	if format == "tar" && a.Options != "" {
		if m := stripRE.FindStringSubmatch(a.Options); m != nil {
			strip, _ = strconv.Atoi(m[1])
		}
	}
	var list *archiveListing
	if format == "tar" {
		list, err = listTar(ctx, env, cached, strip)
	} else {
		list, err = listZip(cached)
	}
	if err != nil {
		return fail(call.Name, "Unable to list the contents of %s: %v", src.display, err)
	}
	if a.EnforceToplevel && (len(list.topDirs) > 1 || len(list.topFiles)+len(list.topLinks) > 0) {
		return fail(call.Name, "Archive does not have a single top-level directory. To allow this archive to be extracted, set 'enforce_toplevel' to False. To avoid a '%s-bomb' it may also be advisable to set a top-level directory by adding it to the 'name' value (for example, setting 'name' to %s instead of %s).",
			format, filepath.Join(name, "some_dir"), name)
	}
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	needed, missing := a.Overwrite, false
	var wrongType []string
	check := func(paths []string, ok func(fs.FileMode) bool) error {
		for _, rel := range paths {
			fi, err := os.Lstat(filepath.Join(dest, rel))
			switch {
			case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
				needed, missing = true, true
			case err != nil:
				return err
			case !ok(fi.Mode()):
				wrongType = append(wrongType, rel)
			}
		}
		return nil
	}
	for _, c := range []struct {
		paths []string
		ok    func(fs.FileMode) bool
	}{
		{list.dirs, func(m fs.FileMode) bool { return m.IsDir() }},
		{list.files, func(m fs.FileMode) bool { return !m.IsDir() && m&fs.ModeSymlink == 0 }},
		{list.links, func(m fs.FileMode) bool { return m&fs.ModeSymlink != 0 }},
	} {
		if err := check(c.paths, c.ok); err != nil {
			return failErr(call.Name, err)
		}
	}
	if len(wrongType) > 0 {
		paths := "\n\n- " + strings.Join(wrongType, "\n- ")
		msg := fmt.Sprintf("The below paths (relative to %s) exist, but are the incorrect type (file instead of directory, symlink instead of file, etc.).", name)
		switch {
		case call.Test && a.Clean:
			return Result{Name: call.Name, Comment: msg + " Since the 'clean' option is enabled, the destination paths would be cleared and the archive would be extracted." + paths}
		case call.Test && a.CleanParent:
			return Result{Name: call.Name, Comment: msg + " Since the 'clean_parent' option is enabled, the destination parent directory would be removed first and then re-created and the archive would be extracted"}
		case a.Clean || a.CleanParent:
			needed = true
		case !a.Force:
			return fail(call.Name, "%s To proceed with extraction, set 'force' to True. Note that this will remove these paths before extracting.%s", msg, paths)
		case call.Test:
			needed = true
		default:
			for _, rel := range wrongType {
				full := filepath.Join(dest, rel)
				if err := os.RemoveAll(full); err != nil {
					return fail(call.Name, "One or more paths existed but were the incorrect type, and could not be removed: %v", err)
				}
				appendChange(ret.Changes, "removed", full)
			}
			needed = true
		}
	}
	explain := ""
	if missing {
		explain = ", due to absence of one or more files/dirs"
	}
	var files []any
	if needed {
		if call.Test {
			ret.Comment = fmt.Sprintf("Archive %s would be extracted to %s", src.display, name)
			if a.Clean {
				ret.Comment += ", after cleaning destination path(s)"
			}
			ret.Comment += explain
			// the would-be changes (Salt reports none)
			var would []any
			for _, d := range list.dirs {
				would = append(would, d+"/")
			}
			for _, f := range append(append([]string{}, list.files...), list.links...) {
				would = append(would, f)
			}
			if a.trim > 0 && len(would) > a.trim {
				would = would[:a.trim]
			}
			ret.Changes["extracted_files"] = would
			if fi, err := os.Stat(dest); err != nil || !fi.IsDir() {
				ret.Changes["directories_created"] = []any{name}
			}
			return ret
		}
		if a.CleanParent {
			if err := os.RemoveAll(dest); err != nil {
				return fail(call.Name, "Unable to remove the directory %s: %v", name, err)
			}
			ret.Changes["removed"] = fmt.Sprintf("Directory %s was removed prior to the extraction", name)
		}
		if a.Clean {
			for _, top := range append(append([]string{}, list.topDirs...), append(list.topFiles, list.topLinks...)...) {
				full := filepath.Join(dest, top)
				if _, err := os.Lstat(full); err != nil {
					continue
				}
				if err := os.RemoveAll(full); err != nil {
					return fail(call.Name, "One or more paths could not be cleaned: %v", err)
				}
				appendChange(ret.Changes, "removed", full)
			}
		}
		createdDest := false
		if fi, err := os.Stat(dest); err != nil || !fi.IsDir() {
			if _, err := mkdirAll(dest, 0o755, perms{uid: p.uid, gid: -1}); err != nil {
				return fail(call.Name, "Unable to create %s: %v", name, err)
			}
			createdDest = true
		}
		switch {
		case format == "tar":
			files, err = extractTar(ctx, env, cached, dest, a.Options)
		case useUnzip:
			files, err = extractUnzipCmd(ctx, env, cached, dest, a.Options)
		default:
			files, err = extractZip(cached, dest, a.ExtractPerms)
		}
		if err != nil {
			if createdDest {
				os.Remove(dest) // only if still empty
			}
			return fail(call.Name, "Unable to extract %s to %s: %v", src.display, name, err)
		}
		if a.trim > 0 && len(files) > a.trim {
			files = files[:a.trim]
		}
		if createdDest {
			ret.Changes["directories_created"] = []any{name}
		}
	}
	// ownership
	var enforceFailed []string
	if p.uid >= 0 || p.gid >= 0 {
		var roots []string
		if a.EnforceOwnershipOn != "" {
			roots = []string{a.EnforceOwnershipOn}
		} else {
			for _, top := range append(append(append([]string{}, list.topDirs...), list.topFiles...), list.topLinks...) {
				roots = append(roots, filepath.Join(dest, top))
			}
		}
		changed, failed := chownTrees(roots, p, call.Test)
		if changed {
			ret.Changes["updated ownership"] = true
		}
		enforceFailed = failed
	}
	if needed {
		if len(files) == 0 {
			return fail(call.Name, "No files were extracted from %s", src.display)
		}
		ret.Changes["extracted_files"] = files
		ret.Comment = fmt.Sprintf("%s extracted to %s%s", src.display, name, explain)
		if a.trim > 0 {
			ret.Comment += fmt.Sprintf(". Output was trimmed to %d number of lines", a.trim)
		}
		ret.Result = True()
	} else {
		ret.Result = True()
		ret.Comment = "All files in archive are already present"
		if call.Test && ret.Changes["updated ownership"] == true {
			ret.Result = nil
			ret.Comment += ". Ownership would be updated on one or more files/directories."
		}
	}
	if len(enforceFailed) > 0 {
		ret.Result = False()
		ret.Comment += "\n\nWhile trying to enforce user/group ownership, Brine was unable to change ownership on the following paths:\n\n- " + strings.Join(enforceFailed, "\n- ")
	}
	return ret
}

// keepSource is keep_source (or its older name keep); default True.
func (a *archiveArgs) keepSource() bool {
	switch {
	case a.KeepSource != nil:
		return *a.KeepSource
	case a.Keep != nil:
		return *a.Keep
	}
	return true
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func appendChange(ch map[string]any, key, v string) {
	l, _ := ch[key].([]any)
	ch[key] = append(l, v)
}

var stripRE = regexp.MustCompile(`--strip(?:-components)?(?:\s+|=)["']?(\d+)["']?`)

// chownTrees gives every path under roots the owner in p (test: only
// reports); it returns whether something changed (or would) and the
// paths it could not change.
func chownTrees(roots []string, p perms, test bool) (bool, []string) {
	changed := false
	var failed []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if !test {
					failed = append(failed, path)
				}
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				failed = append(failed, path)
				return nil
			}
			uid, gid, _ := statOwner(fi)
			if (p.uid < 0 || p.uid == uid) && (p.gid < 0 || p.gid == gid) {
				return nil
			}
			changed = true
			if !test {
				if err := os.Lchown(path, p.uid, p.gid); err != nil {
					failed = append(failed, path)
				}
			}
			return nil
		})
		if err != nil {
			failed = append(failed, root)
		}
	}
	return changed, failed
}

// listTar lists a tar archive with the tar command (any compression it
// reads), names with strip leading components removed as tar
// --strip-components does.
func listTar(ctx context.Context, env *Env, archive string, strip int) (*archiveListing, error) {
	res, err := env.runOK(ctx, Command{Path: "tar", Args: []string{"--numeric-owner", "-t", "-v", "-f", archive}, Env: []string{"LC_ALL=C", "TZ=UTC"}})
	if err != nil {
		return nil, err
	}
	l := &archiveListing{}
	for _, line := range strings.Split(res.Stdout, "\n") {
		if line == "" {
			continue
		}
		// perms owner/group size date time name
		fields := strings.Fields(line)
		if len(fields) < 6 || len(fields[0]) < 10 {
			return nil, fmt.Errorf("unexpected tar listing line %q", line)
		}
		name := line
		for i := 0; i < 5; i++ {
			name = strings.TrimLeft(name, " ")
			j := strings.IndexByte(name, ' ')
			name = name[j:]
		}
		name = strings.TrimLeft(name, " ")
		kind := fields[0][0]
		switch kind {
		case 'l':
			name, _, _ = strings.Cut(name, " -> ")
		case 'h':
			name, _, _ = strings.Cut(name, " link to ")
			kind = '-'
		}
		if strip > 0 {
			parts := strings.Split(strings.Trim(name, "/"), "/")
			if len(parts) <= strip {
				continue
			}
			name = strings.Join(parts[strip:], "/")
		}
		l.add(name, kind)
	}
	return l, nil
}

// tarCommand is Salt's tar command line for options: "xv" plus the
// first option's letters when it is not a dash option, then the other
// options, then -f archive.
func tarCommand(archive, options string) ([]string, error) {
	opts, err := splitShell(options)
	if err != nil {
		return nil, fmt.Errorf("options: %v", err)
	}
	short := "xv"
	var long []string
	pos := 0
	for _, o := range opts {
		if o == "v" || o == "-v" || o == "--verbose" {
			continue
		}
		if strings.HasPrefix(o, "-") || pos > 0 {
			long = append(long, o)
		} else {
			short += strings.NewReplacer("x", "", "f", "").Replace(o)
		}
		pos++
	}
	return append(append([]string{short}, long...), "-f", archive), nil
}

func extractTar(ctx context.Context, env *Env, archive, dest, options string) ([]any, error) {
	args, err := tarCommand(archive, options)
	if err != nil {
		return nil, err
	}
	res, err := env.runOK(ctx, Command{Path: "tar", Args: args, Dir: dest, Env: []string{"LC_ALL=C"}})
	if err != nil {
		return nil, err
	}
	var files []any
	for _, l := range strings.Split(res.Stdout, "\n") {
		if options == "" {
			// Salt lists tarfile's names then: directories without "/"
			l = strings.TrimSuffix(l, "/")
		}
		if l != "" {
			files = append(files, l)
		}
	}
	if len(files) == 0 {
		files = []any{"no tar output so far"}
	}
	return files, nil
}

func extractUnzipCmd(ctx context.Context, env *Env, archive, dest, options string) ([]any, error) {
	opts, err := splitShell(options)
	if err != nil {
		return nil, fmt.Errorf("options: %v", err)
	}
	args := append(append(opts, archive), "-d", dest)
	res, err := env.runOK(ctx, Command{Path: "unzip", Args: args, Env: []string{"LC_ALL=C"}})
	if err != nil {
		return nil, err
	}
	// unzip's output lines, as Salt's archive.cmd_unzip returns them
	var files []any
	for _, l := range strings.Split(res.Stdout, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			files = append(files, l)
		}
	}
	return files, nil
}

// splitShell splits options as Python's shlex.split does for the simple
// cases: blanks separate, single and double quotes group.
func splitShell(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("no closing quotation")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
