package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// TestSaltCLIHabits drives ctl with a Salt operator's hands against real
// processes: salt-key's flags, --out txt/raw/pprint/newline_values_only/
// quiet, --show-jid, -v, --summary, --subset, --out-file, --force-color
// and --state-output=terse.
func TestSaltCLIHabits(t *testing.T) {
	t.Parallel()
	salt := t.TempDir()
	writeTree(t, salt, map[string]string{"hello.sls": "hello:\n  test.succeed_without_changes: []\nchanged:\n  test.succeed_with_changes: []\n"})
	c := cluster(t, map[string]any{"auto_accept": false, "file_roots": map[string]any{"base": []any{salt}},
		"nodegroups":   map[string]any{"webs": "web-*", "first": []any{"web-1"}, "notfirst": "N@webs and not N@first"},
		"state_output": "mixed"})
	c.StartMinion(c.MinionConfig("web-1", nil))
	c.StartMinion(c.MinionConfig("web-2", nil))
	waitKeys(t, c, "web-1 and web-2 pending", func(k keyLists) bool { return equalIDs(k.Pre, "web-1", "web-2") })

	ctl := func(want int, args ...string) string {
		t.Helper()
		r := c.Ctl(args...)
		if r.Code != want {
			t.Fatalf("ctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, want, r.Stdout, r.Stderr)
		}
		return r.Stdout
	}
	if out := ctl(0, "key", "-L"); !strings.Contains(out, "Unaccepted Keys:\nweb-1\nweb-2\n") {
		t.Errorf("key -L:\n%s", out)
	}
	if out := ctl(0, "key", "-a", "web-1", "-y"); !strings.Contains(out, "Key for minion web-1 accepted.") {
		t.Errorf("key -a web-1 -y:\n%s", out)
	}
	if out := ctl(0, "key", "-a", "web-1", "-y"); !strings.Contains(out, "Key for minion web-1 is already accepted.") {
		t.Errorf("accepting an accepted key says so:\n%s", out)
	}
	if out := ctl(0, "key", "-l", "acc"); out != "Accepted Keys:\nweb-1\n" {
		t.Errorf("key -l acc: %q", out)
	}
	if out := ctl(0, "key", "-A", "-y"); !strings.Contains(out, "Key for minion web-2 accepted.") {
		t.Errorf("key -A -y:\n%s", out)
	}
	if out := ctl(0, "key", "-F"); !strings.Contains(out, "Accepted Keys:\nweb-1:  ") {
		t.Errorf("key -F:\n%s", out)
	}
	waitPing(t, c, "*", 2)

	if out := ctl(0, "test.ping", "*", "--out", "txt"); out != "web-1: True\nweb-2: True\n" && out != "web-2: True\nweb-1: True\n" {
		t.Errorf("--out txt: %q", out)
	}
	if out := ctl(0, "test.ping", "web-1", "--out", "raw"); out != "{'web-1': True}\n" {
		t.Errorf("--out raw: %q", out)
	}
	if out := ctl(0, "test.ping", "web-1", "--out", "pprint"); out != "{'web-1': True}\n" {
		t.Errorf("--out pprint: %q", out)
	}
	if out := ctl(0, "test.echo", "web-1", "hi", "--out", "newline_values_only"); out != "hi\n" {
		t.Errorf("--out newline_values_only: %q", out)
	}
	if out := ctl(0, "test.ping", "*", "--out", "quiet"); out != "" {
		t.Errorf("--out quiet: %q", out)
	}
	if out := ctl(0, "test.ping", "web-1", "--show-jid"); !strings.HasPrefix(out, "jid: 20") {
		t.Errorf("--show-jid: %q", out)
	}
	if out := ctl(0, "test.ping", "web-1", "-v"); !strings.HasPrefix(out, "Executing job with jid 20") {
		t.Errorf("-v: %q", out)
	}
	if out := ctl(0, "test.ping", "*", "--summary"); !strings.Contains(out, "# of minions targeted: 2\n# of minions returned: 2\n# of minions that did not return: 0\n") {
		t.Errorf("--summary:\n%s", out)
	}
	var one map[string]any
	if err := json.Unmarshal([]byte(ctl(0, "test.ping", "*", "--subset", "1", "--out", "json")), &one); err != nil || len(one) != 1 {
		t.Errorf("--subset 1: %v, %v", one, err)
	}
	file := filepath.Join(t.TempDir(), "out.txt")
	if out := ctl(0, "test.ping", "web-1", "--out", "txt", "--out-file", file); out != "" {
		t.Errorf("--out-file still printed: %q", out)
	}
	if b, _ := os.ReadFile(file); string(b) != "web-1: True\n" {
		t.Errorf("--out-file wrote %q", b)
	}
	if out := ctl(0, "test.ping", "web-1", "--force-color"); !strings.Contains(out, "\033[") {
		t.Errorf("--force-color: no colour in %q", out)
	}
	if r := c.Ctl("test.ping", "web-1", "--force-color", "--no-color"); r.Code != 2 {
		t.Errorf("--force-color --no-color: exit %d, want 2", r.Code)
	}
	out := ctl(0, "state.apply", "web-1", "hello", "--state-output=terse", "--state-verbose=false")
	if !strings.Contains(out, "  Name: changed - Function: test.succeed_with_changes - Result: Changed") || strings.Contains(out, "Name: hello") || !strings.Contains(out, "Total states run:     2") {
		t.Errorf("--state-output=terse --state-verbose=false:\n%s", out)
	}
	// state_output: mixed in the master config is ctl's default on this host.
	out = ctl(0, "state.apply", "web-1", "hello")
	if !strings.Contains(out, "  Name: changed - Function: test.succeed_with_changes - Result: Changed") {
		t.Errorf("state_output: mixed from the master config:\n%s", out)
	}
	if out = ctl(0, "state.apply", "web-1", "hello", "--state-output", "full"); !strings.Contains(out, "          ID: changed") {
		t.Errorf("--state-output full over the config:\n%s", out)
	}
	if r := c.Ctl("test.ping", "web-1", "--state-output", "loud"); r.Code != 2 || !strings.Contains(r.Stderr, "terse") {
		t.Errorf("bad --state-output: exit %d, %s", r.Code, r.Stderr)
	}
	// Nodegroups: -N NAME, N@ terms, nested groups; Target-type as Salt names it.
	if ids := jsonIDs(t, c.Ctl("test.ping", "-N", "first", "--out", "json")); strings.Join(ids, ",") != "web-1" {
		t.Errorf("-N first: %v", ids)
	}
	if ids := jsonIDs(t, c.Ctl("test.ping", "-C", "N@notfirst", "--out", "json")); strings.Join(ids, ",") != "web-2" {
		t.Errorf("-C N@notfirst: %v", ids)
	}
	if r := c.Ctl("test.ping", "-N", "nope"); r.Code != 2 || !strings.Contains(r.Stderr, `nodegroup "nope" is not defined (defined: first, notfirst, webs)`) {
		t.Errorf("-N nope: exit %d, %s", r.Code, r.Stderr)
	}
	if out := ctl(0, "jobs", "list", "--out", "json"); !strings.Contains(out, `"Target-type": "glob"`) || strings.Contains(out, `"Target-type": ""`) || strings.Contains(out, `"default"`) {
		t.Errorf("jobs list names the target type as Salt does:\n%s", out)
	}
	if out := ctl(0, "key", "-d", "web-2", "-y"); !strings.Contains(out, "Key for minion web-2 deleted.") {
		t.Errorf("key -d:\n%s", out)
	}
}

// TestDownMinionReportedAtOnce: a minion the master knows is stopped costs
// no timeout: ctl names it "[Not connected]" at once (exit 1), unless
// --wait-for-down is given.
func TestDownMinionReportedAtOnce(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("up-1", nil))
	c.StartMinion(c.MinionConfig("down-1", nil))
	waitPing(t, c, "*", 2)
	c.StopMinion("down-1")
	testutil.Eventually(t, waitLong, "the master to see down-1 go", func() bool {
		return strings.Contains(c.Ctl("run", "manage.down").Stdout, "down-1")
	})

	start := time.Now()
	r := c.Ctl("test.ping", "*", "--timeout", "10")
	took := time.Since(start)
	t.Logf("ping with a stopped minion and a 10 s timeout took %s", took)
	if r.Code != 1 || !strings.Contains(r.Stdout, "down-1:\n    Minion did not return. [Not connected]") || !strings.Contains(r.Stdout, "up-1:\n    True") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "ERROR: minions not connected: down-1") {
		t.Errorf("stderr does not name the minion that is not connected: %s", r.Stderr)
	}
	if took > 5*time.Second {
		t.Errorf("a known-down minion cost %s of a 10 s timeout", took)
	}

	// --wait-for-down waits (here: the minion comes back within the
	// timeout and answers the job, replayed when it reconnects).
	ch := c.CtlAsync("test.ping", "*", "--timeout", "30", "--wait-for-down", "--out", "json")
	c.StartMinion(c.MinionConfig("down-1", nil))
	r = <-ch
	if ids := jsonIDs(t, r); strings.Join(ids, ",") != "down-1,up-1" || r.Code != 0 {
		t.Errorf("--wait-for-down: exit %d, ids %v\n%s", r.Code, ids, r.Stderr)
	}
}

