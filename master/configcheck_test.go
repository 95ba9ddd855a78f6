package master

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigRefusesNegativeAndAbsurdValues(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"root_dir: /x\nkeep_jobs: -1\n", "line 2: keep_jobs: -1 is negative"},
		{"keep_jobs: 100000000\n", "line 1: keep_jobs: 1e+08 is too large"},
		{"keep_jobs: .nan\n", "keep_jobs: NaN is not a number"},
		{"mine_ttl: .inf\n", "mine_ttl: +Inf is not a number"},
		{"listen: 127.0.0.1:99999\n", "line 1: listen: \"127.0.0.1:99999\": the port must be a number from 1 to 65535"},
		{"listen: 127.0.0.1:-4\n", "listen:"},
		{"listen: nonsense\n", `listen: "nonsense" is not HOST:PORT`},
		{"root_dir: /x\nnodegroups:\n  a: N@b\n  b: N@a\n", `line 3: nodegroups.a: nodegroup "a" includes itself (a -> b -> a)`},
		{"nodegroups:\n  a: N@missing\n", `line 2: nodegroups.a: nodegroup "missing" is not defined (defined: a)`},
		{"state_output: loud\n", `line 1: state_output: "loud" is not full, terse, mixed or changes`},
		{"nodegroups:\n  a: {x: 1}\n", `nodegroup "a" must be a compound expression or a list of ids, not a mapping`},
		{"api:\n  listen: 127.0.0.1:0\n", `line 2: api.listen: "127.0.0.1:0": the port must be`},
		{"root_dir: /x\npy_interpreter: /nonexistent/python3\n", "line 2: py_interpreter: /nonexistent/python3: "},
	} {
		path := filepath.Join(t.TempDir(), "master.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: err = %v, want it to contain %q and the file", tc.yaml, err, tc.want)
		}
	}
}

func TestConfigAcceptsSensibleValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.yaml")
	if err := os.WriteFile(path, []byte("keep_jobs: 0.5\nmine_ttl: -1\nlisten: 0.0.0.0:4506\napi:\n  listen: 127.0.0.1:8000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeepJobs != 0.5 || c.MineTTL != -1 {
		t.Errorf("config = %+v", c)
	}
	// Flags are checked too, after they are applied.
	c.Listen = "127.0.0.1:70000"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Validate with a bad --listen = %v", err)
	}
}
