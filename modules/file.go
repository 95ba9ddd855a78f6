package modules

import (
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
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/internal/udiff"
	"github.com/brine-cm/brine/proto"
)

// The file module: files and directories on the minion, as Salt's
// salt.modules.file. Where Salt returns an error as a string (chown's
// "User does not exist"), Brine raises it: an error must never look like a
// value a template would test.

func init() {
	Register("file.exists", `Return true if the path exists (a file, a directory or anything else; a symlink counts when its target exists).

CLI Example:

    ctl '*' file.exists /etc/passwd`, fileExists)
	Register("file.file_exists", `Return true if the path is a regular file (or a symlink to one).

CLI Example:

    ctl '*' file.file_exists /etc/passwd`, fileFileExists)
	Register("file.directory_exists", `Return true if the path is a directory (or a symlink to one).

CLI Example:

    ctl '*' file.directory_exists /etc`, fileDirectoryExists)
	Register("file.dirname", `Return the directory part of path, as Python's os.path.dirname.

CLI Example:

    ctl '*' file.dirname /etc/salt/minion`, fileDirname)
	Register("file.basename", `Return the last part of path, as Python's os.path.basename ("" for a path ending in '/').

CLI Example:

    ctl '*' file.basename /etc/salt/minion`, fileBasename)
	Register("file.join", `Join path parts as Python's os.path.join: an absolute part discards those before it.

CLI Example:

    ctl '*' file.join /etc salt minion`, fileJoin)
	Register("file.search", `Return true if the regular expression pattern matches somewhere in the file at path. Arguments: path, pattern, flags (default 8, re.MULTILINE: an integer of Python re flags or a list of their names, IGNORECASE, MULTILINE, DOTALL), bufsize (accepted), ignore_if_missing (a missing file gives false instead of an error), multiline (adds MULTILINE and DOTALL). Patterns use RE2 syntax, Python's without lookaround and backreferences. A missing file is an error.

CLI Example:

    ctl '*' file.search /var/run/keepalive.state BACKUP`, fileSearch)
	Register("file.contains", `Return true if the file at path contains the text (a plain substring); a missing file gives false.

CLI Example:

    ctl '*' file.contains /etc/motd 'Welcome'`, fileContains)
	Register("file.replace", `Replace occurrences of the regular expression pattern in the file at path with repl, as Python's re.subn over the whole file. Arguments: path, pattern, repl, count (0: all), flags (as file.search, default 8), bufsize (accepted), append_if_not_found / prepend_if_not_found (add not_found_content, default repl, when the pattern does not match and the content is not already there), not_found_content, backup (suffix of the copy kept of the original, default '.bak'; false for none), dry_run, search_only (return whether the pattern matches), show_changes (default true: return the unified diff, "" for none; false: return whether something changed), ignore_if_missing, preserve_inode (accepted: the file is rewritten in place), backslash_literal (repl backslashes are literal). repl uses Python's \1 and \g<name> group references.

CLI Example:

    ctl '*' file.replace /etc/httpd/httpd.conf pattern='LogLevel warn' repl='LogLevel info'`, fileReplace,
		SecretArgs(2, 8), SecretKwargs("repl", "not_found_content"))
	Register("file.read", `Return the contents of the file at path as a string (binary=True accepted: the bytes are returned as they are).

CLI Example:

    ctl '*' file.read /etc/hostname`, fileRead)
	Register("file.write", `Write the given lines to the file at path, each followed by a newline, replacing its contents; line= or lines= (a list) may be given instead of positional lines. Returns 'Wrote N lines to "path"'.

CLI Example:

    ctl '*' file.write /etc/motd 'Hello' 'World'`, fileWrite, AllArgsSecret())
	Register("file.stats", `Return a mapping describing path: inode, uid, gid, user, group, atime, mtime, ctime, size, mode ("0644"), type (file, dir, link, char, block, pipe, socket), target (the real path) and, with hash_type (md5, sha1, sha224, sha256, sha384, sha512), sum. follow_symlinks (default true) describes the link itself when false. A missing path is an error.

CLI Example:

    ctl '*' file.stats /etc/passwd hash_type=sha256`, fileStats)
	Register("file.get_hash", `Return the hex digest of the file at path; form is md5, sha1, sha224, sha256 (default), sha384 or sha512.

CLI Example:

    ctl '*' file.get_hash /etc/shadow form=sha512`, fileGetHash)
	Register("file.mkdir", `Create the directory dir_path and any missing parents, optionally owned by user and group and with mode (octal, e.g. "0755") applied to the directories created; true on success (also when it exists).

CLI Example:

    ctl '*' file.mkdir /opt/app/logs user=app mode=0750`, fileMkdir)
	Register("file.remove", `Remove the file, symlink or directory tree at path (which must be absolute); true if something was removed, false if nothing was there.

CLI Example:

    ctl '*' file.remove /tmp/foo`, fileRemove)
	Register("file.touch", `Create the file name if it does not exist and set its access and modification times (atime, mtime: Unix seconds; default now); true on success.

CLI Example:

    ctl '*' file.touch /var/log/emptyfile`, fileTouch)
	Register("file.find", `Return the paths under path (path itself included, at depth 0) matching every criterion, given as key=value strings or keywords: name / iname (a glob on the entry's name, iname case-insensitive), regex / iregex (a regular expression searched in the name), type (letters: f file, d directory, l symlink, b block, c char, p pipe, s socket), user, group (name or id), mindepth, maxdepth, size ([+-]N[bkmgt]: larger, smaller or about), mtime ([+-]N[smhdw]: older, newer than N ago). Directories are walked in name order, each directory's entries before its subdirectories' contents. An unknown criterion is an error.

CLI Example:

    ctl '*' file.find /var/log name='*.log' type=f mtime=+7d`, fileFind)
	Register("file.chown", `Change the owner of path to user and its group to group (names or ids; an empty group keeps it). Returns null on success; an unknown user or group or a missing path is an error.

CLI Example:

    ctl '*' file.chown /etc/passwd root root`, fileChown)
	Register("file.set_mode", `Set the mode of path (octal, e.g. "0644" or 644) and return the new mode as a string ("0644"). A missing path is an error.

CLI Example:

    ctl '*' file.set_mode /etc/passwd 0644`, fileSetMode)
	Register("file.get_mode", `Return the mode of path as a string ("0644"); follow_symlinks (default true). A missing path is an error.

CLI Example:

    ctl '*' file.get_mode /etc/passwd`, fileGetMode)
	Register("file.symlink", `Create a symbolic link path pointing to src; path must be absolute. With force=True an existing path is replaced; otherwise an existing path is an error. Returns true.

CLI Example:

    ctl '*' file.symlink /path/to/file /path/to/link`, fileSymlink)
	Register("file.readlink", `Return the target of the symbolic link path; with canonicalize=True the fully resolved real path. A path that is not a symlink is an error.

CLI Example:

    ctl '*' file.readlink /path/to/link`, fileReadlink)
}

