package modules

import (
	"context"
	"regexp"
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

// The pkg module: system packages through the host's package manager,
// as Salt's aptpkg, yumpkg and apkpkg: apt (Debian family), dnf or yum
// (RedHat family) and apk (Alpine), chosen from the os_family grain, else
// from the tools on PATH. install and remove return Salt's changes
// mapping ({name: {old, new}}), computed from the package list before and
// after; a package manager failure is an error.

const pkgFamilyDoc = ` The package manager is apt, dnf/yum or apk, from the os_family grain (Debian, RedHat, Alpine) or the tools found.`

func init() {
	Register("pkg.install", `Install the package name, or the packages pkgs (a list of names or {name: version} mappings); version pins name's version. refresh=True refreshes the package database first; fromrepo picks the repository (apt -t, dnf --enablerepo); reinstall reinstalls. Returns the changes: {name: {old, new}} (old "" for a new package).`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.install nginx refresh=True`, pkgInstall)
	Register("pkg.remove", `Remove the package name, or the packages pkgs (a list); returns the changes: {name: {old, new: ""}}.`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.remove nginx`, pkgRemove(false))
	Register("pkg.purge", `Remove the package name or the packages pkgs with their configuration files (apt purge; elsewhere as remove); returns the changes.`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.purge nginx`, pkgRemove(true))
	Register("pkg.version", `Return the installed version of the named package ("" when not installed); with several names a mapping of name to version.`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.version nginx openssl`, pkgVersion)
	Register("pkg.list_pkgs", `Return the installed packages as a mapping of name to version (several installed versions joined by commas); versions_as_list=True gives lists.`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.list_pkgs`, pkgListPkgs)
	Register("pkg.latest_version", `Return the newest version available of the named package, or "" when the installed one is the newest (or none is available); with several names a mapping. refresh (default true) refreshes the package database first.`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.latest_version nginx refresh=False`, pkgLatestVersion)
	Register("pkg.refresh_db", `Refresh the package database (apt-get update, dnf/yum check-update, apk update). For apt, returns a mapping of each source to true (fetched), false (failed or ignored) or null (unchanged); otherwise true.`+pkgFamilyDoc+`

CLI Example:

    ctl '*' pkg.refresh_db`, pkgRefreshDB)
}

// pkgManager is one backend.
type pkgManager struct {
	kind string // apt, dnf, yum, apk
}

func pkgManagerFor(env *Env) (pkgManager, error) {
	family := ""
	if env != nil && env.Grains != nil {
		if v, ok := env.Grains.Get("os_family"); ok {
			family, _ = v.(string)
		}
	}
	if family == "" {
		switch {
		case hasExec("dpkg-query"):
			family = "Debian"
		case hasExec("rpm"):
			family = "RedHat"
		case hasExec("apk"):
			family = "Alpine"
		default:
			return pkgManager{}, execErr("no package manager found: the os_family grain is not set and none of dpkg-query, rpm, apk is on PATH")
		}
	}
	switch strings.ToLower(family) {
	case "debian":
		return pkgManager{kind: "apt"}, nil
	case "redhat":
		if hasExec("dnf") {
			return pkgManager{kind: "dnf"}, nil
		}
		return pkgManager{kind: "yum"}, nil
	case "alpine":
		return pkgManager{kind: "apk"}, nil
	}
	return pkgManager{}, execErr("no package manager backend for os_family %s (supported: Debian, RedHat, Alpine)", family)
}

// aptSize is the download size apt-get update shows after a Get line.
var aptSize = regexp.MustCompile(` \[.+B\]$`)

var aptEnv = []string{"DEBIAN_FRONTEND=noninteractive", "APT_LISTBUGS_FRONTEND=none", "APT_LISTCHANGES_FRONTEND=none"}

// list returns the installed packages: name -> versions.
func (m pkgManager) list(ctx context.Context, env *Env, fun string) (map[string][]string, error) {
	var p prog
	switch m.kind {
	case "apt":
		p = prog{path: "dpkg-query", args: []string{"--showformat=${Status}\t${Package}\t${Version}" + `\n`, "-W"}}
	case "apk":
		p = prog{path: "apk", args: []string{"info", "-v"}}
	default:
		p = prog{path: "rpm", args: []string{"-qa", "--queryformat", "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}" + `\n`}}
	}
	p.fun = fun
	res, err := runOK(ctx, env, p)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, line := range strings.Split(res.stdout, "\n") {
		var name, ver string
		switch m.kind {
		case "apt":
			f := strings.Split(line, "\t")
			if len(f) != 3 || !strings.HasSuffix(f[0], " installed") || strings.HasSuffix(f[0], "not-installed") {
				continue
			}
			name, ver = f[1], f[2]
		case "apk":
			n, v, ok := splitApkName(strings.TrimSpace(line))
			if !ok {
				continue
			}
			name, ver = n, v
		default:
			n, v, ok := strings.Cut(line, "\t")
			if !ok {
				continue
			}
			name, ver = n, v
		}
		out[name] = append(out[name], ver)
	}
	return out, nil
}

// splitApkName splits "name-1.2.3-r0" into name and version.
func splitApkName(s string) (string, string, bool) {
	r := strings.LastIndex(s, "-r")
	if r <= 0 {
		return "", "", false
	}
	v := strings.LastIndexByte(s[:r], '-')
	if v <= 0 {
		return "", "", false
	}
	return s[:v], s[v+1:], true
}

// pkgSpec is one package to install, with an optional exact version.
type pkgSpec struct{ name, version string }

// pkgSpecs reads name (position 0) with version=, or pkgs.
func pkgSpecs(c Call, namePos int) ([]pkgSpec, error) {
	if v, ok := c.value(-1, "pkgs"); ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return nil, wrongType("pkgs", "a list", v)
		}
		var out []pkgSpec
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				keys := make([]string, 0, len(m))
				for k := range m {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					ver := ""
					if m[k] != nil {
						s, ok := coerce.String(m[k])
						if !ok {
							return nil, wrongType("pkgs", "a list of names or {name: version} mappings", m[k])
						}
						ver = strings.TrimSpace(s)
					}
					out = append(out, pkgSpec{k, ver})
				}
				continue
			}
			s, ok := coerce.String(e)
			if !ok {
				return nil, wrongType("pkgs", "a list of names or {name: version} mappings", e)
			}
			out = append(out, pkgSpec{strings.TrimSpace(s), ""})
		}
		return checkPkgNames(out)
	}
	name, err := c.String(namePos, "name", nil)
	if err != nil {
		return nil, err
	}
	ver, err := c.String(-1, "version", ptr(""))
	if err != nil {
		return nil, err
	}
	var out []pkgSpec
	for _, n := range strings.Split(name, ",") {
		out = append(out, pkgSpec{strings.TrimSpace(n), strings.TrimSpace(ver)})
	}
	return checkPkgNames(out)
}

