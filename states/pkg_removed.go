package states

import (
	"context"
	"strings"
)

func init() {
	RegisterTyped(Typed[pkgArgs]{
		Name: "pkg.removed",
		Doc: `Ensure packages are not installed.

name, or pkgs: a list of names. version: remove only when that version (spec) is the one installed. Backends as for pkg.installed.
Changes: {pkg: {"old": "1.2", "new": ""}}.`,
		Apply: pkgRemoved,
	})
}

func pkgRemoved(ctx context.Context, env *Env, call Call, a *pkgArgs) Result {
	targets := a.targets(call)
	be, err := pkgBackendFor(env)
	if err != nil {
		return failErr(call.Name, err)
	}
	names := targetNames(targets)
	before, err := be.installed(ctx, names)
	if err != nil {
		return fail(call.Name, "Unable to list installed packages: %v", err)
	}
	var drop []pkgTarget
	for _, t := range targets {
		if v, ok := before[t.name]; ok && versionSatisfies(v, t.version) {
			drop = append(drop, t)
		}
	}
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	if len(drop) == 0 {
		ret.Result = True()
		ret.Comment = "None of the targeted packages are installed"
		return ret
	}
	if call.Test {
		for _, t := range drop {
			ret.Changes[t.name] = map[string]any{"old": before[t.name], "new": ""}
		}
		ret.Comment = "The following packages will be removed: " + strings.Join(targetNames(drop), ", ")
		return ret
	}
	removeErr := be.remove(ctx, targetNames(drop), false)
	after, err := be.installed(ctx, names)
	if err != nil {
		return fail(call.Name, "Unable to list installed packages after removing: %v", err)
	}
	var left []string
	for _, t := range drop {
		if _, still := after[t.name]; still {
			left = append(left, t.name)
			continue
		}
		ret.Changes[t.name] = map[string]any{"old": before[t.name], "new": ""}
	}
	if len(left) > 0 {
		ret.Result = False()
		ret.Comment = "The following packages were not removed: " + strings.Join(left, ", ")
		if removeErr != nil {
			ret.Comment += "\n" + removeErr.Error()
		}
		return ret
	}
	ret.Result = True()
	ret.Comment = "All targeted packages were removed."
	return ret
}
