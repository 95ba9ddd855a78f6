package fakeaws

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The fake Auto Scaling's resources, for the boto_asg and boto_lc states:
// launch configurations (Create/Describe/DeleteLaunchConfiguration),
// groups (Create/Describe/Update/DeleteAutoScalingGroup,
// Attach/DetachLoadBalancers), scaling policies (PutScalingPolicy,
// DescribePolicies, DeletePolicy), notification configurations
// (Put/Describe/DeleteNotificationConfiguration), lifecycle hooks
// (PutLifecycleHook, DeleteLifecycleHook, with DescribeLifecycleHooks of
// autoscaling.go) and tags (CreateOrUpdateTags, DeleteTags).

// AutoScalingLaunchConfig is a launch configuration of the fake.
type AutoScalingLaunchConfig struct {
	Name, ImageID, KeyName, InstanceType, UserData, KernelID, RamdiskID string
	SecurityGroups                                                      []string
	SpotPrice, IamInstanceProfile                                       string
	EbsOptimized, Monitoring                                            bool
	AssociatePublicIP                                                   *bool
	BlockDevices                                                        []map[string]string // BlockDeviceMappings.member.N.* without the prefix
	Created                                                             time.Time
}

// AutoScalingTag is a tag of a group.
type AutoScalingTag struct {
	Key, Value        string
	PropagateAtLaunch bool
}

// AutoScalingGroup is a group of the fake.
type AutoScalingGroup struct {
	Name, LaunchConfig                 string
	MinSize, MaxSize, DesiredCapacity  int
	DefaultCooldown, HealthCheckGrace  int
	HealthCheckType, VPCZoneIdentifier string
	PlacementGroup                     string
	AvailabilityZones, LoadBalancers   []string
	TerminationPolicies                []string
	Tags                               map[string]AutoScalingTag
	Notifications                      map[string][]string // topic ARN -> types, sorted
	Created                            time.Time
}

// AutoScalingPolicy is a simple scaling policy of the fake.
type AutoScalingPolicy struct {
	Group, Name, ARN, AdjustmentType string
	ScalingAdjustment, Cooldown      int
	MinAdjustmentMagnitude           *int
}

// FailAction makes the next call of action fail with code and message.
func (a *AutoScaling) FailAction(action, code, message string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ensure()
	a.fail[action] = apiFailure{http.StatusBadRequest, code, message}
}

// CallCounts returns the number of calls per action so far.
func (a *AutoScaling) CallCounts() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return copyCounts(a.calls)
}

// Group returns a copy of the named group, or nil.
func (a *AutoScaling) Group(name string) *AutoScalingGroup {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.groups[name]
	if g == nil {
		return nil
	}
	c := *g
	c.AvailabilityZones = append([]string(nil), g.AvailabilityZones...)
	c.LoadBalancers = append([]string(nil), g.LoadBalancers...)
	c.TerminationPolicies = append([]string(nil), g.TerminationPolicies...)
	c.Tags = map[string]AutoScalingTag{}
	for k, v := range g.Tags {
		c.Tags[k] = v
	}
	c.Notifications = map[string][]string{}
	for k, v := range g.Notifications {
		c.Notifications[k] = append([]string(nil), v...)
	}
	return &c
}

// Groups lists the groups, sorted.
func (a *AutoScaling) Groups() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return sortedNames(a.groups)
}

// LaunchConfigs lists the launch configurations, sorted.
func (a *AutoScaling) LaunchConfigs() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return sortedNames(a.lcs)
}

// LaunchConfig returns a copy of the named launch configuration, or nil.
func (a *AutoScaling) LaunchConfig(name string) *AutoScalingLaunchConfig {
	a.mu.Lock()
	defer a.mu.Unlock()
	lc := a.lcs[name]
	if lc == nil {
		return nil
	}
	c := *lc
	c.SecurityGroups = append([]string(nil), lc.SecurityGroups...)
	return &c
}