// pathArg reads a path argument, expanding a leading ~ as Salt does.
func pathArg(c Call, i int, name string) (string, error) {
	p, err := c.String(i, name, nil)
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", badArg("argument '%s' must not be empty", name)
	}
	return expandUser(p), nil
}

// expandUser is Python's os.path.expanduser for "~" and "~user".
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	name, rest, _ := strings.Cut(p[1:], "/")
	var home string
	if name == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return p
		}
		home = h
	} else {
		u, err := user.Lookup(name)
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	if rest == "" && !strings.Contains(p, "/") {
		return home
	}
	return filepath.Join(home, rest)
}

// absArg is pathArg for functions that need an absolute path.
func absArg(c Call, i int, name string) (string, error) {
	p, err := pathArg(c, i, name)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) {
		return "", badArg("%s must be an absolute path, got %q", name, p)
	}
	return p, nil
}

// execErr is an error of the function's work (not of its arguments).
func execErr(format string, args ...any) *proto.Error {
	return proto.Errorf(proto.ErrExecution, format, args...)
}

// osErr describes a failed file operation in Python's words.
func osErr(err error) *proto.Error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		var errno syscall.Errno
		if errors.As(pe.Err, &errno) {
			return execErr("[Errno %d] %s: '%s'", int(errno), pythonStrerror(errno), pe.Path)
		}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		var errno syscall.Errno
		if errors.As(le.Err, &errno) {
			return execErr("[Errno %d] %s: '%s' -> '%s'", int(errno), pythonStrerror(errno), le.Old, le.New)
		}
	}
	return execErr("%v", err)
}

