package cloud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// The local driver: an "instance" is a minion process started on the
// master's machine, in a root dir of its own, with the same join-token
// path as a cloud node. It runs the whole provisioning flow without a
// cloud account (tests, demos, trying Brine out). Its instances live as
// long as the master that started them: they stop with it.
func init() {
	Register(Registration{Name: "local", New: newLocal, Check: checkLocal})
}

func checkLocal(s *Settings, _ bool) error {
	for key, set := range map[string]bool{
		"id": s.ID != "", "key": s.Key != "", "image": s.Image != "", "size": s.Size != "",
		"keyname": s.Keyname != "", "subnetid": s.SubnetID != "", "securitygroup": len(s.SecurityGroup) > 0,
		"block_device_mappings": len(s.BlockDevices) > 0, "endpoint": s.Endpoint != "",
		"require_identity": s.Identity(), "identity_cert": s.IdentityCert != "",
	} {
		if set {
			return fmt.Errorf("%s: the local driver has no such setting (it starts a minion process on this machine)", key)
		}
	}
	return nil
}

type localDriver struct {
	provider string
	base     string
	binary   string
	env      Env

	mu    sync.Mutex
	procs map[string]*localProc // by instance name
}

type localProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func newLocal(provider string, s *Settings, env Env) (Driver, error) {
	base := s.RootDir
	if base == "" {
		base = filepath.Join(env.RootDir, "cloud", "local")
	}
	if env.MinionBinary == "" {
		return nil, errors.New("local driver: no minion binary beside the master")
	}
	return &localDriver{provider: provider, base: base, binary: env.MinionBinary, env: env, procs: map[string]*localProc{}}, nil
}

func (d *localDriver) dir(name string) string { return filepath.Join(d.base, name) }

func (d *localDriver) Create(ctx context.Context, req CreateRequest, step func(string)) (*Instance, error) {
	dir := d.dir(req.Name)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("local instance %q already exists in %s", req.Name, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	cfg := map[string]any{}
	for k, v := range req.MinionConfig {
		cfg[k] = v
	}
	cfg["root_dir"] = filepath.Join(dir, "root")
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode minion config: %w", err)
	}
	// The config holds the join token: 0600, as on a cloud node.
	if err := os.WriteFile(filepath.Join(dir, "minion.yaml"), b, 0o600); err != nil {
		return nil, fmt.Errorf("write minion config: %w", err)
	}
	step("requesting")
	p, err := d.start(req.Name)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &Instance{
		Name: req.Name, Provider: d.provider, Driver: "local",
		InstanceID: "local-" + req.Name, State: "running", Created: time.Now().UTC(),
		Extra: map[string]string{"pid": strconv.Itoa(p.cmd.Process.Pid), "root_dir": dir},
	}, nil
}

// start runs the minion of instance name. It stops with the master
// (Pdeathsig) and its output goes to minion.log in its dir.
func (d *localDriver) start(name string) (*localProc, error) {
	dir := d.dir(name)
	logf, err := os.OpenFile(filepath.Join(dir, "minion.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open minion log: %w", err)
	}
	cmd := exec.Command(d.binary, "-c", filepath.Join(dir, "minion.yaml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start minion %s: %w", d.binary, err)
	}
	logf.Close()
	p := &localProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	d.mu.Lock()
	d.procs[name] = p
	d.mu.Unlock()
	return p, nil
}

// stop ends instance name's minion: SIGTERM, then SIGKILL after 10 s.
// A process this master did not start (it restarted) is found by its pid
// and checked to be that instance's minion before it is signalled.
func (d *localDriver) stop(inst *Instance) error {
	d.mu.Lock()
	p := d.procs[inst.Name]
	delete(d.procs, inst.Name)
	d.mu.Unlock()
	if p != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		return nil
	}
	pid := d.foreignPID(inst)
	if pid == 0 {
		return nil // gone, or the pid now belongs to another process
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	_ = proc.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if proc.Signal(syscall.Signal(0)) != nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return proc.Kill()
}

// InstanceState is "running" while the instance's minion process runs
// (after a master restart it does not: local instances stop with the
// master), else "stopped".
func (d *localDriver) InstanceState(inst *Instance) string {
	d.mu.Lock()
	p := d.procs[inst.Name]
	d.mu.Unlock()
	if p != nil {
		select {
		case <-p.done:
			return "stopped"
		default:
			return "running"
		}
	}
	if d.foreignPID(inst) > 0 {
		return "running"
	}
	return "stopped"
}

// foreignPID is the pid of instance inst's minion when a process this
// driver did not start runs it (checked by its command line), else 0.
func (d *localDriver) foreignPID(inst *Instance) int {
	pid, err := strconv.Atoi(inst.Extra["pid"])
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), filepath.Join(d.dir(inst.Name), "minion.yaml")) {
		return 0
	}
	return pid
}

func (d *localDriver) Destroy(_ context.Context, inst *Instance) error {
	if err := d.stop(inst); err != nil {
		return fmt.Errorf("stop local instance %s: %w", inst.Name, err)
	}
	if err := os.RemoveAll(d.dir(inst.Name)); err != nil {
		return fmt.Errorf("remove local instance %s: %w", inst.Name, err)
	}
	return nil
}

func (d *localDriver) Action(_ context.Context, inst *Instance, action string) (any, error) {
	switch action {
	case "stop":
		if err := d.stop(inst); err != nil {
			return nil, err
		}
		return map[string]any{"state": "stopped"}, nil
	case "start", "reboot":
		if action == "reboot" {
			if err := d.stop(inst); err != nil {
				return nil, err
			}
		}
		d.mu.Lock()
		_, running := d.procs[inst.Name]
		d.mu.Unlock()
		if running {
			return map[string]any{"state": "running"}, nil
		}
		p, err := d.start(inst.Name)
		if err != nil {
			return nil, err
		}
		return map[string]any{"state": "running", "pid": p.cmd.Process.Pid}, nil
	}
	return nil, fmt.Errorf("local driver: unknown action %q (stop, start, reboot)", action)
}
