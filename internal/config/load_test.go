package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type loadSection struct {
	Listen  String     `yaml:"listen"`
	Topics  StringList `yaml:"topics"`
	Expire  *Seconds   `yaml:"expire"`
	Workers int        `yaml:"workers"`
}

type loadConfig struct {
	RootDir     string              `yaml:"root_dir"`
	FileRoots   map[string][]string `yaml:"file_roots"`
	PillarRoots map[string][]string `yaml:"pillar_roots"`
	KeepJobs    float64             `yaml:"keep_jobs"`
	API         *loadSection        `yaml:"api"`
	Reactor     []string            `yaml:"reactor"`
}

// writeTree writes files (relative name to content) under a new directory
// and returns the path of its master.yaml.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "master.yaml")
}

// Drop-ins merge as Salt's include_config: among themselves recursively
// (lists appended without duplicates), then each top-level key replaces
// the config file's.
func TestLoadDropInsMergeAsSalt(t *testing.T) {
	path := writeTree(t, map[string]string{
		"master.yaml":            "root_dir: /main\nkeep_jobs: 5\nfile_roots:\n  base: [/main]\n  dev: [/dev]\nreactor: [a]\n",
		"master.d/10-roots.conf": "file_roots:\n  base: [/srv/one, /srv/two]\nreactor: [b]\n",
		"master.d/20-roots.conf": "file_roots:\n  base: [/srv/two, /srv/three]\n  prod: [/prod]\nreactor: [b, c]\n",
		"master.d/30-api.conf":   "api:\n  listen: 127.0.0.1:8000\n",
		"master.d/ignored.txt":   "root_dir: /nope\n",
		"master.d/empty.conf":    "# nothing\n",
	})
	var c loadConfig
	d, err := Load(path, true, "master.d/*.conf", &c)
	if err != nil {
		t.Fatal(err)
	}
	want := loadConfig{
		RootDir:  "/main",
		KeepJobs: 5,
		// The drop-ins' file_roots replaced the file's (no dev), merged
		// among themselves.
		FileRoots: map[string][]string{"base": {"/srv/one", "/srv/two", "/srv/three"}, "prod": {"/prod"}},
		API:       &loadSection{Listen: "127.0.0.1:8000"},
		Reactor:   []string{"b", "c"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("merged = %+v\nwant     %+v", c, want)
	}
	if len(d.Files) != 5 || d.Files[0] != path {
		t.Errorf("files = %v", d.Files)
	}
	// A key is located in the file that gave it.
	if file, line := d.Where([]any{"file_roots", "prod"}); !strings.HasSuffix(file, "20-roots.conf") || line != 3 {
		t.Errorf("file_roots.prod at %s:%d", file, line)
	}
	if file, line := d.Where([]any{"keep_jobs"}); file != path || line != 2 {
		t.Errorf("keep_jobs at %s:%d", file, line)
	}
	err = d.Errorf([]any{"api", "listen"}, "bad")
	if !strings.Contains(err.Error(), "30-api.conf line 2: api.listen: bad") {
		t.Errorf("located error %q", err)
	}
}

// Drop-ins are read without a config file too (Salt reads master.d beside
// the default path).
func TestLoadDropInsWithoutFile(t *testing.T) {
	path := writeTree(t, map[string]string{"master.d/a.conf": "root_dir: /d\n"})
	var c loadConfig
	if _, err := Load(path, false, "master.d/*.conf", &c); err != nil || c.RootDir != "/d" {
		t.Fatalf("root_dir %q, err %v", c.RootDir, err)
	}
	if _, err := Load(path, true, "master.d/*.conf", &c); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("required missing file: %v", err)
	}
}

