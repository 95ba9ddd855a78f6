package modules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// standIns are executable stand-ins for tools this machine lacks (or that
// a test must not really run: systemctl, apt-get, npm, ...). Each records
// its command line, one per line, then runs the body given for it.
type standIns struct{ dir, log string }

// newStandIns puts an empty directory of stand-ins first on PATH; with
// only set, it is the whole PATH, so that the host's real tools are not
// found.
func newStandIns(t *testing.T, only bool) *standIns {
	t.Helper()
	s := &standIns{dir: t.TempDir()}
	s.log = filepath.Join(s.dir, "calls.log")
	path := s.dir
	if !only {
		path += string(os.PathListSeparator) + os.Getenv("PATH")
	}
	t.Setenv("PATH", path)
	return s
}

// add writes the stand-in name; body is shell run after the call is
// recorded, with the arguments in "$@".
func (s *standIns) add(t *testing.T, name, body string) {
	t.Helper()
	script := "#!/bin/sh\nprintf '%s\\n' \"" + name + " $*\" >> '" + s.log + "'\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(s.dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// calls returns the recorded command lines and forgets them.
func (s *standIns) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(s.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.log); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// mapGrains is a GrainStore over a map.
type mapGrains map[string]any

func (g mapGrains) Items() map[string]any { return g }
func (g mapGrains) Get(key string) (any, bool) {
	v, ok := g[key]
	return v, ok
}
func (g mapGrains) SetVal(key string, val any) error { g[key] = val; return nil }
