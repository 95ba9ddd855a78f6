package states

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[secgroupPresentArgs]{
		Name: "boto_secgroup.present",
		Doc: `Ensure an EC2 security group exists with the given rules and tags (Salt's boto_secgroup.present).

name: the group's name. description: required (AWS cannot change it later). vpc_id or vpc_name (the VPC's Name tag): its VPC; neither: the default VPC.
rules / rules_egress: lists of {ip_protocol (tcp, udp, icmp, all/-1 or a number), from_port, to_port, and one source: cidr_ip, source_group_name or source_group_group_id (each a string or a list)}. Not given: the group's rules are left alone; [] removes them all. Rules present on the group but not listed are revoked unless delete_ingress_rules / delete_egress_rules is False.
A cidr_ip that is not a CIDR names a security group, as seed 000's pillar writes it (cidr_ip: webhost). A source group in the same VPC that does not exist yet but has its own boto_secgroup.present later in the same run is created ahead (with that state's description), so groups may refer to each other in any order; its own state then manages its rules and tags.
tags: a mapping; tags not listed are removed (AWS's aws:* tags excepted).
region, keyid, key, profile: the AWS connection, as in Salt; else the options secgroup.* then ec2.*, else the standard AWS chain.
Changes: {"old": {...}, "new": {...}} with keys secgroup, rules, rules_egress, tags for what changed.`,
		Apply: secgroupPresent,
	})
	RegisterTyped(Typed[secgroupAbsentArgs]{
		Name: "boto_secgroup.absent",
		Doc: `Ensure an EC2 security group does not exist (Salt's boto_secgroup.absent).

name: the group's name; vpc_id or vpc_name: its VPC (neither: the default VPC). region, keyid, key, profile: as for boto_secgroup.present.
Changes: {"old": {"secgroup": id}, "new": {"secgroup": null}}.`,
		Apply: secgroupAbsent,
	})
}

// secgroupPrefixes are the configuration option prefixes of the
// boto_secgroup states: Salt documents secgroup.* and reads ec2.*.
var secgroupPrefixes = []string{"secgroup", "ec2"}

type secgroupPresentArgs struct {
	AWSArgs
	Description        string         `salt:"description,required"`
	VpcID              string         `salt:"vpc_id"`
	VpcName            string         `salt:"vpc_name"`
	Rules              sgRulesArg     `salt:"rules"`
	RulesEgress        sgRulesArg     `salt:"rules_egress"`
	DeleteIngressRules bool           `salt:"delete_ingress_rules" default:"true"`
	DeleteEgressRules  bool           `salt:"delete_egress_rules" default:"true"`
	Tags               map[string]any `salt:"tags"`
}

func (a *secgroupPresentArgs) Validate() error {
	if a.VpcID != "" && a.VpcName != "" {
		return ArgErrorf("vpc_name", "vpc_id and vpc_name are mutually exclusive")
	}
	_, err := stringMap("tags", a.Tags)
	return err
}

type secgroupAbsentArgs struct {
	AWSArgs
	VpcID   string `salt:"vpc_id"`
	VpcName string `salt:"vpc_name"`
}

func (a *secgroupAbsentArgs) Validate() error {
	if a.VpcID != "" && a.VpcName != "" {
		return ArgErrorf("vpc_name", "vpc_id and vpc_name are mutually exclusive")
	}
	return nil
}

// sgRule is one rule with one source, as the state compares them.
type sgRule struct {
	Protocol  string // tcp, udp, icmp, -1 or a protocol number
	From, To  int    // -1: all
	CIDR      string
	GroupName string // source_group_name, before it is resolved
	GroupID   string
}

// sgRulesArg is a rules argument: Given false when it is absent (the
// rules are not managed).
type sgRulesArg struct {
	Given bool
	Rules []sgRule
}

var sgRuleKeys = []string{"ip_protocol", "from_port", "to_port", "cidr_ip", "source_group_name", "source_group_group_id"}

