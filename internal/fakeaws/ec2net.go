package fakeaws

// EC2 networking for the boto_* states: VPCs (CreateVpc, DescribeVpcs,
// ModifyVpcAttribute, DescribeVpcAttribute), subnets (CreateSubnet,
// DescribeSubnets, ModifySubnetAttribute), security groups
// (CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup,
// Authorize/RevokeSecurityGroupIngress/Egress) and tags on all of them
// (CreateTags, DeleteTags), in the EC2 Query protocol. Describe calls
// take EC2's Filter.N.Name/Value.M filters; an unknown filter name is
// refused as EC2 does. The fake starts with a default VPC
// (vpc-0default, 172.31.0.0/16) holding its "default" security group;
// every VPC created gets one too, as in EC2.

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// EC2VPC is a VPC of the fake.
type EC2VPC struct {
	ID, CIDR, Tenancy        string
	IsDefault                bool
	DNSSupport, DNSHostnames bool
	Tags                     map[string]string
}

// EC2Subnet is a subnet of the fake.
type EC2Subnet struct {
	ID, VpcID, CIDR, AvailabilityZone string
	MapPublicIP                       bool
	Tags                              map[string]string
}

// EC2Permission is one security group rule, one source each (as
// DescribeSecurityGroups shows them after splitting): Protocol is "tcp",
// "udp", "icmp", "-1" or a number; From/To are -1 when the protocol has
// no ports.
type EC2Permission struct {
	Protocol string
	From, To int
	CIDR     string // IPv4 or IPv6 range
	GroupID  string // source security group
}

// EC2SecurityGroup is a security group of the fake.
type EC2SecurityGroup struct {
	ID, Name, Description, VpcID string
	Ingress, Egress              []EC2Permission
	Tags                         map[string]string
}

// DefaultVPC is the id of the VPC the fake starts with.
const DefaultVPC = "vpc-0default"

// ec2Net is the networking state of the fake (guarded by EC2.mu).
type ec2Net struct {
	vpcs    map[string]*EC2VPC
	subnets map[string]*EC2Subnet
	groups  map[string]*EC2SecurityGroup
	seq     int
}

func (f *EC2) initNet() {
	f.net = ec2Net{vpcs: map[string]*EC2VPC{}, subnets: map[string]*EC2Subnet{}, groups: map[string]*EC2SecurityGroup{}}
	f.net.vpcs[DefaultVPC] = &EC2VPC{ID: DefaultVPC, CIDR: "172.31.0.0/16", Tenancy: "default", IsDefault: true, DNSSupport: true, DNSHostnames: true, Tags: map[string]string{}}
	f.addDefaultGroup(DefaultVPC)
}

func (f *EC2) newID(prefix string) string {
	f.net.seq++
	return fmt.Sprintf("%s-%017x", prefix, 0xdef000+f.net.seq)
}

func (f *EC2) addDefaultGroup(vpc string) {
	g := &EC2SecurityGroup{ID: f.newID("sg"), Name: "default", Description: "default VPC security group", VpcID: vpc, Tags: map[string]string{}}
	g.Ingress = []EC2Permission{{Protocol: "-1", From: -1, To: -1, GroupID: g.ID}}
	g.Egress = []EC2Permission{{Protocol: "-1", From: -1, To: -1, CIDR: "0.0.0.0/0"}}
	f.net.groups[g.ID] = g
}

// VPCs returns copies of the VPCs, by id.
func (f *EC2) VPCs() []EC2VPC {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []EC2VPC
	for _, id := range sortedIDs(f.net.vpcs) {
		v := *f.net.vpcs[id]
		v.Tags = copyStrMap(v.Tags)
		out = append(out, v)
	}
	return out
}

// Subnets returns copies of the subnets, by id.
func (f *EC2) Subnets() []EC2Subnet {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []EC2Subnet
	for _, id := range sortedIDs(f.net.subnets) {
		s := *f.net.subnets[id]
		s.Tags = copyStrMap(s.Tags)
		out = append(out, s)
	}
	return out
}

