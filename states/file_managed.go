package states

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func init() {
	RegisterTyped(Typed[managedArgs]{
		Name: "file.managed",
		Doc: `Manage a file's contents, ownership and mode.

name: absolute path. Content from one of: source (salt:// URL or absolute local path, or a list of them: the first that exists is used; salt://path?saltenv=dev picks the environment), source_hash (hash=hex or bare hex the source must match), contents (a string, or a list of lines joined with newlines; contents_newline: true ensures a final newline), contents_pillar or contents_grains (a colon-separated key). With none of these the file is only created empty if missing.
template: jinja renders the source (or contents) with context = defaults updated by context.
user, group, mode ("0644" or 644): ownership and permissions. makedirs: create missing parent directories (dir_mode, default 0755). replace: false leaves an existing file's content alone. create: false does nothing when the file is missing. backup: minion keeps a copy of the replaced file; show_changes: false hides the diff.
Files are compared by size and streaming sha256 and written atomically (a temporary file in the same directory renamed over the old one). Changes: diff (a unified diff, "New file", "Replace binary file" or a size note for files over 1 MiB), mode, user, group.`,
		Apply: fileManaged,
	})
}

// managedSpec is a resolved file.managed (or one file of file.recurse).
type managedSpec struct {
	name        string
	content     *content // nil: no source, only make sure the file exists
	replace     bool
	create      bool
	perms       perms
	makedirs    bool
	dirMode     uint32
	backup      string
	backupDir   string
	showChanges bool
	test        bool
	// saltPreview: test mode reports as Salt's file.managed does (a new
	// file is {"newfile": name}, the comment notes that other states may
	// change the outcome); file.recurse reports its files otherwise
	saltPreview bool
}

// testNote is what Salt's file.managed adds to its test-mode comment.
func (s managedSpec) testNote() string {
	if !s.saltPreview {
		return ""
	}
	return "\nNote: No changes made, actual changes may\nbe different due to other states."
}

// managedArgs are file.managed's arguments.
type managedArgs struct {
	ownerArgs
	templateArgs
	Source          any       `salt:"source"`
	SourceHash      string    `salt:"source_hash"`
	Contents        any       `salt:"contents"`
	ContentsPillar  *string   `salt:"contents_pillar"`
	ContentsGrains  *string   `salt:"contents_grains"`
	ContentsNewline bool      `salt:"contents_newline" default:"true"`
	Mode            modeArg   `salt:"mode"`
	DirMode         modeArg   `salt:"dir_mode"`
	Replace         bool      `salt:"replace" default:"true"`
	Create          bool      `salt:"create" default:"true"`
	Makedirs        bool      `salt:"makedirs"`
	ShowChanges     bool      `salt:"show_changes" default:"true"`
	Backup          backupArg `salt:"backup"`
}

// Validate allows one source of content and only jinja templates.
func (a *managedArgs) Validate() error {
	sources := []struct {
		arg string
		set bool
	}{{"source", a.Source != nil}, {"contents", a.Contents != nil},
		{"contents_pillar", a.ContentsPillar != nil}, {"contents_grains", a.ContentsGrains != nil}}
	n := 0
	for _, g := range sources {
		if g.set {
			n++
		}
	}
	if n > 1 {
		var given []string
		for _, g := range sources {
			if g.set {
				given = append(given, "'"+g.arg+"'")
			}
		}
		return fmt.Errorf("only one of %s may be given", strings.Join(given, ", "))
	}
	if err := a.checkTemplate(); err != nil {
		return err
	}
	if a.Template != "" && n == 0 {
		return ArgErrorf("template", "needs a 'source' or 'contents' to render")
	}
	return nil
}

// backupArg is backup: "minion" (or any true value) keeps a copy.
type backupArg string

// DecodeArg implements ArgDecoder.
func (b *backupArg) DecodeArg(v any) error {
	switch t := v.(type) {
	case bool:
		*b = ""
		if t {
			*b = "minion"
		}
		return nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "", "false", "no", "none":
			*b = ""
		default:
			*b = "minion"
		}
		return nil
	}
	return wrongArg(`"minion" or a boolean`, v)
}

