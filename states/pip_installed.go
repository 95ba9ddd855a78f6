package states

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func init() {
	RegisterTyped(Typed[pipInstalledArgs]{
		Name: "pip.installed",
		Doc: `Ensure Python packages are installed with pip.

name: a requirement specifier (requests, flask==3.0.0, "django>=4.2,<5"), or pkgs: a list of them; or requirements: a requirements file (absolute or salt://), or editable: a VCS URL or path for pip install --editable. bin_env: a virtualenv (its bin/pip), or the pip or python executable to use (default pip3, else pip). user runs pip as that user; cwd is the directory to run in; env_vars a mapping of extra environment variables. upgrade, force_reinstall, ignore_installed, no_deps, pre_releases, no_index, no_cache_dir; index_url, extra_index_url, find_links, target, proxy, timeout, trusted_host; extra_args: a list of more pip arguments.
Installed packages are read with pip list --format=json; a specifier is satisfied by an installed version meeting its ==, !=, >=, <=, >, <, ~= clauses (names compared as PEP 503 normalises them). Requirements files and editables are handed to pip, which reports whether it changed anything; test mode only says they will be processed, as in Salt.
Changes: {"name==version": "Installed"} per package installed or changed, or {"requirements": True}, {"editable": True}.`,
		Apply: pipInstalled,
	})
}

// pipInstalledArgs are pip.installed's arguments.
type pipInstalledArgs struct {
	Pkgs           []string `salt:"pkgs"`
	Requirements   []string `salt:"requirements"`
	Editable       string   `salt:"editable"`
	BinEnv         string   `salt:"bin_env"`
	User           string   `salt:"user"`
	Cwd            string   `salt:"cwd"`
	EnvVars        envArg   `salt:"env_vars"`
	Upgrade        bool     `salt:"upgrade"`
	ForceReinstall bool     `salt:"force_reinstall"`
	IgnoreInstall  bool     `salt:"ignore_installed"`
	NoDeps         bool     `salt:"no_deps"`
	PreReleases    bool     `salt:"pre_releases"`
	NoIndex        bool     `salt:"no_index"`
	NoCacheDir     bool     `salt:"no_cache_dir"`
	IndexURL       string   `salt:"index_url"`
	ExtraIndexURL  string   `salt:"extra_index_url"`
	FindLinks      string   `salt:"find_links"`
	Target         string   `salt:"target"`
	Proxy          string   `salt:"proxy"`
	Timeout        string   `salt:"timeout"`
	TrustedHost    string   `salt:"trusted_host"`
	ExtraArgs      []string `salt:"extra_args"`
}

// Validate checks the specifiers and paths.
func (a *pipInstalledArgs) Validate() error {
	for _, p := range a.Pkgs {
		if strings.TrimSpace(p) == "" || strings.HasPrefix(strings.TrimSpace(p), "-") {
			return ArgErrorf("pkgs", "has an invalid package specifier %q", p)
		}
	}
	if a.Cwd != "" && !filepath.IsAbs(a.Cwd) {
		return ArgErrorf("cwd", "must be an absolute path, got %q", a.Cwd)
	}
	return nil
}

// pipSpec is a parsed requirement specifier.
type pipSpec struct {
	raw     string
	name    string // normalised; "" for URLs and paths
	clauses [][2]string
}