// SecurityGroups returns copies of the security groups, by id.
func (f *EC2) SecurityGroups() []EC2SecurityGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []EC2SecurityGroup
	for _, id := range sortedIDs(f.net.groups) {
		out = append(out, f.net.groups[id].copy())
	}
	return out
}

// SecurityGroup returns a copy of the group named name in vpc.
func (f *EC2) SecurityGroup(vpc, name string) (EC2SecurityGroup, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.net.groups {
		if g.VpcID == vpc && g.Name == name {
			return g.copy(), true
		}
	}
	return EC2SecurityGroup{}, false
}

// AddVPC adds a VPC as if made outside of Brine (id "": a new one) and
// returns its id.
func (f *EC2) AddVPC(id, cidr string, tags map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "" {
		id = f.newID("vpc")
	}
	v := &EC2VPC{ID: id, CIDR: cidr, Tenancy: "default", DNSSupport: true, Tags: copyStrMap(tags)}
	if v.Tags == nil {
		v.Tags = map[string]string{}
	}
	f.net.vpcs[v.ID] = v
	f.addDefaultGroup(v.ID)
	return v.ID
}

// Calls is how many requests of action the fake answered (refusals
// included).
func (f *EC2) Calls(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Action == action {
			n++
		}
	}
	return n
}

