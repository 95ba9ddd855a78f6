package fakeaws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	"github.com/aws/smithy-go"
)

// The fakes are exercised through the real SDK clients: what the SDK
// sends, they must read, and what they answer, the SDK must decode.

func sdkConfig(t *testing.T, h http.Handler) (aws.Config, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""),
	}, srv.URL
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return "not an API error: " + err.Error()
}

func TestCloudWatchAlarmsThroughSDK(t *testing.T) {
	fake := NewCloudWatch()
	cfg, url := sdkConfig(t, fake)
	c := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	_, err := c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("cpu-high"), MetricName: aws.String("CPUUtilization"), Namespace: aws.String("AWS/EC2"),
		Statistic: cwtypes.StatisticAverage, ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		Threshold: aws.Float64(70.5), Period: aws.Int32(60), EvaluationPeriods: aws.Int32(5),
		AlarmActions: []string{"arn:a", "arn:b"}, AlarmDescription: aws.String("up"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("AutoScalingGroupName"), Value: aws.String("app")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu-high", "other"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("alarms: %+v", out.MetricAlarms)
	}
	a := out.MetricAlarms[0]
	if aws.ToString(a.AlarmName) != "cpu-high" || aws.ToFloat64(a.Threshold) != 70.5 || aws.ToInt32(a.Period) != 60 ||
		aws.ToInt32(a.EvaluationPeriods) != 5 || a.Statistic != cwtypes.StatisticAverage ||
		a.ComparisonOperator != cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold || len(a.AlarmActions) != 2 ||
		len(a.Dimensions) != 1 || aws.ToString(a.Dimensions[0].Value) != "app" || a.StateUpdatedTimestamp == nil {
		t.Fatalf("alarm read back wrong: %+v", a)
	}
	// A bad statistic is refused as CloudWatch refuses it.
	_, err = c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("bad"), MetricName: aws.String("m"), Namespace: aws.String("n"),
		Statistic: "Median", ComparisonOperator: cwtypes.ComparisonOperatorLessThanThreshold,
		Threshold: aws.Float64(1), Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
	})
	if err == nil || apiCode(err)[:15] != "ValidationError" {
		t.Fatalf("bad statistic: %v", err)
	}
	fake.Fail("DescribeAlarms", "Throttling", "Rate exceeded")
	if _, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 }); err == nil || apiCode(err) != "Throttling: Rate exceeded" {
		t.Fatalf("injected failure: %v", err)
	}
	if _, err := c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"cpu-high"}}); err != nil {
		t.Fatal(err)
	}
	if fake.Alarm("cpu-high") != nil || fake.Calls("PutMetricAlarm") != 2 {
		t.Fatalf("after delete: %v, %d puts", fake.Names(), fake.Calls("PutMetricAlarm"))
	}
}

func TestELBThroughSDK(t *testing.T) {
	fake := NewELB()
	cfg, url := sdkConfig(t, fake)
	c := elb.NewFromConfig(cfg, func(o *elb.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		LoadBalancerName: aws.String("web"), Subnets: []string{"subnet-1", "subnet-2"}, SecurityGroups: []string{"sg-1"},
		Listeners: []elbtypes.Listener{
			{Protocol: aws.String("HTTPS"), LoadBalancerPort: 443, InstanceProtocol: aws.String("HTTPS"), InstancePort: aws.Int32(443), SSLCertificateId: aws.String("arn:cert")},
			{Protocol: aws.String("HTTP"), LoadBalancerPort: 80, InstancePort: aws.Int32(80)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerName: aws.String("web"),
		LoadBalancerAttributes: &elbtypes.LoadBalancerAttributes{CrossZoneLoadBalancing: &elbtypes.CrossZoneLoadBalancing{Enabled: true}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerNames: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.LoadBalancerDescriptions[0]
	if len(d.ListenerDescriptions) != 2 || aws.ToString(d.ListenerDescriptions[0].Listener.SSLCertificateId) != "arn:cert" ||
		len(d.Subnets) != 2 || d.SecurityGroups[0] != "sg-1" || aws.ToString(d.HealthCheck.Target) != "TCP:443" {
		t.Fatalf("described: %+v", d)
	}
	attrs, err := c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerName: aws.String("web")})
	if err != nil || !attrs.LoadBalancerAttributes.CrossZoneLoadBalancing.Enabled {
		t.Fatalf("attributes: %+v, %v", attrs, err)
	}
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerNames: []string{"nope"}})
	var nf *elbtypes.AccessPointNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("missing load balancer: %v", err)
	}
	if _, err := c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerName: aws.String("web")}); err != nil || fake.LoadBalancer("web") != nil {
		t.Fatalf("delete: %v", err)
	}
}

