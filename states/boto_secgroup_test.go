package states

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/fakeaws"
)

// awsSecret is the fake secret key: it must never show in a result.
const awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"

// awsRig is a fake EC2 and an Env whose boto_* states talk to it.
type awsRig struct {
	t   *testing.T
	ec2 *fakeaws.EC2
	env *Env
}

func newAWSRig(t *testing.T) *awsRig {
	t.Helper()
	isolateAWS(t)
	f := fakeaws.NewEC2()
	t.Cleanup(f.Close)
	env := testEnv(t)
	env.Opts = map[string]any{}
	for _, svc := range []string{"ec2", "vpc"} {
		env.Opts[svc+".endpoint"], env.Opts[svc+".keyid"], env.Opts[svc+".key"], env.Opts[svc+".region"] = f.URL(), "AKIDFAKE", awsSecret, "us-east-1"
	}
	return &awsRig{t: t, ec2: f, env: env}
}

// apply runs fun like the highstate runner would, with env.Run set to
// run (the states of the whole run).
func (r *awsRig) apply(fun, name string, args map[string]any, test bool) Result {
	r.t.Helper()
	s, ok := Lookup(fun)
	if !ok {
		r.t.Fatalf("state %s is not registered", fun)
	}
	if args == nil {
		args = map[string]any{}
	}
	res := s.Apply(awsTestCtx(), r.env, Call{ID: name, Name: name, Fun: fun, Args: args, Test: test})
	if dump := fmt.Sprintf("%#v", res); strings.Contains(dump, awsSecret) || strings.Contains(dump, "wJalrXUtnFEMI") {
		r.t.Fatalf("the secret key is in the result: %s", dump)
	}
	return res
}

// mutating counts the calls of the fake that were not Describe*.
func mutating(reqs []fakeaws.EC2Request) []string {
	var out []string
	for _, q := range reqs {
		if !strings.HasPrefix(q.Action, "Describe") {
			out = append(out, q.Action)
		}
	}
	return out
}

func sgRulesString(perms []fakeaws.EC2Permission, names map[string]string) string {
	var parts []string
	for _, p := range perms {
		src := p.CIDR
		if p.GroupID != "" {
			src = names[p.GroupID]
			if src == "" {
				src = p.GroupID
			}
		}
		parts = append(parts, fmt.Sprintf("%s:%d-%d:%s", p.Protocol, p.From, p.To, src))
	}
	return strings.Join(parts, " ")
}

func (r *awsRig) group(vpc, name string) (fakeaws.EC2SecurityGroup, string) {
	r.t.Helper()
	g, ok := r.ec2.SecurityGroup(vpc, name)
	if !ok {
		r.t.Fatalf("group %s not in %s", name, vpc)
	}
	names := map[string]string{}
	for _, o := range r.ec2.SecurityGroups() {
		names[o.ID] = o.Name
	}
	return g, sgRulesString(g.Ingress, names)
}

