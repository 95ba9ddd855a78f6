package fakeaws

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch is a fake Amazon CloudWatch speaking the protocol
// aws-sdk-go-v2's cloudwatch client uses: Smithy RPC v2 CBOR (POST
// /service/GraniteServiceVersion20100801/operation/<Op>, CBOR bodies,
// errors as a CBOR map with __type and message plus the
// X-Amzn-Query-Error header). It fakes the alarm calls the
// boto_cloudwatch_alarm states make: PutMetricAlarm, DescribeAlarms and
// DeleteAlarms, records alarms and counts calls per operation.
type CloudWatch struct {
	mu     sync.Mutex
	alarms map[string]*CloudWatchAlarm
	calls  map[string]int
	fail   map[string]apiFailure
}

// CloudWatchAlarm is one metric alarm of the fake.
type CloudWatchAlarm struct {
	Name, Description                            string
	ActionsEnabled                               bool
	AlarmActions, OKActions, InsufficientActions []string
	MetricName, Namespace, Statistic, Unit       string
	Dimensions                                   map[string]string
	Period, EvaluationPeriods, DatapointsToAlarm int
	Threshold                                    float64
	ComparisonOperator, TreatMissingData         string
	Updated                                      time.Time
}

// NewCloudWatch returns a fake with no alarms.
func NewCloudWatch() *CloudWatch {
	return &CloudWatch{alarms: map[string]*CloudWatchAlarm{}, calls: map[string]int{}, fail: map[string]apiFailure{}}
}

// Fail makes the next call of op fail with code and message (HTTP 400).
func (c *CloudWatch) Fail(op, code, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail[op] = apiFailure{http.StatusBadRequest, code, message}
}

// Calls is how many times op was called.
func (c *CloudWatch) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// CallCounts returns the number of calls per operation so far.
func (c *CloudWatch) CallCounts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyCounts(c.calls)
}

// Alarm returns a copy of the named alarm, or nil.
func (c *CloudWatch) Alarm(name string) *CloudWatchAlarm {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.alarms[name]
	if a == nil {
		return nil
	}
	x := *a
	x.AlarmActions = append([]string(nil), a.AlarmActions...)
	x.OKActions = append([]string(nil), a.OKActions...)
	x.InsufficientActions = append([]string(nil), a.InsufficientActions...)
	x.Dimensions = copyStrMap(a.Dimensions)
	return &x
}

// Names lists the alarms, sorted.
func (c *CloudWatch) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return sortedNames(c.alarms)
}

const cwPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

func cwError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-Query-Error", code+";Sender")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(cbor.Map{
		"__type":  cbor.String("com.amazonaws.cloudwatch#" + code),
		"message": cbor.String(msg),
	}))
}

func cwReply(w http.ResponseWriter, v cbor.Map) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	_, _ = w.Write(cbor.Encode(v))
}

// ServeHTTP serves CloudWatch's RPC v2 CBOR protocol.
func (c *CloudWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.URL.Path, cwPathPrefix)
	if r.Method != http.MethodPost || !ok || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		cwError(w, http.StatusBadRequest, "InvalidAction", "not an RPC v2 CBOR request")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		cwError(w, http.StatusForbidden, "MissingAuthenticationToken", "request not signed")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		cwError(w, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	in := cbor.Map{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			cwError(w, http.StatusBadRequest, "MalformedInput", err.Error())
			return
		}
		m, ok := v.(cbor.Map)
		if !ok {
			cwError(w, http.StatusBadRequest, "MalformedInput", "body is not a map")
			return
		}
		in = m
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
	if fl, ok := c.fail[op]; ok {
		delete(c.fail, op)
		cwError(w, fl.status, fl.code, fl.message)
		return
	}
	switch op {
	case "PutMetricAlarm":
		a := &CloudWatchAlarm{
			Name: cborStr(in["AlarmName"]), Description: cborStr(in["AlarmDescription"]), ActionsEnabled: true,
			AlarmActions: cborStrs(in["AlarmActions"]), OKActions: cborStrs(in["OKActions"]), InsufficientActions: cborStrs(in["InsufficientDataActions"]),
			MetricName: cborStr(in["MetricName"]), Namespace: cborStr(in["Namespace"]), Statistic: cborStr(in["Statistic"]), Unit: cborStr(in["Unit"]),
			Period: int(cborNum(in["Period"])), EvaluationPeriods: int(cborNum(in["EvaluationPeriods"])), DatapointsToAlarm: int(cborNum(in["DatapointsToAlarm"])),
			Threshold: cborNum(in["Threshold"]), ComparisonOperator: cborStr(in["ComparisonOperator"]), TreatMissingData: cborStr(in["TreatMissingData"]),
			Dimensions: map[string]string{}, Updated: time.Now().UTC(),
		}
		if b, ok := in["ActionsEnabled"].(cbor.Bool); ok {
			a.ActionsEnabled = bool(b)
		}
		if l, ok := in["Dimensions"].(cbor.List); ok {
			for _, d := range l {
				if m, ok := d.(cbor.Map); ok {
					a.Dimensions[cborStr(m["Name"])] = cborStr(m["Value"])
				}
			}
		}
		msg := a.validate()
		if _, ok := in["Threshold"]; !ok && msg == "" {
			msg = "Threshold is required"
		}
		if msg != "" {
			cwError(w, http.StatusBadRequest, "ValidationError", msg)
			return
		}
		c.alarms[a.Name] = a
		cwReply(w, cbor.Map{})
	case "DescribeAlarms":
		names := cborStrs(in["AlarmNames"])
		if len(names) == 0 {
			names = sortedNames(c.alarms)
		}
		prefix := cborStr(in["AlarmNamePrefix"])
		list := cbor.List{}
		for _, n := range names {
			if a := c.alarms[n]; a != nil && strings.HasPrefix(n, prefix) {
				list = append(list, a.cbor())
			}
		}
		cwReply(w, cbor.Map{"MetricAlarms": list, "CompositeAlarms": cbor.List{}})
	case "DeleteAlarms":
		names := cborStrs(in["AlarmNames"])
		for _, n := range names {
			if c.alarms[n] == nil {
				cwError(w, http.StatusNotFound, "ResourceNotFound", "Alarm "+n+" does not exist")
				return
			}
		}
		for _, n := range names {
			delete(c.alarms, n)
		}
		cwReply(w, cbor.Map{})
	default:
		cwError(w, http.StatusBadRequest, "InvalidAction", "operation "+op+" is not faked")
	}
}

