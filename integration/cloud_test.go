package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/internal/testutil"
)

// cloudCluster starts a master with the local provider and a web-local
// profile whose nodes run a highstate at start (one file.managed per
// node) and publish mine data.
func cloudCluster(t *testing.T, extra map[string]any) (*testutil.Cluster, string) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "states", "top.sls"), "base:\n  'roles:web':\n    - match: grain\n    - web\n")
	write(filepath.Join(dir, "states", "web.sls"), `web_marker:
  file.managed:
    - name: `+out+`/{{ grains['id'] }}
    - makedirs: True
    - contents: {{ grains['env'] }}
`)
	cfg := map[string]any{
		"file_roots": map[string]any{"base": []string{filepath.Join(dir, "states")}},
		"cloud": map[string]any{
			"providers": map[string]any{"local": map[string]any{"driver": "local"}},
			"profiles": map[string]any{
				"web-expired": map[string]any{"provider": "local", "join_token_ttl": 0.001},
				"web-local": map[string]any{
					"provider":       "local",
					"grains":         map[string]any{"roles": []any{"web"}, "env": "prod"},
					"startup_states": "highstate",
					"minion":         map[string]any{"mine_functions": map[string]any{"test.ping": []any{}}, "log_level": "debug"},
				},
			},
		},
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cluster(t, cfg), out
}

