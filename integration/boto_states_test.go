package integration

import (
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/fakeaws"
)

// Seed 000's security groups from pillar through a formula, on a minion
// whose configuration holds the AWS settings (ec2.*, vpc.*, sns.*, sqs.*
// custom options, as Salt's boto modules read them): the groups refer to
// each other by name, one of them to a group defined later in the pillar;
// the VPC, subnet, SNS topic and SQS queue come along. Applying again
// changes nothing; test mode changes nothing; the secret key shows
// nowhere.
func TestBotoStatesFromPillar(t *testing.T) {
	t.Parallel()
	ec2 := fakeaws.NewEC2()
	defer ec2.Close()
	ec2.AddVPC("vpc-1234567", "10.0.0.0/16", nil)
	sns := fakeaws.NewSNS(0)
	snsSrv := httptest.NewServer(sns)
	defer snsSrv.Close()
	sqs := fakeaws.NewSQS()
	sqsSrv := httptest.NewServer(sqs)
	defer sqsSrv.Close()

	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "pillar"), map[string]string{
		"top.sls": "base:\n  'aws-1':\n    - aws\n",
		// Seed 000's pillar, verbatim, after a group that names one of
		// its groups before it is defined.
		"aws.sls": `security_groups:
- name: admin
  description: Admin hosts
  vpc_id: vpc-1234567
  rules:
  - ip_protocol: tcp
    from_port: 27017
    to_port: 27017
    source_group_name: mongodb
- name: webhost
  description: Web server security group
  vpc_id: vpc-1234567
  rules:
  - ip_protocol: tcp
    from_port: 80
    to_port: 80
    cidr_ip:
    - 0.0.0.0/0
  - ip_protocol: tcp
    from_port: 443
    to_port: 443
    cidr_ip:
    - 0.0.0.0/0
  - ip_protocol: tcp
    from_port: 22
    to_port: 22
    cidr_ip: default
- name: mongodb
  description: MongoDB Security Group
  vpc_id: vpc-1234567
  rules:
  - ip_protocol: tcp
    from_port: 27017
    to_port: 27017
    cidr_ip: webhost
  - ip_protocol: tcp
    from_port: 22
    to_port: 22
    cidr_ip: default
`,
	})
	writeTree(t, filepath.Join(dir, "states"), map[string]string{
		"secgroups/init.sls": `{% for sg in pillar.get('security_groups', []) %}
{{ sg['name'] }}-security-group:
  boto_secgroup.present:
    - name: {{ sg['name'] }}
    - description: {{ sg['description'] }}
    - vpc_id: {{ sg['vpc_id'] }}
    - rules: {{ sg['rules'] | json }}
{% endfor %}
`,
		"network/init.sls": `app-vpc:
  boto_vpc.present:
    - name: app
    - cidr_block: 10.50.0.0/16
    - dns_hostnames: True
app-subnet-a:
  boto_subnet.present:
    - name: app-a
    - vpc_name: app
    - cidr_block: 10.50.1.0/24
    - availability_zone: us-east-1a
    - require:
      - boto_vpc: app-vpc
scale-topic:
  boto_sns.present:
    - name: alert_salt_web_scale_up
    - subscriptions:
      - protocol: sqs
        endpoint: arn:aws:sqs:us-east-1:000000000000:lifecycle
lifecycle-queue:
  boto_sqs.present:
    - name: lifecycle
    - attributes:
        VisibilityTimeout: 120
`,
	})
	c := cluster(t, map[string]any{
		"auto_accept":  true,
		"file_roots":   map[string]any{"base": []string{filepath.Join(dir, "states")}},
		"pillar_roots": map[string]any{"base": []string{filepath.Join(dir, "pillar")}},
	})
	const secret = "boto-integration-secret"
	cfg := c.MinionConfig("aws-1", nil)
	for svc, url := range map[string]string{"ec2": ec2.URL(), "vpc": ec2.URL(), "sns": snsSrv.URL, "sqs": sqsSrv.URL} {
		cfg[svc+".endpoint"], cfg[svc+".keyid"], cfg[svc+".key"], cfg[svc+".region"] = url, "AKIDBOTO", secret, "us-east-1"
	}
	c.StartMinion(cfg)
	waitPing(t, c, "aws-1", 1)

	apply := func(test bool) map[string]stateRet {
		t.Helper()
		args := []string{"state.sls", "secgroups,network"}
		if test {
			args = append(args, "test=True")
		}
		states, _, r := stateApply(t, c, "aws-1", args...)
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Fatal("the secret key is in ctl's output")
		}
		if len(states) != 7 {
			t.Fatalf("%d states: exit %d\n%s\n%s", len(states), r.Code, r.Stdout, r.Stderr)
		}
		return states
	}
	states := apply(false)
	for k, s := range states {
		if s.Result == nil || !*s.Result || len(s.Changes) == 0 {
			t.Errorf("first apply %s: result %v changes %v: %s", k, s.Result, s.Changes, s.Comment)
		}
	}
	if _, s := stateByID(t, states, "admin-security-group"); !strings.Contains(s.Comment, "mongodb created ahead") {
		t.Errorf("admin: %s", s.Comment)
	}
	names := map[string]string{}
	for _, g := range ec2.SecurityGroups() {
		names[g.ID] = g.Name
	}
	wantRules := map[string]string{
		"admin":   "tcp:27017-27017:mongodb",
		"webhost": "tcp:80-80:0.0.0.0/0 tcp:443-443:0.0.0.0/0 tcp:22-22:default",
		"mongodb": "tcp:27017-27017:webhost tcp:22-22:default",
	}
	for name, want := range wantRules {
		g, ok := ec2.SecurityGroup("vpc-1234567", name)
		if !ok {
			t.Errorf("no group %s", name)
			continue
		}
		var got []string
		for _, p := range g.Ingress {
			src := p.CIDR
			if p.GroupID != "" {
				src = names[p.GroupID]
			}
			got = append(got, p.Protocol+":"+strconv.Itoa(p.From)+"-"+strconv.Itoa(p.To)+":"+src)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s rules: %s, want %s", name, strings.Join(got, " "), want)
		}
	}
	if topics := sns.Topics(); len(topics) != 1 || len(topics[0].Subscriptions) != 1 {
		t.Errorf("topics %+v", topics)
	}
	if sqs.Attributes("lifecycle")["VisibilityTimeout"] != "120" {
		t.Errorf("queue %v", sqs.Attributes("lifecycle"))
	}

	// Again, and in test mode: nothing to do, and only reads.
	mutations := func() int {
		n := 0
		for _, q := range ec2.Requests() {
			if !strings.HasPrefix(q.Action, "Describe") {
				n++
			}
		}
		return n + sns.Calls("CreateTopic") + sns.Calls("Subscribe") + sqs.Calls("CreateQueue") + sqs.Calls("SetQueueAttributes")
	}
	before := mutations()
	for _, test := range []bool{false, true} {
		for k, s := range apply(test) {
			if s.Result == nil || !*s.Result || len(s.Changes) != 0 {
				t.Errorf("re-apply (test=%v) %s: result %v changes %v: %s", test, k, s.Result, s.Changes, s.Comment)
			}
		}
	}
	if n := mutations() - before; n != 0 {
		t.Errorf("re-applying made %d changing calls", n)
	}
	if strings.Contains(c.Master.Output(), secret) || strings.Contains(c.Minions["aws-1"].Output(), secret) {
		t.Error("the secret key is in a log")
	}
}