func TestAutoScalingResourcesThroughSDK(t *testing.T) {
	fake := NewAutoScaling()
	cfg, url := sdkConfig(t, fake)
	c := autoscaling.NewFromConfig(cfg, func(o *autoscaling.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	if _, err := c.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{
		LaunchConfigurationName: aws.String("lc-1"), ImageId: aws.String("ami-1"), InstanceType: aws.String("t2.small"), SecurityGroups: []string{"sg-1"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("app"), LaunchConfigurationName: aws.String("lc-1"), MinSize: aws.Int32(2), MaxSize: aws.Int32(10),
		DesiredCapacity: aws.Int32(2), DefaultCooldown: aws.Int32(1500), VPCZoneIdentifier: aws.String("subnet-1,subnet-2"), LoadBalancerNames: []string{"web"},
		Tags: []astypes.Tag{{Key: aws.String("env"), Value: aws.String("prod"), PropagateAtLaunch: aws.Bool(true)}},
	}); err != nil {
		t.Fatal(err)
	}
	p, err := c.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String("app"), PolicyName: aws.String("up"),
		AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	pols, err := c.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String("app")})
	if err != nil || len(pols.ScalingPolicies) != 1 || aws.ToString(pols.ScalingPolicies[0].PolicyARN) != aws.ToString(p.PolicyARN) {
		t.Fatalf("policies: %+v %v", pols, err)
	}
	if _, err := c.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{AutoScalingGroupName: aws.String("app"), LifecycleHookName: aws.String("launch"),
		LifecycleTransition: aws.String("autoscaling:EC2_INSTANCE_LAUNCHING"), NotificationTargetARN: aws.String("arn:sqs"), RoleARN: aws.String("arn:role"), HeartbeatTimeout: aws.Int32(300)}); err != nil {
		t.Fatal(err)
	}
	hooks, err := c.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String("app")})
	if err != nil || len(hooks.LifecycleHooks) != 1 || aws.ToString(hooks.LifecycleHooks[0].NotificationTargetARN) != "arn:sqs" {
		t.Fatalf("hooks: %+v %v", hooks, err)
	}
	if _, err := c.PutNotificationConfiguration(ctx, &autoscaling.PutNotificationConfigurationInput{AutoScalingGroupName: aws.String("app"),
		TopicARN: aws.String("arn:sns"), NotificationTypes: []string{"autoscaling:EC2_INSTANCE_LAUNCH"}}); err != nil {
		t.Fatal(err)
	}
	groups, err := c.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"app"}})
	if err != nil || len(groups.AutoScalingGroups) != 1 {
		t.Fatalf("groups: %+v %v", groups, err)
	}
	g := groups.AutoScalingGroups[0]
	if aws.ToInt32(g.MinSize) != 2 || aws.ToInt32(g.DefaultCooldown) != 1500 || aws.ToString(g.VPCZoneIdentifier) != "subnet-1,subnet-2" ||
		len(g.LoadBalancerNames) != 1 || len(g.Tags) != 1 || aws.ToString(g.LaunchConfigurationName) != "lc-1" {
		t.Fatalf("group: %+v", g)
	}
	notes, err := c.DescribeNotificationConfigurations(ctx, &autoscaling.DescribeNotificationConfigurationsInput{AutoScalingGroupNames: []string{"app"}})
	if err != nil || len(notes.NotificationConfigurations) != 1 {
		t.Fatalf("notifications: %+v %v", notes, err)
	}
	if _, err := c.DeleteLaunchConfiguration(ctx, &autoscaling.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String("lc-1")}); err == nil || apiCode(err)[:13] != "ResourceInUse" {
		t.Fatalf("deleting a launch configuration in use: %v", err)
	}
	if _, err := c.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("app"), ForceDelete: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if fake.Group("app") != nil || fake.Policy("app", "up") != nil || fake.Hook("app", "launch") != nil {
		t.Fatal("group's resources left after delete")
	}
}
