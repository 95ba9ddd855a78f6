package states

import (
	"fmt"
	"strings"
	"testing"
)

func seedAlarmArgs(threshold float64, policy string) map[string]any {
	return map[string]any{"attributes": map[string]any{
		"metric": "CPUUtilization", "namespace": "AWS/EC2", "statistic": "Average", "comparison": ">=",
		"threshold": threshold, "period": 60, "evaluation_periods": 5, "description": "Web hosts scale up alarm",
		"alarm_actions":             []any{"arn:aws:sns:us-east-1:123456789012:alert_salt_web_scale_up", "scaling_policy:app-hosts:" + policy},
		"insufficient_data_actions": []any{}, "ok_actions": []any{},
		"dimensions": map[string]any{"AutoScalingGroupName": []any{"app-hosts"}},
	}}
}

func TestBotoCloudWatchAlarm(t *testing.T) {
	r := newStackRig(t)
	// The policy the alarm names does not exist yet: test mode reports it,
	// a real run refuses (never an alarm without its action).
	res := apply(t, r.env, "boto_cloudwatch_alarm.present", "webhost_cpu_scale_up", r.args(seedAlarmArgs(70, "webhost_scale_up")), true)
	want(t, res, nil, true, "alarm webhost_cpu_scale_up is to be created.", "scaling policies scaling_policy:app-hosts:webhost_scale_up do not exist yet")
	wantFail(t, apply(t, r.env, "boto_cloudwatch_alarm.present", "webhost_cpu_scale_up", r.args(seedAlarmArgs(70, "webhost_scale_up")), false),
		"scaling policies not found: scaling_policy:app-hosts:webhost_scale_up")
	if len(r.cw.Names()) != 0 {
		t.Fatal("alarm created")
	}

	want(t, apply(t, r.env, "boto_asg.present", "app-hosts", r.args(seedASGArgs()), false), True(), true)
	snap := func() string { return fmt.Sprintf("%+v", r.cw.Alarm("webhost_cpu_scale_up")) }
	first := cycle(t, r.env, "boto_cloudwatch_alarm.present", "webhost_cpu_scale_up", r.args(seedAlarmArgs(70, "webhost_scale_up")), snap)
	noSecret(t, first)
	a := r.cw.Alarm("webhost_cpu_scale_up")
	arn := r.as.Policy("app-hosts", "webhost_scale_up").ARN
	if a == nil || a.Threshold != 70 || a.ComparisonOperator != "GreaterThanOrEqualToThreshold" || a.Period != 60 || a.EvaluationPeriods != 5 ||
		a.Dimensions["AutoScalingGroupName"] != "app-hosts" || len(a.AlarmActions) != 2 || a.AlarmActions[1] != arn {
		t.Fatalf("alarm %+v (policy ARN %s)", a, arn)
	}
	// Only the threshold changes.
	res = apply(t, r.env, "boto_cloudwatch_alarm.present", "webhost_cpu_scale_up", r.args(seedAlarmArgs(75, "webhost_scale_up")), false)
	want(t, res, True(), true)
	if got := fmt.Sprint(res.Changes); got != "map[new:map[threshold:75] old:map[threshold:70]]" {
		t.Errorf("changes %s", got)
	}
	if r.cw.Alarm("webhost_cpu_scale_up").Threshold != 75 {
		t.Fatal("threshold not updated")
	}
	// Bad attributes are refused before AWS is called.
	bad := seedAlarmArgs(70, "webhost_scale_up")
	bad["attributes"].(map[string]any)["comparison"] = "=>"
	wantFail(t, apply(t, r.env, "boto_cloudwatch_alarm.present", "x", r.args(bad), false), "argument 'attributes' key 'comparison' must be one of")
	bad = seedAlarmArgs(70, "webhost_scale_up")
	delete(bad["attributes"].(map[string]any), "period")
	wantFail(t, apply(t, r.env, "boto_cloudwatch_alarm.present", "x", r.args(bad), false), "key 'period' is required")
	// An AWS error: code and message, no secret.
	r.cw.Fail("PutMetricAlarm", "LimitExceeded", "The maximum number of alarms has been reached")
	res = apply(t, r.env, "boto_cloudwatch_alarm.present", "webhost_cpu_scale_up", r.args(seedAlarmArgs(80, "webhost_scale_up")), false)
	wantFail(t, res, "Failed to update alarm webhost_cpu_scale_up: LimitExceeded: The maximum number of alarms has been reached")
	noSecret(t, res)

	want(t, apply(t, r.env, "boto_cloudwatch_alarm.absent", "webhost_cpu_scale_up", r.args(nil), true), nil, true, "is set to be removed")
	want(t, apply(t, r.env, "boto_cloudwatch_alarm.absent", "webhost_cpu_scale_up", r.args(nil), false), True(), true)
	res = apply(t, r.env, "boto_cloudwatch_alarm.absent", "webhost_cpu_scale_up", r.args(nil), false)
	want(t, res, True(), false, "webhost_cpu_scale_up does not exist in us-east-1.")
	if !strings.Contains(fmt.Sprint(r.cw.CallCounts()), "DeleteAlarms:1") {
		t.Errorf("calls %v", r.cw.CallCounts())
	}
}