func (r *sgRulesArg) DecodeArg(v any) error {
	l, ok := v.([]any)
	if !ok {
		return fmt.Errorf("must be a list of rules, got %s", coerce.Describe(v))
	}
	r.Given = true
	for i, e := range l {
		m, ok := coerce.Map(e)
		if !ok {
			return fmt.Errorf("rule %d: must be a mapping, got %s", i+1, coerce.Describe(e))
		}
		rules, err := parseSGRule(m)
		if err != nil {
			return fmt.Errorf("rule %d: %w", i+1, err)
		}
		r.Rules = append(r.Rules, rules...)
	}
	return nil
}

// sgProtocol normalises ip_protocol as EC2 reports it.
func sgProtocol(v any) (string, error) {
	s, ok := coerce.String(v)
	if !ok || v == nil {
		return "", fmt.Errorf("ip_protocol must be a string or a number, got %s", coerce.Describe(v))
	}
	switch strings.ToLower(s) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "all", "-1":
		return "-1", nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 255 {
		return s, nil
	}
	return "", fmt.Errorf("invalid ip_protocol %s (tcp, udp, icmp, all, -1 or a protocol number up to 255)", s)
}

func sgStrings(key string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	l, _, ok := coerce.StringList(v)
	if !ok {
		return nil, fmt.Errorf("%s must be a string or a list of strings, got %s", key, coerce.Describe(v))
	}
	return l, nil
}

// parseSGRule reads one rule mapping, split into one rule per source.
func parseSGRule(m map[string]any) ([]sgRule, error) {
	for k := range m {
		known := false
		for _, x := range sgRuleKeys {
			known = known || k == x
		}
		if !known {
			msg := fmt.Sprintf("unknown key '%s'", k)
			if s := suggest(k, sgRuleKeys); s != "" {
				msg += fmt.Sprintf(" (did you mean '%s'?)", s)
			}
			return nil, fmt.Errorf("%s; a rule takes %s", msg, strings.Join(sgRuleKeys, ", "))
		}
	}
	if _, ok := m["ip_protocol"]; !ok {
		return nil, fmt.Errorf("ip_protocol is required")
	}
	proto, err := sgProtocol(m["ip_protocol"])
	if err != nil {
		return nil, err
	}
	base := sgRule{Protocol: proto, From: -1, To: -1}
	for _, p := range []struct {
		key string
		dst *int
	}{{"from_port", &base.From}, {"to_port", &base.To}} {
		v, ok := m[p.key]
		if !ok || v == nil {
			if proto == "tcp" || proto == "udp" {
				return nil, fmt.Errorf("%s is required for ip_protocol %s", p.key, proto)
			}
			continue
		}
		n, ok := coerce.Int(v)
		if !ok || n < -1 || n > 65535 {
			return nil, fmt.Errorf("%s must be a port number (or -1), got %s", p.key, coerce.Describe(v))
		}
		*p.dst = n
	}
	if proto == "-1" {
		base.From, base.To = -1, -1
	}
	if (proto == "tcp" || proto == "udp") && base.From > base.To {
		return nil, fmt.Errorf("from_port %d is above to_port %d", base.From, base.To)
	}
	cidrs, err := sgStrings("cidr_ip", m["cidr_ip"])
	if err != nil {
		return nil, err
	}
	names, err := sgStrings("source_group_name", m["source_group_name"])
	if err != nil {
		return nil, err
	}
	ids, err := sgStrings("source_group_group_id", m["source_group_group_id"])
	if err != nil {
		return nil, err
	}
	kinds := 0
	for _, l := range [][]string{cidrs, names, ids} {
		if len(l) > 0 {
			kinds++
		}
	}
	if kinds == 0 {
		return nil, fmt.Errorf("cidr_ip, source_group_name or source_group_group_id must be given")
	}
	if kinds > 1 {
		return nil, fmt.Errorf("give only one of cidr_ip, source_group_name and source_group_group_id")
	}
	var out []sgRule
	for _, c := range cidrs {
		r := base
		if ip, ipn, err := net.ParseCIDR(c); err == nil {
			ones, _ := ipn.Mask.Size()
			if !ip.Equal(ipn.IP) {
				return nil, fmt.Errorf("cidr_ip %s has host bits set (the network is %s/%d)", c, ipn.IP, ones)
			}
			r.CIDR = ipn.String()
		} else if looksLikeAddress(c) {
			return nil, fmt.Errorf("cidr_ip %s is not a valid CIDR block", c)
		} else {
			// seed 000's form: a group's name given as cidr_ip.
			r.GroupName = c
		}
		out = append(out, r)
	}
	for _, n := range names {
		r := base
		r.GroupName = n
		out = append(out, r)
	}
	for _, id := range ids {
		r := base
		r.GroupID = id
		out = append(out, r)
	}
	return out, nil
}

