package states

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func seedELBArgs() map[string]any {
	return map[string]any{
		"listeners": []any{
			map[string]any{"elb_port": 443, "instance_port": 443, "certificate": "arn:aws:iam::123456789012:server-certificate/web", "elb_protocol": "HTTPS", "instance_protocol": "HTTPS"},
			map[string]any{"elb_port": 80, "instance_port": 80, "elb_protocol": "HTTP", "instance_protocol": "HTTP"},
		},
		"subnets":         []any{"subnet-1", "subnet-2", "subnet-3"},
		"health_check":    map[string]any{"target": "HTTPS:443/check.html"},
		"attributes":      map[string]any{"cross_zone_load_balancing": map[string]any{"enabled": true}},
		"security_groups": []any{"sg-default", "sg-webhost"},
		"tags":            map[string]any{"env": "prod"},
	}
}

func TestBotoELBPresentCycle(t *testing.T) {
	r := newStackRig(t)
	snap := func() string { return fmt.Sprintf("%+v", r.elb.LoadBalancer("MY-ELB")) }
	first := cycle(t, r.env, "boto_elb.present", "MY-ELB", r.args(seedELBArgs()), snap)
	noSecret(t, first)
	lb := r.elb.LoadBalancer("MY-ELB")
	if lb == nil || len(lb.Listeners) != 2 || lb.Listeners[0].SSLCertificateID == "" || !lb.CrossZone ||
		lb.HealthCheck.Target != "HTTPS:443/check.html" || lb.HealthCheck.Interval != 30 || len(lb.Subnets) != 3 ||
		len(lb.SecurityGroups) != 2 || lb.Tags["env"] != "prod" {
		t.Fatalf("load balancer: %+v", lb)
	}
	if first.Comment != "ELB MY-ELB created." {
		t.Errorf("comment %q", first.Comment)
	}

	// Change one listener, the health check, a subnet and the tags: only
	// those change, test mode first.
	args := seedELBArgs()
	args["listeners"] = []any{args["listeners"].([]any)[0], map[string]any{"elb_port": 80, "instance_port": 8080, "elb_protocol": "http"}}
	args["health_check"] = map[string]any{"target": "HTTP:8080/ping", "interval": 10}
	args["subnets"] = []any{"subnet-1", "subnet-2", "subnet-4"}
	args["tags"] = map[string]any{"team": "web"}
	res := apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), true)
	want(t, res, nil, true, "listeners modified", "Listener 80 HTTP -> 8080 HTTP added.", "Listener 80 HTTP -> 80 HTTP deleted.", "health check", "subnets", "tags")
	if snap() != fmt.Sprintf("%+v", lb) {
		t.Fatal("test mode changed the load balancer")
	}
	res = apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false)
	want(t, res, True(), true)
	newM := res.Changes["new"].(map[string]any)
	for _, k := range []string{"listeners", "health_check", "subnets", "tags"} {
		if _, ok := newM[k]; !ok {
			t.Errorf("changes lack %s: %v", k, res.Changes)
		}
	}
	if _, ok := newM["attributes"]; ok {
		t.Errorf("attributes reported changed: %v", res.Changes)
	}
	lb = r.elb.LoadBalancer("MY-ELB")
	if lb.Listeners[1].InstancePort != 8080 || lb.HealthCheck.Interval != 10 || lb.Subnets[2] != "subnet-4" || lb.Tags["env"] != "" || lb.Tags["team"] != "web" {
		t.Fatalf("after update: %+v", lb)
	}
	want(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false), True(), false, "ELB MY-ELB present.")

	// A no-op run makes only Describe calls.
	before, _ := r.mutatingCalls()
	apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false)
	if after, names := r.mutatingCalls(); after != before {
		t.Errorf("no-op run made changing calls: %v", names)
	}

	// absent: test mode, delete, then nothing to do.
	want(t, apply(t, r.env, "boto_elb.absent", "MY-ELB", r.args(nil), true), nil, true, "ELB MY-ELB is set to be removed.")
	if r.elb.LoadBalancer("MY-ELB") == nil {
		t.Fatal("test mode deleted")
	}
	want(t, apply(t, r.env, "boto_elb.absent", "MY-ELB", r.args(nil), false), True(), true, "ELB MY-ELB deleted.")
	want(t, apply(t, r.env, "boto_elb.absent", "MY-ELB", r.args(nil), false), True(), false, "MY-ELB ELB does not exist.")
}

