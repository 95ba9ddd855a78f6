package integration

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
)

// awsFakes serves a fake SQS and Auto Scaling and points the master's AWS
// SDK at them through the standard environment (the master inherits it).
type awsFakes struct {
	sqs      *fakeaws.SQS
	as       *fakeaws.AutoScaling
	queueURL string
}

const autoscaleQueue = "salt-master-queue"

func startAWSFakes(t *testing.T) *awsFakes {
	t.Helper()
	f := &awsFakes{sqs: fakeaws.NewSQS(), as: fakeaws.NewAutoScaling()}
	sqsSrv := httptest.NewServer(f.sqs)
	t.Cleanup(sqsSrv.Close)
	asSrv := httptest.NewServer(f.as)
	t.Cleanup(asSrv.Close)
	f.queueURL = sqsSrv.URL + "/123456789012/" + autoscaleQueue
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SQS":          sqsSrv.URL,
		"AWS_ENDPOINT_URL_AUTO_SCALING": asSrv.URL,
		"AWS_ACCESS_KEY_ID":             "AKIDINTEGRATION",
		"AWS_SECRET_ACCESS_KEY":         "integration-secret",
		"AWS_REGION":                    "us-east-1",
		"AWS_EC2_METADATA_DISABLED":     "true",
		"AWS_CONFIG_FILE":               filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE":   filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return f
}

// hooks adds a launch and a terminate lifecycle hook to each group.
func (f *awsFakes) hooks(groups ...string) {
	for _, g := range groups {
		f.as.PutHook(fakeaws.AutoScalingHook{Group: g, Name: "launch", Transition: "autoscaling:EC2_INSTANCE_LAUNCHING", HeartbeatTimeout: 300})
		f.as.PutHook(fakeaws.AutoScalingHook{Group: g, Name: "terminate", Transition: "autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout: 300})
	}
}

func (f *awsFakes) completions(t *testing.T, n int) []fakeaws.AutoScalingCompletion {
	t.Helper()
	testutil.Eventually(t, waitLong, fmt.Sprintf("%d lifecycle actions completed", n), func() bool { return len(f.as.Completed()) >= n })
	return f.as.Completed()
}

// autoscaleStates is a state tree for the autoscaled minions: web
// instances write a marker (their highstate ran), clean removes it, and
// broken fails.
func autoscaleStates(t *testing.T, marks string) string {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"top.sls": "base:\n  'web-asg-*':\n    - web\n",
		"web.sls": fmt.Sprintf(`marker:
  file.managed:
    - name: %s/{{ grains['id'] }}
    - contents: highstated
ready:
  test.succeed_without_changes:
    - require:
      - file: marker
`, marks),
		"clean.sls": fmt.Sprintf(`unmark:
  file.absent:
    - name: %s/{{ grains['id'] }}
`, marks),
		"broken.sls": "broken:\n  test.fail_without_changes\n",
	})
	return root
}