// Policy returns a copy of group's policy, or nil.
func (a *AutoScaling) Policy(group, name string) *AutoScalingPolicy {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.policies[group+"/"+name]
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// Policies returns copies of the scaling policies, by group and name.
func (a *AutoScaling) Policies() []AutoScalingPolicy {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AutoScalingPolicy, 0, len(a.policies))
	for _, k := range sortedNames(a.policies) {
		out = append(out, *a.policies[k])
	}
	return out
}

// Hook returns a copy of group's lifecycle hook, or nil.
func (a *AutoScaling) Hook(group, name string) *AutoScalingHook {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.hooks[group+"/"+name]
	if h == nil {
		return nil
	}
	c := *h
	return &c
}

// ensure makes the resource maps of a fake built as a struct literal.
func (a *AutoScaling) ensure() {
	if a.lcs == nil {
		a.lcs = map[string]*AutoScalingLaunchConfig{}
		a.groups = map[string]*AutoScalingGroup{}
		a.policies = map[string]*AutoScalingPolicy{}
		a.fail = map[string]apiFailure{}
	}
}

func formBool(s string) bool { return s == "true" }

// serveResources answers the resource actions; false: action is not one.
// a.mu is held.
func (a *AutoScaling) serveResources(w http.ResponseWriter, f url.Values, action string) bool {
	a.ensure()
	if fl, ok := a.fail[action]; ok {
		delete(a.fail, action)
		asError(w, fl.status, fl.code, fl.message)
		return true
	}
	errf := func(code, format string, args ...any) {
		asError(w, http.StatusBadRequest, code, fmt.Sprintf(format, args...))
	}
	reply := func(result string) { asReply(w, action, result) }
	gname := f.Get("AutoScalingGroupName")
	g := a.groups[gname]
	needGroup := func() bool {
		if g == nil {
			errf("ValidationError", "AutoScalingGroup name not found - no such group: %s", gname)
			return false
		}
		return true
	}
	switch action {
	case "CreateLaunchConfiguration":
		name := f.Get("LaunchConfigurationName")
		if name == "" || f.Get("ImageId") == "" || f.Get("InstanceType") == "" {
			errf("ValidationError", "LaunchConfigurationName, ImageId and InstanceType are required")
			return true
		}
		if a.lcs[name] != nil {
			errf("AlreadyExists", "Launch Configuration by this name already exists - A launch configuration already exists with the name %s", name)
			return true
		}
		lc := &AutoScalingLaunchConfig{
			Name: name, ImageID: f.Get("ImageId"), KeyName: f.Get("KeyName"), InstanceType: f.Get("InstanceType"),
			UserData: f.Get("UserData"), KernelID: f.Get("KernelId"), RamdiskID: f.Get("RamdiskId"),
			SecurityGroups: queryList(f, "SecurityGroups"), SpotPrice: f.Get("SpotPrice"), IamInstanceProfile: f.Get("IamInstanceProfile"),
			EbsOptimized: formBool(f.Get("EbsOptimized")), Monitoring: f.Get("InstanceMonitoring.Enabled") != "false", Created: time.Now().UTC(),
		}
		if v := f.Get("AssociatePublicIpAddress"); v != "" {
			b := formBool(v)
			lc.AssociatePublicIP = &b
		}
		for _, p := range queryMembers(f, "BlockDeviceMappings") {
			m := map[string]string{}
			for k, v := range f {
				if rest, ok := strings.CutPrefix(k, p); ok {
					m[rest] = v[0]
				}
			}
			lc.BlockDevices = append(lc.BlockDevices, m)
		}
		a.lcs[name] = lc
		reply("")
	case "DescribeLaunchConfigurations":
		names := queryList(f, "LaunchConfigurationNames")
		if len(names) == 0 {
			names = sortedNames(a.lcs)
		}
		var b strings.Builder
		b.WriteString("<LaunchConfigurations>")
		for _, n := range names {
			if lc := a.lcs[n]; lc != nil {
				b.WriteString(lc.xml())
			}
		}
		b.WriteString("</LaunchConfigurations>")
		reply(b.String())
	case "DeleteLaunchConfiguration":
		name := f.Get("LaunchConfigurationName")
		if a.lcs[name] == nil {
			errf("ValidationError", "Launch configuration name not found - Launch configuration %s not found", name)
			return true
		}
		for _, x := range a.groups {
			if x.LaunchConfig == name {
				errf("ResourceInUse", "Cannot delete launch configuration %s because it is attached to AutoScalingGroup %s", name, x.Name)
				return true
			}
		}
		delete(a.lcs, name)
		reply("")
	case "CreateAutoScalingGroup":
		if gname == "" {
			errf("ValidationError", "AutoScalingGroupName is required")
			return true
		}
		if g != nil {
			errf("AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name %s already exists", gname)
			return true
		}
		g = &AutoScalingGroup{Name: gname, Tags: map[string]AutoScalingTag{}, Notifications: map[string][]string{}, Created: time.Now().UTC(),
			DefaultCooldown: 300, HealthCheckType: "EC2"}
		if msg := a.setGroup(g, f, true); msg != "" {
			errf("ValidationError", "%s", msg)
			return true
		}
		g.LoadBalancers = queryList(f, "LoadBalancerNames")
		for _, p := range queryMembers(f, "Tags") {
			g.Tags[f.Get(p+"Key")] = AutoScalingTag{Key: f.Get(p + "Key"), Value: f.Get(p + "Value"), PropagateAtLaunch: formBool(f.Get(p + "PropagateAtLaunch"))}
		}
		for _, p := range queryMembers(f, "LifecycleHookSpecificationList") {
			h := &AutoScalingHook{Group: gname, Name: f.Get(p + "LifecycleHookName"), Transition: f.Get(p + "LifecycleTransition"),
				HeartbeatTimeout: atoiOr(f.Get(p+"HeartbeatTimeout"), 3600), DefaultResult: f.Get(p + "DefaultResult"),
				NotificationTargetARN: f.Get(p + "NotificationTargetARN"), RoleARN: f.Get(p + "RoleARN"), NotificationMetadata: f.Get(p + "NotificationMetadata")}
			if h.DefaultResult == "" {
				h.DefaultResult = "ABANDON"
			}
			a.hooks[gname+"/"+h.Name] = h
		}
		a.groups[gname] = g
		reply("")
	case "UpdateAutoScalingGroup":
		if !needGroup() {
			return true
		}
		c := *g
		if msg := a.setGroup(&c, f, false); msg != "" {
			errf("ValidationError", "%s", msg)
			return true
		}
		*g = c
		reply("")
	case "DescribeAutoScalingGroups":
		names := queryList(f, "AutoScalingGroupNames")
		if len(names) == 0 {
			names = sortedNames(a.groups)
		}
		var b strings.Builder
		b.WriteString("<AutoScalingGroups>")
		for _, n := range names {
			if x := a.groups[n]; x != nil {
				b.WriteString(x.xml())
			}
		}
		b.WriteString("</AutoScalingGroups>")
		reply(b.String())
	case "DeleteAutoScalingGroup":
		if !needGroup() {
			return true
		}
		delete(a.groups, gname)
		for k, p := range a.policies {
			if p.Group == gname {
				delete(a.policies, k)
			}
		}
		for k, h := range a.hooks {
			if h.Group == gname {
				delete(a.hooks, k)
			}
		}
		reply("")
	case "AttachLoadBalancers", "DetachLoadBalancers":
		if !needGroup() {
			return true
		}
		g.LoadBalancers = setOp(g.LoadBalancers, queryList(f, "LoadBalancerNames"), action == "AttachLoadBalancers")
		reply("")
	case "PutScalingPolicy":
		if !needGroup() {
			return true
		}
		name := f.Get("PolicyName")
		if name == "" || f.Get("ScalingAdjustment") == "" {
			errf("ValidationError", "PolicyName and ScalingAdjustment are required")
			return true
		}
		switch f.Get("AdjustmentType") {
		case "ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity":
		default:
			errf("ValidationError", "Invalid adjustment type %s", f.Get("AdjustmentType"))
			return true
		}
		key := gname + "/" + name
		p := a.policies[key]
		if p == nil {
			p = &AutoScalingPolicy{Group: gname, Name: name, ARN: fmt.Sprintf("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:%s:autoScalingGroupName/%s:policyName/%s", sqsRandomID(), gname, name)}
			a.policies[key] = p
		}
		p.AdjustmentType = f.Get("AdjustmentType")
		p.ScalingAdjustment = atoiOr(f.Get("ScalingAdjustment"), 0)
		p.Cooldown = atoiOr(f.Get("Cooldown"), 0)
		p.MinAdjustmentMagnitude = nil
		if v := f.Get("MinAdjustmentMagnitude"); v != "" {
			n := atoiOr(v, 0)
			p.MinAdjustmentMagnitude = &n
		}
		reply("<PolicyARN>" + xmlText(p.ARN) + "</PolicyARN><Alarms></Alarms>")
	case "DescribePolicies":
		want := map[string]bool{}
		for _, n := range queryList(f, "PolicyNames") {
			want[n] = true
		}
		var b strings.Builder
		b.WriteString("<ScalingPolicies>")
		for _, k := range sortedNames(a.policies) {
			p := a.policies[k]
			if (gname != "" && p.Group != gname) || (len(want) > 0 && !want[p.Name]) {
				continue
			}
			fmt.Fprintf(&b, "<member><AutoScalingGroupName>%s</AutoScalingGroupName><PolicyName>%s</PolicyName><PolicyARN>%s</PolicyARN><PolicyType>SimpleScaling</PolicyType><AdjustmentType>%s</AdjustmentType><ScalingAdjustment>%d</ScalingAdjustment>",
				xmlText(p.Group), xmlText(p.Name), xmlText(p.ARN), xmlText(p.AdjustmentType), p.ScalingAdjustment)
			if p.Cooldown > 0 {
				fmt.Fprintf(&b, "<Cooldown>%d</Cooldown>", p.Cooldown)
			}
			if p.MinAdjustmentMagnitude != nil {
				fmt.Fprintf(&b, "<MinAdjustmentMagnitude>%d</MinAdjustmentMagnitude>", *p.MinAdjustmentMagnitude)
			}
			b.WriteString("<Alarms></Alarms><Enabled>true</Enabled></member>")
		}
		b.WriteString("</ScalingPolicies>")
		reply(b.String())
	case "DeletePolicy":
		key := gname + "/" + f.Get("PolicyName")
		if a.policies[key] == nil {
			errf("ValidationError", "Policy %s not found", f.Get("PolicyName"))
			return true
		}
		delete(a.policies, key)
		reply("")
	case "PutNotificationConfiguration":
		if !needGroup() {
			return true
		}
		types := queryList(f, "NotificationTypes")
		if f.Get("TopicARN") == "" || len(types) == 0 {
			errf("ValidationError", "TopicARN and NotificationTypes are required")
			return true
		}
		sort.Strings(types)
		g.Notifications[f.Get("TopicARN")] = types
		reply("")
	case "DeleteNotificationConfiguration":
		if !needGroup() {
			return true
		}
		if _, ok := g.Notifications[f.Get("TopicARN")]; !ok {
			errf("ValidationError", "No notification configuration for topic %s", f.Get("TopicARN"))
			return true
		}
		delete(g.Notifications, f.Get("TopicARN"))
		reply("")
	case "DescribeNotificationConfigurations":
		names := queryList(f, "AutoScalingGroupNames")
		if len(names) == 0 {
			names = sortedNames(a.groups)
		}
		var b strings.Builder
		b.WriteString("<NotificationConfigurations>")
		for _, n := range names {
			x := a.groups[n]
			if x == nil {
				continue
			}
			for _, topic := range sortedNames(x.Notifications) {
				for _, t := range x.Notifications[topic] {
					fmt.Fprintf(&b, "<member><AutoScalingGroupName>%s</AutoScalingGroupName><TopicARN>%s</TopicARN><NotificationType>%s</NotificationType></member>", xmlText(n), xmlText(topic), xmlText(t))
				}
			}
		}
		b.WriteString("</NotificationConfigurations>")
		reply(b.String())
	case "PutLifecycleHook":
		if !needGroup() {
			return true
		}
		name := f.Get("LifecycleHookName")
		key := gname + "/" + name
		h := a.hooks[key]
		if h == nil {
			switch f.Get("LifecycleTransition") {
			case "autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING":
			default:
				errf("ValidationError", "Invalid lifecycle transition %q", f.Get("LifecycleTransition"))
				return true
			}
			h = &AutoScalingHook{Group: gname, Name: name, HeartbeatTimeout: 3600, DefaultResult: "ABANDON"}
			a.hooks[key] = h
		}
		if v := f.Get("LifecycleTransition"); v != "" {
			h.Transition = v
		}
		if v := f.Get("HeartbeatTimeout"); v != "" {
			h.HeartbeatTimeout = atoiOr(v, h.HeartbeatTimeout)
		}
		if v := f.Get("DefaultResult"); v != "" {
			h.DefaultResult = v
		}
		if v, ok := f["NotificationTargetARN"]; ok {
			h.NotificationTargetARN = v[0]
		}
		if v, ok := f["RoleARN"]; ok {
			h.RoleARN = v[0]
		}
		if v, ok := f["NotificationMetadata"]; ok {
			h.NotificationMetadata = v[0]
		}
		reply("")
	case "DeleteLifecycleHook":
		key := gname + "/" + f.Get("LifecycleHookName")
		if a.hooks[key] == nil {
			errf("ValidationError", "No Lifecycle Hook found with name %s for group %s", f.Get("LifecycleHookName"), gname)
			return true
		}
		delete(a.hooks, key)
		reply("")
	case "CreateOrUpdateTags", "DeleteTags":
		for _, p := range queryMembers(f, "Tags") {
			x := a.groups[f.Get(p+"ResourceId")]
			if x == nil || f.Get(p+"ResourceType") != "auto-scaling-group" {
				errf("ValidationError", "AutoScalingGroup name not found - %s", f.Get(p+"ResourceId"))
				return true
			}
		}
		for _, p := range queryMembers(f, "Tags") {
			x := a.groups[f.Get(p+"ResourceId")]
			if action == "DeleteTags" {
				delete(x.Tags, f.Get(p+"Key"))
				continue
			}
			x.Tags[f.Get(p+"Key")] = AutoScalingTag{Key: f.Get(p + "Key"), Value: f.Get(p + "Value"), PropagateAtLaunch: formBool(f.Get(p + "PropagateAtLaunch"))}
		}
		reply("")
	default:
		return false
	}
	return true
}

