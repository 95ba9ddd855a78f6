package states

// Shared machinery of the boto_elb, boto_lc, boto_asg and
// boto_cloudwatch_alarm states: reading nested argument mappings
// (listeners, health_check, scaling_policies, ...) with errors that name
// the argument and the item, the plan every such state builds (the
// changes it would make, each with the call that makes it) and runs or,
// in test mode, only reports, and the EC2 look-ups that turn subnet and
// security group names into ids.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/brine-cm/brine/internal/coerce"
)

// argItem reads one mapping inside an argument (a listener, a policy):
// each accessor records the first error, naming the argument, the item
// and the key; done adds unknown keys.
type argItem struct {
	arg, where string // argument name; "item 2 " or "" for the argument itself
	m          map[string]any
	used       map[string]bool
	err        error
}

// newArgItem reads v as a mapping; index < 0: v is the argument itself.
func newArgItem(arg string, index int, v any) (*argItem, error) {
	where := ""
	if index >= 0 {
		where = "item " + strconv.Itoa(index+1) + " "
	}
	m, ok := coerce.Map(v)
	if !ok {
		return nil, ArgErrorf(arg, "%smust be a mapping, got %s", where, coerce.Describe(v))
	}
	return &argItem{arg: arg, where: where, m: m, used: map[string]bool{}}, nil
}

func (it *argItem) fail(key, format string, args ...any) {
	if it.err == nil {
		it.err = ArgErrorf(it.arg, "%skey '%s' %s", it.where, key, fmt.Sprintf(format, args...))
	}
}

func (it *argItem) get(key string) (any, bool) {
	it.used[key] = true
	v, ok := it.m[key]
	return v, ok && v != nil
}

func (it *argItem) has(key string) bool { _, ok := it.get(key); return ok }

func (it *argItem) str(key, def string) string {
	v, ok := it.get(key)
	if !ok {
		return def
	}
	s, ok := coerce.String(v)
	if !ok {
		it.fail(key, "must be a string, got %s", coerce.Describe(v))
	}
	return s
}

func (it *argItem) required(key string) string {
	if !it.has(key) {
		it.fail(key, "is required")
		return ""
	}
	return it.str(key, "")
}

func (it *argItem) integer(key string, def int) int {
	v, ok := it.get(key)
	if !ok {
		return def
	}
	n, ok := coerce.Int(v)
	if !ok {
		it.fail(key, "must be an integer, got %s", coerce.Describe(v))
	}
	return n
}

func (it *argItem) number(key string) (float64, bool) {
	v, ok := it.get(key)
	if !ok {
		return 0, false
	}
	f, ok := coerce.Float(v)
	if !ok {
		it.fail(key, "must be a number, got %s", coerce.Describe(v))
	}
	return f, true
}

func (it *argItem) boolean(key string, def bool) bool {
	v, ok := it.get(key)
	if !ok {
		return def
	}
	b, ok := coerce.Bool(v)
	if !ok {
		it.fail(key, "must be a boolean, got %s", coerce.Describe(v))
	}
	return b
}

func (it *argItem) strs(key string) []string {
	v, ok := it.get(key)
	if !ok {
		return nil
	}
	l, _, ok := coerce.StringList(v)
	if !ok {
		it.fail(key, "must be a string or a list of strings, got %s", coerce.Describe(v))
	}
	return l
}

