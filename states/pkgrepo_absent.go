package states

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

func init() {
	RegisterTyped(Typed[pkgrepoAbsentArgs]{
		Name: "pkgrepo.absent",
		Doc: `Ensure a package repository is not configured.

Debian family: name is the sources line; its components are removed from the lines of the same repository (type, URI, distribution) in sources.list and sources.list.d/*.list, and a line left without components goes (a .list file left empty is deleted). keyid: also remove that key with apt-key del.
RedHat family: name is the repository id; its section goes from its .repo file (the file too when nothing is left).
Changes: {"repo": name} (and "keyid"). Comments as Salt's ("Package repo NAME is absent", "Removed repo NAME").`,
		Apply: pkgrepoAbsent,
	})
}

type pkgrepoAbsentArgs struct {
	KeyID []string `salt:"keyid"`
}

const repoWouldRemove = "Package repo '%s' will be removed. This may cause pkg states to behave differently than stated if this action is repeated without test=True, due to the differences in the configured repositories."

func pkgrepoAbsent(ctx context.Context, env *Env, call Call, a *pkgrepoAbsentArgs) Result {
	family, err := repoFamily(env)
	if err != nil {
		return failErr(call.Name, err)
	}
	if family == "redhat" {
		if len(a.KeyID) > 0 {
			return fail(call.Name, "Repo key management is not implemented for this platform (keyid is for the Debian family)")
		}
		return yumRepoAbsent(env, call)
	}
	return aptRepoAbsent(ctx, env, call, a)
}

func aptRepoAbsent(ctx context.Context, env *Env, call Call, a *pkgrepoAbsentArgs) Result {
	name := call.Name
	want, ok := parseAptLine(name)
	if !ok {
		return fail(name, "Failed to configure repo '%s': the name must be a sources line such as \"deb http://deb.example.com/debian bookworm main\"", name)
	}
	if len(a.KeyID) > 0 && !onPATH("apt-key") {
		return fail(name, "Repo key management is not implemented for this platform: apt-key is not on PATH")
	}
	matches, err := env.findAptSources(want, "")
	if err != nil {
		return fail(name, "Failed to configure repo '%s': %v", name, err)
	}
	// the lines sharing a component with the name's
	rm := map[string]bool{}
	for _, c := range want.comps {
		rm[c] = true
	}
	var hit []aptMatch
	for _, m := range matches {
		for _, c := range m.src.comps {
			if rm[c] || len(want.comps) == 0 {
				hit = append(hit, m)
				break
			}
		}
	}
	var presentKeys []any
	for _, k := range a.KeyID {
		present, err := aptKeyPresent(ctx, env, k)
		if err != nil {
			return fail(name, "Failed to configure repo '%s': %v", name, err)
		}
		if present {
			presentKeys = append(presentKeys, k)
		}
	}
	if len(hit) == 0 && len(presentKeys) == 0 {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Package repo %s is absent", name)}
	}
	changes := map[string]any{}
	if len(hit) > 0 {
		changes["repo"] = name
	}
	if len(presentKeys) > 0 {
		changes["keyid"] = presentKeys
	}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf(repoWouldRemove, name)}
	}
	byFile := map[string]map[int]aptSource{}
	for _, m := range hit {
		if byFile[m.file] == nil {
			byFile[m.file] = map[int]aptSource{}
		}
		var left []string
		for _, c := range m.src.comps {
			if !rm[c] && len(want.comps) > 0 {
				left = append(left, c)
			}
		}
		s := m.src
		s.comps = left
		byFile[m.file][m.idx] = s
	}
	for _, f := range sortedKeys(byFile) {
		lines, err := readLines(f)
		if err != nil {
			return fail(name, "Failed to remove repo %s: %v", name, err)
		}
		var out []string
		for i, l := range lines {
			s, edited := byFile[f][i]
			switch {
			case !edited:
				out = append(out, l)
			case len(s.comps) > 0:
				out = append(out, s.line())
			}
		}
		if len(nonBlank(out)) == 0 && filepath.Base(filepath.Dir(f)) == "sources.list.d" {
			if err := os.Remove(f); err != nil {
				return fail(name, "Failed to remove repo %s: %v", name, err)
			}
			continue
		}
		if err := writeLines(f, out); err != nil {
			return fail(name, "Failed to remove repo %s: %v", name, err)
		}
	}
	comment := fmt.Sprintf("Removed repo %s", name)
	if len(hit) == 0 {
		comment = fmt.Sprintf("Package repo %s is absent", name)
	}
	for _, k := range presentKeys {
		if _, err := env.runOK(ctx, Command{Path: "apt-key", Args: []string{"del", k.(string)}}); err != nil {
			return Result{Name: name, Result: False(), Changes: changes, Comment: comment + fmt.Sprintf(", but failed to remove key: %v", err)}
		}
	}
	if len(presentKeys) > 0 {
		comment += fmt.Sprintf(", and keyid %s", pyStr(presentKeys))
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: comment}
}

func yumRepoAbsent(env *Env, call Call) Result {
	name := call.Name
	path, rf, err := env.findYumRepo(name)
	if err != nil {
		return fail(name, "Failed to configure repo '%s': %v", name, err)
	}
	if rf == nil {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Package repo %s is absent", name)}
	}
	changes := map[string]any{"repo": name}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf(repoWouldRemove, name)}
	}
	var keep []*iniSection
	for _, s := range rf.sections {
		if s.name != name {
			keep = append(keep, s)
		}
	}
	rf.sections = keep
	if len(keep) == 0 && len(nonBlank(rf.header)) == 0 {
		if err := os.Remove(path); err != nil {
			return fail(name, "Failed to remove repo %s: %v", name, err)
		}
	} else if err := writeLines(path, rf.render()); err != nil {
		return fail(name, "Failed to remove repo %s: %v", name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Removed repo %s", name)}
}
