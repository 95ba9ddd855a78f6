package config

import (
	"strings"
	"testing"
)

type inner struct {
	Listen string `yaml:"listen"`
	Users  []struct {
		Name string `yaml:"name"`
	} `yaml:"users"`
}

type testConfig struct {
	RootDir    string         `yaml:"root_dir"`
	KeepJobs   float64        `yaml:"keep_jobs"`
	AutoAccept bool           `yaml:"auto_accept"`
	FileRoots  map[string]any `yaml:"file_roots"`
	API        inner          `yaml:"api"`
	Workers    int            `yaml:"workers"`
}

func TestDecodeStrictErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		want []string
	}{
		"near miss": {"root_dir: /x\nkeep_job: 3\n", []string{`master.yaml line 2: unknown key "keep_job" (did you mean "keep_jobs"?)`}},
		"far miss":  {"rest_cherrypy:\n  port: 8000\n", []string{`master.yaml line 1: unknown key "rest_cherrypy"`}},
		"nested":    {"api:\n  listne: :8000\n", []string{`master.yaml line 2: unknown key "listne" in api (did you mean "listen"?)`}},
		"number":    {"keep_jobs: soon\n", []string{`master.yaml line 1: "keep_jobs" must be a number, not the text "soon"`}},
		"bool":      {"auto_accept: maybe\n", []string{`master.yaml line 1: "auto_accept" must be true or false, not the text "maybe"`}},
		"fraction":  {"workers: 2.5\n", []string{`master.yaml line 1: "workers" must be a whole number, not the number "2.5"`}},
		"two":       {"keep_jobs: x\nworkerz: 1\n", []string{`line 1: "keep_jobs" must be a number`, `line 2: unknown key "workerz" (did you mean "workers"?)`}},
		"syntax":    {"root_dir: [\n", []string{"master.yaml: "}},
	} {
		var c testConfig
		err := DecodeStrict("master.yaml", []byte(tc.yaml), &c)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q, want it to contain %q", name, err, w)
			}
		}
		for _, goWord := range []string{"testConfig", "config.inner", "float64", "!!str", "not found in type"} {
			if strings.Contains(err.Error(), goWord) {
				t.Errorf("%s: error %q names a Go type (%s)", name, err, goWord)
			}
		}
	}
}

func TestDecodeStrictOK(t *testing.T) {
	var c testConfig
	for _, doc := range []string{"", "# only a comment\n", "root_dir: /x\nkeep_jobs: 2\napi:\n  listen: ':1'\n"} {
		if err := DecodeStrict("m.yaml", []byte(doc), &c); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
	if c.RootDir != "/x" || c.KeepJobs != 2 || c.API.Listen != ":1" {
		t.Errorf("decoded %+v", c)
	}
}
