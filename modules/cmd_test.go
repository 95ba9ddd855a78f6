package modules

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brine-cm/brine/proto"
)

// runRet calls a cmd.* function and splits its Ret.
func runRet(t *testing.T, name string, args []any, kwargs map[string]any) (any, int) {
	t.Helper()
	v := mustCall(t, nil, name, args, kwargs)
	r, ok := v.(Ret)
	if !ok {
		t.Fatalf("%s returned %T, want Ret", name, v)
	}
	return r.Value, r.Retcode
}

func TestCmdRun(t *testing.T) {
	out, rc := runRet(t, "cmd.run", []any{"echo hello; echo oops >&2; printf 'x\\n\\n  '"}, nil)
	if out != "hello\noops\nx" || rc != 0 {
		t.Errorf("cmd.run = %q, %d", out, rc)
	}
	out, rc = runRet(t, "cmd.run", []any{"echo failing; exit 3"}, nil)
	if out != "failing" || rc != 3 {
		t.Errorf("cmd.run exit 3 = %q, %d", out, rc)
	}
	out, rc = runRet(t, "cmd.run", []any{"exit 3"}, map[string]any{"ignore_retcode": true})
	if out != "" || rc != 0 {
		t.Errorf("cmd.run ignore_retcode = %q, %d", out, rc)
	}
	out, _ = runRet(t, "cmd.run", []any{"echo kept"}, map[string]any{"rstrip": false})
	if out != "kept\n" {
		t.Errorf("cmd.run rstrip=False = %q", out)
	}
	out, _ = runRet(t, "cmd.run", []any{"cat"}, map[string]any{"stdin": "from stdin"})
	if out != "from stdin" {
		t.Errorf("cmd.run stdin = %q", out)
	}
	out, _ = runRet(t, "cmd.run", []any{"cat"}, nil)
	if out != "" {
		t.Errorf("cmd.run without stdin = %q (stdin should be empty)", out)
	}
	out, _ = runRet(t, "cmd.run", []any{"echo quiet"}, map[string]any{"output_loglevel": "quiet", "python_shell": true})
	if out != "quiet" {
		t.Errorf("cmd.run quiet = %q", out)
	}
	_, rc = runRet(t, "cmd.run", []any{"kill -9 $$"}, nil)
	if rc != -9 {
		t.Errorf("killed by SIGKILL: retcode %d, want -9", rc)
	}
}

func TestCmdRunAllAndRetcode(t *testing.T) {
	v, rc := runRet(t, "cmd.run_all", []any{"echo out; echo err >&2; exit 2"}, nil)
	m := v.(map[string]any)
	if m["stdout"] != "out" || m["stderr"] != "err" || m["retcode"] != 2 || rc != 2 {
		t.Errorf("cmd.run_all = %#v, %d", m, rc)
	}
	if pid, ok := m["pid"].(int); !ok || pid <= 0 {
		t.Errorf("pid = %#v", m["pid"])
	}
	v, rc = runRet(t, "cmd.run_all", []any{"true"}, nil)
	if m := v.(map[string]any); m["retcode"] != 0 || m["stdout"] != "" || m["stderr"] != "" || rc != 0 {
		t.Errorf("cmd.run_all true = %#v, %d", m, rc)
	}

	v, rc = runRet(t, "cmd.retcode", []any{"echo noise; exit 7"}, nil)
	if v != 7 || rc != 7 {
		t.Errorf("cmd.retcode = %#v, %d", v, rc)
	}
	v, rc = runRet(t, "cmd.retcode", nil, map[string]any{"cmd": "true"})
	if v != 0 || rc != 0 {
		t.Errorf("cmd.retcode true = %#v, %d", v, rc)
	}
}

