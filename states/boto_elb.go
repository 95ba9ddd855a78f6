package states

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[elbPresentArgs]{
		Name: "boto_elb.present",
		Doc: `Ensure a classic Elastic Load Balancer exists with the given listeners, subnets (or availability zones), security groups, health check, attributes and tags.

listeners: a list of {elb_port, instance_port, elb_protocol, instance_protocol (default: elb_protocol), certificate (required for HTTPS and SSL)}; listeners not listed are deleted. Exactly one of availability_zones, subnets, subnet_names (subnets by Name tag). security_groups: names (looked up in the subnets' VPC) or sg- ids, a list or a comma-separated string. scheme: internet-facing (default) or internal, fixed at creation. health_check: {target, interval, timeout, healthy_threshold, unhealthy_threshold}; only the keys given are compared. attributes: {cross_zone_load_balancing: {enabled}, connection_draining: {enabled, timeout}, connecting_settings: {idle_timeout}, access_log: {enabled, s3_bucket_name, s3_bucket_prefix, emit_interval}}, merged over the configuration option named by attributes_from_pillar (default boto_elb_attributes). tags: a mapping; tags not listed are removed.
Connection: region, keyid, key, profile, else the options elb.region, elb.keyid, elb.key, else the standard AWS chain.
Not supported (refused): cnames, alarms, policies, backends, instance_ids, instance_names.
Changes: {"old": {...}, "new": {...}} keyed by what changed: elb, listeners, security_groups, subnets, availability_zones, health_check, attributes, tags.`,
		Apply: botoELBPresent,
	})
	RegisterTyped(Typed[elbAbsentArgs]{
		Name: "boto_elb.absent",
		Doc: `Ensure a classic Elastic Load Balancer does not exist.
Changes: {"old": {"elb": name}, "new": {"elb": null}}.`,
		Apply: botoELBAbsent,
	})
}

// elbPresentArgs are boto_elb.present's arguments.
type elbPresentArgs struct {
	AWSArgs
	Listeners            any            `salt:"listeners,required"`
	AvailabilityZones    []string       `salt:"availability_zones"`
	Subnets              []string       `salt:"subnets"`
	SubnetNames          []string       `salt:"subnet_names"`
	SecurityGroups       []string       `salt:"security_groups"`
	Scheme               string         `salt:"scheme" default:"internet-facing"`
	HealthCheck          map[string]any `salt:"health_check"`
	Attributes           map[string]any `salt:"attributes"`
	AttributesFromPillar string         `salt:"attributes_from_pillar" default:"boto_elb_attributes"`
	Tags                 map[string]any `salt:"tags"`
	WaitForSync          bool           `salt:"wait_for_sync" default:"true"`
	// Salt's arguments Brine does not implement: refused when given.
	Cnames           any    `salt:"cnames"`
	Alarms           any    `salt:"alarms"`
	AlarmsFromPillar string `salt:"alarms_from_pillar" default:"boto_elb_alarms"`
	Policies         any    `salt:"policies"`
	PoliciesPillar   string `salt:"policies_from_pillar" default:"boto_elb_policies"`
	Backends         any    `salt:"backends"`
	InstanceIDs      any    `salt:"instance_ids"`
	InstanceNames    any    `salt:"instance_names"`

	listeners []elbListener
}

// elbAbsentArgs are boto_elb.absent's arguments.
type elbAbsentArgs struct {
	AWSArgs
}

// elbListener is one listener, as Salt's listener_dict_to_tuple compares
// them.
type elbListener struct {
	ELBPort, InstancePort         int
	ELBProtocol, InstanceProtocol string
	Certificate                   string
}

func (l elbListener) String() string {
	s := fmt.Sprintf("%d %s -> %d %s", l.ELBPort, l.ELBProtocol, l.InstancePort, l.InstanceProtocol)
	if l.Certificate != "" {
		s += " (" + l.Certificate + ")"
	}
	return s
}

func (l elbListener) changes() map[string]any {
	m := map[string]any{"elb_port": l.ELBPort, "instance_port": l.InstancePort, "elb_protocol": l.ELBProtocol, "instance_protocol": l.InstanceProtocol}
	if l.Certificate != "" {
		m["certificate"] = l.Certificate
	}
	return m
}

