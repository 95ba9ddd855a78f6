package states

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/brine-cm/brine/internal/fakeaws"
)

// stackRig is the fake AWS the boto_elb, boto_lc, boto_asg and
// boto_cloudwatch_alarm tests run against: one fake per service, each at
// its own endpoint given by the <service>.endpoint options, credentials
// from a profile in pillar (whose secret the tests look for in results).
type stackRig struct {
	ec2 *fakeaws.EC2
	elb *fakeaws.ELB
	as  *fakeaws.AutoScaling
	cw  *fakeaws.CloudWatch
	env *Env
}

const stackSecret = "STACK-SECRET-never-shown"

func newStackRig(t *testing.T) *stackRig {
	t.Helper()
	isolateAWS(t)
	r := &stackRig{ec2: fakeaws.NewEC2(), elb: fakeaws.NewELB(), as: fakeaws.NewAutoScaling(), cw: fakeaws.NewCloudWatch()}
	t.Cleanup(r.ec2.Close)
	elbSrv, asSrv, cwSrv := httptest.NewServer(r.elb), httptest.NewServer(r.as), httptest.NewServer(r.cw)
	t.Cleanup(elbSrv.Close)
	t.Cleanup(asSrv.Close)
	t.Cleanup(cwSrv.Close)
	r.env = &Env{ID: "aws-minion", Logger: slog.New(slog.DiscardHandler), Saltenv: "base",
		Opts:   map[string]any{"ec2.endpoint": r.ec2.URL(), "elb.endpoint": elbSrv.URL, "asg.endpoint": asSrv.URL, "cloudwatch.endpoint": cwSrv.URL},
		Pillar: map[string]any{"awsprof": map[string]any{"region": "us-east-1", "keyid": "AKIDSTACK", "key": stackSecret}},
	}
	return r
}

// args returns a with the rig's profile.
func (r *stackRig) args(a map[string]any) map[string]any {
	out := map[string]any{"profile": "awsprof"}
	for k, v := range a {
		out[k] = v
	}
	return out
}

// mutating sums the calls of actions that are not Describe/List/Get.
func stackMutating(counts ...map[string]int) (n int, names []string) {
	for _, c := range counts {
		for k, v := range c {
			if !strings.HasPrefix(k, "Describe") && !strings.HasPrefix(k, "List") && !strings.HasPrefix(k, "Get") {
				n += v
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return n, names
}

func (r *stackRig) mutatingCalls() (int, []string) {
	ec2Counts := map[string]int{}
	for _, q := range r.ec2.Requests() {
		ec2Counts[q.Action]++
	}
	return stackMutating(ec2Counts, r.elb.CallCounts(), r.as.CallCounts(), r.cw.CallCounts())
}

// network makes a VPC with three subnets and a webhost security group
// (besides the VPC's default group) in the fake EC2.
func (r *stackRig) network(t *testing.T) (vpc string, subnets []string, groups map[string]string) {
	t.Helper()
	vpc = r.ec2.AddVPC("", "10.0.0.0/16", map[string]string{"Name": "app"})
	c := ec2.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSETUP", "setup", "")},
		func(o *ec2.Options) { o.BaseEndpoint = aws.String(r.ec2.URL()) })
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		out, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i))})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(out.Subnet.SubnetId))
	}
	if _, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("webhost"), Description: aws.String("web"), VpcId: aws.String(vpc)}); err != nil {
		t.Fatal(err)
	}
	groups = map[string]string{}
	for _, n := range []string{"default", "webhost"} {
		g, ok := r.ec2.SecurityGroup(vpc, n)
		if !ok {
			t.Fatalf("no group %s", n)
		}
		groups[n] = g.ID
	}
	return vpc, subnets, groups
}

// noSecret fails when a result shows the secret key.
func noSecret(t *testing.T, res Result) {
	t.Helper()
	if s := fmt.Sprintf("%v %v", res.Comment, res.Changes); strings.Contains(s, stackSecret) {
		t.Fatalf("secret in result: %s", s)
	}
}
