package states

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[pkgrepoArgs]{
		Name: "pkgrepo.managed",
		Doc: `Ensure a package repository is configured.

Debian family: name is the sources line ("deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://repo/debian bookworm main"); file: the .list file to keep it in (default /etc/apt/sources.list); comments: text after the line's #; disabled: True writes it commented out. An existing line of the same repository (type, URI, distribution) is changed where it is. keyid (one or a list) with keyserver: keys fetched with apt-key adv --recv-keys when apt-key export does not show them; key_url (salt://, http(s) or a local path): added with apt-key add when the repository is configured. refresh (default True): apt-get update after a change.
RedHat family: name is the repository id, in /etc/yum.repos.d/NAME.repo (or the file already holding it); humanname (default name), baseurl or mirrorlist (or metalink), enabled/disabled, gpgcheck, gpgkey, comments and other yum options (priority, sslverify, skip_if_unavailable, ...) become its keys; keyid and key_url (apt-key's) fail the state there: name the key with gpgkey.
Changes: {"repo": name} for a new repository, else each changed key {"old", "new"}. Comments as Salt's ("Package repo 'NAME' already configured", "Configured package repo 'NAME'").`,
		Apply: pkgrepoManaged,
	})
}

type pkgrepoArgs struct {
	File          string   `salt:"file"`
	Comments      []string `salt:"comments"`
	Disabled      *bool    `salt:"disabled"`
	Enabled       *bool    `salt:"enabled"`
	Refresh       *bool    `salt:"refresh"`
	RefreshDB     *bool    `salt:"refresh_db"`
	KeyURL        string   `salt:"key_url"`
	KeyID         []string `salt:"keyid"`
	Keyserver     string   `salt:"keyserver"`
	AptKey        bool     `salt:"aptkey" default:"true"`
	Humanname     string   `salt:"humanname"`
	Baseurl       string   `salt:"baseurl"`
	Mirrorlist    string   `salt:"mirrorlist"`
	Metalink      string   `salt:"metalink"`
	Gpgcheck      any      `salt:"gpgcheck"`
	Gpgkey        string   `salt:"gpgkey"`
	Architectures []string `salt:"architectures"`
	ClearFile     bool     `salt:"clean_file"`
	// the other yum options
	Rest map[string]any `salt:",rest"`
}

// yumOptions are the yum/dnf repository options written as given.
var yumOptions = map[string]bool{
	"priority": true, "cost": true, "sslverify": true, "sslcacert": true, "sslclientcert": true,
	"sslclientkey": true, "skip_if_unavailable": true, "exclude": true, "excludepkgs": true,
	"includepkgs": true, "proxy": true, "proxy_username": true, "proxy_password": true,
	"metadata_expire": true, "module_hotfixes": true, "repo_gpgcheck": true, "type": true,
	"failovermethod": true, "enabled_metadata": true, "countme": true, "username": true,
	"password": true, "timeout": true, "deltarpm": true, "gpgcakey": true, "mediaid": true,
	"keepalive": true, "retries": true, "throttle": true, "bandwidth": true, "minrate": true,
	"ip_resolve": true, "http_caching": true, "autorefresh": true,
}

// Validate checks the arguments that exclude each other.
func (a *pkgrepoArgs) Validate() error {
	if a.KeyURL != "" && (len(a.KeyID) > 0 || a.Keyserver != "") {
		return ArgErrorf("key_url", `cannot be used with keyid/keyserver: you may not use both "keyid"/"keyserver" and "key_url"`)
	}
	if a.Enabled != nil && a.Disabled != nil {
		return ArgErrorf("disabled", "cannot be used with enabled: only one of enabled/disabled is allowed")
	}
	if len(a.KeyID) > 0 && a.Keyserver == "" {
		return ArgErrorf("keyserver", "is missing: keyid needs a keyserver to fetch the key from")
	}
	if a.File != "" && !filepath.IsAbs(a.File) {
		return ArgErrorf("file", "is not an absolute path: %q", a.File)
	}
	if _, ok := a.Rest["repo"]; ok {
		return ArgErrorf("repo", "is not a supported argument for this state; the 'name' argument is probably what was intended")
	}
	if _, ok := a.Rest["ppa"]; ok {
		return ArgErrorf("ppa", "is not supported: write the PPA's deb line as the name")
	}
	return nil
}