// pythonStrerror capitalises Go's errno text as C's strerror is.
func pythonStrerror(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func fileExists(_ context.Context, _ *Env, c Call) (any, error) {
	p, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	_, err = os.Stat(p)
	return err == nil, nil
}

func fileFileExists(_ context.Context, _ *Env, c Call) (any, error) {
	p, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular(), nil
}

func fileDirectoryExists(_ context.Context, _ *Env, c Call) (any, error) {
	p, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir(), nil
}

// pyDirname is os.path.dirname: everything before the last '/', with
// trailing slashes removed unless it is all slashes.
func pyDirname(p string) string {
	i := strings.LastIndexByte(p, '/') + 1
	head := p[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

func fileDirname(_ context.Context, _ *Env, c Call) (any, error) {
	p, err := c.String(0, "path", nil)
	if err != nil {
		return nil, err
	}
	return pyDirname(p), nil
}

func fileBasename(_ context.Context, _ *Env, c Call) (any, error) {
	p, err := c.String(0, "path", nil)
	if err != nil {
		return nil, err
	}
	return p[strings.LastIndexByte(p, '/')+1:], nil
}

func fileJoin(_ context.Context, _ *Env, c Call) (any, error) {
	if len(c.Args) == 0 {
		return nil, badArg("at least one path part is required")
	}
	out := ""
	for i, a := range c.Args {
		s, ok := coerce.String(a)
		if !ok {
			return nil, wrongType(fmt.Sprintf("#%d", i+1), "a string", a)
		}
		switch {
		case strings.HasPrefix(s, "/"):
			out = s
		case out == "" || strings.HasSuffix(out, "/"):
			out += s
		default:
			out += "/" + s
		}
	}
	return out, nil
}

// Python's re flag values.
const (
	reIgnoreCase = 2
	reLocale     = 4
	reMultiline  = 8
	reDotAll     = 16
	reUnicode    = 32
	reVerbose    = 64
)

// reFlags reads a flags argument: an integer, a flag name, or a list of
// names (IGNORECASE, MULTILINE, DOTALL, with or without "re.").
func reFlags(c Call, i int, def int) (int, error) {
	v, ok := c.value(i, "flags")
	if !ok || v == nil {
		return def, nil
	}
	names := map[string]int{"IGNORECASE": reIgnoreCase, "I": reIgnoreCase, "LOCALE": reLocale, "L": reLocale,
		"MULTILINE": reMultiline, "M": reMultiline, "DOTALL": reDotAll, "S": reDotAll,
		"UNICODE": reUnicode, "U": reUnicode, "VERBOSE": reVerbose, "X": reVerbose}
	byName := func(e any) (int, error) {
		s, ok := e.(string)
		if !ok {
			return 0, wrongType("flags", "an integer or a list of flag names", e)
		}
		n, ok := names[strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "RE.")]
		if !ok {
			return 0, badArg("argument 'flags' has an unknown flag %q (IGNORECASE, MULTILINE, DOTALL)", s)
		}
		return n, nil
	}
	if n, ok := coerce.Int(v); ok {
		return n, nil
	}
	switch t := v.(type) {
	case string:
		return byName(t)
	case []any:
		out := 0
		for _, e := range t {
			n, err := byName(e)
			if err != nil {
				return 0, err
			}
			out |= n
		}
		return out, nil
	}
	return 0, wrongType("flags", "an integer or a list of flag names", v)
}

// compilePy compiles a Python pattern with re flags as RE2.
func compilePy(pattern string, flags int) (*regexp.Regexp, error) {
	if flags&reVerbose != 0 {
		return nil, badArg("the VERBOSE regular expression flag is not supported")
	}
	prefix := ""
	if flags&reIgnoreCase != 0 {
		prefix += "i"
	}
	if flags&reMultiline != 0 {
		prefix += "m"
	}
	if flags&reDotAll != 0 {
		prefix += "s"
	}
	expr := pattern
	if prefix != "" {
		expr = "(?" + prefix + ")" + pattern
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, badArg("invalid regular expression %q (RE2 syntax: no lookaround or backreferences): %v", pattern, err)
	}
	return re, nil
}

// pyRepl converts a Python re.sub replacement (\1, \g<1>, \g<name>, \n)
// to a regexp.Expand template.
func pyRepl(repl string) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(repl); i++ {
		ch := repl[i]
		if ch == '$' {
			sb.WriteString("$$")
			continue
		}
		if ch != '\\' || i+1 == len(repl) {
			sb.WriteByte(ch)
			continue
		}
		i++
		switch n := repl[i]; {
		case n >= '0' && n <= '9':
			j := i + 1
			if j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			sb.WriteString("${" + repl[i:j] + "}")
			i = j - 1
		case n == 'g':
			end := strings.IndexByte(repl[i:], '>')
			if i+1 >= len(repl) || repl[i+1] != '<' || end < 0 {
				return "", badArg("bad group reference in repl %q: use \\g<name>", repl)
			}
			sb.WriteString("${" + repl[i+2:i+end] + "}")
			i += end
		case n == 'n':
			sb.WriteByte('\n')
		case n == 't':
			sb.WriteByte('\t')
		case n == 'r':
			sb.WriteByte('\r')
		case n == '\\':
			sb.WriteByte('\\')
		default:
			sb.WriteByte('\\')
			sb.WriteByte(n)
		}
	}
	return sb.String(), nil
}

// regularFile checks that path exists and is a file; missing is
// (false, nil) when ignoreMissing.
func regularFile(path string, ignoreMissing bool) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if ignoreMissing {
			return false, nil
		}
		return false, execErr("File not found: %s", path)
	}
	if err != nil {
		return false, osErr(err)
	}
	if !fi.Mode().IsRegular() {
		return false, execErr("Path is not a file: %s", path)
	}
	return true, nil
}

