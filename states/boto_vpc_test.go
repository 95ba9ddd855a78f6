package states

import (
	"testing"
)

func TestBotoVPCAndSubnet(t *testing.T) {
	r := newAWSRig(t)
	vpcArgs := map[string]any{"cidr_block": "10.20.0.0/16", "dns_hostnames": true, "tags": map[string]any{"env": "test"}}
	subArgs := map[string]any{"cidr_block": "10.20.1.0/24", "vpc_name": "app", "availability_zone": "us-east-1b", "tags": map[string]any{"tier": "web"}}

	// Test mode: the subnet's VPC does not exist yet; nothing changes.
	want(t, r.apply("boto_vpc.present", "app", vpcArgs, true), nil, true, "VPC app is set to be created.")
	want(t, r.apply("boto_subnet.present", "web-a", subArgs, true), nil, true, "is set to be created", "VPC named 'app' does not exist")
	if m := mutating(r.ec2.Requests()); len(m) != 0 {
		t.Fatalf("test mode changed things: %v", m)
	}

	want(t, r.apply("boto_vpc.present", "app", vpcArgs, false), True(), true, "VPC app created.")
	var vpcID string
	for _, v := range r.ec2.VPCs() {
		if v.Tags["Name"] == "app" {
			vpcID = v.ID
			if v.CIDR != "10.20.0.0/16" || !v.DNSHostnames || v.Tags["env"] != "test" {
				t.Errorf("vpc %+v", v)
			}
		}
	}
	if vpcID == "" {
		t.Fatal("no VPC named app")
	}
	want(t, r.apply("boto_subnet.present", "web-a", subArgs, false), True(), true, "Subnet web-a created.")
	subs := r.ec2.Subnets()
	if len(subs) != 1 || subs[0].VpcID != vpcID || subs[0].AvailabilityZone != "us-east-1b" || subs[0].Tags["Name"] != "web-a" || subs[0].Tags["tier"] != "web" {
		t.Fatalf("subnets %+v", subs)
	}

	// Again: no changes, only Describe calls.
	before := len(r.ec2.Requests())
	want(t, r.apply("boto_vpc.present", "app", vpcArgs, false), True(), false, "VPC app present.")
	want(t, r.apply("boto_vpc.subnet_present", "web-a", subArgs, false), True(), false, "Subnet web-a present.")
	if m := mutating(r.ec2.Requests()[before:]); len(m) != 0 {
		t.Errorf("no-op re-apply made %v", m)
	}

	// One field changes.
	vpcArgs["dns_hostnames"] = false
	want(t, r.apply("boto_vpc.present", "app", vpcArgs, true), nil, true, "is set to be updated")
	want(t, r.apply("boto_vpc.present", "app", vpcArgs, false), True(), true, "VPC app updated.")
	for _, v := range r.ec2.VPCs() {
		if v.ID == vpcID && v.DNSHostnames {
			t.Error("dns_hostnames still on")
		}
	}
	subArgs["auto_assign_public_ipv4"] = true
	res := r.apply("boto_subnet.present", "web-a", subArgs, false)
	want(t, res, True(), true, "Subnet web-a updated.")
	if !r.ec2.Subnets()[0].MapPublicIP {
		t.Error("map public ip not set")
	}

	// What cannot change fails loudly.
	vpcArgs["cidr_block"] = "10.30.0.0/16"
	want(t, r.apply("boto_vpc.present", "app", vpcArgs, false), False(), false, "has cidr_block 10.20.0.0/16, not 10.30.0.0/16")
	subArgs["availability_zone"] = "us-east-1c"
	want(t, r.apply("boto_subnet.present", "web-a", subArgs, false), False(), false, "is in availability zone us-east-1b, not us-east-1c")
	// An AWS error: a subnet outside its VPC's range.
	want(t, r.apply("boto_subnet.present", "stray", map[string]any{"cidr_block": "192.168.0.0/24", "vpc_id": vpcID}, false),
		False(), false, "Failed to create subnet stray: InvalidSubnet.Range: The CIDR '192.168.0.0/24' is invalid.")
	// Argument errors.
	want(t, r.apply("boto_subnet.present", "x", map[string]any{"cidr_block": "10.20.2.0/24"}, false), False(), false, "give one of vpc_id and vpc_name")
	want(t, r.apply("boto_vpc.present", "x", map[string]any{"cidr_block": "10.20.0.1/16"}, false), False(), false, "has host bits set")
	want(t, r.apply("boto_subnet.present", "x", map[string]any{"cidr_block": "10.20.2.0/24", "vpc_id": vpcID, "route_table_name": "rt"}, false), False(), false, "not supported")
}

// auto_assign_public_ipv4 not given leaves an existing subnet's setting
// alone (Salt never changes it on an existing subnet): a public subnet
// made by another tool does not lose its public addresses because a state
// that only manages its tags ran.
func TestBotoSubnetPublicIPNotGivenIsLeftAlone(t *testing.T) {
	r := newAWSRig(t)
	want(t, r.apply("boto_vpc.present", "app", map[string]any{"cidr_block": "10.20.0.0/16"}, false), True(), true, "VPC app created.")
	args := map[string]any{"cidr_block": "10.20.1.0/24", "vpc_name": "app", "auto_assign_public_ipv4": true}
	want(t, r.apply("boto_subnet.present", "pub", args, false), True(), true, "Subnet pub created.")
	if !r.ec2.Subnets()[0].MapPublicIP {
		t.Fatal("map public ip not set at creation")
	}
	delete(args, "auto_assign_public_ipv4")
	before := len(r.ec2.Requests())
	want(t, r.apply("boto_subnet.present", "pub", args, true), True(), false, "Subnet pub present.")
	want(t, r.apply("boto_subnet.present", "pub", args, false), True(), false, "Subnet pub present.")
	if m := mutating(r.ec2.Requests()[before:]); len(m) != 0 {
		t.Errorf("re-apply without auto_assign_public_ipv4 made %v", m)
	}
	if !r.ec2.Subnets()[0].MapPublicIP {
		t.Error("map public ip turned off by a state that did not ask")
	}
	// Given False, it is turned off.
	args["auto_assign_public_ipv4"] = false
	want(t, r.apply("boto_subnet.present", "pub", args, false), True(), true, "Subnet pub updated.")
	if r.ec2.Subnets()[0].MapPublicIP {
		t.Error("map public ip still on with auto_assign_public_ipv4: False")
	}
}

// instance_tenancy naming another tenancy than the existing VPC's fails,
// as a cidr_block mismatch does; it was accepted and ignored ("present").
func TestBotoVPCTenancyMismatchFails(t *testing.T) {
	r := newAWSRig(t)
	args := map[string]any{"cidr_block": "10.20.0.0/16"}
	want(t, r.apply("boto_vpc.present", "app", args, false), True(), true, "VPC app created.")
	args["instance_tenancy"] = "default"
	want(t, r.apply("boto_vpc.present", "app", args, false), True(), false, "VPC app present.")
	args["instance_tenancy"] = "dedicated"
	want(t, r.apply("boto_vpc.present", "app", args, true), False(), false, "has instance_tenancy default, not dedicated")
	want(t, r.apply("boto_vpc.present", "app", args, false), False(), false, "has instance_tenancy default, not dedicated")
}