// setGroup applies Create/UpdateAutoScalingGroup's settings to g; a
// non-empty answer is a validation error.
func (a *AutoScaling) setGroup(g *AutoScalingGroup, f url.Values, create bool) string {
	if v := f.Get("LaunchConfigurationName"); v != "" {
		if a.lcs[v] == nil {
			return "Launch configuration name not found - Launch configuration " + v + " not found"
		}
		g.LaunchConfig = v
	} else if create {
		return "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter."
	}
	intArg := func(k string, p *int) {
		if v := f.Get(k); v != "" {
			*p = atoiOr(v, *p)
		}
	}
	_, hasDesired := f["DesiredCapacity"]
	intArg("MinSize", &g.MinSize)
	intArg("MaxSize", &g.MaxSize)
	intArg("DesiredCapacity", &g.DesiredCapacity)
	intArg("DefaultCooldown", &g.DefaultCooldown)
	intArg("HealthCheckGracePeriod", &g.HealthCheckGrace)
	if create && (f.Get("MinSize") == "" || f.Get("MaxSize") == "") {
		return "MinSize and MaxSize are required"
	}
	if create && !hasDesired {
		g.DesiredCapacity = g.MinSize
	}
	if g.MinSize > g.MaxSize {
		return fmt.Sprintf("Max bound, %d, must be greater than or equal to min bound, %d", g.MaxSize, g.MinSize)
	}
	if g.DesiredCapacity < g.MinSize || g.DesiredCapacity > g.MaxSize {
		return fmt.Sprintf("Desired capacity:%d must be between the specified min size:%d and max size:%d", g.DesiredCapacity, g.MinSize, g.MaxSize)
	}
	if v := f.Get("HealthCheckType"); v != "" {
		g.HealthCheckType = v
	}
	if v := f.Get("PlacementGroup"); v != "" {
		g.PlacementGroup = v
	}
	if v, ok := f["VPCZoneIdentifier"]; ok {
		g.VPCZoneIdentifier = v[0]
	}
	if z := queryList(f, "AvailabilityZones"); len(z) > 0 {
		g.AvailabilityZones = z
	} else if create && g.VPCZoneIdentifier == "" {
		return "At least one Availability Zone or VPC Subnet is required."
	}
	if create && len(g.AvailabilityZones) == 0 {
		for i := range strings.Split(g.VPCZoneIdentifier, ",") {
			g.AvailabilityZones = append(g.AvailabilityZones, "us-east-1"+string(rune('a'+i%6)))
		}
	}
	if t := queryList(f, "TerminationPolicies"); len(t) > 0 {
		g.TerminationPolicies = t
	} else if create {
		g.TerminationPolicies = []string{"Default"}
	}
	return ""
}

