package states

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func init() {
	RegisterTyped(Typed[vpcPresentArgs]{
		Name: "boto_vpc.present",
		Doc: `Ensure a VPC exists (Salt's boto_vpc.present).

name: the VPC's Name tag, which identifies it. cidr_block: required; a VPC's CIDR cannot change: a VPC of that name with another CIDR fails the state. instance_tenancy: default or dedicated (at creation; a VPC of that name with another tenancy fails the state). dns_support, dns_hostnames: booleans, kept as given (not given: left alone). tags: added or updated (other tags are left alone).
region, keyid, key, profile: the AWS connection, as in Salt; else the options vpc.*, else the standard AWS chain.
Changes: {"old": {...}, "new": {...}} with keys vpc, dns_support, dns_hostnames, tags for what changed.`,
		Apply: vpcPresent,
	})
}

var vpcPrefixes = []string{"vpc"}

type vpcPresentArgs struct {
	AWSArgs
	CIDRBlock       string         `salt:"cidr_block,required"`
	InstanceTenancy string         `salt:"instance_tenancy"`
	DNSSupport      *bool          `salt:"dns_support"`
	DNSHostnames    *bool          `salt:"dns_hostnames"`
	Tags            map[string]any `salt:"tags"`
}

func (a *vpcPresentArgs) Validate() error {
	if err := checkCIDR("cidr_block", a.CIDRBlock); err != nil {
		return err
	}
	switch a.InstanceTenancy {
	case "", "default", "dedicated":
	default:
		return ArgErrorf("instance_tenancy", "must be default or dedicated, got %q", a.InstanceTenancy)
	}
	_, err := stringMap("tags", a.Tags)
	return err
}

// findVPCByName returns the VPC whose Name tag is name (nil: none).
func findVPCByName(ctx context.Context, client *ec2.Client, name string) (*types.Vpc, error) {
	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{ec2Filter("tag:Name", name)}})
	if err != nil {
		return nil, err
	}
	switch len(out.Vpcs) {
	case 0:
		return nil, nil
	case 1:
		return &out.Vpcs[0], nil
	}
	return nil, fmt.Errorf("%d VPCs are named '%s': the name must identify one", len(out.Vpcs), name)
}

func vpcAttr(ctx context.Context, client *ec2.Client, id string, attr types.VpcAttributeName) (bool, error) {
	out, err := client.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: attr})
	if err != nil {
		return false, err
	}
	switch attr {
	case types.VpcAttributeNameEnableDnsSupport:
		return out.EnableDnsSupport != nil && aws.ToBool(out.EnableDnsSupport.Value), nil
	default:
		return out.EnableDnsHostnames != nil && aws.ToBool(out.EnableDnsHostnames.Value), nil
	}
}

func vpcPresent(ctx context.Context, env *Env, call Call, a *vpcPresentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, vpcPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	client := conn.ec2Client()
	tags, _ := stringMap("tags", a.Tags)
	vpc, err := findVPCByName(ctx, client, name)
	if err != nil {
		return conn.awsFail(name, "describe VPC "+name, err)
	}
	old, new := map[string]any{}, map[string]any{}
	var comments []string
	var id string
	var haveTags map[string]string
	if vpc == nil {
		view := map[string]any{"name": name, "cidr_block": a.CIDRBlock}
		if call.Test {
			return Result{Name: name, Changes: map[string]any{"old": map[string]any{"vpc": nil}, "new": map[string]any{"vpc": view}},
				Comment: fmt.Sprintf("VPC %s is set to be created.", name)}
		}
		all := map[string]string{"Name": name}
		for k, v := range tags {
			all[k] = v
		}
		in := &ec2.CreateVpcInput{CidrBlock: aws.String(a.CIDRBlock),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: tagList(all)}}}
		if a.InstanceTenancy != "" {
			in.InstanceTenancy = types.Tenancy(a.InstanceTenancy)
		}
		out, err := client.CreateVpc(ctx, in)
		if err != nil {
			return conn.awsFail(name, "create VPC "+name, err)
		}
		id = aws.ToString(out.Vpc.VpcId)
		haveTags = all
		view["id"] = id
		old["vpc"], new["vpc"] = nil, view
		comments = append(comments, fmt.Sprintf("VPC %s created.", name))
	} else {
		id = aws.ToString(vpc.VpcId)
		if cur := aws.ToString(vpc.CidrBlock); cur != a.CIDRBlock {
			return fail(name, "VPC %s (%s) has cidr_block %s, not %s: a VPC's CIDR cannot change (delete it, or name another VPC)", name, id, cur, a.CIDRBlock)
		}
		if cur := string(vpc.InstanceTenancy); a.InstanceTenancy != "" && cur != a.InstanceTenancy {
			return fail(name, "VPC %s (%s) has instance_tenancy %s, not %s: Brine does not change a VPC's tenancy (delete it, or name another VPC)", name, id, cur, a.InstanceTenancy)
		}
		haveTags = ec2Tags(vpc.Tags)
		comments = append(comments, fmt.Sprintf("VPC %s present.", name))
	}
	for _, at := range []struct {
		key  string
		want *bool
		attr types.VpcAttributeName
	}{
		{"dns_support", a.DNSSupport, types.VpcAttributeNameEnableDnsSupport},
		{"dns_hostnames", a.DNSHostnames, types.VpcAttributeNameEnableDnsHostnames},
	} {
		if at.want == nil {
			continue
		}
		have, err := vpcAttr(ctx, client, id, at.attr)
		if err != nil {
			return vpcPartial(conn.awsFail(name, "read "+at.key+" of VPC "+name, err), old, new, comments)
		}
		if have == *at.want {
			continue
		}
		old[at.key], new[at.key] = have, *at.want
		if call.Test {
			continue
		}
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id)}
		v := &types.AttributeBooleanValue{Value: aws.Bool(*at.want)}
		if at.attr == types.VpcAttributeNameEnableDnsSupport {
			in.EnableDnsSupport = v
		} else {
			in.EnableDnsHostnames = v
		}
		if _, err := client.ModifyVpcAttribute(ctx, in); err != nil {
			delete(old, at.key)
			delete(new, at.key)
			return vpcPartial(conn.awsFail(name, "set "+at.key+" of VPC "+name, err), old, new, comments)
		}
	}
	if set, del := tagDiff(tags, haveTags, false); len(set) > 0 {
		o, n := tagChanges(haveTags, set, del)
		old["tags"], new["tags"] = o, n
		if !call.Test {
			if err := applyEC2Tags(ctx, client, id, set, nil); err != nil {
				delete(old, "tags")
				delete(new, "tags")
				return vpcPartial(conn.awsFail(name, "tag VPC "+name, err), old, new, comments)
			}
		}
	}
	res := Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: strings.Join(comments, " ")}
	if len(old) > 0 {
		res.Changes = map[string]any{"old": old, "new": new}
		if call.Test {
			res.Result = nil
			res.Comment = fmt.Sprintf("VPC %s is set to be updated.", name)
		} else if _, created := old["vpc"]; !created {
			res.Comment = fmt.Sprintf("VPC %s updated.", name)
		}
	}
	return res
}

// vpcPartial is a failed result that still reports what changed before.
func vpcPartial(res Result, old, new map[string]any, comments []string) Result {
	if len(old) > 0 {
		res.Changes = map[string]any{"old": old, "new": new}
	}
	if len(comments) > 0 {
		res.Comment = strings.Join(comments, " ") + " " + res.Comment
	}
	return res
}
