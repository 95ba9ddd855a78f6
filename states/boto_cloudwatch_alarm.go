package states

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[alarmPresentArgs]{
		Name: "boto_cloudwatch_alarm.present",
		Doc: `Ensure a CloudWatch metric alarm exists with the given attributes.

attributes: {metric, namespace, statistic, comparison (>=, >, <, <= or CloudWatch's operator name), threshold, period, evaluation_periods (all required), unit, description, dimensions (a mapping of name to a value or a one-value list), alarm_actions, insufficient_data_actions, ok_actions}. An action "scaling_policy:<group>:<policy>" is the ARN of that Auto Scaling policy (an error when the policy does not exist, except in test mode when an earlier state of the run creates it). As in Salt, only the attributes given are compared, and an update sends them all (the others go back to CloudWatch's defaults).
Connection: region, keyid, key, profile, else the options cloudwatch.region, cloudwatch.keyid, cloudwatch.key, else the standard AWS chain (policy ARNs: asg.*).
Changes: created {"old": {"alarm": null}, "new": {"alarm": attributes}}; updated {"old": {attribute: was}, "new": {attribute: is}} for each attribute that changed.`,
		Apply: botoAlarmPresent,
	})
	RegisterTyped(Typed[alarmAbsentArgs]{
		Name: "boto_cloudwatch_alarm.absent",
		Doc: `Ensure a CloudWatch alarm does not exist.
Changes: {"old": {"alarm": name}, "new": {"alarm": null}}.`,
		Apply: botoAlarmAbsent,
	})
}

type alarmPresentArgs struct {
	AWSArgs
	Attributes map[string]any `salt:"attributes,required"`

	want alarmSpec
}

type alarmAbsentArgs struct {
	AWSArgs
	Attributes map[string]any `salt:"attributes"` // accepted, as in Salt, and not used
}

// alarmSpec is an alarm's settings, as the state compares them; given
// lists the attributes the state was given.
type alarmSpec struct {
	Metric, Namespace, Statistic, Comparison, Unit, Description string
	Threshold                                                   float64
	Period, EvaluationPeriods                                   int
	Dimensions                                                  map[string]string
	AlarmActions, InsufficientActions, OKActions                []string
	given                                                       map[string]bool
}

var alarmComparisons = map[string]string{
	">=": "GreaterThanOrEqualToThreshold", ">": "GreaterThanThreshold", "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold",
}

// Validate reads the attributes.
func (a *alarmPresentArgs) Validate() error {
	it, err := newArgItem("attributes", -1, a.Attributes)
	if err != nil {
		return err
	}
	w := alarmSpec{given: map[string]bool{}}
	for k := range a.Attributes {
		w.given[k] = true
	}
	w.Metric, w.Namespace, w.Statistic = it.required("metric"), it.required("namespace"), it.required("statistic")
	cmp := it.required("comparison")
	if op, ok := alarmComparisons[cmp]; ok {
		w.Comparison = op
	} else {
		w.Comparison = cmp
		known := false
		for _, op := range alarmComparisons {
			known = known || op == cmp
		}
		if !known && cmp != "" {
			it.fail("comparison", "must be one of >=, >, <, <= (or CloudWatch's operator name), got %q", cmp)
		}
	}
	if th, ok := it.number("threshold"); ok {
		w.Threshold = th
	} else {
		it.fail("threshold", "is required")
	}
	if !it.has("period") {
		it.fail("period", "is required")
	}
	if !it.has("evaluation_periods") {
		it.fail("evaluation_periods", "is required")
	}
	w.Period, w.EvaluationPeriods = it.integer("period", 0), it.integer("evaluation_periods", 0)
	w.Unit, w.Description = it.str("unit", ""), it.str("description", "")
	w.AlarmActions, w.InsufficientActions, w.OKActions = it.strs("alarm_actions"), it.strs("insufficient_data_actions"), it.strs("ok_actions")
	if v, ok := it.get("dimensions"); ok {
		m, ok := coerce.Map(v)
		if !ok {
			it.fail("dimensions", "must be a mapping of dimension names to values, got %s", coerce.Describe(v))
		}
		w.Dimensions = map[string]string{}
		for k, x := range m {
			l, _, ok := coerce.StringList(x)
			if !ok || len(l) != 1 {
				it.fail("dimensions", "%s must be one value (or a list of one), got %s", k, coerce.Describe(x))
				continue
			}
			w.Dimensions[k] = l[0]
		}
	}
	if err := it.done(); err != nil {
		return err
	}
	a.want = w
	return nil
}

