// Command bench measures the figures BENCHMARKS.md reports, with the real
// master, minion and ctl binaries and a simulated fleet (cmd/simfleet) in a
// process of its own:
//
//   - test.ping to all of N minions: wall time from ctl start to the last
//     return, median of 5;
//   - master RSS with N minions connected;
//   - time for all N to reconnect after a master restart;
//   - RSS of one real minion process at rest;
//   - time from starting a fresh minion (auto_accept) to its first return.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

func main() { os.Exit(run()) }

// run is the bench: every process it starts is stopped whether it ends
// well, fails (fail) or is interrupted (SIGINT, SIGTERM), and its temporary
// directory is removed.
func run() int {
	sizes := flag.String("n", "100,1000,10000", "fleet sizes (empty: skip the fleet benchmarks)")
	runs := flag.Int("runs", 5, "runs per measurement")
	only := flag.String("only", "", "run only one part: fleet, minion, states, events, mine, cloud, autoscale or aws")
	burst := flag.Int("autoscale-burst", 50, "launches at once for the autoscale bench")
	hooks := flag.Int("hooks", 1000, "webhooks for the reactor latency")
	mineN := flag.Int("mine-n", 5000, "simulated minions for mine.get")
	flag.Parse()
	dir, err := os.MkdirTemp("", "brine-bench-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	stop := onSignal(dir)
	defer stop()
	return guard(dir, func() { benchAll(dir, *sizes, *runs, *only, *hooks, *mineN, *burst) })
}

func benchAll(dir, sizes string, runs int, only string, hooks, mineN, burst int) {
	bin := filepath.Join(dir, "bin")
	fmt.Println("building binaries...")
	check(testutil.Build(bin, "./cmd/simfleet"))
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Printf("date: %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))

	if only == "" || only == "fleet" {
		for _, s := range strings.Split(sizes, ",") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(s))
			check(err)
			fleetBench(bin, dir, n, runs)
		}
	}
	if only == "" || only == "minion" {
		minionBench(bin, dir)
	}
	if only == "" || only == "states" {
		statesBench(bin, dir, runs)
	}
	if only == "" || only == "events" {
		eventsBench(bin, dir, hooks)
	}
	if only == "" || only == "mine" {
		mineBench(bin, dir, mineN, runs)
	}
	if only == "" || only == "cloud" {
		cloudBench(bin, dir, 20, runs)
	}
	if only == "" || only == "autoscale" {
		autoscaleBench(bin, dir, max(runs, 9), burst)
	}
	if only == "" || only == "aws" {
		awsBench(bin, dir, runs)
	}
}

// statesBench: one minion applies 500 file.managed states, each rendering
// a small Jinja template that uses a grain and a loop, through the master
// (ctl state.sls): first apply into an empty directory, then the no-op
// re-apply; median of runs.
func statesBench(bin, dir string, runs int) {
	fmt.Println("== 500 file.managed states on one minion")
	roots := filepath.Join(dir, "srv")
	out := filepath.Join(dir, "bench-out")
	sls := "{% for i in range(500) %}\nf{{ i }}:\n  file.managed:\n    - name: " + out + "/f{{ i }}\n" +
		"    - source: salt://bench/tpl.j2\n    - template: jinja\n    - makedirs: True\n    - context:\n        n: {{ i }}\n{% endfor %}\n"
	check(os.MkdirAll(filepath.Join(roots, "bench"), 0o755))
	check(os.WriteFile(filepath.Join(roots, "bench", "init.sls"), []byte(sls), 0o644))
	check(os.WriteFile(filepath.Join(roots, "bench", "tpl.j2"), []byte("{% for j in range(3) %}{{ grains['id'] }}-{{ n }}-{{ j }}\n{% endfor %}\n"), 0o644))
	port, err := testutil.FreePort()
	check(err)
	e := &env{bin: bin, root: filepath.Join(dir, "master-states"), port: port, url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	cfg := filepath.Join(dir, "master-states.yaml")
	check(testutil.WriteYAML(cfg, map[string]any{"root_dir": e.root, "listen": fmt.Sprintf("127.0.0.1:%d", port), "auto_accept": true,
		"log_level": "error", "file_roots": map[string]any{"base": []string{roots}}}))
	p, err := testutil.Start("master", filepath.Join(bin, "master"), "-c", cfg)
	check(err)
	e.master = p
	defer e.master.Stop(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(e.root, "master.url")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mcfg := filepath.Join(dir, "bench-minion.yaml")
	check(testutil.WriteYAML(mcfg, map[string]any{"id": "bench-1", "master": e.url, "root_dir": filepath.Join(dir, "bench-minion"), "log_level": "error"}))
	m, err := testutil.Start("minion", filepath.Join(bin, "minion"), "-c", mcfg)
	check(err)
	defer m.Stop(10 * time.Second)
	for {
		if _, _, err := e.ctl("test.ping", "bench-1", "--timeout", "2"); err == nil {
			break
		}
	}
	ctlFirstByte(e, "bench-1", 21)
	apply := func() time.Duration {
		outJSON, d, err := e.ctl("state.sls", "bench-1", "bench", "--out", "json", "--timeout", "60")
		if err != nil {
			fail("state.sls: %v\n%s", err, lastLines(outJSON, 10))
		}
		return d
	}
	apply() // warm the minion's file cache once, as any second deploy would have it
	var first, noop []time.Duration
	for i := 0; i < runs; i++ {
		check(os.RemoveAll(out))
		first = append(first, apply())
		noop = append(noop, apply())
	}
	med := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2].Round(time.Millisecond)
	}
	fmt.Printf("first apply (500 files created): median %s over %d runs\n", med(first), runs)
	fmt.Printf("no-op re-apply (0 changes):      median %s over %d runs\n", med(noop), runs)
	var floor []time.Duration
	for i := 0; i < runs; i++ {
		floor = append(floor, createFloor(filepath.Join(dir, "floor")))
	}
	fmt.Printf("(the file system alone, 500 x create, write, chmod, rename beside the bench's files: median %s;\n first apply's figure includes it, and it varies with the machine's disk)\n", med(floor))
	if _, err := exec.LookPath("ansible-playbook"); err == nil {
		fmt.Println("(ansible-playbook is installed; the side-by-side playbook comparison is not implemented yet)")
	}
}

