package states

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[asgPresentArgs]{
		Name: "boto_asg.present",
		Doc: `Ensure an Auto Scaling group exists with the given settings.

launch_config_name (required); with launch_config (a list of one-key mappings, or a mapping, of boto_lc.present's arguments) the launch configuration is managed too, named launch_config_name-<hash of launch_config> so that changed settings make a new one (the group moves to it and the old one is deleted). min_size and max_size (required), desired_capacity, default_cooldown, health_check_type, health_check_period, placement_group (fixed at creation), availability_zones, vpc_zone_identifier (subnet ids, a list or a comma-separated string) or subnet_names; security groups named in launch_config are looked up in the subnets' VPC. Only the settings given are compared; termination_policies defaults to [Default].
load_balancers: classic load balancers attached (the others are detached). tags: a list of {key, value, propagate_at_launch}; when given, the group's other tags are removed. scaling_policies (else the option named by scaling_policies_from_pillar): a list of {name, adjustment_type, scaling_adjustment, cooldown, min_adjustment_step}; as in Salt, the group's policies not listed are deleted. notification_arn and notification_types (else the options named by notification_arn_from_pillar, notification_types_from_pillar): the topic's notification types. lifecycle_hooks (Brine): a list of {name, transition (autoscaling:EC2_INSTANCE_LAUNCHING or ..._TERMINATING), heartbeat_timeout, default_result, notification_target_arn, role_arn, notification_metadata}; when given, the group's other hooks are deleted.
Connection: region, keyid, key, profile, else the options asg.region, asg.keyid, asg.key, else the standard AWS chain.
Not supported (refused): suspended_processes, scheduled_actions, alarms (use boto_cloudwatch_alarm.present).
Changes: {"old": {...}, "new": {...}} keyed by what changed: launch_config, group, load_balancers, tags, scaling_policies, notifications, lifecycle_hooks.`,
		Apply: botoASGPresent,
	})
	RegisterTyped(Typed[asgAbsentArgs]{
		Name: "boto_asg.absent",
		Doc: `Ensure an Auto Scaling group does not exist. force: delete it with its instances; remove_lc: delete its launch configuration too.
Changes: {"old": {"group": name}, "new": {"group": null}} (and launch_config).`,
		Apply: botoASGAbsent,
	})
}

// asgPresentArgs are boto_asg.present's arguments.
type asgPresentArgs struct {
	AWSArgs
	LaunchConfigName              string   `salt:"launch_config_name,required"`
	LaunchConfig                  any      `salt:"launch_config"`
	AvailabilityZones             []string `salt:"availability_zones"`
	MinSize                       int      `salt:"min_size,required"`
	MaxSize                       int      `salt:"max_size,required"`
	DesiredCapacity               *int     `salt:"desired_capacity"`
	LoadBalancers                 []string `salt:"load_balancers"`
	DefaultCooldown               *int     `salt:"default_cooldown"`
	HealthCheckType               string   `salt:"health_check_type"`
	HealthCheckPeriod             *int     `salt:"health_check_period"`
	PlacementGroup                string   `salt:"placement_group"`
	VPCZoneIdentifier             []string `salt:"vpc_zone_identifier"`
	SubnetNames                   []string `salt:"subnet_names"`
	Tags                          any      `salt:"tags"`
	TerminationPolicies           []string `salt:"termination_policies"`
	TerminationPoliciesFromPillar string   `salt:"termination_policies_from_pillar" default:"boto_asg_termination_policies"`
	SuspendedProcesses            []string `salt:"suspended_processes"`
	ScalingPolicies               any      `salt:"scaling_policies"`
	ScalingPoliciesFromPillar     string   `salt:"scaling_policies_from_pillar" default:"boto_asg_scaling_policies"`
	ScheduledActions              any      `salt:"scheduled_actions"`
	ScheduledActionsFromPillar    string   `salt:"scheduled_actions_from_pillar" default:"boto_asg_scheduled_actions"`
	Alarms                        any      `salt:"alarms"`
	AlarmsFromPillar              string   `salt:"alarms_from_pillar" default:"boto_asg_alarms"`
	NotificationARN               string   `salt:"notification_arn"`
	NotificationARNFromPillar     string   `salt:"notification_arn_from_pillar" default:"boto_asg_notification_arn"`
	NotificationTypes             []string `salt:"notification_types"`
	NotificationTypesFromPillar   string   `salt:"notification_types_from_pillar" default:"boto_asg_notification_types"`
	LifecycleHooks                any      `salt:"lifecycle_hooks"`
}

type asgAbsentArgs struct {
	AWSArgs
	Force    bool `salt:"force"`
	RemoveLC bool `salt:"remove_lc"`
}