func (g *EC2SecurityGroup) copy() EC2SecurityGroup {
	c := *g
	c.Ingress = append([]EC2Permission(nil), g.Ingress...)
	c.Egress = append([]EC2Permission(nil), g.Egress...)
	c.Tags = copyStrMap(g.Tags)
	return c
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func formGet(form map[string][]string, k string) string {
	if v := form[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ec2Filter is one Filter.N of a Describe call.
type ec2Filter struct {
	name   string
	values []string
}

func ec2Filters(form map[string][]string) []ec2Filter {
	var out []ec2Filter
	for n := 1; ; n++ {
		p := "Filter." + strconv.Itoa(n) + "."
		name := formGet(form, p+"Name")
		if name == "" {
			return out
		}
		out = append(out, ec2Filter{name: name, values: ec2List(form, p+"Value.", "")})
	}
}

// ec2Match applies filters to a resource: attr answers a filter name's
// values for it (ok false: a filter EC2 does not know for the resource).
func ec2Match(filters []ec2Filter, tags map[string]string, attr func(string) ([]string, bool)) (bool, string) {
	for _, fl := range filters {
		var have []string
		switch {
		case strings.HasPrefix(fl.name, "tag:"):
			if v, ok := tags[strings.TrimPrefix(fl.name, "tag:")]; ok {
				have = []string{v}
			}
		case fl.name == "tag-key":
			for k := range tags {
				have = append(have, k)
			}
		default:
			var ok bool
			if have, ok = attr(fl.name); !ok {
				return false, fl.name
			}
		}
		hit := false
		for _, h := range have {
			for _, w := range fl.values {
				if h == w {
					hit = true
				}
			}
		}
		if !hit {
			return false, ""
		}
	}
	return true, ""
}

func badFilter(name string) (string, int) {
	return ec2ErrorBody("InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", name)), http.StatusBadRequest
}

func okBody(root string) (string, int) {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%s %s><requestId>fake-request</requestId><return>true</return></%s>`, root, ec2NS, root), http.StatusOK
}

func tagSetXML(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(`<tagSet>`)
	for _, k := range keys {
		b.WriteString(`<item><key>` + ec2Esc(k) + `</key><value>` + ec2Esc(tags[k]) + `</value></item>`)
	}
	b.WriteString(`</tagSet>`)
	return b.String()
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

// serveNet answers the networking actions; ok false: not one of them.
func (f *EC2) serveNet(action string, form map[string][]string) (body string, status int, ok bool) {
	ok = true
	switch action {
	case "CreateVpc":
		body, status = f.createVpc(form)
	case "DescribeVpcs":
		body, status = f.describeVpcs(form)
	case "ModifyVpcAttribute":
		body, status = f.modifyVpcAttribute(form)
	case "DescribeVpcAttribute":
		body, status = f.describeVpcAttribute(form)
	case "CreateSubnet":
		body, status = f.createSubnet(form)
	case "DescribeSubnets":
		body, status = f.describeSubnets(form)
	case "ModifySubnetAttribute":
		body, status = f.modifySubnetAttribute(form)
	case "CreateSecurityGroup":
		body, status = f.createSecurityGroup(form)
	case "DescribeSecurityGroups":
		body, status = f.describeSecurityGroups(form)
	case "DeleteSecurityGroup":
		body, status = f.deleteSecurityGroup(form)
	case "AuthorizeSecurityGroupIngress":
		body, status = f.changePermissions(form, "AuthorizeSecurityGroupIngressResponse", false, true)
	case "AuthorizeSecurityGroupEgress":
		body, status = f.changePermissions(form, "AuthorizeSecurityGroupEgressResponse", true, true)
	case "RevokeSecurityGroupIngress":
		body, status = f.changePermissions(form, "RevokeSecurityGroupIngressResponse", false, false)
	case "RevokeSecurityGroupEgress":
		body, status = f.changePermissions(form, "RevokeSecurityGroupEgressResponse", true, false)
	case "DeleteTags":
		body, status = f.deleteTags(form)
	default:
		ok = false
	}
	return body, status, ok
}

// resourceTags returns the tags of a VPC, subnet or security group (nil,
// false: no such resource).
func (f *EC2) resourceTags(id string) (map[string]string, bool) {
	if v, ok := f.net.vpcs[id]; ok {
		return v.Tags, true
	}
	if s, ok := f.net.subnets[id]; ok {
		return s.Tags, true
	}
	if g, ok := f.net.groups[id]; ok {
		return g.Tags, true
	}
	return nil, false
}

func notFoundID(id string) (string, int) {
	code := "InvalidID"
	switch {
	case strings.HasPrefix(id, "vpc-"):
		code = "InvalidVpcID.NotFound"
	case strings.HasPrefix(id, "subnet-"):
		code = "InvalidSubnetID.NotFound"
	case strings.HasPrefix(id, "sg-"):
		code = "InvalidGroup.NotFound"
	case strings.HasPrefix(id, "i-"):
		code = "InvalidInstanceID.NotFound"
	}
	return ec2ErrorBody(code, fmt.Sprintf("The ID '%s' does not exist", id)), http.StatusBadRequest
}

// tagSpecs reads TagSpecification.N for resource type rt.
func tagSpecs(form map[string][]string, rt string) map[string]string {
	tags := map[string]string{}
	for n := 1; ; n++ {
		p := "TagSpecification." + strconv.Itoa(n) + "."
		t, ok := form[p+"ResourceType"]
		if !ok {
			return tags
		}
		if t[0] != rt {
			continue
		}
		keys := ec2List(form, p+"Tag.", ".Key")
		vals := ec2List(form, p+"Tag.", ".Value")
		for i, k := range keys {
			if i < len(vals) {
				tags[k] = vals[i]
			}
		}
	}
}

func (f *EC2) createVpc(form map[string][]string) (string, int) {
	cidr := formGet(form, "CidrBlock")
	if _, _, err := net.ParseCIDR(cidr); err != nil {
		return ec2ErrorBody("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)), http.StatusBadRequest
	}
	ten := formGet(form, "InstanceTenancy")
	if ten == "" {
		ten = "default"
	}
	v := &EC2VPC{ID: f.newID("vpc"), CIDR: cidr, Tenancy: ten, DNSSupport: true, Tags: tagSpecs(form, "vpc")}
	f.net.vpcs[v.ID] = v
	f.addDefaultGroup(v.ID)
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<CreateVpcResponse %s><requestId>fake-request</requestId><vpc>%s</vpc></CreateVpcResponse>`, ec2NS, vpcXML(v)), http.StatusOK
}

func vpcXML(v *EC2VPC) string {
	return `<vpcId>` + v.ID + `</vpcId><state>available</state><cidrBlock>` + ec2Esc(v.CIDR) + `</cidrBlock><instanceTenancy>` + ec2Esc(v.Tenancy) +
		`</instanceTenancy><isDefault>` + boolStr(v.IsDefault) + `</isDefault><ownerId>123456789012</ownerId>` + tagSetXML(v.Tags)
}

func (f *EC2) describeVpcs(form map[string][]string) (string, int) {
	ids := ec2List(form, "VpcId.", "")
	filters := ec2Filters(form)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DescribeVpcsResponse %s><requestId>fake-request</requestId><vpcSet>`, ec2NS)
	for _, id := range ids {
		if _, ok := f.net.vpcs[id]; !ok {
			return notFoundID(id)
		}
	}
	for _, id := range sortedIDs(f.net.vpcs) {
		v := f.net.vpcs[id]
		if len(ids) > 0 && !contains(ids, id) {
			continue
		}
		ok, bad := ec2Match(filters, v.Tags, func(n string) ([]string, bool) {
			switch n {
			case "vpc-id":
				return []string{v.ID}, true
			case "cidr", "cidr-block-association.cidr-block":
				return []string{v.CIDR}, true
			case "is-default", "isDefault":
				return []string{boolStr(v.IsDefault)}, true
			case "state":
				return []string{"available"}, true
			}
			return nil, false
		})
		if bad != "" {
			return badFilter(bad)
		}
		if ok {
			b.WriteString(`<item>` + vpcXML(v) + `</item>`)
		}
	}
	b.WriteString(`</vpcSet></DescribeVpcsResponse>`)
	return b.String(), http.StatusOK
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (f *EC2) modifyVpcAttribute(form map[string][]string) (string, int) {
	v, ok := f.net.vpcs[formGet(form, "VpcId")]
	if !ok {
		return notFoundID(formGet(form, "VpcId"))
	}
	s, h := formGet(form, "EnableDnsSupport.Value"), formGet(form, "EnableDnsHostnames.Value")
	if (s == "") == (h == "") {
		return ec2ErrorBody("InvalidParameterCombination", "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames"), http.StatusBadRequest
	}
	if s != "" {
		v.DNSSupport = s == "true"
	} else {
		v.DNSHostnames = h == "true"
	}
	return okBody("ModifyVpcAttributeResponse")
}

func (f *EC2) describeVpcAttribute(form map[string][]string) (string, int) {
	v, ok := f.net.vpcs[formGet(form, "VpcId")]
	if !ok {
		return notFoundID(formGet(form, "VpcId"))
	}
	var attr string
	switch formGet(form, "Attribute") {
	case "enableDnsSupport":
		attr = `<enableDnsSupport><value>` + boolStr(v.DNSSupport) + `</value></enableDnsSupport>`
	case "enableDnsHostnames":
		attr = `<enableDnsHostnames><value>` + boolStr(v.DNSHostnames) + `</value></enableDnsHostnames>`
	default:
		return ec2ErrorBody("InvalidParameterValue", "Value ("+formGet(form, "Attribute")+") for parameter attribute is invalid."), http.StatusBadRequest
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DescribeVpcAttributeResponse %s><requestId>fake-request</requestId><vpcId>%s</vpcId>%s</DescribeVpcAttributeResponse>`, ec2NS, v.ID, attr), http.StatusOK
}