func checkPkgNames(specs []pkgSpec) ([]pkgSpec, error) {
	if len(specs) == 0 {
		return nil, badArg("no packages given")
	}
	for _, s := range specs {
		if s.name == "" || strings.HasPrefix(s.name, "-") || strings.ContainsAny(s.name, " \t\n") {
			return nil, badArg("invalid package name %q", s.name)
		}
		if strings.ContainsAny(s.version, " \t\n<>") || strings.HasPrefix(s.version, "-") {
			return nil, badArg("invalid version %q for %s (give an exact version)", s.version, s.name)
		}
	}
	return specs, nil
}

// changes is Salt's {name: {old, new}} between two package lists.
func pkgChanges(before, after map[string][]string) map[string]any {
	out := map[string]any{}
	names := map[string]bool{}
	for n := range before {
		names[n] = true
	}
	for n := range after {
		names[n] = true
	}
	for n := range names {
		o, nw := strings.Join(before[n], ","), strings.Join(after[n], ",")
		if o != nw {
			out[n] = map[string]any{"old": o, "new": nw}
		}
	}
	return out
}

func (m pkgManager) refresh(ctx context.Context, env *Env, fun string) (any, error) {
	switch m.kind {
	case "apt":
		res, err := runOK(ctx, env, prog{fun: fun, path: "apt-get", args: []string{"-q", "update"}, env: aptEnv})
		if err != nil {
			return nil, err
		}
		ret := map[string]any{}
		for _, line := range strings.Split(res.stdout, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			source := strings.Join(f[1:], " ")
			if strings.HasPrefix(f[0], "Get") {
				source = aptSize.ReplaceAllString(source, "")
			}
			switch {
			case strings.HasPrefix(f[0], "Get"):
				ret[source] = true
			case strings.HasPrefix(f[0], "Ign"), strings.HasPrefix(f[0], "Err"):
				ret[source] = false
			case strings.HasPrefix(f[0], "Hit"):
				ret[source] = nil
			}
		}
		return ret, nil
	case "apk":
		_, err := runOK(ctx, env, prog{fun: fun, path: "apk", args: []string{"update"}})
		return true, err
	}
	if _, err := runOK(ctx, env, prog{fun: fun, path: m.kind, args: []string{"-q", "clean", "expire-cache"}}); err != nil {
		return nil, err
	}
	res, err := run(ctx, env, prog{fun: fun, path: m.kind, args: []string{"-q", "check-update"}})
	if err != nil {
		return nil, err
	}
	// check-update exits 100 when updates are available
	if res.retcode != 0 && res.retcode != 100 {
		return nil, execErr("%s: %s -q check-update failed with exit code %d: %s", fun, m.kind, res.retcode, res.combined())
	}
	return true, nil
}