func fileSearch(ctx context.Context, env *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	pattern, err := c.String(1, "pattern", nil)
	if err != nil {
		return nil, err
	}
	flags, err := reFlags(c, 2, reMultiline)
	if err != nil {
		return nil, err
	}
	ignore, err := c.Bool(4, "ignore_if_missing", ptr(false))
	if err != nil {
		return nil, err
	}
	multiline, err := c.Bool(5, "multiline", ptr(false))
	if err != nil {
		return nil, err
	}
	if multiline {
		flags |= reMultiline | reDotAll
	}
	re, err := compilePy(pattern, flags)
	if err != nil {
		return nil, err
	}
	ok, err := regularFile(path, ignore)
	if err != nil || !ok {
		return false, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, osErr(err)
	}
	return re.Match(data), nil
}

func fileContains(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	text, err := c.String(1, "text", nil)
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
	return strings.Contains(string(data), text), nil
}

func fileReplace(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	pattern, err := c.String(1, "pattern", nil)
	if err != nil {
		return nil, err
	}
	repl, err := c.String(2, "repl", nil)
	if err != nil {
		return nil, err
	}
	count, err := c.Int(3, "count", ptr(0))
	if err != nil {
		return nil, err
	}
	flags, err := reFlags(c, 4, reMultiline)
	if err != nil {
		return nil, err
	}
	bools := map[string]bool{}
	for _, b := range []struct {
		pos  int
		name string
		def  bool
	}{{6, "append_if_not_found", false}, {7, "prepend_if_not_found", false}, {10, "dry_run", false},
		{11, "search_only", false}, {12, "show_changes", true}, {13, "ignore_if_missing", false},
		{14, "preserve_inode", true}, {15, "backslash_literal", false}} {
		if bools[b.name], err = c.Bool(b.pos, b.name, ptr(b.def)); err != nil {
			return nil, err
		}
	}
	notFound, err := c.String(8, "not_found_content", ptr(""))
	if err != nil {
		return nil, err
	}
	backup := ".bak"
	if v, ok := c.value(9, "backup"); ok {
		switch t := v.(type) {
		case nil:
		case bool:
			if !t {
				backup = ""
			}
		case string:
			backup = t
		default:
			return nil, wrongType("backup", "a suffix or false", v)
		}
	}
	if bools["search_only"] && (bools["append_if_not_found"] || bools["prepend_if_not_found"]) {
		return nil, badArg("search_only cannot be used with append_if_not_found or prepend_if_not_found")
	}
	if bools["append_if_not_found"] && bools["prepend_if_not_found"] {
		return nil, badArg("only one of append_if_not_found and prepend_if_not_found is permitted")
	}
	re, err := compilePy(pattern, flags)
	if err != nil {
		return nil, err
	}
	ok, err := regularFile(path, bools["ignore_if_missing"])
	if err != nil || !ok {
		return false, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, osErr(err)
	}
	old := string(raw)
	if bools["search_only"] {
		return re.MatchString(old), nil
	}
	tmpl := repl
	if bools["backslash_literal"] {
		tmpl = strings.ReplaceAll(repl, "$", "$$")
	} else if tmpl, err = pyRepl(repl); err != nil {
		return nil, err
	}
	matches := re.FindAllStringSubmatchIndex(old, -1)
	if count > 0 && len(matches) > count {
		matches = matches[:count]
	}
	var sb strings.Builder
	last := 0
	for _, m := range matches {
		sb.WriteString(old[last:m[0]])
		sb.Write(re.ExpandString(nil, tmpl, old, m))
		last = m[1]
	}
	sb.WriteString(old[last:])
	updated := sb.String()
	found := len(matches) > 0
	if !found && (bools["append_if_not_found"] || bools["prepend_if_not_found"]) {
		content := notFound
		if content == "" {
			content = repl
		}
		// Content added by an earlier run counts as found.
		has, err := regexp.Compile("(?m)^" + regexp.QuoteMeta(content) + "(\r?$)")
		if err == nil && has.MatchString(old) {
			found = true
		} else if bools["prepend_if_not_found"] {
			updated = content + "\n" + old
		} else {
			if old != "" && !strings.HasSuffix(old, "\n") {
				updated += "\n"
			}
			updated += content + "\n"
		}
	}
	changed := updated != old
	if changed && !bools["dry_run"] {
		if backup != "" {
			if err := os.WriteFile(path+backup, raw, 0o600); err != nil {
				return nil, osErr(err)
			}
		}
		if err := writeInPlace(path, updated); err != nil {
			return nil, err
		}
	}
	if !bools["show_changes"] {
		return changed, nil
	}
	return udiff.Unified(old, updated), nil
}