func TestBotoELBErrors(t *testing.T) {
	r := newStackRig(t)
	cases := []struct {
		name string
		edit func(a map[string]any)
		subs []string
	}{
		{"https without certificate", func(a map[string]any) {
			a["listeners"] = []any{map[string]any{"elb_port": 443, "instance_port": 443, "elb_protocol": "HTTPS"}}
		}, []string{"State 'test-id' (boto_elb.present): argument 'listeners' item 1 key 'certificate' is required"}},
		{"listener without port", func(a map[string]any) {
			a["listeners"] = []any{map[string]any{"instance_port": 80, "elb_protocol": "HTTP"}}
		}, []string{"item 1 key 'elb_port' is required"}},
		{"listener typo", func(a map[string]any) {
			a["listeners"] = []any{map[string]any{"elb_port": 80, "instance_port": 80, "elb_protocol": "HTTP", "instance_protocl": "HTTP"}}
		}, []string{"unknown key(s) 'instance_protocl'"}},
		{"subnets and zones", func(a map[string]any) { a["availability_zones"] = []any{"us-east-1a"} }, []string{"exactly one of availability_zones, subnets, subnet_names"}},
		{"unknown attribute", func(a map[string]any) { a["attributes"] = map[string]any{"cross_zone": true} }, []string{"unknown attribute 'cross_zone'"}},
		{"unsupported argument", func(a map[string]any) { a["cnames"] = []any{map[string]any{"name": "x"}} }, []string{"argument 'cnames' is not supported"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := seedELBArgs()
			tc.edit(a)
			wantFail(t, apply(t, r.env, "boto_elb.present", "bad", r.args(a), false), tc.subs...)
		})
	}
	if n, names := r.mutatingCalls(); n != 0 {
		t.Fatalf("bad arguments reached AWS: %v", names)
	}
	// An AWS error is a failed state with its code and message.
	r.elb.Fail("CreateLoadBalancer", "TooManyLoadBalancers", "Exceeded quota of account 123456789012")
	res := apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(seedELBArgs()), false)
	wantFail(t, res, "Failed to create ELB MY-ELB: TooManyLoadBalancers: Exceeded quota of account 123456789012")
	noSecret(t, res)
	if r.elb.LoadBalancer("MY-ELB") != nil {
		t.Fatal("load balancer created despite the error")
	}
}

// TestBotoELBSecurityGroupNames: groups named in security_groups are
// looked up in the subnets' VPC; one not created yet is reported in test
// mode and an error otherwise.
func TestBotoELBSecurityGroupNames(t *testing.T) {
	r := newStackRig(t)
	_, subnets, groups := r.network(t)
	args := seedELBArgs()
	args["subnets"] = []any{subnets[0], subnets[1], subnets[2]}
	args["security_groups"] = "default,webhost"
	want(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false), True(), true)
	if got := r.elb.LoadBalancer("MY-ELB").SecurityGroups; !sameSet(got, []string{groups["default"], groups["webhost"]}) {
		t.Fatalf("security groups %v, want the ids of %v", got, groups)
	}
	want(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false), True(), false)

	args["security_groups"] = []any{"default", "mongodb"}
	want(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), true), nil, true, "security groups mongodb do not exist yet")
	wantFail(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false), "Security groups mongodb do not map to valid security group ids.")
	if got := r.elb.LoadBalancer("MY-ELB").SecurityGroups; len(got) != 2 {
		t.Fatalf("security groups changed: %v", got)
	}
}

// TestBotoELBSubnetNames: subnet_names are looked up by Name tag; one
// missing fails the state, except in test mode (an earlier state would
// create it).
func TestBotoELBSubnetNames(t *testing.T) {
	r := newStackRig(t)
	args := seedELBArgs()
	delete(args, "subnets")
	args["subnet_names"] = []any{"app-a"}
	want(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), true), nil, true, "subnets app-a do not exist yet")
	wantFail(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false), "Subnet app-a does not exist.")
	_, subnets, _ := r.network(t)
	c := ec2.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSETUP", "setup", "")},
		func(o *ec2.Options) { o.BaseEndpoint = aws.String(r.ec2.URL()) })
	if _, err := c.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{subnets[0]}, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("app-a")}}}); err != nil {
		t.Fatal(err)
	}
	want(t, apply(t, r.env, "boto_elb.present", "MY-ELB", r.args(args), false), True(), true)
	if got := r.elb.LoadBalancer("MY-ELB").Subnets; len(got) != 1 || got[0] != subnets[0] {
		t.Fatalf("subnets %v, want %s", got, subnets[0])
	}
}