func fileManaged(ctx context.Context, env *Env, call Call, a *managedArgs) Result {
	name := call.Name
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	spec, err := parseManaged(ctx, env, call, a)
	if err != nil {
		return failErr(name, err)
	}
	return manageFile(spec)
}

// parseManaged resolves file.managed's arguments and the content: the
// source cached locally, or the rendered/inline bytes.
func parseManaged(ctx context.Context, env *Env, call Call, a *managedArgs) (managedSpec, error) {
	s := managedSpec{name: filepath.Clean(call.Name), test: call.Test, dirMode: 0o755, saltPreview: true,
		replace: a.Replace, create: a.Create, makedirs: a.Makedirs, showChanges: a.ShowChanges,
		backup: string(a.Backup)}
	var err error
	if s.perms, err = a.perms(a.Mode, call.Test); err != nil {
		return s, err
	}
	if a.DirMode.set {
		s.dirMode = a.DirMode.bits
	}
	if env != nil {
		s.backupDir = env.BackupDir
	}
	s.content, err = resolveContent(ctx, env, call, a)
	return s, err
}

// resolveContent finds what the file should hold; nil when neither a
// source nor contents were given.
func resolveContent(ctx context.Context, env *Env, call Call, a *managedArgs) (*content, error) {
	var c *content
	var sourceURL any // Salt's template variable source: the URL used
	switch {
	case a.Source != nil:
		path, url, err := pickSourceURL(ctx, env, call, a.Source, a.SourceHash)
		if err != nil {
			return nil, err
		}
		c = &content{path: path}
		sourceURL = url
	case a.Contents != nil:
		text, err := joinContents(call, "contents", a.Contents)
		if err != nil {
			return nil, err
		}
		c = &content{data: []byte(text), inline: true}
	case a.ContentsPillar != nil, a.ContentsGrains != nil:
		arg, key, data := "contents_pillar", a.ContentsPillar, map[string]any(nil)
		if env != nil {
			data = env.Pillar
		}
		if a.ContentsGrains != nil {
			arg, key, data = "contents_grains", a.ContentsGrains, nil
			if env != nil {
				data = env.Grains
			}
		}
		v, ok := lookupPath(data, *key)
		if !ok || v == nil {
			return nil, call.ArgErrorf(arg, "names %q, which is not set", *key)
		}
		text, err := joinContents(call, arg, v)
		if err != nil {
			return nil, err
		}
		c = &content{data: []byte(text), inline: true}
	default:
		return nil, nil
	}
	if c.inline && a.ContentsNewline && len(c.data) > 0 && c.data[len(c.data)-1] != '\n' {
		c.data = append(c.data, '\n')
	}
	if a.Template == "" {
		return c, nil
	}
	if env == nil || env.Render == nil {
		return nil, call.ArgErrorf("template", "is jinja but no template renderer is available")
	}
	text := c.data
	if !c.inline {
		var err error
		if fr, ok := env.Files.(CachedFileReader); ok {
			text, err = fr.ReadCached(c.path)
		} else {
			text, err = os.ReadFile(c.path)
		}
		if err != nil {
			return nil, err
		}
	}
	tctx := a.renderContext()
	// Salt's get_managed passes these to the template (context wins)
	for k, v := range map[string]any{"name": call.Name, "source": sourceURL, "user": call.Args["user"],
		"group": call.Args["group"], "mode": call.Args["mode"], "attrs": call.Args["attrs"], "saltenv": env.saltenv(call)} {
		if _, set := tctx[k]; !set {
			tctx[k] = v
		}
	}
	if acc := env.Accumulators.forTemplate(call.Name); acc != nil {
		tctx["accumulator"] = acc // file.accumulated's text for this file
	}
	// The template renders under its own name, as Salt renders the
	// cached source: errors point into it, tpldir and relative imports
	// are its, and the states rendering one source share its compile.
	tname := call.Name
	if u, ok := sourceURL.(string); ok && u != "" {
		// salt://app/files/x.j2?saltenv=dev is app/files/x.j2, as the
		// renderer names an SLS file
		tname, _, _ = strings.Cut(strings.TrimPrefix(u, "salt://"), "?")
	}
	out, err := env.Render.RenderTemplate(ctx, text, tname, tctx)
	if err != nil {
		return nil, fmt.Errorf("Unable to render template for %s: %v", call.Name, err)
	}
	return &content{data: out, inline: true}, nil
}