// Validate reads the listeners and checks the exclusive arguments.
func (a *elbPresentArgs) Validate() error {
	for _, u := range []struct {
		arg string
		v   any
	}{{"cnames", a.Cnames}, {"alarms", a.Alarms}, {"policies", a.Policies}, {"backends", a.Backends}, {"instance_ids", a.InstanceIDs}, {"instance_names", a.InstanceNames}} {
		if u.v != nil {
			return ArgErrorf(u.arg, "is not supported by Brine's boto_elb.present")
		}
	}
	n := 0
	for _, l := range [][]string{a.AvailabilityZones, a.Subnets, a.SubnetNames} {
		if len(l) > 0 {
			n++
		}
	}
	if n != 1 {
		return ArgErrorf("", "exactly one of availability_zones, subnets, subnet_names must be given")
	}
	if a.Scheme != "internet-facing" && a.Scheme != "internal" {
		return ArgErrorf("scheme", "must be internet-facing or internal, got %q", a.Scheme)
	}
	a.SecurityGroups = commaList(a.SecurityGroups)
	seen := map[int]bool{}
	err := argItems("listeners", a.Listeners, func(it *argItem) error {
		l := elbListener{
			ELBPort: it.integer("elb_port", 0), InstancePort: it.integer("instance_port", 0),
			ELBProtocol: strings.ToUpper(it.required("elb_protocol")), Certificate: it.str("certificate", ""),
		}
		if !it.has("elb_port") {
			it.fail("elb_port", "is required")
		}
		if !it.has("instance_port") {
			it.fail("instance_port", "is required")
		}
		l.InstanceProtocol = strings.ToUpper(it.str("instance_protocol", l.ELBProtocol))
		if p := it.strs("policies"); len(p) > 0 { // Salt's listener policies: only none

			it.fail("policies", "is not supported by Brine's boto_elb.present")
		}
		if it.err != nil {
			return it.err
		}
		for _, p := range []string{l.ELBProtocol, l.InstanceProtocol} {
			switch p {
			case "HTTP", "HTTPS", "TCP", "SSL":
			default:
				it.fail("elb_protocol", "must be HTTP, HTTPS, TCP or SSL, got %q", p)
			}
		}
		if (l.ELBProtocol == "HTTPS" || l.ELBProtocol == "SSL") && l.Certificate == "" {
			it.fail("certificate", "is required for listeners if HTTPS is set for elb_protocol")
		}
		if seen[l.ELBPort] {
			it.fail("elb_port", "%d is given twice", l.ELBPort)
		}
		seen[l.ELBPort] = true
		a.listeners = append(a.listeners, l)
		return it.err
	})
	if err != nil {
		return err
	}
	if len(a.listeners) == 0 {
		return ArgErrorf("listeners", "must name at least one listener")
	}
	return nil
}

func elbClient(conn *awsConn) *elb.Client {
	return elb.NewFromConfig(conn.Config, func(o *elb.Options) {
		if conn.Endpoint != nil {
			o.BaseEndpoint = conn.Endpoint
		}
	})
}

// elbDescribe returns the load balancer, nil when there is none.
func elbDescribe(ctx context.Context, c *elb.Client, name string) (*elbtypes.LoadBalancerDescription, error) {
	out, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerNames: []string{name}})
	if err != nil {
		var nf *elbtypes.AccessPointNotFoundException
		if errors.As(err, &nf) {
			return nil, nil
		}
		return nil, err
	}
	if len(out.LoadBalancerDescriptions) == 0 {
		return nil, nil
	}
	return &out.LoadBalancerDescriptions[0], nil
}

// elbAttributes is the part of the load balancer attributes the state
// manages.
type elbAttributes struct {
	crossZone    *bool
	drainEnabled *bool
	drainTimeout *int
	idleTimeout  *int
	logEnabled   *bool
	logBucket    *string
	logPrefix    *string
	logInterval  *int
}

