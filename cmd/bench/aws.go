package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
)

// awsBench: seed 000's stack (examples/aws: VPC, subnets, security
// groups, ELB, launch configuration, autoscaling group with policies,
// CloudWatch alarms) applied by a real minion (ctl state.apply) against
// the in-process fakes of EC2, ELB, Auto Scaling and CloudWatch, reached
// through AWS_ENDPOINT_URL_*: the first apply into empty fakes and the
// no-op re-apply, median of runs, with the calls the re-apply makes (it
// must make only Describe calls).
func awsBench(bin, dir string, runs int) {
	fmt.Println("== aws: seed 000's stack (examples/aws) against the fake AWS endpoints")
	example := filepath.Join(repoRoot(), "examples", "aws")
	if _, err := os.Stat(example); err != nil {
		fail("aws bench: %v", err)
	}
	fakes := newSwappableAWS()
	defer fakes.close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_EC2": fakes.ec2Srv.URL, "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING": fakes.elbSrv.URL,
		"AWS_ENDPOINT_URL_AUTO_SCALING": fakes.asSrv.URL, "AWS_ENDPOINT_URL_CLOUDWATCH": fakes.cwSrv.URL,
		"AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		check(os.Setenv(k, v))
	}
	e := startMasterWith(bin, dir, "master-aws", map[string]any{
		"file_roots":   map[string]any{"base": []string{filepath.Join(example, "salt")}},
		"pillar_roots": map[string]any{"base": []string{filepath.Join(example, "pillar")}},
	})
	defer e.master.Stop(30 * time.Second)
	mcfg := filepath.Join(dir, "aws-minion.yaml")
	check(testutil.WriteYAML(mcfg, map[string]any{"id": "aws-admin", "master": e.url, "root_dir": filepath.Join(dir, "aws-minion"), "log_level": "error"}))
	m, err := testutil.Start("minion", filepath.Join(bin, "minion"), "-c", mcfg)
	check(err)
	defer m.Stop(10 * time.Second)
	deadline := time.Now().Add(time.Minute)
	for {
		if _, _, err := e.ctl("test.ping", "aws-admin", "--timeout", "2"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fail("the aws minion never answered:\n%s", lastLines(m.Output(), 20))
		}
	}
	apply := func(wantChanges bool) (time.Duration, int) {
		out, d, err := e.ctl("state.apply", "aws-admin", "aws", "--out", "json", "--timeout", "120")
		if err != nil {
			fail("state.apply aws: %v\n%s", err, lastLines(out, 20))
		}
		var ret map[string]map[string]struct {
			Result  *bool          `json:"result"`
			Changes map[string]any `json:"changes"`
			Comment string         `json:"comment"`
		}
		if err := json.Unmarshal([]byte(out), &ret); err != nil {
			fail("state.apply aws: %v\n%s", err, lastLines(out, 20))
		}
		states := ret["aws-admin"]
		for k, st := range states {
			if st.Result == nil || !*st.Result || (len(st.Changes) > 0) != wantChanges {
				fail("state.apply aws: %s: result %v, changes %v: %s", k, st.Result, st.Changes, st.Comment)
			}
		}
		return d, len(states)
	}
	var first, noop []time.Duration
	var nStates, reads int
	var writes []string
	for range runs {
		fakes.reset()
		d, n := apply(true)
		first, nStates = append(first, d), n
		before := fakes.counts()
		d, _ = apply(false)
		noop = append(noop, d)
		reads, writes = 0, nil
		for k, v := range fakes.counts() {
			if n := v - before[k]; n > 0 {
				if _, action, _ := strings.Cut(k, ":"); strings.HasPrefix(action, "Describe") {
					reads += n
				} else {
					writes = append(writes, k)
				}
			}
		}
		if len(writes) > 0 {
			sort.Strings(writes)
			fail("the no-op re-apply made changing calls: %v", writes)
		}
	}
	med := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2].Round(time.Millisecond)
	}
	fmt.Printf("first apply (%d states, %d AWS resources created): median %s over %d runs\n", nStates, fakes.resources(), med(first), runs)
	fmt.Printf("no-op re-apply (0 changes): median %s over %d runs; %d Describe calls, no other call\n", med(noop), runs, reads)
}

// repoRoot is the directory of go.mod above the working directory.
func repoRoot() string {
	d, err := os.Getwd()
	check(err)
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			fail("aws bench: no go.mod above the working directory (run it from the repository)")
		}
		d = parent
	}
}

// swappableAWS serves the fakes at fixed endpoints (the minion's
// environment names them once) and replaces them by empty ones on reset.
type swappableAWS struct {
	mu                           sync.Mutex
	ec2                          *fakeaws.EC2
	elb                          *fakeaws.ELB
	as                           *fakeaws.AutoScaling
	cw                           *fakeaws.CloudWatch
	ec2Srv, elbSrv, asSrv, cwSrv *httptest.Server
}

func newSwappableAWS() *swappableAWS {
	s := &swappableAWS{}
	s.reset()
	s.ec2Srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		u, err := url.Parse(s.ec2.URL())
		s.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	serve := func(h func() http.Handler) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			x := h()
			s.mu.Unlock()
			x.ServeHTTP(w, r)
		}))
	}
	s.elbSrv = serve(func() http.Handler { return s.elb })
	s.asSrv = serve(func() http.Handler { return s.as })
	s.cwSrv = serve(func() http.Handler { return s.cw })
	return s
}

// reset replaces the fakes by empty ones.
func (s *swappableAWS) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ec2 != nil {
		s.ec2.Close()
	}
	s.ec2, s.elb, s.as, s.cw = fakeaws.NewEC2(), fakeaws.NewELB(), fakeaws.NewAutoScaling(), fakeaws.NewCloudWatch()
}

func (s *swappableAWS) close() {
	for _, srv := range []*httptest.Server{s.ec2Srv, s.elbSrv, s.asSrv, s.cwSrv} {
		srv.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2.Close()
}

// counts is the calls per service:action so far.
func (s *swappableAWS) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, q := range s.ec2.Requests() {
		out["ec2:"+q.Action]++
	}
	for svc, m := range map[string]map[string]int{"elb": s.elb.CallCounts(), "autoscaling": s.as.CallCounts(), "cloudwatch": s.cw.CallCounts()} {
		for k, v := range m {
			out[svc+":"+k] += v
		}
	}
	return out
}

// resources counts what the stack created: VPCs and subnets, security
// groups (not the VPCs' default ones), load balancers, launch
// configurations, groups, scaling policies and alarms.
func (s *swappableAWS) resources() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.elb.Names()) + len(s.as.LaunchConfigs()) + len(s.as.Groups()) + len(s.as.Policies()) + len(s.cw.Names())
	for _, v := range s.ec2.VPCs() {
		if v.ID != fakeaws.DefaultVPC {
			n++
		}
	}
	n += len(s.ec2.Subnets())
	for _, g := range s.ec2.SecurityGroups() {
		if g.Name != "default" {
			n++
		}
	}
	return n
}
