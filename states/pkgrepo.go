package states

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Package repositories for pkgrepo.managed and pkgrepo.absent: APT
// sources lines (sources.list and sources.list.d/*.list) on the Debian
// family, .repo files (/etc/yum.repos.d) on the RedHat family, written as
// Salt's aptpkg and yumpkg modules write them.

// repoFamily is "debian" or "redhat", from the os_family grain, else
// from the tools on PATH.
func repoFamily(env *Env) (string, error) {
	family := ""
	if env != nil {
		family, _ = env.Grains["os_family"].(string)
	}
	if family == "" {
		for _, probe := range []struct{ tool, family string }{{"apt-get", "Debian"}, {"dnf", "RedHat"}, {"yum", "RedHat"}} {
			if _, err := exec.LookPath(probe.tool); err == nil {
				family = probe.family
				break
			}
		}
	}
	switch strings.ToLower(family) {
	case "debian":
		return "debian", nil
	case "redhat":
		return "redhat", nil
	case "":
		return "", errors.New("Repo management not implemented on this platform: the os_family grain is not set and neither apt-get nor dnf/yum is on PATH")
	}
	return "", fmt.Errorf("Repo management not implemented on this platform (os_family %s; Debian and RedHat are supported)", family)
}

// onPATH reports whether tool is on PATH.
func onPATH(tool string) bool {
	_, err := exec.LookPath(tool)
	return err == nil
}

// aptSourcesList is the main sources file; sources.list.d is beside it.
func (env *Env) aptSourcesList() string {
	if env != nil && env.AptSourcesList != "" {
		return env.AptSourcesList
	}
	return "/etc/apt/sources.list"
}

// yumReposDir is where .repo files live.
func (env *Env) yumReposDir() string {
	if env != nil && env.YumReposDir != "" {
		return env.YumReposDir
	}
	return "/etc/yum.repos.d"
}

// --- APT ---

// aptSource is one sources line.
type aptSource struct {
	disabled bool
	typ      string   // deb, deb-src
	opts     []string // inside [ ]
	uri      string
	dist     string
	comps    []string
	comment  string
}

// parseAptLine reads a sources line ("deb [arch=amd64] URI DIST COMP...
// #comment"; "# deb ..." is a disabled one). ok is false for a line that
// is no source (blank, a plain comment).
func parseAptLine(line string) (aptSource, bool) {
	var s aptSource
	l := strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(l, "#"); ok {
		s.disabled = true
		l = strings.TrimSpace(rest)
	}
	body, comment, _ := strings.Cut(l, "#")
	s.comment = strings.TrimSpace(comment)
	fields := strings.Fields(body)
	if len(fields) < 3 || (fields[0] != "deb" && fields[0] != "deb-src") {
		return s, false
	}
	s.typ = fields[0]
	fields = fields[1:]
	if strings.HasPrefix(fields[0], "[") {
		var opts []string
		for len(fields) > 0 {
			f := fields[0]
			fields = fields[1:]
			end := strings.HasSuffix(f, "]")
			f = strings.TrimSuffix(strings.TrimPrefix(f, "["), "]")
			if f != "" {
				opts = append(opts, f)
			}
			if end {
				break
			}
		}
		s.opts = opts
	}
	if len(fields) < 2 {
		return s, false
	}
	s.uri, s.dist, s.comps = fields[0], fields[1], append([]string(nil), fields[2:]...)
	sort.Strings(s.comps)
	return s, true
}

// line is the source as Salt's aptpkg writes it.
func (s aptSource) line() string {
	var parts []string
	if s.disabled {
		parts = append(parts, "#")
	}
	parts = append(parts, s.typ)
	if len(s.opts) > 0 {
		parts = append(parts, "["+strings.Join(s.opts, " ")+"]")
	}
	parts = append(parts, s.uri, s.dist)
	if len(s.comps) > 0 {
		parts = append(parts, strings.Join(s.comps, " "))
	}
	if s.comment != "" {
		parts = append(parts, "#"+s.comment)
	}
	return strings.Join(parts, " ")
}

// sameRepo reports whether o is the same repository (type, URI without
// a trailing slash, distribution), whatever its components or state.
func (s aptSource) sameRepo(o aptSource) bool {
	return s.typ == o.typ && strings.TrimRight(s.uri, "/") == strings.TrimRight(o.uri, "/") && s.dist == o.dist
}

// aptSourceFiles lists sources.list and sources.list.d/*.list (plus
// extra when it is another file), those that exist.
func (env *Env) aptSourceFiles(extra string) []string {
	main := env.aptSourcesList()
	files := []string{main}
	if m, err := filepath.Glob(filepath.Join(filepath.Dir(main), "sources.list.d", "*.list")); err == nil {
		files = append(files, m...)
	}
	if extra != "" && !containsStr(files, extra) {
		files = append(files, extra)
	}
	var out []string
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			out = append(out, f)
		}
	}
	return out
}