func (f *EC2) createSubnet(form map[string][]string) (string, int) {
	vpcID := formGet(form, "VpcId")
	v, ok := f.net.vpcs[vpcID]
	if !ok {
		return notFoundID(vpcID)
	}
	cidr := formGet(form, "CidrBlock")
	_, sn, err := net.ParseCIDR(cidr)
	if err != nil {
		return ec2ErrorBody("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)), http.StatusBadRequest
	}
	_, vn, _ := net.ParseCIDR(v.CIDR)
	if vn == nil || !vn.Contains(sn.IP) {
		return ec2ErrorBody("InvalidSubnet.Range", fmt.Sprintf("The CIDR '%s' is invalid.", cidr)), http.StatusBadRequest
	}
	for _, s := range f.net.subnets {
		if s.VpcID == vpcID {
			if _, other, _ := net.ParseCIDR(s.CIDR); other != nil && (other.Contains(sn.IP) || sn.Contains(other.IP)) {
				return ec2ErrorBody("InvalidSubnet.Conflict", fmt.Sprintf("The CIDR '%s' conflicts with another subnet", cidr)), http.StatusBadRequest
			}
		}
	}
	az := formGet(form, "AvailabilityZone")
	if az == "" {
		az = "us-east-1a"
	}
	s := &EC2Subnet{ID: f.newID("subnet"), VpcID: vpcID, CIDR: cidr, AvailabilityZone: az, Tags: tagSpecs(form, "subnet")}
	f.net.subnets[s.ID] = s
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<CreateSubnetResponse %s><requestId>fake-request</requestId><subnet>%s</subnet></CreateSubnetResponse>`, ec2NS, subnetXML(s)), http.StatusOK
}

func subnetXML(s *EC2Subnet) string {
	return `<subnetId>` + s.ID + `</subnetId><state>available</state><vpcId>` + s.VpcID + `</vpcId><cidrBlock>` + ec2Esc(s.CIDR) +
		`</cidrBlock><availabilityZone>` + ec2Esc(s.AvailabilityZone) + `</availabilityZone><mapPublicIpOnLaunch>` + boolStr(s.MapPublicIP) +
		`</mapPublicIpOnLaunch><defaultForAz>false</defaultForAz>` + tagSetXML(s.Tags)
}

func (f *EC2) describeSubnets(form map[string][]string) (string, int) {
	ids := ec2List(form, "SubnetId.", "")
	for _, id := range ids {
		if _, ok := f.net.subnets[id]; !ok {
			return notFoundID(id)
		}
	}
	filters := ec2Filters(form)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DescribeSubnetsResponse %s><requestId>fake-request</requestId><subnetSet>`, ec2NS)
	for _, id := range sortedIDs(f.net.subnets) {
		s := f.net.subnets[id]
		if len(ids) > 0 && !contains(ids, id) {
			continue
		}
		ok, bad := ec2Match(filters, s.Tags, func(n string) ([]string, bool) {
			switch n {
			case "subnet-id":
				return []string{s.ID}, true
			case "vpc-id":
				return []string{s.VpcID}, true
			case "cidr-block", "cidr", "cidrBlock":
				return []string{s.CIDR}, true
			case "availability-zone", "availabilityZone":
				return []string{s.AvailabilityZone}, true
			case "state":
				return []string{"available"}, true
			}
			return nil, false
		})
		if bad != "" {
			return badFilter(bad)
		}
		if ok {
			b.WriteString(`<item>` + subnetXML(s) + `</item>`)
		}
	}
	b.WriteString(`</subnetSet></DescribeSubnetsResponse>`)
	return b.String(), http.StatusOK
}