// asgTag, asgPolicy and asgHook are the group's managed parts, as the
// state compares them.
type asgTag struct {
	Key, Value string
	Propagate  bool
}

type asgPolicy struct {
	Name, AdjustmentType string
	Adjustment           int
	Cooldown, MinStep    *int
}

type asgHook struct {
	Name, Transition, DefaultResult, Target, Role, Metadata string
	Heartbeat                                               int
}

// Validate checks the settings that do not need pillar.
func (a *asgPresentArgs) Validate() error {
	for _, u := range []struct {
		arg string
		v   any
	}{{"scheduled_actions", a.ScheduledActions}, {"alarms", a.Alarms}} {
		if u.v != nil {
			return ArgErrorf(u.arg, "is not supported by Brine's boto_asg.present")
		}
	}
	if len(a.SuspendedProcesses) > 0 {
		return ArgErrorf("suspended_processes", "is not supported by Brine's boto_asg.present")
	}
	if a.MinSize < 0 || a.MaxSize < a.MinSize {
		return ArgErrorf("max_size", "must be at least min_size (%d), got %d", a.MinSize, a.MaxSize)
	}
	if d := a.DesiredCapacity; d != nil && (*d < a.MinSize || *d > a.MaxSize) {
		return ArgErrorf("desired_capacity", "must be between min_size (%d) and max_size (%d), got %d", a.MinSize, a.MaxSize, *d)
	}
	a.VPCZoneIdentifier = commaList(a.VPCZoneIdentifier)
	if len(a.VPCZoneIdentifier) > 0 && len(a.SubnetNames) > 0 {
		return ArgErrorf("subnet_names", "and vpc_zone_identifier are mutually exclusive")
	}
	if (a.NotificationARN == "") != (len(a.NotificationTypes) == 0) {
		return ArgErrorf("notification_arn", "and notification_types go together")
	}
	return nil
}

// launchConfigArgs flattens launch_config (Salt: a list of one-key
// mappings, each updating the boto_lc.present arguments).
func launchConfigArgs(v any) (map[string]any, error) {
	out := map[string]any{}
	if m, ok := coerce.Map(v); ok {
		for k, x := range m {
			out[k] = x
		}
		return out, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, ArgErrorf("launch_config", "must be a list of mappings, got %s", coerce.Describe(v))
	}
	for i, x := range list {
		m, ok := coerce.Map(x)
		if !ok {
			return nil, ArgErrorf("launch_config", "item %d must be a mapping, got %s", i+1, coerce.Describe(x))
		}
		for k, y := range m {
			out[k] = y
		}
	}
	return out, nil
}

// launchConfigHash names a managed launch configuration after its
// settings (Salt hashes Python's text of them; Brine hashes their JSON,
// keys sorted: the names differ from Salt's, the scheme is the same).
func launchConfigHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprint(v))
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func readASGTags(v any) ([]asgTag, error) {
	var out []asgTag
	seen := map[string]bool{}
	err := argItems("tags", v, func(it *argItem) error {
		t := asgTag{Key: it.required("key"), Value: it.str("value", ""), Propagate: it.boolean("propagate_at_launch", false)}
		if !it.has("value") {
			it.fail("value", "is required")
		}
		if seen[t.Key] {
			it.fail("key", "%s is given twice", t.Key)
		}
		seen[t.Key] = true
		out = append(out, t)
		return it.err
	})
	return out, err
}

func readASGPolicies(arg string, v any, group string) ([]asgPolicy, error) {
	var out []asgPolicy
	seen := map[string]bool{}
	err := argItems(arg, v, func(it *argItem) error {
		p := asgPolicy{Name: it.required("name"), AdjustmentType: it.required("adjustment_type")}
		if !it.has("scaling_adjustment") {
			it.fail("scaling_adjustment", "is required")
		}
		p.Adjustment = it.integer("scaling_adjustment", 0)
		if it.has("cooldown") {
			n := it.integer("cooldown", 0)
			p.Cooldown = &n
		}
		if it.has("min_adjustment_step") {
			n := it.integer("min_adjustment_step", 0)
			p.MinStep = &n
		}
		if as := it.str("as_name", group); as != group {
			it.fail("as_name", "names group %s, not this group %s", as, group)
		}
		switch p.AdjustmentType {
		case "ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity", "":
		default:
			it.fail("adjustment_type", "must be ChangeInCapacity, ExactCapacity or PercentChangeInCapacity, got %q", p.AdjustmentType)
		}
		if seen[p.Name] {
			it.fail("name", "%s is given twice", p.Name)
		}
		seen[p.Name] = true
		out = append(out, p)
		return it.err
	})
	return out, err
}