// readELBAttributes reads the attributes argument (merged over the
// pillar's).
func readELBAttributes(m map[string]any) (elbAttributes, error) {
	var at elbAttributes
	section := func(key string, read func(it *argItem)) error {
		v, ok := m[key]
		if !ok || v == nil {
			return nil
		}
		it, err := newArgItem("attributes", -1, v)
		if err != nil {
			return ArgErrorf("attributes", "%s must be a mapping, got %s", key, coerce.Describe(v))
		}
		it.where = key + ": "
		read(it)
		return it.done()
	}
	boolp := func(it *argItem, k string) *bool {
		if !it.has(k) {
			return nil
		}
		b := it.boolean(k, false)
		return &b
	}
	intp := func(it *argItem, k string) *int {
		if !it.has(k) {
			return nil
		}
		n := it.integer(k, 0)
		return &n
	}
	strp := func(it *argItem, k string) *string {
		if !it.has(k) {
			return nil
		}
		s := it.str(k, "")
		return &s
	}
	for k := range m {
		switch k {
		case "cross_zone_load_balancing", "connection_draining", "connecting_settings", "access_log":
		default:
			return at, ArgErrorf("attributes", "unknown attribute '%s' (known: access_log, connecting_settings, connection_draining, cross_zone_load_balancing)", k)
		}
	}
	errs := []error{
		section("cross_zone_load_balancing", func(it *argItem) { at.crossZone = boolp(it, "enabled") }),
		section("connection_draining", func(it *argItem) {
			at.drainEnabled = boolp(it, "enabled")
			at.drainTimeout = intp(it, "timeout")
			if at.drainEnabled != nil && at.drainTimeout == nil {
				d := 300 // Salt's default
				at.drainTimeout = &d
			}
		}),
		section("connecting_settings", func(it *argItem) { at.idleTimeout = intp(it, "idle_timeout") }),
		section("access_log", func(it *argItem) {
			at.logEnabled = boolp(it, "enabled")
			at.logBucket = strp(it, "s3_bucket_name")
			at.logPrefix = strp(it, "s3_bucket_prefix")
			at.logInterval = intp(it, "emit_interval")
			if at.logPrefix != nil && (strings.HasPrefix(*at.logPrefix, "/") || strings.HasSuffix(*at.logPrefix, "/")) {
				it.fail("s3_bucket_prefix", "can not start or end with /")
			}
		}),
	}
	return at, errors.Join(errs...)
}

// diff compares the wanted attributes with the load balancer's: what
// differs, as old and new change maps, and the attributes to send.
func (w elbAttributes) diff(cur *elbtypes.LoadBalancerAttributes) (old, new map[string]any, set *elbtypes.LoadBalancerAttributes) {
	old, new = map[string]any{}, map[string]any{}
	set = &elbtypes.LoadBalancerAttributes{}
	if w.crossZone != nil {
		have := cur.CrossZoneLoadBalancing != nil && cur.CrossZoneLoadBalancing.Enabled
		if have != *w.crossZone {
			old["cross_zone_load_balancing"] = map[string]any{"enabled": have}
			new["cross_zone_load_balancing"] = map[string]any{"enabled": *w.crossZone}
			set.CrossZoneLoadBalancing = &elbtypes.CrossZoneLoadBalancing{Enabled: *w.crossZone}
		}
	}
	if w.drainEnabled != nil {
		var have bool
		var timeout int
		if cd := cur.ConnectionDraining; cd != nil {
			have, timeout = cd.Enabled, int(aws.ToInt32(cd.Timeout))
		}
		if have != *w.drainEnabled || timeout != *w.drainTimeout {
			old["connection_draining"] = map[string]any{"enabled": have, "timeout": timeout}
			new["connection_draining"] = map[string]any{"enabled": *w.drainEnabled, "timeout": *w.drainTimeout}
			set.ConnectionDraining = &elbtypes.ConnectionDraining{Enabled: *w.drainEnabled, Timeout: aws.Int32(int32(*w.drainTimeout))}
		}
	}
	if w.idleTimeout != nil {
		var have int
		if cs := cur.ConnectionSettings; cs != nil {
			have = int(aws.ToInt32(cs.IdleTimeout))
		}
		if have != *w.idleTimeout {
			old["connecting_settings"] = map[string]any{"idle_timeout": have}
			new["connecting_settings"] = map[string]any{"idle_timeout": *w.idleTimeout}
			set.ConnectionSettings = &elbtypes.ConnectionSettings{IdleTimeout: aws.Int32(int32(*w.idleTimeout))}
		}
	}
	if w.logEnabled != nil || w.logBucket != nil || w.logPrefix != nil || w.logInterval != nil {
		al := cur.AccessLog
		if al == nil {
			al = &elbtypes.AccessLog{}
		}
		have := map[string]any{"enabled": al.Enabled, "s3_bucket_name": aws.ToString(al.S3BucketName),
			"s3_bucket_prefix": aws.ToString(al.S3BucketPrefix), "emit_interval": int(aws.ToInt32(al.EmitInterval))}
		want := map[string]any{}
		for k, v := range have {
			want[k] = v
		}
		if w.logEnabled != nil {
			want["enabled"] = *w.logEnabled
		}
		if w.logBucket != nil {
			want["s3_bucket_name"] = *w.logBucket
		}
		if w.logPrefix != nil {
			want["s3_bucket_prefix"] = *w.logPrefix
		}
		if w.logInterval != nil {
			want["emit_interval"] = *w.logInterval
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			old["access_log"], new["access_log"] = have, want
			set.AccessLog = &elbtypes.AccessLog{Enabled: want["enabled"].(bool), S3BucketName: aws.String(want["s3_bucket_name"].(string)),
				S3BucketPrefix: aws.String(want["s3_bucket_prefix"].(string)), EmitInterval: aws.Int32(int32(want["emit_interval"].(int)))}
		}
	}
	return old, new, set
}