// looksLikeAddress is true for a string that was meant as an address (a
// digit first, or a colon or slash in it): a malformed CIDR, not a name.
func looksLikeAddress(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || strings.ContainsAny(s, ":/"))
}

// key is a rule's identity once its source is resolved.
func (r sgRule) key() string {
	return fmt.Sprintf("%s|%d|%d|%s|%s|%s", r.Protocol, r.From, r.To, r.CIDR, r.GroupID, r.GroupName)
}

// view is the rule as the state's changes show it (Salt's get_config
// keys).
func (r sgRule) view(names map[string]string) map[string]any {
	m := map[string]any{"ip_protocol": r.Protocol, "from_port": r.From, "to_port": r.To}
	switch {
	case r.CIDR != "":
		m["cidr_ip"] = r.CIDR
	case r.GroupID != "":
		m["source_group_group_id"] = r.GroupID
		if n := names[r.GroupID]; n != "" {
			m["source_group_name"] = n
		}
	case r.GroupName != "":
		m["source_group_name"] = r.GroupName
	}
	return m
}

func sgViews(rules []sgRule, names map[string]string) []any {
	out := make([]any, 0, len(rules))
	for _, r := range rules {
		out = append(out, r.view(names))
	}
	return out
}

// sgRulesOf splits a group's permissions into one rule per source.
func sgRulesOf(perms []types.IpPermission) []sgRule {
	var out []sgRule
	for _, p := range perms {
		proto, err := sgProtocol(aws.ToString(p.IpProtocol))
		if err != nil {
			proto = aws.ToString(p.IpProtocol)
		}
		base := sgRule{Protocol: proto, From: -1, To: -1}
		if p.FromPort != nil && proto != "-1" {
			base.From = int(*p.FromPort)
		}
		if p.ToPort != nil && proto != "-1" {
			base.To = int(*p.ToPort)
		}
		for _, r := range p.IpRanges {
			x := base
			x.CIDR = aws.ToString(r.CidrIp)
			out = append(out, x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			x.CIDR = aws.ToString(r.CidrIpv6)
			out = append(out, x)
		}
		for _, g := range p.UserIdGroupPairs {
			x := base
			x.GroupID = aws.ToString(g.GroupId)
			out = append(out, x)
		}
	}
	return out
}

// sgPermissions turns rules into EC2 permissions, one per rule.
func sgPermissions(rules []sgRule) []types.IpPermission {
	out := make([]types.IpPermission, 0, len(rules))
	for _, r := range rules {
		p := types.IpPermission{IpProtocol: aws.String(r.Protocol)}
		if r.Protocol != "-1" {
			p.FromPort, p.ToPort = aws.Int32(int32(r.From)), aws.Int32(int32(r.To))
		}
		switch {
		case strings.Contains(r.CIDR, ":"):
			p.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(r.CIDR)}}
		case r.CIDR != "":
			p.IpRanges = []types.IpRange{{CidrIp: aws.String(r.CIDR)}}
		default:
			p.UserIdGroupPairs = []types.UserIdGroupPair{{GroupId: aws.String(r.GroupID)}}
		}
		out = append(out, p)
	}
	return out
}