func readASGHooks(v any) ([]asgHook, error) {
	var out []asgHook
	seen := map[string]bool{}
	err := argItems("lifecycle_hooks", v, func(it *argItem) error {
		h := asgHook{Name: it.required("name"), Transition: it.required("transition"), DefaultResult: it.str("default_result", "ABANDON"),
			Heartbeat: it.integer("heartbeat_timeout", 3600), Target: it.str("notification_target_arn", ""), Role: it.str("role_arn", ""),
			Metadata: it.str("notification_metadata", "")}
		switch h.Transition {
		case "autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING", "":
		default:
			it.fail("transition", "must be autoscaling:EC2_INSTANCE_LAUNCHING or autoscaling:EC2_INSTANCE_TERMINATING, got %q", h.Transition)
		}
		if h.DefaultResult != "ABANDON" && h.DefaultResult != "CONTINUE" {
			it.fail("default_result", "must be ABANDON or CONTINUE, got %q", h.DefaultResult)
		}
		if seen[h.Name] {
			it.fail("name", "%s is given twice", h.Name)
		}
		seen[h.Name] = true
		out = append(out, h)
		return it.err
	})
	return out, err
}

// asgDescribe returns the group, nil when there is none.
func asgDescribe(ctx context.Context, c *autoscaling.Client, name string) (*astypes.AutoScalingGroup, error) {
	out, err := c.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return nil, err
	}
	if len(out.AutoScalingGroups) == 0 {
		return nil, nil
	}
	return &out.AutoScalingGroups[0], nil
}

// pillarOption reads the configuration option named by a *_from_pillar
// argument (nil when unset).
func pillarOption(env *Env, key string) any {
	if key == "" {
		return nil
	}
	v, _ := env.configOption(key)
	return v
}