func (f *EC2) modifySubnetAttribute(form map[string][]string) (string, int) {
	s, ok := f.net.subnets[formGet(form, "SubnetId")]
	if !ok {
		return notFoundID(formGet(form, "SubnetId"))
	}
	if v := formGet(form, "MapPublicIpOnLaunch.Value"); v != "" {
		s.MapPublicIP = v == "true"
	}
	return okBody("ModifySubnetAttributeResponse")
}

func (f *EC2) createSecurityGroup(form map[string][]string) (string, int) {
	name, desc, vpc := formGet(form, "GroupName"), formGet(form, "GroupDescription"), formGet(form, "VpcId")
	if name == "" || desc == "" {
		return ec2ErrorBody("MissingParameter", "The request must contain the parameter GroupName and GroupDescription"), http.StatusBadRequest
	}
	if vpc == "" {
		vpc = DefaultVPC
	}
	if _, ok := f.net.vpcs[vpc]; !ok {
		return notFoundID(vpc)
	}
	for _, g := range f.net.groups {
		if g.VpcID == vpc && g.Name == name {
			return ec2ErrorBody("InvalidGroup.Duplicate", fmt.Sprintf("The security group '%s' already exists for VPC '%s'", name, vpc)), http.StatusBadRequest
		}
	}
	g := &EC2SecurityGroup{ID: f.newID("sg"), Name: name, Description: desc, VpcID: vpc, Tags: tagSpecs(form, "security-group")}
	g.Egress = []EC2Permission{{Protocol: "-1", From: -1, To: -1, CIDR: "0.0.0.0/0"}}
	f.net.groups[g.ID] = g
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<CreateSecurityGroupResponse %s><requestId>fake-request</requestId><return>true</return><groupId>%s</groupId></CreateSecurityGroupResponse>`, ec2NS, g.ID), http.StatusOK
}

// groupByForm finds the group of GroupId, else GroupName in the default
// VPC.
func (f *EC2) groupByForm(form map[string][]string) (*EC2SecurityGroup, string, int) {
	if id := formGet(form, "GroupId"); id != "" {
		g, ok := f.net.groups[id]
		if !ok {
			b, s := notFoundID(id)
			return nil, b, s
		}
		return g, "", 0
	}
	name := formGet(form, "GroupName")
	for _, g := range f.net.groups {
		if g.VpcID == DefaultVPC && g.Name == name {
			return g, "", 0
		}
	}
	return nil, ec2ErrorBody("InvalidGroup.NotFound", fmt.Sprintf("The security group '%s' does not exist in default VPC '%s'", name, DefaultVPC)), http.StatusBadRequest
}

func (f *EC2) deleteSecurityGroup(form map[string][]string) (string, int) {
	g, body, status := f.groupByForm(form)
	if g == nil {
		return body, status
	}
	if g.Name == "default" {
		return ec2ErrorBody("CannotDelete", "the specified group: \""+g.ID+"\" name: \"default\" cannot be deleted by a user"), http.StatusBadRequest
	}
	for _, o := range f.net.groups {
		if o.ID == g.ID {
			continue
		}
		for _, p := range append(append([]EC2Permission(nil), o.Ingress...), o.Egress...) {
			if p.GroupID == g.ID {
				return ec2ErrorBody("DependencyViolation", fmt.Sprintf("resource %s has a dependent object", g.ID)), http.StatusBadRequest
			}
		}
	}
	delete(f.net.groups, g.ID)
	return okBody("DeleteSecurityGroupResponse")
}

func permXML(perms []EC2Permission) string {
	var b strings.Builder
	for _, p := range perms {
		b.WriteString(`<item><ipProtocol>` + ec2Esc(p.Protocol) + `</ipProtocol>`)
		if p.Protocol != "-1" {
			fmt.Fprintf(&b, `<fromPort>%d</fromPort><toPort>%d</toPort>`, p.From, p.To)
		}
		b.WriteString(`<groups>`)
		if p.GroupID != "" {
			b.WriteString(`<item><userId>123456789012</userId><groupId>` + p.GroupID + `</groupId></item>`)
		}
		b.WriteString(`</groups><ipRanges>`)
		if p.CIDR != "" && !strings.Contains(p.CIDR, ":") {
			b.WriteString(`<item><cidrIp>` + ec2Esc(p.CIDR) + `</cidrIp></item>`)
		}
		b.WriteString(`</ipRanges><ipv6Ranges>`)
		if strings.Contains(p.CIDR, ":") {
			b.WriteString(`<item><cidrIpv6>` + ec2Esc(p.CIDR) + `</cidrIpv6></item>`)
		}
		b.WriteString(`</ipv6Ranges><prefixListIds/></item>`)
	}
	return b.String()
}

func (f *EC2) describeSecurityGroups(form map[string][]string) (string, int) {
	ids := ec2List(form, "GroupId.", "")
	names := ec2List(form, "GroupName.", "")
	for _, id := range ids {
		if _, ok := f.net.groups[id]; !ok {
			return notFoundID(id)
		}
	}
	for _, n := range names {
		found := false
		for _, g := range f.net.groups {
			found = found || (g.VpcID == DefaultVPC && g.Name == n)
		}
		if !found {
			return ec2ErrorBody("InvalidGroup.NotFound", fmt.Sprintf("The security group '%s' does not exist in default VPC '%s'", n, DefaultVPC)), http.StatusBadRequest
		}
	}
	filters := ec2Filters(form)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DescribeSecurityGroupsResponse %s><requestId>fake-request</requestId><securityGroupInfo>`, ec2NS)
	for _, id := range sortedIDs(f.net.groups) {
		g := f.net.groups[id]
		if len(ids) > 0 && !contains(ids, id) {
			continue
		}
		if len(names) > 0 && (g.VpcID != DefaultVPC || !contains(names, g.Name)) {
			continue
		}
		ok, bad := ec2Match(filters, g.Tags, func(n string) ([]string, bool) {
			switch n {
			case "group-id":
				return []string{g.ID}, true
			case "group-name":
				return []string{g.Name}, true
			case "vpc-id":
				return []string{g.VpcID}, true
			case "description":
				return []string{g.Description}, true
			}
			return nil, false
		})
		if bad != "" {
			return badFilter(bad)
		}
		if !ok {
			continue
		}
		b.WriteString(`<item><ownerId>123456789012</ownerId><groupId>` + g.ID + `</groupId><groupName>` + ec2Esc(g.Name) +
			`</groupName><groupDescription>` + ec2Esc(g.Description) + `</groupDescription><vpcId>` + g.VpcID + `</vpcId>`)
		b.WriteString(`<ipPermissions>` + permXML(g.Ingress) + `</ipPermissions><ipPermissionsEgress>` + permXML(g.Egress) + `</ipPermissionsEgress>`)
		b.WriteString(tagSetXML(g.Tags) + `</item>`)
	}
	b.WriteString(`</securityGroupInfo></DescribeSecurityGroupsResponse>`)
	return b.String(), http.StatusOK
}