// sgDiff compares wanted rules to the group's: what to authorize and
// what to revoke.
func sgDiff(want, have []sgRule) (add, del []sgRule) {
	haveKeys, wantKeys := map[string]bool{}, map[string]bool{}
	for _, r := range have {
		haveKeys[r.key()] = true
	}
	for _, r := range want {
		k := r.key()
		if !haveKeys[k] && !wantKeys[k] {
			add = append(add, r)
		}
		wantKeys[k] = true
	}
	for _, r := range have {
		if !wantKeys[r.key()] {
			del = append(del, r)
		}
	}
	return add, del
}

// findGroup returns the group named name in vpc, nil when there is none.
func findGroup(ctx context.Context, client *ec2.Client, name, vpc string) (*types.SecurityGroup, error) {
	out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{ec2Filter("group-name", name), ec2Filter("vpc-id", vpc)},
	})
	if err != nil {
		return nil, err
	}
	if len(out.SecurityGroups) == 0 {
		return nil, nil
	}
	return &out.SecurityGroups[0], nil
}

// sgRun is one boto_secgroup.present at work.
type sgRun struct {
	ctx    context.Context
	env    *Env
	call   Call
	a      *secgroupPresentArgs
	conn   *awsConn
	client *ec2.Client
	vpc    string
	// ids maps source group names to ids (resolved or created); names
	// the reverse, for the changes.
	ids, names map[string]string
	// pending are source groups that do not exist yet and that a later
	// state of the run creates: created ahead (or, in test mode, would
	// be).
	pending []string
	// created lists groups created ahead of their own state.
	created []string
}

func secgroupPresent(ctx context.Context, env *Env, call Call, a *secgroupPresentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, secgroupPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	r := &sgRun{ctx: ctx, env: env, call: call, a: a, conn: conn, client: conn.ec2Client(), ids: map[string]string{}, names: map[string]string{}}
	return r.present()
}

