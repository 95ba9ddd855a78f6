package modules

import (
	"os/exec"
	"testing"
)

var versionPairs = [][2]string{
	{"1.0", "1.0"}, {"1.0", "1.1"}, {"1.10", "1.9"}, {"1.0~rc1", "1.0"}, {"1.0~rc1", "1.0~rc2"},
	{"0.2.4-0ubuntu1", "0.2.4.1-0ubuntu1"}, {"1:1.0", "2.0"}, {"1.0-1", "1.0-2"}, {"1.0a", "1.0"},
	{"1.0+dfsg-1", "1.0-1"}, {"2.30-1ubuntu1", "2.30-1"}, {"010", "10"}, {"1.0.0", "1.0"}, {"7.4.052-1", "7.4.52-1"},
	{"1.2.3-4.el8", "1.2.3-4.el8_1"}, {"1:0", "0:9"}, {"1.0~~", "1.0~"}, {"a", "b"}, {"1.0-0", "1.0"},
}

// Debian ordering is checked against the real dpkg where the host has it.
func TestDebVersionCmpMatchesDpkg(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg is not on this host")
	}
	for _, p := range versionPairs {
		want := 0
		if exec.Command(dpkg, "--compare-versions", p[0], "lt", p[1]).Run() == nil {
			want = -1
		} else if exec.Command(dpkg, "--compare-versions", p[0], "gt", p[1]).Run() == nil {
			want = 1
		}
		if got := debVersionCmp(p[0], p[1]); got != want {
			t.Errorf("debVersionCmp(%q, %q) = %d, dpkg says %d", p[0], p[1], got, want)
		}
		if got := debVersionCmp(p[1], p[0]); got != -want {
			t.Errorf("debVersionCmp(%q, %q) = %d, dpkg says %d", p[1], p[0], got, -want)
		}
	}
}

// rpm ordering, from rpm's own test suite (rpmvercmp.at).
func TestRPMVersionCmp(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0.1", "2.0.1a", -1}, {"2.0.1a", "2.0.1", 1},
		{"5.5p1", "5.5p2", -1}, {"5.5p10", "5.5p1", 1}, {"10xyz", "10.1xyz", -1}, {"xyz10", "xyz10.1", -1},
		{"xyz.4", "8", -1}, {"1.0~rc1", "1.0", -1}, {"1.0~rc1", "1.0~rc2", -1}, {"1.0^", "1.0", 1},
		{"1.0^git1", "1.0^git2", -1}, {"1.0^git1", "1.01", -1}, {"1:1.0", "2.0", 1}, {"1.0-1.el8", "1.0-1.el8_1", -1},
		{"a", "1", -1}, {"1", "a", 1}, {"1.2.3", "1.2.3.0", -1},
	} {
		if got := rpmVersionCmp(c.a, c.b); got != c.want {
			t.Errorf("rpmVersionCmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
