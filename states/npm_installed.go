package states

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func init() {
	RegisterTyped(Typed[npmInstalledArgs]{
		Name: "npm.installed",
		Doc: `Ensure npm packages are installed, globally or in a project directory.

name: the package (name, name@version, @scope/name@version), or pkgs: a list of them. dir: the project directory (absolute; without it the packages are global). user: run npm as this user. registry: the registry URL. env: a mapping of extra environment variables. force_reinstall: install even when present.
Installed packages are read with npm list --json --depth=0; a version is satisfied by the same version, a ^ or ~ range by a version within it; other specifiers (tags, URLs) are installed every time, as in Salt. After installing, the packages named by name are checked again.
Changes: {"old": [], "new": [the specifiers installed]}.`,
		Apply: npmInstalled,
	})
}

// npmInstalledArgs are npm.installed's arguments.
type npmInstalledArgs struct {
	Pkgs           []string `salt:"pkgs"`
	Dir            string   `salt:"dir"`
	User           string   `salt:"user"`
	ForceReinstall bool     `salt:"force_reinstall"`
	Registry       string   `salt:"registry"`
	Env            envArg   `salt:"env"`
}

// Validate checks dir and the package specifiers.
func (a *npmInstalledArgs) Validate() error {
	if a.Dir != "" && !filepath.IsAbs(a.Dir) {
		return ArgErrorf("dir", "must be an absolute path, got %q", a.Dir)
	}
	for _, p := range a.Pkgs {
		if p == "" || strings.HasPrefix(p, "-") || strings.ContainsAny(p, " \t\n") {
			return ArgErrorf("pkgs", "has an invalid package %q", p)
		}
	}
	return nil
}

var npmSpec = regexp.MustCompile(`^(@?[^@\s]+)(?:@(\S+))?`)

// npmCmd is npm with the state's directory, user and environment.
func npmCmd(a *npmInstalledArgs, args ...string) Command {
	c := Command{Path: "npm", Args: args, Dir: a.Dir, User: a.User, Env: a.Env}
	if a.Dir == "" {
		c.Args = append(c.Args, "--global")
	}
	return c
}

// npmInstalledVersions is npm list's name -> version at depth 0.
func npmInstalledVersions(ctx context.Context, env *Env, a *npmInstalledArgs) (map[string]string, error) {
	cmd := npmCmd(a, "list", "--json", "--silent", "--depth=0")
	res, err := env.run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	// npm list exits 1 for problems in the tree but still reports it.
	var tree struct {
		Dependencies map[string]struct {
			Version string `json:"version"`
		} `json:"dependencies"`
	}
	if jerr := json.Unmarshal([]byte(res.Stdout), &tree); jerr != nil || (res.Retcode != 0 && res.Stdout == "") {
		return nil, fmt.Errorf("%s failed with exit code %d: %s", cmd.String(), res.Retcode, res.combined())
	}
	out := map[string]string{}
	for n, d := range tree.Dependencies {
		if d.Version != "" {
			out[n] = d.Version
		}
	}
	return out, nil
}

// npmSatisfies reports whether installed version have satisfies the
// specifier's version part want ("" : any).
func npmSatisfies(have, want string) bool {
	if want == "" || want == have {
		return true
	}
	op := want[0]
	if op != '^' && op != '~' {
		return false
	}
	w, ok1 := semverParts(want[1:])
	h, ok2 := semverParts(have)
	if !ok1 || !ok2 || h[0] != w[0] {
		return false
	}
	if op == '~' || w[0] == 0 {
		if h[1] != w[1] {
			return false
		}
	}
	for i := range 3 {
		if h[i] != w[i] {
			return h[i] > w[i]
		}
	}
	return true
}

func semverParts(v string) ([3]int, bool) {
	var out [3]int
	v, _, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func npmInstalled(ctx context.Context, env *Env, call Call, a *npmInstalledArgs) Result {
	name := call.Name
	pkgs := a.Pkgs
	if len(pkgs) == 0 {
		if strings.HasPrefix(name, "-") || strings.ContainsAny(name, " \t\n") {
			return fail(name, "Invalid npm package %q", name)
		}
		pkgs = []string{name}
	}
	installed, err := npmInstalledVersions(ctx, env, a)
	if err != nil {
		return fail(name, "Error looking up '%s': %v", name, err)
	}
	var toInstall, satisfied []string
	for _, p := range pkgs {
		m := npmSpec.FindStringSubmatch(p)
		have, ok := "", false
		if m != nil {
			have, ok = installed[m[1]]
		}
		if a.ForceReinstall || !ok || !npmSatisfies(have, m[2]) {
			toInstall = append(toInstall, p)
			continue
		}
		satisfied = append(satisfied, m[1]+"@"+have)
	}
	satisfiedMsg := fmt.Sprintf("Package(s) '%s' satisfied by %s", strings.Join(pkgs, ", "), strings.Join(satisfied, ", "))
	if len(toInstall) == 0 {
		return Result{Name: name, Result: True(), Comment: satisfiedMsg}
	}
	changes := map[string]any{"old": []any{}, "new": valuesAny(toInstall)}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("NPM package(s) '%s' are set to be installed", strings.Join(toInstall, ", "))}
	}
	args := []string{"install", "--json", "--silent"}
	if a.Registry != "" {
		args = append(args, "--registry="+a.Registry)
	}
	cmd := npmCmd(a, args...)
	cmd.Args = append(cmd.Args, pkgs...)
	if _, err := env.runOK(ctx, cmd); err != nil {
		return fail(name, "Error installing '%s': %v", strings.Join(pkgs, ", "), err)
	}
	after, err := npmInstalledVersions(ctx, env, a)
	if err != nil {
		return fail(name, "Error looking up '%s' after installing: %v", name, err)
	}
	for _, p := range toInstall {
		m := npmSpec.FindStringSubmatch(p)
		if m == nil || strings.Contains(p, "://") || strings.Contains(strings.TrimPrefix(m[1], "@"), "/") && !strings.HasPrefix(m[1], "@") {
			continue // URLs and user/repo shorthands install under other names
		}
		have, ok := after[m[1]]
		if !ok || (m[2] != "" && (m[2][0] >= '0' && m[2][0] <= '9' || m[2][0] == '^' || m[2][0] == '~') && !npmSatisfies(have, m[2])) {
			return Result{Name: name, Result: False(), Changes: changes,
				Comment: fmt.Sprintf("Error installing '%s': npm install succeeded but npm list does not show %s (found %q)", strings.Join(pkgs, ", "), p, have)}
		}
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Package(s) '%s' successfully installed", strings.Join(toInstall, ", "))}
}
