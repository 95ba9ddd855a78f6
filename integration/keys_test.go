package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// TestKeys walks keys through Salt's states with auto_accept off: pending,
// accepted (then answering), rejected, deleted; --all; confirmation;
// fingerprints.
func TestKeys(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": false})
	c.StartMinion(c.MinionConfig("m-1", nil))
	c.StartMinion(c.MinionConfig("m-2", nil))

	kl := waitKeys(t, c, "m-1 and m-2 pending", func(k keyLists) bool { return equalIDs(k.Pre, "m-1", "m-2") })
	if len(kl.Minions)+len(kl.Rejected)+len(kl.Denied) != 0 {
		t.Fatalf("new minions must only be pending: %v", kl)
	}
	if r := c.Ctl("test.ping", "*", "--timeout", "2"); r.Code != 2 {
		t.Errorf("ping with only pending keys: exit %d, want 2 (no minions): %s%s", r.Code, r.Stdout, r.Stderr)
	}

	// Without --yes and without a terminal, nothing is changed.
	r := c.Ctl("key", "accept", "m-1")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--yes") {
		t.Errorf("accept without --yes on no terminal: exit %d, stderr %q; want 2 asking for --yes", r.Code, r.Stderr)
	}
	if r := c.Ctl("key", "delete", "--all"); r.Code != 2 {
		t.Errorf("delete --all without --yes: exit %d, want 2", r.Code)
	}
	if kl := listKeys(t, c); !equalIDs(kl.Pre, "m-1", "m-2") || len(kl.Minions) != 0 {
		t.Fatalf("refused confirmation changed keys: %v", kl)
	}

	// Accept: the minion answers.
	if r := c.Ctl("key", "accept", "m-1", "--yes"); r.Code != 0 || !strings.Contains(r.Stdout, "m-1") {
		t.Fatalf("key accept m-1: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	waitPing(t, c, "m-1", 1)

	// Reject a pending key: it never answers.
	if r := c.Ctl("key", "reject", "m-2", "--yes"); r.Code != 0 {
		t.Fatalf("key reject m-2: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	kl = listKeys(t, c)
	if !equalIDs(kl.Minions, "m-1") || !equalIDs(kl.Rejected, "m-2") || len(kl.Pre) != 0 {
		t.Fatalf("after accept m-1, reject m-2: %v", kl)
	}
	if r := c.Ctl("test.ping", "m-2", "--timeout", "2"); r.Code != 2 {
		t.Errorf("ping of a rejected minion: exit %d, want 2: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if ids := jsonIDs(t, c.Ctl("test.ping", "*", "--out", "json", "--timeout", "3")); strings.Join(ids, ",") != "m-1" {
		t.Errorf("ping '*' reached %v, want only m-1", ids)
	}

	// Fingerprints match the minions' own public keys.
	pub1 := minionPub(t, minionRoot(c, "m-1"))
	pub2 := minionPub(t, minionRoot(c, "m-2"))
	r = c.Ctl("key", "finger", "m-1")
	if r.Code != 0 || !strings.Contains(r.Stdout, "m-1") || !strings.Contains(r.Stdout, fingerprint(pub1)) {
		t.Errorf("key finger m-1: exit %d, stdout %q; want fingerprint %s", r.Code, r.Stdout, fingerprint(pub1))
	}
	if strings.Contains(r.Stdout, "m-2") {
		t.Errorf("key finger m-1 shows m-2: %q", r.Stdout)
	}
	var fingers map[string]map[string]string
	r = c.Ctl("key", "finger", "--out", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &fingers); err != nil {
		t.Fatalf("key finger --out json: %q: %v", r.Stdout, err)
	}
	if fingers["minions"]["m-1"] != fingerprint(pub1) || fingers["minions_rejected"]["m-2"] != fingerprint(pub2) {
		t.Errorf("key finger --out json = %v, want m-1 %s accepted and m-2 %s rejected", fingers, fingerprint(pub1), fingerprint(pub2))
	}

	// Delete a key whose minion is gone: it disappears.
	c.StopMinion("m-2")
	if r := c.Ctl("key", "delete", "m-2", "--yes"); r.Code != 0 || !strings.Contains(r.Stdout, "m-2") {
		t.Fatalf("key delete m-2: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	kl = listKeys(t, c)
	if !equalIDs(kl.Minions, "m-1") || len(kl.Pre)+len(kl.Rejected)+len(kl.Denied) != 0 {
		t.Fatalf("after delete m-2: %v", kl)
	}
	if r := c.Ctl("key", "delete", "nosuch", "--yes"); r.Code == 0 {
		t.Errorf("delete of an unknown key: exit 0, want an error")
	}

	// --all accepts every pending key.
	c.StartMinion(c.MinionConfig("m-3", nil))
	c.StartMinion(c.MinionConfig("m-4", nil))
	waitKeys(t, c, "m-3 and m-4 pending", func(k keyLists) bool { return equalIDs(k.Pre, "m-3", "m-4") })
	if r := c.Ctl("key", "accept", "--all", "--yes"); r.Code != 0 {
		t.Fatalf("key accept --all: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if kl := listKeys(t, c); !equalIDs(kl.Minions, "m-1", "m-3", "m-4") || len(kl.Pre) != 0 {
		t.Fatalf("after accept --all: %v", kl)
	}
	waitPing(t, c, "*", 3)

	// --all deletes every key.
	for _, id := range []string{"m-1", "m-3", "m-4"} {
		c.StopMinion(id)
	}
	if r := c.Ctl("key", "delete", "--all", "--yes"); r.Code != 0 {
		t.Fatalf("key delete --all: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if kl := listKeys(t, c); len(kl.Minions)+len(kl.Pre)+len(kl.Rejected)+len(kl.Denied) != 0 {
		t.Fatalf("after delete --all: %v", kl)
	}
}

// TestKeysAutosign: ids matching a glob in autosign_file are accepted on
// first contact, others stay pending.
func TestKeysAutosign(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	autosign := filepath.Join(dir, "autosign.conf")
	if err := os.WriteFile(autosign, []byte("# web servers\nweb-*\n\n  db-[12]  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{"auto_accept": false, "autosign_file": autosign})
	for _, id := range []string{"web-1", "db-1", "db-3", "app-1"} {
		c.StartMinion(c.MinionConfig(id, nil))
	}
	kl := waitKeys(t, c, "all four keys known", func(k keyLists) bool { return len(k.Minions)+len(k.Pre) == 4 })
	if !equalIDs(kl.Minions, "db-1", "web-1") || !equalIDs(kl.Pre, "app-1", "db-3") {
		t.Fatalf("autosign: %v; want db-1, web-1 accepted and app-1, db-3 pending", kl)
	}
	waitPing(t, c, "*", 2)
}

// TestKeysDenied: a second process with the same id but its own key is
// denied and never runs a job; the original keeps working.
func TestKeysDenied(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("dup", map[string]any{"who": "original"}))
	waitPing(t, c, "dup", 1)

	cfg := c.MinionConfig("dup", map[string]any{"who": "impostor"})
	cfg["root_dir"] = filepath.Join(c.Dir, "impostor")
	impostor := startExtraMinion(t, c, "dup-impostor", cfg)
	impPub := minionPub(t, filepath.Join(c.Dir, "impostor"))

	kl := waitKeys(t, c, "impostor key denied", func(k keyLists) bool { return equalIDs(k.Denied, "dup") })
	if !equalIDs(kl.Minions, "dup") || len(kl.Pre)+len(kl.Rejected) != 0 {
		t.Fatalf("with an impostor: %v; want dup accepted and denied", kl)
	}
	var fingers map[string]map[string]string
	r := c.Ctl("key", "finger", "dup", "--out", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &fingers); err != nil {
		t.Fatalf("key finger: %q: %v", r.Stdout, err)
	}
	if fingers["minions_denied"]["dup"] != fingerprint(impPub) || fingers["minions"]["dup"] != fingerprint(minionPub(t, minionRoot(c, "dup"))) {
		t.Errorf("key finger dup = %v; want the impostor's key under minions_denied", fingers)
	}

	// Jobs reach only the original: each run appends one line.
	hits := filepath.Join(c.Dir, "hits")
	for i := 1; i <= 2; i++ {
		m, r := ctlJSON(t, c, "cmd.run", "dup", "echo hit >> "+hits+"; echo done")
		if r.Code != 0 || m["dup"] != "done" {
			t.Fatalf("cmd.run on dup: exit %d: %v %s", r.Code, m, r.Stderr)
		}
		if n := countLines(t, hits); n != i {
			t.Fatalf("after %d runs the command ran %d times: the impostor ran a job", i, n)
		}
	}
	m, r := ctlJSON(t, c, "grains.get", "dup", "who")
	if r.Code != 0 || m["dup"] != "original" {
		t.Errorf("grains.get who on dup = %v (exit %d), want original", m, r.Code)
	}
	if strings.Contains(impostor.Output(), "msg=\"connected to master\"") {
		t.Errorf("the impostor connected:\n%s", impostor.Output())
	}
	// It keeps knocking: the state stays denied, the original keeps working.
	c.StopMinion("dup")
	c.StartMinion(c.MinionConfig("dup", map[string]any{"who": "original"}))
	waitPing(t, c, "dup", 1)
	if kl := listKeys(t, c); !equalIDs(kl.Minions, "dup") || !equalIDs(kl.Denied, "dup") {
		t.Errorf("after the original restarted: %v", kl)
	}
}

// TestKeyDeleteCutsConnection: deleting (or rejecting) an accepted key cuts
// the minion's live connection at once; it comes back only as pending.
func TestKeyDeleteCutsConnection(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": false})
	p := c.StartMinion(c.MinionConfig("k-1", nil))
	waitKeys(t, c, "k-1 pending", func(k keyLists) bool { return equalIDs(k.Pre, "k-1") })
	if r := c.Ctl("key", "accept", "k-1", "--yes"); r.Code != 0 {
		t.Fatalf("key accept: exit %d: %s", r.Code, r.Stderr)
	}
	waitPing(t, c, "k-1", 1)

	cut := func(action string) {
		t.Helper()
		before := strings.Count(p.Output(), "disconnected from master")
		r := c.Ctl("key", action, "k-1", "--yes")
		done := time.Now()
		if r.Code != 0 {
			t.Fatalf("key %s: exit %d: %s%s", action, r.Code, r.Stdout, r.Stderr)
		}
		if !testutil.Poll(time.Second, func() bool { return strings.Count(p.Output(), "disconnected from master") > before }) {
			t.Fatalf("key %s: the minion was not disconnected within 1s of ctl returning", action)
		}
		t.Logf("key %s: minion disconnected %s after ctl returned", action, time.Since(done).Round(time.Millisecond))
	}

	cut("delete")
	kl := waitKeys(t, c, "k-1 back as pending", func(k keyLists) bool { return equalIDs(k.Pre, "k-1") })
	if len(kl.Minions) != 0 {
		t.Fatalf("after delete: %v", kl)
	}
	if r := c.Ctl("test.ping", "k-1", "--timeout", "2"); r.Code != 2 {
		t.Errorf("ping of a deleted (now pending) minion: exit %d, want 2: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := c.Ctl("key", "accept", "k-1", "--yes"); r.Code != 0 {
		t.Fatalf("key accept again: exit %d: %s", r.Code, r.Stderr)
	}
	waitPing(t, c, "k-1", 1)

	// Rejecting an accepted key cuts it too, and it stays out.
	cut("reject")
	if kl := listKeys(t, c); !equalIDs(kl.Rejected, "k-1") || len(kl.Minions)+len(kl.Pre) != 0 {
		t.Fatalf("after reject: %v", kl)
	}
	if r := c.Ctl("test.ping", "k-1", "--timeout", "2"); r.Code != 2 {
		t.Errorf("ping of a rejected minion: exit %d, want 2", r.Code)
	}
	if r := c.Ctl("key", "accept", "k-1", "--yes"); r.Code != 0 {
		t.Fatalf("key accept of the rejected key: exit %d: %s", r.Code, r.Stderr)
	}
	waitPing(t, c, "k-1", 1)
}
