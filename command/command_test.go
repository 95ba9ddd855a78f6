package command

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/proto"
)

type ctlResult struct {
	code           int
	stdout, stderr string
}

func runCtl(t *testing.T, args ...string) ctlResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(""), &out, &errb)
	return ctlResult{code, out.String(), errb.String()}
}

// closedPort returns a loopback URL nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "nats://" + addr
}

// seedFile writes an operator credential like the master's ctl.creds.
func seedFile(t *testing.T) string {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ctl.creds")
	if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunNoMaster(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"version", []string{"--version"}, exitOK, "ctl " + proto.Version, ""},
		{"version after words", []string{"test.ping", "*", "--version"}, exitOK, "ctl " + proto.Version, ""},
		{"help", []string{"-h"}, exitOK, "usage: ctl", ""},
		{"long help", []string{"test.ping", "--help"}, exitOK, "Exit codes", ""},
		{"help word", []string{"help"}, exitOK, "usage: ctl", ""},
		{"no args", nil, exitUsage, "usage: ctl", ""},
		{"only flags", []string{"--out", "json"}, exitUsage, "usage: ctl", ""},
		{"bad out", []string{"--out", "xml", "test.ping", "*"}, exitUsage, "", "unknown output format"},
		{"unknown flag", []string{"test.ping", "*", "--bogus"}, exitUsage, "", "unknown flag --bogus"},
		{"bad timeout", []string{"test.ping", "*", "-t", "0"}, exitUsage, "", "--timeout"},
		{"two target types", []string{"test.ping", "x", "-L", "-E"}, exitUsage, "", "only one target type"},
		{"key without action", []string{"key"}, exitUsage, "", "ctl key"},
		{"key bogus", []string{"key", "bogus"}, exitUsage, "", "unknown key action"},
		{"key accept needs id", []string{"key", "accept"}, exitUsage, "", "needs an id"},
		{"key two ids", []string{"key", "delete", "a", "b"}, exitUsage, "", "one id"},
		{"jobs without action", []string{"jobs"}, exitUsage, "", "ctl jobs"},
		{"jobs bogus", []string{"jobs", "bogus"}, exitUsage, "", "unknown jobs action"},
		{"jobs show bad jid", []string{"jobs", "show", "123"}, exitUsage, "", "not a job id"},
		{"jobs show no jid", []string{"jobs", "show"}, exitUsage, "", "ctl jobs show"},
		{"jobs list extra", []string{"jobs", "list", "x"}, exitUsage, "", "no argument"},
		{"events two globs", []string{"events", "a", "b"}, exitUsage, "", "ctl events"},
		{"events bad glob", []string{"events", "salt/[x"}, exitUsage, "", `invalid glob "salt/[x": unterminated character class`},
		{"key accept bad glob", []string{"key", "accept", "[web", "--yes"}, exitUsage, "", `key accept: invalid glob "[web": unterminated character class`},
		{"key delete bad glob", []string{"key", "delete", "web[1-", "--yes"}, exitUsage, "", "invalid glob"},
		{"key list bad glob", []string{"key", "list", "[web"}, exitUsage, "", "invalid glob"},
		{"run without function", []string{"run"}, exitUsage, "", "ctl run"},
		{"run bad function", []string{"run", "nodot"}, exitUsage, "", "not a runner function"},
		{"run bad yaml", []string{"run", "jobs.lookup_jid", "x={a:"}, exitUsage, "", "argument x"},
		{"cloud", []string{"cloud", "frobnicate"}, exitUsage, "", "unknown cloud command"},
		{"cloud create without profile", []string{"cloud", "create", "a"}, exitUsage, "", "-p PROFILE"},
		{"cloud destroy off a terminal", []string{"cloud", "destroy", "a"}, exitUsage, "", "--yes"},
		{"function without target", []string{"test.ping"}, exitUsage, "", "needs a target"},
		{"not a function", []string{"ping", "web1"}, exitUsage, "", "not a function name"},
		{"bad kwarg yaml", []string{"test.arg", "*", "pillar={a:"}, exitUsage, "", "argument pillar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCtl(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("ctl %q exit %d, want %d\nstdout: %s\nstderr: %s", tt.args, r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("ctl %q stdout %q, want it to contain %q", tt.args, r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("ctl %q stderr %q, want it to contain %q", tt.args, r.stderr, tt.stderr)
			}
		})
	}
}

