package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/internal/testutil"
	"github.com/brine-cm/brine/proto"
)

// operatorConn connects to the bench master's bus as the operator (the
// credentials ctl uses), to observe returns and events directly.
func operatorConn(e *env) *nats.Conn {
	seed, err := os.ReadFile(filepath.Join(e.root, "ctl.creds"))
	check(err)
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	check(err)
	pub, err := kp.PublicKey()
	check(err)
	nc, err := nats.Connect(e.url, nats.Name("ctl"), nats.Nkey(pub, kp.Sign))
	check(err)
	return nc
}

// minionConn connects as an auto-accepted minion identity.
func minionConn(e *env, id string) *nats.Conn {
	kp, err := nkeys.CreateUser()
	check(err)
	pub, err := kp.PublicKey()
	check(err)
	for i := 0; ; i++ {
		nc, err := nats.Connect(e.url, nats.Name(id), nats.Nkey(pub, kp.Sign), nats.CustomInboxPrefix(proto.MinionInbox(id)))
		if err == nil {
			return nc
		}
		if i > 50 {
			fail("connect %s: %v", id, err)
		}
		time.Sleep(100 * time.Millisecond) // first connect records the key, auto_accept accepts it
	}
}

func startMasterWith(bin, dir, name string, extra map[string]any) *env {
	port, err := testutil.FreePort()
	check(err)
	e := &env{bin: bin, root: filepath.Join(dir, name), port: port, url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	cfg := map[string]any{"root_dir": e.root, "listen": fmt.Sprintf("127.0.0.1:%d", port), "auto_accept": true, "log_level": "error"}
	for k, v := range extra {
		cfg[k] = v
	}
	path := filepath.Join(dir, name+".yaml")
	check(testutil.WriteYAML(path, cfg))
	p, err := testutil.Start("master", filepath.Join(bin, "master"), "-c", path)
	check(err)
	e.master = p
	for {
		if _, err := os.Stat(filepath.Join(e.root, "master.url")); err == nil {
			return e
		}
		select {
		case <-p.Done():
			fail("master exited: %s", p.Output())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// eventsBench: the webhook -> reactor -> job latency, and the event rate
// the bus sustains with the reactor attached.
func eventsBench(bin, dir string, hooks int) {
	fmt.Println("== events, reactor and webhooks")
	apiPort, err := testutil.FreePort()
	check(err)
	react := filepath.Join(dir, "bench-react.sls")
	check(os.WriteFile(react, []byte("r:\n  local.test.arg:\n    - tgt: bench-1\n    - arg:\n      - '{{ data.post.n }}'\n"), 0o644))
	// the same reaction as a #!py file (issue 11)
	reactPy := filepath.Join(dir, "bench-react-py.sls")
	check(os.WriteFile(reactPy, []byte("#!py\ndef run():\n    return {'r': {'local.test.arg': [{'tgt': 'bench-1'}, {'arg': [str(data['post']['n'])]}]}}\n"), 0o644))
	e := startMasterWith(bin, dir, "master-events", map[string]any{
		// The per-minion event limit (default 1,000/s) is raised: this
		// measures what the bus, master and reactor sustain.
		"minion_event_rate": 1_000_000,
		"reactor": []any{map[string]any{"salt/netapi/hook/bench/*": []string{react}},
			map[string]any{"salt/netapi/hook/benchpy/*": []string{reactPy}}},
		"api": map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", apiPort),
			"hooks": []any{map[string]any{"path": "bench/*", "auth": "token", "secret": "t"},
				map[string]any{"path": "benchpy/*", "auth": "token", "secret": "t"}}},
	})
	defer e.master.Stop(30 * time.Second)
	mcfg := filepath.Join(dir, "events-minion.yaml")
	check(testutil.WriteYAML(mcfg, map[string]any{"id": "bench-1", "master": e.url, "root_dir": filepath.Join(dir, "events-minion"), "log_level": "error"}))
	m, err := testutil.Start("minion", filepath.Join(bin, "minion"), "-c", mcfg)
	check(err)
	defer m.Stop(10 * time.Second)
	for {
		if _, _, err := e.ctl("test.ping", "bench-1", "--timeout", "2"); err == nil {
			break
		}
	}
	op := operatorConn(e)
	defer op.Close()
	starts := make(chan [2]any, 16)
	_, err = op.Subscribe(proto.SubjectReturn+".>", func(msg *nats.Msg) {
		var r proto.Return
		if json.Unmarshal(msg.Data, &r) != nil || r.Fun != "test.arg" {
			return
		}
		v, _ := r.Return.(map[string]any)
		args, _ := v["args"].([]any)
		if len(args) == 1 {
			starts <- [2]any{fmt.Sprint(args[0]), r.Start}
		}
	})
	check(err)
	check(op.Flush())
	client := &http.Client{Timeout: 10 * time.Second}
	for _, kind := range []struct{ path, name string }{{"bench", "YAML"}, {"benchpy", "#!py"}} {
		var lat []time.Duration
		for i := 0; i < hooks; i++ {
			n := strconv.Itoa(i)
			req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/hook/%s/%d", apiPort, kind.path, i), bytes.NewReader([]byte(`{"n": "`+n+`"}`)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Brine-Token", "t")
			sent := time.Now()
			resp, err := client.Do(req)
			check(err)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				fail("hook %d: status %d", i, resp.StatusCode)
			}
			deadline := time.After(10 * time.Second)
		wait:
			for {
				select {
				case s := <-starts:
					if s[0] == n {
						lat = append(lat, s[1].(time.Time).Sub(sent))
						break wait
					}
				case <-deadline:
					fail("hook %d: reacted job never started", i)
				}
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)].Round(10 * time.Microsecond) }
		fmt.Printf("webhook POST -> %s reactor -> reacted job started on the minion, %d hooks: median %s, p99 %s, max %s\n", kind.name, hooks, pct(0.5), pct(0.99), lat[len(lat)-1].Round(10*time.Microsecond))
	}

	// Event throughput: 8 minion identities fire events as fast as they
	// can; the master checks each, stamps it, stores it in the events
	// stream and hands it to the reactor; an operator counts them.
	const senders, perSender = 8, 12500
	var got atomic.Int64
	done := make(chan struct{})
	_, err = op.Subscribe(proto.SubjectEvent+".bench.>", func(*nats.Msg) {
		if got.Add(1) == senders*perSender {
			close(done)
		}
	})
	check(err)
	check(op.Flush())
	conns := make([]*nats.Conn, senders)
	for i := range conns {
		conns[i] = minionConn(e, fmt.Sprintf("ev-%d", i))
		defer conns[i].Close()
	}
	body, _ := json.Marshal(proto.Event{Tag: "bench/event", Data: map[string]any{"k": "v"}})
	start := time.Now()
	var pubErr atomic.Pointer[error] // fail is for the bench's own goroutine
	for i, nc := range conns {
		go func(i int, nc *nats.Conn) {
			subj := proto.MinionEventSubject(fmt.Sprintf("ev-%d", i))
			for j := 0; j < perSender; j++ {
				if err := nc.Publish(subj, body); err != nil {
					pubErr.CompareAndSwap(nil, &err)
					return
				}
			}
			_ = nc.Flush()
		}(i, nc)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
	}
	if err := pubErr.Load(); err != nil {
		fail("publish: %v", *err)
	}
	el := time.Since(start)
	fmt.Printf("events through the bus with the reactor attached: %d of %d in %s = %.0f events/s\n", got.Load(), senders*perSender, el.Round(time.Millisecond), float64(got.Load())/el.Seconds())
}