func pkgInstall(ctx context.Context, env *Env, c Call) (any, error) {
	specs, err := pkgSpecs(c, 0)
	if err != nil {
		return nil, err
	}
	refresh, err := c.Bool(1, "refresh", ptr(false))
	if err != nil {
		return nil, err
	}
	fromrepo, err := c.String(2, "fromrepo", ptr(""))
	if err != nil {
		return nil, err
	}
	reinstall, err := c.Bool(-1, "reinstall", ptr(false))
	if err != nil {
		return nil, err
	}
	m, err := pkgManagerFor(env)
	if err != nil {
		return nil, err
	}
	const fun = "pkg.install"
	if refresh {
		if _, err := m.refresh(ctx, env, fun); err != nil {
			return nil, err
		}
	}
	before, err := m.list(ctx, env, fun)
	if err != nil {
		return nil, err
	}
	var p prog
	switch m.kind {
	case "apt":
		args := []string{"-q", "-y", "-o", "DPkg::Options::=--force-confold", "-o", "DPkg::Options::=--force-confdef"}
		if fromrepo != "" {
			args = append(args, "-t", fromrepo)
		}
		downgrade := false
		var names []string
		for _, s := range specs {
			if s.version != "" {
				names = append(names, s.name+"="+s.version)
				downgrade = true
			} else {
				names = append(names, s.name)
			}
		}
		if downgrade {
			args = append(args, "--allow-downgrades")
		}
		if reinstall {
			args = append(args, "--reinstall")
		}
		p = prog{path: "apt-get", args: append(append(args, "install"), names...), env: aptEnv}
	case "apk":
		args := []string{"add"}
		if fromrepo != "" {
			args = append(args, "--repository", fromrepo)
		}
		for _, s := range specs {
			if s.version != "" {
				args = append(args, s.name+"="+s.version)
			} else {
				args = append(args, s.name)
			}
		}
		p = prog{path: "apk", args: args}
	default:
		args := []string{"-y"}
		if fromrepo != "" {
			args = append(args, "--disablerepo=*", "--enablerepo="+fromrepo)
		}
		verb := "install"
		if reinstall {
			verb = "reinstall"
		}
		args = append(args, verb)
		for _, s := range specs {
			if s.version != "" {
				args = append(args, s.name+"-"+s.version)
			} else {
				args = append(args, s.name)
			}
		}
		p = prog{path: m.kind, args: args}
	}
	p.fun = fun
	if _, err := runOK(ctx, env, p); err != nil {
		return nil, err
	}
	after, err := m.list(ctx, env, fun)
	if err != nil {
		return nil, err
	}
	return pkgChanges(before, after), nil
}

func pkgRemove(purge bool) Func {
	fun := map[bool]string{false: "pkg.remove", true: "pkg.purge"}[purge]
	return func(ctx context.Context, env *Env, c Call) (any, error) {
		specs, err := pkgSpecs(c, 0)
		if err != nil {
			return nil, err
		}
		m, err := pkgManagerFor(env)
		if err != nil {
			return nil, err
		}
		before, err := m.list(ctx, env, fun)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, s := range specs {
			if _, ok := before[s.name]; ok {
				names = append(names, s.name)
			}
		}
		if len(names) == 0 {
			return map[string]any{}, nil
		}
		var p prog
		switch m.kind {
		case "apt":
			verb := "remove"
			if purge {
				verb = "purge"
			}
			p = prog{path: "apt-get", args: append([]string{"-q", "-y", verb}, names...), env: aptEnv}
		case "apk":
			p = prog{path: "apk", args: append([]string{"del"}, names...)}
		default:
			p = prog{path: m.kind, args: append([]string{"-y", "remove"}, names...)}
		}
		p.fun = fun
		if _, err := runOK(ctx, env, p); err != nil {
			return nil, err
		}
		after, err := m.list(ctx, env, fun)
		if err != nil {
			return nil, err
		}
		return pkgChanges(before, after), nil
	}
}