func TestRunUnreachable(t *testing.T) {
	clearEnv(t)
	url, creds := closedPort(t), seedFile(t)
	for _, args := range [][]string{
		{"test.ping", "*"},
		{"*", "test.ping"}, // Salt's order
		{"test.ping", "*", "--async"},
		{"test.ping", "*", "--batch", "2"},
		{"key", "list"},
		{"key", "accept", "web1", "--yes"},
		{"jobs", "list"},
		{"jobs", "show", "20240102030405123456"},
		{"events"},
		{"run", "manage.up"},
	} {
		full := append([]string{"--master", url, "--creds", creds}, args...)
		r := runCtl(t, full...)
		if r.code != exitUnreachable {
			t.Errorf("ctl %q exit %d, want %d\nstderr: %s", args, r.code, exitUnreachable, r.stderr)
		}
		if !strings.Contains(r.stderr, "cannot reach the master") {
			t.Errorf("ctl %q stderr %q does not say the master cannot be reached", args, r.stderr)
		}
	}
}

func TestRunUnreachableFromEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("BRINE_MASTER", closedPort(t))
	t.Setenv("BRINE_CREDS", seedFile(t))
	if r := runCtl(t, "test.ping", "*"); r.code != exitUnreachable {
		t.Errorf("exit %d, want %d\nstderr: %s", r.code, exitUnreachable, r.stderr)
	}
}

func TestRunCredentials(t *testing.T) {
	clearEnv(t)
	url := closedPort(t)
	missing := filepath.Join(t.TempDir(), "nope.creds")
	r := runCtl(t, "--master", url, "--creds", missing, "test.ping", "*")
	if r.code != exitUnreachable || !strings.Contains(r.stderr, "nope.creds") {
		t.Errorf("missing creds: exit %d, stderr %q", r.code, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.creds")
	if err := os.WriteFile(bad, []byte("# nothing here\nSUnot-a-seed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCtl(t, "--master", url, "--creds", bad, "test.ping", "*")
	if r.code == exitOK || r.code == exitUnreachable || !strings.Contains(r.stderr, "no operator key") {
		t.Errorf("bad creds: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestFailExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{&unreachableError{errors.New("x")}, exitUnreachable},
		{fmt.Errorf("wrapped: %w", &unreachableError{errors.New("x")}), exitUnreachable},
		{proto.Errorf(proto.ErrBadTarget, "x"), exitUsage},
		{proto.Errorf(proto.ErrNoMinions, "x"), exitUsage},
		{proto.Errorf(proto.ErrUnknownFunction, "x"), exitUsage},
		{proto.Errorf(proto.ErrBadArgument, "x"), exitUsage},
		{proto.Errorf(proto.ErrBadRequest, "x"), exitUsage},
		{proto.Errorf(proto.ErrNotFound, "x"), exitUsage},
		{proto.Errorf(proto.ErrDenied, "x"), exitFailed},
		{proto.Errorf(proto.ErrInternal, "x"), exitFailed},
		{errors.New("plain"), exitFailed},
	}
	for _, tt := range tests {
		var errb bytes.Buffer
		r := &runner{stderr: &errb}
		if got := r.fail(tt.err); got != tt.want {
			t.Errorf("fail(%v) = %d, want %d", tt.err, got, tt.want)
		}
		if !strings.HasPrefix(errb.String(), "ctl: ") {
			t.Errorf("fail(%v) printed %q", tt.err, errb.String())
		}
	}
}

func TestEscapeLines(t *testing.T) {
	got := escapeLines("render error:\n  line 3: \x1b]0;owned\x07\r\x1b[2K")
	want := "render error:\n  line 3: \\x1b]0;owned\\x07\\r\\x1b[2K"
	if got != want {
		t.Errorf("escapeLines = %q, want %q", got, want)
	}
}

func TestJobHeaderEscapes(t *testing.T) {
	j := &proto.JobRecord{JID: "20261206000000000000", Fun: "sched\nweb-9: True", Target: proto.Target{Expr: "web-1\x1b]0;t\x07"}, User: "minion web-1"}
	h := jobHeader(j)
	if strings.ContainsAny(h, "\n\x1b\x07") || !strings.Contains(h, `sched\nweb-9: True on web-1\x1b]0;t\x07 (glob)`) {
		t.Errorf("jobHeader = %q", h)
	}
}