// Every error names the file that has it (the drop-in), the line and the
// key, in the user's words.
func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  []string
	}{
		"near miss top-level": {map[string]string{"master.yaml": "root_dir: /x\nfile_root:\n  base: [/srv]\n"},
			[]string{`master.yaml line 2: unknown key "file_root" (did you mean "file_roots"?)`}},
		"swapped letters": {map[string]string{"master.yaml": "kepe_jobs: 3\n"},
			[]string{`master.yaml line 1: unknown key "kepe_jobs" (did you mean "keep_jobs"?)`}},
		"unknown nested": {map[string]string{"master.yaml": "api:\n  lisen: x\n"},
			[]string{`master.yaml line 2: unknown key "lisen" in api (did you mean "listen"?)`}},
		"wrong type": {map[string]string{"master.yaml": "keep_jobs: soon\n"},
			[]string{`master.yaml line 1: "keep_jobs" must be a number, not the text "soon"`}},
		"strict string": {map[string]string{"master.yaml": "api:\n  listen: 8000\n"},
			[]string{`master.yaml line 2: "api.listen" must be a string, not the number "8000"`}},
		"string list item": {map[string]string{"master.yaml": "api:\n  topics: [a, 3]\n"},
			[]string{`master.yaml line 2: "api.topics[1]" must be a non-empty string`}},
		"bad duration": {map[string]string{"master.yaml": "api:\n  expire: -5\n"},
			[]string{`master.yaml line 2: "api.expire" "-5" is not a positive duration`}},
		"fraction": {map[string]string{"master.yaml": "api:\n  workers: 1.5\n"},
			[]string{`master.yaml line 2: "api.workers" must be a whole number, not the number "1.5"`}},
		"not a mapping": {map[string]string{"master.yaml": "- a\n- b\n"},
			[]string{`master.yaml line 1: the file must be a mapping of settings`}},
		"syntax": {map[string]string{"master.yaml": "root_dir: [\n"}, []string{"master.yaml: "}},
		"include": {map[string]string{"master.yaml": "include: [extra.conf]\n"},
			[]string{`master.yaml line 1: include: Salt's include is not supported: put the files in master.d/*.conf`}},
		"drop-in unknown key": {map[string]string{"master.yaml": "root_dir: /x\n", "master.d/api.conf": "# api\napi:\n  listne: x\n"},
			[]string{`master.d/api.conf line 3: unknown key "listne" in api (did you mean "listen"?)`}},
		"drop-in wrong type": {map[string]string{"master.yaml": "root_dir: /x\n", "master.d/a.conf": "keep_jobs: [1]\n"},
			[]string{`master.d/a.conf line 1: "keep_jobs" must be a number, not a list`}},
		"drop-in near miss": {map[string]string{"master.d/a.conf": "\n\nroot_dri: /x\n"},
			[]string{`master.d/a.conf line 3: unknown key "root_dri" (did you mean "root_dir"?)`}},
		"drop-in syntax": {map[string]string{"master.d/a.conf": "a: [\n"}, []string{"master.d/a.conf: "}},
		"errors of two files": {map[string]string{"master.yaml": "keep_jobs: x\n", "master.d/a.conf": "file_rots: {}\n"},
			[]string{`master.yaml line 1: "keep_jobs" must be a number`, `master.d/a.conf line 1: unknown key "file_rots" (did you mean "file_roots"?)`}},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeTree(t, tc.files)
			var c loadConfig
			_, err := Load(path, false, "master.d/*.conf", &c)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to contain %q", err, w)
				}
			}
			for _, goWord := range []string{"loadConfig", "loadSection", "config.String", "float64", "!!", "not found in type", "struct {"} {
				if strings.Contains(err.Error(), goWord) {
					t.Errorf("error %q names a Go type (%s)", err, goWord)
				}
			}
		})
	}
}

