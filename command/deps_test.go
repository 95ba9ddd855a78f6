package command

import (
	"os/exec"
	"strings"
	"testing"
)

// The dependency rules: ctl is a client of the bus (it knows the master
// only through proto), minion and master never import each other, and
// state and execution modules know nothing of the master. A package that
// pulls in more also slows ctl's start (their init functions run).
func TestDependencyRules(t *testing.T) {
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Skipf("go list: %v", err)
		}
		return strings.Fields(string(out))
	}
	const mod = "github.com/brine-cm/brine/"
	for pkg, forbidden := range map[string][]string{
		"cmd/ctl": {"master", "minion", "modules", "states", "render", "highstate", "pillar", "api", "runners"},
		"master":  {"minion"},
		"minion":  {"master"},
		"modules": {"master", "minion"},
		"states":  {"master", "minion"},
		"proto":   {"master", "minion", "modules", "states", "command", "target", "output", "render"},
	} {
		for _, d := range deps(mod + pkg) {
			for _, f := range forbidden {
				if d == mod+f {
					t.Errorf("%s imports %s", pkg, f)
				}
			}
		}
	}
}
