package states

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func init() {
	RegisterTyped(Typed[symlinkArgs]{
		Name: "file.symlink",
		Doc: `Ensure name is a symbolic link pointing to target.

name: absolute path of the link. target: what it points to (not resolved, may dangle). force: replace a file, directory or other link standing at name. makedirs: create missing parent directories. user, group: the link's own ownership.
Changes: {"new": name} when the link is created or repointed, {"forced": ...} when something was replaced, {"ownership": "user:group"}.`,
		Apply: fileSymlink,
	})
}

// symlinkArgs are file.symlink's arguments.
type symlinkArgs struct {
	ownerArgs
	Target   string `salt:"target,required"`
	Force    bool   `salt:"force"`
	Makedirs bool   `salt:"makedirs"`
}

// Validate refuses an empty target.
func (a *symlinkArgs) Validate() error {
	if a.Target == "" {
		return ArgErrorf("target", "must not be empty")
	}
	return nil
}

func fileSymlink(ctx context.Context, env *Env, call Call, a *symlinkArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	// As Salt, the link's owner must exist, in test mode too (unlike
	// file.managed's, which an earlier state may still create).
	var missing []string
	if a.User != "" {
		if _, err := lookupUser(a.User); err != nil {
			missing = append(missing, fmt.Sprintf("User %s does not exist", a.User))
		}
	}
	if a.Group != "" {
		if _, err := lookupGroup(a.Group); err != nil {
			missing = append(missing, fmt.Sprintf("Group %s does not exist", a.Group))
		}
	}
	if len(missing) > 0 {
		msg := strings.Join(missing, ". ")
		if len(missing) > 1 {
			msg += "."
		}
		return fail(name, "%s", msg)
	}
	p, err := a.perms(modeArg{}, call.Test)
	if err != nil {
		return failErr(name, err)
	}
	target, force, makedirs := a.Target, a.Force, a.Makedirs

	ret := Result{Name: name, Changes: map[string]any{}}
	fi, err := os.Lstat(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return failErr(name, err)
	}
	exists := err == nil
	isLink := exists && fi.Mode()&fs.ModeSymlink != 0
	var current string
	if isLink {
		if current, err = os.Readlink(name); err != nil {
			return failErr(name, err)
		}
	}
	remove := false
	switch {
	case isLink && filepath.Clean(current) == filepath.Clean(target):
		// Right link: only ownership may differ.
		ch := permChanges(fi, p, 0)
		if len(ch) == 0 {
			ret.Result = True()
			ret.Comment = fmt.Sprintf("Symlink %s is present and points to %s", name, target)
			return ret
		}
		ret.Changes["ownership"] = fmt.Sprintf("%s:%s", p.user, p.group)
		if call.Test {
			ret.Comment = fmt.Sprintf("Ownership of symlink %s is set to be changed", name)
			return ret
		}
		if err := applyPerms(name, p); err != nil {
			return fail(name, "Failed to set ownership of symlink %s: %v", name, err)
		}
		ret.Result = True()
		ret.Comment = fmt.Sprintf("Set ownership of symlink %s to %s:%s", name, p.user, p.group)
		return ret
	case isLink:
		remove = true
	case exists && !force:
		kind := "File system entry"
		if fi.Mode().IsRegular() {
			kind = "File"
		} else if fi.IsDir() {
			kind = "Directory"
		}
		return fail(name, "%s exists where the symlink %s should be (set force: True to replace it)", kind, name)
	case exists:
		remove = true
		ret.Changes["forced"] = "File was forcibly replaced with a symlink"
	}
	parent := filepath.Dir(name)
	parentMissing := false
	if pfi, err := os.Stat(parent); err != nil || !pfi.IsDir() {
		if !makedirs {
			return fail(name, "Directory %s for symlink is not present", parent)
		}
		parentMissing = true
	}
	ret.Changes["new"] = name
	if call.Test {
		if isLink {
			ret.Comment = fmt.Sprintf("Symlink %s is set to be repointed from %s to %s", name, current, target)
		} else {
			ret.Comment = fmt.Sprintf("Symlink %s to %s is set for creation", name, target)
		}
		if parentMissing {
			ret.Comment += fmt.Sprintf("\n%s will be created", parent)
		}
		return ret
	}
	if parentMissing {
		if _, err := mkdirAll(parent, 0o755, p); err != nil {
			return fail(name, "Unable to create directory %s: %v", parent, err)
		}
	}
	// Make the new link beside the old entry and rename it over, so that
	// name never stops existing when it was a link.
	tmp := filepath.Join(parent, "."+filepath.Base(name)+".brine-link-"+randHex())
	if err := os.Symlink(target, tmp); err != nil {
		return fail(name, "Unable to create new symlink %s -> %s: %v", name, target, err)
	}
	if remove && !isLink && fi.IsDir() {
		if err := os.RemoveAll(name); err != nil {
			os.Remove(tmp)
			return fail(name, "Unable to remove %s: %v", name, err)
		}
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fail(name, "Unable to create new symlink %s -> %s: %v", name, target, err)
	}
	if err := applyPerms(name, p); err != nil {
		return fail(name, "Created new symlink %s -> %s, but was unable to set ownership to %s:%s: %v",
			name, target, p.user, p.group, err)
	}
	ret.Result = True()
	ret.Comment = fmt.Sprintf("Created new symlink %s -> %s", name, target)
	return ret
}