// Top-level keys that are no setting and no near miss are custom options,
// merged like settings.
func TestLoadCustomOptions(t *testing.T) {
	path := writeTree(t, map[string]string{
		"master.yaml":          "root_dir: /x\ngithub:\n  secret: abc\n  repos: [a]\nec2.autoscale:\n  region: us-east-1\nsmtp.host: mail\n",
		"master.d/github.conf": "github:\n  user: bot\n",
	})
	var c loadConfig
	d, err := Load(path, true, "master.d/*.conf", &c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		// The drop-in's github replaced the file's, as Salt's top-level
		// update does.
		"github":        map[string]any{"user": "bot"},
		"ec2.autoscale": map[string]any{"region": "us-east-1"},
		"smtp.host":     "mail",
	}
	if !reflect.DeepEqual(d.Custom, want) {
		t.Errorf("custom = %v, want %v", d.Custom, want)
	}
	if got := strings.Join(d.CustomKeys(), ","); got != "ec2.autoscale,github,smtp.host" {
		t.Errorf("keys %s", got)
	}
	if c.RootDir != "/x" {
		t.Errorf("root_dir %q", c.RootDir)
	}
}

func TestSecondsAndStringList(t *testing.T) {
	var c loadConfig
	if _, err := Parse(&c, Source{Name: "m.yaml", Data: []byte("api:\n  expire: 1.5\n  topics: one\n")}); err != nil {
		t.Fatal(err)
	}
	if time.Duration(*c.API.Expire) != 1500*time.Millisecond || len(c.API.Topics) != 1 || c.API.Topics[0] != "one" {
		t.Errorf("api = %+v", c.API)
	}
	c = loadConfig{}
	if _, err := Parse(&c, Source{Name: "m.yaml", Data: []byte("api:\n  expire: 12h\n")}); err != nil || time.Duration(*c.API.Expire) != 12*time.Hour {
		t.Errorf("12h: %v", err)
	}
}

// Salt's own settings are never taken for typos of Brine's: pillar_opts is
// two edits from pillar_roots, but Salt's; it is a custom option that
// SaltSettings names.
func TestLoadSaltSettingsAreNoNearMiss(t *testing.T) {
	var c loadConfig
	d, err := Parse(&c, Source{Name: "m.yaml", Data: []byte("pillar_opts: false\nworker_threads: 5\ngithub: {a: 1}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.SaltSettings(), ","); got != "pillar_opts,worker_threads" {
		t.Errorf("salt settings %q", got)
	}
	if len(d.Custom) != 3 {
		t.Errorf("custom %v", d.Custom)
	}
	// The same distance from a name that is no Salt setting is a typo.
	if _, err := Parse(&c, Source{Name: "m.yaml", Data: []byte("pillar_rots: {}\n")}); err == nil || !strings.Contains(err.Error(), `did you mean "pillar_roots"?`) {
		t.Errorf("pillar_rots: %v", err)
	}
}

// A check across the keys of an entry can fail only once drop-ins are
// merged: the error names the files that have the line.
func TestLoadErrorAfterMerge(t *testing.T) {
	type withSchedule struct {
		Schedule strictEntries `yaml:"schedule"`
	}
	path := writeTree(t, map[string]string{
		"master.d/a.conf": "schedule:\n  x: {seconds: 5}\n",
		"master.d/b.conf": "schedule:\n  x: {cron: '* * * * *'}\n",
	})
	var c withSchedule
	_, err := Load(path, false, "master.d/*.conf", &c)
	if err == nil || !strings.Contains(err.Error(), "a.conf or ") || !strings.Contains(err.Error(), "b.conf line 2 (merged with the drop-ins): x: seconds and cron") {
		t.Fatalf("err = %v", err)
	}
}

// strictEntries refuses an entry with both seconds and cron.
type strictEntries map[string]map[string]any

func (s *strictEntries) UnmarshalYAML(n *yaml.Node) error {
	var m map[string]map[string]any
	if err := n.Decode(&m); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		e := m[n.Content[i].Value]
		if e["seconds"] != nil && e["cron"] != nil {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s: seconds and cron", n.Content[i].Line, n.Content[i].Value)}}
		}
	}
	*s = m
	return nil
}