// pkgNames reads the positional package names of version/latest_version.
func pkgNames(c Call) ([]string, error) {
	var names []string
	for _, a := range c.Args {
		s, ok := coerce.String(a)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, wrongType("names", "package names", a)
		}
		names = append(names, strings.TrimSpace(s))
	}
	if len(names) == 0 {
		return nil, badArg("give at least one package name")
	}
	return names, nil
}

// oneOrMap is Salt's return for per-name functions: the value for one
// name, a mapping for several.
func oneOrMap(names []string, val map[string]string) any {
	if len(names) == 1 {
		return val[names[0]]
	}
	out := make(map[string]any, len(names))
	for _, n := range names {
		out[n] = val[n]
	}
	return out
}

func pkgVersion(ctx context.Context, env *Env, c Call) (any, error) {
	names, err := pkgNames(c)
	if err != nil {
		return nil, err
	}
	m, err := pkgManagerFor(env)
	if err != nil {
		return nil, err
	}
	installed, err := m.list(ctx, env, "pkg.version")
	if err != nil {
		return nil, err
	}
	val := map[string]string{}
	for _, n := range names {
		val[n] = strings.Join(installed[n], ",")
	}
	return oneOrMap(names, val), nil
}

func pkgListPkgs(ctx context.Context, env *Env, c Call) (any, error) {
	asList, err := c.Bool(0, "versions_as_list", ptr(false))
	if err != nil {
		return nil, err
	}
	m, err := pkgManagerFor(env)
	if err != nil {
		return nil, err
	}
	installed, err := m.list(ctx, env, "pkg.list_pkgs")
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(installed))
	for n, vs := range installed {
		if asList {
			l := make([]any, len(vs))
			for i, v := range vs {
				l[i] = v
			}
			out[n] = l
		} else {
			out[n] = strings.Join(vs, ",")
		}
	}
	return out, nil
}

func pkgLatestVersion(ctx context.Context, env *Env, c Call) (any, error) {
	names, err := pkgNames(c)
	if err != nil {
		return nil, err
	}
	refresh, err := c.Bool(-1, "refresh", ptr(true))
	if err != nil {
		return nil, err
	}
	m, err := pkgManagerFor(env)
	if err != nil {
		return nil, err
	}
	const fun = "pkg.latest_version"
	if refresh {
		if _, err := m.refresh(ctx, env, fun); err != nil {
			return nil, err
		}
	}
	installed, err := m.list(ctx, env, fun)
	if err != nil {
		return nil, err
	}
	cand := map[string]string{}
	switch m.kind {
	case "apt":
		res, err := runOK(ctx, env, prog{fun: fun, path: "apt-cache", args: append([]string{"-q", "policy"}, names...), env: aptEnv})
		if err != nil {
			return nil, err
		}
		cur := ""
		for _, line := range strings.Split(res.stdout, "\n") {
			if line != "" && line[0] != ' ' && strings.HasSuffix(line, ":") {
				cur = strings.TrimSuffix(line, ":")
				continue
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok && cur != "" {
				if v = strings.TrimSpace(v); v != "(none)" {
					cand[cur] = v
				}
			}
		}
	case "apk":
		res, err := runOK(ctx, env, prog{fun: fun, path: "apk", args: []string{"version", "-v", "-l", "<"}})
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(res.stdout, "\n") {
			f := strings.Fields(line)
			if len(f) != 3 || f[1] != "<" {
				continue
			}
			if n, _, ok := splitApkName(f[0]); ok {
				cand[n] = f[2]
			}
		}
		// packages not installed: what apk would add
		for _, n := range names {
			if _, ok := installed[n]; ok {
				continue
			}
			res, err := run(ctx, env, prog{fun: fun, path: "apk", args: []string{"search", "-x", "-v", n}})
			if err != nil {
				return nil, err
			}
			if nm, v, ok := splitApkName(strings.Fields(res.stdout + " x")[0]); ok && nm == n {
				cand[n] = v
			}
		}
	default:
		res, err := run(ctx, env, prog{fun: fun, path: m.kind, args: append([]string{"-q", "list", "available"}, names...)})
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(res.stdout, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			n := f[0]
			if i := strings.LastIndexByte(n, '.'); i > 0 {
				n = n[:i]
			}
			cand[n] = f[1]
		}
	}
	val := map[string]string{}
	for _, n := range names {
		if v, ok := cand[n]; ok && strings.Join(installed[n], ",") != v {
			val[n] = v
		} else {
			val[n] = ""
		}
	}
	return oneOrMap(names, val), nil
}

func pkgRefreshDB(ctx context.Context, env *Env, c Call) (any, error) {
	m, err := pkgManagerFor(env)
	if err != nil {
		return nil, err
	}
	return m.refresh(ctx, env, "pkg.refresh_db")
}