// TestMasterLogFileJSONAndQuietRetries: log_format json and log_file; a
// pending minion retrying is logged once at INFO, its retries at DEBUG,
// and never as the server's ERROR.
func TestMasterLogFileJSONAndQuietRetries(t *testing.T) {
	t.Parallel()
	logFile := filepath.Join(t.TempDir(), "log", "master.log")
	c := cluster(t, map[string]any{"auto_accept": false, "log_format": "json", "log_file": logFile})
	c.StartMinion(c.MinionConfig("waiting-1", nil))
	var lines []map[string]any
	read := func() {
		lines = nil
		b, _ := os.ReadFile(logFile)
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("log line is not JSON: %q", l)
			}
			lines = append(lines, m)
		}
	}
	testutil.Eventually(t, waitLong, "three refused retries of waiting-1", func() bool {
		read()
		n := 0
		for _, m := range lines {
			if m["msg"] == "connection refused" && m["id"] == "waiting-1" {
				n++
			}
		}
		return n >= 2
	})
	info := 0
	for _, m := range lines {
		if m["level"] == "INFO" && m["id"] == "waiting-1" && strings.Contains(m["msg"].(string), "pending acceptance") {
			info++
		}
		if m["level"] == "ERROR" {
			t.Errorf("ERROR in the log of a master with a pending minion: %v", m)
		}
		if m["level"] == "DEBUG" && m["msg"] == "connection refused" && m["id"] != "waiting-1" {
			t.Errorf("unexpected refusal: %v", m)
		}
	}
	if info != 1 {
		t.Errorf("%d INFO lines for the pending minion, want 1", info)
	}
	if out := c.Master.Output(); strings.Contains(out, "level=") {
		t.Errorf("with log_file the log still reached stderr:\n%s", out)
	}
}

