package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// waitLong bounds waits that include a minion's reconnect backoff (up to
// 5s between attempts) on a loaded machine.
const waitLong = 45 * time.Second

// keyLists is `ctl key list --out json`.
type keyLists struct {
	Minions  []string `json:"minions"`
	Pre      []string `json:"minions_pre"`
	Rejected []string `json:"minions_rejected"`
	Denied   []string `json:"minions_denied"`
}

// listKeys runs `ctl key list --out json` and checks its shape: exactly the
// four Salt key lists, each an array (never null).
func listKeys(t *testing.T, c *testutil.Cluster, extra ...string) keyLists {
	t.Helper()
	r := c.Ctl(append([]string{"key", "list", "--out", "json"}, extra...)...)
	if r.Code != 0 {
		t.Fatalf("key list: exit %d: %s", r.Code, r.Stderr)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.Stdout), &raw); err != nil {
		t.Fatalf("key list: bad json %q: %v", r.Stdout, err)
	}
	for _, k := range []string{"minions", "minions_pre", "minions_rejected", "minions_denied"} {
		v, ok := raw[k]
		if !ok || !bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
			t.Fatalf("key list: %q is missing or not a list in %s", k, r.Stdout)
		}
	}
	if len(raw) != 4 {
		t.Fatalf("key list: want exactly 4 lists, got %s", r.Stdout)
	}
	var kl keyLists
	dec := json.NewDecoder(strings.NewReader(r.Stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kl); err != nil {
		t.Fatalf("key list: %v in %s", err, r.Stdout)
	}
	return kl
}

func (k keyLists) String() string {
	return fmt.Sprintf("minions=%v pre=%v rejected=%v denied=%v", k.Minions, k.Pre, k.Rejected, k.Denied)
}

// equalIDs compares a key list with the wanted ids, ignoring order.
func equalIDs(got []string, want ...string) bool {
	g := slices.Clone(got)
	w := slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// waitKeys waits until cond holds for the key lists.
func waitKeys(t *testing.T, c *testutil.Cluster, what string, cond func(keyLists) bool) keyLists {
	t.Helper()
	var last keyLists
	testutil.Eventually(t, waitLong, what, func() bool {
		last = listKeys(t, c)
		return cond(last)
	})
	return last
}

var jidLine = regexp.MustCompile(`job ID: ([0-9]{20})`)

// asyncJID runs FUNCTION TARGET ARGS... with --async and returns the jid.
func asyncJID(t *testing.T, c *testutil.Cluster, args ...string) string {
	t.Helper()
	r := c.Ctl(append(args, "--async")...)
	m := jidLine.FindStringSubmatch(r.Stdout)
	if r.Code != 0 || m == nil {
		t.Fatalf("%v --async: exit %d, stdout %q, stderr %q", args, r.Code, r.Stdout, r.Stderr)
	}
	return m[1]
}

// jobReturns is `ctl jobs show JID --out json`: the returns keyed by id.
func jobReturns(t *testing.T, c *testutil.Cluster, jid string) (map[string]any, testutil.Result) {
	t.Helper()
	r := c.Ctl("jobs", "show", jid, "--out", "json")
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		return nil, r
	}
	return m, r
}

// waitJobReturns waits until the job cache holds n returns for jid.
func waitJobReturns(t *testing.T, c *testutil.Cluster, jid string, n int) map[string]any {
	t.Helper()
	var m map[string]any
	testutil.Eventually(t, waitLong, fmt.Sprintf("%d returns of job %s in the job cache", n, jid), func() bool {
		m, _ = jobReturns(t, c, jid)
		return len(m) == n
	})
	return m
}

// ctlJSON runs ctl with --out json and decodes stdout.
func ctlJSON(t *testing.T, c *testutil.Cluster, args ...string) (map[string]any, testutil.Result) {
	t.Helper()
	r := c.Ctl(append(args, "--out", "json")...)
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		t.Fatalf("%v: exit %d, bad json stdout %q (stderr %q): %v", args, r.Code, r.Stdout, r.Stderr, err)
	}
	return m, r
}

// minionRoot is the root_dir StartMinion gives minion id.
func minionRoot(c *testutil.Cluster, id string) string {
	return filepath.Join(c.Dir, "minions", id)
}

// minionPub reads the public key a minion wrote beside its private key.
func minionPub(t *testing.T, root string) string {
	t.Helper()
	var pub string
	testutil.Eventually(t, 30*time.Second, "minion.pub in "+root, func() bool {
		b, err := os.ReadFile(filepath.Join(root, "pki", "minion.pub"))
		pub = strings.TrimSpace(string(b))
		return err == nil && pub != ""
	})
	return pub
}

// fingerprint is what `ctl key finger` shows for pub: SHA-256 of the
// public key, colon-separated hex.
func fingerprint(pub string) string {
	sum := sha256.Sum256([]byte(pub))
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

// startExtraMinion starts a minion process that is not tracked in
// c.Minions under its id (e.g. a second process claiming an id already
// running); it is stopped when the test ends.
func startExtraMinion(t *testing.T, c *testutil.Cluster, name string, cfg map[string]any) *testutil.Proc {
	t.Helper()
	path := filepath.Join(c.Dir, "minion-"+name+".yaml")
	if err := testutil.WriteYAML(path, cfg); err != nil {
		t.Fatal(err)
	}
	p, err := testutil.Start("minion "+name, filepath.Join(c.Bin, "minion"), "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("minion %s output:\n%s", name, p.Output())
		}
	})
	return p
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// countLines counts the lines of a file, 0 if it does not exist.
func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}