// elbHealthCheck reads health_check; only the keys given are compared
// (as Salt does), and the ones not given are boto's defaults when the
// check is set.
type elbHealthCheck struct {
	given map[string]string // Salt key -> value as text
	hc    elbtypes.HealthCheck
}

func readELBHealthCheck(m map[string]any) (*elbHealthCheck, error) {
	if len(m) == 0 {
		return nil, nil
	}
	it, err := newArgItem("health_check", -1, m)
	if err != nil {
		return nil, err
	}
	h := &elbHealthCheck{given: map[string]string{}}
	h.hc.Target = aws.String(it.required("target"))
	ints := []struct {
		key string
		def int
		dst **int32
	}{{"interval", 30, &h.hc.Interval}, {"timeout", 5, &h.hc.Timeout}, {"healthy_threshold", 3, &h.hc.HealthyThreshold}, {"unhealthy_threshold", 5, &h.hc.UnhealthyThreshold}}
	h.given["target"] = aws.ToString(h.hc.Target)
	for _, x := range ints {
		if it.has(x.key) {
			n := it.integer(x.key, x.def)
			h.given[x.key] = strconv.Itoa(n)
			*x.dst = aws.Int32(int32(n))
		} else {
			*x.dst = aws.Int32(int32(x.def))
		}
	}
	return h, it.done()
}

func healthCheckMap(hc *elbtypes.HealthCheck) map[string]any {
	if hc == nil {
		return map[string]any{}
	}
	return map[string]any{"target": aws.ToString(hc.Target), "interval": int(aws.ToInt32(hc.Interval)), "timeout": int(aws.ToInt32(hc.Timeout)),
		"healthy_threshold": int(aws.ToInt32(hc.HealthyThreshold)), "unhealthy_threshold": int(aws.ToInt32(hc.UnhealthyThreshold))}
}

// differs reports whether the given keys differ from cur.
func (h *elbHealthCheck) differs(cur *elbtypes.HealthCheck) bool {
	have := healthCheckMap(cur)
	for k, v := range h.given {
		if fmt.Sprint(have[k]) != v {
			return true
		}
	}
	return false
}

func elbTagMap(tags map[string]any) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range tags {
		s, ok := coerce.String(v)
		if !ok {
			return nil, ArgErrorf("tags", "value of '%s' must be a string, got %s", k, coerce.Describe(v))
		}
		out[k] = s
	}
	return out, nil
}

