package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// runTimed runs a binary that must exit by itself, and how long it took;
// one still running after 40 s is killed (and reported by the caller's
// time limit).
func runTimed(t *testing.T, bin string, args ...string) (testutil.Result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, bin), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%s %v: %v", bin, args, err)
		}
		code = ee.ExitCode()
	}
	return testutil.Result{Stdout: out.String(), Stderr: errb.String(), Code: code}, time.Since(start)
}

// TestMasterBusyPortFailsAtOnce: a port in use is a clear error and a
// non-zero exit within seconds, for the bus and for the HTTP API (it used
// to wait out the bus's 30 s start timeout).
func TestMasterBusyPortFailsAtOnce(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	free, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bus", []string{"--listen", busy}, "listen " + busy + ": the address is already in use"},
		{"api", []string{"--listen", fmt.Sprintf("127.0.0.1:%d", free), "--api-listen", busy}, "api listen " + busy + ": the address is already in use"},
	} {
		r, took := runTimed(t, "master", append([]string{"--root-dir", filepath.Join(t.TempDir(), "root")}, tc.args...)...)
		if r.Code == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want non-zero and %q", tc.name, r.Code, r.Stderr, tc.want)
		}
		if took > 10*time.Second {
			t.Errorf("%s: took %v to fail", tc.name, took)
		}
	}
}

// TestMasterConfigBadValues: negative or absurd numbers and bad addresses
// stop the master at start (exit 2), naming the key and its line.
func TestMasterConfigBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"keep_jobs": -1}, "keep_jobs: -1 is negative"},
		{map[string]any{"keep_jobs": 1e12}, "keep_jobs: 1e+12 is too large"},
		{map[string]any{"listen": "127.0.0.1:70000"}, "listen: \"127.0.0.1:70000\": the port must be a number from 1 to 65535"},
	} {
		dir := t.TempDir()
		tc.cfg["root_dir"] = filepath.Join(dir, "root")
		if _, ok := tc.cfg["listen"]; !ok {
			port, err := testutil.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			tc.cfg["listen"] = fmt.Sprintf("127.0.0.1:%d", port) // never the default port, should it start
		}
		path := filepath.Join(dir, "master.yaml")
		if err := testutil.WriteYAML(path, tc.cfg); err != nil {
			t.Fatal(err)
		}
		r, took := runTimed(t, "master", "-c", path)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) || !strings.Contains(r.Stderr, "line ") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q with its line", tc.cfg, r.Code, r.Stderr, tc.want)
		}
		if took > 10*time.Second {
			t.Errorf("%v: took %v", tc.cfg, took)
		}
	}
}

// TestMinionRefusesAtStart: an unparsable master URL, an id with '@' and a
// reserved id stop the minion at once with exit 2 and the reason, instead
// of a reconnect loop or a registration that cannot work.
func TestMinionRefusesAtStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--id", "web-1", "--master", "nats://[bad"}, "cannot parse master URL"},
		{[]string{"--id", "web-1", "--master", "nats://127.0.0.1:99999"}, "port must be a number from 1 to 65535"},
		{[]string{"--id", "web-1", "--master", "htp://127.0.0.1:4506"}, "unknown scheme"},
		{[]string{"--id", "web@1", "--master", "nats://127.0.0.1:1"}, `invalid minion id "web@1"`},
		{[]string{"--id", "ctl", "--master", "nats://127.0.0.1:1"}, "reserved"},
		{[]string{"--id", "brine-master-x", "--master", "nats://127.0.0.1:1"}, "reserved"},
	} {
		r, took := runTimed(t, "minion", append(tc.args, "--root-dir", t.TempDir())...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("minion %v: exit %d, stderr %q; want 2 and %q", tc.args, r.Code, r.Stderr, tc.want)
		}
		if took > 10*time.Second {
			t.Errorf("minion %v: took %v", tc.args, took)
		}
	}
}

// TestCtlSmallInputErrors: a key glob that does not compile and an expr
// target that does not parse are bad input (exit 2 and the reason), not
// "no key matches" or "no minions matched".
func TestCtlSmallInputErrors(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("web-1", nil))
	testutil.Eventually(t, waitLong, "web-1 answers", func() bool { return c.Ctl("test.ping", "web-1").Code == 0 })
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"key", "accept", "[web", "--yes"}, `invalid glob "[web"`},
		{[]string{"key", "delete", "web-[1", "--yes"}, "unterminated character class"},
		{[]string{"test.ping", "-X", "grains.x +"}, "invalid expression"},
	} {
		r := c.Ctl(tc.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("ctl %v: exit %d, stderr %q; want 2 and %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
	if kl := listKeys(t, c); !equalIDs(kl.Minions, "web-1") {
		t.Errorf("keys changed: %v", kl)
	}
}

// TestCtlEscapesControlCharacters: a return cannot forge another minion's
// line or set the terminal's title in text output; the line breaks of real
// multi-line output stay readable, indented under the minion.
func TestCtlEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("web-1", nil))
	testutil.Eventually(t, waitLong, "web-1 answers", func() bool { return c.Ctl("test.ping", "web-1").Code == 0 })
	r := c.Ctl("cmd.run", "web-1", `printf 'ok\033]0;owned\007\033[1G\033[2K\nweb-9: True\rweb-8: True\n'`)
	if r.Code != 0 {
		t.Fatalf("cmd.run: exit %d: %s", r.Code, r.Stderr)
	}
	if strings.ContainsAny(r.Stdout, "\x1b\x07\r") {
		t.Errorf("control characters reach the terminal: %q", r.Stdout)
	}
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if !strings.HasPrefix(l, " ") && l != "web-1:" {
			t.Errorf("line %q at column 0 in\n%s", l, r.Stdout)
		}
	}
	if !strings.Contains(r.Stdout, `    ok\x1b]0;owned\x07\x1b[1G\x1b[2K`) || !strings.Contains(r.Stdout, "\n    web-9: True\n    web-8: True") {
		t.Errorf("output not escaped as expected:\n%s", r.Stdout)
	}
}