// ctl cloud create -p web-local a b c: three local nodes join with their
// join tokens (no operator accepts a key), run their highstate, and Salt's
// cloud events mark the way; destroy removes keys and mine data.
func TestCloudCreateDestroyLocal(t *testing.T) {
	c, out := cloudCluster(t, nil)
	events := followEvents(t, c)
	joins := events

	r := c.Ctl("cloud", "create", "-p", "web-local", "a", "b", "c", "--out", "json", "--timeout", "60")
	if r.Code != 0 {
		t.Fatalf("cloud create: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	var res map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("bad json %q: %v", r.Stdout, err)
	}
	for _, id := range []string{"a", "b", "c"} {
		one := res[id]
		if one["result"] != true || one["joined"] != true {
			t.Errorf("%s: %v", id, one)
		}
		if st, _ := one["startup_states"].(map[string]any); st["success"] != true {
			t.Errorf("%s: startup states %v", id, one["startup_states"])
		}
		// The highstate ran on the node with the profile's grains.
		if b, err := os.ReadFile(filepath.Join(out, id)); err != nil || strings.TrimSpace(string(b)) != "prod" {
			t.Errorf("%s: highstate output %q, %v", id, b, err)
		}
		if strings.Contains(r.Stdout, "brjt_") {
			t.Errorf("a join token is in the output: %s", r.Stdout)
		}
	}
	keys := listKeys(t, c)
	if !equalIDs(keys.Minions, "a", "b", "c") || len(keys.Pre) != 0 {
		t.Fatalf("keys after create: %v", keys)
	}
	// Jobs reach them at once.
	if r := c.Ctl("test.ping", "roles:web", "--out", "json"); r.Code != 0 || strings.Count(r.Stdout, "true") != 3 {
		t.Errorf("ping: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	for _, id := range []string{"a", "b", "c"} {
		for _, step := range []string{"creating", "requesting", "created"} {
			tag := "salt/cloud/" + id + "/" + step
			testutil.Eventually(t, 10*time.Second, "event "+tag, func() bool { return strings.Contains(events.Output(), `"`+tag+`"`) })
		}
		testutil.Eventually(t, 10*time.Second, "join event of "+id, func() bool { return strings.Contains(joins.Output(), `"brine/join/`+id+`/accepted"`) })
	}
	if strings.Contains(events.Output()+joins.Output(), "brjt_") {
		t.Error("a join token is in an event")
	}

	// list and show.
	lst, lr := ctlJSON(t, c, "cloud", "list")
	if lr.Code != 0 {
		t.Fatalf("cloud list: %d %s", lr.Code, lr.Stderr)
	}
	nodes, _ := lst["local"].(map[string]any)["local"].(map[string]any)
	if len(nodes) != 3 || nodes["a"].(map[string]any)["id"] != "local-a" {
		t.Errorf("cloud list = %v", lst)
	}
	if sh, sr := ctlJSON(t, c, "cloud", "show", "b"); sr.Code != 0 || sh["b"].(map[string]any)["profile"] != "web-local" {
		t.Errorf("cloud show b = %v (%s)", sh, sr.Stderr)
	}
	if sr := c.Ctl("cloud", "show", "nosuch"); sr.Code != 2 || !strings.Contains(sr.Stderr, `no cloud instance named "nosuch"`) {
		t.Errorf("cloud show nosuch: %d %s", sr.Code, sr.Stderr)
	}
	// A second create of the same name is refused.
	if r := c.Ctl("cloud", "create", "-p", "web-local", "a", "--out", "json"); r.Code != 1 || !strings.Contains(r.Stdout, "exists") {
		t.Errorf("create a again: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}

	// Mine data is there, then gone with the node.
	testutil.Eventually(t, 20*time.Second, "mine data of a", func() bool {
		m, _ := ctlJSON(t, c, "run", "mine.get", "*", "test.ping")
		return m["a"] == true && m["b"] == true && m["c"] == true
	})
	// Actions: c's minion stops, then starts again and answers.
	if a, ar := ctlJSON(t, c, "run", "cloud.action", "stop", "c"); ar.Code != 0 || a["c"].(map[string]any)["state"] != "stopped" {
		t.Errorf("stop c: %v %s", a, ar.Stderr)
	}
	if sh, _ := ctlJSON(t, c, "cloud", "show", "c"); sh["c"].(map[string]any)["state"] != "stopped" {
		t.Errorf("show c after stop: %v", sh)
	}
	if a, ar := ctlJSON(t, c, "run", "cloud.action", "func=start", "instances=c"); ar.Code != 0 || a["c"].(map[string]any)["state"] != "running" {
		t.Errorf("start c: %v %s", a, ar.Stderr)
	}
	testutil.Eventually(t, waitLong, "c answering after its restart", func() bool {
		return c.Ctl("test.ping", "c", "--timeout", "2").Code == 0
	})
	if r := c.Ctl("run", "cloud.action", "explode", "c"); !strings.Contains(r.Stdout, "unknown action") || r.Code != 1 {
		t.Errorf("unknown action: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if r := c.Ctl("cloud", "destroy", "a", "b", "--yes", "--out", "json"); r.Code != 0 {
		t.Fatalf("destroy: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	keys = listKeys(t, c)
	if !equalIDs(keys.Minions, "c") || len(keys.Pre) != 0 {
		t.Errorf("keys after destroy: %v", keys)
	}
	if m, _ := ctlJSON(t, c, "run", "mine.get", "*", "test.ping"); m["a"] != nil || m["b"] != nil || m["c"] != true {
		t.Errorf("mine after destroy = %v", m)
	}
	for _, id := range []string{"a", "b"} {
		for _, step := range []string{"destroying", "destroyed"} {
			tag := "salt/cloud/" + id + "/" + step
			testutil.Eventually(t, 10*time.Second, "event "+tag, func() bool { return strings.Contains(events.Output(), `"`+tag+`"`) })
		}
		if _, err := os.Stat(filepath.Join(c.RootDir(), "cloud", "local", id)); !os.IsNotExist(err) {
			t.Errorf("%s: instance dir left: %v", id, err)
		}
	}
	lst, _ = ctlJSON(t, c, "cloud", "list")
	if nodes, _ := lst["local"].(map[string]any)["local"].(map[string]any); len(nodes) != 1 {
		t.Errorf("cloud list after destroy = %v", lst)
	}
	if r := c.Ctl("cloud", "destroy", "a", "--yes"); r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "no cloud instance") {
		t.Errorf("destroy a twice: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	// Local instances stop with their master; after a restart, list says so.
	c.StopMaster()
	c.StartMaster()
	testutil.Eventually(t, waitLong, "c listed as stopped after the master's restart", func() bool {
		sh, _ := ctlJSON(t, c, "cloud", "show", "c")
		v, _ := sh["c"].(map[string]any)
		return v["state"] == "stopped"
	})
	if r := c.Ctl("cloud", "destroy", "c", "--yes"); r.Code != 0 {
		t.Errorf("destroy c after the restart: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
}

// A profile that does not exist, or no names: errors, nothing created.
func TestCloudCreateErrors(t *testing.T) {
	c, _ := cloudCluster(t, nil)
	r := c.Ctl("cloud", "create", "-p", "web-locl", "x")
	if r.Code != 2 || !strings.Contains(r.Stderr, `no cloud profile "web-locl" (did you mean "web-local"?)`) {
		t.Errorf("unknown profile: %d %s", r.Code, r.Stderr)
	}
	r = c.Ctl("run", "cloud.create", "web-local")
	if r.Code != 2 || !strings.Contains(r.Stderr, "needs one or more names") {
		t.Errorf("no names: %d %s", r.Code, r.Stderr)
	}
	if lst, _ := ctlJSON(t, c, "cloud", "list"); len(lst) != 0 {
		t.Errorf("list after errors = %v", lst)
	}
	if p, _ := ctlJSON(t, c, "run", "cloud.list_profiles"); p["web-local"].(map[string]any)["provider"] != "local:local" {
		t.Errorf("list_profiles = %v", p)
	}
}

// An unknown driver, a profile naming a missing provider, an unknown key:
// the master refuses to start, naming the file, line and key.
func TestCloudConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   string
		dropD map[string]string
		want  string
	}{
		{"unknown driver", "cloud:\n  providers:\n    aws:\n      driver: ec3\n", nil, `master.yaml line 4: provider "aws": driver: unknown driver "ec3"`},
		{"missing provider", "cloud:\n  providers:\n    aws: {driver: ec2}\n  profiles:\n    web: {provider: awz}\n", nil, `master.yaml line 6: profile "web": provider: "awz" is not defined (did you mean "aws"?)`},
		{"unknown key", "cloud:\n  providers:\n    aws: {driver: ec2, regoin: x}\n", nil, `unknown key "regoin" in cloud.providers.aws (did you mean "region"?)`},
		{"drop-in unknown driver", "log_level: info\n", map[string]string{"cloud.providers.d/aws.conf": "aws_provider:\n  provider: ec9\n"}, `aws.conf line 1: provider "aws_provider": driver: unknown driver "ec9"`},
		{"drop-in bad type", "log_level: info\n", map[string]string{"cloud.profiles.d/web.conf": "web:\n  provider: aws\n  block_device_mappings: 50\n"}, `web.conf line 3: "web.block_device_mappings" must be a list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "master.yaml")
			if err := os.WriteFile(path, []byte("root_dir: "+filepath.Join(dir, "root")+"\n"+tc.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			for p, s := range tc.dropD {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := testutil.Start("master", filepath.Join(binDir, "master"), "-c", path)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.Done():
			case <-time.After(30 * time.Second):
				p.Kill()
				t.Fatal("master started with a bad cloud config")
			}
			if !strings.Contains(p.Output(), tc.want) {
				t.Errorf("want %q in:\n%s", tc.want, p.Output())
			}
		})
	}
}

// followEvents starts `ctl events` and returns once it follows the bus: a
// minion presenting a made-up join token is refused with an event (and
// its key is left pending, then deleted).
func followEvents(t *testing.T, c *testutil.Cluster) *testutil.Proc {
	t.Helper()
	ev := c.StartCtl("events", "*")
	// The refusal is fired once per token: until `ctl events` is surely
	// subscribed, each try presents a new made-up token.
	for i := 0; ; i++ {
		cfg := c.MinionConfig("probe", nil)
		cfg["join_token"] = fmt.Sprintf("brjt_made-up-%d", i)
		c.StartMinion(cfg)
		seen := false
		deadline := time.Now().Add(5 * time.Second)
		for !seen && time.Now().Before(deadline) {
			seen = strings.Contains(ev.Output(), `"brine/join/probe/refused"`) && strings.Contains(ev.Output(), `"reason":"unknown"`)
			time.Sleep(50 * time.Millisecond)
		}
		c.StopMinion("probe")
		if seen {
			break
		}
		if i == 8 {
			t.Fatalf("no refused-join event for a made-up token after %d tries:\n%s", i+1, ev.Output())
		}
	}
	if keys := listKeys(t, c); !equalIDs(keys.Pre, "probe") || len(keys.Minions) != 0 {
		t.Fatalf("keys after a made-up token: %v", keys)
	}
	if r := c.Ctl("key", "delete", "probe", "--yes"); r.Code != 0 {
		t.Fatalf("key delete probe: %d %s", r.Code, r.Stderr)
	}
	return ev
}

// Join tokens are single-use, expire and belong to one minion id: a
// foreign, reused or expired token is refused with an event and the key
// waits for an operator.
func TestCloudJoinTokenRefused(t *testing.T) {
	c, _ := cloudCluster(t, nil)
	ev := followEvents(t, c)
	if r := c.Ctl("cloud", "create", "-p", "web-local", "a", "--out", "json", "--timeout", "60"); r.Code != 0 {
		t.Fatalf("cloud create: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	// a's token, as its node holds it.
	var mcfg struct {
		Token string `yaml:"join_token"`
	}
	b, err := os.ReadFile(filepath.Join(c.RootDir(), "cloud", "local", "a", "minion.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &mcfg); err != nil || !strings.HasPrefix(mcfg.Token, "brjt_") {
		t.Fatalf("a's token: %q %v", mcfg.Token, err)
	}
	// Foreign: another id presents a's token.
	cfg := c.MinionConfig("intruder", nil)
	cfg["join_token"] = mcfg.Token
	c.StartMinion(cfg)
	testutil.Eventually(t, waitLong, "the foreign token refused", func() bool {
		return strings.Contains(ev.Output(), `"brine/join/intruder/refused"`) && strings.Contains(ev.Output(), `"reason":"foreign"`)
	})
	c.StopMinion("intruder")
	// Reused: a's key is deleted by hand; its node reconnects with its
	// spent token and lands in pending.
	if r := c.Ctl("key", "delete", "a", "--yes"); r.Code != 0 {
		t.Fatalf("key delete a: %d %s", r.Code, r.Stderr)
	}
	testutil.Eventually(t, waitLong, "the reused token refused", func() bool {
		return strings.Contains(ev.Output(), `"brine/join/a/refused"`) && strings.Contains(ev.Output(), `"reason":"reused"`)
	})
	keys := waitKeys(t, c, "a and intruder pending", func(k keyLists) bool { return equalIDs(k.Pre, "a", "intruder") })
	if len(keys.Minions) != 0 {
		t.Errorf("keys = %v", keys)
	}
	// Expired: the node comes up after its token's time.
	r := c.Ctl("cloud", "create", "-p", "web-expired", "late", "--out", "json", "--timeout", "60")
	if r.Code != 1 || !strings.Contains(r.Stdout, "join token refused (expired)") {
		t.Errorf("create with an expired token: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(ev.Output(), `"reason":"expired"`) {
		t.Errorf("no expired event in %s", ev.Output())
	}
	keys = listKeys(t, c)
	if !equalIDs(keys.Pre, "a", "intruder", "late") || len(keys.Minions) != 0 {
		t.Errorf("keys = %v", keys)
	}
	if strings.Contains(ev.Output(), mcfg.Token) {
		t.Error("a join token is in an event")
	}
}