// createFloor is what creating 500 small files costs on this file system,
// the way file.managed writes one (a temporary file beside it, written,
// given its mode, renamed into place), in a fresh directory under dir.
func createFloor(dir string) time.Duration {
	check(os.RemoveAll(dir))
	check(os.MkdirAll(dir, 0o755))
	data := []byte("bench-1-0-0\nbench-1-0-1\nbench-1-0-2\n")
	start := time.Now()
	for i := 0; i < 500; i++ {
		tmp := filepath.Join(dir, fmt.Sprintf(".f%d.tmp", i))
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		check(err)
		_, err = f.Write(data)
		check(err)
		check(f.Chmod(0o644))
		check(f.Close())
		check(os.Rename(tmp, filepath.Join(dir, fmt.Sprintf("f%d", i))))
	}
	d := time.Since(start)
	check(os.RemoveAll(dir))
	return d
}

type env struct {
	bin, root, url string
	port           int
	master         *testutil.Proc
}

func startMaster(bin, dir, name string) *env {
	port, err := testutil.FreePort()
	check(err)
	e := &env{bin: bin, root: filepath.Join(dir, name), port: port, url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	e.restartMaster()
	return e
}

func (e *env) restartMaster() time.Time {
	cfg := filepath.Join(e.root + ".yaml")
	check(testutil.WriteYAML(cfg, map[string]any{"root_dir": e.root, "listen": fmt.Sprintf("127.0.0.1:%d", e.port), "auto_accept": true, "log_level": "error"}))
	_ = os.Remove(filepath.Join(e.root, "master.url"))
	start := time.Now()
	p, err := testutil.Start("master", filepath.Join(e.bin, "master"), "-c", cfg)
	check(err)
	e.master = p
	for {
		if _, err := os.Stat(filepath.Join(e.root, "master.url")); err == nil {
			return start
		}
		select {
		case <-p.Done():
			fail("master exited: %s", p.Output())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (e *env) ctl(args ...string) (string, time.Duration, error) {
	start := time.Now()
	out, err := exec.Command(filepath.Join(e.bin, "ctl"), append([]string{"--root-dir", e.root}, args...)...).Output()
	return string(out), time.Since(start), err
}

func fleetBench(bin, dir string, n, runs int) {
	fmt.Printf("== fleet of %d simulated minions\n", n)
	e := startMaster(bin, dir, fmt.Sprintf("master-%d", n))
	defer func() { _ = e.master.Stop(30 * time.Second) }() // the master of the latest restart
	fleet := exec.Command(filepath.Join(bin, "simfleet"), "-n", strconv.Itoa(n), "-master", e.url, "-ramp", "2000")
	stdout, err := fleet.StdoutPipe()
	check(err)
	fleet.Stderr = os.Stderr
	check(fleet.Start())
	defer func() { _ = fleet.Process.Signal(os.Interrupt); _ = fleet.Wait() }()
	counts := make(chan int, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var c int
			if _, err := fmt.Sscanf(sc.Text(), "connected %d", &c); err == nil {
				counts <- c
			}
		}
		close(counts)
	}()
	start := time.Now()
	waitCount(counts, n, 5*time.Minute)
	fmt.Printf("all %d connected (first start, ramped at 2000/s) in %s\n", n, time.Since(start).Round(time.Millisecond))

	timeout := "60"
	ping := func() time.Duration {
		out, d, err := e.ctl("test.ping", "*", "--out", "json", "--timeout", timeout)
		if err != nil {
			fail("ctl test.ping: %v\n%s", err, lastLines(out, 5))
		}
		var m map[string]any
		check(json.Unmarshal([]byte(out), &m))
		if len(m) != n {
			fail("test.ping: %d of %d returned", len(m), n)
		}
		return d
	}
	ping() // warm up
	var ds []time.Duration
	for i := 0; i < runs; i++ {
		ds = append(ds, ping())
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	fmt.Printf("test.ping to all %d: median %s (min %s, max %s) over %d runs\n", n, ds[len(ds)/2].Round(time.Millisecond), ds[0].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), runs)
	fmt.Printf("master RSS with %d minions: %s\n", n, rss(e.master.Cmd.Process.Pid))

	check(e.master.Stop(30 * time.Second))
	waitCount(counts, 0, 2*time.Minute)
	restart := e.restartMaster()
	waitCount(counts, n, 5*time.Minute)
	fmt.Printf("all %d reconnected %s after the master restart began\n", n, time.Since(restart).Round(time.Millisecond))
	ping()
	fmt.Println()
}

func waitCount(counts <-chan int, want int, timeout time.Duration) {
	deadline := time.After(timeout)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	cur := -1
	for {
		select {
		case <-tick.C:
			fmt.Fprintf(os.Stderr, "  ... %d connected\n", cur)
		case c, ok := <-counts:
			if !ok {
				fail("simfleet exited")
			}
			cur = c
			if c == want {
				return
			}
		case <-deadline:
			fail("timed out waiting for %d connected minions", want)
		}
	}
}

func minionBench(bin, dir string) {
	fmt.Println("== one real minion")
	e := startMaster(bin, dir, "master-single")
	defer e.master.Stop(30 * time.Second)
	events := exec.Command(filepath.Join(bin, "ctl"), "--root-dir", e.root, "events", "salt/minion/*/start")
	evOut, err := events.StdoutPipe()
	check(err)
	check(events.Start())
	defer func() { _ = events.Process.Kill(); _ = events.Wait() }()
	started := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(evOut)
		for sc.Scan() {
			started <- sc.Text()
		}
	}()
	time.Sleep(200 * time.Millisecond) // let ctl events subscribe before the minion starts

	var ds []time.Duration
	var last *testutil.Proc
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("fresh-%d", i)
		cfg := filepath.Join(dir, id+".yaml")
		check(testutil.WriteYAML(cfg, map[string]any{"id": id, "master": e.url, "root_dir": filepath.Join(dir, id), "log_level": "error"}))
		t0 := time.Now()
		p, err := testutil.Start(id, filepath.Join(bin, "minion"), "-c", cfg)
		check(err)
		defer func() { _ = p.Stop(10 * time.Second) }()
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			fail("minion %s never connected: %s", id, p.Output())
		}
		if out, _, err := e.ctl("test.ping", id, "--timeout", "10"); err != nil {
			fail("ping %s: %v %s", id, err, out)
		}
		ds = append(ds, time.Since(t0))
		if last != nil {
			_ = last.Stop(10 * time.Second)
		}
		last = p
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	fmt.Printf("fresh minion start (key generation, grains, auto_accept) to first test.ping return: median %s (min %s, max %s)\n",
		ds[len(ds)/2].Round(time.Millisecond), ds[0].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
	time.Sleep(5 * time.Second) // at rest
	fmt.Printf("idle minion RSS: %s\n", rss(last.Cmd.Process.Pid))
	_ = last.Stop(10 * time.Second)
}

func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
	}
	return "?"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

// fail reports a failed measurement and unwinds the bench (see guard):
// the deferred stops of the processes it started run on the way out. Call
// it from the bench's own goroutine only.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	panic(benchFailure{})
}