func botoELBPresent(ctx context.Context, env *Env, call Call, a *elbPresentArgs) Result {
	name := call.Name
	for _, p := range []struct{ arg, key string }{{"alarms_from_pillar", a.AlarmsFromPillar}, {"policies_from_pillar", a.PoliciesPillar}} {
		if _, ok := env.configOption(p.key); ok {
			return fail(name, "State '%s' (boto_elb.present): %s: the configuration option '%s' is set, and ELB alarms and policies are not supported by Brine's boto_elb.present", call.ID, p.arg, p.key)
		}
	}
	attrsArg := map[string]any{}
	if a.AttributesFromPillar != "" {
		if v, ok := env.configOption(a.AttributesFromPillar); ok {
			m, ok := asMap(v)
			if !ok {
				return fail(name, "State '%s' (boto_elb.present): attributes_from_pillar '%s' must name a mapping, got %s", call.ID, a.AttributesFromPillar, coerce.Describe(v))
			}
			attrsArg = deepMerge(attrsArg, m)
		}
	}
	attrsArg = deepMerge(attrsArg, a.Attributes)
	attrs, err := readELBAttributes(attrsArg)
	if err != nil {
		return failArg(call, err)
	}
	hc, err := readELBHealthCheck(a.HealthCheck)
	if err != nil {
		return failArg(call, err)
	}
	var tags map[string]string
	if a.Tags != nil {
		if tags, err = elbTagMap(a.Tags); err != nil {
			return failArg(call, err)
		}
	}
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "elb")
	if err != nil {
		return fail(name, "State '%s' (boto_elb.present): %v", call.ID, err)
	}
	c := elbClient(conn)

	// Subnets by name, and security groups by name in the subnets' VPC.
	subnets := a.Subnets
	sgIDs := a.SecurityGroups
	var missingSG []string
	if len(a.SubnetNames) > 0 || hasNames(a.SecurityGroups) {
		ec2c, ec2conn, err := ec2Lookup(ctx, env, a.AWSArgs)
		if err != nil {
			return fail(name, "State '%s' (boto_elb.present): %v", call.ID, err)
		}
		if len(a.SubnetNames) > 0 {
			var res *Result
			if subnets, res = subnetNamesResult(ctx, ec2c, ec2conn, call, a.SubnetNames); res != nil {
				return *res
			}
		}
		vpcID := ""
		if len(subnets) > 0 {
			if vpcID, err = subnetsVPC(ctx, ec2c, subnets); err != nil {
				return ec2conn.awsFail(name, "find the subnets' VPC", err)
			}
		}
		if sgIDs, missingSG, err = secgroupIDs(ctx, ec2c, a.SecurityGroups, vpcID); err != nil {
			return ec2conn.awsFail(name, "look up security groups", err)
		}
		if len(missingSG) > 0 && !call.Test {
			return fail(name, "Security groups %s do not map to valid security group ids.", strings.Join(missingSG, ", "))
		}
	}

	lb, err := elbDescribe(ctx, c, name)
	if err != nil {
		return conn.awsFail(name, "describe ELB "+name, err)
	}
	plan := &awsPlan{}
	listeners := make([]elbtypes.Listener, 0, len(a.listeners))
	for _, l := range a.listeners {
		listeners = append(listeners, elbSDKListener(l))
	}
	var curAttrs *elbtypes.LoadBalancerAttributes
	if lb == nil {
		in := &elb.CreateLoadBalancerInput{LoadBalancerName: aws.String(name), Listeners: listeners, Scheme: aws.String(a.Scheme),
			SecurityGroups: sgIDs, Subnets: subnets, AvailabilityZones: a.AvailabilityZones}
		for _, k := range sortedKeys(tags) {
			in.Tags = append(in.Tags, elbtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
		}
		plan.add(awsStep{aspect: "elb", old: nil, new: name, would: fmt.Sprintf("ELB %s is set to be created.", name), doing: "create ELB " + name,
			apply: func(ctx context.Context) error { _, err := c.CreateLoadBalancer(ctx, in); return err }})
		curAttrs = &elbtypes.LoadBalancerAttributes{} // a new load balancer's: AWS's defaults
	} else {
		elbUpdateSteps(plan, c, name, a, lb, subnets, sgIDs, missingSG)
	}
	if lb != nil {
		out, err := c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerName: aws.String(name)})
		if err != nil {
			return conn.awsFail(name, "describe the attributes of ELB "+name, err)
		}
		curAttrs = out.LoadBalancerAttributes
		if curAttrs == nil {
			curAttrs = &elbtypes.LoadBalancerAttributes{}
		}
	}
	if old, new, set := attrs.diff(curAttrs); len(old) > 0 {
		plan.add(awsStep{aspect: "attributes", old: old, new: new, would: fmt.Sprintf("ELB %s set to have attributes set.", name), doing: "set attributes on ELB " + name,
			apply: func(ctx context.Context) error {
				_, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerName: aws.String(name), LoadBalancerAttributes: set})
				return err
			}})
	}
	var curHC *elbtypes.HealthCheck
	if lb != nil {
		curHC = lb.HealthCheck
	}
	if lb != nil && tags != nil {
		have, err := elbTags(ctx, c, name)
		if err != nil {
			return conn.awsFail(name, "describe the tags of ELB "+name, err)
		}
		elbTagSteps(plan, c, name, have, tags)
	}
	if hc != nil && (lb == nil || hc.differs(curHC)) {
		want := hc.hc
		plan.add(awsStep{aspect: "health_check", old: healthCheckMap(curHC), new: healthCheckMap(&want), would: fmt.Sprintf("ELB %s set to have health check set.", name),
			doing: "set health check on ELB " + name,
			apply: func(ctx context.Context) error {
				_, err := c.ConfigureHealthCheck(ctx, &elb.ConfigureHealthCheckInput{LoadBalancerName: aws.String(name), HealthCheck: &want})
				return err
			}})
	}
	if len(missingSG) > 0 {
		// Test mode only: an earlier state of the run creates the groups.
		note := fmt.Sprintf("security groups %s do not exist yet", strings.Join(missingSG, ", "))
		if lb == nil {
			plan.steps[0].would += " (" + note + ")"
		} else {
			plan.add(awsStep{aspect: "security_groups", old: lb.SecurityGroups, new: a.SecurityGroups,
				would: fmt.Sprintf("ELB %s set to have security groups modified (%s).", name, note)})
		}
	}
	done := fmt.Sprintf("ELB %s updated.", name)
	if lb == nil {
		done = fmt.Sprintf("ELB %s created.", name)
	}
	return plan.run(ctx, conn, call, fmt.Sprintf("ELB %s present.", name), done)
}