func TestBotoSecgroupLifecycle(t *testing.T) {
	r := newAWSRig(t)
	vpc := r.ec2.AddVPC("", "10.0.0.0/16", map[string]string{"Name": "main"})
	web := map[string]any{
		"description": "Web server security group", "vpc_id": vpc,
		"rules": []any{
			map[string]any{"ip_protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ip": []any{"0.0.0.0/0"}},
			map[string]any{"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": []any{"0.0.0.0/0", "10.1.0.0/16"}},
			map[string]any{"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ip": "default"},
			map[string]any{"ip_protocol": "icmp", "from_port": -1, "to_port": -1, "source_group_name": "webhost"},
		},
		"tags": map[string]any{"env": "prod"},
	}
	// Test mode first: nothing is created.
	res := r.apply("boto_secgroup.present", "webhost", web, true)
	want(t, res, nil, true, "Security group webhost is set to be created")
	if got := mutating(r.ec2.Requests()); len(got) != 0 {
		t.Fatalf("test mode changed things: %v", got)
	}
	res = r.apply("boto_secgroup.present", "webhost", web, false)
	want(t, res, True(), true, "Security group webhost created.", "Created rules on webhost security group.")
	g, rules := r.group(vpc, "webhost")
	if g.Description != "Web server security group" || g.Tags["env"] != "prod" {
		t.Errorf("group %+v", g)
	}
	if rules != "tcp:80-80:0.0.0.0/0 tcp:443-443:0.0.0.0/0 tcp:443-443:10.1.0.0/16 tcp:22-22:default icmp:-1--1:webhost" {
		t.Errorf("rules: %s", rules)
	}

	// Re-apply: no changes, only Describe calls.
	before := len(r.ec2.Requests())
	res = r.apply("boto_secgroup.present", "webhost", web, false)
	want(t, res, True(), false, "Security group webhost present.")
	calls := r.ec2.Requests()[before:]
	if m := mutating(calls); len(m) != 0 {
		t.Errorf("no-op re-apply made %v", m)
	}
	t.Logf("no-op re-apply: %d Describe calls", len(calls))

	// Change one rule: port 80 goes, 8080 comes; tags change.
	web["rules"].([]any)[0] = map[string]any{"ip_protocol": "tcp", "from_port": 8080, "to_port": 8080, "cidr_ip": "0.0.0.0/0"}
	web["tags"] = map[string]any{"env": "staging", "team": "web"}
	res = r.apply("boto_secgroup.present", "webhost", web, true)
	want(t, res, nil, true, "set to have rules modified: 1 to create, 1 to delete")
	if _, rules2 := r.group(vpc, "webhost"); rules2 != rules {
		t.Fatalf("test mode changed the rules: %s", rules2)
	}
	res = r.apply("boto_secgroup.present", "webhost", web, false)
	want(t, res, True(), true, "Removed rules", "Created rules", "Tags updated")
	g, rules = r.group(vpc, "webhost")
	if !strings.Contains(rules, "tcp:8080-8080:0.0.0.0/0") || strings.Contains(rules, "tcp:80-80:") {
		t.Errorf("rules after change: %s", rules)
	}
	if g.Tags["env"] != "staging" || g.Tags["team"] != "web" {
		t.Errorf("tags %v", g.Tags)
	}
	changes := fmt.Sprint(res.Changes)
	if !strings.Contains(changes, "from_port:80") || !strings.Contains(changes, "from_port:8080") {
		t.Errorf("changes do not show the rules: %s", changes)
	}

	// Egress: [] removes EC2's default rule.
	web["rules_egress"] = []any{}
	res = r.apply("boto_secgroup.present", "webhost", web, false)
	want(t, res, True(), true, "Removed rules_egress")
	if g, _ = r.group(vpc, "webhost"); len(g.Egress) != 0 {
		t.Errorf("egress %v", g.Egress)
	}

	// Absent: test mode, then for real, then nothing to do.
	res = r.apply("boto_secgroup.absent", "webhost", map[string]any{"vpc_name": "main"}, true)
	want(t, res, nil, true, "is set to be removed")
	res = r.apply("boto_secgroup.absent", "webhost", map[string]any{"vpc_name": "main"}, false)
	want(t, res, True(), true, "Security group webhost deleted.")
	if _, ok := r.ec2.SecurityGroup(vpc, "webhost"); ok {
		t.Error("group still there")
	}
	res = r.apply("boto_secgroup.absent", "webhost", map[string]any{"vpc_name": "main"}, false)
	want(t, res, True(), false, "does not exist")
}

// TestBotoSecgroupForwardReference: seed 000's pillar order, reversed so
// that the first group names one defined later, and groups naming each
// other: the run's later state is found, its group created ahead, and
// its own state then finds it and manages its rules.
func TestBotoSecgroupForwardReference(t *testing.T) {
	r := newAWSRig(t)
	vpc := r.ec2.AddVPC("", "10.0.0.0/16", nil)
	mongo := map[string]any{
		"description": "MongoDB Security Group", "vpc_id": vpc,
		"rules": []any{
			map[string]any{"ip_protocol": "tcp", "from_port": 27017, "to_port": 27017, "cidr_ip": "webhost"},
			map[string]any{"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ip": "default"},
		},
	}
	web := map[string]any{
		"description": "Web server security group", "vpc_id": vpc,
		"rules": []any{
			map[string]any{"ip_protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ip": []any{"0.0.0.0/0"}},
			map[string]any{"ip_protocol": "tcp", "from_port": 9000, "to_port": 9000, "source_group_name": "mongodb"},
		},
	}
	r.env.Run = []Call{
		{ID: "mongodb", Name: "mongodb", Fun: "boto_secgroup.present", Args: mongo},
		{ID: "webhost", Name: "webhost", Fun: "boto_secgroup.present", Args: web},
	}
	// Test mode says what would happen and creates nothing.
	res := r.apply("boto_secgroup.present", "mongodb", mongo, true)
	want(t, res, nil, true, "webhost do not exist yet", "Security group mongodb is set to be created")
	if m := mutating(r.ec2.Requests()); len(m) != 0 {
		t.Fatalf("test mode changed things: %v", m)
	}

	res = r.apply("boto_secgroup.present", "mongodb", mongo, false)
	want(t, res, True(), true, "webhost created ahead", "Security group mongodb created.")
	web1, _ := r.group(vpc, "webhost")
	if web1.Description != "Web server security group" {
		t.Errorf("webhost created ahead with description %q", web1.Description)
	}
	_, rules := r.group(vpc, "mongodb")
	if rules != "tcp:27017-27017:webhost tcp:22-22:default" {
		t.Errorf("mongodb rules: %s", rules)
	}
	res = r.apply("boto_secgroup.present", "webhost", web, false)
	want(t, res, True(), true, "Security group webhost present.", "Created rules")
	web2, rules := r.group(vpc, "webhost")
	if web2.ID != web1.ID || rules != "tcp:80-80:0.0.0.0/0 tcp:9000-9000:mongodb" {
		t.Errorf("webhost %s rules: %s", web2.ID, rules)
	}
	// The whole run again: nothing to do.
	for _, c := range r.env.Run {
		res = r.apply("boto_secgroup.present", c.Name, c.Args, false)
		want(t, res, True(), false)
	}
}