// writeInPlace rewrites an existing file's contents, keeping its inode,
// owner and mode.
func writeInPlace(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return osErr(err)
	}
	if _, err := io.WriteString(f, data); err != nil {
		f.Close()
		return osErr(err)
	}
	if err := f.Close(); err != nil {
		return osErr(err)
	}
	return nil
}

func fileRead(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	if _, err := c.Bool(1, "binary", ptr(false)); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, osErr(err)
	}
	return string(data), nil
}

func fileWrite(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	var lines []any
	switch {
	case c.Kwargs["line"] != nil:
		lines = []any{c.Kwargs["line"]}
	case c.Kwargs["lines"] != nil:
		l, ok := c.Kwargs["lines"].([]any)
		if !ok {
			return nil, wrongType("lines", "a list", c.Kwargs["lines"])
		}
		lines = l
	default:
		lines = c.Args[1:]
	}
	if len(lines) == 0 {
		return nil, badArg("Must provide at least one line")
	}
	var sb strings.Builder
	for _, l := range lines {
		s, ok := coerce.String(l)
		if !ok {
			return nil, wrongType("lines", "strings", l)
		}
		sb.WriteString(s + "\n")
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		return nil, osErr(err)
	}
	return fmt.Sprintf("Wrote %d lines to \"%s\"", len(lines), path), nil
}

// hashFor returns the hash of Salt's form name.
func hashFor(form string) (hash.Hash, error) {
	switch strings.ToLower(form) {
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
	return nil, badArg("invalid hash type %q (md5, sha1, sha224, sha256, sha384, sha512)", form)
}

// hashPath is the hex digest of the file at path.
func hashPath(path, form string) (string, error) {
	h, err := hashFor(form)
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", osErr(err)
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", osErr(err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileGetHash(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	form, err := c.String(1, "form", ptr("sha256"))
	if err != nil {
		return nil, err
	}
	return hashPath(path, form)
}

// modeStr formats permission bits as Salt does ("0644").
func modeStr(m uint32) string { return fmt.Sprintf("%04o", m&07777) }

// userName and groupName are the names of ids, or the id itself.
func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		return u.Username
	}
	return strconv.FormatUint(uint64(uid), 10)
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
		return g.Name
	}
	return strconv.FormatUint(uint64(gid), 10)
}

// fileType is Salt's word for a file's type.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "link"
	case m&fs.ModeCharDevice != 0:
		return "char"
	case m&fs.ModeDevice != 0:
		return "block"
	case m&fs.ModeNamedPipe != 0:
		return "pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "file"
}

func statFollow(path string, follow bool) (fs.FileInfo, error) {
	if follow {
		return os.Stat(path)
	}
	return os.Lstat(path)
}

func fileStats(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	hashType, err := c.String(1, "hash_type", ptr(""))
	if err != nil {
		return nil, err
	}
	follow, err := c.Bool(2, "follow_symlinks", ptr(true))
	if err != nil {
		return nil, err
	}
	fi, err := statFollow(path, follow)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, execErr("Path not found: %s", path)
	}
	if err != nil {
		return nil, osErr(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	ts := func(t syscall.Timespec) float64 { return float64(t.Sec) + float64(t.Nsec)/1e9 }
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		target = path
	}
	if abs, err := filepath.Abs(target); err == nil {
		target = abs
	}
	ret := map[string]any{
		"inode": int64(st.Ino), "uid": int64(st.Uid), "gid": int64(st.Gid),
		"user": userName(st.Uid), "group": groupName(st.Gid),
		"atime": ts(st.Atim), "mtime": ts(st.Mtim), "ctime": ts(st.Ctim),
		"size": st.Size, "mode": modeStr(st.Mode), "type": fileType(fi.Mode()), "target": target,
	}
	if hashType != "" {
		sum, err := hashPath(path, hashType)
		if err != nil {
			return nil, err
		}
		ret["sum"] = sum
	}
	return ret, nil
}