func (lc *AutoScalingLaunchConfig) xml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<member><LaunchConfigurationName>%s</LaunchConfigurationName><LaunchConfigurationARN>arn:aws:autoscaling:us-east-1:123456789012:launchConfiguration:%s:launchConfigurationName/%s</LaunchConfigurationARN>",
		xmlText(lc.Name), sqsRandomID(), xmlText(lc.Name))
	fmt.Fprintf(&b, "<ImageId>%s</ImageId><InstanceType>%s</InstanceType><KeyName>%s</KeyName><SecurityGroups>%s</SecurityGroups><UserData>%s</UserData>",
		xmlText(lc.ImageID), xmlText(lc.InstanceType), xmlText(lc.KeyName), xmlMembers(lc.SecurityGroups), xmlText(lc.UserData))
	if lc.KernelID != "" {
		fmt.Fprintf(&b, "<KernelId>%s</KernelId>", xmlText(lc.KernelID))
	}
	if lc.RamdiskID != "" {
		fmt.Fprintf(&b, "<RamdiskId>%s</RamdiskId>", xmlText(lc.RamdiskID))
	}
	if lc.SpotPrice != "" {
		fmt.Fprintf(&b, "<SpotPrice>%s</SpotPrice>", xmlText(lc.SpotPrice))
	}
	if lc.IamInstanceProfile != "" {
		fmt.Fprintf(&b, "<IamInstanceProfile>%s</IamInstanceProfile>", xmlText(lc.IamInstanceProfile))
	}
	if lc.AssociatePublicIP != nil {
		fmt.Fprintf(&b, "<AssociatePublicIpAddress>%t</AssociatePublicIpAddress>", *lc.AssociatePublicIP)
	}
	b.WriteString("<BlockDeviceMappings>")
	for _, m := range lc.BlockDevices {
		fmt.Fprintf(&b, "<member><DeviceName>%s</DeviceName>", xmlText(m["DeviceName"]))
		if m["VirtualName"] != "" {
			fmt.Fprintf(&b, "<VirtualName>%s</VirtualName>", xmlText(m["VirtualName"]))
		}
		var ebs strings.Builder
		for _, k := range []string{"SnapshotId", "VolumeSize", "VolumeType", "DeleteOnTermination", "Iops", "Encrypted"} {
			if v := m["Ebs."+k]; v != "" {
				fmt.Fprintf(&ebs, "<%s>%s</%s>", k, xmlText(v), k)
			}
		}
		if ebs.Len() > 0 {
			b.WriteString("<Ebs>" + ebs.String() + "</Ebs>")
		}
		b.WriteString("</member>")
	}
	b.WriteString("</BlockDeviceMappings>")
	fmt.Fprintf(&b, "<InstanceMonitoring><Enabled>%t</Enabled></InstanceMonitoring><EbsOptimized>%t</EbsOptimized><CreatedTime>%s</CreatedTime></member>",
		lc.Monitoring, lc.EbsOptimized, lc.Created.Format("2006-01-02T15:04:05.000Z"))
	return b.String()
}

