// Package version describes a Brine binary: its release, the commit and
// date it was built from, and the versions of Go and of the libraries that
// matter to an operator (`--version`, `--versions-report`).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/brine-cm/brine/proto"
)

// Set at build time by the Makefile and the package build:
//
//	-ldflags "-X github.com/brine-cm/brine/internal/version.commit=... -X ...date=..."
//
// Without them the build's own VCS stamp is used when there is one.
var (
	commit string
	date   string
)

// Info is what a binary knows of its build.
type Info struct {
	Version string
	Commit  string
	Date    string
	Go      string
	// Deps are the versions of the modules an operator asks about,
	// in the order of depNames; absent ones are left out.
	Deps [][2]string
}

// depNames are the modules worth reporting, by their path and the name
// shown.
var depNames = [][2]string{
	{"github.com/nats-io/nats-server/v2", "nats-server"},
	{"github.com/nats-io/nats.go", "nats.go"},
	{"github.com/aws/aws-sdk-go-v2", "aws-sdk-go-v2"},
	{"github.com/expr-lang/expr", "expr"},
	{"gopkg.in/yaml.v3", "yaml.v3"},
}

// Get reads the build information of the running binary.
func Get() Info {
	in := Info{Version: proto.Version, Commit: commit, Date: date, Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && in.Commit == "":
				in.Commit = s.Value
				if len(in.Commit) > 12 {
					in.Commit = in.Commit[:12]
				}
			case s.Key == "vcs.time" && in.Date == "":
				in.Date = s.Value
			case s.Key == "vcs.modified" && s.Value == "true" && in.Commit != "" && !strings.HasSuffix(in.Commit, "-dirty"):
				in.Commit += "-dirty"
			}
		}
		versions := map[string]string{}
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v = d.Replace.Version + " (replaced)"
			}
			versions[d.Path] = v
		}
		for _, n := range depNames {
			if v, ok := versions[n[0]]; ok {
				in.Deps = append(in.Deps, [2]string{n[1], v})
			}
		}
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	if in.Date == "" {
		in.Date = "unknown"
	}
	return in
}

// Line is the one-line `--version` answer: "master 0.1.0 (commit abc, built DATE)".
func Line(binary string) string {
	in := Get()
	return fmt.Sprintf("%s %s (commit %s, built %s, %s)", binary, in.Version, in.Commit, in.Date, in.Go)
}

// Report is `--versions-report`, laid out as Salt's.
func Report(binary string) string {
	in := Get()
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%16s: %s\n", k, v) }
	b.WriteString("Brine Version:\n")
	row("Brine", in.Version)
	row("Binary", binary)
	row("Commit", in.Commit)
	row("Build date", in.Date)
	b.WriteString("\nDependency Versions:\n")
	row("Go", in.Go)
	for _, d := range in.Deps {
		row(d[0], d[1])
	}
	b.WriteString("\nSystem Versions:\n")
	row("platform", runtime.GOOS+"/"+runtime.GOARCH)
	row("cpus", fmt.Sprint(runtime.NumCPU()))
	return b.String()
}