// formPermissions reads IpPermissions.N, split into one source each.
func formPermissions(form map[string][]string) ([]EC2Permission, string) {
	var out []EC2Permission
	for n := 1; ; n++ {
		p := "IpPermissions." + strconv.Itoa(n) + "."
		proto := formGet(form, p+"IpProtocol")
		if proto == "" {
			if n == 1 {
				return nil, "The request must contain the parameter ipPermissions"
			}
			return out, ""
		}
		switch proto {
		case "6":
			proto = "tcp"
		case "17":
			proto = "udp"
		case "1":
			proto = "icmp"
		}
		from, to := -1, -1
		if proto != "-1" {
			var err1, err2 error
			from, err1 = strconv.Atoi(formGet(form, p+"FromPort"))
			to, err2 = strconv.Atoi(formGet(form, p+"ToPort"))
			if err1 != nil || err2 != nil {
				return nil, "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."
			}
		}
		base := EC2Permission{Protocol: proto, From: from, To: to}
		srcs := 0
		for _, c := range ec2List(form, p+"IpRanges.", ".CidrIp") {
			if _, _, err := net.ParseCIDR(c); err != nil {
				return nil, fmt.Sprintf("CIDR block %s is malformed", c)
			}
			q := base
			q.CIDR = c
			out = append(out, q)
			srcs++
		}
		for _, c := range ec2List(form, p+"Ipv6Ranges.", ".CidrIpv6") {
			q := base
			q.CIDR = c
			out = append(out, q)
			srcs++
		}
		for _, g := range ec2List(form, p+"Groups.", ".GroupId") {
			q := base
			q.GroupID = g
			out = append(out, q)
			srcs++
		}
		if srcs == 0 {
			return nil, "The request must contain a source: IpRanges, Ipv6Ranges or Groups"
		}
	}
}

