package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	r := Report("master")
	for _, want := range []string{"Brine Version:\n", "           Brine: ", "          Binary: master\n", "Dependency Versions:\n", "              Go: " + runtime.Version() + "\n", "System Versions:\n"} {
		if !strings.Contains(r, want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
	if l := Line("ctl"); !strings.HasPrefix(l, "ctl ") || !strings.Contains(l, "commit ") {
		t.Errorf("Line = %q", l)
	}
}