func TestCmdCwd(t *testing.T) {
	dir := t.TempDir()
	out, _ := runRet(t, "cmd.run", []any{"pwd"}, map[string]any{"cwd": dir})
	if out != dir {
		t.Errorf("cwd kwarg: pwd = %q, want %q", out, dir)
	}
	out, _ = runRet(t, "cmd.run", []any{"pwd -P", dir}, nil)
	if real, _ := filepath.EvalSymlinks(dir); out != real {
		t.Errorf("cwd positional: pwd = %q, want %q", out, real)
	}
	out, _ = runRet(t, "cmd.run", []any{"echo $PWD"}, map[string]any{"cwd": dir})
	if out != dir {
		t.Errorf("PWD = %q, want %q", out, dir)
	}
	// Default: the home directory of the user running the command.
	home, err := os.UserHomeDir()
	if fi, serr := os.Stat(home); err == nil && serr == nil && fi.IsDir() {
		if out, _ := runRet(t, "cmd.run", []any{"pwd"}, nil); out != home {
			t.Errorf("default cwd = %q, want %q", out, home)
		}
	}
	wantBadArg(t, "cmd.run", []any{"pwd"}, map[string]any{"cwd": "relative/dir"}, nil, "'cwd'")
	wantBadArg(t, "cmd.run", []any{"pwd"}, map[string]any{"cwd": []any{"/"}}, nil, "'cwd'")
	_, err = call(t, context.Background(), nil, "cmd.run", []any{"pwd"}, map[string]any{"cwd": filepath.Join(dir, "missing")})
	wantKind(t, err, proto.ErrExecution, "missing", "does not exist")
}

func TestCmdEnv(t *testing.T) {
	t.Setenv("BRINE_TEST_INHERITED", "inherited")
	for _, env := range []any{
		map[string]any{"FOO": "bar", "NUM": 5},
		[]any{"FOO=bar", "NUM=5"},
		[]any{map[string]any{"FOO": "bar"}, map[string]any{"NUM": 5}},
	} {
		out, _ := runRet(t, "cmd.run", []any{`echo "$FOO $NUM $BRINE_TEST_INHERITED"`}, map[string]any{"env": env})
		if out != "bar 5 inherited" {
			t.Errorf("env %#v: got %q", env, out)
		}
	}
	out, _ := runRet(t, "cmd.run", []any{`echo "${BRINE_TEST_INHERITED-unset}"`}, map[string]any{"env": map[string]any{"BRINE_TEST_INHERITED": nil}})
	if out != "unset" {
		t.Errorf("null env value: got %q", out)
	}
	out, _ = runRet(t, "cmd.run", []any{`echo "${BRINE_TEST_INHERITED-unset} $A"`}, map[string]any{"clean_env": true, "env": map[string]any{"A": "a"}})
	if out != "unset a" {
		t.Errorf("clean_env: got %q", out)
	}
	// env is positional 7, as in Salt's signature.
	out, _ = runRet(t, "cmd.run", []any{`echo $P`, nil, nil, nil, nil, nil, nil, map[string]any{"P": "positional"}}, nil)
	if out != "positional" {
		t.Errorf("positional env: got %q", out)
	}
	wantBadArg(t, "cmd.run", []any{"true"}, map[string]any{"env": "FOO=bar"}, nil, "'env'")
	wantBadArg(t, "cmd.run", []any{"true"}, map[string]any{"env": []any{"NOEQUALS"}}, nil, "'env'")
	wantBadArg(t, "cmd.run", []any{"true"}, map[string]any{"env": []any{1}}, nil, "'env'")
	wantBadArg(t, "cmd.run", []any{"true"}, map[string]any{"env": map[string]any{"A": []any{1}}}, nil, "'env'")
	wantBadArg(t, "cmd.run", []any{"true"}, map[string]any{"env": map[string]any{"A=B": "c"}}, nil, "'env'")
}