func (f *EC2) changePermissions(form map[string][]string, root string, egress, add bool) (string, int) {
	g, body, status := f.groupByForm(form)
	if g == nil {
		return body, status
	}
	perms, msg := formPermissions(form)
	if msg != "" {
		return ec2ErrorBody("InvalidParameterValue", msg), http.StatusBadRequest
	}
	list := &g.Ingress
	if egress {
		list = &g.Egress
	}
	for _, p := range perms {
		if p.GroupID != "" {
			src, ok := f.net.groups[p.GroupID]
			if !ok {
				return notFoundID(p.GroupID)
			}
			if src.VpcID != g.VpcID {
				return ec2ErrorBody("InvalidGroup.NotFound", fmt.Sprintf("You have specified two resources that belong to different networks: %s, %s", g.ID, src.ID)), http.StatusBadRequest
			}
		}
		idx := -1
		for i, q := range *list {
			if q == p {
				idx = i
			}
		}
		switch {
		case add && idx >= 0:
			return ec2ErrorBody("InvalidPermission.Duplicate", fmt.Sprintf("the specified rule \"peer: %s, %s, from port: %d, to port: %d, ALLOW\" already exists", p.CIDR+p.GroupID, p.Protocol, p.From, p.To)), http.StatusBadRequest
		case !add && idx < 0:
			return ec2ErrorBody("InvalidPermission.NotFound", "The specified rule does not exist in this security group."), http.StatusBadRequest
		}
	}
	for _, p := range perms {
		if add {
			*list = append(*list, p)
			continue
		}
		for i, q := range *list {
			if q == p {
				*list = append((*list)[:i], (*list)[i+1:]...)
				break
			}
		}
	}
	return okBody(root)
}