// hasNames reports whether groups holds a name (not an sg- id).
func hasNames(groups []string) bool {
	for _, g := range groups {
		if !strings.HasPrefix(g, "sg-") {
			return true
		}
	}
	return false
}

func elbSDKListener(l elbListener) elbtypes.Listener {
	x := elbtypes.Listener{Protocol: aws.String(l.ELBProtocol), LoadBalancerPort: int32(l.ELBPort), InstanceProtocol: aws.String(l.InstanceProtocol), InstancePort: aws.Int32(int32(l.InstancePort))}
	if l.Certificate != "" {
		x.SSLCertificateId = aws.String(l.Certificate)
	}
	return x
}

func elbListenerOf(d elbtypes.ListenerDescription) elbListener {
	l := d.Listener
	if l == nil {
		return elbListener{}
	}
	return elbListener{ELBPort: int(l.LoadBalancerPort), InstancePort: int(aws.ToInt32(l.InstancePort)), ELBProtocol: strings.ToUpper(aws.ToString(l.Protocol)),
		InstanceProtocol: strings.ToUpper(aws.ToString(l.InstanceProtocol)), Certificate: aws.ToString(l.SSLCertificateId)}
}

func listenerChanges(ls []elbListener) []any {
	out := make([]any, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.changes())
	}
	return out
}

