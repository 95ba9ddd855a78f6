package states

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

func init() {
	RegisterTyped(Typed[noArgs]{
		Name: "locale.present",
		Doc: `Ensure a locale is generated (listed by locale -a).

name: the locale, e.g. en_US.UTF-8, or with its charmap as /usr/share/i18n/SUPPORTED lists it ("en_IE.UTF-8 UTF-8"; without one the codeset is used, as Salt does). It must be listed in /usr/share/i18n/SUPPORTED (or, without that file, have a definition in /usr/share/i18n/locales). It is uncommented or appended in /etc/locale.gen when that file exists, then generated with locale-gen, or with localedef where there is no locale-gen; the state fails unless locale -a then lists it.
Changes: {"locale": name}.`,
		Apply: localePresent,
	})
}

// localeSpec is a locale split as salt.utils.locales.split_locale does:
// language[_territory][.codeset][@modifier][ charmap].
type localeSpec struct{ language, territory, codeset, modifier, charmap string }

func splitLocale(s string) localeSpec {
	var l localeSpec
	cut := func(s, sep string) (string, string) { a, b, _ := strings.Cut(s, sep); return a, b }
	s, l.charmap = cut(strings.TrimSpace(s), " ")
	s, l.modifier = cut(s, "@")
	s, l.codeset = cut(s, ".")
	l.language, l.territory = cut(s, "_")
	return l
}

func (l localeSpec) String() string {
	s := l.language
	if l.territory != "" {
		s += "_" + l.territory
	}
	if l.codeset != "" {
		s += "." + l.codeset
	}
	if l.modifier != "" {
		s += "@" + l.modifier
	}
	if l.charmap != "" {
		s += " " + l.charmap
	}
	return s
}

// normalizeLocale is the locale as locale -a spells it (en_US.utf8).
func normalizeLocale(s string) string {
	l := splitLocale(s)
	l.territory = strings.ToUpper(l.territory)
	l.codeset = strings.ReplaceAll(strings.ToLower(l.codeset), "-", "")
	l.charmap = ""
	return l.String()
}

// localeAvail reports whether locale -a lists the locale.
func localeAvail(ctx context.Context, env *Env, name string) (bool, error) {
	res, err := env.runOK(ctx, Command{Path: "locale", Args: []string{"-a"}})
	if err != nil {
		return false, err
	}
	want := normalizeLocale(name)
	for _, l := range strings.Split(res.Stdout, "\n") {
		if strings.TrimSpace(l) != "" && normalizeLocale(l) == want {
			return true, nil
		}
	}
	return false, nil
}

// localeSupported checks that the system can generate the locale.
func localeSupported(env *Env, l localeSpec) error {
	supported := env.sysPath("/usr/share/i18n/SUPPORTED")
	if data, err := os.ReadFile(supported); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == l.String() {
				return nil
			}
		}
		return fmt.Errorf("The provided locale \"%s\" is not found in %s", l, supported)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dir := env.sysPath("/usr/share/i18n/locales")
	base := l.language
	if l.territory != "" {
		base += "_" + l.territory
	}
	if _, err := os.Stat(dir + "/" + base); err != nil {
		return fmt.Errorf("The provided locale \"%s\" is not found in %s", l, dir)
	}
	return nil
}

func localePresent(ctx context.Context, env *Env, call Call, _ *noArgs) Result {
	name := call.Name
	ok, err := localeAvail(ctx, env, name)
	if err != nil {
		return fail(name, "Unable to list the available locales: %v", err)
	}
	if ok {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Locale %s is already present", name)}
	}
	l := splitLocale(name)
	if l.language == "" {
		return fail(name, "Invalid locale %q", name)
	}
	if l.charmap == "" {
		l.charmap = l.codeset
	}
	if err := localeSupported(env, l); err != nil {
		return fail(name, "Failed to generate locale %s: %v", name, err)
	}
	changes := map[string]any{"locale": name}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Locale %s needs to be generated", name)}
	}
	genFile := env.sysPath("/etc/locale.gen")
	if fi, old, err := readText(genFile); err != nil {
		return fail(name, "Failed to generate locale %s: %v", name, err)
	} else if fi != nil {
		entry := l.String()
		commented := regexp.MustCompile(`(?m)^[ \t]*#[ \t]*` + regexp.QuoteMeta(entry) + `[ \t]*$`)
		present := regexp.MustCompile(`(?m)^[ \t]*` + regexp.QuoteMeta(entry) + `[ \t]*$`)
		text := old
		switch {
		case present.MatchString(old):
		case commented.MatchString(old):
			text = commented.ReplaceAllLiteralString(old, entry)
		default:
			if text != "" && !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			text += entry + "\n"
		}
		e := textEdit{name: genFile, target: resolveTarget(genFile), fi: fi, old: old, new: text}
		if r := e.run(); r.Result == nil || !*r.Result {
			return fail(name, "Failed to generate locale %s: %s", name, r.Comment)
		}
	}
	var cmd Command
	switch {
	case hasCommand("locale-gen"):
		cmd = Command{Path: "locale-gen", Args: []string{l.String()}}
	case hasCommand("localedef"):
		base := l.language
		if l.territory != "" {
			base += "_" + l.territory
		}
		cmd = Command{Path: "localedef", Args: []string{"--force", "-i", base, "-f", l.codeset, base + "." + l.codeset, "--quiet"}}
	default:
		return fail(name, "Failed to generate locale %s: Command \"locale-gen\" or \"localedef\" was not found on this system.", name)
	}
	if _, err := env.runOK(ctx, cmd); err != nil {
		return fail(name, "Failed to generate locale %s: %v", name, err)
	}
	if ok, err := localeAvail(ctx, env, name); err != nil || !ok {
		return fail(name, "Failed to generate locale %s: %s finished but locale -a does not list it", name, cmd.Path)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Generated locale %s", name)}
}