// isDisabled is the requested state.
func (a *pkgrepoArgs) isDisabled() bool {
	switch {
	case a.Disabled != nil:
		return *a.Disabled
	case a.Enabled != nil:
		return !*a.Enabled
	}
	return false
}

func (a *pkgrepoArgs) refresh() bool {
	switch {
	case a.Refresh != nil:
		return *a.Refresh
	case a.RefreshDB != nil:
		return *a.RefreshDB
	}
	return true
}

// restWarnings are the undeclared arguments that are not yum options
// (on the Debian family: all of them), as the decoder words its warnings.
func (a *pkgrepoArgs) restWarnings(family string) []string {
	var out []string
	for _, k := range sortedKeys(a.Rest) {
		if saltKeywords[k] || (family == "redhat" && yumOptions[k]) {
			continue
		}
		w := fmt.Sprintf("'%s' is an invalid keyword argument for 'pkgrepo.managed' and was ignored", k)
		names := pkgrepoArgNames
		if family == "redhat" {
			names = append(append([]string(nil), names...), sortedKeys(yumOptions)...)
		}
		if sug := suggest(k, names); sug != "" {
			w += fmt.Sprintf("; did you mean '%s'?", sug)
		}
		out = append(out, w)
	}
	return out
}

// pkgrepoArgNames are pkgrepo.managed's declared arguments, for
// suggestions.
var pkgrepoArgNames = []string{"file", "comments", "disabled", "enabled", "refresh", "refresh_db", "key_url", "keyid",
	"keyserver", "aptkey", "humanname", "baseurl", "mirrorlist", "metalink", "gpgcheck", "gpgkey", "architectures", "clean_file"}

func withWarnings(res Result, warnings []string) Result {
	for _, w := range warnings {
		if res.Comment != "" {
			res.Comment += "\n"
		}
		res.Comment += "Warning: " + w
	}
	return res
}

func pkgrepoManaged(ctx context.Context, env *Env, call Call, a *pkgrepoArgs) Result {
	family, err := repoFamily(env)
	if err != nil {
		return failErr(call.Name, err)
	}
	warnings := a.restWarnings(family)
	var res Result
	switch {
	case family == "debian":
		res = aptRepoManaged(ctx, env, call, a)
	case len(a.KeyID) > 0 || a.KeyURL != "":
		// apt-key's arguments: ignoring them would configure the
		// repository without its key
		res = fail(call.Name, "Repo key management is not implemented for this platform (keyid and key_url are for the Debian family): name the key with gpgkey")
	default:
		res = yumRepoManaged(env, call, a)
	}
	return withWarnings(res, warnings)
}

const repoWouldChange = "Package repo '%s' would be configured. This may cause pkg states to behave differently than stated if this action is repeated without test=True, due to the differences in the configured repositories."