func TestCmdShell(t *testing.T) {
	out, _ := runRet(t, "cmd.run", []any{"echo $0"}, nil)
	if out != "/bin/sh" {
		t.Errorf("default shell: $0 = %q", out)
	}
	if _, err := os.Stat("/bin/bash"); err == nil {
		out, _ = runRet(t, "cmd.run", []any{`echo "$0 ${BASH_VERSION:+bash}"`}, map[string]any{"shell": "/bin/bash"})
		if out != "/bin/bash bash" {
			t.Errorf("shell=/bin/bash: %q", out)
		}
	}
	_, err := call(t, context.Background(), nil, "cmd.run", []any{"true"}, map[string]any{"shell": "/nonexistent/shell"})
	wantKind(t, err, proto.ErrExecution, "unable to run")
	wantBadArg(t, "cmd.run", []any{"true"}, map[string]any{"shell": ""}, nil, "'shell'")
}

func TestCmdBadArguments(t *testing.T) {
	for _, name := range []string{"cmd.run", "cmd.run_all", "cmd.retcode"} {
		wantBadArg(t, name, nil, nil, nil, "missing required argument 'cmd'")
		wantBadArg(t, name, []any{[]any{"ls"}}, nil, nil, "'cmd'")
		wantBadArg(t, name, []any{"  "}, nil, nil, "'cmd'")
		wantBadArg(t, name, []any{"true"}, map[string]any{"timeout": "soon"}, nil, "'timeout'")
		wantBadArg(t, name, []any{"true"}, map[string]any{"timeout": -1}, nil, "'timeout'")
		wantBadArg(t, name, []any{"true"}, map[string]any{"rstrip": map[string]any{}}, nil, "'rstrip'")
		wantBadArg(t, name, []any{"true"}, map[string]any{"clean_env": "maybe"}, nil, "'clean_env'")
		wantBadArg(t, name, []any{"true"}, map[string]any{"stdin": []any{}}, nil, "'stdin'")
		wantBadArg(t, name, []any{"true"}, map[string]any{"runas": "no-such-user-brine"}, nil, "no-such-user-brine")
	}
}

// readAllWithin reads r to EOF, failing the test if that takes longer
// than d (a guard, not synchronisation: EOF is what we wait for).
func readAllWithin(t *testing.T, r io.Reader, d time.Duration, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(d):
		t.Fatalf("%s: still open after %v", what, d)
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCmdTimeout(t *testing.T) {
	start := time.Now()
	v, rc := runRet(t, "cmd.run_all", []any{"echo before; sleep 5"}, map[string]any{"timeout": 0.2})
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("timed-out command took %v", el)
	}
	m := v.(map[string]any)
	if rc != 1 || m["retcode"] != 1 || m["stdout"] != "before" ||
		!strings.Contains(m["stderr"].(string), "sleep 5 : Timed out after 0.2 seconds") {
		t.Errorf("cmd.run_all timeout = %#v, %d", m, rc)
	}

	out, rc := runRet(t, "cmd.run", []any{"sleep 5"}, map[string]any{"timeout": "0.2"})
	if rc != 1 || out != "sleep 5 : Timed out after 0.2 seconds" {
		t.Errorf("cmd.run timeout = %q, %d", out, rc)
	}
	v, rc = runRet(t, "cmd.retcode", []any{"sleep 5"}, map[string]any{"timeout": 0.2})
	if v != 1 || rc != 1 {
		t.Errorf("cmd.retcode timeout = %#v, %d", v, rc)
	}

	// The whole process group dies: a background child holding the
	// fifo open must be gone, so the reader sees EOF. The reader is
	// opened first (non-blocking) so the child's open never waits.
	fifo := mkfifo(t)
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	runRet(t, "cmd.run", []any{fmt.Sprintf("sleep 30 > %s & wait", fifo)}, map[string]any{"timeout": 0.3})
	readAllWithin(t, r, 10*time.Second, "background child after timeout")
}