func botoASGPresent(ctx context.Context, env *Env, call Call, a *asgPresentArgs) Result {
	name := call.Name
	for _, k := range []struct{ arg, key string }{{"scheduled_actions_from_pillar", a.ScheduledActionsFromPillar}, {"alarms_from_pillar", a.AlarmsFromPillar}} {
		if pillarOption(env, k.key) != nil {
			return fail(name, "State '%s' (boto_asg.present): %s: the configuration option '%s' is set, and Brine's boto_asg.present does not support %s", call.ID, k.arg, k.key, strings.TrimSuffix(k.arg, "_from_pillar"))
		}
	}
	// Salt's *_from_pillar fallbacks.
	termination := a.TerminationPolicies
	if len(termination) == 0 {
		if v := pillarOption(env, a.TerminationPoliciesFromPillar); v != nil {
			l, _, ok := coerce.StringList(v)
			if !ok {
				return fail(name, "State '%s' (boto_asg.present): option '%s' must be a list of strings", call.ID, a.TerminationPoliciesFromPillar)
			}
			termination = l
		}
	}
	if len(termination) == 0 {
		termination = []string{"Default"}
	}
	policyArg, policyV := "scaling_policies", a.ScalingPolicies
	if policyV == nil {
		policyArg, policyV = "scaling_policies_from_pillar", pillarOption(env, a.ScalingPoliciesFromPillar)
	}
	policies, err := readASGPolicies(policyArg, policyV, name)
	if err != nil {
		return failArg(call, err)
	}
	topic, types := a.NotificationARN, a.NotificationTypes
	if topic == "" {
		if v := pillarOption(env, a.NotificationARNFromPillar); v != nil {
			// Salt takes the first of a list.
			if l, _, ok := coerce.StringList(v); ok && len(l) > 0 {
				topic = l[0]
			}
		}
		if v := pillarOption(env, a.NotificationTypesFromPillar); v != nil {
			types, _, _ = coerce.StringList(v)
		}
	}
	var tags []asgTag
	if a.Tags != nil {
		if tags, err = readASGTags(a.Tags); err != nil {
			return failArg(call, err)
		}
	}
	var hooks []asgHook
	if a.LifecycleHooks != nil {
		if hooks, err = readASGHooks(a.LifecycleHooks); err != nil {
			return failArg(call, err)
		}
	}
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "asg")
	if err != nil {
		return fail(name, "State '%s' (boto_asg.present): %v", call.ID, err)
	}
	c := asgClient(conn)

	// Subnets by name; the subnets' VPC for the launch configuration's
	// security groups.
	subnets := a.VPCZoneIdentifier
	plan := &awsPlan{}
	lcName := a.LaunchConfigName
	if a.LaunchConfig != nil {
		lcMap, err := launchConfigArgs(a.LaunchConfig)
		if err != nil {
			return failArg(call, err)
		}
		lcName = a.LaunchConfigName + "-" + launchConfigHash(a.LaunchConfig)
		if len(a.SubnetNames) > 0 || len(subnets) > 0 {
			if _, hasVPC := lcMap["vpc_id"]; !hasVPC {
				if _, hasName := lcMap["vpc_name"]; !hasName {
					lcMap["__subnets_vpc"] = true
				}
			}
		}
		step, res := asgLaunchConfigStep(ctx, env, call, a, lcName, lcMap, &subnets)
		if res != nil {
			return *res
		}
		if step != nil {
			plan.add(*step)
		}
	} else if len(a.SubnetNames) > 0 {
		ec2c, ec2conn, err := ec2Lookup(ctx, env, a.AWSArgs)
		if err != nil {
			return fail(name, "State '%s' (boto_asg.present): %v", call.ID, err)
		}
		var res *Result
		if subnets, res = subnetNamesResult(ctx, ec2c, ec2conn, call, a.SubnetNames); res != nil {
			return *res
		}
	}

	g, err := asgDescribe(ctx, c, name)
	if err != nil {
		return conn.awsFail(name, "describe autoscale group "+name, err)
	}
	if g == nil {
		in := &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(name), LaunchConfigurationName: aws.String(lcName),
			MinSize: aws.Int32(int32(a.MinSize)), MaxSize: aws.Int32(int32(a.MaxSize)), AvailabilityZones: a.AvailabilityZones,
			LoadBalancerNames: a.LoadBalancers, TerminationPolicies: termination,
		}
		if a.DesiredCapacity != nil {
			in.DesiredCapacity = aws.Int32(int32(*a.DesiredCapacity))
		}
		if a.DefaultCooldown != nil {
			in.DefaultCooldown = aws.Int32(int32(*a.DefaultCooldown))
		}
		if a.HealthCheckType != "" {
			in.HealthCheckType = aws.String(a.HealthCheckType)
		}
		if a.HealthCheckPeriod != nil {
			in.HealthCheckGracePeriod = aws.Int32(int32(*a.HealthCheckPeriod))
		}
		if a.PlacementGroup != "" {
			in.PlacementGroup = aws.String(a.PlacementGroup)
		}
		if len(subnets) > 0 {
			in.VPCZoneIdentifier = aws.String(strings.Join(subnets, ","))
		}
		for _, t := range tags {
			in.Tags = append(in.Tags, astypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value), PropagateAtLaunch: aws.Bool(t.Propagate),
				ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group")})
		}
		for _, h := range hooks {
			in.LifecycleHookSpecificationList = append(in.LifecycleHookSpecificationList, h.spec())
		}
		plan.add(awsStep{aspect: "group", old: nil, new: name, would: "Autoscale group set to be created.", doing: "create autoscale group " + name,
			apply: func(ctx context.Context) error { _, err := c.CreateAutoScalingGroup(ctx, in); return err }})
		asgPolicySteps(plan, c, name, nil, policies)
		if topic != "" && len(types) > 0 {
			asgNotificationSteps(plan, c, name, topic, nil, types)
		}
	} else {
		asgUpdateSteps(plan, c, name, a, g, lcName, subnets, termination, tags)
		if a.LaunchConfig != nil && aws.ToString(g.LaunchConfigurationName) != lcName && aws.ToString(g.LaunchConfigurationName) != "" {
			old := aws.ToString(g.LaunchConfigurationName)
			plan.add(awsStep{aspect: "launch_config_deleted", old: old, new: nil, would: "Launch configuration " + old + " set to be deleted.",
				doing: "delete the old launch configuration " + old,
				apply: func(ctx context.Context) error {
					_, err := c.DeleteLaunchConfiguration(ctx, &autoscaling.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String(old)})
					return err
				}})
		}
		pols, err := c.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(name)})
		if err != nil {
			return conn.awsFail(name, "describe the scaling policies of "+name, err)
		}
		asgPolicySteps(plan, c, name, pols.ScalingPolicies, policies)
		if topic != "" && len(types) > 0 {
			out, err := c.DescribeNotificationConfigurations(ctx, &autoscaling.DescribeNotificationConfigurationsInput{AutoScalingGroupNames: []string{name}})
			if err != nil {
				return conn.awsFail(name, "describe the notifications of "+name, err)
			}
			var have []string
			for _, n := range out.NotificationConfigurations {
				if aws.ToString(n.TopicARN) == topic {
					have = append(have, aws.ToString(n.NotificationType))
				}
			}
			asgNotificationSteps(plan, c, name, topic, have, types)
		}
		if a.LifecycleHooks != nil {
			out, err := c.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String(name)})
			if err != nil {
				return conn.awsFail(name, "describe the lifecycle hooks of "+name, err)
			}
			asgHookSteps(plan, c, name, out.LifecycleHooks, hooks)
		}
	}
	done := "Updated autoscale group."
	if g == nil {
		done = "Created autoscale group."
	}
	return plan.run(ctx, conn, call, "Autoscale group present.", done)
}