// done returns the first error, or one naming the keys not read.
func (it *argItem) done() error {
	if it.err != nil {
		return it.err
	}
	var unknown []string
	for k := range it.m {
		if !it.used[k] {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := make([]string, 0, len(it.used))
		for k := range it.used {
			known = append(known, k)
		}
		sort.Strings(known)
		return ArgErrorf(it.arg, "%shas unknown key(s) %s (known: %s)", it.where, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return nil
}

// argItems reads v as a list of mappings (a mapping alone is a list of
// one), each with read; v nil gives none.
func argItems(arg string, v any, read func(it *argItem) error) error {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		if _, isMap := coerce.Map(v); !isMap {
			return ArgErrorf(arg, "must be a list of mappings, got %s", coerce.Describe(v))
		}
		list = []any{v}
	}
	for i, x := range list {
		it, err := newArgItem(arg, i, x)
		if err != nil {
			return err
		}
		if err := read(it); err != nil {
			return err
		}
		if err := it.done(); err != nil {
			return err
		}
	}
	return nil
}

// commaList accepts a list of strings or one comma-separated string, as
// Salt does for security_groups and vpc_zone_identifier.
func commaList(l []string) []string {
	var out []string
	for _, s := range l {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// awsStep is one change a boto_* state makes: what it changes (the
// change key, old and new values) and the call that makes it.
type awsStep struct {
	aspect   string // key under changes' old and new ("listeners", "health_check")
	old, new any
	// fields: old and new are map[string]any whose keys go under
	// changes' old and new each (aspect unused).
	fields bool
	would  string // test-mode comment: "ELB web listeners would be modified"
	doing  string // for the failure comment: "modify listeners of ELB web"
	apply  func(ctx context.Context) error
}

// awsPlan is what a boto_* state would change.
type awsPlan struct {
	steps []awsStep
}

func (p *awsPlan) add(s awsStep) { p.steps = append(p.steps, s) }

// run reports the plan (test mode: Result nil with the changes it would
// make) or applies it step by step. A failing step stops the run: the
// result fails with the AWS error and keeps the changes already made.
// okComment is the comment when there is nothing to do; doneComment the
// one after applying.
func (p *awsPlan) run(ctx context.Context, conn *awsConn, call Call, okComment, doneComment string) Result {
	res := Result{Name: call.Name, Result: True(), Changes: map[string]any{}}
	if len(p.steps) == 0 {
		res.Comment = okComment
		return res
	}
	oldM, newM := map[string]any{}, map[string]any{}
	record := func(s awsStep) {
		if s.fields {
			for k, v := range s.old.(map[string]any) {
				oldM[k] = v
			}
			for k, v := range s.new.(map[string]any) {
				newM[k] = v
			}
			res.Changes["old"], res.Changes["new"] = oldM, newM
			return
		}
		if s.aspect == "" {
			return
		}
		oldM[s.aspect], newM[s.aspect] = s.old, s.new
		res.Changes["old"], res.Changes["new"] = oldM, newM
	}
	if call.Test {
		var would []string
		for _, s := range p.steps {
			record(s)
			would = append(would, s.would)
		}
		res.Result = nil
		res.Comment = strings.Join(would, "\n")
		return res
	}
	for _, s := range p.steps {
		if err := s.apply(ctx); err != nil {
			f := conn.awsFail(call.Name, s.doing, err)
			f.Changes = res.Changes
			return f
		}
		record(s)
	}
	res.Comment = doneComment
	return res
}

// ec2Lookup is an EC2 client for the look-ups of security groups and
// subnets the boto_* states make (Salt's boto_secgroup and boto_vpc
// helpers: configuration options secgroup.* then ec2.*, then vpc.*).
func ec2Lookup(ctx context.Context, env *Env, a AWSArgs) (*ec2.Client, *awsConn, error) {
	conn, err := resolveAWS(ctx, env, a, "secgroup", "ec2", "vpc")
	if err != nil {
		return nil, nil, err
	}
	return conn.ec2Client(), conn, nil
}

// subnetsVPC is the VPC of subnets (Salt's
// boto_vpc.get_subnet_association): an error when they are in several
// or none.
func subnetsVPC(ctx context.Context, c *ec2.Client, subnets []string) (string, error) {
	out, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: subnets})
	if err != nil {
		return "", err
	}
	vpcs := map[string]bool{}
	for _, s := range out.Subnets {
		vpcs[aws.ToString(s.VpcId)] = true
	}
	if len(vpcs) != 1 {
		return "", fmt.Errorf("subnets %s do not map to a single VPC (%d found)", strings.Join(subnets, ", "), len(vpcs))
	}
	for v := range vpcs {
		return v, nil
	}
	return "", nil
}

// subnetIDsByName resolves subnets by their Name tag (Salt's
// subnet_names); missing lists the names no subnet has.
func subnetIDsByName(ctx context.Context, c *ec2.Client, names []string) (ids, missing []string, err error) {
	for _, n := range names {
		res, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("tag:Name"), Values: []string{n}}}})
		if err != nil {
			return nil, nil, err
		}
		switch len(res.Subnets) {
		case 0:
			missing = append(missing, n)
		case 1:
			ids = append(ids, aws.ToString(res.Subnets[0].SubnetId))
		default:
			return nil, nil, fmt.Errorf("subnet name %s is not unique: %d subnets have it", n, len(res.Subnets))
		}
	}
	return ids, missing, nil
}

