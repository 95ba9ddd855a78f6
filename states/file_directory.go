package states

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func init() {
	RegisterTyped(Typed[directoryArgs]{
		Name: "file.directory",
		Doc: `Ensure a directory exists with the given ownership and mode.

name: absolute path. user, group, dir_mode (alias mode; "0755" or 755). makedirs: create missing parents. force: replace a file standing where the directory should be. recurse: a list of user, group, mode (and ignore_files, ignore_dirs) to apply ownership and modes to everything below too: directories get dir_mode, files file_mode.
Changes: {name: {"directory": "new"}} on creation, else mode, user, group; with recurse also {"recursion": ...}.`,
		Apply: fileDirectory,
	})
}

// directoryArgs are file.directory's arguments.
type directoryArgs struct {
	ownerArgs
	DirMode  modeArg  `salt:"dir_mode"`
	Mode     modeArg  `salt:"mode"` // an alias of dir_mode
	FileMode modeArg  `salt:"file_mode"`
	Makedirs bool     `salt:"makedirs"`
	Force    bool     `salt:"force"`
	Recurse  []string `salt:"recurse"`
	Clean    bool     `salt:"clean"`
}

// Validate checks recurse's entries and refuses clean.
func (a *directoryArgs) Validate() error {
	if a.Clean {
		// Salt's clean spares files other states manage, which a single
		// state cannot know: refuse rather than delete too much.
		return ArgErrorf("clean", "is not supported by Brine's file.directory (use file.recurse with clean: True)")
	}
	for _, r := range a.Recurse {
		switch r {
		case "user", "group", "mode", "ignore_files", "ignore_dirs", "silent":
		default:
			return ArgErrorf("recurse", "has unknown entry %q (want user, group, mode, ignore_files, ignore_dirs)", r)
		}
	}
	return nil
}

func fileDirectory(ctx context.Context, env *Env, call Call, a *directoryArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	p, err := a.perms(a.DirMode.or(a.Mode))
	if err != nil {
		return failErr(name, err)
	}
	fileP := p
	fileP.mode, fileP.hasMode = a.FileMode.bits, a.FileMode.set
	makedirs, force := a.Makedirs, a.Force
	rec := map[string]bool{}
	for _, r := range a.Recurse {
		rec[r] = true
	}

	ret := Result{Name: name, Changes: map[string]any{}}
	fi, err := os.Stat(name) // a symlink to a directory is accepted
	switch {
	case err == nil && !fi.IsDir():
		if !force {
			return fail(name, "Specified location %s exists and is a file", name)
		}
		ret.Changes["forced"] = "File was forcibly replaced with a directory"
		fi = nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return failErr(name, err)
	case err != nil:
		fi = nil
	}
	if fi == nil {
		parent := filepath.Dir(name)
		if pfi, err := os.Stat(parent); (err != nil || !pfi.IsDir()) && !makedirs {
			return fail(name, "No directory to create %s in", name)
		}
		ret.Changes[name] = map[string]any{"directory": "new"}
		if call.Test {
			ret.Comment = fmt.Sprintf("The following files will be changed:\n%s: directory - new\n", name)
			return ret
		}
		if _, ok := ret.Changes["forced"]; ok {
			if err := os.Remove(name); err != nil {
				return fail(name, "Unable to remove %s: %v", name, err)
			}
		}
		mode := uint32(0o755)
		if p.hasMode {
			mode = p.mode
		}
		if _, err := mkdirAll(name, mode, p); err != nil {
			return fail(name, "Unable to create directory %s: %v", name, err)
		}
		ret.Result = True()
		ret.Comment = fmt.Sprintf("Directory %s updated", name)
		return ret
	}

	mergeChanges(ret.Changes, permChanges(fi, p, 0))
	// Recursion: what below would change.
	type fix struct {
		path string
		p    perms
	}
	var fixes []fix
	if len(rec) > 0 {
		rp, rfp := p, fileP
		if !rec["user"] {
			rp.uid, rfp.uid = -1, -1
		}
		if !rec["group"] {
			rp.gid, rfp.gid = -1, -1
		}
		if !rec["mode"] {
			rp.hasMode, rfp.hasMode = false, false
		}
		err := filepath.WalkDir(name, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if path == name {
				return nil
			}
			want := rfp
			switch {
			case d.IsDir():
				if rec["ignore_dirs"] {
					return nil
				}
				want = rp
			case d.Type()&fs.ModeSymlink != 0:
				want.hasMode = false
			}
			if d.Type().IsRegular() && rec["ignore_files"] {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if len(permChanges(info, want, 0)) > 0 {
				fixes = append(fixes, fix{path, want})
			}
			return nil
		})
		if err != nil {
			return fail(name, "Unable to walk %s: %v", name, err)
		}
		if len(fixes) > 0 {
			var changed []string
			for _, f := range fixes {
				changed = append(changed, f.path)
			}
			sort.Strings(changed)
			ret.Changes["recursion"] = fmt.Sprintf("%d files or directories below changed: %s",
				len(changed), strings.Join(trimList(changed, 10), ", "))
		}
	}
	if len(ret.Changes) == 0 {
		ret.Result = True()
		ret.Comment = fmt.Sprintf("The directory %s is in the correct state", name)
		return ret
	}
	if call.Test {
		ret.Comment = fmt.Sprintf("The directory %s will be changed", name)
		return ret
	}
	if err := applyPerms(name, p); err != nil {
		return fail(name, "Unable to set ownership or mode of %s: %v", name, err)
	}
	for _, f := range fixes {
		if err := applyPerms(f.path, f.p); err != nil {
			return fail(name, "Unable to set ownership or mode of %s: %v", f.path, err)
		}
	}
	ret.Result = True()
	ret.Comment = fmt.Sprintf("Directory %s updated", name)
	return ret
}

// trimList keeps the first n entries, noting how many were left out.
func trimList(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string(nil), list[:n]...), fmt.Sprintf("and %d more", len(list)-n))
}
