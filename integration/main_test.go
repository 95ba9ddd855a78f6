// Package integration tests the real master, minion and ctl binaries
// together: real processes on loopback ports, real NATS, real files.
package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/brine-cm/brine/internal/testutil"
)

// binDir holds the binaries built once for all tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "brine-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = filepath.Join(dir, "bin")
	if err := testutil.Build(binDir, "./cmd/simfleet"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cluster starts a master with cfg (merged over the defaults) and returns
// the cluster.
func cluster(t *testing.T, cfg map[string]any) *testutil.Cluster {
	t.Helper()
	c := testutil.NewCluster(t, binDir)
	for k, v := range cfg {
		c.MasterConfig[k] = v
	}
	c.StartMaster()
	return c
}
