package states

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[sysctlArgs]{
		Name: "sysctl.present",
		Doc: `Ensure a kernel parameter has a value, in the running kernel (sysctl -w) and in a configuration file.

name: the parameter (net.ipv4.ip_forward). value: its value, as sysctl prints it (whitespace between words does not matter). config: the file to persist it in; default /etc/sysctl.d/99-salt.conf on a host booted with systemd, else /etc/sysctl.conf, as Salt chooses. Lines of the file setting name are rewritten; other lines are kept.
Changes: {name: value}.`,
		Apply: sysctlPresent,
	})
}

// sysctlArgs are sysctl.present's arguments.
type sysctlArgs struct {
	// Value is kept as given, for the changes (Salt reports it so).
	Value  any    `salt:"value,required"`
	Config string `salt:"config"`
	value  string
}

// Validate checks that config is an absolute path.
func (a *sysctlArgs) Validate() error {
	v, ok := coerce.String(a.Value)
	if !ok {
		return ArgErrorf("value", "must be a string or a number, got %s", coerce.Describe(a.Value))
	}
	a.value = strings.TrimSpace(v)
	if a.Config != "" && !filepath.IsAbs(a.Config) {
		return ArgErrorf("config", "must be an absolute path, got %q", a.Config)
	}
	return nil
}

// sysctlWS is a run of whitespace in a sysctl value.
var sysctlWS = regexp.MustCompile(`\s+`)

// sysctlNorm makes values comparable as Salt does (whitespace runs become
// one tab, as the kernel prints them).
func sysctlNorm(v string) string { return sysctlWS.ReplaceAllString(strings.TrimSpace(v), "\t") }

// sysctlConfig is the default configuration file (salt.modules.linux_sysctl.default_config).
func sysctlConfig(env *Env) string {
	if fi, err := os.Stat(env.sysPath("/run/systemd/system")); err == nil && fi.IsDir() {
		return env.sysPath("/etc/sysctl.d/99-salt.conf")
	}
	return env.sysPath("/etc/sysctl.conf")
}

// sysctlEdit returns config's text with name set to value (every line
// setting it rewritten, else one appended) and whether the file already
// sets it so.
func sysctlEdit(old string, exists bool, name, value string) (text string, ok bool) {
	if !exists {
		old = "#\n# Kernel sysctl configuration\n#\n"
	}
	lines := strings.SplitAfter(old, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	found, same := false, true
	newLine := fmt.Sprintf("%s = %s\n", name, value)
	for i, l := range lines {
		k, v, has := strings.Cut(l, "=")
		k = strings.TrimSpace(k)
		if !has || strings.HasPrefix(k, "#") || strings.HasPrefix(k, ";") || k != name {
			continue
		}
		found = true
		if sysctlNorm(v) != sysctlNorm(value) {
			same = false
			lines[i] = newLine
		}
	}
	ok = exists && found && same
	if !found {
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
			lines[n-1] += "\n"
		}
		lines = append(lines, newLine)
	}
	return strings.Join(lines, ""), ok
}

func sysctlPresent(ctx context.Context, env *Env, call Call, a *sysctlArgs) Result {
	name, value := call.Name, a.value
	if strings.ContainsAny(name, "= \t\n") {
		return fail(name, "Invalid sysctl name %q", name)
	}
	config := a.Config
	if config == "" {
		config = sysctlConfig(env)
	}
	fi, old, err := readText(config)
	if err != nil {
		return fail(name, "Failed to set %s to %s: could not read %s: %v", name, value, config, err)
	}
	text, cfgOK := sysctlEdit(old, fi != nil, name, value)
	res, err := env.runOK(ctx, Command{Path: "sysctl", Args: []string{"-n", name}})
	if err != nil {
		return fail(name, "Failed to set %s to %s: sysctl %s does not exist or cannot be read: %v", name, value, name, err)
	}
	liveOK := sysctlNorm(res.Stdout) == sysctlNorm(value)
	if cfgOK && liveOK {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Sysctl value %s = %s is already set", name, value)}
	}
	changes := map[string]any{name: a.Value}
	if call.Test {
		var why string
		switch {
		case liveOK:
			why = fmt.Sprintf("Sysctl value is currently set on the running system but not in a config file. Sysctl option %s set to be changed to %s in config file %s", name, value, config)
		case cfgOK:
			why = fmt.Sprintf("Sysctl value %s is present in configuration file but is not present in the running config. The value %s is set to be changed to %s", name, name, value)
		default:
			why = fmt.Sprintf("Sysctl option %s would be changed to %s", name, value)
		}
		return Result{Name: name, Changes: changes, Comment: why}
	}
	if !liveOK {
		// The running kernel first: a value it refuses is not persisted.
		cmd := Command{Path: "sysctl", Args: []string{"-w", name + "=" + value}}
		res, err := env.run(ctx, cmd)
		if err != nil {
			return fail(name, "Failed to set %s to %s: %v", name, value, err)
		}
		got, gv, _ := strings.Cut(res.Stdout, " = ")
		if res.Retcode != 0 || got != name || sysctlNorm(gv) != sysctlNorm(value) || strings.Contains(res.Stderr, "Invalid argument") {
			msg := res.Stderr
			if msg == "" {
				msg = res.Stdout
			}
			return fail(name, "Failed to set %s to %s: sysctl -w failed: %s", name, value, msg)
		}
	}
	if !cfgOK {
		if fi == nil {
			if err := os.MkdirAll(filepath.Dir(config), 0o755); err != nil {
				return fail(name, "Failed to set %s to %s: could not write to file %s: %v", name, value, config, err)
			}
		}
		e := textEdit{name: name, target: resolveTarget(config), fi: fi, old: old, new: text}
		if r := e.run(); r.Result == nil || !*r.Result {
			return fail(name, "Failed to set %s to %s: could not write to file %s: %s", name, value, config, r.Comment)
		}
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Updated sysctl value %s = %s", name, value)}
}