// lcArgSpec decodes launch_config as boto_lc.present's arguments.
var lcArgSpec = newArgSpec[lcPresentArgs]()

// asgLaunchConfigStep manages the group's launch configuration: reads
// launch_config as boto_lc.present's arguments and returns the step
// creating it (nil: it exists). The subnets are resolved here (by name)
// for the security groups' VPC.
func asgLaunchConfigStep(ctx context.Context, env *Env, call Call, a *asgPresentArgs, lcName string, lcMap map[string]any, subnets *[]string) (*awsStep, *Result) {
	useSubnetsVPC := lcMap["__subnets_vpc"] == true
	delete(lcMap, "__subnets_vpc")
	// The launch configuration's connection: the group's, unless
	// launch_config names its own (Salt passes region/key/keyid/profile
	// through).
	for k, v := range map[string]any{"region": a.Region, "keyid": a.KeyID, "key": a.Key, "profile": a.Profile} {
		if _, ok := lcMap[k]; !ok && v != nil && v != "" {
			lcMap[k] = v
		}
	}
	lcCall := Call{ID: call.ID, Name: lcName, Fun: "boto_asg.present", Args: lcMap, Test: call.Test}
	var la lcPresentArgs
	var err error
	if v, ok := lcMap["image_id"]; !ok || v == nil {
		err = ArgErrorf("launch_config", "key 'image_id' is required")
	}
	var warnings []string
	if err == nil {
		warnings, err = lcArgSpec.decode(lcCall, &la)
	}
	if err == nil && len(warnings) > 0 {
		err = ArgErrorf("launch_config", "%s", strings.Join(warnings, "; "))
	}
	var ae *ArgError
	if errors.As(err, &ae) && ae.Arg != "launch_config" {
		inner := "key '" + ae.Arg + "' "
		if ae.Arg == "" {
			inner = ""
		}
		err = ArgErrorf("launch_config", "%s%s", inner, ae.Msg)
	}
	if err != nil {
		r := failArg(call, err)
		if ae == nil {
			r = failErr(call.Name, err) // decode's text names the state already
		}
		return nil, &r
	}
	if len(a.SubnetNames) > 0 || (useSubnetsVPC && hasNames(la.SecurityGroups)) {
		ec2c, ec2conn, err := ec2Lookup(ctx, env, a.AWSArgs)
		if err != nil {
			r := fail(call.Name, "State '%s' (boto_asg.present): %v", call.ID, err)
			return nil, &r
		}
		if len(a.SubnetNames) > 0 {
			var res *Result
			if *subnets, res = subnetNamesResult(ctx, ec2c, ec2conn, call, a.SubnetNames); res != nil {
				return nil, res
			}
		}
		if useSubnetsVPC && hasNames(la.SecurityGroups) {
			if la.VPCID, err = subnetsVPC(ctx, ec2c, *subnets); err != nil {
				r := ec2conn.awsFail(call.Name, "find the subnets' VPC", err)
				return nil, &r
			}
		}
	}
	conn, err := resolveAWS(ctx, env, la.AWSArgs, "asg")
	if err != nil {
		r := fail(call.Name, "State '%s' (boto_asg.present): launch_config: %v", call.ID, err)
		return nil, &r
	}
	return lcStep(ctx, env, lcCall, asgClient(conn), conn, lcName, &la)
}