func (r *sgRun) present() Result {
	name, a := r.call.Name, r.a
	tags, _ := stringMap("tags", a.Tags)
	vpc, err := findVPC(r.ctx, r.client, a.VpcID, a.VpcName)
	if err != nil {
		if _, missing := err.(*errNoVPC); missing && r.call.Test {
			return Result{Name: name, Changes: map[string]any{"old": map[string]any{"secgroup": nil}, "new": map[string]any{"secgroup": name}},
				Comment: fmt.Sprintf("Security group %s is set to be created (%s; an earlier state must create it).", name, err)}
		}
		if _, missing := err.(*errNoVPC); missing {
			return fail(name, "Security group %s: %s", name, err)
		}
		return r.conn.awsFail(name, "look up the VPC of security group "+name, err)
	}
	r.vpc = vpc
	// The group and every source group its rules name, in one call,
	// before changing anything.
	group, err := r.lookup(name, a.Rules.Rules, a.RulesEgress.Rules)
	if err != nil {
		if res, ok := err.(resultErr); ok {
			return res.Result
		}
		return fail(name, "Security group %s: %s", name, err)
	}
	old, new := map[string]any{}, map[string]any{}
	var comments []string
	if group == nil {
		view := map[string]any{"name": name, "description": a.Description, "vpc_id": vpc}
		if a.Rules.Given {
			view["rules"] = sgViews(r.resolved(name, "", a.Rules.Rules), r.names)
		}
		if a.RulesEgress.Given {
			view["rules_egress"] = sgViews(r.resolved(name, "", a.RulesEgress.Rules), r.names)
		}
		if len(tags) > 0 {
			view["tags"] = tags
		}
		if r.call.Test {
			return Result{Name: name, Changes: map[string]any{"old": map[string]any{"secgroup": nil}, "new": map[string]any{"secgroup": view}},
				Comment: r.aheadComment() + fmt.Sprintf("Security group %s is set to be created.", name)}
		}
		if err := r.createAhead(); err != nil {
			return r.partial(r.conn.awsFail(name, "create security group "+name, err))
		}
		in := &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(a.Description), VpcId: aws.String(vpc)}
		if len(tags) > 0 {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: tagList(tags)}}
		}
		out, err := r.client.CreateSecurityGroup(r.ctx, in)
		if err != nil {
			return r.partial(r.conn.awsFail(name, "create security group "+name, err))
		}
		id := aws.ToString(out.GroupId)
		r.ids[name], r.names[id] = id, name
		old["secgroup"], new["secgroup"] = nil, id
		comments = append(comments, fmt.Sprintf("Security group %s created.", name))
		// A new group in a VPC has EC2's default egress rule.
		group = &types.SecurityGroup{GroupId: aws.String(id), GroupName: aws.String(name), VpcId: aws.String(vpc),
			IpPermissionsEgress: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}
		if len(tags) > 0 {
			group.Tags = tagList(tags)
		}
	} else {
		comments = append(comments, fmt.Sprintf("Security group %s present.", name))
		r.ids[name], r.names[aws.ToString(group.GroupId)] = aws.ToString(group.GroupId), name
	}
	id := aws.ToString(group.GroupId)
	for _, dir := range []struct {
		key    string
		arg    sgRulesArg
		have   []types.IpPermission
		delete bool
		egress bool
	}{
		{"rules", a.Rules, group.IpPermissions, a.DeleteIngressRules, false},
		{"rules_egress", a.RulesEgress, group.IpPermissionsEgress, a.DeleteEgressRules, true},
	} {
		if !dir.arg.Given {
			continue
		}
		have := sgRulesOf(dir.have)
		add, del := sgDiff(r.resolved(name, id, dir.arg.Rules), have)
		if !dir.delete {
			del = nil
		}
		if len(add) == 0 && len(del) == 0 {
			continue
		}
		kept := make([]sgRule, 0, len(have))
		dels := map[string]bool{}
		for _, d := range del {
			dels[d.key()] = true
		}
		for _, h := range have {
			if !dels[h.key()] {
				kept = append(kept, h)
			}
		}
		old[dir.key], new[dir.key] = sgViews(have, r.names), sgViews(append(kept, add...), r.names)
		if r.call.Test {
			comments = append(comments, fmt.Sprintf("Security group %s set to have %s modified: %d to create, %d to delete.", name, dir.key, len(add), len(del)))
			continue
		}
		if err := r.createAhead(); err != nil {
			delete(new, dir.key)
			delete(old, dir.key)
			return r.partialWith(r.conn.awsFail(name, "update security group "+name, err), old, new, comments)
		}
		// The groups created ahead now have ids.
		add = r.resolved(name, id, add)
		new[dir.key] = sgViews(append(kept, add...), r.names)
		if len(del) > 0 {
			var err error
			if dir.egress {
				_, err = r.client.RevokeSecurityGroupEgress(r.ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: sgPermissions(del)})
			} else {
				_, err = r.client.RevokeSecurityGroupIngress(r.ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: sgPermissions(del)})
			}
			if err != nil {
				delete(new, dir.key)
				delete(old, dir.key)
				return r.partialWith(r.conn.awsFail(name, fmt.Sprintf("remove %s of security group %s", dir.key, name), err), old, new, comments)
			}
			comments = append(comments, fmt.Sprintf("Removed %s on %s security group.", dir.key, name))
		}
		if len(add) > 0 {
			var err error
			if dir.egress {
				_, err = r.client.AuthorizeSecurityGroupEgress(r.ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: sgPermissions(add)})
			} else {
				_, err = r.client.AuthorizeSecurityGroupIngress(r.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: sgPermissions(add)})
			}
			if err != nil {
				new[dir.key] = sgViews(kept, r.names)
				return r.partialWith(r.conn.awsFail(name, fmt.Sprintf("create %s of security group %s", dir.key, name), err), old, new, comments)
			}
			comments = append(comments, fmt.Sprintf("Created %s on %s security group.", dir.key, name))
		}
	}
	if a.Tags != nil {
		have := ec2Tags(group.Tags)
		set, del := tagDiff(tags, have, true)
		if len(set) > 0 || len(del) > 0 {
			o, n := tagChanges(have, set, del)
			old["tags"], new["tags"] = o, n
			if r.call.Test {
				comments = append(comments, fmt.Sprintf("Security group %s set to have tags modified.", name))
			} else if err := applyEC2Tags(r.ctx, r.client, id, set, del); err != nil {
				delete(old, "tags")
				delete(new, "tags")
				return r.partialWith(r.conn.awsFail(name, "tag security group "+name, err), old, new, comments)
			} else {
				comments = append(comments, fmt.Sprintf("Tags updated on %s security group.", name))
			}
		}
	}
	res := Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: strings.Join(comments, " ")}
	if len(old) > 0 || len(new) > 0 {
		res.Changes = map[string]any{"old": old, "new": new}
	}
	if r.call.Test && len(res.Changes) > 0 {
		res.Result = nil
	}
	if len(r.created) > 0 {
		res.Changes["created_ahead"] = append([]string(nil), r.created...)
		res.Comment = r.aheadComment() + res.Comment
	}
	if r.call.Test && len(r.pending) > 0 {
		res.Result = nil
		res.Comment = r.aheadComment() + res.Comment
	}
	return res
}