func TestBotoSecgroupErrors(t *testing.T) {
	r := newAWSRig(t)
	vpc := r.ec2.AddVPC("", "10.0.0.0/16", nil)
	// A source group that exists nowhere: fails before creating anything.
	res := r.apply("boto_secgroup.present", "app", map[string]any{
		"description": "app", "vpc_id": vpc,
		"rules": []any{map[string]any{"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "source_group_name": "nosuch"}},
	}, false)
	want(t, res, False(), false, "source_group_name nosuch does not map to a valid source group id")
	if _, ok := r.ec2.SecurityGroup(vpc, "app"); ok {
		t.Error("group created although its rules could not be")
	}
	// A VPC that is not there.
	res = r.apply("boto_secgroup.present", "app", map[string]any{"description": "app", "vpc_name": "nope"}, false)
	want(t, res, False(), false, "VPC named 'nope' does not exist")
	res = r.apply("boto_secgroup.present", "app", map[string]any{"description": "app", "vpc_id": "vpc-nope"}, false)
	want(t, res, False(), false, "Failed to create security group app: InvalidVpcID.NotFound: The ID 'vpc-nope' does not exist")
	// Bad rules are argument errors naming the rule.
	for _, tc := range []struct {
		rule map[string]any
		msg  string
	}{
		{map[string]any{"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "cidr": "0.0.0.0/0"}, "rule 1: unknown key 'cidr'"},
		{map[string]any{"ip_protocol": "tcp", "from_port": 1, "cidr_ip": "0.0.0.0/0"}, "to_port is required"},
		{map[string]any{"ip_protocol": "gre", "cidr_ip": "0.0.0.0/0"}, "invalid ip_protocol gre"},
		{map[string]any{"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "cidr_ip": "10.0.0.0/33"}, "cidr_ip 10.0.0.0/33 is not a valid CIDR block"},
		{map[string]any{"ip_protocol": "tcp", "from_port": 1, "to_port": 2}, "must be given"},
	} {
		res = r.apply("boto_secgroup.present", "app", map[string]any{"description": "app", "vpc_id": vpc, "rules": []any{tc.rule}}, false)
		want(t, res, False(), false, "'rules'", tc.msg)
	}
	// An AWS error is a failed state with its code and message.
	r.apply("boto_secgroup.present", "db", map[string]any{"description": "db", "vpc_id": vpc}, false)
	r.apply("boto_secgroup.present", "app", map[string]any{"description": "app", "vpc_id": vpc,
		"rules": []any{map[string]any{"ip_protocol": "tcp", "from_port": 1, "to_port": 2, "source_group_name": "db"}}}, false)
	res = r.apply("boto_secgroup.absent", "db", map[string]any{"vpc_id": vpc}, false)
	want(t, res, False(), false, "Failed to delete security group db: DependencyViolation: resource sg-")
	r.ec2.Throttle("CreateSecurityGroup", awsMaxAttempts)
	res = r.apply("boto_secgroup.present", "other", map[string]any{"description": "x", "vpc_id": vpc}, false)
	want(t, res, False(), false, "RequestLimitExceeded: Request limit exceeded.")
	// Throttling that ends is retried.
	r.ec2.Throttle("CreateSecurityGroup", 2)
	res = r.apply("boto_secgroup.present", "other", map[string]any{"description": "x", "vpc_id": vpc}, false)
	want(t, res, True(), true, "created")
}

// TestBotoSecgroupDefaultVPC: without vpc_id/vpc_name the group lives in
// the default VPC.
func TestBotoSecgroupDefaultVPC(t *testing.T) {
	r := newAWSRig(t)
	res := r.apply("boto_secgroup.present", "plain", map[string]any{"description": "plain",
		"rules": []any{map[string]any{"ip_protocol": "all", "cidr_ip": "10.0.0.0/8"}}}, false)
	want(t, res, True(), true, "created")
	if _, rules := r.group(fakeaws.DefaultVPC, "plain"); rules != "-1:-1--1:10.0.0.0/8" {
		t.Errorf("rules %s", rules)
	}
	res = r.apply("boto_secgroup.present", "plain", map[string]any{"description": "plain",
		"rules": []any{map[string]any{"ip_protocol": "-1", "from_port": -1, "to_port": -1, "cidr_ip": "10.0.0.0/8"}}}, false)
	want(t, res, True(), false)
}

type httptestHandler = interface {
	ServeHTTP(http.ResponseWriter, *http.Request)
}

func fmtAny(v any) string { return fmt.Sprintf("%#v", v) }
