package states

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

func init() {
	RegisterTyped(Typed[noArgs]{
		Name: "locale.system",
		Doc: `Ensure the system locale (LANG).

name: the locale, e.g. en_US.UTF-8. On a host booted with systemd it is read from localectl status and set with localectl set-locale, keeping the other LC_* settings; otherwise it is the LANG= line of /etc/default/locale, rewritten or appended.
Changes: {"locale": name}.`,
		Apply: localeSystem,
	})
}

// systemdBooted reports whether the host runs systemd (Salt's
// salt.utils.systemd.booted: /run/systemd/system is a directory).
func systemdBooted(env *Env) bool {
	fi, err := os.Stat(env.sysPath("/run/systemd/system"))
	return err == nil && fi.IsDir()
}

// localectlStatus is localectl status's System Locale settings.
func localectlStatus(ctx context.Context, env *Env) (map[string]string, error) {
	res, err := env.runOK(ctx, Command{Path: "localectl", Args: []string{"status"}, Env: []string{"LC_ALL=C"}})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	key := ""
	for _, line := range strings.Split(res.Stdout, "\n") {
		data := strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ": "); ok {
			key, data = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		}
		if key != "system locale" {
			continue
		}
		if k, v, ok := strings.Cut(data, "="); ok {
			out[k] = v
		}
	}
	if len(out) == 0 && !strings.Contains(strings.ToLower(res.Stdout), "system locale") {
		return nil, fmt.Errorf("Unable to parse result of \"localectl\": %s", res.Stdout)
	}
	return out, nil
}

var defaultLocaleLang = regexp.MustCompile(`(?m)^LANG=.*$`)

func localeSystem(ctx context.Context, env *Env, call Call, _ *noArgs) Result {
	name := call.Name
	if strings.ContainsAny(name, " \t\n\"'") {
		return fail(name, "Invalid locale %q", name)
	}
	booted := systemdBooted(env)
	var current string
	var params map[string]string
	path := env.sysPath("/etc/default/locale")
	if booted {
		var err error
		if params, err = localectlStatus(ctx, env); err != nil {
			return fail(name, "Failed to set system locale: %v", err)
		}
		current = params["LANG"]
	} else {
		_, text, err := readText(path)
		if err != nil {
			return fail(name, "Failed to set system locale: %v", err)
		}
		if m := defaultLocaleLang.FindString(text); m != "" {
			current = strings.Trim(strings.TrimPrefix(m, "LANG="), `"'`)
		}
	}
	if current == name {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("System locale %s already set", name)}
	}
	changes := map[string]any{"locale": name}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("System locale %s needs to be set", name)}
	}
	if booted {
		params["LANG"] = name
		args := []string{"set-locale"}
		keys := sortedKeys(params)
		sort.SliceStable(keys, func(i, j int) bool { return keys[i] == "LANG" && keys[j] != "LANG" })
		for _, k := range keys {
			args = append(args, k+"="+params[k])
		}
		if _, err := env.runOK(ctx, Command{Path: "localectl", Args: args}); err != nil {
			return fail(name, "Failed to set system locale to %s: %v", name, err)
		}
	} else {
		fi, old, err := readText(path)
		if err != nil {
			return fail(name, "Failed to set system locale to %s: %v", name, err)
		}
		line := fmt.Sprintf("LANG=\"%s\"", name)
		text := old
		if defaultLocaleLang.MatchString(old) {
			text = defaultLocaleLang.ReplaceAllLiteralString(old, line)
		} else {
			if text != "" && !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			text += line + "\n"
		}
		e := textEdit{name: path, target: resolveTarget(path), fi: fi, old: old, new: text}
		if r := e.run(); r.Result == nil || !*r.Result {
			return fail(name, "Failed to set system locale to %s: %s", name, r.Comment)
		}
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Set system locale %s", name)}
}