// parseModeArg reads an octal mode: "0644", "644", "0o644" or an integer
// whose decimal digits are the octal mode (YAML's 644).
func parseModeArg(c Call, i int, name string) (uint32, error) {
	v, ok := c.value(i, name)
	if !ok || v == nil {
		return 0, missingArg(name)
	}
	s, ok := coerce.String(v)
	if !ok {
		return 0, wrongType(name, `an octal mode such as "0644"`, v)
	}
	s = strings.TrimLeft(strings.TrimSpace(s), "0oO")
	if s == "" {
		s = "0"
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 07777 {
		return 0, badArg(`argument '%s' must be an octal mode such as "0644", got %s`, name, coerce.Describe(v))
	}
	return uint32(n), nil
}

// lookupUID and lookupGID resolve names or numeric ids.
func lookupUID(name string) (int, error) {
	if u, err := user.Lookup(name); err == nil {
		return strconv.Atoi(u.Uid)
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	return 0, execErr("User does not exist: %s", name)
}

func lookupGID(name string) (int, error) {
	if g, err := user.LookupGroup(name); err == nil {
		return strconv.Atoi(g.Gid)
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	return 0, execErr("Group does not exist: %s", name)
}

// ownerIDs resolves user and group ("" keeps: -1).
func ownerIDs(usr, grp string) (int, int, error) {
	uid, gid := -1, -1
	var err error
	if usr != "" {
		if uid, err = lookupUID(usr); err != nil {
			return 0, 0, err
		}
	}
	if grp != "" {
		if gid, err = lookupGID(grp); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

func fileMkdir(_ context.Context, _ *Env, c Call) (any, error) {
	dir, err := pathArg(c, 0, "dir_path")
	if err != nil {
		return nil, err
	}
	usr, err := c.String(1, "user", ptr(""))
	if err != nil {
		return nil, err
	}
	grp, err := c.String(2, "group", ptr(""))
	if err != nil {
		return nil, err
	}
	var mode *uint32
	if c.Has(3, "mode") {
		if v, _ := c.value(3, "mode"); v != nil {
			m, err := parseModeArg(c, 3, "mode")
			if err != nil {
				return nil, err
			}
			mode = &m
		}
	}
	uid, gid, err := ownerIDs(usr, grp)
	if err != nil {
		return nil, err
	}
	// The directories to create, outermost first.
	var created []string
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		created = append([]string{p}, created...)
		if filepath.Dir(p) == p {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, osErr(err)
	}
	for _, p := range created {
		if uid != -1 || gid != -1 {
			if err := os.Lchown(p, uid, gid); err != nil {
				return nil, osErr(err)
			}
		}
		if mode != nil {
			if err := syscall.Chmod(p, *mode); err != nil {
				return nil, osErr(&fs.PathError{Op: "chmod", Path: p, Err: err})
			}
		}
	}
	return true, nil
}

func fileRemove(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(path) {
		return nil, badArg("File path must be absolute: %s", path)
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return nil, osErr(err)
	}
	if fi.IsDir() {
		err = os.RemoveAll(path)
	} else {
		err = os.Remove(path)
	}
	if err != nil {
		return nil, execErr("Could not remove '%s': %v", path, osErr(err).Message)
	}
	return true, nil
}

func fileTouch(_ context.Context, _ *Env, c Call) (any, error) {
	name, err := pathArg(c, 0, "name")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	times := [2]time.Time{now, now}
	for i, n := range []string{"atime", "mtime"} {
		if v, _ := c.value(i+1, n); v != nil {
			f, ok := coerce.Float(v)
			if !ok {
				return nil, wrongType(n, "a number of seconds since the epoch", v)
			}
			times[i] = time.Unix(0, int64(f*1e9))
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, osErr(err)
	}
	if err := f.Close(); err != nil {
		return nil, osErr(err)
	}
	if err := os.Chtimes(name, times[0], times[1]); err != nil {
		return nil, osErr(err)
	}
	return true, nil
}

func fileChown(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	usr, err := c.String(1, "user", nil)
	if err != nil {
		return nil, err
	}
	grp, err := c.String(2, "group", ptr(""))
	if err != nil {
		return nil, err
	}
	uid, gid, err := ownerIDs(usr, grp)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, execErr("File not found: %s", path)
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		return nil, osErr(err)
	}
	return nil, nil
}

func getMode(path string, follow bool) (string, error) {
	fi, err := statFollow(path, follow)
	if errors.Is(err, fs.ErrNotExist) {
		return "", execErr("%s: File not found", path)
	}
	if err != nil {
		return "", osErr(err)
	}
	return modeStr(fi.Sys().(*syscall.Stat_t).Mode), nil
}

func fileSetMode(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	mode, err := parseModeArg(c, 1, "mode")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, execErr("%s: File not found", path)
	}
	if err := syscall.Chmod(path, mode); err != nil {
		return nil, osErr(&fs.PathError{Op: "chmod", Path: path, Err: err})
	}
	return getMode(path, true)
}

func fileGetMode(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	follow, err := c.Bool(1, "follow_symlinks", ptr(true))
	if err != nil {
		return nil, err
	}
	return getMode(path, follow)
}

func fileSymlink(_ context.Context, _ *Env, c Call) (any, error) {
	src, err := pathArg(c, 0, "src")
	if err != nil {
		return nil, err
	}
	path, err := absArg(c, 1, "path")
	if err != nil {
		return nil, err
	}
	force, err := c.Bool(2, "force", ptr(false))
	if err != nil {
		return nil, err
	}
	if _, err := c.Bool(3, "atomic", ptr(false)); err != nil {
		return nil, err
	}
	if cur, err := os.Readlink(path); err == nil && cur == src {
		return true, nil
	}
	if _, err := os.Lstat(path); err == nil {
		if !force {
			return nil, execErr("File exists: %s (give force=True to replace it)", path)
		}
		// Replace atomically: a new link renamed over the old path.
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".brine-tmp")
		_ = os.Remove(tmp)
		if err := os.Symlink(src, tmp); err != nil {
			return nil, execErr("Could not create '%s': %v", path, osErr(err).Message)
		}
		if err := os.Rename(tmp, path); err != nil {
			_ = os.Remove(tmp)
			return nil, execErr("Could not create '%s': %v", path, osErr(err).Message)
		}
		return true, nil
	}
	if err := os.Symlink(src, path); err != nil {
		return nil, execErr("Could not create '%s': %v", path, osErr(err).Message)
	}
	return true, nil
}

func fileReadlink(_ context.Context, _ *Env, c Call) (any, error) {
	path, err := absArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	canon, err := c.Bool(1, "canonicalize", ptr(false))
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil, execErr("A valid link was not specified: %s", path)
	}
	if canon {
		p, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, osErr(err)
		}
		return p, nil
	}
	t, err := os.Readlink(path)
	if err != nil {
		return nil, osErr(err)
	}
	return t, nil
}

// findCrit is one file.find criterion.
type findCrit func(path string, fi fs.FileInfo) bool

func fileFind(_ context.Context, _ *Env, c Call) (any, error) {
	root, err := pathArg(c, 0, "path")
	if err != nil {
		return nil, err
	}
	opts := map[string]string{}
	for _, a := range c.Args[1:] {
		s, ok := coerce.String(a)
		k, v, cut := strings.Cut(s, "=")
		if !ok || !cut {
			return nil, badArg("criteria are key=value, got %s", coerce.Describe(a))
		}
		opts[strings.TrimSpace(k)] = v
	}
	for k, v := range c.Kwargs {
		if strings.HasPrefix(k, "__") {
			continue
		}
		s, ok := coerce.String(v)
		if !ok {
			return nil, wrongType(k, "a string", v)
		}
		opts[k] = s
	}
	var crits []findCrit
	mindepth, maxdepth := 0, -1
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := opts[k]
		switch k {
		case "name", "iname":
			pat := v
			if k == "iname" {
				pat = strings.ToLower(v)
			}
			g, err := glob.CompileFnmatch(pat)
			if err != nil {
				return nil, badArg("%s: %v", k, err)
			}
			lower := k == "iname"
			crits = append(crits, func(p string, _ fs.FileInfo) bool {
				n := filepath.Base(p)
				if lower {
					n = strings.ToLower(n)
				}
				return g.Match(n)
			})
		case "regex", "iregex":
			flags := 0
			if k == "iregex" {
				flags = reIgnoreCase
			}
			re, err := compilePy(v, flags)
			if err != nil {
				return nil, err
			}
			crits = append(crits, func(p string, _ fs.FileInfo) bool { return re.MatchString(filepath.Base(p)) })
		case "type":
			want := map[string]bool{}
			for _, l := range strings.ReplaceAll(v, ",", "") {
				if !strings.ContainsRune("fdlbcps", l) {
					return nil, badArg("type: unknown file type %q (f, d, l, b, c, p, s)", string(l))
				}
				want[map[rune]string{'f': "file", 'd': "dir", 'l': "link", 'b': "block", 'c': "char", 'p': "pipe", 's': "socket"}[l]] = true
			}
			crits = append(crits, func(_ string, fi fs.FileInfo) bool { return want[fileType(fi.Mode())] })
		case "user", "group":
			var id int
			if k == "user" {
				id, err = lookupUID(v)
			} else {
				id, err = lookupGID(v)
			}
			if err != nil {
				return nil, err
			}
			isUser := k == "user"
			crits = append(crits, func(_ string, fi fs.FileInfo) bool {
				st := fi.Sys().(*syscall.Stat_t)
				if isUser {
					return int(st.Uid) == id
				}
				return int(st.Gid) == id
			})
		case "mindepth", "maxdepth":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return nil, badArg("%s must be a non-negative integer, got %q", k, v)
			}
			if k == "mindepth" {
				mindepth = n
			} else {
				maxdepth = n
			}
		case "size":
			crit, err := sizeCrit(v)
			if err != nil {
				return nil, err
			}
			crits = append(crits, crit)
		case "mtime":
			crit, err := mtimeCrit(v, time.Now())
			if err != nil {
				return nil, err
			}
			crits = append(crits, crit)
		case "print":
			if v != "path" {
				return nil, badArg("print: only print=path is supported")
			}
		default:
			return nil, badArg("unknown criterion %q (name, iname, regex, iregex, type, user, group, mindepth, maxdepth, size, mtime)", k)
		}
	}
	out := []any{}
	match := func(p string, fi fs.FileInfo) {
		for _, cr := range crits {
			if !cr(p, fi) {
				return
			}
		}
		out = append(out, p)
	}
	fi, err := os.Lstat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return out, nil
		}
		return nil, osErr(err)
	}
	if mindepth < 1 {
		match(root, fi)
	}
	if !fi.IsDir() {
		return out, nil
	}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if maxdepth >= 0 && depth > maxdepth {
			return nil
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil // unreadable directories are skipped, as os.walk does
		}
		var dirs, files []fs.DirEntry
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, e)
			} else {
				files = append(files, e)
			}
		}
		if depth >= mindepth {
			for _, e := range append(dirs, files...) {
				info, err := e.Info()
				if err != nil {
					continue
				}
				match(filepath.Join(dir, e.Name()), info)
			}
		}
		for _, d := range dirs {
			if err := walk(filepath.Join(dir, d.Name()), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 1); err != nil {
		return nil, err
	}
	return out, nil
}