// resultErr carries a ready result out of lookup.
type resultErr struct{ Result }

func (resultErr) Error() string { return "result" }

// lookup describes the group self (nil when it does not exist) and finds
// the id of every source group the rules name, in one call. A source
// group that does not exist but has a boto_secgroup.present later in this
// run (same VPC) is noted as pending: created ahead just before this
// state changes anything, or reported in test mode. Any other unknown
// name fails the state before anything changes.
func (r *sgRun) lookup(self string, lists ...[]sgRule) (*types.SecurityGroup, error) {
	var want []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, ru := range l {
			if ru.GroupName != "" && ru.GroupName != self && !seen[ru.GroupName] {
				seen[ru.GroupName] = true
				want = append(want, ru.GroupName)
			}
		}
	}
	out, err := r.client.DescribeSecurityGroups(r.ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{ec2Filter("group-name", append([]string{self}, want...)...), ec2Filter("vpc-id", r.vpc)},
	})
	if err != nil {
		return nil, resultErr{r.conn.awsFail(self, "describe security group "+self, err)}
	}
	var group *types.SecurityGroup
	for i, g := range out.SecurityGroups {
		r.ids[aws.ToString(g.GroupName)] = aws.ToString(g.GroupId)
		r.names[aws.ToString(g.GroupId)] = aws.ToString(g.GroupName)
		if aws.ToString(g.GroupName) == self {
			group = &out.SecurityGroups[i]
		}
	}
	var missing []string
	for _, n := range want {
		if _, ok := r.ids[n]; ok {
			continue
		}
		if r.laterState(n) != nil {
			r.pending = append(r.pending, n)
			continue
		}
		missing = append(missing, n)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("source_group_name %s does not map to a valid source group id: no such security group in %s, and no boto_secgroup.present for it in this run", strings.Join(missing, ", "), r.vpc)
	}
	return group, nil
}

// laterState is the run's boto_secgroup.present for group name in this
// state's VPC, nil when there is none.
func (r *sgRun) laterState(name string) *Call {
	for i := range r.env.Run {
		c := &r.env.Run[i]
		if c.Fun != "boto_secgroup.present" || c.Name != name {
			continue
		}
		id, _ := c.Args["vpc_id"].(string)
		vname, _ := c.Args["vpc_name"].(string)
		if id == r.a.VpcID && vname == r.a.VpcName || id == r.vpc {
			return c
		}
	}
	return nil
}