// joinContents reads contents given as a string or a list of lines.
func joinContents(call Call, arg string, v any) (string, error) {
	if list, ok := v.([]any); ok {
		lines := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := coerce.String(e)
			if !ok {
				return "", call.wrongType(arg, "a string or a list of strings", e)
			}
			lines = append(lines, s)
		}
		return strings.Join(lines, "\n"), nil
	}
	s, ok := coerce.String(v)
	if !ok {
		return "", call.wrongType(arg, "a string or a list of strings", v)
	}
	return s, nil
}

// pickSourceURL caches the first source that exists (a list is tried in
// order; an entry may be a one-key mapping {url: hash}) and checks
// source_hash; it returns the local path and the URL.
func pickSourceURL(ctx context.Context, env *Env, call Call, source any, sourceHash string) (string, string, error) {
	type candidate struct{ url, hash string }
	var cands []candidate
	switch v := source.(type) {
	case []any:
		for _, e := range v {
			if m, ok := asMap(e); ok && len(m) == 1 {
				for k, h := range m {
					hs, _ := coerce.String(h)
					cands = append(cands, candidate{k, hs})
				}
				continue
			}
			s, ok := coerce.String(e)
			if !ok {
				return "", "", call.wrongType("source", "a URL or a list of URLs", e)
			}
			cands = append(cands, candidate{url: s})
		}
	default:
		s, ok := coerce.String(v)
		if !ok {
			return "", "", call.wrongType("source", "a URL or a list of URLs", v)
		}
		cands = append(cands, candidate{url: s})
	}
	if len(cands) == 0 {
		return "", "", call.ArgErrorf("source", "is an empty list")
	}
	var errs []string
	for _, c := range cands {
		path, err := cacheSource(ctx, env, call, c.url)
		if err != nil {
			if ctx.Err() != nil {
				return "", "", ctx.Err()
			}
			errs = append(errs, err.Error())
			continue
		}
		want := c.hash
		if want == "" {
			want = sourceHash
		}
		if want != "" {
			if err := verifyHash(call, path, want); err != nil {
				return "", "", err
			}
		}
		return path, c.url, nil
	}
	if len(errs) == 1 {
		return "", "", errors.New(errs[0])
	}
	return "", "", fmt.Errorf("None of the sources could be found: %s", strings.Join(errs, "; "))
}

// verifyHash checks a file against "type=hex" or a bare hex digest (its
// type known from its length).
func verifyHash(call Call, path, want string) error {
	kind, digest, ok := strings.Cut(strings.TrimSpace(want), "=")
	if !ok {
		kind, digest = "", kind
	}
	digest = strings.ToLower(digest)
	if _, err := hex.DecodeString(digest); err != nil {
		return call.ArgErrorf("source_hash", "must be a hex digest or TYPE=HEX, got %q", want)
	}
	if kind == "" {
		kind = map[int]string{32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}[len(digest)]
	}
	var h hash.Hash
	switch strings.ToLower(kind) {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return call.ArgErrorf("source_hash", "has an unknown hash type in %q", want)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 64<<10)); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		return fmt.Errorf("File sum set for file %s of %s does not match real sum of %s", path, digest, got)
	}
	return nil
}

