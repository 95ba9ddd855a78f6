package states

import (
	"fmt"
	"strings"
	"testing"
)

func seedASGArgs() map[string]any {
	return map[string]any{
		"launch_config_name":  "webhost",
		"desired_capacity":    2,
		"max_size":            10,
		"min_size":            2,
		"default_cooldown":    1500,
		"vpc_zone_identifier": []any{"subnet-1", "subnet-2", "subnet-3"},
		"load_balancers":      []any{"MY-ELB"},
		"launch_config": []any{
			map[string]any{"image_id": "ami-1234567"},
			map[string]any{"key_name": "salt_master"},
			map[string]any{"instance_type": "t2.small"},
			map[string]any{"security_groups": []any{"sg-webhost", "sg-default"}},
			map[string]any{"region": "us-east-1"},
		},
		"scaling_policies": []any{
			map[string]any{"name": "webhost_scale_up", "adjustment_type": "ChangeInCapacity", "as_name": "app-hosts", "scaling_adjustment": 1},
			map[string]any{"name": "webhost_scale_down", "adjustment_type": "ChangeInCapacity", "as_name": "app-hosts", "scaling_adjustment": -1},
		},
		"notification_arn":   "arn:aws:sns:us-east-1:123456789012:scale",
		"notification_types": []any{"autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"},
		"lifecycle_hooks": []any{
			map[string]any{"name": "launch", "transition": "autoscaling:EC2_INSTANCE_LAUNCHING", "heartbeat_timeout": 300,
				"notification_target_arn": "arn:aws:sqs:us-east-1:123456789012:salt", "role_arn": "arn:aws:iam::123456789012:role/hooks"},
		},
		"tags": []any{map[string]any{"key": "env", "value": "prod", "propagate_at_launch": true}},
	}
}

