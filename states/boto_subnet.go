package states

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// boto_subnet.present is Salt's boto_vpc.subnet_present, registered under
// both names.
func init() {
	doc := `Ensure a subnet exists in a VPC (Salt's boto_vpc.subnet_present; also registered as boto_subnet.present).

name: the subnet's Name tag, which identifies it within its VPC. cidr_block: required; cannot change. vpc_id or vpc_name: its VPC (required). availability_zone: at creation; a subnet found in another zone fails the state. auto_assign_public_ipv4: True or False is kept so; not given, an existing subnet's setting is left alone (a new one gets EC2's default, off), as Salt never changes it unasked. tags: added or updated.
route_table_id / route_table_name are not supported: giving them fails the state rather than leaving the subnet unassociated.
region, keyid, key, profile: the AWS connection, as in Salt; else the options vpc.*, else the standard AWS chain.
Changes: {"old": {...}, "new": {...}} with keys subnet, auto_assign_public_ipv4, tags.`
	RegisterTyped(Typed[subnetPresentArgs]{Name: "boto_vpc.subnet_present", Doc: doc, Apply: subnetPresent})
	RegisterTyped(Typed[subnetPresentArgs]{Name: "boto_subnet.present", Doc: doc, Apply: subnetPresent})
}

type subnetPresentArgs struct {
	AWSArgs
	CIDRBlock        string         `salt:"cidr_block,required"`
	VpcID            string         `salt:"vpc_id"`
	VpcName          string         `salt:"vpc_name"`
	AvailabilityZone string         `salt:"availability_zone"`
	AutoAssignPublic *bool          `salt:"auto_assign_public_ipv4"`
	Tags             map[string]any `salt:"tags"`
	RouteTableID     string         `salt:"route_table_id"`
	RouteTableName   string         `salt:"route_table_name"`
}

func (a *subnetPresentArgs) Validate() error {
	if err := checkCIDR("cidr_block", a.CIDRBlock); err != nil {
		return err
	}
	if (a.VpcID == "") == (a.VpcName == "") {
		return ArgErrorf("vpc_id", "give one of vpc_id and vpc_name")
	}
	if a.RouteTableID != "" || a.RouteTableName != "" {
		return ArgErrorf("route_table_id", "route table association is not supported by Brine's subnet state")
	}
	_, err := stringMap("tags", a.Tags)
	return err
}

func subnetPresent(ctx context.Context, env *Env, call Call, a *subnetPresentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, vpcPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	client := conn.ec2Client()
	tags, _ := stringMap("tags", a.Tags)
	vpc, err := findVPC(ctx, client, a.VpcID, a.VpcName)
	if err != nil {
		if _, missing := err.(*errNoVPC); missing {
			if call.Test {
				return Result{Name: name, Changes: map[string]any{"old": map[string]any{"subnet": nil}, "new": map[string]any{"subnet": name}},
					Comment: fmt.Sprintf("Subnet %s is set to be created (%s; an earlier state must create it).", name, err)}
			}
			return fail(name, "Subnet %s: %s", name, err)
		}
		return conn.awsFail(name, "look up the VPC of subnet "+name, err)
	}
	out, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{ec2Filter("vpc-id", vpc), ec2Filter("tag:Name", name)}})
	if err != nil {
		return conn.awsFail(name, "describe subnet "+name, err)
	}
	if len(out.Subnets) > 1 {
		return fail(name, "%d subnets of %s are named '%s': the name must identify one", len(out.Subnets), vpc, name)
	}
	old, new := map[string]any{}, map[string]any{}
	var comments []string
	var id string
	var haveTags map[string]string
	havePublic := false
	if len(out.Subnets) == 0 {
		view := map[string]any{"name": name, "cidr_block": a.CIDRBlock, "vpc_id": vpc}
		if a.AvailabilityZone != "" {
			view["availability_zone"] = a.AvailabilityZone
		}
		if call.Test {
			return Result{Name: name, Changes: map[string]any{"old": map[string]any{"subnet": nil}, "new": map[string]any{"subnet": view}},
				Comment: fmt.Sprintf("Subnet %s is set to be created.", name)}
		}
		all := map[string]string{"Name": name}
		for k, v := range tags {
			all[k] = v
		}
		in := &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(a.CIDRBlock),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSubnet, Tags: tagList(all)}}}
		if a.AvailabilityZone != "" {
			in.AvailabilityZone = aws.String(a.AvailabilityZone)
		}
		created, err := client.CreateSubnet(ctx, in)
		if err != nil {
			return conn.awsFail(name, "create subnet "+name, err)
		}
		id = aws.ToString(created.Subnet.SubnetId)
		haveTags = all
		view["id"] = id
		old["subnet"], new["subnet"] = nil, view
		comments = append(comments, fmt.Sprintf("Subnet %s created.", name))
	} else {
		s := out.Subnets[0]
		id = aws.ToString(s.SubnetId)
		if cur := aws.ToString(s.CidrBlock); cur != a.CIDRBlock {
			return fail(name, "Subnet %s (%s) has cidr_block %s, not %s: a subnet's CIDR cannot change", name, id, cur, a.CIDRBlock)
		}
		if az := aws.ToString(s.AvailabilityZone); a.AvailabilityZone != "" && az != a.AvailabilityZone {
			return fail(name, "Subnet %s (%s) is in availability zone %s, not %s: a subnet cannot move", name, id, az, a.AvailabilityZone)
		}
		haveTags = ec2Tags(s.Tags)
		havePublic = aws.ToBool(s.MapPublicIpOnLaunch)
		comments = append(comments, fmt.Sprintf("Subnet %s present.", name))
	}
	// Not given: an existing subnet's setting is left alone (a new one
	// keeps EC2's default, off).
	if a.AutoAssignPublic != nil && havePublic != *a.AutoAssignPublic {
		old["auto_assign_public_ipv4"], new["auto_assign_public_ipv4"] = havePublic, *a.AutoAssignPublic
		if !call.Test {
			if _, err := client.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String(id),
				MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(*a.AutoAssignPublic)}}); err != nil {
				delete(old, "auto_assign_public_ipv4")
				delete(new, "auto_assign_public_ipv4")
				return vpcPartial(conn.awsFail(name, "set auto_assign_public_ipv4 of subnet "+name, err), old, new, comments)
			}
		}
	}
	if set, _ := tagDiff(tags, haveTags, false); len(set) > 0 {
		o, n := tagChanges(haveTags, set, nil)
		old["tags"], new["tags"] = o, n
		if !call.Test {
			if err := applyEC2Tags(ctx, client, id, set, nil); err != nil {
				delete(old, "tags")
				delete(new, "tags")
				return vpcPartial(conn.awsFail(name, "tag subnet "+name, err), old, new, comments)
			}
		}
	}
	res := Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: strings.Join(comments, " ")}
	if len(old) > 0 {
		res.Changes = map[string]any{"old": old, "new": new}
		if call.Test {
			res.Result = nil
			res.Comment = fmt.Sprintf("Subnet %s is set to be updated.", name)
		} else if _, created := old["subnet"]; !created {
			res.Comment = fmt.Sprintf("Subnet %s updated.", name)
		}
	}
	return res
}
