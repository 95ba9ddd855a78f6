package modules

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

// The pip module: Python packages, as Salt's salt.modules.pip. pip is
// bin_env's (a virtualenv directory or a pip or python executable), else
// pip3 or pip on PATH. install and uninstall return cmd.run_all's mapping
// as Salt does; pip failing is an error carrying its message.

const pipArgsDoc = ` bin_env is a virtualenv (its bin/pip is used) or the pip or python executable to use; user runs pip as that user; cwd is the directory to run in; env_vars is a mapping of extra environment variables.`

func init() {
	Register("pip.install", `Install Python packages: pkgs (a list, or names separated by commas) and/or requirements (a requirements file: an absolute path or salt://). Options: upgrade, index_url, extra_index_url, no_index, find_links, pre_releases, no_deps, target, editable, global_options / install_options (lists), proxy, timeout. Returns {pid, retcode, stdout, stderr}.`+pipArgsDoc+`

CLI Example:

    ctl '*' pip.install pkgs='requests,flask==3.0.0' bin_env=/srv/venv`, pipInstall)
	Register("pip.uninstall", `Uninstall Python packages: pkgs (a list or names separated by commas) and/or requirements. Returns {pid, retcode, stdout, stderr}.`+pipArgsDoc+`

CLI Example:

    ctl '*' pip.uninstall requests bin_env=/srv/venv`, pipUninstall)
	Register("pip.freeze", `Return pip freeze's lines (name==version).`+pipArgsDoc+`

CLI Example:

    ctl '*' pip.freeze bin_env=/srv/venv`, pipFreeze)
	Register("pip.list", `Return the installed Python packages as a mapping of name to version; prefix keeps those whose name starts with it (case-insensitive).`+pipArgsDoc+`

CLI Example:

    ctl '*' pip.list prefix=requests`, pipList)
	Register("pip.version", `Return pip's own version.`+pipArgsDoc+`

CLI Example:

    ctl '*' pip.version bin_env=/srv/venv`, pipVersion)
}

// pipProg resolves bin_env, user, cwd and env_vars.
func pipProg(fun string, c Call) (prog, error) {
	p := prog{fun: fun}
	binEnv, err := c.String(-1, "bin_env", ptr(""))
	if err != nil {
		return p, err
	}
	switch {
	case binEnv != "":
		binEnv = expandUser(binEnv)
		fi, err := os.Stat(binEnv)
		switch {
		case err != nil:
			return p, execErr("%s: bin_env %s: %s", fun, binEnv, osErr(err).Message)
		case fi.IsDir():
			p.path = filepath.Join(binEnv, "bin", "pip")
		case strings.HasPrefix(filepath.Base(binEnv), "python"):
			p.path, p.args = binEnv, []string{"-m", "pip"}
		default:
			p.path = binEnv
		}
	case hasExec("pip3"):
		p.path = "pip3"
	default:
		p.path = "pip"
	}
	if p.runas, err = c.String(-1, "user", ptr("")); err != nil {
		return p, err
	}
	if p.cwd, err = c.String(-1, "cwd", ptr("")); err != nil {
		return p, err
	}
	if v, _ := c.value(-1, "env_vars"); v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return p, wrongType("env_vars", "a mapping", v)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s, ok := coerce.String(m[k])
			if !ok {
				return p, wrongType("env_vars", "a mapping of names to strings", m[k])
			}
			p.env = append(p.env, k+"="+s)
		}
	}
	p.env = append(p.env, "PIP_NO_INPUT=1")
	return p, nil
}

// pipPkgs reads pkgs (position 0): a list or a comma-separated string.
func pipPkgs(c Call) ([]string, error) {
	v, ok := c.value(0, "pkgs")
	if !ok || v == nil {
		return nil, nil
	}
	var out []string
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			s, ok := coerce.String(e)
			if !ok {
				return nil, wrongType("pkgs", "a list of package specifiers", e)
			}
			out = append(out, strings.TrimSpace(s))
		}
	default:
		s, ok := coerce.String(v)
		if !ok {
			return nil, wrongType("pkgs", "a list of package specifiers", v)
		}
		for _, e := range strings.Split(s, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	for _, s := range out {
		if s == "" || strings.HasPrefix(s, "-") {
			return nil, badArg("invalid package specifier %q", s)
		}
	}
	return out, nil
}

// pipRequirements reads requirements (position 1): a path or salt:// URL,
// or a list of them; salt:// files are fetched first.
func pipRequirements(ctx context.Context, env *Env, c Call) ([]string, error) {
	v, ok := c.value(1, "requirements")
	if !ok || v == nil {
		return nil, nil
	}
	var reqs []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			s, ok := coerce.String(e)
			if !ok {
				return nil, wrongType("requirements", "a path or a list of paths", e)
			}
			reqs = append(reqs, s)
		}
	} else if s, ok := coerce.String(v); ok {
		reqs = []string{s}
	} else {
		return nil, wrongType("requirements", "a path or a list of paths", v)
	}
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if strings.HasPrefix(r, "salt://") {
			if err := needFiles(env, "pip"); err != nil {
				return nil, err
			}
			local, err := env.Files.Cache(ctx, r, "base")
			if err != nil {
				return nil, err
			}
			r = local
		}
		out = append(out, r)
	}
	return out, nil
}

