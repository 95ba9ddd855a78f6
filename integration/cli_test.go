package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/internal/testutil"
	"github.com/brine-cm/brine/proto"
)

// run runs one of the built binaries with no master around.
func run(t *testing.T, bin string, args ...string) testutil.Result {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, bin), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		code = ee.ExitCode()
	}
	return testutil.Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// TestCLIUsage: versions, help and bad command lines, no master needed.
func TestCLIUsage(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{"ctl", "master", "minion"} {
		if r := run(t, bin, "--version"); r.Code != 0 || !strings.HasPrefix(r.Stdout, bin+" "+proto.Version+" (commit ") {
			t.Errorf("%s --version: exit %d, %q", bin, r.Code, r.Stdout)
		}
		if r := run(t, bin, "--versions-report"); r.Code != 0 || !strings.Contains(r.Stdout, "nats.go: v") || !strings.Contains(r.Stdout, "          Binary: "+bin+"\n") {
			t.Errorf("%s --versions-report: exit %d, %q", bin, r.Code, r.Stdout)
		}
		if r := run(t, bin, "-h"); r.Code != 0 || !strings.Contains(r.Stdout+r.Stderr, "usage: "+bin) {
			t.Errorf("%s -h: exit %d, %q %q", bin, r.Code, r.Stdout, r.Stderr)
		}
	}
	if r := run(t, "ctl", "--help"); r.Code != 0 || !strings.Contains(r.Stdout, "Exit codes") {
		t.Errorf("ctl --help: exit %d, %q", r.Code, r.Stdout)
	}
	usage := []struct {
		args []string
		want string
	}{
		{nil, "usage: ctl"},
		{[]string{"test.ping", "*", "--bogus"}, "unknown flag --bogus"},
		{[]string{"--bogus", "test.ping", "*"}, "unknown flag --bogus"},
		{[]string{"test.ping", "*", "--out", "xml"}, "xml"},
		{[]string{"test.ping", "*", "--timeout", "soon"}, "--timeout"},
		{[]string{"test.ping", "*", "--timeout"}, "needs a value"},
		{[]string{"test.ping", "-L", "a", "-G", "b"}, "only one target type"},
		{[]string{"test.ping"}, "needs a target"},
		{[]string{"key", "frobnicate"}, "unknown key action"},
		{[]string{"key", "accept"}, "needs an id"},
		{[]string{"jobs", "show", "123"}, "not a job id"},
		{[]string{"test.arg", "*", `x={"a": `}, "bad YAML"},
	}
	for _, u := range usage {
		r := run(t, "ctl", u.args...)
		if r.Code != 2 || !strings.Contains(r.Stdout+r.Stderr, u.want) {
			t.Errorf("ctl %q: exit %d, stdout %q, stderr %q; want 2 and %q", u.args, r.Code, r.Stdout, r.Stderr, u.want)
		}
	}
	if r := run(t, "master", "--bogus"); r.Code != 2 {
		t.Errorf("master --bogus: exit %d, want 2", r.Code)
	}
	bad := filepath.Join(t.TempDir(), "master.yaml")
	if err := os.WriteFile(bad, []byte("root_dir: /tmp/x\nauto_acept: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "master", "-c", bad); r.Code != 2 || !strings.Contains(r.Stderr, "auto_acept") {
		t.Errorf("master with a misspelt key: exit %d, stderr %q; want 2 naming the key", r.Code, r.Stderr)
	}
	// No master listening: exit 3.
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	kp, _ := nkeys.CreateUser()
	seed, _ := kp.Seed()
	if err := os.WriteFile(filepath.Join(root, "ctl.creds"), append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, "ctl", "test.ping", "*", "--timeout", "2", "--master", "nats://127.0.0.1:"+strconv.Itoa(port), "--creds", filepath.Join(root, "ctl.creds"))
	if r.Code != 3 {
		t.Errorf("ctl with nothing listening: exit %d, stderr %q; want 3", r.Code, r.Stderr)
	}
	if r := run(t, "ctl", "key", "list", "--root-dir", filepath.Join(root, "nonexistent")); r.Code != 3 {
		t.Errorf("ctl with no credentials: exit %d, stderr %q; want 3", r.Code, r.Stderr)
	}
}

// TestCLI: ctl against a running master: flag placement, finding the
// master, the event stream, and exit 3 once the master is gone.
func TestCLI(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("c-1", map[string]any{"roles": []any{"web"}}))
	waitPing(t, c, "roles:web", 1) // connected, and its grains known

	for _, args := range [][]string{
		{"test.ping", "*", "--out", "json"},
		{"--out", "json", "test.ping", "*"},
		{"test.ping", "--out=json", "-G", "roles:web"},
		{"*", "test.ping", "--out", "json"},
		{"test.ping", "roles:web", "--timeout", "5", "--out", "json"},
		{"-L", "c-1", "--out", "json", "test.ping"},
	} {
		r := c.Ctl(args...)
		if r.Code != 0 || strings.Join(jsonIDsLoose(r.Stdout), ",") != "c-1" || !strings.Contains(r.Stdout, `"c-1": true`) {
			t.Errorf("ctl %q: exit %d, %q %q", args, r.Code, r.Stdout, r.Stderr)
		}
	}

	// The master found through the environment and through flags.
	creds := filepath.Join(c.RootDir(), "ctl.creds")
	for _, tc := range []struct {
		env  []string
		args []string
	}{
		{[]string{"BRINE_MASTER=" + c.URL(), "BRINE_CREDS=" + creds}, nil},
		{nil, []string{"--master", c.URL(), "--creds", creds}},
		{[]string{"BRINE_ROOT_DIR=" + c.RootDir()}, nil},
	} {
		r := c.CtlEnv(tc.env, append(tc.args, "test.ping", "*", "--out", "json")...)
		if r.Code != 0 || !strings.Contains(r.Stdout, `"c-1": true`) {
			t.Errorf("ctl with env %v args %v: exit %d, %q %q", tc.env, tc.args, r.Code, r.Stdout, r.Stderr)
		}
	}
	if r := c.CtlEnv(nil, "--master", c.URL(), "--creds", filepath.Join(c.Dir, "master.yaml"), "test.ping", "*"); r.Code == 0 {
		t.Errorf("ctl with a file holding no key: exit 0")
	}

	// ctl events: wait until it is subscribed (a ping's events show up),
	// then follow one job.
	ev := c.StartCtl("events", "salt/job/*")
	testutil.Eventually(t, 30*time.Second, "ctl events to follow jobs", func() bool {
		jid := asyncJID(t, c, "test.ping", "c-1")
		return testutil.Poll(2*time.Second, func() bool { return strings.Contains(ev.Output(), "salt/job/"+jid+"/ret/c-1") })
	})
	jid := asyncJID(t, c, "test.echo", "c-1", "via events")
	newTag, retTag := "salt/job/"+jid+"/new", "salt/job/"+jid+"/ret/c-1"
	var lines []map[string]json.RawMessage
	testutil.Eventually(t, 30*time.Second, "the job's new and ret events", func() bool {
		lines = nil
		seen := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(ev.Output()), "\n") {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("ctl events printed a line that is not JSON: %q", l)
			}
			lines = append(lines, m)
			var tag string
			_ = json.Unmarshal(m["tag"], &tag)
			seen[tag] = true
		}
		return seen[newTag] && seen[retTag]
	})
	for _, m := range lines {
		var e struct {
			Tag  string         `json:"tag"`
			Data map[string]any `json:"data"`
		}
		b, _ := json.Marshal(m)
		if err := json.Unmarshal(b, &e); err != nil || len(m) != 2 || e.Data == nil {
			t.Errorf("event line %s: want exactly {\"tag\": ..., \"data\": {...}}", b)
			continue
		}
		if !strings.HasPrefix(e.Tag, "salt/job/") {
			t.Errorf("event %q does not match salt/job/*", e.Tag)
		}
		switch e.Tag {
		case newTag:
			if e.Data["jid"] != jid || e.Data["fun"] != "test.echo" {
				t.Errorf("new event data %v", e.Data)
			}
		case retTag:
			if e.Data["jid"] != jid || e.Data["id"] != "c-1" || e.Data["success"] != true {
				t.Errorf("ret event data %v", e.Data)
			}
		}
	}

	// The master goes away: ctl exits 3, and so does ctl events.
	c.StopMaster()
	if r := c.Ctl("test.ping", "*", "--timeout", "2"); r.Code != 3 {
		t.Errorf("ping with the master down: exit %d, stderr %q; want 3", r.Code, r.Stderr)
	}
	if r := c.Ctl("key", "list"); r.Code != 3 {
		t.Errorf("key list with the master down: exit %d; want 3", r.Code)
	}
	select {
	case <-ev.Done():
		if code := ev.Cmd.ProcessState.ExitCode(); code != 3 {
			t.Errorf("ctl events exited %d when the master went away, want 3", code)
		}
	case <-time.After(20 * time.Second):
		t.Error("ctl events kept running after the master went away")
	}
}
