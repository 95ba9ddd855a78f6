package states

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[lcPresentArgs]{
		Name: "boto_lc.present",
		Doc: `Ensure an Auto Scaling launch configuration exists. Launch configurations can not be changed: one that exists is left as it is (boto_asg.present's launch_config names a new one when its settings change).

image_id (required), instance_type (default m1.small), key_name, security_groups (names are turned into ids when vpc_id or vpc_name is given), user_data, kernel_id, ramdisk_id, block_device_mappings (a list of {device: {size, volume_type, iops, delete_on_termination, snapshot_id, encrypted, ephemeral_name, no_device}}), delete_on_termination (default of the mappings), instance_monitoring, spot_price, instance_profile_name, ebs_optimized, associate_public_ip_address. cloud_init is not supported.
Connection: region, keyid, key, profile, else the options asg.region, asg.keyid, asg.key, else the standard AWS chain.
Changes: {"old": {"launch_config": null}, "new": {"launch_config": name}}.`,
		Apply: botoLCPresent,
	})
	RegisterTyped(Typed[lcAbsentArgs]{
		Name: "boto_lc.absent",
		Doc: `Ensure an Auto Scaling launch configuration does not exist (AWS refuses while a group uses it).
Changes: {"old": {"launch_config": name}, "new": {"launch_config": null}}.`,
		Apply: botoLCAbsent,
	})
}

// lcPresentArgs are boto_lc.present's arguments.
type lcPresentArgs struct {
	AWSArgs
	ImageID             string   `salt:"image_id,required"`
	KeyName             string   `salt:"key_name"`
	VPCID               string   `salt:"vpc_id"`
	VPCName             string   `salt:"vpc_name"`
	SecurityGroups      []string `salt:"security_groups"`
	UserData            string   `salt:"user_data"`
	CloudInit           any      `salt:"cloud_init"`
	InstanceType        string   `salt:"instance_type" default:"m1.small"`
	KernelID            string   `salt:"kernel_id"`
	RamdiskID           string   `salt:"ramdisk_id"`
	BlockDeviceMappings any      `salt:"block_device_mappings"`
	DeleteOnTermination *bool    `salt:"delete_on_termination"`
	InstanceMonitoring  bool     `salt:"instance_monitoring"`
	SpotPrice           string   `salt:"spot_price"`
	InstanceProfileName string   `salt:"instance_profile_name"`
	EbsOptimized        bool     `salt:"ebs_optimized"`
	AssociatePublicIP   *bool    `salt:"associate_public_ip_address"`

	devices []astypes.BlockDeviceMapping
}

type lcAbsentArgs struct {
	AWSArgs
}

// Validate reads the block device mappings.
func (a *lcPresentArgs) Validate() error {
	if a.CloudInit != nil {
		return ArgErrorf("cloud_init", "is not supported by Brine's boto_lc.present (give user_data)")
	}
	if a.VPCID != "" && a.VPCName != "" {
		return ArgErrorf("vpc_name", "and vpc_id are mutually exclusive")
	}
	a.SecurityGroups = commaList(a.SecurityGroups)
	return argItems("block_device_mappings", a.BlockDeviceMappings, func(outer *argItem) error {
		for dev, v := range outer.m {
			outer.used[dev] = true
			it, err := newArgItem("block_device_mappings", -1, v)
			if err != nil {
				return ArgErrorf("block_device_mappings", "device %s must be a mapping, got %s", dev, coerce.Describe(v))
			}
			it.where = "device " + dev + " "
			m := astypes.BlockDeviceMapping{DeviceName: aws.String(dev)}
			if n := it.str("ephemeral_name", ""); n != "" {
				m.VirtualName = aws.String(n)
			}
			if it.boolean("no_device", false) {
				m.NoDevice = aws.Bool(true)
			}
			ebs := &astypes.Ebs{}
			used := false
			if it.has("size") {
				ebs.VolumeSize, used = aws.Int32(int32(it.integer("size", 0))), true
			}
			if s := it.str("volume_type", ""); s != "" {
				ebs.VolumeType, used = aws.String(s), true
			}
			if it.has("iops") {
				ebs.Iops, used = aws.Int32(int32(it.integer("iops", 0))), true
			}
			if s := it.str("snapshot_id", ""); s != "" {
				ebs.SnapshotId, used = aws.String(s), true
			}
			if it.has("encrypted") {
				ebs.Encrypted, used = aws.Bool(it.boolean("encrypted", false)), true
			}
			if it.has("delete_on_termination") {
				ebs.DeleteOnTermination, used = aws.Bool(it.boolean("delete_on_termination", false)), true
			} else if a.DeleteOnTermination != nil && used {
				ebs.DeleteOnTermination = aws.Bool(*a.DeleteOnTermination)
			}
			if used {
				m.Ebs = ebs
			}
			if err := it.done(); err != nil {
				return err
			}
			a.devices = append(a.devices, m)
		}
		return nil
	})
}

func asgClient(conn *awsConn) *autoscaling.Client {
	return autoscaling.NewFromConfig(conn.Config, func(o *autoscaling.Options) {
		if conn.Endpoint != nil {
			o.BaseEndpoint = conn.Endpoint
		}
	})
}