// runAllMap runs p and returns cmd.run_all's mapping; a non-zero exit is
// an error carrying pip's message.
func runAllMap(ctx context.Context, env *Env, p prog) (any, error) {
	res, err := runOK(ctx, env, p)
	if err != nil {
		return nil, err
	}
	return map[string]any{"pid": res.pid, "retcode": res.retcode, "stdout": res.stdout, "stderr": res.stderr}, nil
}

func pipInstall(ctx context.Context, env *Env, c Call) (any, error) {
	pkgs, err := pipPkgs(c)
	if err != nil {
		return nil, err
	}
	reqs, err := pipRequirements(ctx, env, c)
	if err != nil {
		return nil, err
	}
	editable, err := c.String(-1, "editable", ptr(""))
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 0 && len(reqs) == 0 && editable == "" {
		return nil, badArg("give pkgs, requirements or editable")
	}
	p, err := pipProg("pip.install", c)
	if err != nil {
		return nil, err
	}
	p.args = append(p.args, "install")
	for _, r := range reqs {
		p.args = append(p.args, "--requirement", r)
	}
	for _, f := range []struct{ kw, flag string }{
		{"upgrade", "--upgrade"}, {"no_index", "--no-index"}, {"pre_releases", "--pre"}, {"no_deps", "--no-deps"},
	} {
		b, err := c.Bool(-1, f.kw, ptr(false))
		if err != nil {
			return nil, err
		}
		if b {
			p.args = append(p.args, f.flag)
		}
	}
	for _, f := range []struct{ kw, flag string }{
		{"index_url", "--index-url"}, {"extra_index_url", "--extra-index-url"}, {"find_links", "--find-links"},
		{"target", "--target"}, {"proxy", "--proxy"}, {"timeout", "--timeout"},
	} {
		s, err := c.String(-1, f.kw, ptr(""))
		if err != nil {
			return nil, err
		}
		if s != "" {
			p.args = append(p.args, f.flag+"="+s)
		}
	}
	for _, f := range []struct{ kw, flag string }{{"global_options", "--global-option"}, {"install_options", "--install-option"}} {
		opts, err := optsArg(c, -1, f.kw)
		if err != nil {
			return nil, err
		}
		for _, o := range opts {
			p.args = append(p.args, f.flag+"="+o)
		}
	}
	if editable != "" {
		p.args = append(p.args, "--editable", editable)
	}
	p.args = append(p.args, pkgs...)
	return runAllMap(ctx, env, p)
}

func pipUninstall(ctx context.Context, env *Env, c Call) (any, error) {
	pkgs, err := pipPkgs(c)
	if err != nil {
		return nil, err
	}
	reqs, err := pipRequirements(ctx, env, c)
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 0 && len(reqs) == 0 {
		return nil, badArg("give pkgs or requirements")
	}
	p, err := pipProg("pip.uninstall", c)
	if err != nil {
		return nil, err
	}
	p.args = append(p.args, "uninstall", "-y")
	for _, r := range reqs {
		p.args = append(p.args, "--requirement", r)
	}
	p.args = append(p.args, pkgs...)
	return runAllMap(ctx, env, p)
}

func pipFreeze(ctx context.Context, env *Env, c Call) (any, error) {
	p, err := pipProg("pip.freeze", c)
	if err != nil {
		return nil, err
	}
	p.args = append(p.args, "freeze")
	res, err := runOK(ctx, env, p)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, l := range strings.Split(res.stdout, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

func pipList(ctx context.Context, env *Env, c Call) (any, error) {
	prefix, err := c.String(0, "prefix", ptr(""))
	if err != nil {
		return nil, err
	}
	p, err := pipProg("pip.list", c)
	if err != nil {
		return nil, err
	}
	p.args = append(p.args, "list", "--format=json")
	res, err := runOK(ctx, env, p)
	if err != nil {
		return nil, err
	}
	var pkgs []struct{ Name, Version string }
	if err := json.Unmarshal([]byte(res.stdout), &pkgs); err != nil {
		return nil, execErr("pip.list: pip list --format=json gave no JSON: %v", err)
	}
	out := map[string]any{}
	for _, pk := range pkgs {
		if prefix == "" || strings.HasPrefix(strings.ToLower(pk.Name), strings.ToLower(prefix)) {
			out[pk.Name] = pk.Version
		}
	}
	return out, nil
}

func pipVersion(ctx context.Context, env *Env, c Call) (any, error) {
	p, err := pipProg("pip.version", c)
	if err != nil {
		return nil, err
	}
	p.args = append(p.args, "--version")
	res, err := runOK(ctx, env, p)
	if err != nil {
		return nil, err
	}
	f := strings.Fields(res.stdout)
	if len(f) < 2 || f[0] != "pip" {
		return nil, execErr("pip.version: unexpected output %q", res.stdout)
	}
	return f[1], nil
}