func TestBotoASGPresentCycle(t *testing.T) {
	r := newStackRig(t)
	snap := func() string {
		return fmt.Sprintf("%+v %v %+v %+v", r.as.Group("app-hosts"), r.as.LaunchConfigs(), r.as.Policy("app-hosts", "webhost_scale_up"), r.as.Hook("app-hosts", "launch"))
	}
	first := cycle(t, r.env, "boto_asg.present", "app-hosts", r.args(seedASGArgs()), snap)
	noSecret(t, first)
	g := r.as.Group("app-hosts")
	lcs := r.as.LaunchConfigs()
	if g == nil || len(lcs) != 1 || !strings.HasPrefix(lcs[0], "webhost-") || g.LaunchConfig != lcs[0] || g.MinSize != 2 || g.MaxSize != 10 ||
		g.DesiredCapacity != 2 || g.DefaultCooldown != 1500 || g.VPCZoneIdentifier != "subnet-1,subnet-2,subnet-3" || len(g.LoadBalancers) != 1 ||
		g.Tags["env"].Value != "prod" || !g.Tags["env"].PropagateAtLaunch || len(g.Notifications["arn:aws:sns:us-east-1:123456789012:scale"]) != 2 {
		t.Fatalf("group %+v, launch configurations %v", g, lcs)
	}
	if lc := r.as.LaunchConfig(lcs[0]); lc.ImageID != "ami-1234567" || lc.InstanceType != "t2.small" || lc.KeyName != "salt_master" || len(lc.SecurityGroups) != 2 {
		t.Fatalf("launch configuration %+v", lc)
	}
	if p := r.as.Policy("app-hosts", "webhost_scale_down"); p == nil || p.ScalingAdjustment != -1 {
		t.Fatalf("policy %+v", p)
	}
	if h := r.as.Hook("app-hosts", "launch"); h == nil || h.HeartbeatTimeout != 300 || h.NotificationTargetARN == "" || h.RoleARN == "" {
		t.Fatalf("hook %+v", h)
	}

	// Re-applying makes only Describe calls.
	before, _ := r.mutatingCalls()
	want(t, apply(t, r.env, "boto_asg.present", "app-hosts", r.args(seedASGArgs()), false), True(), false, "Autoscale group present.")
	if after, names := r.mutatingCalls(); after != before {
		t.Errorf("no-op run made changing calls: %v", names)
	}

	// Change the size, one policy and the instance type: a new launch
	// configuration, the old one deleted, only those changes.
	args := seedASGArgs()
	args["desired_capacity"] = 4
	args["launch_config"].([]any)[2] = map[string]any{"instance_type": "t3.small"}
	args["scaling_policies"] = []any{args["scaling_policies"].([]any)[0]}
	res := apply(t, r.env, "boto_asg.present", "app-hosts", r.args(args), true)
	want(t, res, nil, true, "set to be created", "Autoscale group set to be updated (desired_capacity, launch_config_name)", "delete webhost_scale_down")
	if snap() == "" || r.as.Group("app-hosts").DesiredCapacity != 2 {
		t.Fatal("test mode changed the group")
	}
	res = apply(t, r.env, "boto_asg.present", "app-hosts", r.args(args), false)
	want(t, res, True(), true, "Updated autoscale group.")
	newM := res.Changes["new"].(map[string]any)
	if _, ok := newM["tags"]; ok {
		t.Errorf("tags reported changed: %v", res.Changes)
	}
	g = r.as.Group("app-hosts")
	lcs = r.as.LaunchConfigs()
	if g.DesiredCapacity != 4 || len(lcs) != 1 || g.LaunchConfig != lcs[0] || r.as.LaunchConfig(lcs[0]).InstanceType != "t3.small" ||
		r.as.Policy("app-hosts", "webhost_scale_down") != nil || r.as.Policy("app-hosts", "webhost_scale_up") == nil {
		t.Fatalf("after update: group %+v, launch configurations %v", g, lcs)
	}
	want(t, apply(t, r.env, "boto_asg.present", "app-hosts", r.args(args), false), True(), false)

	// absent, with its launch configuration.
	want(t, apply(t, r.env, "boto_asg.absent", "app-hosts", r.args(map[string]any{"remove_lc": true}), true), nil, true, "Autoscale group set to be deleted.")
	want(t, apply(t, r.env, "boto_asg.absent", "app-hosts", r.args(map[string]any{"remove_lc": true}), false), True(), true, "Deleted autoscale group.")
	if r.as.Group("app-hosts") != nil || len(r.as.LaunchConfigs()) != 0 {
		t.Fatalf("left: %v %v", r.as.Groups(), r.as.LaunchConfigs())
	}
	want(t, apply(t, r.env, "boto_asg.absent", "app-hosts", r.args(nil), false), True(), false, "Autoscale group does not exist.")
}

func TestBotoASGErrors(t *testing.T) {
	r := newStackRig(t)
	cases := []struct {
		name string
		edit func(a map[string]any)
		subs []string
	}{
		{"sizes", func(a map[string]any) { a["max_size"] = 1 }, []string{"argument 'max_size' must be at least min_size (2), got 1"}},
		{"policy without adjustment", func(a map[string]any) {
			a["scaling_policies"] = []any{map[string]any{"name": "up", "adjustment_type": "ChangeInCapacity"}}
		}, []string{"argument 'scaling_policies' item 1 key 'scaling_adjustment' is required"}},
		{"policy of another group", func(a map[string]any) {
			a["scaling_policies"] = []any{map[string]any{"name": "up", "adjustment_type": "ChangeInCapacity", "scaling_adjustment": 1, "as_name": "other"}}
		}, []string{"key 'as_name' names group other"}},
		{"launch config typo", func(a map[string]any) {
			a["launch_config"] = []any{map[string]any{"image_id": "ami-1"}, map[string]any{"instance_typ": "t2.small"}}
		}, []string{"argument 'launch_config'", "instance_typ", "instance_type"}},
		{"launch config without image", func(a map[string]any) {
			a["launch_config"] = []any{map[string]any{"instance_type": "t2.small"}}
		}, []string{"argument 'launch_config' key 'image_id'"}},
		{"hook transition", func(a map[string]any) {
			a["lifecycle_hooks"] = []any{map[string]any{"name": "x", "transition": "launch"}}
		}, []string{"argument 'lifecycle_hooks' item 1 key 'transition' must be"}},
		{"suspended processes", func(a map[string]any) { a["suspended_processes"] = []any{"Launch"} }, []string{"'suspended_processes' is not supported"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := seedASGArgs()
			tc.edit(a)
			wantFail(t, apply(t, r.env, "boto_asg.present", "app-hosts", r.args(a), false), tc.subs...)
		})
	}
	if n, names := r.mutatingCalls(); n != 0 {
		t.Fatalf("bad arguments reached AWS: %v", names)
	}
	r.as.FailAction("CreateAutoScalingGroup", "LimitExceeded", "You have reached your limit of 200 groups")
	res := apply(t, r.env, "boto_asg.present", "app-hosts", r.args(seedASGArgs()), false)
	wantFail(t, res, "Failed to create autoscale group app-hosts: LimitExceeded: You have reached your limit of 200 groups")
	noSecret(t, res)
	if r.as.Group("app-hosts") != nil {
		t.Fatal("group created despite the error")
	}
}