// TestMinionCall: `minion call` (salt-call) runs a function on the host with
// the minion's identity and the master's files and pillar while the
// minion keeps running; --local needs no master.
func TestMinionCall(t *testing.T) {
	t.Parallel()
	salt, pil, out := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, salt, map[string]string{
		"top.sls":   "base:\n  '*':\n    - hello\n",
		"hello.sls": "hello:\n  file.managed:\n    - name: {{ pillar['dir'] }}/{{ grains['id'] }}.txt\n    - contents: {{ pillar['msg'] }}\n",
	})
	writeTree(t, pil, map[string]string{"top.sls": "base:\n  'call-1':\n    - p\n", "p.sls": "msg: from the master\ndir: " + out + "\n"})
	c := cluster(t, map[string]any{"auto_accept": true, "file_roots": map[string]any{"base": []any{salt}}, "pillar_roots": map[string]any{"base": []any{pil}}})
	c.StartMinion(c.MinionConfig("call-1", nil))
	waitPing(t, c, "call-1", 1)
	cfgFile := filepath.Join(c.Dir, "minion-call-1.yaml")
	call := func(args ...string) testutil.Result {
		t.Helper()
		cmd := exec.Command(filepath.Join(c.Bin, "minion"), append([]string{"call", "-c", cfgFile}, args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return testutil.Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
	}
	if r := call("state.apply"); r.Code != 0 || !strings.Contains(r.Stdout, "local:\n") || !strings.Contains(r.Stdout, "Succeeded: 1 (changed=1)") {
		t.Fatalf("minion call state.apply: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "call-1.txt")); strings.TrimSpace(string(b)) != "from the master" {
		t.Errorf("the state did not use the master's files and pillar: %q", b)
	}
	if r := call("grains.get", "id", "--out", "json"); r.Code != 0 || !strings.Contains(r.Stdout, `"local": "call-1"`) {
		t.Errorf("grains.get id: exit %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := call("cmd.run", "exit 4"); r.Code != 1 {
		t.Errorf("a failing function: exit %d, want 1", r.Code)
	}
	if r := call("no.such"); r.Code != 2 || !strings.Contains(r.Stdout, "'no.such' is not available") {
		t.Errorf("unknown function: exit %d %s", r.Code, r.Stdout)
	}
	// The running minion still answers, and ran nothing twice.
	waitPing(t, c, "call-1", 1)

	// --local: this host's roots, no master at all.
	lsalt, lpil := t.TempDir(), t.TempDir()
	writeTree(t, lsalt, map[string]string{"hello.sls": "hello:\n  file.managed:\n    - name: " + out + "/local.txt\n    - contents: {{ pillar['msg'] }}\n"})
	writeTree(t, lpil, map[string]string{"top.sls": "base:\n  '*':\n    - p\n", "p.sls": "msg: from this host\n"})
	local := filepath.Join(t.TempDir(), "local.yaml")
	writeTree(t, filepath.Dir(local), map[string]string{"local.yaml": "id: solo\nroot_dir: " + filepath.Join(out, "root") + "\nmaster: nats://127.0.0.1:1\nfile_roots: {base: [" + lsalt + "]}\npillar_roots: {base: [" + lpil + "]}\n"})
	cfgFile = local
	if r := call("--local", "state.apply", "hello"); r.Code != 0 {
		t.Fatalf("--local state.apply: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "local.txt")); strings.TrimSpace(string(b)) != "from this host" {
		t.Errorf("--local used %q", b)
	}
	if r := call("state.apply", "hello"); r.Code != 3 || !strings.Contains(r.Stderr, "--local") {
		t.Errorf("no master, no --local: exit %d, want 3 with a hint: %s", r.Code, r.Stderr)
	}
}

// TestMasterSIGTERMDuringStartup: a master told to stop while it starts
// stops promptly, exits 0 (or dies of the signal before it could catch
// it), and leaves nothing that keeps the next start from working.
func TestMasterSIGTERMDuringStartup(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StopMaster()
	cfgPath := filepath.Join(c.Dir, "master.yaml")
	for range 3 {
		cmd := exec.Command(filepath.Join(c.Bin, "master"), "-c", cfgPath)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // mid start-up: not a synchronisation, any moment will do
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if ee, ok := err.(*exec.ExitError); ok {
				if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
					t.Errorf("master stopped during start-up with exit %d:\n%s", ee.ExitCode(), out.String())
				}
			} else if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("master did not stop within 20 s of SIGTERM during start-up:\n%s", out.String())
		}
	}
	c.StartMaster()
	c.StartMinion(c.MinionConfig("after-1", nil))
	waitPing(t, c, "after-1", 1)
}

// TestCtlCp: ctl cp (salt-cp) writes small files on the targeted minions,
// keeps their mode, and never shows their contents in events.
func TestCtlCp(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("cp-1", nil))
	waitPing(t, c, "cp-1", 1)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"motd": "welcome, secret-ish\n", "run.sh": "#!/bin/sh\necho hi\n"})
	if err := os.Chmod(filepath.Join(src, "run.sh"), 0o750); err != nil {
		t.Fatal(err)
	}
	events := c.StartCtl("events", "salt/job/*")
	dest := filepath.Join(t.TempDir(), "etc")
	if r := c.Ctl("cp", "cp-1", filepath.Join(src, "motd"), dest+"/motd"); r.Code != 1 || !strings.Contains(r.Stdout, "makedirs=True") {
		t.Errorf("cp into a missing directory: exit %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := c.Ctl("cp", "--makedirs", "cp-1", filepath.Join(src, "motd"), filepath.Join(src, "run.sh"), dest+"/"); r.Code != 0 {
		t.Fatalf("cp: exit %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "motd")); string(b) != "welcome, secret-ish\n" {
		t.Errorf("motd holds %q", b)
	}
	if fi, err := os.Stat(filepath.Join(dest, "run.sh")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("run.sh mode: %v %v", fi, err)
	}
	if r := c.Ctl("cp", "cp-1", filepath.Join(src, "motd"), filepath.Join(dest, "renamed")); r.Code != 0 {
		t.Fatalf("cp to a file name: exit %d %s", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(dest, "renamed")); err != nil {
		t.Error(err)
	}
	if r := c.Ctl("cp", "cp-1", src, dest); r.Code != 2 || !strings.Contains(r.Stderr, "not a regular file") {
		t.Errorf("cp of a directory: exit %d %s", r.Code, r.Stderr)
	}
	if r := c.Ctl("cp", "cp-1", filepath.Join(src, "motd"), "relative/path"); r.Code != 2 {
		t.Errorf("relative dest: exit %d", r.Code)
	}
	testutil.Eventually(t, waitLong, "the job events", func() bool { return strings.Contains(events.Output(), `"fun":"cp.recv"`) })
	if strings.Contains(events.Output(), "d2VsY29tZ") { // base64 of "welcome"
		t.Errorf("a file's contents reached the events:\n%s", events.Output())
	}
}
