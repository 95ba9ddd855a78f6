package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
)

// autoscaleBench: launch message on the queue to CompleteLifecycleAction,
// with a 20-state startup highstate, for one launch at a time (median of
// runs) and for 50 launches at once. The master's AWS SDK talks to the
// in-process fakes of SQS and Auto Scaling (internal/fakeaws) through
// AWS_ENDPOINT_URL_*; each instance's minion is a real minion process,
// started before its message so that its key is pending, as on an
// instance that booted while the message waited in the queue.
func autoscaleBench(bin, dir string, runs, burst int) {
	fmt.Println("== autoscale: lifecycle message to CompleteLifecycleAction (20-state startup highstate)")
	sq, as := fakeaws.NewSQS(), fakeaws.NewAutoScaling()
	sqsSrv, asSrv := httptest.NewServer(sq), httptest.NewServer(as)
	defer sqsSrv.Close()
	defer asSrv.Close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SQS": sqsSrv.URL, "AWS_ENDPOINT_URL_AUTO_SCALING": asSrv.URL,
		"AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		check(os.Setenv(k, v))
	}
	const queue = "bench-queue"
	as.PutHook(fakeaws.AutoScalingHook{Group: "bench-asg", Name: "launch", Transition: "autoscaling:EC2_INSTANCE_LAUNCHING", HeartbeatTimeout: 300})

	roots := filepath.Join(dir, "srv-autoscale")
	out := filepath.Join(dir, "autoscale-out")
	var sls strings.Builder
	for i := range 20 {
		fmt.Fprintf(&sls, "f%d:\n  file.managed:\n    - name: %s/{{ grains['id'] }}/f%d\n    - contents: \"{{ grains['id'] }} %d\"\n    - makedirs: True\n", i, out, i, i)
	}
	check(os.MkdirAll(roots, 0o755))
	check(os.WriteFile(filepath.Join(roots, "top.sls"), []byte("base:\n  '*':\n    - web\n"), 0o644))
	check(os.WriteFile(filepath.Join(roots, "web.sls"), []byte(sls.String()), 0o644))
	e := startMasterWith(bin, dir, "master-autoscale", map[string]any{
		"auto_accept": false,
		"log_level":   "info", // the engine's steps, for a failure's report
		"file_roots":  map[string]any{"base": []string{roots}},
		"autoscale": map[string]any{
			"queue_url": sqsSrv.URL + "/123456789012/" + queue,
			"groups":    map[string]any{"bench-asg": map[string]any{"startup_states": "highstate"}},
		},
	})
	defer e.master.Stop(30 * time.Second)

	n := 0
	// launch starts k minions, waits for their keys to be pending, then
	// sends their k launch messages at once; it returns each launch's
	// time from message to completion and the time until all completed.
	launch := func(k int) ([]time.Duration, time.Duration) {
		var procs []*testutil.Proc
		stop := func() {
			for _, p := range procs {
				_ = p.Stop(10 * time.Second)
			}
			procs = nil
		}
		defer stop()
		var insts, ids []string
		byInst := map[string]*testutil.Proc{}
		for range k {
			n++
			inst := fmt.Sprintf("i-0b%015d", n)
			id := "bench-asg-" + inst
			cfg := filepath.Join(dir, id+".yaml")
			check(testutil.WriteYAML(cfg, map[string]any{"id": id, "master": e.url, "root_dir": filepath.Join(dir, id), "log_level": "info"}))
			p, err := testutil.Start(id, filepath.Join(bin, "minion"), "-c", cfg)
			check(err)
			procs = append(procs, p)
			byInst[inst] = p
			insts, ids = append(insts, inst), append(ids, id)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for pendingKeys(e, ids) < k {
			if time.Now().After(deadline) {
				fail("the %d minions' keys never became pending", k)
			}
			time.Sleep(50 * time.Millisecond)
		}
		before := len(as.Completed())
		sent := map[string]time.Time{}
		t0 := time.Now()
		for _, inst := range insts {
			_, body := as.Start("bench-asg", "launch", inst)
			sent[inst] = time.Now()
			sq.Send(queue, body)
		}
		deadline = time.Now().Add(90 * time.Second)
		for len(as.Completed()) < before+k {
			if time.Now().After(deadline) {
				fail("only %d of %d launches completed; the master's log ends:\n%s", len(as.Completed())-before, k, autoscaleLog(e, "autoscale"))
			}
			time.Sleep(5 * time.Millisecond)
		}
		total := time.Since(t0)
		var ds []time.Duration
		for _, c := range as.Completed()[before:] {
			if c.Result != "CONTINUE" {
				fail("launch of %s: %s; the master's log ends:\n%s\nthe minion's:\n%s", c.InstanceID, c.Result, autoscaleLog(e, c.InstanceID), lastLines(byInst[c.InstanceID].Output(), 40))
			}
			ds = append(ds, c.At.Sub(sent[c.InstanceID]))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		stop()
		for _, inst := range insts {
			_, _, _ = e.ctl("key", "delete", "bench-asg-"+inst, "--yes")
		}
		return ds, total
	}
	var one []time.Duration
	for range runs {
		ds, _ := launch(1)
		one = append(one, ds[0])
	}
	sort.Slice(one, func(i, j int) bool { return one[i] < one[j] })
	if len(one) > 0 {
		fmt.Printf("one launch: median %s (min %s, max %s) over %d runs\n",
			one[len(one)/2].Round(time.Millisecond), one[0].Round(time.Millisecond), one[len(one)-1].Round(time.Millisecond), runs)
	}
	ds, total := launch(burst)
	fmt.Printf("%d launches at once: all completed in %s; per launch median %s, max %s\n",
		burst, total.Round(time.Millisecond), ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
}

// pendingKeys counts the keys of ids waiting for acceptance.
func pendingKeys(e *env, ids []string) int {
	out, _, err := e.ctl("key", "list", "--out", "json")
	if err != nil {
		return 0
	}
	var kl struct {
		Pre []string `json:"minions_pre"`
	}
	if json.Unmarshal([]byte(out), &kl) != nil {
		return 0
	}
	n := 0
	for _, id := range kl.Pre {
		if slices.Contains(ids, id) {
			n++
		}
	}
	return n
}

// autoscaleLog is the end of the master's log, its lines with word only.
func autoscaleLog(e *env, word string) string {
	var out []string
	for _, l := range strings.Split(e.master.Output(), "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return lastLines(strings.Join(out, "\n"), 30)
}
