package states

import (
	"context"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/internal/glob"
	"os/exec"
	"sort"
	"strings"
	"unicode"
)

// Shared by pkg.installed, pkg.removed and pkg.latest: the package
// manager backends (chosen from the os_family grain) and version logic.

// pkgTarget is one package a pkg state names, with an optional version
// spec ("1.2-1", "1.2*", ">=1.2", ">=1.0,<2.0").
type pkgTarget struct {
	name, version string
}

func (t pkgTarget) String() string {
	if t.version == "" {
		return t.name
	}
	if strings.ContainsAny(t.version[:1], "<>=!") {
		return t.name + t.version
	}
	return t.name + "=" + t.version
}

// pkgArgs are the arguments every pkg state takes: pkgs, or else name
// with version.
type pkgArgs struct {
	Pkgs    pkgsArg `salt:"pkgs"`
	Version string  `salt:"version"`
}

// pkgInstallArgs are pkg.installed's and pkg.latest's arguments.
type pkgInstallArgs struct {
	pkgArgs
	Fromrepo string `salt:"fromrepo"`
	Refresh  bool   `salt:"refresh"`
}

// targets are the packages named: pkgs, else name with version.
func (a *pkgArgs) targets(call Call) []pkgTarget {
	if a.Pkgs == nil {
		return []pkgTarget{{name: call.Name, version: strings.TrimSpace(a.Version)}}
	}
	return a.Pkgs
}

// pkgsArg is pkgs: a list of names or {name: version} mappings; nil when
// not given.
type pkgsArg []pkgTarget

// DecodeArg implements ArgDecoder.
func (p *pkgsArg) DecodeArg(v any) error {
	list, ok := v.([]any)
	if !ok {
		return wrongArg("a list", v)
	}
	out := pkgsArg{}
	for _, e := range list {
		if m, ok := asMap(e); ok {
			for _, k := range sortedKeys(m) {
				v := ""
				if m[k] != nil {
					s, ok := coerce.String(m[k])
					if !ok {
						return wrongArg("a list of names or {name: version} mappings", m[k])
					}
					v = strings.TrimSpace(s)
				}
				out = append(out, pkgTarget{name: k, version: v})
			}
			continue
		}
		s, ok := coerce.String(e)
		if !ok || strings.TrimSpace(s) == "" {
			return wrongArg("a list of names or {name: version} mappings", e)
		}
		out = append(out, pkgTarget{name: strings.TrimSpace(s)})
	}
	if len(out) == 0 {
		return fmt.Errorf("must not be empty")
	}
	for _, t := range out {
		if strings.HasPrefix(t.name, "-") || strings.ContainsAny(t.name, " \t\n") {
			return fmt.Errorf("has an invalid package name %q", t.name)
		}
	}
	*p = out
	return nil
}

func targetNames(ts []pkgTarget) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.name
	}
	return out
}

// pkgBackend drives one package manager.
type pkgBackend interface {
	// installed maps each given package that is installed to its version.
	installed(ctx context.Context, names []string) (map[string]string, error)
	// install installs targets (a version spec that is not exact installs
	// the candidate); upgrade also upgrades packages already installed.
	install(ctx context.Context, targets []pkgTarget, fromrepo string, upgrade bool) error
	remove(ctx context.Context, names []string, purge bool) error
	// candidates maps each given package to the newest version available.
	candidates(ctx context.Context, names []string) (map[string]string, error)
	refresh(ctx context.Context) error
}

// pkgBackendFor picks the backend from the os_family grain, else from the
// tools found on PATH.
func pkgBackendFor(env *Env) (pkgBackend, error) {
	family := ""
	if env != nil {
		family, _ = env.Grains["os_family"].(string)
	}
	if family == "" {
		for _, probe := range []struct{ tool, family string }{
			{"dpkg-query", "Debian"}, {"rpm", "RedHat"}, {"apk", "Alpine"},
		} {
			if _, err := exec.LookPath(probe.tool); err == nil {
				family = probe.family
				break
			}
		}
	}
	switch strings.ToLower(family) {
	case "debian":
		return debBackend{env}, nil
	case "redhat":
		mgr := "yum"
		if _, err := exec.LookPath("dnf"); err == nil {
			mgr = "dnf"
		}
		return rpmBackend{env, mgr}, nil
	case "alpine":
		return apkBackend{env}, nil
	case "":
		return nil, fmt.Errorf("No package manager found: the os_family grain is not set and none of dpkg-query, rpm, apk is on PATH")
	}
	return nil, fmt.Errorf("No package manager backend for os_family %s (supported: Debian, RedHat, Alpine)", family)
}