var (
	pipNameRE   = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$`)
	pipClauseRE = regexp.MustCompile(`^(===|==|!=|~=|>=|<=|>|<)\s*([^\s]+)$`)
	pipNormRE   = regexp.MustCompile(`[-_.]+`)
)

func pipNormalise(name string) string { return strings.ToLower(pipNormRE.ReplaceAllString(name, "-")) }

func parsePipSpec(s string) (pipSpec, error) {
	sp := pipSpec{raw: strings.TrimSpace(s)}
	body, _, _ := strings.Cut(sp.raw, ";") // environment markers
	body = strings.TrimSpace(body)
	if strings.Contains(body, "://") || strings.HasPrefix(body, "/") || strings.HasPrefix(body, ".") || strings.Contains(body, " @ ") {
		return sp, nil // a URL or path: pip decides
	}
	m := pipNameRE.FindStringSubmatch(body)
	if m == nil {
		return sp, fmt.Errorf("Invalid requirement: '%s'", s)
	}
	sp.name = pipNormalise(m[1])
	if rest := strings.TrimSpace(m[3]); rest != "" {
		for _, c := range strings.Split(rest, ",") {
			cm := pipClauseRE.FindStringSubmatch(strings.TrimSpace(c))
			if cm == nil {
				return sp, fmt.Errorf("Invalid version specification in package %s. '%s' is not supported", s, strings.TrimSpace(c))
			}
			sp.clauses = append(sp.clauses, [2]string{cm[1], cm[2]})
		}
	}
	return sp, nil
}

// satisfied reports whether version v meets every clause.
func (sp pipSpec) satisfied(v string) bool {
	for _, c := range sp.clauses {
		want := c[1]
		if strings.HasSuffix(want, ".*") && (c[0] == "==" || c[0] == "!=") {
			prefix := strings.TrimSuffix(want, "*")
			if strings.HasPrefix(v+".", prefix) != (c[0] == "==") {
				return false
			}
			continue
		}
		cmp := compareVersions(v, want)
		ok := false
		switch c[0] {
		case "==", "===":
			ok = cmp == 0 || v == want
		case "!=":
			ok = cmp != 0
		case ">=":
			ok = cmp >= 0
		case "<=":
			ok = cmp <= 0
		case ">":
			ok = cmp > 0
		case "<":
			ok = cmp < 0
		case "~=":
			parts := strings.Split(want, ".")
			prefix := strings.Join(parts[:max(1, len(parts)-1)], ".") + "."
			ok = cmp >= 0 && strings.HasPrefix(v+".", prefix)
		}
		if !ok {
			return false
		}
	}
	return true
}

// pipCommand is pip for the state: its program, user, directory and
// environment.
func pipCommand(a *pipInstalledArgs, args ...string) (Command, error) {
	c := Command{User: a.User, Dir: a.Cwd, Env: append([]string{"PIP_NO_INPUT=1", "PIP_DISABLE_PIP_VERSION_CHECK=1"}, a.EnvVars...)}
	switch {
	case a.BinEnv != "":
		fi, err := os.Stat(a.BinEnv)
		switch {
		case err != nil:
			return c, fmt.Errorf("bin_env %s: %v", a.BinEnv, err)
		case fi.IsDir():
			c.Path = filepath.Join(a.BinEnv, "bin", "pip")
		case strings.HasPrefix(filepath.Base(a.BinEnv), "python"):
			c.Path, c.Args = a.BinEnv, []string{"-m", "pip"}
		default:
			c.Path = a.BinEnv
		}
	case hasCommand("pip3"):
		c.Path = "pip3"
	default:
		c.Path = "pip"
	}
	c.Args = append(c.Args, args...)
	return c, nil
}

// pipList is pip list's normalised name -> (name, version).
func pipList(ctx context.Context, env *Env, a *pipInstalledArgs) (map[string][2]string, error) {
	cmd, err := pipCommand(a, "list", "--format=json")
	if err != nil {
		return nil, err
	}
	res, err := env.runOK(ctx, cmd)
	if err != nil {
		return nil, err
	}
	var pkgs []struct{ Name, Version string }
	if err := json.Unmarshal([]byte(res.Stdout), &pkgs); err != nil {
		return nil, fmt.Errorf("%s gave no JSON: %v", cmd.String(), err)
	}
	out := make(map[string][2]string, len(pkgs))
	for _, p := range pkgs {
		out[pipNormalise(p.Name)] = [2]string{p.Name, p.Version}
	}
	return out, nil
}

// pipNoChange are the lines of pip's output for a requirements file that
// do not mean a change (Salt's PIP_REQUIREMENTS_NOCHANGE).
var pipNoChange = []string{"Requirement already satisfied", "Requirement already up-to-date", "Requirement not upgraded",
	"Collecting", "Cloning", "Cleaning up...", "Looking in indexes"}

func pipInstalled(ctx context.Context, env *Env, call Call, a *pipInstalledArgs) Result {
	name := call.Name
	pkgs := a.Pkgs
	if len(pkgs) == 0 && len(a.Requirements) == 0 && a.Editable == "" {
		pkgs = []string{name}
	}
	specs := make([]pipSpec, 0, len(pkgs))
	for _, p := range pkgs {
		sp, err := parsePipSpec(p)
		if err != nil {
			return failErr(name, err)
		}
		specs = append(specs, sp)
	}
	byFile := len(a.Requirements) > 0 || a.Editable != ""
	var targets []pipSpec
	var already []string
	var before map[string][2]string
	if len(specs) > 0 {
		var err error
		if before, err = pipList(ctx, env, a); err != nil {
			return fail(name, "Error installing '%s': %v", name, err)
		}
		for _, sp := range specs {
			cur, ok := before[sp.name]
			if sp.name == "" || !ok || a.ForceReinstall || a.IgnoreInstall || a.Upgrade || !sp.satisfied(cur[1]) {
				targets = append(targets, sp)
				continue
			}
			already = append(already, fmt.Sprintf("Python package %s was already installed", sp.raw))
		}
		if len(targets) == 0 && !byFile {
			return Result{Name: name, Result: True(), Comment: strings.Join(append(already, "All specified packages are already installed"), "\n")}
		}
	}
	if call.Test {
		var comments []string
		changes := map[string]any{}
		for _, r := range a.Requirements {
			comments = append(comments, fmt.Sprintf("Requirements file '%s' will be processed.", r))
		}
		if a.Editable != "" {
			comments = append(comments, fmt.Sprintf("Package will be installed in editable mode (i.e. setuptools \"develop mode\") from %s.", a.Editable))
		}
		switch {
		case len(targets) == 1:
			comments = append(comments, fmt.Sprintf("Python package %s is set to be installed", targets[0].raw))
		case len(targets) > 1:
			msg := "Python package(s) set to be installed:"
			for _, t := range targets {
				msg += "\n" + t.raw
			}
			comments = append(comments, msg)
		}
		for _, t := range targets {
			changes[t.raw] = "Installed"
		}
		return Result{Name: name, Changes: changes, Comment: strings.Join(comments, " ")}
	}
	args := []string{"install"}
	for _, f := range []struct {
		on   bool
		flag string
	}{{a.Upgrade, "--upgrade"}, {a.ForceReinstall, "--force-reinstall"}, {a.IgnoreInstall, "--ignore-installed"},
		{a.NoDeps, "--no-deps"}, {a.PreReleases, "--pre"}, {a.NoIndex, "--no-index"}, {a.NoCacheDir, "--no-cache-dir"}} {
		if f.on {
			args = append(args, f.flag)
		}
	}
	for _, f := range [][2]string{{"--index-url", a.IndexURL}, {"--extra-index-url", a.ExtraIndexURL}, {"--find-links", a.FindLinks},
		{"--target", a.Target}, {"--proxy", a.Proxy}, {"--timeout", a.Timeout}, {"--trusted-host", a.TrustedHost}} {
		if f[1] != "" {
			args = append(args, f[0]+"="+f[1])
		}
	}
	for _, r := range a.Requirements {
		local, err := cacheSource(ctx, env, call, r)
		if err != nil {
			return fail(name, "Unable to process requirements file \"%s\": %v", r, err)
		}
		args = append(args, "--requirement", local)
	}
	if a.Editable != "" {
		args = append(args, "--editable", a.Editable)
	}
	args = append(args, a.ExtraArgs...)
	for _, t := range targets {
		args = append(args, t.raw)
	}
	cmd, err := pipCommand(a, args...)
	if err != nil {
		return fail(name, "Error installing '%s': %v", name, err)
	}
	res, err := env.run(ctx, cmd)
	if err == nil && res.Retcode != 0 {
		err = fmt.Errorf("Error: %s %s", res.Stdout, res.Stderr)
	}
	if err != nil {
		var comments []string
		for _, r := range a.Requirements {
			comments = append(comments, fmt.Sprintf("Unable to process requirements file \"%s\".", r))
		}
		if a.Editable != "" {
			comments = append(comments, fmt.Sprintf("Unable to install from VCS checkout %s.", a.Editable))
		}
		if len(targets) > 0 {
			raws := make([]string, len(targets))
			for i, t := range targets {
				raws[i] = t.raw
			}
			comments = append(comments, fmt.Sprintf("Failed to install packages: %s.", strings.Join(raws, ", ")))
		}
		return fail(name, "%s", strings.Join(append(already, strings.Join(append(comments, err.Error()), " ")), "\n"))
	}
	ret := Result{Name: name, Result: True(), Changes: map[string]any{}}
	var comments []string
	if len(a.Requirements) > 0 {
		for _, line := range strings.Split(res.Stdout, "\n") {
			line = strings.TrimSpace(line)
			changed := line != ""
			for _, p := range pipNoChange {
				changed = changed && !strings.HasPrefix(line, p)
			}
			if changed {
				ret.Changes["requirements"] = true
			}
		}
		if ret.Changes["requirements"] == true {
			comments = append(comments, fmt.Sprintf("Successfully processed requirements file %s.", strings.Join(a.Requirements, ", ")))
		} else {
			comments = append(comments, "Requirements were already installed.")
		}
	}
	if a.Editable != "" {
		ret.Changes["editable"] = true
		comments = append(comments, fmt.Sprintf("Package successfully installed from VCS checkout %s.", a.Editable))
	}
	if len(targets) > 0 {
		after, err := pipList(ctx, env, a)
		if err != nil {
			return fail(name, "Error reading the installed packages after installing: %v", err)
		}
		for _, t := range targets {
			if t.name == "" {
				ret.Changes[t.raw+"==???"] = "Installed"
				continue
			}
			cur, ok := after[t.name]
			if !ok || !t.satisfied(cur[1]) {
				ret.Result = False()
				comments = append(comments, fmt.Sprintf("There was no error installing package '%s' although it does not show when calling 'pip list' (found %q).", t.raw, cur[1]))
				continue
			}
			if old, had := before[t.name]; !had || old[1] != cur[1] || a.ForceReinstall {
				ret.Changes[cur[0]+"=="+cur[1]] = "Installed"
			}
		}
		if *ret.Result {
			comments = append(comments, "All packages were successfully installed")
		}
	}
	ret.Comment = strings.Join(append(already, strings.Join(comments, " ")), "\n")
	return ret
}