// manageFile is the check-and-apply routine of file.managed.
func manageFile(s managedSpec) Result {
	ret := Result{Name: s.name, Changes: map[string]any{}}
	target := s.name
	fi, err := os.Lstat(target)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return failErr(s.name, err)
	}
	if exists && fi.Mode()&fs.ModeSymlink != 0 {
		// Follow the link and manage what it points to, as Salt does.
		if resolved, err := filepath.EvalSymlinks(target); err == nil {
			target = resolved
			if fi, err = os.Stat(target); err != nil {
				return failErr(s.name, err)
			}
		}
	}
	if exists && fi.IsDir() {
		return fail(s.name, "Specified target %s is a directory", s.name)
	}
	if exists && fi.Mode()&fs.ModeSymlink != 0 {
		exists = false // dangling link: replaced by the file
	}

	if !exists {
		if !s.create {
			ret.Result = True()
			ret.Comment = fmt.Sprintf("File %s is not present and is not set for creation", s.name)
			return ret
		}
		parent := filepath.Dir(target)
		// In test mode a missing parent is no failure: a state this one
		// requires (file.directory) may be about to create it, as Salt's
		// test run assumes.
		if !s.makedirs && !s.test {
			if pfi, err := os.Stat(parent); err != nil || !pfi.IsDir() {
				return fail(s.name, "Parent directory not present: %s (set makedirs: True to create it)", parent)
			}
		}
		if s.content == nil {
			ret.Changes["new"] = fmt.Sprintf("file %s created", s.name)
		} else {
			ret.Changes["diff"] = "New file"
		}
		mergeChanges(ret.Changes, permChanges(nil, s.perms, 0o644))
		if s.test {
			if s.saltPreview {
				ret.Changes = map[string]any{"newfile": s.name}
			}
			ret.Comment = fmt.Sprintf("The file %s is set to be changed", s.name) + s.testNote()
			return ret
		}
		mode := uint32(0o644)
		if s.perms.hasMode {
			mode = s.perms.mode
		}
		// With makedirs the parent is made when the write finds it
		// missing, rather than looked for before every file.
		err := writeAtomic(target, s.writer(), mode, s.perms.uid, s.perms.gid)
		if s.makedirs && errors.Is(err, fs.ErrNotExist) {
			if _, err := mkdirAll(parent, s.dirMode, s.perms); err != nil {
				return fail(s.name, "Unable to create parent directories of %s: %v", s.name, err)
			}
			err = writeAtomic(target, s.writer(), mode, s.perms.uid, s.perms.gid)
		}
		if err != nil {
			return fail(s.name, "Unable to write %s: %v", s.name, err)
		}
		ret.Result = True()
		if s.content == nil {
			ret.Comment = "Empty file"
		} else {
			ret.Comment = fmt.Sprintf("File %s updated", s.name)
		}
		return ret
	}

	contentChanged := false
	if s.content != nil && s.replace {
		same, err := s.content.sameAsFile(target, fi.Size())
		if err != nil {
			return fail(s.name, "Unable to compare %s: %v", s.name, err)
		}
		if !same {
			contentChanged = true
			diff := "<show_changes=False>"
			if s.showChanges {
				if diff, err = contentDiff(target, fi.Size(), *s.content); err != nil {
					return fail(s.name, "Unable to compare %s: %v", s.name, err)
				}
			}
			ret.Changes["diff"] = diff
		}
	}
	mergeChanges(ret.Changes, permChanges(fi, s.perms, 0))
	if len(ret.Changes) == 0 {
		ret.Result = True()
		if s.content != nil && !s.replace {
			ret.Comment = fmt.Sprintf("File %s exists with proper permissions. No changes made.", s.name)
		} else {
			ret.Comment = fmt.Sprintf("File %s is in the correct state", s.name)
		}
		return ret
	}
	if s.test {
		ret.Comment = fmt.Sprintf("The file %s is set to be changed", s.name) + s.testNote()
		return ret
	}
	if contentChanged {
		if s.backup != "" {
			if _, err := backupFile(target, s.backupDir, time.Now()); err != nil {
				return fail(s.name, "Unable to back up %s: %v", s.name, err)
			}
		}
		uid, gid, mode := statOwner(fi)
		if s.perms.uid >= 0 {
			uid = s.perms.uid
		}
		if s.perms.gid >= 0 {
			gid = s.perms.gid
		}
		if s.perms.hasMode {
			mode = s.perms.mode
		}
		if err := writeAtomic(target, s.writer(), mode, uid, gid); err != nil {
			return fail(s.name, "Unable to write %s: %v", s.name, err)
		}
	} else if err := applyPerms(target, s.perms); err != nil {
		return fail(s.name, "Unable to set ownership or mode of %s: %v", s.name, err)
	}
	ret.Result = True()
	ret.Comment = fmt.Sprintf("File %s updated", s.name)
	return ret
}

// writer streams the spec's content (nothing for an empty file).
func (s managedSpec) writer() func(w io.Writer) error {
	return func(w io.Writer) error {
		if s.content == nil {
			return nil
		}
		r, err := s.content.open()
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(w, r)
		return err
	}
}