// createNetTags tags a VPC, subnet or security group; ok false: id is
// none of them.
func (f *EC2) createNetTags(id string, keys, vals []string) bool {
	tags, ok := f.resourceTags(id)
	if !ok {
		return false
	}
	for n, k := range keys {
		if n < len(vals) {
			tags[k] = vals[n]
		} else {
			tags[k] = ""
		}
	}
	return true
}

func (f *EC2) deleteTags(form map[string][]string) (string, int) {
	ids := ec2List(form, "ResourceId.", "")
	keys := ec2List(form, "Tag.", ".Key")
	for _, id := range ids {
		var tags map[string]string
		if i, ok := f.instances[id]; ok {
			tags = i.Tags
		} else if t, ok := f.resourceTags(id); ok {
			tags = t
		} else {
			return notFoundID(id)
		}
		for _, k := range keys {
			delete(tags, k)
		}
	}
	return okBody("DeleteTagsResponse")
}

// AddInstance adds an instance as if started outside of Brine (by hand,
// by an autoscaling group) in state ("running", "stopped", ...), with
// tags, and returns its id.
func (f *EC2) AddInstance(state string, tags map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	inst := &EC2Instance{
		ID: fmt.Sprintf("i-%017x", 0xabc000+f.next), ImageID: "ami-outside", InstanceType: "t3.micro",
		State: state, Tags: copyStrMap(tags), PrivateIP: fmt.Sprintf("10.1.%d.%d", f.next/250, f.next%250+4),
	}
	f.instances[inst.ID] = inst
	f.order = append(f.order, inst.ID)
	return inst.ID
}
