package states

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	RegisterTyped(Typed[pkgInstallArgs]{
		Name: "pkg.latest",
		Doc: `Ensure packages are installed at the newest version available.

name, or pkgs: a list of names (versions are ignored). fromrepo, refresh as for pkg.installed. The candidate version comes from apt-cache policy, dnf/yum list available, or apk list.
Changes: {pkg: {"old": "1.1", "new": "1.2"}}.`,
		Apply: pkgLatest,
	})
}

func pkgLatest(ctx context.Context, env *Env, call Call, a *pkgInstallArgs) Result {
	targets := a.targets(call)
	for i := range targets {
		targets[i].version = ""
	}
	be, fromrepo, names, before, prepErr := pkgPrepare(ctx, env, call, a, targets)
	if prepErr != nil {
		return *prepErr
	}
	cands, err := be.candidates(ctx, names)
	if err != nil {
		return fail(call.Name, "Unable to find the available versions: %v", err)
	}
	var need []pkgTarget
	var unknown, upToDate []string
	for _, t := range targets {
		cur, installed := before[t.name]
		cand := cands[t.name]
		switch {
		case !installed && cand == "":
			unknown = append(unknown, t.name)
		case !installed, cand != "" && compareVersions(cand, cur) > 0:
			need = append(need, pkgTarget{name: t.name, version: cand})
		default:
			upToDate = append(upToDate, t.name)
		}
	}
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	if len(unknown) > 0 {
		return fail(call.Name, "No information found for '%s'.", strings.Join(unknown, "', '"))
	}
	if len(need) == 0 {
		ret.Result = True()
		if len(targets) == 1 {
			ret.Comment = fmt.Sprintf("Package %s is already up-to-date", targets[0].name)
		} else {
			ret.Comment = fmt.Sprintf("All packages are up-to-date (%s).", strings.Join(upToDate, ", "))
		}
		return ret
	}
	if call.Test {
		var parts []string
		for _, t := range need {
			ret.Changes[t.name] = map[string]any{"old": before[t.name], "new": t.version}
			parts = append(parts, fmt.Sprintf("%s (%s)", t.name, t.version))
		}
		ret.Comment = "The following packages would be installed/upgraded: " + strings.Join(parts, ", ")
		return ret
	}
	installErr := be.install(ctx, need, fromrepo, true)
	after, err := be.installed(ctx, names)
	if err != nil {
		return fail(call.Name, "Unable to list installed packages after upgrading: %v", err)
	}
	var done, failed []string
	for _, t := range need {
		v, ok := after[t.name]
		if ok && v != before[t.name] {
			ret.Changes[t.name] = map[string]any{"old": before[t.name], "new": v}
		}
		if ok && compareVersions(v, t.version) >= 0 {
			done = append(done, t.name)
		} else {
			failed = append(failed, t.name)
		}
	}
	var comments []string
	if len(done) > 0 {
		comments = append(comments, "The following packages were successfully installed/upgraded: "+strings.Join(done, ", "))
	}
	if len(failed) > 0 {
		comments = append(comments, "The following packages failed to update: "+strings.Join(failed, ", "))
		if installErr != nil {
			comments = append(comments, installErr.Error())
		}
		ret.Result = False()
	} else {
		ret.Result = True()
	}
	ret.Comment = strings.Join(comments, "\n")
	return ret
}
