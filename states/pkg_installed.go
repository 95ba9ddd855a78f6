package states

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	RegisterTyped(Typed[pkgInstallArgs]{
		Name: "pkg.installed",
		Doc: `Ensure packages are installed.

name: the package, with version: a version ("1.2-1"; an epoch may be left out), a glob ("1.2*") or comparisons (">=1.2,<2"). Or pkgs: a list of names or {name: version} mappings. fromrepo: the repository (apt -t, dnf --enablerepo, apk --repository). refresh: update the package lists first.
The backend follows the os_family grain: Debian (dpkg-query, apt-get), RedHat (rpm, dnf or yum), Alpine (apk). Installed versions are queried first; only what is missing or at the wrong version is installed.
Changes: {pkg: {"old": "", "new": "1.2"}}.`,
		Apply: pkgInstalled,
	})
}

func pkgInstalled(ctx context.Context, env *Env, call Call, a *pkgInstallArgs) Result {
	targets := a.targets(call)
	be, fromrepo, names, before, prepErr := pkgPrepare(ctx, env, call, a, targets)
	if prepErr != nil {
		return *prepErr
	}
	var need []pkgTarget
	for _, t := range targets {
		if v, ok := before[t.name]; !ok || !versionSatisfies(v, t.version) {
			need = append(need, t)
		}
	}
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	if len(need) == 0 {
		ret.Result = True()
		if len(targets) == 1 {
			ret.Comment = fmt.Sprintf("Version %s of package '%s' is already installed", before[targets[0].name], targets[0].name)
			if targets[0].version == "" {
				ret.Comment = fmt.Sprintf("Package %s is already installed", targets[0].name)
			}
		} else {
			ret.Comment = "All specified packages are already installed"
		}
		return ret
	}
	if call.Test {
		// Salt's preview, whatever the version asked or installed
		for _, t := range need {
			ret.Changes[t.name] = map[string]any{"old": "", "new": "installed"}
		}
		ret.Comment = "The following packages would be installed/updated: " + pkgList(need)
		return ret
	}
	installErr := be.install(ctx, need, fromrepo, false)
	after, err := be.installed(ctx, names)
	if err != nil {
		return fail(call.Name, "Unable to list installed packages after installing: %v", err)
	}
	var done, failed []pkgTarget
	for _, t := range need {
		v, ok := after[t.name]
		if ok && v != before[t.name] {
			ret.Changes[t.name] = map[string]any{"old": before[t.name], "new": v}
		}
		if ok && versionSatisfies(v, t.version) {
			done = append(done, t)
		} else {
			failed = append(failed, t)
		}
	}
	var comments []string
	if len(done) > 0 {
		comments = append(comments, "The following packages were installed/updated: "+pkgList(done))
	}
	if len(failed) > 0 {
		comments = append(comments, "The following packages failed to install/update: "+pkgList(failed))
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
