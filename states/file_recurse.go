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
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/internal/glob"
)

func init() {
	RegisterTyped(Typed[recurseArgs]{
		Name: "file.recurse",
		Doc: `Mirror a directory of the file server (or a local directory) into name.

name: absolute path of the destination directory (created as needed). source: salt://dir (listed with the file client, each file fetched) or an absolute local directory. include_empty: also create empty source directories. clean: remove everything under name that is not in the source (except what exclude_pat matches). include_pat / exclude_pat: a glob on the path relative to source (or E@regex). user, group, file_mode ("keep": the source file's mode), dir_mode. template: jinja renders every file with context/defaults. show_changes.
Changes: {path: that file's file.managed changes, ...} plus {"removed": [paths]} for clean.`,
		Apply: fileRecurse,
	})
}

// recurseEntry is one file or directory of the source.
type recurseEntry struct {
	rel   string // slash-separated path below source
	src   string // salt:// URL or local path (files)
	isDir bool
}

// recurseArgs are file.recurse's arguments.
type recurseArgs struct {
	ownerArgs
	templateArgs
	Source       string         `salt:"source,required"`
	DirMode      modeArg        `salt:"dir_mode"`
	FileMode     modeArg        `salt:"file_mode"`
	IncludeEmpty bool           `salt:"include_empty"`
	Clean        bool           `salt:"clean"`
	ShowChanges  bool           `salt:"show_changes" default:"true"`
	IncludePat   recursePattern `salt:"include_pat"`
	ExcludePat   recursePattern `salt:"exclude_pat"`
}

// Validate allows only jinja templates.
func (a *recurseArgs) Validate() error { return a.checkTemplate() }

func fileRecurse(ctx context.Context, env *Env, call Call, a *recurseArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	dirP, err := a.perms(a.DirMode)
	if err != nil {
		return failErr(name, err)
	}
	fileP := dirP
	fileP.mode, fileP.hasMode = a.FileMode.bits, a.FileMode.set
	keepMode := a.FileMode.keep
	dirMode := uint32(0o755)
	if dirP.hasMode {
		dirMode = dirP.mode
	}
	includeEmpty, clean, showChanges := a.IncludeEmpty, a.Clean, a.ShowChanges
	include, exclude := a.IncludePat.get(), a.ExcludePat.get()
	template := a.Template
	if template != "" && (env == nil || env.Render == nil) {
		return failErr(name, call.ArgErrorf("template", "is jinja but no template renderer is available"))
	}
	var tctx map[string]any
	if template != "" {
		tctx = a.renderContext()
	}

	entries, err := listSource(ctx, env, call, a.Source)
	if err != nil {
		return failErr(name, err)
	}
	if fi, err := os.Stat(name); err == nil && !fi.IsDir() {
		return fail(name, "The path %s exists and is not a directory", name)
	}

	ret := Result{Name: name, Changes: map[string]any{}}
	keep := map[string]bool{name: true}
	var failures []string
	dirs := map[string]bool{}
	var files []recurseEntry
	for _, e := range entries {
		if (!e.isDir && !matchPattern(e.rel, include, true)) || matchPattern(e.rel, exclude, false) {
			continue
		}
		if e.isDir {
			if includeEmpty {
				dirs[e.rel] = true
			}
			continue
		}
		files = append(files, e)
		for d := path.Dir(e.rel); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	// Directories first, outermost first, then files.
	dirList := append([]string{""}, sortedKeys(dirs)...)
	for _, rel := range dirList {
		dest := filepath.Join(name, filepath.FromSlash(rel))
		keep[dest] = true
		fi, err := os.Stat(dest)
		var ch map[string]any
		switch {
		case errors.Is(err, fs.ErrNotExist):
			ch = map[string]any{"directory": "new"}
		case err != nil:
			failures = append(failures, err.Error())
			continue
		case !fi.IsDir():
			failures = append(failures, fmt.Sprintf("%s exists and is not a directory", dest))
			continue
		default:
			ch = permChanges(fi, dirP, 0)
		}
		if len(ch) == 0 {
			continue
		}
		ret.Changes[dest] = ch
		if call.Test {
			continue
		}
		if _, isNew := ch["directory"]; isNew {
			_, err = mkdirAll(dest, dirMode, dirP)
		} else {
			err = applyPerms(dest, dirP)
		}
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", dest, err))
		}
	}
	for _, e := range files {
		if err := ctx.Err(); err != nil {
			return failErr(name, err)
		}
		dest := filepath.Join(name, filepath.FromSlash(e.rel))
		keep[dest] = true
		local, err := cacheSource(ctx, env, call, e.src)
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		c := &content{path: local}
		if template != "" {
			text, err := os.ReadFile(local)
			if err != nil {
				failures = append(failures, err.Error())
				continue
			}
			out, err := env.Render.RenderTemplate(ctx, text, dest, tctx)
			if err != nil {
				failures = append(failures, fmt.Sprintf("Unable to render template for %s: %v", dest, err))
				continue
			}
			c = &content{data: out, inline: true}
		}
		p := fileP
		if keepMode {
			if sfi, err := os.Stat(local); err == nil {
				_, _, p.mode = statOwner(sfi)
				p.hasMode = true
			}
		}
		res := manageFile(managedSpec{
			name: dest, content: c, replace: true, create: true, perms: p,
			makedirs: true, dirMode: dirMode, showChanges: showChanges, test: call.Test,
		})
		if res.Result != nil && !*res.Result {
			failures = append(failures, res.Comment)
			continue
		}
		if len(res.Changes) > 0 {
			ret.Changes[dest] = res.Changes
		}
	}
	if clean {
		var removed []string
		err := filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if keep[p] {
				return nil
			}
			// As in Salt, clean spares what exclude_pat names.
			if rel, err := filepath.Rel(name, p); err == nil && matchPattern(filepath.ToSlash(rel), exclude, false) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			removed = append(removed, p)
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		})
		if err != nil {
			failures = append(failures, err.Error())
		}
		if len(removed) > 0 {
			sort.Strings(removed)
			ret.Changes["removed"] = removed
			if !call.Test {
				for _, p := range removed {
					if err := os.RemoveAll(p); err != nil {
						failures = append(failures, err.Error())
					}
				}
			}
		}
	}
	switch {
	case len(failures) > 0:
		ret.Result = False()
		ret.Comment = strings.Join(failures, "\n")
	case len(ret.Changes) == 0:
		ret.Result = True()
		ret.Comment = fmt.Sprintf("The directory %s is in the correct state", name)
	case call.Test:
		ret.Comment = fmt.Sprintf("The directory %s is set to be changed", name)
	default:
		ret.Result = True()
		ret.Comment = fmt.Sprintf("Recursively updated %s", name)
	}
	return ret
}