func TestBotoLC(t *testing.T) {
	r := newStackRig(t)
	args := map[string]any{"image_id": "ami-1", "instance_type": "t2.micro", "user_data": "#!/bin/sh\necho hi\n",
		"block_device_mappings": []any{map[string]any{"/dev/sda1": map[string]any{"size": 50, "volume_type": "gp2", "delete_on_termination": true}}}}
	snap := func() string { return fmt.Sprint(r.as.LaunchConfigs()) }
	first := cycle(t, r.env, "boto_lc.present", "lc-1", r.args(args), snap)
	want(t, first, True(), true, "Created launch configuration.")
	lc := r.as.LaunchConfig("lc-1")
	if lc == nil || lc.UserData != "IyEvYmluL3NoCmVjaG8gaGkK" || len(lc.BlockDevices) != 1 || lc.BlockDevices[0]["Ebs.VolumeSize"] != "50" {
		t.Fatalf("launch configuration %+v", lc)
	}
	args["block_device_mappings"] = []any{map[string]any{"/dev/sda1": map[string]any{"sise": 50}}}
	wantFail(t, apply(t, r.env, "boto_lc.present", "lc-2", r.args(args), false), "device /dev/sda1 has unknown key(s) 'sise'")
	want(t, apply(t, r.env, "boto_lc.absent", "lc-1", r.args(nil), true), nil, true, "Launch configuration set to be deleted.")
	want(t, apply(t, r.env, "boto_lc.absent", "lc-1", r.args(nil), false), True(), true, "Deleted launch configuration.")
	want(t, apply(t, r.env, "boto_lc.absent", "lc-1", r.args(nil), false), True(), false, "Launch configuration does not exist.")
}

// TestBotoASGLaunchConfigGroupNames: the launch configuration's security
// groups are looked up in the VPC of the group's subnets.
func TestBotoASGLaunchConfigGroupNames(t *testing.T) {
	r := newStackRig(t)
	_, subnets, groups := r.network(t)
	args := seedASGArgs()
	args["vpc_zone_identifier"] = strings.Join(subnets, ",")
	args["launch_config"].([]any)[3] = map[string]any{"security_groups": []any{"webhost", "default"}}
	want(t, apply(t, r.env, "boto_asg.present", "app-hosts", r.args(args), false), True(), true)
	lc := r.as.LaunchConfig(r.as.Group("app-hosts").LaunchConfig)
	if lc == nil || !sameSet(lc.SecurityGroups, []string{groups["webhost"], groups["default"]}) {
		t.Fatalf("launch configuration %+v, groups %v", lc, groups)
	}
	want(t, apply(t, r.env, "boto_asg.present", "app-hosts", r.args(args), false), True(), false)
}
