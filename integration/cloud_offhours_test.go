package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
)

// Off hours (seed 004's Cloud Custodian policy): a master schedule runs
// cloud.action stop with a tag filter; every instance carrying the tag at
// the provider stops, whoever started it, and the others are untouched.
// The morning's schedule starts them again; an untagged instance that was
// stopped stays stopped. Repeated runs leave stopped instances alone.
func TestCloudOffHoursSchedule(t *testing.T) {
	t.Parallel()
	fake := fakeaws.NewEC2()
	defer fake.Close()
	testA := fake.AddInstance("running", map[string]string{"Name": "test-a", "offhours": "on"})
	testB := fake.AddInstance("running", map[string]string{"offhours": "on", "team": "qa"})
	prod := fake.AddInstance("running", map[string]string{"Name": "prod", "offhours": "off"})
	spare := fake.AddInstance("stopped", map[string]string{"Name": "spare"})
	state := func() map[string]string {
		out := map[string]string{}
		for _, in := range fake.Instances() {
			out[in.ID] = in.State
		}
		return out
	}
	const secret = "offhours-secret-key"
	entry := func(action string) map[string]any {
		return map[string]any{"offhours-" + action: map[string]any{
			"function": "cloud.action", "args": []any{action}, "kwargs": map[string]any{"tag": "offhours=on", "provider": "aws"},
			"seconds": 1, "run_on_start": true,
		}}
	}
	c := cluster(t, map[string]any{
		"cloud": map[string]any{"providers": map[string]any{"aws": map[string]any{
			"driver": "ec2", "id": "AKIDOFFHOURS", "key": secret, "region": "us-east-1", "endpoint": fake.URL(),
		}}},
		"schedule": entry("stop"),
	})
	testutil.Eventually(t, waitLong, "the tagged instances to stop", func() bool {
		s := state()
		return s[testA] == "stopped" && s[testB] == "stopped"
	})
	// Let the entry run twice more: it leaves stopped instances alone.
	described := fake.Calls("DescribeInstances")
	testutil.Eventually(t, waitLong, "two more runs of the schedule", func() bool {
		return fake.Calls("DescribeInstances") >= described+2
	})
	if s := state(); s[prod] != "running" || s[spare] != "stopped" {
		t.Errorf("untagged instances touched: %v", s)
	}
	if n := fake.Calls("StopInstances"); n != 2 {
		t.Errorf("StopInstances called %d times, want 2 (once per tagged instance)", n)
	}
	if n := fake.Calls("StartInstances"); n != 0 {
		t.Errorf("StartInstances called %d times", n)
	}

	// Morning: the start entry.
	c.StopMaster()
	c.MasterConfig["schedule"] = entry("start")
	c.StartMaster()
	testutil.Eventually(t, waitLong, "the tagged instances to start", func() bool {
		s := state()
		return s[testA] == "running" && s[testB] == "running"
	})
	if s := state(); s[prod] != "running" || s[spare] != "stopped" {
		t.Errorf("untagged instances touched: %v", s)
	}
	// From the reactor: an event stops them again.
	c.StopMaster()
	delete(c.MasterConfig, "schedule")
	dir := t.TempDir()
	sls := filepath.Join(dir, "offhours.sls")
	if err := os.WriteFile(sls, []byte("stop-test-machines:\n  runner.cloud.action:\n    - args:\n      - func: stop\n      - tag: offhours=on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.MasterConfig["reactor"] = []any{map[string]any{"ops/offhours/stop": []string{sls}}}
	c.MasterConfig["auto_accept"] = true
	c.StartMaster()
	c.StartMinion(c.MinionConfig("ops-1", nil))
	waitPing(t, c, "ops-1", 1)
	if r := c.Ctl("event.send", "ops-1", "ops/offhours/stop"); r.Code != 0 {
		t.Fatalf("event.send: %d %s", r.Code, r.Stderr)
	}
	testutil.Eventually(t, waitLong, "the reactor to stop the tagged instances", func() bool {
		s := state()
		return s[testA] == "stopped" && s[testB] == "stopped"
	})
	if s := state(); s[prod] != "running" || s[spare] != "stopped" {
		t.Errorf("untagged instances touched: %v", s)
	}
	// By hand, narrowed to one name.
	r := c.Ctl("run", "cloud.action", "start", "tag=offhours=on", "names=test-a", "--out", "json")
	if r.Code != 0 || !strings.Contains(r.Stdout, `"test-a"`) || strings.Contains(r.Stdout, testB) {
		t.Errorf("cloud.action by tag and name: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if s := state(); s[testA] != "running" || s[testB] != "stopped" {
		t.Errorf("after starting test-a by name: %v", s)
	}
	if strings.Contains(c.Master.Output(), secret) || strings.Contains(r.Stdout+r.Stderr, secret) {
		t.Error("the AWS secret key is in the master's log or ctl's output")
	}
}