// asgUpdateSteps compares an existing group with the arguments given.
func asgUpdateSteps(plan *awsPlan, c *autoscaling.Client, name string, a *asgPresentArgs, g *astypes.AutoScalingGroup, lcName string, subnets, termination []string, tags []asgTag) {
	oldM, newM := map[string]any{}, map[string]any{}
	in := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name)}
	if have := aws.ToString(g.LaunchConfigurationName); have != lcName {
		oldM["launch_config_name"], newM["launch_config_name"] = have, lcName
		in.LaunchConfigurationName = aws.String(lcName)
	}
	ints := []struct {
		key  string
		want *int
		have *int32
		dst  **int32
	}{
		{"min_size", &a.MinSize, g.MinSize, &in.MinSize}, {"max_size", &a.MaxSize, g.MaxSize, &in.MaxSize},
		{"desired_capacity", a.DesiredCapacity, g.DesiredCapacity, &in.DesiredCapacity},
		{"default_cooldown", a.DefaultCooldown, g.DefaultCooldown, &in.DefaultCooldown},
		{"health_check_period", a.HealthCheckPeriod, g.HealthCheckGracePeriod, &in.HealthCheckGracePeriod},
	}
	for _, x := range ints {
		if x.want != nil && int(aws.ToInt32(x.have)) != *x.want {
			oldM[x.key], newM[x.key] = int(aws.ToInt32(x.have)), *x.want
			*x.dst = aws.Int32(int32(*x.want))
		}
	}
	if a.HealthCheckType != "" && aws.ToString(g.HealthCheckType) != a.HealthCheckType {
		oldM["health_check_type"], newM["health_check_type"] = aws.ToString(g.HealthCheckType), a.HealthCheckType
		in.HealthCheckType = aws.String(a.HealthCheckType)
	}
	if len(a.AvailabilityZones) > 0 && !sameSet(a.AvailabilityZones, g.AvailabilityZones) {
		oldM["availability_zones"], newM["availability_zones"] = g.AvailabilityZones, a.AvailabilityZones
		in.AvailabilityZones = a.AvailabilityZones
	}
	if len(subnets) > 0 {
		have := commaList([]string{aws.ToString(g.VPCZoneIdentifier)})
		if !sameSet(have, subnets) {
			oldM["vpc_zone_identifier"], newM["vpc_zone_identifier"] = have, subnets
			in.VPCZoneIdentifier = aws.String(strings.Join(subnets, ","))
		}
	}
	if strings.Join(g.TerminationPolicies, ",") != strings.Join(termination, ",") {
		oldM["termination_policies"], newM["termination_policies"] = g.TerminationPolicies, termination
		in.TerminationPolicies = termination
	}
	if len(oldM) > 0 {
		plan.add(awsStep{aspect: "group", old: oldM, new: newM, would: "Autoscale group set to be updated (" + strings.Join(sortedKeys(newM), ", ") + ").",
			doing: "update autoscale group " + name,
			apply: func(ctx context.Context) error { _, err := c.UpdateAutoScalingGroup(ctx, in); return err }})
	}
	if a.LoadBalancers != nil && !sameSet(a.LoadBalancers, g.LoadBalancerNames) {
		attach, detach := setDiff(a.LoadBalancers, g.LoadBalancerNames), setDiff(g.LoadBalancerNames, a.LoadBalancers)
		plan.add(awsStep{aspect: "load_balancers", old: g.LoadBalancerNames, new: a.LoadBalancers, would: "Autoscale group load balancers set to be changed.",
			doing: "change the load balancers of " + name,
			apply: func(ctx context.Context) error {
				if len(attach) > 0 {
					if _, err := c.AttachLoadBalancers(ctx, &autoscaling.AttachLoadBalancersInput{AutoScalingGroupName: aws.String(name), LoadBalancerNames: attach}); err != nil {
						return err
					}
				}
				if len(detach) > 0 {
					_, err := c.DetachLoadBalancers(ctx, &autoscaling.DetachLoadBalancersInput{AutoScalingGroupName: aws.String(name), LoadBalancerNames: detach})
					return err
				}
				return nil
			}})
	}
	if a.Tags != nil {
		asgTagSteps(plan, c, name, g.Tags, tags)
	}
}

func asgTagChanges(ts []asgTag) []any {
	out := make([]any, 0, len(ts))
	for _, t := range ts {
		out = append(out, map[string]any{"key": t.Key, "value": t.Value, "propagate_at_launch": t.Propagate})
	}
	return out
}

func asgTagSteps(plan *awsPlan, c *autoscaling.Client, name string, cur []astypes.TagDescription, want []asgTag) {
	var have []asgTag
	haveBy := map[string]asgTag{}
	for _, t := range cur {
		x := asgTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value), Propagate: aws.ToBool(t.PropagateAtLaunch)}
		have = append(have, x)
		haveBy[x.Key] = x
	}
	sort.Slice(have, func(i, j int) bool { return have[i].Key < have[j].Key })
	var set []astypes.Tag
	wantBy := map[string]bool{}
	for _, t := range want {
		wantBy[t.Key] = true
		if h, ok := haveBy[t.Key]; !ok || h != t {
			set = append(set, astypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value), PropagateAtLaunch: aws.Bool(t.Propagate),
				ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group")})
		}
	}
	var remove []astypes.Tag
	for _, h := range have {
		if !wantBy[h.Key] {
			remove = append(remove, astypes.Tag{Key: aws.String(h.Key), ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group")})
		}
	}
	if len(set)+len(remove) == 0 {
		return
	}
	plan.add(awsStep{aspect: "tags", old: asgTagChanges(have), new: asgTagChanges(want), would: "Autoscale group tags set to be changed.", doing: "set the tags of " + name,
		apply: func(ctx context.Context) error {
			if len(set) > 0 {
				if _, err := c.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: set}); err != nil {
					return err
				}
			}
			if len(remove) > 0 {
				_, err := c.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: remove})
				return err
			}
			return nil
		}})
}