// elbUpdateSteps adds the steps that bring an existing load balancer to
// the arguments: security groups, listeners, subnets or zones.
func elbUpdateSteps(plan *awsPlan, c *elb.Client, name string, a *elbPresentArgs, lb *elbtypes.LoadBalancerDescription, subnets, sgIDs, missingSG []string) {
	if aws.ToString(lb.Scheme) != "" && aws.ToString(lb.Scheme) != a.Scheme {
		plan.add(awsStep{would: fmt.Sprintf("ELB %s has scheme %s, not %s: a scheme can not be changed (delete the ELB first).", name, aws.ToString(lb.Scheme), a.Scheme),
			doing: "change the scheme of ELB " + name,
			apply: func(context.Context) error {
				return fmt.Errorf("ELB %s has scheme %s, not %s, and a scheme can not be modified", name, aws.ToString(lb.Scheme), a.Scheme)
			}})
	}
	if len(missingSG) == 0 && !sameSet(sgIDs, lb.SecurityGroups) {
		want := append([]string{}, sgIDs...)
		plan.add(awsStep{aspect: "security_groups", old: lb.SecurityGroups, new: want, would: fmt.Sprintf("ELB %s set to have security groups modified.", name),
			doing: "modify security_groups on ELB " + name,
			apply: func(ctx context.Context) error {
				_, err := c.ApplySecurityGroupsToLoadBalancer(ctx, &elb.ApplySecurityGroupsToLoadBalancerInput{LoadBalancerName: aws.String(name), SecurityGroups: want})
				return err
			}})
	}
	var have []elbListener
	for _, d := range lb.ListenerDescriptions {
		have = append(have, elbListenerOf(d))
	}
	var toCreate, toDelete []elbListener
	for _, l := range a.listeners {
		if !containsELBListener(have, l) {
			toCreate = append(toCreate, l)
		}
	}
	for _, l := range have {
		if !containsELBListener(a.listeners, l) {
			toDelete = append(toDelete, l)
		}
	}
	if len(toCreate)+len(toDelete) > 0 {
		var msg []string
		for _, l := range toCreate {
			msg = append(msg, "Listener "+l.String()+" added.")
		}
		for _, l := range toDelete {
			msg = append(msg, "Listener "+l.String()+" deleted.")
		}
		plan.add(awsStep{aspect: "listeners", old: listenerChanges(have), new: listenerChanges(a.listeners),
			would: fmt.Sprintf("ELB %s set to have listeners modified: %s", name, strings.Join(msg, " ")), doing: "modify listeners on ELB " + name,
			apply: func(ctx context.Context) error {
				if len(toDelete) > 0 {
					ports := make([]int32, 0, len(toDelete))
					for _, l := range toDelete {
						ports = append(ports, int32(l.ELBPort))
					}
					if _, err := c.DeleteLoadBalancerListeners(ctx, &elb.DeleteLoadBalancerListenersInput{LoadBalancerName: aws.String(name), LoadBalancerPorts: ports}); err != nil {
						return err
					}
				}
				if len(toCreate) > 0 {
					ls := make([]elbtypes.Listener, 0, len(toCreate))
					for _, l := range toCreate {
						ls = append(ls, elbSDKListener(l))
					}
					_, err := c.CreateLoadBalancerListeners(ctx, &elb.CreateLoadBalancerListenersInput{LoadBalancerName: aws.String(name), Listeners: ls})
					return err
				}
				return nil
			}})
	}
	if len(a.AvailabilityZones) > 0 && !sameSet(a.AvailabilityZones, lb.AvailabilityZones) {
		enable, disable := setDiff(a.AvailabilityZones, lb.AvailabilityZones), setDiff(lb.AvailabilityZones, a.AvailabilityZones)
		plan.add(awsStep{aspect: "availability_zones", old: lb.AvailabilityZones, new: a.AvailabilityZones, would: fmt.Sprintf("ELB %s to have availability zones set.", name),
			doing: "set availability zones on ELB " + name,
			apply: func(ctx context.Context) error {
				if len(enable) > 0 {
					if _, err := c.EnableAvailabilityZonesForLoadBalancer(ctx, &elb.EnableAvailabilityZonesForLoadBalancerInput{LoadBalancerName: aws.String(name), AvailabilityZones: enable}); err != nil {
						return err
					}
				}
				if len(disable) > 0 {
					_, err := c.DisableAvailabilityZonesForLoadBalancer(ctx, &elb.DisableAvailabilityZonesForLoadBalancerInput{LoadBalancerName: aws.String(name), AvailabilityZones: disable})
					return err
				}
				return nil
			}})
	} else if len(subnets) > 0 && !sameSet(subnets, lb.Subnets) {
		attach, detach := setDiff(subnets, lb.Subnets), setDiff(lb.Subnets, subnets)
		plan.add(awsStep{aspect: "subnets", old: lb.Subnets, new: subnets, would: fmt.Sprintf("ELB %s to have subnets set.", name), doing: "set subnets on ELB " + name,
			apply: func(ctx context.Context) error {
				if len(attach) > 0 {
					if _, err := c.AttachLoadBalancerToSubnets(ctx, &elb.AttachLoadBalancerToSubnetsInput{LoadBalancerName: aws.String(name), Subnets: attach}); err != nil {
						return err
					}
				}
				if len(detach) > 0 {
					_, err := c.DetachLoadBalancerFromSubnets(ctx, &elb.DetachLoadBalancerFromSubnetsInput{LoadBalancerName: aws.String(name), Subnets: detach})
					return err
				}
				return nil
			}})
	}
}