func aptRepoManaged(ctx context.Context, env *Env, call Call, a *pkgrepoArgs) Result {
	name := call.Name
	want, ok := parseAptLine(name)
	if !ok || want.disabled {
		return fail(name, "Failed to examine repo '%s': the name must be a sources line such as \"deb http://deb.example.com/debian bookworm main\"", name)
	}
	want.disabled = a.isDisabled()
	if len(a.Comments) > 0 {
		want.comment = strings.TrimSpace(strings.Join(a.Comments, " "))
	}
	if len(a.Architectures) > 0 {
		var opts []string
		for _, o := range want.opts {
			if !strings.HasPrefix(o, "arch=") {
				opts = append(opts, o)
			}
		}
		want.opts = append([]string{"arch=" + strings.Join(a.Architectures, ",")}, opts...)
	}
	file := a.File
	if (len(a.KeyID) > 0 || a.KeyURL != "") && a.AptKey {
		if !onPATH("apt-key") {
			return fail(name, "Failed to configure repo '%s': keyid and key_url need apt-key, which is not on PATH: keep the key in a keyring file and name it with [signed-by=FILE] in the line instead", name)
		}
	}
	if (len(a.KeyID) > 0 || a.KeyURL != "") && !a.AptKey {
		return fail(name, "Failed to configure repo '%s': with aptkey: False keep the key in a keyring file and name it with [signed-by=FILE] in the line (keyid and key_url go through apt-key)", name)
	}
	matches, err := env.findAptSources(want, file)
	if err != nil {
		return fail(name, "Failed to examine repo '%s': %v", name, err)
	}
	if file == "" {
		// without file the line stays where it is, else sources.list
		file = env.aptSourcesList()
		if len(matches) > 0 {
			file = matches[0].file
		}
	}
	if len(a.Comments) == 0 && len(matches) == 1 {
		want.comment = matches[0].src.comment // comments not given: kept
	}
	// the line is right when exactly one line of the repository exists,
	// in the requested file, equal to the wanted one
	lineOK := len(matches) == 1 && matches[0].file == file && matches[0].src.line() == want.line()
	var missingKeys []string
	for _, k := range a.KeyID {
		present, err := aptKeyPresent(ctx, env, k)
		if err != nil {
			return fail(name, "Failed to examine repo '%s': %v", name, err)
		}
		if !present {
			missingKeys = append(missingKeys, k)
		}
	}
	if lineOK && len(missingKeys) == 0 {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Package repo '%s' already configured", name)}
	}
	changes := map[string]any{}
	if !lineOK {
		if len(matches) == 0 {
			changes["repo"] = name
		} else {
			var old []any
			for _, m := range matches {
				old = append(old, m.src.line())
			}
			if len(old) == 1 {
				changes["line"] = map[string]any{"old": old[0], "new": want.line()}
			} else {
				changes["line"] = map[string]any{"old": old, "new": want.line()}
			}
		}
	}
	if len(missingKeys) > 0 {
		l := make([]any, len(missingKeys))
		for i, k := range missingKeys {
			l[i] = k
		}
		changes["keyid"] = l
	}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf(repoWouldChange, name)}
	}
	for _, k := range missingKeys {
		if _, err := env.runOK(ctx, Command{Path: "apt-key", Args: []string{"adv", "--batch", "--keyserver", a.Keyserver, "--logger-fd", "1", "--recv-keys", k}}); err != nil {
			return fail(name, "Failed to configure repo '%s': Error: key retrieval failed: %v", name, err)
		}
	}
	if !lineOK {
		if a.KeyURL != "" {
			src, err := classifySource(a.KeyURL)
			if err != nil {
				return fail(name, "Failed to configure repo '%s': key_url: %v", name, err)
			}
			local, cleanup, err := fetchArchive(ctx, env, call, src, nil)
			if err != nil {
				return fail(name, "Failed to configure repo '%s': Error: failed to retrieve key from url %s: %v", name, a.KeyURL, err)
			}
			_, err = env.runOK(ctx, Command{Path: "apt-key", Args: []string{"add", local}})
			cleanup()
			if err != nil {
				return fail(name, "Failed to configure repo '%s': Error: failed to add key from %s: %v", name, a.KeyURL, err)
			}
		}
		if err := writeAptSource(env, matches, want, file, a.ClearFile); err != nil {
			return fail(name, "Failed to configure repo '%s': %v", name, err)
		}
	}
	if a.refresh() {
		if _, err := env.runOK(ctx, Command{Path: "apt-get", Args: []string{"-q", "update"}, Env: []string{"DEBIAN_FRONTEND=noninteractive"}}); err != nil {
			return Result{Name: name, Result: False(), Changes: changes, Comment: fmt.Sprintf("Configured package repo '%s', but the package database refresh failed: %v", name, err)}
		}
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Configured package repo '%s'", name)}
}