// subnetNamesResult resolves subnet_names for a state. A result is
// returned when the state cannot go on: an AWS error, a subnet that does
// not exist (Salt: "Subnet <name> does not exist."), or, in test mode, a
// subnet an earlier state of the run would create: then the state would
// change (Result nil) but cannot say more.
func subnetNamesResult(ctx context.Context, c *ec2.Client, conn *awsConn, call Call, names []string) ([]string, *Result) {
	ids, missing, err := subnetIDsByName(ctx, c, names)
	if err != nil {
		r := conn.awsFail(call.Name, "look up subnets", err)
		return nil, &r
	}
	if len(missing) == 0 {
		return ids, nil
	}
	if !call.Test {
		r := fail(call.Name, "Subnet %s does not exist.", strings.Join(missing, ", "))
		return nil, &r
	}
	r := Result{Name: call.Name, Comment: fmt.Sprintf("%s would be created or updated: subnets %s do not exist yet (an earlier state of the run would create them).", call.Name, strings.Join(missing, ", ")),
		Changes: map[string]any{"new": map[string]any{"subnet_names": names}}}
	return nil, &r
}

// secgroupIDs turns security group names into ids, as Salt's
// boto_secgroup.convert_to_group_ids does: a name starting with "sg-" is
// an id already; the others are looked up in vpcID (empty: any VPC).
// missing lists the names not found (a group another state of the run
// creates does not exist yet in test mode); the caller decides whether
// that fails.
func secgroupIDs(ctx context.Context, c *ec2.Client, names []string, vpcID string) (ids, missing []string, err error) {
	var lookup []string
	for _, n := range names {
		if !strings.HasPrefix(n, "sg-") {
			lookup = append(lookup, n)
		}
	}
	byName := map[string]string{}
	if len(lookup) > 0 {
		filters := []ec2types.Filter{{Name: aws.String("group-name"), Values: lookup}}
		if vpcID != "" {
			filters = append(filters, ec2types.Filter{Name: aws.String("vpc-id"), Values: []string{vpcID}})
		}
		out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filters})
		if err != nil {
			return nil, nil, err
		}
		for _, g := range out.SecurityGroups {
			n := aws.ToString(g.GroupName)
			if _, dup := byName[n]; dup && vpcID == "" {
				return nil, nil, fmt.Errorf("security group name %s is in several VPCs: give vpc_id or subnets", n)
			}
			byName[n] = aws.ToString(g.GroupId)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "sg-") {
			ids = append(ids, n)
		} else if id, ok := byName[n]; ok {
			ids = append(ids, id)
		} else {
			missing = append(missing, n)
		}
	}
	return ids, missing, nil
}

// setDiff returns the strings of a not in b.
func setDiff(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// failArg is the failed result of a bad argument found while the state
// runs (a nested mapping, a pillar value): the error names the state ID
// and function.
func failArg(call Call, err error) Result {
	var ae *ArgError
	if errors.As(err, &ae) {
		c := *ae
		c.ID, c.Fun = call.ID, call.Fun
		return Result{Name: call.Name, Result: False(), Comment: c.Error()}
	}
	return Result{Name: call.Name, Result: False(), Comment: fmt.Sprintf("State '%s' (%s): %v", call.ID, call.Fun, err)}
}

// deepMerge returns a copy of dst with src merged in, mappings merged
// recursively (Salt's dictupdate.update).
func deepMerge(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := coerce.Map(v); ok {
			if dm, ok := coerce.Map(out[k]); ok {
				out[k] = deepMerge(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
