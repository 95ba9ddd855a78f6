package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// TestExternalNATS: the master on an existing nats-server (nats_url), with
// the accounts and auth callout `master --print-nats-config` gives it.
func TestExternalNATS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nsBin := filepath.Join(dir, "nats-server")
	build := exec.Command("go", "build", "-o", nsBin, "github.com/nats-io/nats-server/v2")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}

	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "master")
	mcfg := filepath.Join(dir, "print.yaml")
	if err := testutil.WriteYAML(mcfg, map[string]any{"root_dir": root}); err != nil {
		t.Fatal(err)
	}
	printed, err := exec.Command(filepath.Join(binDir, "master"), "--print-nats-config", "-c", mcfg).Output()
	if err != nil {
		t.Fatalf("master --print-nats-config: %v", err)
	}
	for _, want := range []string{"accounts", "auth_callout", "system_account"} {
		if !strings.Contains(string(printed), want) {
			t.Fatalf("printed nats config lacks %s:\n%s", want, printed)
		}
	}
	// The printed text is meant to be included as is; the operator adds
	// where to listen and where JetStream keeps its files.
	conf := string(printed) + fmt.Sprintf("\nlisten: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n}\n", port, filepath.Join(dir, "js"))
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ns, err := testutil.Start("nats-server", nsBin, "-c", confPath)
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the cluster's: stopped after the master and minions.
	t.Cleanup(func() {
		_ = ns.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("nats-server output:\n%s", ns.Output())
		}
	})
	testutil.Eventually(t, 30*time.Second, "nats-server to listen", func() bool {
		select {
		case <-ns.Done():
			t.Fatalf("nats-server exited:\n%s", ns.Output())
		default:
		}
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			conn.Close()
		}
		return err == nil
	})

	c := testutil.NewCluster(t, binDir)
	c.Dir, c.Port = dir, port // the master's root_dir is root; minions and ctl use the server's port
	c.MasterConfig["nats_url"] = c.URL()
	c.MasterConfig["auto_accept"] = true
	c.StartMaster()
	c.StartMinion(c.MinionConfig("ext-1", nil))
	p2 := c.StartMinion(c.MinionConfig("ext-2", nil))
	waitPing(t, c, "*", 2)
	if kl := listKeys(t, c); !equalIDs(kl.Minions, "ext-1", "ext-2") {
		t.Fatalf("keys: %v", kl)
	}
	jid := asyncJID(t, c, "test.echo", "ext-1", "external")
	if rets := waitJobReturns(t, c, jid, 1); rets["ext-1"] != "external" {
		t.Errorf("jobs show: %v", rets)
	}

	// Deleting a key cuts the connection on an external server too.
	before := strings.Count(p2.Output(), "disconnected from master")
	if r := c.Ctl("key", "delete", "ext-2", "--yes"); r.Code != 0 {
		t.Fatalf("key delete: exit %d: %s", r.Code, r.Stderr)
	}
	if !testutil.Poll(time.Second, func() bool { return strings.Count(p2.Output(), "disconnected from master") > before }) {
		t.Fatal("ext-2 was not disconnected within 1s of the delete")
	}
	// With auto_accept it comes back, under its new key record.
	waitPing(t, c, "*", 2)
}