func (p asgPolicy) changes() map[string]any {
	m := map[string]any{"name": p.Name, "adjustment_type": p.AdjustmentType, "scaling_adjustment": p.Adjustment}
	if p.Cooldown != nil {
		m["cooldown"] = *p.Cooldown
	}
	if p.MinStep != nil {
		m["min_adjustment_step"] = *p.MinStep
	}
	return m
}

// asgPolicySteps makes the group's simple scaling policies want exactly.
func asgPolicySteps(plan *awsPlan, c *autoscaling.Client, name string, cur []astypes.ScalingPolicy, want []asgPolicy) {
	haveBy := map[string]astypes.ScalingPolicy{}
	var oldC []any
	for _, p := range cur {
		haveBy[aws.ToString(p.PolicyName)] = p
		x := asgPolicy{Name: aws.ToString(p.PolicyName), AdjustmentType: aws.ToString(p.AdjustmentType), Adjustment: int(aws.ToInt32(p.ScalingAdjustment))}
		if p.Cooldown != nil {
			n := int(*p.Cooldown)
			x.Cooldown = &n
		}
		if p.MinAdjustmentMagnitude != nil {
			n := int(*p.MinAdjustmentMagnitude)
			x.MinStep = &n
		}
		oldC = append(oldC, x.changes())
	}
	var put []asgPolicy
	wantBy := map[string]bool{}
	var newC []any
	for _, p := range want {
		wantBy[p.Name] = true
		newC = append(newC, p.changes())
		h, ok := haveBy[p.Name]
		if !ok || aws.ToString(h.AdjustmentType) != p.AdjustmentType || int(aws.ToInt32(h.ScalingAdjustment)) != p.Adjustment ||
			(p.Cooldown != nil && int(aws.ToInt32(h.Cooldown)) != *p.Cooldown) ||
			(p.MinStep != nil && int(aws.ToInt32(h.MinAdjustmentMagnitude)) != *p.MinStep) {
			put = append(put, p)
		}
	}
	var del []string
	for _, p := range cur {
		if n := aws.ToString(p.PolicyName); !wantBy[n] {
			del = append(del, n)
		}
	}
	if len(put)+len(del) == 0 {
		return
	}
	var msg []string
	for _, p := range put {
		msg = append(msg, "put "+p.Name)
	}
	for _, d := range del {
		msg = append(msg, "delete "+d)
	}
	plan.add(awsStep{aspect: "scaling_policies", old: oldC, new: newC, would: "Scaling policies set to be changed (" + strings.Join(msg, ", ") + ").",
		doing: "set the scaling policies of " + name,
		apply: func(ctx context.Context) error {
			for _, p := range put {
				in := &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String(name), PolicyName: aws.String(p.Name),
					AdjustmentType: aws.String(p.AdjustmentType), ScalingAdjustment: aws.Int32(int32(p.Adjustment))}
				if p.Cooldown != nil {
					in.Cooldown = aws.Int32(int32(*p.Cooldown))
				}
				if p.MinStep != nil {
					in.MinAdjustmentMagnitude = aws.Int32(int32(*p.MinStep))
				}
				if _, err := c.PutScalingPolicy(ctx, in); err != nil {
					return err
				}
			}
			for _, d := range del {
				if _, err := c.DeletePolicy(ctx, &autoscaling.DeletePolicyInput{AutoScalingGroupName: aws.String(name), PolicyName: aws.String(d)}); err != nil {
					return err
				}
			}
			return nil
		}})
}

// asgNotificationSteps makes the topic's notification types want.
func asgNotificationSteps(plan *awsPlan, c *autoscaling.Client, name, topic string, have, want []string) {
	if sameSet(have, want) {
		return
	}
	plan.add(awsStep{aspect: "notifications", old: map[string]any{topic: have}, new: map[string]any{topic: want},
		would: "Notifications to " + topic + " set to be changed.", doing: "put the notification configuration of " + name,
		apply: func(ctx context.Context) error {
			_, err := c.PutNotificationConfiguration(ctx, &autoscaling.PutNotificationConfigurationInput{AutoScalingGroupName: aws.String(name), TopicARN: aws.String(topic), NotificationTypes: want})
			return err
		}})
}