// lcExists reports whether the launch configuration exists.
func lcExists(ctx context.Context, c *autoscaling.Client, name string) (bool, error) {
	out, err := c.DescribeLaunchConfigurations(ctx, &autoscaling.DescribeLaunchConfigurationsInput{LaunchConfigurationNames: []string{name}})
	if err != nil {
		return false, err
	}
	return len(out.LaunchConfigurations) > 0, nil
}

// lcStep is the step creating the launch configuration name from a
// (nil when it exists). Security group names are turned into ids in vpcID
// (or the VPC named vpcName); in test mode a group not created yet is
// reported, not an error.
func lcStep(ctx context.Context, env *Env, call Call, c *autoscaling.Client, conn *awsConn, name string, a *lcPresentArgs) (*awsStep, *Result) {
	exists, err := lcExists(ctx, c, name)
	if err != nil {
		r := conn.awsFail(call.Name, "describe launch configuration "+name, err)
		return nil, &r
	}
	if exists {
		return nil, nil
	}
	groups := a.SecurityGroups
	note := ""
	if len(groups) > 0 && (a.VPCID != "" || a.VPCName != "") && hasNames(groups) {
		ec2c, ec2conn, err := ec2Lookup(ctx, env, a.AWSArgs)
		if err != nil {
			r := fail(call.Name, "State '%s' (%s): %v", call.ID, call.Fun, err)
			return nil, &r
		}
		vpcID, err := findVPC(ctx, ec2c, a.VPCID, a.VPCName)
		if err != nil {
			r := ec2conn.awsFail(call.Name, "look up the VPC", err)
			return nil, &r
		}
		ids, missing, err := secgroupIDs(ctx, ec2c, groups, vpcID)
		if err != nil {
			r := ec2conn.awsFail(call.Name, "look up security groups", err)
			return nil, &r
		}
		if len(missing) > 0 {
			if !call.Test {
				r := fail(call.Name, "Security groups %s do not map to valid security group ids in VPC %s.", strings.Join(missing, ", "), vpcID)
				return nil, &r
			}
			note = fmt.Sprintf(" (security groups %s do not exist yet)", strings.Join(missing, ", "))
		}
		groups = ids
	}
	in := &autoscaling.CreateLaunchConfigurationInput{
		LaunchConfigurationName: aws.String(name), ImageId: aws.String(a.ImageID), InstanceType: aws.String(a.InstanceType),
		SecurityGroups: groups, BlockDeviceMappings: a.devices, InstanceMonitoring: &astypes.InstanceMonitoring{Enabled: aws.Bool(a.InstanceMonitoring)},
		EbsOptimized: aws.Bool(a.EbsOptimized), AssociatePublicIpAddress: a.AssociatePublicIP,
	}
	for _, s := range []struct {
		dst **string
		v   string
	}{{&in.KeyName, a.KeyName}, {&in.KernelId, a.KernelID}, {&in.RamdiskId, a.RamdiskID}, {&in.SpotPrice, a.SpotPrice}, {&in.IamInstanceProfile, a.InstanceProfileName}} {
		if s.v != "" {
			*s.dst = aws.String(s.v)
		}
	}
	if a.UserData != "" {
		in.UserData = aws.String(base64.StdEncoding.EncodeToString([]byte(a.UserData)))
	}
	return &awsStep{aspect: "launch_config", old: nil, new: name, would: "Launch configuration " + name + " set to be created." + note,
		doing: "create launch configuration " + name,
		apply: func(ctx context.Context) error { _, err := c.CreateLaunchConfiguration(ctx, in); return err }}, nil
}

func botoLCPresent(ctx context.Context, env *Env, call Call, a *lcPresentArgs) Result {
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "asg")
	if err != nil {
		return fail(call.Name, "State '%s' (boto_lc.present): %v", call.ID, err)
	}
	c := asgClient(conn)
	step, failed := lcStep(ctx, env, call, c, conn, call.Name, a)
	if failed != nil {
		return *failed
	}
	plan := &awsPlan{}
	if step != nil {
		step.would = "Launch configuration set to be created." + strings.TrimPrefix(step.would, "Launch configuration "+call.Name+" set to be created.")
		plan.add(*step)
	}
	return plan.run(ctx, conn, call, "Launch configuration present.", "Created launch configuration.")
}

func botoLCAbsent(ctx context.Context, env *Env, call Call, a *lcAbsentArgs) Result {
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "asg")
	if err != nil {
		return fail(call.Name, "State '%s' (boto_lc.absent): %v", call.ID, err)
	}
	c := asgClient(conn)
	exists, err := lcExists(ctx, c, call.Name)
	if err != nil {
		return conn.awsFail(call.Name, "describe launch configuration "+call.Name, err)
	}
	plan := &awsPlan{}
	if exists {
		plan.add(awsStep{aspect: "launch_config", old: call.Name, new: nil, would: "Launch configuration set to be deleted.",
			doing: "delete launch configuration " + call.Name,
			apply: func(ctx context.Context) error {
				_, err := c.DeleteLaunchConfiguration(ctx, &autoscaling.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String(call.Name)})
				return err
			}})
	}
	return plan.run(ctx, conn, call, "Launch configuration does not exist.", "Deleted launch configuration.")
}