// writeAptSource puts want into file, replacing the line of the same
// repository there, and removes the repository's lines from other files.
func writeAptSource(env *Env, matches []aptMatch, want aptSource, file string, clear bool) error {
	byFile := map[string][]int{}
	for _, m := range matches {
		byFile[m.file] = append(byFile[m.file], m.idx)
	}
	files := sortedKeys(byFile)
	if !containsStr(files, file) {
		files = append(files, file)
	}
	for _, f := range files {
		var lines []string
		if !clear || f != file {
			var err error
			if lines, err = readLines(f); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		drop := map[int]bool{}
		for _, i := range byFile[f] {
			drop[i] = true
		}
		var out []string
		placed := false
		for i, l := range lines {
			if !drop[i] {
				out = append(out, l)
				continue
			}
			if f == file && !placed {
				out = append(out, want.line())
				placed = true
			}
		}
		if f == file && !placed {
			out = append(out, want.line())
		}
		if f != file && len(nonBlank(out)) == 0 && filepath.Dir(f) != filepath.Dir(env.aptSourcesList()) {
			if err := os.Remove(f); err != nil {
				return err
			}
			continue
		}
		if err := writeLines(f, out); err != nil {
			return err
		}
	}
	return nil
}

func nonBlank(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// sameYumValue compares option values as yum reads them: booleans in
// any spelling.
func sameYumValue(a, b string) bool {
	if a == b {
		return true
	}
	ab, ok1 := coerce.Bool(a)
	bb, ok2 := coerce.Bool(b)
	return ok1 && ok2 && ab == bb
}

// yumValue formats an option as Salt's yumpkg writes it (booleans 1/0).
func yumValue(v any) (string, bool) {
	if b, ok := v.(bool); ok {
		if b {
			return "1", true
		}
		return "0", true
	}
	return coerce.String(v)
}

func yumRepoManaged(env *Env, call Call, a *pkgrepoArgs) Result {
	name := call.Name
	if strings.ContainsAny(name, " []/\n") {
		return fail(name, "Failed to examine repo '%s': a yum repository's name is its id (no blanks, brackets or slashes)", name)
	}
	// the wanted keys, in Salt's usual order, then the other options
	want := map[string]string{}
	var order []string
	put := func(k, v string) {
		if _, ok := want[k]; !ok {
			order = append(order, k)
		}
		want[k] = v
	}
	human := a.Humanname
	if human == "" {
		human = name
	}
	put("name", human)
	for _, kv := range [][2]string{{"baseurl", a.Baseurl}, {"mirrorlist", a.Mirrorlist}, {"metalink", a.Metalink}} {
		if kv[1] != "" {
			put(kv[0], kv[1])
		}
	}
	if a.isDisabled() {
		put("enabled", "0")
	} else {
		put("enabled", "1")
	}
	if a.Gpgcheck != nil {
		v, ok := yumValue(a.Gpgcheck)
		if !ok {
			return failErr(name, call.ArgErrorf("gpgcheck", "must be a boolean or 0/1, got %s", coerce.Describe(a.Gpgcheck)))
		}
		put("gpgcheck", v)
	}
	if a.Gpgkey != "" {
		put("gpgkey", a.Gpgkey)
	}
	extra := sortedKeys(a.Rest)
	for _, k := range extra {
		if !yumOptions[k] {
			continue
		}
		v, ok := yumValue(a.Rest[k])
		if !ok {
			return failErr(name, call.ArgErrorf(k, "must be a string, number or boolean, got %s", coerce.Describe(a.Rest[k])))
		}
		put(k, v)
	}
	if len(a.Comments) > 0 {
		var cs []string
		for _, c := range a.Comments {
			cs = append(cs, "# "+strings.TrimSpace(strings.TrimLeft(c, "#")))
		}
		put("comments", strings.Join(cs, "\n"))
	}
	path, rf, err := env.findYumRepo(name)
	if err != nil {
		return fail(name, "Failed to examine repo '%s': %v", name, err)
	}
	changes := map[string]any{}
	var sec *iniSection
	if rf == nil {
		if a.Baseurl == "" && a.Mirrorlist == "" && a.Metalink == "" {
			return fail(name, "Failed to configure repo '%s': The repo does not exist and needs to be created, but either a baseurl or a mirrorlist needs to be given", name)
		}
		path = filepath.Join(env.yumReposDir(), name+".repo")
		if fi, err := os.Stat(env.yumReposDir()); err != nil || !fi.IsDir() {
			return fail(name, "Failed to configure repo '%s': The repo does not exist and needs to be created, but the directory %s does not exist", name, env.yumReposDir())
		}
		if _, err := os.Stat(path); err == nil {
			if rf, err = parseRepoFile(path); err != nil {
				return fail(name, "Failed to examine repo '%s': %v", name, err)
			}
		} else {
			rf = &repoFile{}
		}
		sec = &iniSection{name: name, values: map[string]string{}}
		rf.sections = append(rf.sections, sec)
		changes["repo"] = name
	} else {
		sec = rf.section(name)
		for _, k := range order {
			old, ok := sec.values[k]
			if !ok && k == "enabled" && want[k] == "1" {
				continue // yum's default
			}
			if ok && sameYumValue(old, want[k]) {
				continue
			}
			var o any
			if ok {
				o = old
			}
			changes[k] = map[string]any{"old": o, "new": want[k]}
		}
	}
	if len(changes) == 0 {
		return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Package repo '%s' already configured", name)}
	}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf(repoWouldChange, name)}
	}
	for _, k := range order {
		sec.set(k, want[k])
	}
	if err := writeLines(path, rf.render()); err != nil {
		return fail(name, "Failed to configure repo '%s': %v", name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Configured package repo '%s'", name)}
}