// baseName strips a Debian architecture qualifier (name:amd64).
func baseName(name string) string {
	if i := strings.IndexByte(name, ':'); i > 0 {
		return name[:i]
	}
	return name
}

// --- Debian: dpkg-query, apt-get, apt-cache ---

type debBackend struct{ env *Env }

func (b debBackend) installed(ctx context.Context, names []string) (map[string]string, error) {
	args := append([]string{"-W", "-f=${Package}\t${Status}\t${Version}\n", "--"}, names...)
	res, err := b.env.run(ctx, Command{Path: "dpkg-query", Args: args})
	if err != nil {
		return nil, err
	}
	// Exit 1 just means some were not found.
	if res.Retcode > 1 {
		return nil, fmt.Errorf("dpkg-query failed with exit code %d: %s", res.Retcode, res.combined())
	}
	out := map[string]string{}
	found := map[string]string{}
	for _, line := range strings.Split(res.Stdout, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		if st := strings.Fields(f[1]); len(st) == 3 && st[2] == "installed" {
			found[f[0]] = f[2]
		}
	}
	for _, n := range names {
		if v, ok := found[baseName(n)]; ok {
			out[n] = v
		}
	}
	return out, nil
}

func (b debBackend) aptGet(ctx context.Context, args ...string) error {
	base := []string{"-q", "-y", "-o", "DPkg::Options::=--force-confold", "-o", "DPkg::Options::=--force-confdef"}
	_, err := b.env.runOK(ctx, Command{Path: "apt-get", Args: append(base, args...),
		Env: []string{"DEBIAN_FRONTEND=noninteractive", "APT_LISTCHANGES_FRONTEND=none"}})
	return err
}

func (b debBackend) install(ctx context.Context, targets []pkgTarget, fromrepo string, upgrade bool) error {
	args := []string{}
	if fromrepo != "" {
		args = append(args, "-t", fromrepo)
	}
	full := b.fullVersions(ctx, targets)
	var pkgs []string
	downgrade := false
	for _, t := range targets {
		if exactVersion(t.version) {
			v := t.version
			if f, ok := full[t.name]; ok {
				v = f
			}
			pkgs = append(pkgs, t.name+"="+v)
			downgrade = true
		} else {
			pkgs = append(pkgs, t.name)
		}
	}
	if downgrade {
		args = append(args, "--allow-downgrades")
	}
	return b.aptGet(ctx, append(append(args, "install"), pkgs...)...)
}

// fullVersions finds the epoch-qualified version apt knows for exact
// versions given without their epoch ("9.0.1378-2" for "2:9.0.1378-2"):
// apt-get install name=version wants the epoch.
func (b debBackend) fullVersions(ctx context.Context, targets []pkgTarget) map[string]string {
	var names []string
	for _, t := range targets {
		if exactVersion(t.version) && !strings.Contains(t.version, ":") {
			names = append(names, t.name)
		}
	}
	out := map[string]string{}
	if len(names) == 0 {
		return out
	}
	res, err := b.env.run(ctx, Command{Path: "apt-cache", Args: append([]string{"policy"}, names...)})
	if err != nil || res.Retcode != 0 {
		return out
	}
	want := map[string]string{}
	for _, t := range targets {
		want[baseName(t.name)] = t.version
	}
	cur := ""
	for _, line := range strings.Split(res.Stdout, "\n") {
		if line != "" && !unicode.IsSpace(rune(line[0])) && strings.HasSuffix(line, ":") {
			cur = strings.TrimSuffix(line, ":")
			continue
		}
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "*** "))
		if len(f) == 0 || cur == "" {
			continue
		}
		if _, v, ok := strings.Cut(f[0], ":"); ok && v == want[cur] {
			for _, t := range targets {
				if baseName(t.name) == cur {
					out[t.name] = f[0]
				}
			}
		}
	}
	return out
}

func (b debBackend) remove(ctx context.Context, names []string, purge bool) error {
	verb := "remove"
	if purge {
		verb = "purge"
	}
	return b.aptGet(ctx, append([]string{verb}, names...)...)
}

