package modules

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// The npm module: Node.js packages, as Salt's salt.modules.npm. npm runs
// as runas in dir (without dir: --global); a failure is an error carrying
// npm's message (Salt's uninstall returns false instead).

const npmArgsDoc = ` dir is the project directory (without it the package is global); runas runs npm as that user; env is a mapping of extra environment variables.`

func init() {
	Register("npm.install", `Install an npm package (pkg, or several: pkgs, a list), or with neither the dependencies of dir's package.json; registry, dry_run and silent (default true) are passed to npm. Returns npm's JSON report parsed, or its output when it is not JSON.`+npmArgsDoc+`

CLI Example:

    ctl '*' npm.install dir=/srv/app/theme runas=webuser`, npmInstall)
	Register("npm.uninstall", `Uninstall the npm package pkg; true on success, an error otherwise.`+npmArgsDoc+`

CLI Example:

    ctl '*' npm.uninstall coffee-script dir=/srv/app`, npmUninstall)
	Register("npm.list", `Return the installed npm packages (of dir, or global) as npm list --json's dependencies mapping (name: {version, ...}); pkg narrows to one package, depth limits the tree.`+npmArgsDoc+`

CLI Example:

    ctl '*' npm.list dir=/srv/app depth=0`, npmList)
}

// npmCommon reads dir, runas and env at the given positions.
func npmCommon(c Call, dirPos, runasPos, envPos int) (prog, []string, error) {
	p := prog{path: "npm"}
	dir, err := c.String(dirPos, "dir", ptr(""))
	if err != nil {
		return p, nil, err
	}
	var scope []string
	if dir == "" {
		scope = []string{"--global"}
	} else {
		p.cwd = expandUser(dir)
		if !strings.HasPrefix(p.cwd, "/") {
			return p, nil, badArg("dir must be an absolute path, got %q", dir)
		}
		if !isDir(p.cwd) {
			return p, nil, execErr("dir %s does not exist or is not a directory", p.cwd)
		}
	}
	if p.runas, err = c.String(runasPos, "runas", ptr("")); err != nil {
		return p, nil, err
	}
	if v, ok := c.value(envPos, "env"); ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return p, nil, wrongType("env", "a mapping", v)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s, ok := stringish(m[k])
			if !ok {
				return p, nil, wrongType("env", "a mapping of names to strings", m[k])
			}
			p.env = append(p.env, k+"="+s)
		}
	}
	return p, scope, nil
}

func stringish(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool, int, int64, float64:
		b, _ := json.Marshal(t)
		return string(b), true
	}
	return "", false
}

// findJSON parses the first JSON document in out (npm may print warnings
// before it).
func findJSON(out string) (any, bool) {
	var v any
	if json.Unmarshal([]byte(out), &v) == nil {
		return v, true
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			if json.Unmarshal([]byte(strings.Join(lines[i:], "\n")), &v) == nil {
				return v, true
			}
		}
	}
	return nil, false
}

func npmInstall(ctx context.Context, env *Env, c Call) (any, error) {
	pkg, err := c.String(0, "pkg", ptr(""))
	if err != nil {
		return nil, err
	}
	pkgs, err := optsArgList(c, 1, "pkgs")
	if err != nil {
		return nil, err
	}
	p, scope, err := npmCommon(c, 2, 3, 5)
	if err != nil {
		return nil, err
	}
	registry, err := c.String(4, "registry", ptr(""))
	if err != nil {
		return nil, err
	}
	dryRun, err := c.Bool(6, "dry_run", ptr(false))
	if err != nil {
		return nil, err
	}
	silent, err := c.Bool(7, "silent", ptr(true))
	if err != nil {
		return nil, err
	}
	if pkg == "" && pkgs == nil && len(scope) > 0 {
		return nil, badArg("give pkg or pkgs, or dir to install a project's dependencies")
	}
	p.fun = "npm.install"
	p.args = []string{"install", "--json"}
	if silent {
		p.args = append(p.args, "--silent")
	}
	p.args = append(p.args, scope...)
	if registry != "" {
		p.args = append(p.args, "--registry="+registry)
	}
	if dryRun {
		p.args = append(p.args, "--dry-run")
	}
	for _, n := range append([]string{pkg}, pkgs...) {
		if strings.HasPrefix(n, "-") {
			return nil, badArg("invalid package name %q", n)
		}
		if n != "" {
			p.args = append(p.args, n)
		}
	}
	res, err := run(ctx, env, p)
	if err != nil {
		return nil, err
	}
	if res.retcode != 0 {
		return nil, execErr("npm.install: %s failed with exit code %d: %s", p.cmdline(), res.retcode, res.combined())
	}
	out := res.stdout
	if out == "" {
		out = res.stderr
	}
	if v, ok := findJSON(out); ok {
		return v, nil
	}
	return out, nil
}

func npmUninstall(ctx context.Context, env *Env, c Call) (any, error) {
	pkg, err := c.String(0, "pkg", nil)
	if err != nil {
		return nil, err
	}
	if pkg == "" || strings.HasPrefix(pkg, "-") {
		return nil, badArg("invalid package name %q", pkg)
	}
	p, scope, err := npmCommon(c, 1, 2, 3)
	if err != nil {
		return nil, err
	}
	p.fun = "npm.uninstall"
	p.args = append(append([]string{"uninstall", "--silent"}, scope...), pkg)
	if _, err := runOK(ctx, env, p); err != nil {
		return nil, err
	}
	return true, nil
}

func npmList(ctx context.Context, env *Env, c Call) (any, error) {
	pkg, err := c.String(0, "pkg", ptr(""))
	if err != nil {
		return nil, err
	}
	p, scope, err := npmCommon(c, 1, 2, 3)
	if err != nil {
		return nil, err
	}
	p.fun = "npm.list"
	p.args = append([]string{"list", "--json", "--silent"}, scope...)
	if c.Has(4, "depth") {
		d, err := c.Int(4, "depth", nil)
		if err != nil {
			return nil, err
		}
		p.args = append(p.args, "--depth="+strconv.Itoa(d))
	}
	if pkg != "" {
		p.args = append(p.args, pkg)
	}
	res, err := run(ctx, env, p)
	if err != nil {
		return nil, err
	}
	// npm list exits 1 for problems in the tree (extraneous, missing)
	// but still reports it; other failures have no JSON.
	v, ok := findJSON(res.stdout)
	if !ok || (res.retcode != 0 && res.stderr != "" && v == nil) {
		return nil, execErr("npm.list: %s failed with exit code %d: %s", p.cmdline(), res.retcode, res.combined())
	}
	m, _ := v.(map[string]any)
	if deps, ok := m["dependencies"].(map[string]any); ok {
		return deps, nil
	}
	return map[string]any{}, nil
}
