package integration

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
)

// awsStackSecret is the secret key the minion's AWS SDK signs with: it
// must never show in a return, an event or a log.
const awsStackSecret = "wJalrXUtnFEMI/STACK/never-shown-SECRET"

// awsStack is the fake AWS examples/aws runs against: EC2 (VPC, subnets,
// security groups), ELB, Auto Scaling and CloudWatch, each at its own
// endpoint given to the minion's SDK by AWS_ENDPOINT_URL_<SERVICE>.
type awsStack struct {
	ec2 *fakeaws.EC2
	elb *fakeaws.ELB
	as  *fakeaws.AutoScaling
	cw  *fakeaws.CloudWatch
}

func startAWSStack(t *testing.T) *awsStack {
	t.Helper()
	s := &awsStack{ec2: fakeaws.NewEC2(), elb: fakeaws.NewELB(), as: fakeaws.NewAutoScaling(), cw: fakeaws.NewCloudWatch()}
	t.Cleanup(s.ec2.Close)
	elbSrv, asSrv, cwSrv := httptest.NewServer(s.elb), httptest.NewServer(s.as), httptest.NewServer(s.cw)
	t.Cleanup(elbSrv.Close)
	t.Cleanup(asSrv.Close)
	t.Cleanup(cwSrv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_EC2":                    s.ec2.URL(),
		"AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING": elbSrv.URL,
		"AWS_ENDPOINT_URL_AUTO_SCALING":           asSrv.URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH":             cwSrv.URL,
		"AWS_ACCESS_KEY_ID":                       "AKIDSTACK",
		"AWS_SECRET_ACCESS_KEY":                   awsStackSecret,
		"AWS_REGION":                              "us-east-1",
		"AWS_EC2_METADATA_DISABLED":               "true",
		"AWS_CONFIG_FILE":                         filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE":             filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return s
}

// counts is the calls per service and action so far.
func (s *awsStack) counts() map[string]int {
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

// callsSince splits the calls made since before into reads
// (Describe/List/Get) and the others.
func callsSince(before, after map[string]int) (reads int, writes []string) {
	for k, v := range after {
		n := v - before[k]
		if n <= 0 {
			continue
		}
		_, action, _ := strings.Cut(k, ":")
		if strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "List") || strings.HasPrefix(action, "Get") {
			reads += n
		} else {
			writes = append(writes, k)
		}
	}
	sort.Strings(writes)
	return reads, writes
}

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAWSExampleStack applies examples/aws (seed 000's pillar) on a minion
// against the fake AWS: everything is created in dependency order; a
// second run changes nothing and only reads; editing one alarm's
// threshold changes only that alarm; moving a security group to
// security_groups_absent deletes it; the secret key shows nowhere.
func TestAWSExampleStack(t *testing.T) {
	s := startAWSStack(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "examples", "aws"), dir)
	c := cluster(t, map[string]any{"auto_accept": true,
		"file_roots":   map[string]any{"base": []any{filepath.Join(dir, "salt")}},
		"pillar_roots": map[string]any{"base": []any{filepath.Join(dir, "pillar")}},
	})
	minion := c.StartMinion(c.MinionConfig("aws-admin", nil))
	waitPing(t, c, "aws-admin", 1)

	apply := func(what string) (map[string]stateRet, testutil.Result) {
		t.Helper()
		states, raw, r := stateApply(t, c, "aws-admin", "state.apply", "aws")
		if states == nil || r.Code != 0 {
			t.Fatalf("%s: exit %d: %v\n%s", what, r.Code, raw, r.Stderr)
		}
		for k, st := range states {
			if st.Result == nil || !*st.Result {
				t.Fatalf("%s: %s failed: %s", what, k, st.Comment)
			}
		}
		if strings.Contains(r.Stdout+r.Stderr, awsStackSecret) {
			t.Fatalf("%s: the secret key is in ctl's output", what)
		}
		return states, r
	}

	// Test mode on an empty account: every state would change, nothing
	// fails (what a state needs comes from an earlier one), nothing is
	// written.
	states, raw, r := stateApply(t, c, "aws-admin", "state.apply", "aws", "test=True")
	if states == nil {
		t.Fatalf("test mode: exit %d: %v\n%s", r.Code, raw, r.Stderr)
	}
	for k, st := range states {
		if st.Result != nil {
			t.Errorf("test mode: %s: result %v, want None: %s", k, *st.Result, st.Comment)
		}
	}
	if _, writes := callsSince(map[string]int{}, s.counts()); len(writes) != 0 {
		t.Fatalf("test mode made changing calls: %v", writes)
	}

	// First apply: everything, in dependency order.
	states, _ = apply("first apply")
	order := map[string]int{}
	for _, st := range states {
		if len(st.Changes) == 0 {
			t.Errorf("first apply: %s made no changes: %s", st.ID, st.Comment)
		}
		order[st.ID] = *st.RunNum
	}
	for _, pair := range [][2]string{
		{"aws-vpc-app-vpc", "aws-subnet-app-subnet-1"}, {"aws-subnet-app-subnet-3", "aws-secgroup-webhost"},
		{"aws-secgroup-mongodb", "aws-elb-MY-ELB"}, {"aws-elb-MY-ELB", "aws-asg-app-hosts"}, {"aws-asg-app-hosts", "aws-alarm-webhost_cpu_scale_up"},
	} {
		if order[pair[0]] >= order[pair[1]] {
			t.Errorf("%s ran after %s: %v", pair[0], pair[1], order)
		}
	}
	lb := s.elb.LoadBalancer("MY-ELB")
	g := s.as.Group("app-hosts")
	if lb == nil || len(lb.SecurityGroups) != 2 || !strings.HasPrefix(lb.SecurityGroups[0], "sg-") || len(lb.Subnets) != 3 || !lb.CrossZone {
		t.Fatalf("load balancer %+v", lb)
	}
	if g == nil || g.DesiredCapacity != 2 || g.DefaultCooldown != 1500 || len(g.LoadBalancers) != 1 || !strings.HasPrefix(g.LaunchConfig, "webhost-") {
		t.Fatalf("group %+v", g)
	}
	up := s.as.Policy("app-hosts", "webhost_scale_up")
	if a := s.cw.Alarm("webhost_cpu_scale_up"); up == nil || a == nil || a.AlarmActions[1] != up.ARN || a.Threshold != 70 {
		t.Fatalf("alarm %+v, policy %+v", a, up)
	}
	if mongo, ok := s.ec2.SecurityGroup(lbVPC(t, s), "mongodb"); !ok || len(mongo.Ingress) != 2 {
		t.Fatalf("mongodb group %+v", mongo)
	}

	// Second apply: no changes, only reads.
	before := s.counts()
	states, _ = apply("re-apply")
	for _, st := range states {
		if len(st.Changes) != 0 {
			t.Errorf("re-apply: %s changed %v", st.ID, st.Changes)
		}
	}
	reads, writes := callsSince(before, s.counts())
	if len(writes) != 0 {
		t.Fatalf("re-apply made changing calls: %v", writes)
	}
	t.Logf("no-op re-apply of %d states: %d Describe calls", len(states), reads)

	// One alarm's threshold: only that alarm changes.
	pillar := filepath.Join(dir, "pillar", "aws.sls")
	text := readFile(t, pillar)
	edited := strings.Replace(text, "threshold: 70.0", "threshold: 75.0", 1)
	if edited == text {
		t.Fatal("threshold not in the pillar")
	}
	writeTree(t, filepath.Join(dir, "pillar"), map[string]string{"aws.sls": edited})
	before = s.counts()
	states, _ = apply("threshold edit")
	for _, st := range states {
		if changed := len(st.Changes) != 0; changed != (st.ID == "aws-alarm-webhost_cpu_scale_up") {
			t.Errorf("threshold edit: %s changes %v", st.ID, st.Changes)
		}
	}
	if _, writes = callsSince(before, s.counts()); strings.Join(writes, " ") != "cloudwatch:PutMetricAlarm" {
		t.Errorf("threshold edit made %v", writes)
	}
	if a := s.cw.Alarm("webhost_cpu_scale_up"); a.Threshold != 75 {
		t.Errorf("threshold %v", a.Threshold)
	}
	if a := s.cw.Alarm("php_cpu_scale_down"); a.Threshold != 40 {
		t.Errorf("the other alarm changed: %+v", a)
	}

	// The mongodb group moves to security_groups_absent: it is deleted.
	mongo := text[strings.Index(text, "  - name: mongodb"):strings.Index(text, "\nelb:")]
	edited = strings.Replace(edited, mongo, "", 1) + "\nsecurity_groups_absent:\n  - name: mongodb\n    vpc_name: app-vpc\n"
	writeTree(t, filepath.Join(dir, "pillar"), map[string]string{"aws.sls": edited})
	states, _ = apply("absent")
	if _, st := stateByID(t, states, "aws-secgroup-absent-mongodb"); len(st.Changes) == 0 {
		t.Errorf("absent: %s", st.Comment)
	}
	if _, ok := s.ec2.SecurityGroup(lbVPC(t, s), "mongodb"); ok {
		t.Fatal("mongodb group still there")
	}

	// The secret key is in no log of the run.
	if strings.Contains(minion.Output()+c.Master.Output(), awsStackSecret) {
		t.Error("the secret key is in the minion's or the master's log")
	}
}

// lbVPC is the id of the example's VPC (the load balancer's subnets').
func lbVPC(t *testing.T, s *awsStack) string {
	t.Helper()
	for _, v := range s.ec2.VPCs() {
		if v.Tags["Name"] == "app-vpc" {
			return v.ID
		}
	}
	t.Fatal("no app-vpc")
	return ""
}