// mineBench: mine.get over N simulated minions.
func mineBench(bin, dir string, n, runs int) {
	fmt.Printf("== mine.get over %d simulated minions\n", n)
	e := startMasterWith(bin, dir, "master-mine", nil)
	defer e.master.Stop(30 * time.Second)
	fleet := exec.Command(filepath.Join(bin, "simfleet"), "-n", strconv.Itoa(n), "-master", e.url, "-mine")
	fleet.Stderr = os.Stderr
	check(fleet.Start())
	defer func() { _ = fleet.Process.Signal(os.Interrupt); _ = fleet.Wait() }()
	get := func() (int, time.Duration) {
		out, d, err := e.ctl("run", "mine.get", "*", "addr", "--out", "json")
		if err != nil {
			return 0, d
		}
		var m map[string]any
		if json.Unmarshal([]byte(out), &m) != nil {
			return 0, d
		}
		return len(m), d
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if c, _ := get(); c == n {
			break
		}
		if time.Now().After(deadline) {
			fail("mine never held %d entries", n)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var ds []time.Duration
	for i := 0; i < runs; i++ {
		c, d := get()
		if c != n {
			fail("mine.get returned %d of %d", c, n)
		}
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	fmt.Printf("ctl run mine.get '*' addr over %d minions: median %s (ctl start to exit, %d runs)\n", n, ds[len(ds)/2].Round(time.Millisecond), runs)
}