// listSource lists a salt:// directory through the file client, or a
// local directory by walking it.
func listSource(ctx context.Context, env *Env, call Call, source string) ([]recurseEntry, error) {
	src, qenv := splitSourceURL(source)
	src = strings.TrimRight(src, "/")
	if filepath.IsAbs(src) || strings.HasPrefix(src, "file://") {
		root := strings.TrimPrefix(src, "file://")
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("Source directory %s not found", source)
		}
		var out []recurseEntry
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == root {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			switch {
			case d.IsDir():
				out = append(out, recurseEntry{rel: rel, isDir: true})
			case d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0:
				out = append(out, recurseEntry{rel: rel, src: p})
			}
			return nil
		})
		return out, err
	}
	if !strings.HasPrefix(src, "salt://") {
		return nil, call.ArgErrorf("source", "must be a salt:// URL or an absolute directory, got %q", source)
	}
	if env == nil || env.Files == nil {
		return nil, fmt.Errorf("Source %s cannot be listed: no file client", source)
	}
	saltenv := env.saltenv(call)
	if qenv != "" {
		saltenv = qenv
	}
	paths, err := env.Files.List(ctx, src, saltenv)
	if err != nil {
		return nil, fmt.Errorf("Unable to list %s in saltenv '%s': %v", source, saltenv, err)
	}
	var out []recurseEntry
	for _, p := range paths {
		p, _ = splitSourceURL(p)
		if !strings.HasPrefix(p, src+"/") {
			continue
		}
		rel := strings.TrimPrefix(p, src+"/")
		if rel == "" || strings.Contains("/"+rel+"/", "/../") {
			continue
		}
		if strings.HasSuffix(rel, "/") {
			out = append(out, recurseEntry{rel: strings.TrimRight(rel, "/"), isDir: true})
			continue
		}
		u := p
		if qenv != "" {
			u += "?saltenv=" + qenv
		}
		out = append(out, recurseEntry{rel: rel, src: u})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Recurse failed: none of the specified sources were found (%s in saltenv '%s')", source, saltenv)
	}
	return out, nil
}

// recursePattern is include_pat/exclude_pat: a glob, or E@regex; both
// nil when not given.
type recursePattern struct {
	glob *glob.Glob
	re   *regexp.Regexp
}

// DecodeArg implements ArgDecoder.
func (p *recursePattern) DecodeArg(v any) error {
	s, ok := coerce.String(v)
	if !ok {
		return wrongArg("a string", v)
	}
	if s == "" {
		return nil
	}
	if rx, ok := strings.CutPrefix(s, "E@"); ok {
		re, err := regexp.Compile(rx)
		if err != nil {
			return fmt.Errorf("is not a valid regular expression: %v", err)
		}
		p.re = re
		return nil
	}
	g, err := glob.CompileFnmatch(s)
	if err != nil {
		return fmt.Errorf("is not a valid glob: %v", err)
	}
	p.glob = g
	return nil
}

// get is the pattern, or nil when none was given.
func (p *recursePattern) get() *recursePattern {
	if p.glob == nil && p.re == nil {
		return nil
	}
	return p
}

// matchPattern matches rel (or its base name, for globs without a
// slash) against p; a nil pattern gives def.
func matchPattern(rel string, p *recursePattern, def bool) bool {
	if p == nil {
		return def
	}
	if p.re != nil {
		return p.re.MatchString(rel)
	}
	return p.glob.Match(rel) || p.glob.Match(path.Base(rel))
}
