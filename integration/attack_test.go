package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/internal/testutil"
	"github.com/brine-cm/brine/proto"
)

// Attacks by one accepted minion on the rest of the fleet, through the
// master. Each test holds a real accepted minion key ("evil") in a raw
// nats.go client and talks to a real master and real minions.

// acceptedRogue registers a fresh nkey as minion name, accepts it with ctl
// and returns a connection holding it, with the key pair.
func acceptedRogue(t *testing.T, c *testutil.Cluster, name string) (*rogue, nkeys.KeyPair) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	if r, err := connectRogue(c.URL(), name, pub, kp.Sign); err == nil {
		r.nc.Close()
		t.Fatalf("%s connected before its key was accepted", name)
	}
	waitKeys(t, c, name+" pending", func(k keyLists) bool { return contains(k.Pre, name) })
	if r := c.Ctl("key", "accept", name, "--yes"); r.Code != 0 {
		t.Fatalf("accept %s: %s", name, r.Stderr)
	}
	var ev *rogue
	testutil.Eventually(t, 10*time.Second, name+" to connect once accepted", func() bool {
		ev, err = connectRogue(c.URL(), name, pub, kp.Sign)
		return err == nil
	})
	t.Cleanup(func() { ev.nc.Close() })
	return ev, kp
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// victimCluster starts a master with a pillar for the victim and one real
// minion, "victim", accepted and answering.
func victimCluster(t *testing.T, extra map[string]any) *testutil.Cluster {
	t.Helper()
	dir := t.TempDir()
	pillarRoot := filepath.Join(dir, "pillar")
	fileRoot := filepath.Join(dir, "files")
	for _, d := range []string{pillarRoot, fileRoot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(pillarRoot, "top.sls"), "base:\n  victim:\n    - secret\n")
	write(filepath.Join(pillarRoot, "secret.sls"), "password: hunter2\naws_key: AKIAVICTIM\n")
	write(filepath.Join(fileRoot, "motd"), "hello\n")
	cfg := map[string]any{
		"auto_accept":  false,
		"pillar_roots": map[string]any{"base": []string{pillarRoot}},
		"file_roots":   map[string]any{"base": []string{fileRoot}},
	}
	for k, v := range extra {
		cfg[k] = v
	}
	c := cluster(t, cfg)
	vcfg := c.MinionConfig("victim", map[string]any{"roles": []string{"db"}})
	vcfg["mine_functions"] = map[string]any{"test.ping": []any{}} // mine data to match on
	c.StartMinion(vcfg)
	waitKeys(t, c, "victim pending", func(k keyLists) bool { return contains(k.Pre, "victim") })
	if r := c.Ctl("key", "accept", "victim", "--yes"); r.Code != 0 {
		t.Fatalf("accept victim: %s", r.Stderr)
	}
	waitPing(t, c, "victim", 1)
	// The master compiles and caches the victim's pillar.
	if r := c.Ctl("pillar.items", "victim"); r.Code != 0 || !strings.Contains(r.Stdout, "hunter2") {
		t.Fatalf("victim pillar: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	return c
}

// The master answers a minion's request only on that minion's own inbox:
// a reply subject pointing at the store (another minion's key, grains, job
// records, mine) or at another minion's return is dropped.
func TestAttackReplySubjectInjection(t *testing.T) {
	t.Parallel()
	c := victimCluster(t, nil)
	ev, _ := acceptedRogue(t, c, "evil")
	jid := proto.NewJID(time.Now())
	targets := []string{
		"$KV." + proto.BucketKeys + ".victim",
		"$KV." + proto.BucketGrains + ".victim",
		"$KV." + proto.BucketJobs + "." + jid,
		"$KV." + proto.BucketMine + ".victim",
		proto.ReturnSubject(jid, "victim"),
		proto.JobSubject("victim"),
		proto.EventSubject("salt/auth"),
	}
	for _, reply := range targets {
		for _, op := range []string{proto.ReqGrains, proto.ReqMineGet, proto.ReqFileList, proto.ReqTop} {
			body := `{"grains":{"id":"evil"}}`
			if op == proto.ReqMineGet {
				body = `{"tgt":{"expr":"*"},"fun":"x"}`
			}
			if err := ev.nc.PublishRequest(proto.MinionRequestSubject("evil", op), reply, []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	ev.noViolation(t, "requests on its own subjects")
	// A request with its own inbox is still answered (the drop is not
	// a blanket refusal), which also proves the earlier ones were handled.
	if _, err := ev.nc.Request(proto.MinionRequestSubject("evil", proto.ReqFileList), []byte(`{}`), 10*time.Second); err != nil {
		t.Fatalf("own-inbox request: %v", err)
	}
	// The victim's key record, grains and ability to work are intact.
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, "evil", "victim") || len(kl.Pre)+len(kl.Rejected)+len(kl.Denied) != 0 {
		t.Fatalf("keys changed: %v", kl)
	}
	if r := c.Ctl("key", "finger", "--all"); r.Code != 0 {
		t.Fatalf("key finger --all: exit %d %s", r.Code, r.Stderr)
	}
	m, r := ctlJSON(t, c, "grains.item", "victim", "roles")
	if r.Code != 0 || !strings.Contains(fmt.Sprint(m["victim"]), "db") {
		t.Fatalf("victim grains: %v %s", m, r.Stderr)
	}
	m, r = ctlJSON(t, c, "test.ping", "-G", "roles:db")
	if r.Code != 0 || m["victim"] != true {
		t.Fatalf("grain targeting after the attack: exit %d %v %s", r.Code, m, r.Stderr)
	}
	if r := c.Ctl("jobs", "show", jid); r.Code == 0 {
		t.Errorf("a job record %s was created by a minion: %s", jid, r.Stdout)
	}
	if !strings.Contains(c.Master.Output(), "reply subject outside its inbox") {
		t.Error("the master did not log the dropped requests")
	}
}

// A minion cannot learn another minion's pillar through mine.get targets.
func TestAttackMineGetPillarOracle(t *testing.T) {
	t.Parallel()
	c := victimCluster(t, nil)
	ev, _ := acceptedRogue(t, c, "evil")
	ask := func(tgt proto.Target) map[string]any {
		t.Helper()
		b, _ := json.Marshal(proto.MineGetRequest{Target: tgt, Fun: "test.ping"})
		msg, err := ev.nc.Request(proto.MinionRequestSubject("evil", proto.ReqMineGet), b, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(msg.Data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// A target that reads nothing private finds the victim's mine data,
	// so an empty answer below means "not matched", not "no data".
	testutil.Eventually(t, waitLong, "the victim's mine data", func() bool {
		data, _ := ask(proto.Target{Expr: "roles:db", Type: "grain"})["data"].(map[string]any)
		return data["victim"] == true
	})
	for _, tgt := range []proto.Target{
		{Expr: "password:hunter2", Type: "pillar"},
		{Expr: "password:h*", Type: "pillar_pcre"},
		{Expr: "I@password:hunter2", Type: "compound"},
		{Expr: "victim and J@aws_key:AKIA.*", Type: "compound"},
		{Expr: `pillar.password == "hunter2"`, Type: "expr"},
		{Expr: `$env["pil" + "lar"] != nil`, Type: "expr"},
	} {
		out := ask(tgt)
		e, _ := out["error"].(map[string]any)
		if tgt.Expr == `$env["pil" + "lar"] != nil` {
			// Not refusable by its text: it must see no pillar at all.
			if data, _ := out["data"].(map[string]any); len(data) != 0 {
				t.Errorf("%s target %q matched %v: it read pillar", tgt.Type, tgt.Expr, data)
			}
			continue
		}
		if e == nil || e["kind"] != proto.ErrDenied {
			t.Errorf("%s target %q from a minion: %v, want refused", tgt.Type, tgt.Expr, out)
		}
	}
	// The operator may still target by pillar.
	m, r := ctlJSON(t, c, "test.ping", "-I", "password:hunter2")
	if r.Code != 0 || m["victim"] != true {
		t.Errorf("operator pillar target: exit %d %v %s", r.Code, m, r.Stderr)
	}
}

// Deleting a key cuts every live connection holding it, not only the last.
func TestAttackKeyDeleteCutsEveryConnection(t *testing.T) {
	t.Parallel()
	c := victimCluster(t, nil)
	first, kp := acceptedRogue(t, c, "evil")
	pub, _ := kp.PublicKey()
	second, err := connectRogue(c.URL(), "evil", pub, kp.Sign)
	if err != nil {
		t.Fatal(err)
	}
	defer second.nc.Close()
	for _, r := range []*rogue{first, second} {
		if _, err := r.nc.SubscribeSync(proto.JobSubject("evil")); err != nil {
			t.Fatal(err)
		}
		r.noViolation(t, "subscribing to its own jobs")
	}
	if r := c.Ctl("key", "delete", "evil", "--yes"); r.Code != 0 {
		t.Fatalf("delete: %s", r.Stderr)
	}
	for i, r := range []*rogue{first, second} {
		ok := testutil.Poll(5*time.Second, func() bool { return r.nc.IsClosed() || !r.nc.IsConnected() })
		if !ok {
			t.Errorf("connection %d of the deleted key is still up", i+1)
		}
	}
}

// Returns: a minion cannot store a return under another minion's name, for
// a job that did not target it, for a job that does not exist, or twice.
func TestAttackReturns(t *testing.T) {
	t.Parallel()
	c := victimCluster(t, nil)
	ev, _ := acceptedRogue(t, c, "evil")
	// A slow job on the victim, so that evil has time to act.
	res := c.CtlAsync("cmd.run", "victim", "sleep 2; echo real", "--out", "json", "--timeout", "30")
	var jid string
	testutil.Eventually(t, 20*time.Second, "the job to be listed", func() bool {
		r := c.Ctl("jobs", "list", "--out", "json")
		var jobs map[string]map[string]any
		if json.Unmarshal([]byte(r.Stdout), &jobs) != nil {
			return false
		}
		for k, j := range jobs {
			if j["Function"] == "cmd.run" {
				jid = k
				return true
			}
		}
		return false
	})
	forged := []byte(`{"jid":"` + jid + `","id":"victim","fun":"cmd.run","return":"forged","success":true}`)
	// Its own return subject for the victim's job (not targeted), a made-up
	// job, the master's returns subject directly.
	for _, subj := range []string{proto.MinionReturnSubject(jid, "evil"), proto.MinionReturnSubject(proto.NewJID(time.Now()), "evil")} {
		if err := ev.nc.Publish(subj, forged); err != nil {
			t.Fatal(err)
		}
	}
	ev.noViolation(t, "publishing on its own return subjects")
	if err := ev.nc.Publish(proto.ReturnSubject(jid, "victim"), forged); err != nil {
		t.Fatal(err)
	}
	ev.expectViolation(t, "Publish", proto.ReturnSubject(jid, "victim"))
	r := <-res
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil || r.Code != 0 || m["victim"] != "real" || len(m) != 1 {
		t.Fatalf("ctl saw %q (exit %d, %s), want only the victim's real return", r.Stdout, r.Code, r.Stderr)
	}
	show := c.Ctl("jobs", "show", jid, "--out", "json")
	if !strings.Contains(show.Stdout, "real") || strings.Contains(show.Stdout, "forged") || strings.Contains(show.Stdout, "evil") {
		t.Errorf("job cache: %s", show.Stdout)
	}
}

// A minion flooding the master with costly requests is refused past its
// budget, and an operator's job stays fast.
func TestAttackRequestFlood(t *testing.T) {
	t.Parallel()
	c := victimCluster(t, nil)
	ev, _ := acceptedRogue(t, c, "evil")
	var busy, answered atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				select {
				case <-stop:
					return
				default:
				}
				msg, err := ev.nc.Request(proto.MinionRequestSubject("evil", proto.ReqPillar), []byte(`{}`), 10*time.Second)
				if err != nil {
					continue
				}
				answered.Add(1)
				if strings.Contains(string(msg.Data), proto.ErrBusy) {
					busy.Add(1)
				}
			}
		}()
	}
	// While the flood runs, the operator pings the victim.
	start := time.Now()
	m, r := ctlJSON(t, c, "test.ping", "victim", "--timeout", "10")
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if r.Code != 0 || m["victim"] != true {
		t.Fatalf("ping during flood: exit %d %v %s", r.Code, m, r.Stderr)
	}
	if busy.Load() == 0 {
		t.Errorf("none of %d flood requests was refused for the rate limit", answered.Load())
	}
	if took > 5*time.Second {
		t.Errorf("ping during a request flood took %s", took)
	}
	t.Logf("flood: %d answered, %d refused busy; ping took %s", answered.Load(), busy.Load(), took)
}

// A symbolic link in file_roots leading outside them is refused.
func TestAttackFileRootSymlink(t *testing.T) {
	t.Parallel()
	c := victimCluster(t, nil)
	ev, _ := acceptedRogue(t, c, "evil")
	var roots map[string][]string
	b, _ := json.Marshal(c.MasterConfig["file_roots"])
	_ = json.Unmarshal(b, &roots)
	root := roots["base"][0]
	if err := os.Symlink(filepath.Join(c.RootDir(), "ctl.creds"), filepath.Join(root, "creds")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(c.RootDir(), filepath.Join(root, "masterdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("motd", filepath.Join(root, "motd-link")); err != nil { // inside: fine
		t.Fatal(err)
	}
	creds, _ := os.ReadFile(filepath.Join(c.RootDir(), "ctl.creds"))
	for _, req := range []struct{ op, body string }{
		{proto.ReqFileStat, `{"path":"salt://creds"}`},
		{proto.ReqFileRead, `{"path":"salt://creds","offset":0,"length":4096}`},
		{proto.ReqFileStat, `{"path":"salt://masterdir/ctl.creds"}`},
		{proto.ReqFileRead, `{"path":"salt://masterdir/ctl.creds","offset":0,"length":4096}`},
		{proto.ReqFileList, `{"prefix":"masterdir"}`},
	} {
		msg, err := ev.nc.Request(proto.MinionRequestSubject("evil", req.op), []byte(req.body), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(msg.Data), strings.TrimSpace(string(creds))[:20]) || msg.Header.Get(proto.HeaderError) == "" {
			t.Errorf("%s %s: answered %q", req.op, req.body, msg.Data)
		}
	}
	msg, err := ev.nc.Request(proto.MinionRequestSubject("evil", proto.ReqFileRead), []byte(`{"path":"salt://motd-link","offset":0,"length":4096}`), 10*time.Second)
	if err != nil || string(msg.Data) != "hello\n" {
		t.Errorf("a link inside file_roots: %q %v", msg.Data, err)
	}
	msg, err = ev.nc.Request(proto.MinionRequestSubject("evil", proto.ReqFileList), []byte(`{}`), 10*time.Second)
	if err != nil || strings.Contains(string(msg.Data), "creds") || !strings.Contains(string(msg.Data), "motd-link") {
		t.Errorf("listing: %s %v", msg.Data, err)
	}
}

// A job sent right after `key accept` reaches the minion, which was still
// waiting out its reconnect backoff when the job was published.
func TestJobRightAfterKeyAccept(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": false})
	c.StartMinion(c.MinionConfig("fresh", nil))
	waitKeys(t, c, "fresh pending", func(k keyLists) bool { return contains(k.Pre, "fresh") })
	// Let the minion's backoff grow (several refused attempts), so that it
	// is not about to retry when the job is published.
	testutil.Eventually(t, 30*time.Second, "the pending minion to be refused 4 times", func() bool {
		n := 0
		for _, l := range strings.Split(c.Master.Output(), "\n") {
			if strings.Contains(l, "connection refused") && strings.Contains(l, "fresh") {
				n++
			}
		}
		return n >= 4
	})
	if r := c.Ctl("key", "accept", "fresh", "--yes"); r.Code != 0 {
		t.Fatalf("accept: %s", r.Stderr)
	}
	m, r := ctlJSON(t, c, "test.ping", "fresh", "--timeout", "15")
	if r.Code != 0 || m["fresh"] != true {
		t.Fatalf("job right after accept: exit %d %v %s", r.Code, m, r.Stderr)
	}
}

// A return larger than the bus's message limit arrives whole.
func TestLargeReturn(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	c.StartMinion(c.MinionConfig("big", nil))
	waitPing(t, c, "big", 1)
	const size = 9 << 20
	r := c.Ctl("cmd.run", "big", fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x", size), "--out", "json", "--timeout", "60")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, tail(r.Stderr))
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		t.Fatalf("bad json (%d bytes): %v", len(r.Stdout), err)
	}
	if got := len(m["big"]); got != size || strings.Trim(m["big"], "x") != "" {
		t.Fatalf("return of %d bytes, want %d", got, size)
	}
	// The job cache has it too.
	jl := c.Ctl("jobs", "list", "--out", "json")
	var jobs map[string]map[string]any
	_ = json.Unmarshal([]byte(jl.Stdout), &jobs)
	for jid, j := range jobs {
		if j["Function"] != "cmd.run" {
			continue
		}
		show := c.Ctl("jobs", "show", jid, "--out", "json")
		if show.Code != 0 || len(show.Stdout) < size {
			t.Errorf("jobs show %s: exit %d, %d bytes", jid, show.Code, len(show.Stdout))
		}
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