// sizeCrit parses find's size=[+-]N[bkmgt].
func sizeCrit(v string) (findCrit, error) {
	s := strings.TrimSpace(v)
	cmp := byte(0)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		cmp, s = s[0], s[1:]
	}
	unit := int64(1)
	if s != "" {
		if u := strings.IndexByte("bkmgt", s[len(s)-1]|0x20); u >= 0 {
			unit = int64(1) << (10 * u)
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return nil, badArg("size must look like [+-]N[bkmgt], got %q", v)
	}
	return func(_ string, fi fs.FileInfo) bool {
		units := (fi.Size() + unit - 1) / unit
		switch cmp {
		case '+':
			return units > n
		case '-':
			return units < n
		}
		return units == n
	}, nil
}

// mtimeCrit parses find's mtime=[+-]N[smhdw] (default unit days): + older
// than N, - newer than N, plain: within N.
func mtimeCrit(v string, now time.Time) (findCrit, error) {
	s := strings.TrimSpace(v)
	cmp := byte(0)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		cmp, s = s[0], s[1:]
	}
	unit := 24 * time.Hour
	if s != "" {
		switch s[len(s)-1] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'w':
			unit = 7 * 24 * time.Hour
		}
		if s[len(s)-1] > '9' {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return nil, badArg("mtime must look like [+-]N[smhdw], got %q", v)
	}
	d := time.Duration(n * float64(unit))
	return func(_ string, fi fs.FileInfo) bool {
		age := now.Sub(fi.ModTime())
		if cmp == '+' {
			return age > d
		}
		return age <= d
	}, nil
}