// createAhead creates the pending source groups (once).
func (r *sgRun) createAhead() error {
	for _, n := range r.pending {
		if _, ok := r.ids[n]; ok {
			continue
		}
		c := r.laterState(n)
		desc, _ := coerce.String(c.Args["description"])
		if desc == "" {
			desc = n
		}
		in := &ec2.CreateSecurityGroupInput{GroupName: aws.String(n), Description: aws.String(desc), VpcId: aws.String(r.vpc)}
		out, err := r.client.CreateSecurityGroup(r.ctx, in)
		if err != nil {
			return fmt.Errorf("create security group %s (named by a rule) ahead of its own state: %w", n, err)
		}
		id := aws.ToString(out.GroupId)
		r.ids[n], r.names[id] = id, n
		r.created = append(r.created, n)
	}
	return nil
}

func (r *sgRun) aheadComment() string {
	if len(r.created) > 0 {
		return fmt.Sprintf("Security group(s) %s created ahead of their own states (named by rules). ", strings.Join(r.created, ", "))
	}
	if len(r.pending) > 0 {
		return fmt.Sprintf("Security group(s) %s do not exist yet: created by their own states later in this run. ", strings.Join(r.pending, ", "))
	}
	return ""
}

// resolved gives each rule its source group id; in test mode a pending
// group has none yet and is shown by name. selfID is this group's id ("":
// not created yet).
func (r *sgRun) resolved(self, selfID string, rules []sgRule) []sgRule {
	out := make([]sgRule, 0, len(rules))
	for _, ru := range rules {
		if ru.GroupName != "" {
			if ru.GroupName == self && selfID != "" {
				ru.GroupID = selfID
			} else if id, ok := r.ids[ru.GroupName]; ok {
				ru.GroupID = id
			}
			if ru.GroupID != "" {
				ru.GroupName = ""
			}
		}
		out = append(out, ru)
	}
	return out
}

// partial adds the groups created ahead to a failed result.
func (r *sgRun) partial(res Result) Result {
	return r.partialWith(res, nil, nil, nil)
}

// partialWith is a failed result that still reports what was changed
// before the failure.
func (r *sgRun) partialWith(res Result, old, new map[string]any, comments []string) Result {
	if len(old) > 0 || len(new) > 0 {
		res.Changes = map[string]any{"old": old, "new": new}
	}
	if len(r.created) > 0 {
		if res.Changes == nil {
			res.Changes = map[string]any{}
		}
		res.Changes["created_ahead"] = append([]string(nil), r.created...)
	}
	if len(comments) > 0 {
		res.Comment = strings.Join(comments, " ") + " " + res.Comment
	}
	return res
}

func secgroupAbsent(ctx context.Context, env *Env, call Call, a *secgroupAbsentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, secgroupPrefixes...)
	if err != nil {
		return failErr(name, err)
	}
	client := conn.ec2Client()
	vpc, err := findVPC(ctx, client, a.VpcID, a.VpcName)
	if err != nil {
		if _, missing := err.(*errNoVPC); missing {
			return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("Security group %s does not exist (%s).", name, err)}
		}
		return conn.awsFail(name, "look up the VPC of security group "+name, err)
	}
	group, err := findGroup(ctx, client, name, vpc)
	if err != nil {
		return conn.awsFail(name, "describe security group "+name, err)
	}
	if group == nil {
		return Result{Name: name, Result: True(), Changes: map[string]any{}, Comment: fmt.Sprintf("Security group %s does not exist.", name)}
	}
	id := aws.ToString(group.GroupId)
	changes := map[string]any{"old": map[string]any{"secgroup": id}, "new": map[string]any{"secgroup": nil}}
	if call.Test {
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Security group %s is set to be removed.", name)}
	}
	if _, err := client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)}); err != nil {
		return conn.awsFail(name, "delete security group "+name, err)
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Security group %s deleted.", name)}
}
