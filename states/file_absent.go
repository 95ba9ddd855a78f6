package states

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

func init() {
	RegisterTyped(Typed[noArgs]{
		Name: "file.absent",
		Doc: `Ensure a file, symlink or directory (recursively) is absent.

name: absolute path; "/" is refused. Changes: {"removed": name}.`,
		Apply: fileAbsent,
	})
}

func fileAbsent(ctx context.Context, env *Env, call Call, _ *noArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	if name == "/" {
		return fail(name, `Refusing to make "/" absent`)
	}
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("File %s is not present", name)}
	}
	if err != nil {
		return failErr(name, err)
	}
	kind := "File"
	if fi.IsDir() {
		kind = "Directory"
	}
	ret := Result{Name: name, Changes: map[string]any{"removed": name}}
	if call.Test {
		ret.Comment = fmt.Sprintf("%s %s is set for removal", kind, name)
		return ret
	}
	if fi.IsDir() {
		err = os.RemoveAll(name)
	} else {
		err = os.Remove(name)
	}
	if err != nil {
		return fail(name, "Failed to remove %s: %v", name, err)
	}
	ret.Result = True()
	ret.Comment = fmt.Sprintf("Removed %s %s", map[string]string{"File": "file", "Directory": "directory"}[kind], name)
	return ret
}