func (b debBackend) candidates(ctx context.Context, names []string) (map[string]string, error) {
	res, err := b.env.runOK(ctx, Command{Path: "apt-cache", Args: append([]string{"policy"}, names...)})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	cur := ""
	for _, line := range strings.Split(res.Stdout, "\n") {
		if line != "" && !unicode.IsSpace(rune(line[0])) && strings.HasSuffix(line, ":") {
			cur = strings.TrimSuffix(line, ":")
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok && cur != "" {
			if v = strings.TrimSpace(v); v != "" && v != "(none)" {
				out[cur] = v
			}
		}
	}
	for _, n := range names {
		if v, ok := out[baseName(n)]; ok {
			out[n] = v
		}
	}
	return out, nil
}

func (b debBackend) refresh(ctx context.Context) error {
	_, err := b.env.runOK(ctx, Command{Path: "apt-get", Args: []string{"-q", "update"},
		Env: []string{"DEBIAN_FRONTEND=noninteractive"}})
	return err
}

// --- RedHat: rpm, dnf (yum) ---

type rpmBackend struct {
	env *Env
	mgr string
}

func (b rpmBackend) installed(ctx context.Context, names []string) (map[string]string, error) {
	args := append([]string{"-q", "--qf", "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n"}, names...)
	res, err := b.env.run(ctx, Command{Path: "rpm", Args: args})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(res.Stdout, "\n") {
		if n, v, ok := strings.Cut(line, "\t"); ok {
			out[n] = v
		}
	}
	return out, nil
}

func (b rpmBackend) repoArgs(fromrepo string) []string {
	if fromrepo == "" {
		return nil
	}
	return []string{"--disablerepo=*", "--enablerepo=" + fromrepo}
}

func (b rpmBackend) install(ctx context.Context, targets []pkgTarget, fromrepo string, upgrade bool) error {
	var fresh, upgrades []string
	have := map[string]string{}
	if upgrade {
		var err error
		if have, err = b.installed(ctx, targetNames(targets)); err != nil {
			return err
		}
	}
	for _, t := range targets {
		p := t.name
		if exactVersion(t.version) {
			p += "-" + t.version
		}
		if _, ok := have[t.name]; ok {
			upgrades = append(upgrades, p)
		} else {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) > 0 {
		args := append(append([]string{"-y"}, b.repoArgs(fromrepo)...), "install")
		if _, err := b.env.runOK(ctx, Command{Path: b.mgr, Args: append(args, fresh...)}); err != nil {
			return err
		}
	}
	if len(upgrades) > 0 {
		args := append(append([]string{"-y"}, b.repoArgs(fromrepo)...), "upgrade")
		if _, err := b.env.runOK(ctx, Command{Path: b.mgr, Args: append(args, upgrades...)}); err != nil {
			return err
		}
	}
	return nil
}

func (b rpmBackend) remove(ctx context.Context, names []string, purge bool) error {
	_, err := b.env.runOK(ctx, Command{Path: b.mgr, Args: append([]string{"-y", "remove"}, names...)})
	return err
}

func (b rpmBackend) candidates(ctx context.Context, names []string) (map[string]string, error) {
	res, err := b.env.run(ctx, Command{Path: b.mgr, Args: append([]string{"-q", "list", "available"}, names...)})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(res.Stdout, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n := f[0]
		if i := strings.LastIndexByte(n, '.'); i > 0 {
			n = n[:i] // strip .arch
		}
		if old, ok := out[n]; !ok || compareVersions(f[1], old) > 0 {
			out[n] = f[1]
		}
	}
	return out, nil
}

func (b rpmBackend) refresh(ctx context.Context) error {
	_, err := b.env.runOK(ctx, Command{Path: b.mgr, Args: []string{"-q", "-y", "makecache"}})
	return err
}

// --- Alpine: apk ---

type apkBackend struct{ env *Env }

// splitApk splits "name-1.2.3-r0" into name and version.
func splitApk(s string) (string, string, bool) {
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

func (b apkBackend) installed(ctx context.Context, names []string) (map[string]string, error) {
	res, err := b.env.runOK(ctx, Command{Path: "apk", Args: []string{"info", "-v"}})
	if err != nil {
		return nil, err
	}
	all := map[string]string{}
	for _, line := range strings.Split(res.Stdout, "\n") {
		if n, v, ok := splitApk(strings.TrimSpace(line)); ok {
			all[n] = v
		}
	}
	out := map[string]string{}
	for _, n := range names {
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

func (b apkBackend) install(ctx context.Context, targets []pkgTarget, fromrepo string, upgrade bool) error {
	args := []string{"add"}
	if upgrade {
		args = append(args, "-u")
	}
	if fromrepo != "" {
		args = append(args, "--repository", fromrepo)
	}
	for _, t := range targets {
		if exactVersion(t.version) {
			args = append(args, t.name+"="+t.version)
		} else {
			args = append(args, t.name)
		}
	}
	_, err := b.env.runOK(ctx, Command{Path: "apk", Args: args})
	return err
}

func (b apkBackend) remove(ctx context.Context, names []string, purge bool) error {
	_, err := b.env.runOK(ctx, Command{Path: "apk", Args: append([]string{"del"}, names...)})
	return err
}

func (b apkBackend) candidates(ctx context.Context, names []string) (map[string]string, error) {
	res, err := b.env.run(ctx, Command{Path: "apk", Args: append([]string{"list"}, names...)})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(res.Stdout, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if n, v, ok := splitApk(f[0]); ok {
			if old, ok := out[n]; !ok || compareVersions(v, old) > 0 {
				out[n] = v
			}
		}
	}
	return out, nil
}

func (b apkBackend) refresh(ctx context.Context) error {
	_, err := b.env.runOK(ctx, Command{Path: "apk", Args: []string{"update"}})
	return err
}

// --- versions ---

// exactVersion reports whether spec names one version (not a glob or a
// comparison).
func exactVersion(spec string) bool {
	return spec != "" && !strings.ContainsAny(spec, "*?[<>=!,")
}

// versionSatisfies reports whether installed meets spec: an exact version
// (an epoch on installed may be left out), a glob, or comparisons
// (">=1.0,<2.0").
func versionSatisfies(installed, spec string) bool {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return true
	}
	if strings.ContainsAny(spec[:1], "<>=!") {
		for _, part := range strings.Split(spec, ",") {
			part = strings.TrimSpace(part)
			k := 0
			for k < len(part) && strings.ContainsRune("<>=!", rune(part[k])) {
				k++
			}
			op, want := part[:k], strings.TrimSpace(part[k:])
			c := compareVersions(installed, want)
			ok := false
			switch op {
			case ">=":
				ok = c >= 0
			case "<=":
				ok = c <= 0
			case ">":
				ok = c > 0
			case "<":
				ok = c < 0
			case "=", "==":
				ok = c == 0
			case "!=":
				ok = c != 0
			}
			if !ok {
				return false
			}
		}
		return true
	}
	noEpoch := installed
	if i := strings.IndexByte(installed, ':'); i >= 0 && !strings.Contains(spec, ":") {
		noEpoch = installed[i+1:]
	}
	if strings.ContainsAny(spec, "*?[") {
		g := glob.Fnmatch(spec)
		return g.Match(installed) || g.Match(noEpoch)
	}
	return installed == spec || noEpoch == spec || compareVersions(installed, spec) == 0
}

// compareVersions compares versions the way dpkg does (epoch:upstream-
// revision, ~ sorting before anything), which orders rpm and apk
// versions sensibly too.
func compareVersions(a, b string) int {
	ea, ra := splitEpoch(a)
	eb, rb := splitEpoch(b)
	if c := compareNum(ea, eb); c != 0 {
		return c
	}
	ua, va := splitRevision(ra)
	ub, vb := splitRevision(rb)
	if c := compareFragment(ua, ub); c != 0 {
		return c
	}
	return compareFragment(va, vb)
}

func splitEpoch(v string) (string, string) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		return v[:i], v[i+1:]
	}
	return "0", v
}

func splitRevision(v string) (string, string) {
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return v[:i], v[i+1:]
	}
	return v, ""
}

func compareNum(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// charOrder is dpkg's ordering of non-digit characters.
func charOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case c == '~':
		return -1
	case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		return int(c)
	}
	return int(c) + 256
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func compareFragment(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ca, cb := charOrder(a, i), charOrder(b, j)
			if i < len(a) && isDigit(a[i]) {
				ca = 0
			}
			if j < len(b) && isDigit(b[j]) {
				cb = 0
			}
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
			if i < len(a) && !isDigit(a[i]) {
				i++
			}
			if j < len(b) && !isDigit(b[j]) {
				j++
			}
		}
		si := i
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		sj := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := compareNum(a[si:i], b[sj:j]); c != 0 {
			return c
		}
	}
	return 0
}

// pkgList formats targets for comments.
func pkgList(ts []pkgTarget) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// pkgPrepare reads what pkg.installed and pkg.latest share: fromrepo and
// refresh, the backend for this host (refreshing its lists unless in test
// mode), and the installed versions of the targets. A non-nil Result is the
// failure to report.
func pkgPrepare(ctx context.Context, env *Env, call Call, a *pkgInstallArgs, targets []pkgTarget) (be pkgBackend, fromrepo string, names []string, before map[string]string, failed *Result) {
	failWith := func(r Result) (pkgBackend, string, []string, map[string]string, *Result) {
		return nil, "", nil, nil, &r
	}
	fromrepo, refresh := a.Fromrepo, a.Refresh
	be, err := pkgBackendFor(env)
	if err != nil {
		return failWith(failErr(call.Name, err))
	}
	if refresh && !call.Test {
		if err := be.refresh(ctx); err != nil {
			return failWith(fail(call.Name, "Unable to refresh the package lists: %v", err))
		}
	}
	names = targetNames(targets)
	before, err = be.installed(ctx, names)
	if err != nil {
		return failWith(fail(call.Name, "Unable to list installed packages: %v", err))
	}
	return be, fromrepo, names, before, nil
}