// Seed 001's flow on SQS: scale out by five (five minions accepted and
// highstated, five CONTINUE), scale in by three (clean state, three keys
// and their mine data gone, three completions, nothing pending), and a
// launch whose startup state fails is ABANDONed.
func TestAutoscaleSQS(t *testing.T) {
	f := startAWSFakes(t)
	f.hooks("web-asg", "bad-asg")
	marks := t.TempDir()
	c := cluster(t, map[string]any{
		"file_roots": map[string]any{"base": []string{autoscaleStates(t, marks)}},
		"mine_ttl":   -1, // answer with gone minions' data: only a deleted key's data disappears
		"autoscale": map[string]any{
			"region":    "us-east-1",
			"queue_url": f.queueURL,
			"groups": map[string]any{
				"web-asg": map[string]any{"startup_states": "highstate", "clean_state": "clean", "grains": map[string]any{"roles": []string{"web"}}},
				"bad-asg": map[string]any{"startup_states": []string{"broken"}},
			},
		},
	})
	f.sqs.Send(autoscaleQueue, fakeaws.AutoScalingTestNotification("web-asg"))

	var ids, insts []string
	for i := range 5 {
		inst := fmt.Sprintf("i-0a%015d", i)
		id := "web-asg-" + inst
		insts, ids = append(insts, inst), append(ids, id)
		cfg := c.MinionConfig(id, nil)
		cfg["mine_functions"] = map[string]any{"network.get_hostname": []any{}}
		c.StartMinion(cfg)
		_, body := f.as.Start("web-asg", "launch", inst)
		f.sqs.Send(autoscaleQueue, body)
	}
	comps := f.completions(t, 5)
	for _, comp := range comps {
		if comp.Result != "CONTINUE" || comp.Transition != "autoscaling:EC2_INSTANCE_LAUNCHING" {
			t.Fatalf("launch completion = %+v", comp)
		}
	}
	if kl := listKeys(t, c); !equalIDs(kl.Minions, ids...) || len(kl.Pre) != 0 {
		t.Fatalf("keys after scale-out: %s", kl)
	}
	for _, id := range ids {
		if b, err := os.ReadFile(filepath.Join(marks, id)); err != nil || strings.TrimSpace(string(b)) != "highstated" {
			t.Fatalf("%s was not highstated: %q %v", id, b, err)
		}
	}
	if got, r := ctlJSON(t, c, "grains.get", "web-asg-*", "roles"); len(got) != 5 || fmt.Sprint(got[ids[0]]) != "[web]" {
		t.Fatalf("grains.get roles = %v (%s)", got, r.Stderr)
	}
	mineOf := func() map[string]any {
		m, _ := ctlJSON(t, c, "run", "mine.get", "*", "network.get_hostname")
		return m
	}
	testutil.Eventually(t, waitLong, "mine data of the five", func() bool { return len(mineOf()) == 5 })

	// Scale in by three.
	for _, inst := range insts[:3] {
		_, body := f.as.Start("web-asg", "terminate", inst)
		f.sqs.Send(autoscaleQueue, body)
	}
	comps = f.completions(t, 8)
	for _, comp := range comps[5:] {
		if comp.Result != "CONTINUE" || comp.Transition != "autoscaling:EC2_INSTANCE_TERMINATING" || !slices.Contains(insts[:3], comp.InstanceID) {
			t.Fatalf("terminate completion = %+v", comp)
		}
	}
	for _, id := range ids[:3] {
		if _, err := os.Stat(filepath.Join(marks, id)); !os.IsNotExist(err) {
			t.Fatalf("clean state did not run on %s: %v", id, err)
		}
	}
	// The terminated instances' minions keep trying until the instances
	// are gone: they must not come back as pending keys.
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, ids[3:]...) || len(kl.Pre) != 0 {
		t.Fatalf("keys after scale-in: %s", kl)
	}
	for _, id := range ids[:3] {
		c.StopMinion(id)
	}
	if m := mineOf(); len(m) != 2 || m[ids[3]] == nil || m[ids[4]] == nil {
		t.Fatalf("mine after scale-in = %v", m)
	}
	if p := f.as.Pending(); len(p) != 0 {
		t.Fatalf("lifecycle actions left pending: %v", p)
	}

	// A launch whose startup state fails is abandoned.
	c.StartMinion(c.MinionConfig("bad-asg-i-0b000000000000001", nil))
	_, body := f.as.Start("bad-asg", "launch", "i-0b000000000000001")
	f.sqs.Send(autoscaleQueue, body)
	if comp := f.completions(t, 9)[8]; comp.Result != "ABANDON" || comp.InstanceID != "i-0b000000000000001" {
		t.Fatalf("failed launch completion = %+v", comp)
	}
	testutil.Eventually(t, waitLong, "the queue to be drained", func() bool { return f.sqs.Len(autoscaleQueue) == 0 })
	if n := len(f.sqs.Deleted(autoscaleQueue)); n != 10 {
		t.Fatalf("%d messages deleted, want 10 (test notification, 5 launches, 3 terminations, 1 failed launch)", n)
	}
	if err := c.Master.Stop(20 * time.Second); err != nil {
		t.Fatalf("master stop: %v", err)
	}
}