// aptMatch is a sources line found in a file.
type aptMatch struct {
	file string
	idx  int // line index
	src  aptSource
}

// findAptSources finds the lines of the same repository as want.
func (env *Env) findAptSources(want aptSource, extra string) ([]aptMatch, error) {
	var out []aptMatch
	for _, f := range env.aptSourceFiles(extra) {
		lines, err := readLines(f)
		if err != nil {
			return nil, err
		}
		for i, l := range lines {
			if s, ok := parseAptLine(l); ok && s.sameRepo(want) {
				out = append(out, aptMatch{file: f, idx: i, src: s})
			}
		}
	}
	return out, nil
}

func readLines(p string) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// writeLines writes lines (each ending in a newline) keeping the file's
// mode, or 0644 for a new file.
func writeLines(p string, lines []string) error {
	mode, uid, gid := uint32(0o644), -1, -1
	if fi, err := os.Stat(p); err == nil {
		uid, gid, mode = statOwner(fi)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	} else if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return writeAtomic(p, func(w io.Writer) error {
		for _, l := range lines {
			if _, err := io.WriteString(w, l+"\n"); err != nil {
				return err
			}
		}
		return nil
	}, mode, uid, gid)
}

// aptKeyPresent reports whether apt-key knows keyid (apt-key export
// prints it).
func aptKeyPresent(ctx context.Context, env *Env, keyid string) (bool, error) {
	res, err := env.run(ctx, Command{Path: "apt-key", Args: []string{"export", keyid}, Env: []string{"LC_ALL=C"}})
	if err != nil {
		return false, err
	}
	return res.Retcode == 0 && strings.Contains(res.Stdout, "BEGIN PGP PUBLIC KEY BLOCK"), nil
}

// --- yum/dnf .repo files ---

// iniSection is one [section] of a .repo file, keys in file order.
type iniSection struct {
	name   string
	keys   []string
	values map[string]string
}

// repoFile is a parsed .repo file: what comes before the first section,
// and the sections.
type repoFile struct {
	header   []string
	sections []*iniSection
}

func parseRepoFile(p string) (*repoFile, error) {
	lines, err := readLines(p)
	if err != nil {
		return nil, err
	}
	rf := &repoFile{}
	var cur *iniSection
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			cur = &iniSection{name: strings.TrimSpace(t[1 : len(t)-1]), values: map[string]string{}}
			rf.sections = append(rf.sections, cur)
		case cur == nil:
			rf.header = append(rf.header, l)
		case t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";"):
			if strings.HasPrefix(t, "#") {
				cur.addComment(t)
			}
		case (l[0] == ' ' || l[0] == '\t') && len(cur.keys) > 0:
			k := cur.keys[len(cur.keys)-1]
			cur.values[k] += "\n" + t
		default:
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				return nil, fmt.Errorf("%s: line %q is not key=value", p, t)
			}
			cur.set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return rf, nil
}

func (s *iniSection) set(k, v string) {
	if _, ok := s.values[k]; !ok {
		s.keys = append(s.keys, k)
	}
	s.values[k] = v
}

func (s *iniSection) addComment(t string) {
	c := s.values["comments"]
	if c != "" {
		c += "\n"
	}
	s.set("comments", c+"# "+strings.TrimSpace(strings.TrimLeft(t, "#")))
}

func (rf *repoFile) section(name string) *iniSection {
	for _, s := range rf.sections {
		if s.name == name {
			return s
		}
	}
	return nil
}

// render is the file as Salt's yumpkg writes it: each section's keys,
// then its comments, then a blank line.
func (rf *repoFile) render() []string {
	lines := append([]string(nil), rf.header...)
	for _, s := range rf.sections {
		lines = append(lines, "["+s.name+"]")
		for _, k := range s.keys {
			if k == "comments" {
				continue
			}
			lines = append(lines, k+"="+strings.ReplaceAll(s.values[k], "\n", "\n "))
		}
		if c := s.values["comments"]; c != "" {
			lines = append(lines, strings.Split(c, "\n")...)
		}
		lines = append(lines, "")
	}
	return lines
}

// findYumRepo finds the .repo file holding section name.
func (env *Env) findYumRepo(name string) (string, *repoFile, error) {
	files, err := filepath.Glob(filepath.Join(env.yumReposDir(), "*.repo"))
	if err != nil {
		return "", nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		rf, err := parseRepoFile(f)
		if err != nil {
			return "", nil, err
		}
		if rf.section(name) != nil {
			return f, rf, nil
		}
	}
	return "", nil, nil
}
