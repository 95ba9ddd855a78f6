package states

// Helpers the EC2-backed boto_* states share (boto_secgroup, boto_vpc,
// boto_subnet): the client, VPC lookup by id or Name tag, tags.

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/brine-cm/brine/internal/coerce"
)

// ec2Client is the EC2 client of a resolved connection.
func (c *awsConn) ec2Client() *ec2.Client {
	return ec2.NewFromConfig(c.Config, func(o *ec2.Options) {
		if c.Endpoint != nil {
			o.BaseEndpoint = c.Endpoint
		}
	})
}

// errNoVPC is a VPC that is not there; the state decides whether that
// fails (it does, except in test mode where an earlier state would
// create it).
type errNoVPC struct{ what string }

func (e *errNoVPC) Error() string { return e.what + " does not exist" }

// ec2Filter is one EC2 Describe filter.
func ec2Filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// findVPC returns the id of the VPC given by id (as is) or by Name tag,
// or of the account's default VPC when neither is given. A missing VPC is an
// *errNoVPC; two VPCs with the name are an error.
func findVPC(ctx context.Context, client *ec2.Client, vpcID, vpcName string) (string, error) {
	if vpcID != "" && vpcName != "" {
		return "", fmt.Errorf("vpc_id and vpc_name are mutually exclusive")
	}
	if vpcID != "" {
		// Taken as given: the calls naming it fail with EC2's
		// InvalidVpcID.NotFound if it is not there, and a no-op run
		// makes one call less per state.
		return vpcID, nil
	}
	in := &ec2.DescribeVpcsInput{}
	what := ""
	switch {
	case vpcName != "":
		in.Filters = []types.Filter{ec2Filter("tag:Name", vpcName)}
		what = fmt.Sprintf("VPC named '%s'", vpcName)
	default:
		in.Filters = []types.Filter{ec2Filter("is-default", "true")}
		what = "the default VPC (no vpc_id or vpc_name given)"
	}
	out, err := client.DescribeVpcs(ctx, in)
	if err != nil {
		return "", err
	}
	switch len(out.Vpcs) {
	case 0:
		return "", &errNoVPC{what: what}
	case 1:
		return aws.ToString(out.Vpcs[0].VpcId), nil
	}
	ids := make([]string, 0, len(out.Vpcs))
	for _, v := range out.Vpcs {
		ids = append(ids, aws.ToString(v.VpcId))
	}
	return "", fmt.Errorf("%s is ambiguous: %d VPCs match (%v); give vpc_id", what, len(ids), ids)
}

// stringMap reads a tags argument (values of any scalar type, as YAML
// gives them) into strings.
func stringMap(arg string, m map[string]any) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := coerce.String(v)
		if !ok || v == nil {
			return nil, ArgErrorf(arg, "%s: must be a string, got %s", k, coerce.Describe(v))
		}
		out[k] = s
	}
	return out, nil
}

// ec2Tags reads an EC2 tag list.
func ec2Tags(tags []types.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// tagList is a tag map as an EC2 tag list, sorted by key.
func tagList(m map[string]string) []types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// tagDiff compares wanted tags to the current ones: what to set (new or
// different) and, with remove, which keys to delete (AWS's own aws:*
// tags are never touched).
func tagDiff(want, have map[string]string, remove bool) (set map[string]string, del []string) {
	set = map[string]string{}
	for k, v := range want {
		if cur, ok := have[k]; !ok || cur != v {
			set[k] = v
		}
	}
	if remove {
		for k := range have {
			if _, ok := want[k]; !ok && !strings.HasPrefix(k, "aws:") {
				del = append(del, k)
			}
		}
		sort.Strings(del)
	}
	return set, del
}

// applyEC2Tags sets and deletes tags on an EC2 resource.
func applyEC2Tags(ctx context.Context, client *ec2.Client, id string, set map[string]string, del []string) error {
	if len(set) > 0 {
		if _, err := client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: tagList(set)}); err != nil {
			return err
		}
	}
	if len(del) > 0 {
		tags := make([]types.Tag, 0, len(del))
		for _, k := range del {
			tags = append(tags, types.Tag{Key: aws.String(k)})
		}
		if _, err := client.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: tags}); err != nil {
			return err
		}
	}
	return nil
}

// tagChanges is the old/new view of a tag change for a state's changes.
func tagChanges(have map[string]string, set map[string]string, del []string) (old, new map[string]any) {
	old, new = map[string]any{}, map[string]any{}
	for k, v := range set {
		if cur, ok := have[k]; ok {
			old[k] = cur
		} else {
			old[k] = nil
		}
		new[k] = v
	}
	for _, k := range del {
		old[k] = have[k]
		new[k] = nil
	}
	return old, new
}

// checkCIDR checks an IPv4 CIDR block argument (its network address,
// no host bits).
func checkCIDR(arg, s string) error {
	ip, n, err := net.ParseCIDR(s)
	if err != nil || ip.To4() == nil {
		return ArgErrorf(arg, "must be an IPv4 CIDR block such as 10.0.0.0/16, got %q", s)
	}
	if !ip.Equal(n.IP) {
		ones, _ := n.Mask.Size()
		return ArgErrorf(arg, "%s has host bits set (the network is %s/%d)", s, n.IP, ones)
	}
	return nil
}