func (h asgHook) spec() astypes.LifecycleHookSpecification {
	s := astypes.LifecycleHookSpecification{LifecycleHookName: aws.String(h.Name), LifecycleTransition: aws.String(h.Transition),
		DefaultResult: aws.String(h.DefaultResult), HeartbeatTimeout: aws.Int32(int32(h.Heartbeat))}
	if h.Target != "" {
		s.NotificationTargetARN = aws.String(h.Target)
	}
	if h.Role != "" {
		s.RoleARN = aws.String(h.Role)
	}
	if h.Metadata != "" {
		s.NotificationMetadata = aws.String(h.Metadata)
	}
	return s
}

func (h asgHook) changes() map[string]any {
	return map[string]any{"name": h.Name, "transition": h.Transition, "default_result": h.DefaultResult, "heartbeat_timeout": h.Heartbeat,
		"notification_target_arn": h.Target, "role_arn": h.Role, "notification_metadata": h.Metadata}
}

// asgHookSteps makes the group's lifecycle hooks want exactly.
func asgHookSteps(plan *awsPlan, c *autoscaling.Client, name string, cur []astypes.LifecycleHook, want []asgHook) {
	haveBy := map[string]asgHook{}
	var oldC, newC []any
	for _, h := range cur {
		x := asgHook{Name: aws.ToString(h.LifecycleHookName), Transition: aws.ToString(h.LifecycleTransition), DefaultResult: aws.ToString(h.DefaultResult),
			Heartbeat: int(aws.ToInt32(h.HeartbeatTimeout)), Target: aws.ToString(h.NotificationTargetARN), Role: aws.ToString(h.RoleARN), Metadata: aws.ToString(h.NotificationMetadata)}
		haveBy[x.Name] = x
		oldC = append(oldC, x.changes())
	}
	var put []asgHook
	wantBy := map[string]bool{}
	for _, h := range want {
		wantBy[h.Name] = true
		newC = append(newC, h.changes())
		if x, ok := haveBy[h.Name]; !ok || x != h {
			put = append(put, h)
		}
	}
	var del []string
	for n := range haveBy {
		if !wantBy[n] {
			del = append(del, n)
		}
	}
	sort.Strings(del)
	if len(put)+len(del) == 0 {
		return
	}
	plan.add(awsStep{aspect: "lifecycle_hooks", old: oldC, new: newC, would: "Lifecycle hooks set to be changed.", doing: "set the lifecycle hooks of " + name,
		apply: func(ctx context.Context) error {
			for _, h := range put {
				s := h.spec()
				in := &autoscaling.PutLifecycleHookInput{AutoScalingGroupName: aws.String(name), LifecycleHookName: s.LifecycleHookName,
					LifecycleTransition: s.LifecycleTransition, DefaultResult: s.DefaultResult, HeartbeatTimeout: s.HeartbeatTimeout,
					NotificationTargetARN: aws.String(h.Target), RoleARN: s.RoleARN, NotificationMetadata: aws.String(h.Metadata)}
				if _, err := c.PutLifecycleHook(ctx, in); err != nil {
					return err
				}
			}
			for _, d := range del {
				if _, err := c.DeleteLifecycleHook(ctx, &autoscaling.DeleteLifecycleHookInput{AutoScalingGroupName: aws.String(name), LifecycleHookName: aws.String(d)}); err != nil {
					return err
				}
			}
			return nil
		}})
}

func botoASGAbsent(ctx context.Context, env *Env, call Call, a *asgAbsentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "asg")
	if err != nil {
		return fail(name, "State '%s' (boto_asg.absent): %v", call.ID, err)
	}
	c := asgClient(conn)
	g, err := asgDescribe(ctx, c, name)
	if err != nil {
		return conn.awsFail(name, "describe autoscale group "+name, err)
	}
	plan := &awsPlan{}
	if g != nil {
		plan.add(awsStep{aspect: "group", old: name, new: nil, would: "Autoscale group set to be deleted.", doing: "delete autoscale group " + name,
			apply: func(ctx context.Context) error {
				_, err := c.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), ForceDelete: aws.Bool(a.Force)})
				return err
			}})
		if lc := aws.ToString(g.LaunchConfigurationName); a.RemoveLC && lc != "" {
			plan.add(awsStep{aspect: "launch_config", old: lc, new: nil, would: fmt.Sprintf("Launch configuration %s is set to be deleted.", lc),
				doing: "delete launch configuration " + lc,
				apply: func(ctx context.Context) error {
					_, err := c.DeleteLaunchConfiguration(ctx, &autoscaling.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String(lc)})
					return err
				}})
		}
	}
	return plan.run(ctx, conn, call, "Autoscale group does not exist.", "Deleted autoscale group.")
}