func TestCmdContextCancelKillsGroup(t *testing.T) {
	fifo := mkfifo(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1)
	go func() {
		// A background grandchild writes to the fifo then sleeps; the
		// shell waits for it.
		v, err := call(t, ctx, nil, "cmd.run", []any{fmt.Sprintf("(echo started; exec sleep 30) > %s & wait", fifo)}, nil)
		done <- result{v, err}
	}()
	opened := make(chan *os.File, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the grandchild opens it
		if err != nil {
			t.Error(err)
			close(opened)
			return
		}
		opened <- f
	}()
	var f *os.File
	select {
	case f = <-opened:
	case r := <-done:
		t.Fatalf("command ended before starting its child: %v, %v", r.v, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("child never opened the fifo")
	}
	if f == nil {
		t.FailNow()
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if line, err := br.ReadString('\n'); err != nil || line != "started\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	start := time.Now()
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("cancelled cmd.run: %v, %v; want context.Canceled", r.v, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cmd.run did not return after cancellation")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancellation took %v", el)
	}
	readAllWithin(t, br, 10*time.Second, "grandchild after cancellation")
}

func TestCmdBackgroundOutputHolder(t *testing.T) {
	// A background process that keeps stdout open does not hang the
	// job: after procrun.WaitDelay the output is closed and the result
	// reported.
	out, rc := runRet(t, "cmd.run", []any{"sleep 30 & echo $!"}, nil)
	pid, err := strconv.Atoi(out.(string))
	if err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if rc != 0 {
		t.Errorf("retcode %d", rc)
	}
}

func TestCmdRunas(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runas needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	out, _ := runRet(t, "cmd.run", []any{"id -u; echo $HOME $USER; pwd"}, map[string]any{"runas": "nobody"})
	wantCwd := "/"
	if fi, err := os.Stat(nobody.HomeDir); err == nil && fi.IsDir() {
		wantCwd = nobody.HomeDir
	}
	want := nobody.Uid + "\n" + nobody.HomeDir + " nobody\n" + wantCwd
	if out != want {
		t.Errorf("runas nobody: %q, want %q", out, want)
	}
	// Positional runas (index 3).
	out, _ = runRet(t, "cmd.run", []any{"id -u", nil, nil, "nobody"}, nil)
	if out != nobody.Uid {
		t.Errorf("positional runas: %q", out)
	}
	if g, err := user.LookupGroup("nogroup"); err == nil {
		out, _ = runRet(t, "cmd.run", []any{"id -g"}, map[string]any{"runas": "nobody", "group": "nogroup"})
		if out != g.Gid {
			t.Errorf("group nogroup: id -g = %q, want %s", out, g.Gid)
		}
	}
	wantBadArg(t, "cmd.run", []any{"id"}, map[string]any{"runas": "nobody", "group": "no-such-group-brine"}, nil, "no-such-group-brine")
}

func TestResolveRunas(t *testing.T) {
	cred, u, err := resolveRunas("", "", 1000)
	if cred != nil || u != nil || err != nil {
		t.Errorf("no runas: %v %v %v", cred, u, err)
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	// Not root: only "switching" to oneself is allowed.
	_, _, err = resolveRunas("nobody", "", uid+1)
	wantKind(t, err, proto.ErrDenied, "nobody", "not running as root")
	cred, u, err = resolveRunas("nobody", "", uid)
	if err != nil || cred != nil || u == nil || u.Username != "nobody" {
		t.Errorf("runas self when not root: %v %v %v", cred, u, err)
	}
	_, _, err = resolveRunas("nobody", "root", uid)
	wantKind(t, err, proto.ErrDenied, "not running as root")
	// Root: a credential for the user, also by numeric id.
	cred, _, err = resolveRunas(nobody.Uid, "", 0)
	if err != nil || cred == nil || strconv.Itoa(int(cred.Uid)) != nobody.Uid || strconv.Itoa(int(cred.Gid)) != nobody.Gid {
		t.Errorf("runas %s as root: %+v %v", nobody.Uid, cred, err)
	}
	_, _, err = resolveRunas("no-such-user-brine", "", 0)
	wantKind(t, err, proto.ErrBadArgument, "no-such-user-brine")
}