// validate checks what CloudWatch requires of a metric alarm.
func (a *CloudWatchAlarm) validate() string {
	switch {
	case a.Name == "":
		return "AlarmName is required"
	case a.MetricName == "" || a.Namespace == "":
		return "MetricName and Namespace are required"
	case a.Statistic == "":
		return "Statistic or ExtendedStatistic is required"
	case a.EvaluationPeriods < 1:
		return "EvaluationPeriods must be at least 1"
	case a.Period < 10:
		return "Period must be at least 10"
	}
	switch a.Statistic {
	case "SampleCount", "Average", "Sum", "Minimum", "Maximum":
	default:
		return fmt.Sprintf("1 validation error detected: Value '%s' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]", a.Statistic)
	}
	switch a.ComparisonOperator {
	case "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold":
	default:
		return fmt.Sprintf("1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint", a.ComparisonOperator)
	}
	return ""
}

func (a *CloudWatchAlarm) cbor() cbor.Map {
	dims := cbor.List{}
	keys := make([]string, 0, len(a.Dimensions))
	for k := range a.Dimensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		dims = append(dims, cbor.Map{"Name": cbor.String(k), "Value": cbor.String(a.Dimensions[k])})
	}
	ts := &cbor.Tag{ID: 1, Value: cbor.Float64(float64(a.Updated.UnixMilli()) / 1000)}
	m := cbor.Map{
		"AlarmName": cbor.String(a.Name), "AlarmArn": cbor.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + a.Name),
		"ActionsEnabled": cbor.Bool(a.ActionsEnabled), "AlarmActions": cborList(a.AlarmActions), "OKActions": cborList(a.OKActions),
		"InsufficientDataActions": cborList(a.InsufficientActions), "StateValue": cbor.String("INSUFFICIENT_DATA"),
		"StateReason": cbor.String("Unchecked: Initial alarm creation"), "StateUpdatedTimestamp": ts, "AlarmConfigurationUpdatedTimestamp": ts,
		"MetricName": cbor.String(a.MetricName), "Namespace": cbor.String(a.Namespace), "Statistic": cbor.String(a.Statistic),
		"Dimensions": dims, "Period": cbor.Uint(a.Period), "EvaluationPeriods": cbor.Uint(a.EvaluationPeriods),
		"Threshold": cbor.Float64(a.Threshold), "ComparisonOperator": cbor.String(a.ComparisonOperator),
	}
	if a.Description != "" {
		m["AlarmDescription"] = cbor.String(a.Description)
	}
	if a.Unit != "" {
		m["Unit"] = cbor.String(a.Unit)
	}
	if a.DatapointsToAlarm > 0 {
		m["DatapointsToAlarm"] = cbor.Uint(a.DatapointsToAlarm)
	}
	if a.TreatMissingData != "" {
		m["TreatMissingData"] = cbor.String(a.TreatMissingData)
	}
	return m
}

func cborStr(v cbor.Value) string {
	if s, ok := v.(cbor.String); ok {
		return string(s)
	}
	return ""
}

func cborStrs(v cbor.Value) []string {
	l, ok := v.(cbor.List)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, cborStr(x))
	}
	return out
}

func cborList(ss []string) cbor.List {
	l := make(cbor.List, 0, len(ss))
	for _, s := range ss {
		l = append(l, cbor.String(s))
	}
	return l
}

// cborNum reads any CBOR number (0 when v is not one).
func cborNum(v cbor.Value) float64 {
	switch n := v.(type) {
	case cbor.Uint:
		return float64(n)
	case cbor.NegInt:
		return -float64(n)
	case cbor.Float32:
		return float64(n)
	case cbor.Float64:
		return float64(n)
	}
	return 0
}