// elbTagSteps adds the step that makes the load balancer's tags tags
// exactly (Salt's _tags_present): set the missing and different ones,
// remove the others.
func elbTagSteps(plan *awsPlan, c *elb.Client, name string, have, want map[string]string) {
	set := map[string]string{}
	var remove []string
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			set[k] = v
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			remove = append(remove, k)
		}
	}
	if len(set)+len(remove) == 0 {
		return
	}
	sortStrings(remove)
	var msg []string
	if len(set) > 0 {
		msg = append(msg, "set "+strings.Join(sortedKeys(set), ", "))
	}
	if len(remove) > 0 {
		msg = append(msg, "remove "+strings.Join(remove, ", "))
	}
	plan.add(awsStep{aspect: "tags", old: have, new: want, would: fmt.Sprintf("ELB %s tags would be changed (%s).", name, strings.Join(msg, "; ")),
		doing: "set tags on ELB " + name,
		apply: func(ctx context.Context) error {
			if len(remove) > 0 {
				keys := make([]elbtypes.TagKeyOnly, 0, len(remove))
				for _, k := range remove {
					keys = append(keys, elbtypes.TagKeyOnly{Key: aws.String(k)})
				}
				if _, err := c.RemoveTags(ctx, &elb.RemoveTagsInput{LoadBalancerNames: []string{name}, Tags: keys}); err != nil {
					return err
				}
			}
			if len(set) > 0 {
				tags := make([]elbtypes.Tag, 0, len(set))
				for _, k := range sortedKeys(set) {
					tags = append(tags, elbtypes.Tag{Key: aws.String(k), Value: aws.String(set[k])})
				}
				_, err := c.AddTags(ctx, &elb.AddTagsInput{LoadBalancerNames: []string{name}, Tags: tags})
				return err
			}
			return nil
		}})
}

// elbTags reads the load balancer's tags.
func elbTags(ctx context.Context, c *elb.Client, name string) (map[string]string, error) {
	out, err := c.DescribeTags(ctx, &elb.DescribeTagsInput{LoadBalancerNames: []string{name}})
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for _, d := range out.TagDescriptions {
		for _, t := range d.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, nil
}

func containsELBListener(ls []elbListener, l elbListener) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

func botoELBAbsent(ctx context.Context, env *Env, call Call, a *elbAbsentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "elb")
	if err != nil {
		return fail(name, "State '%s' (boto_elb.absent): %v", call.ID, err)
	}
	c := elbClient(conn)
	lb, err := elbDescribe(ctx, c, name)
	if err != nil {
		return conn.awsFail(name, "describe ELB "+name, err)
	}
	plan := &awsPlan{}
	if lb != nil {
		plan.add(awsStep{aspect: "elb", old: name, new: nil, would: fmt.Sprintf("ELB %s is set to be removed.", name), doing: "delete ELB " + name,
			apply: func(ctx context.Context) error {
				_, err := c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerName: aws.String(name)})
				return err
			}})
	}
	return plan.run(ctx, conn, call, fmt.Sprintf("%s ELB does not exist.", name), fmt.Sprintf("ELB %s deleted.", name))
}
