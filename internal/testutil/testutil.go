// Package testutil starts real Brine binaries (master, minion, ctl) on
// loopback in temporary directories, for integration tests and benchmarks.
package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// Build compiles master, minion and ctl (and any extra packages, e.g.
// "./cmd/simfleet") into dir, static (CGO off) as make build and the
// packages build them, unless CGO_ENABLED is set in the environment.
func Build(dir string, extra ...string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	args := append([]string{"build", "-o", dir + string(os.PathSeparator), "./cmd/master", "./cmd/minion", "./cmd/ctl"}, extra...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if _, set := os.LookupEnv("CGO_ENABLED"); !set {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the brine module")
	}
	return filepath.Dir(mod), nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Proc is a started binary.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs bin with args; its combined output is kept for Output.
func Start(name, bin string, args ...string) (*Proc, error) {
	p := &Proc{Name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.Cmd = exec.Command(bin, args...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.out, p.out
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Output is what the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM, waits up to timeout, then kills the process group.
func (p *Proc) Stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("%s did not stop within %s", p.Name, timeout)
	}
}

// Kill kills the process group at once (a crash).
func (p *Proc) Kill() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Cluster is a master and its minions under one temporary directory.
type Cluster struct {
	T       testing.TB
	Bin     string // directory with master, minion, ctl
	Dir     string
	Port    int
	Master  *Proc
	Minions map[string]*Proc
	// MasterConfig is written to master.yaml before each master start.
	MasterConfig map[string]any
}

// NewCluster prepares (but does not start) a cluster in a temp dir.
func NewCluster(t testing.TB, bin string) *Cluster {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{T: t, Bin: bin, Dir: t.TempDir(), Port: port, Minions: map[string]*Proc{}, MasterConfig: map[string]any{}}
	t.Cleanup(c.StopAll)
	return c
}

// RootDir is the master's root_dir.
func (c *Cluster) RootDir() string { return filepath.Join(c.Dir, "master") }

// URL is the bus URL minions and ctl use.
func (c *Cluster) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", c.Port) }

// StartMaster writes master.yaml and starts the master, waiting until ctl
// can talk to it.
func (c *Cluster) StartMaster() {
	c.T.Helper()
	cfg := map[string]any{"root_dir": c.RootDir(), "listen": fmt.Sprintf("127.0.0.1:%d", c.Port), "log_level": "debug"}
	for k, v := range c.MasterConfig {
		cfg[k] = v
	}
	path := filepath.Join(c.Dir, "master.yaml")
	if err := WriteYAML(path, cfg); err != nil {
		c.T.Fatal(err)
	}
	_ = os.Remove(filepath.Join(c.RootDir(), "master.url"))
	p, err := Start("master", filepath.Join(c.Bin, "master"), "-c", path)
	if err != nil {
		c.T.Fatal(err)
	}
	c.Master = p
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(c.RootDir(), "master.url")); err == nil {
			return
		}
		select {
		case <-p.Done():
			c.T.Fatalf("master exited at start:\n%s", p.Output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.T.Fatalf("master not ready within 60s:\n%s", p.Output())
		}
	}
}

// StopMaster stops the master gracefully.
func (c *Cluster) StopMaster() {
	c.T.Helper()
	if c.Master != nil {
		if err := c.Master.Stop(20 * time.Second); err != nil {
			c.T.Logf("master stop: %v", err)
		}
	}
}

// MinionConfig returns the config StartMinion would write for id.
func (c *Cluster) MinionConfig(id string, grains map[string]any) map[string]any {
	cfg := map[string]any{"id": id, "master": c.URL(), "root_dir": filepath.Join(c.Dir, "minions", id), "log_level": "debug"}
	if grains != nil {
		cfg["grains"] = grains
	}
	return cfg
}

// StartMinion starts a minion with cfg (see MinionConfig).
func (c *Cluster) StartMinion(cfg map[string]any) *Proc {
	c.T.Helper()
	id := cfg["id"].(string)
	path := filepath.Join(c.Dir, "minion-"+id+".yaml")
	if err := WriteYAML(path, cfg); err != nil {
		c.T.Fatal(err)
	}
	p, err := Start("minion "+id, filepath.Join(c.Bin, "minion"), "-c", path)
	if err != nil {
		c.T.Fatal(err)
	}
	c.Minions[id] = p
	return p
}

// StopAll stops every process the cluster started, minions first.
func (c *Cluster) StopAll() {
	var wg sync.WaitGroup
	for _, p := range c.Minions {
		wg.Add(1)
		go func(p *Proc) {
			defer wg.Done()
			_ = p.Stop(10 * time.Second)
		}(p)
	}
	wg.Wait()
	if c.Master != nil {
		_ = c.Master.Stop(20 * time.Second)
	}
	if c.T.Failed() {
		if c.Master != nil {
			c.T.Logf("master output:\n%s", tail(c.Master.Output(), 60))
		}
		for id, p := range c.Minions {
			c.T.Logf("minion %s output:\n%s", id, tail(p.Output(), 30))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Result is a finished ctl run.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Ctl runs ctl against the cluster's master with args.
func (c *Cluster) Ctl(args ...string) Result {
	c.T.Helper()
	r, err := c.runCtl(nil, append([]string{"--root-dir", c.RootDir()}, args...))
	if err != nil {
		c.T.Fatalf("ctl %v: %v", args, err)
	}
	return r
}

// runCtl runs ctl with args and extra environment; err is set only when
// ctl could not be run at all.
func (c *Cluster) runCtl(env, args []string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.Bin, "ctl"), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return Result{Code: -1}, err
		}
		code = ee.ExitCode()
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}, nil
}

// Eventually polls cond every 50ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WriteYAML writes v as YAML to path.
func WriteYAML(path string, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// Poll is Eventually without failing: it reports whether cond held within
// timeout.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// StopMinion stops minion id gracefully (it stays in Minions, stopped).
func (c *Cluster) StopMinion(id string) {
	c.T.Helper()
	if p := c.Minions[id]; p != nil {
		if err := p.Stop(10 * time.Second); err != nil {
			c.T.Logf("minion %s stop: %v", id, err)
		}
	}
}

// CtlEnv runs ctl with args and extra environment variables (KEY=VALUE),
// without adding --root-dir: args say how to find the master.
func (c *Cluster) CtlEnv(env []string, args ...string) Result {
	c.T.Helper()
	r, err := c.runCtl(env, args)
	if err != nil {
		c.T.Fatalf("ctl %v: %v", args, err)
	}
	return r
}

// StartCtl starts ctl with args against the cluster's master as a
// background process (e.g. `ctl events`); it is stopped when the test ends.
func (c *Cluster) StartCtl(args ...string) *Proc {
	c.T.Helper()
	full := append([]string{"--root-dir", c.RootDir()}, args...)
	p, err := Start("ctl "+strings.Join(args, " "), filepath.Join(c.Bin, "ctl"), full...)
	if err != nil {
		c.T.Fatal(err)
	}
	c.T.Cleanup(func() {
		if err := p.Stop(5 * time.Second); err != nil && c.T.Failed() {
			c.T.Logf("%s: %v\n%s", p.Name, err, tail(p.Output(), 30))
		}
	})
	return p
}

// CtlAsync runs ctl with args (as Ctl does) in the background; the result
// arrives on the channel when ctl exits.
func (c *Cluster) CtlAsync(args ...string) <-chan Result {
	ch := make(chan Result, 1)
	full := append([]string{"--root-dir", c.RootDir()}, args...)
	go func() {
		r, err := c.runCtl(nil, full)
		if err != nil {
			c.T.Errorf("ctl %v: %v", args, err)
		}
		ch <- r
	}()
	return ch
}