func (g *AutoScalingGroup) xml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<member><AutoScalingGroupName>%s</AutoScalingGroupName><AutoScalingGroupARN>arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:%s:autoScalingGroupName/%s</AutoScalingGroupARN>",
		xmlText(g.Name), sqsRandomID(), xmlText(g.Name))
	fmt.Fprintf(&b, "<LaunchConfigurationName>%s</LaunchConfigurationName><MinSize>%d</MinSize><MaxSize>%d</MaxSize><DesiredCapacity>%d</DesiredCapacity><DefaultCooldown>%d</DefaultCooldown>",
		xmlText(g.LaunchConfig), g.MinSize, g.MaxSize, g.DesiredCapacity, g.DefaultCooldown)
	fmt.Fprintf(&b, "<AvailabilityZones>%s</AvailabilityZones><LoadBalancerNames>%s</LoadBalancerNames><TargetGroupARNs></TargetGroupARNs><HealthCheckType>%s</HealthCheckType><HealthCheckGracePeriod>%d</HealthCheckGracePeriod>",
		xmlMembers(g.AvailabilityZones), xmlMembers(g.LoadBalancers), xmlText(g.HealthCheckType), g.HealthCheckGrace)
	fmt.Fprintf(&b, "<Instances></Instances><CreatedTime>%s</CreatedTime><SuspendedProcesses></SuspendedProcesses><VPCZoneIdentifier>%s</VPCZoneIdentifier><EnabledMetrics></EnabledMetrics>",
		g.Created.Format("2006-01-02T15:04:05.000Z"), xmlText(g.VPCZoneIdentifier))
	if g.PlacementGroup != "" {
		fmt.Fprintf(&b, "<PlacementGroup>%s</PlacementGroup>", xmlText(g.PlacementGroup))
	}
	b.WriteString("<Tags>")
	keys := make([]string, 0, len(g.Tags))
	for k := range g.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t := g.Tags[k]
		fmt.Fprintf(&b, "<member><ResourceId>%s</ResourceId><ResourceType>auto-scaling-group</ResourceType><Key>%s</Key><Value>%s</Value><PropagateAtLaunch>%t</PropagateAtLaunch></member>",
			xmlText(g.Name), xmlText(t.Key), xmlText(t.Value), t.PropagateAtLaunch)
	}
	b.WriteString("</Tags><TerminationPolicies>" + xmlMembers(g.TerminationPolicies) + "</TerminationPolicies>")
	b.WriteString("<NewInstancesProtectedFromScaleIn>false</NewInstancesProtectedFromScaleIn></member>")
	return b.String()
}