func cwClient(conn *awsConn) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(conn.Config, func(o *cloudwatch.Options) {
		if conn.Endpoint != nil {
			o.BaseEndpoint = conn.Endpoint
		}
	})
}

func describeAlarm(ctx context.Context, c *cloudwatch.Client, name string) (*cwtypes.MetricAlarm, error) {
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	if err != nil {
		return nil, err
	}
	for i := range out.MetricAlarms {
		if aws.ToString(out.MetricAlarms[i].AlarmName) == name {
			return &out.MetricAlarms[i], nil
		}
	}
	return nil, nil
}

// alarmOf reads an alarm as the state compares it.
func alarmOf(m *cwtypes.MetricAlarm) alarmSpec {
	s := alarmSpec{Metric: aws.ToString(m.MetricName), Namespace: aws.ToString(m.Namespace), Statistic: string(m.Statistic),
		Comparison: string(m.ComparisonOperator), Unit: string(m.Unit), Description: aws.ToString(m.AlarmDescription),
		Threshold: aws.ToFloat64(m.Threshold), Period: int(aws.ToInt32(m.Period)), EvaluationPeriods: int(aws.ToInt32(m.EvaluationPeriods)),
		Dimensions: map[string]string{}, AlarmActions: m.AlarmActions, InsufficientActions: m.InsufficientDataActions, OKActions: m.OKActions}
	for _, d := range m.Dimensions {
		s.Dimensions[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	return s
}

// fields are the compared attributes, by Salt's name, as comparable text
// and as the value changes show.
func (s alarmSpec) fields() map[string][2]any {
	dims := map[string]any{}
	keys := make([]string, 0, len(s.Dimensions))
	for k, v := range s.Dimensions {
		dims[k] = []any{v}
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	list := func(l []string) [2]any {
		x := append([]string{}, l...)
		sort.Strings(x)
		return [2]any{strings.Join(x, "\x00"), append([]string{}, l...)}
	}
	return map[string][2]any{
		"metric": {s.Metric, s.Metric}, "namespace": {s.Namespace, s.Namespace}, "statistic": {s.Statistic, s.Statistic},
		"comparison": {s.Comparison, s.Comparison}, "unit": {s.Unit, s.Unit}, "description": {s.Description, s.Description},
		"threshold": {strconv.FormatFloat(s.Threshold, 'g', -1, 64), s.Threshold}, "period": {strconv.Itoa(s.Period), s.Period},
		"evaluation_periods": {strconv.Itoa(s.EvaluationPeriods), s.EvaluationPeriods}, "dimensions": {strings.Join(keys, "\x00"), dims},
		"alarm_actions": list(s.AlarmActions), "insufficient_data_actions": list(s.InsufficientActions), "ok_actions": list(s.OKActions),
	}
}

// resolveActions turns scaling_policy:<group>:<policy> into the policy's
// ARN; unresolved lists those not found (kept as written).
func resolveActions(ctx context.Context, asc *autoscaling.Client, actions []string, cache map[string]string) (out, unresolved []string, err error) {
	for _, act := range actions {
		rest, ok := strings.CutPrefix(act, "scaling_policy:")
		if !ok {
			out = append(out, act)
			continue
		}
		group, policy, ok := strings.Cut(rest, ":")
		if !ok || group == "" || policy == "" || strings.Contains(policy, ":") {
			return nil, nil, fmt.Errorf("action %q must be scaling_policy:<group>:<policy>", act)
		}
		arn, ok := cache[act]
		if !ok {
			res, err := asc.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(group), PolicyNames: []string{policy}})
			if err != nil {
				return nil, nil, err
			}
			for _, p := range res.ScalingPolicies {
				if aws.ToString(p.PolicyName) == policy {
					arn = aws.ToString(p.PolicyARN)
				}
			}
			cache[act] = arn
		}
		if arn == "" {
			unresolved = append(unresolved, act)
			out = append(out, act)
			continue
		}
		out = append(out, arn)
	}
	return out, unresolved, nil
}

func botoAlarmPresent(ctx context.Context, env *Env, call Call, a *alarmPresentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "cloudwatch")
	if err != nil {
		return fail(name, "State '%s' (boto_cloudwatch_alarm.present): %v", call.ID, err)
	}
	c := cwClient(conn)
	w := a.want
	var unresolved []string
	if hasPolicyAction(w.AlarmActions, w.InsufficientActions, w.OKActions) {
		asConn, err := resolveAWS(ctx, env, a.AWSArgs, "asg")
		if err != nil {
			return fail(name, "State '%s' (boto_cloudwatch_alarm.present): %v", call.ID, err)
		}
		asc := asgClient(asConn)
		cache := map[string]string{}
		for _, l := range []*[]string{&w.AlarmActions, &w.InsufficientActions, &w.OKActions} {
			out, missing, err := resolveActions(ctx, asc, *l, cache)
			if err != nil {
				return asConn.awsFail(name, "resolve the alarm actions", err)
			}
			*l = out
			unresolved = append(unresolved, missing...)
		}
		if len(unresolved) > 0 && !call.Test {
			return fail(name, "State '%s' (boto_cloudwatch_alarm.present): scaling policies not found: %s", call.ID, strings.Join(unresolved, ", "))
		}
	}
	cur, err := describeAlarm(ctx, c, name)
	if err != nil {
		return conn.awsFail(name, "describe alarm "+name, err)
	}
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), MetricName: aws.String(w.Metric), Namespace: aws.String(w.Namespace), Statistic: cwtypes.Statistic(w.Statistic),
		ComparisonOperator: cwtypes.ComparisonOperator(w.Comparison), Threshold: aws.Float64(w.Threshold), Period: aws.Int32(int32(w.Period)),
		EvaluationPeriods: aws.Int32(int32(w.EvaluationPeriods)), AlarmActions: w.AlarmActions, InsufficientDataActions: w.InsufficientActions, OKActions: w.OKActions,
	}
	if w.Unit != "" {
		in.Unit = cwtypes.StandardUnit(w.Unit)
	}
	if w.Description != "" {
		in.AlarmDescription = aws.String(w.Description)
	}
	for _, k := range sortedKeys(w.Dimensions) {
		in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(w.Dimensions[k])})
	}
	put := func(ctx context.Context) error { _, err := c.PutMetricAlarm(ctx, in); return err }
	note := ""
	if len(unresolved) > 0 {
		note = fmt.Sprintf(" (scaling policies %s do not exist yet)", strings.Join(unresolved, ", "))
	}
	plan := &awsPlan{}
	wantF := w.fields()
	if cur == nil {
		attrs := map[string]any{}
		for k := range w.given {
			attrs[k] = wantF[k][1]
		}
		plan.add(awsStep{aspect: "alarm", old: nil, new: attrs, would: fmt.Sprintf("alarm %s is to be created.", name) + note,
			doing: "create alarm " + name, apply: put})
	} else {
		haveF := alarmOf(cur).fields()
		oldM, newM := map[string]any{}, map[string]any{}
		var diff []string
		for _, k := range sortedKeys(w.given) {
			if haveF[k][0] != wantF[k][0] {
				oldM[k], newM[k] = haveF[k][1], wantF[k][1]
				diff = append(diff, k)
			}
		}
		if len(diff) > 0 {
			plan.add(awsStep{fields: true, old: oldM, new: newM, would: fmt.Sprintf("alarm %s is to be updated (%s).", name, strings.Join(diff, ", ")) + note,
				doing: "update alarm " + name, apply: put})
		}
	}
	return plan.run(ctx, conn, call, fmt.Sprintf("alarm %s present and matching", name), fmt.Sprintf("alarm %s set", name))
}

func hasPolicyAction(lists ...[]string) bool {
	for _, l := range lists {
		for _, a := range l {
			if strings.HasPrefix(a, "scaling_policy:") {
				return true
			}
		}
	}
	return false
}

func botoAlarmAbsent(ctx context.Context, env *Env, call Call, a *alarmAbsentArgs) Result {
	name := call.Name
	conn, err := resolveAWS(ctx, env, a.AWSArgs, "cloudwatch")
	if err != nil {
		return fail(name, "State '%s' (boto_cloudwatch_alarm.absent): %v", call.ID, err)
	}
	c := cwClient(conn)
	cur, err := describeAlarm(ctx, c, name)
	if err != nil {
		return conn.awsFail(name, "describe alarm "+name, err)
	}
	plan := &awsPlan{}
	if cur != nil {
		plan.add(awsStep{aspect: "alarm", old: name, new: nil, would: fmt.Sprintf("alarm %s is set to be removed.", name), doing: "delete alarm " + name,
			apply: func(ctx context.Context) error {
				_, err := c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
				return err
			}})
	}
	return plan.run(ctx, conn, call, fmt.Sprintf("%s does not exist in %s.", name, conn.Region), fmt.Sprintf("alarm %s deleted", name))
}
