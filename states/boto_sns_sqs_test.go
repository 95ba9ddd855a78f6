package states

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/fakeaws"
)

// withService points the options <svc>.* at a fake served by h.
func (r *awsRig) withService(svc string, h httptestHandler) {
	r.t.Helper()
	srv := httptest.NewServer(h)
	r.t.Cleanup(srv.Close)
	r.env.Opts[svc+".endpoint"], r.env.Opts[svc+".keyid"], r.env.Opts[svc+".key"], r.env.Opts[svc+".region"] = srv.URL, "AKIDFAKE", awsSecret, "us-east-1"
}

func TestBotoSNS(t *testing.T) {
	r := newAWSRig(t)
	fake := fakeaws.NewSNS(2) // small pages: the topic is found past the first
	r.withService("sns", fake)
	for _, n := range []string{"aaa", "bbb", "ccc"} {
		want(t, r.apply("boto_sns.present", n, nil, false), True(), true, "created")
	}
	args := map[string]any{"subscriptions": []any{
		map[string]any{"protocol": "https", "endpoint": "https://salt:hunter2@api.example.com/hook/autoscale/web/up"},
		map[string]any{"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:lifecycle"},
	}}
	res := r.apply("boto_sns.present", "web_scale_up", args, true)
	want(t, res, nil, true, "is set to be created")
	if fake.Calls("CreateTopic") != 3 {
		t.Fatal("test mode created a topic")
	}
	res = r.apply("boto_sns.present", "web_scale_up", args, false)
	want(t, res, True(), true, "AWS SNS topic web_scale_up created.", "2 subscription(s) added")
	if s := fmtAny(res); strings.Contains(s, "hunter2") || !strings.Contains(s, "salt:xxxxx@api.example.com") {
		t.Errorf("endpoint password not masked: %s", s)
	}
	topics := fake.Topics()
	if len(topics) != 4 || topics[3].Name != "web_scale_up" || len(topics[3].Subscriptions) != 2 {
		t.Fatalf("topics %+v", topics)
	}
	// Again: only List calls.
	before := fake.CallCounts()
	want(t, r.apply("boto_sns.present", "web_scale_up", args, false), True(), false, "present")
	for k, v := range fake.CallCounts() {
		if v != before[k] && !strings.HasPrefix(k, "List") {
			t.Errorf("no-op made %s", k)
		}
	}
	// One more subscription.
	args["subscriptions"] = append(args["subscriptions"].([]any), map[string]any{"protocol": "email", "endpoint": "ops@example.com"})
	want(t, r.apply("boto_sns.present", "web_scale_up", args, false), True(), true, "1 subscription(s) added")
	// An AWS error.
	fake.FailNext("Subscribe", "AuthorizationError")
	args["subscriptions"] = append(args["subscriptions"].([]any), map[string]any{"protocol": "email", "endpoint": "dev@example.com"})
	want(t, r.apply("boto_sns.present", "web_scale_up", args, false), False(), true, "AuthorizationError: injected failure")
	// Bad argument.
	want(t, r.apply("boto_sns.present", "x", map[string]any{"subscriptions": []any{map[string]any{"protocol": "email", "endpont": "a"}}}, false), False(), false, "unknown key 'endpont'")
	// Absent.
	want(t, r.apply("boto_sns.absent", "web_scale_up", map[string]any{"unsubscribe": true}, true), nil, true, "set to be removed")
	want(t, r.apply("boto_sns.absent", "web_scale_up", map[string]any{"unsubscribe": true}, false), True(), true, "deleted")
	if len(fake.Topics()) != 3 || fake.Calls("Unsubscribe") != 3 {
		t.Errorf("topics %v, %d unsubscribes", fake.Topics(), fake.Calls("Unsubscribe"))
	}
	want(t, r.apply("boto_sns.absent", "web_scale_up", nil, false), True(), false, "does not exist")
}

func TestBotoSQS(t *testing.T) {
	r := newAWSRig(t)
	fake := fakeaws.NewSQS()
	r.withService("sqs", fake)
	args := map[string]any{"attributes": map[string]any{
		"VisibilityTimeout": 60, "DelaySeconds": "5",
		"RedrivePolicy": map[string]any{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": 5},
	}}
	want(t, r.apply("boto_sqs.present", "lifecycle", args, true), nil, true, "is set to be created")
	if fake.Exists("lifecycle") {
		t.Fatal("test mode created the queue")
	}
	want(t, r.apply("boto_sqs.present", "lifecycle", args, false), True(), true, "SQS queue lifecycle created.")
	attrs := fake.Attributes("lifecycle")
	if attrs["VisibilityTimeout"] != "60" || attrs["DelaySeconds"] != "5" || !strings.Contains(attrs["RedrivePolicy"], `"maxReceiveCount":5`) {
		t.Fatalf("attributes %v", attrs)
	}
	before := map[string]int{"CreateQueue": fake.Calls("CreateQueue"), "SetQueueAttributes": fake.Calls("SetQueueAttributes")}
	want(t, r.apply("boto_sqs.present", "lifecycle", args, false), True(), false, "present")
	for k, v := range before {
		if fake.Calls(k) != v {
			t.Errorf("no-op re-apply called %s", k)
		}
	}
	args["attributes"].(map[string]any)["VisibilityTimeout"] = 120
	res := r.apply("boto_sqs.present", "lifecycle", args, true)
	want(t, res, nil, true, "VisibilityTimeout of SQS queue lifecycle are set to be updated")
	if fake.Attributes("lifecycle")["VisibilityTimeout"] != "60" {
		t.Fatal("test mode changed an attribute")
	}
	want(t, r.apply("boto_sqs.present", "lifecycle", args, false), True(), true, "Updated attribute(s) VisibilityTimeout")
	if fake.Attributes("lifecycle")["VisibilityTimeout"] != "120" {
		t.Error("not updated")
	}
	// An AWS error: an attribute SQS does not know.
	want(t, r.apply("boto_sqs.present", "other", map[string]any{"attributes": map[string]any{"VisibiltyTimeout": 1}}, false),
		False(), false, "Failed to create SQS queue other: InvalidAttributeName: Unknown Attribute VisibiltyTimeout.")
	want(t, r.apply("boto_sqs.absent", "lifecycle", nil, true), nil, true, "set to be removed")
	want(t, r.apply("boto_sqs.absent", "lifecycle", nil, false), True(), true, "deleted")
	if fake.Exists("lifecycle") {
		t.Error("queue still there")
	}
	want(t, r.apply("boto_sqs.absent", "lifecycle", nil, false), True(), false, "does not exist")
}

// SNS lists an http(s) endpoint's password as ****: a subscription with
// credentials in its endpoint is present on the second apply, not
// subscribed again and reported as a change on every run.
func TestBotoSNSEndpointWithPasswordIsIdempotent(t *testing.T) {
	r := newAWSRig(t)
	fake := fakeaws.NewSNS(10)
	r.withService("sns", fake)
	args := map[string]any{"subscriptions": []any{
		map[string]any{"protocol": "https", "endpoint": "https://salt:hunter2@api.example.com/hook/autoscale/web/up"},
	}}
	want(t, r.apply("boto_sns.present", "web_scale_up", args, false), True(), true, "1 subscription(s) added")
	want(t, r.apply("boto_sns.present", "web_scale_up", args, false), True(), false, "present")
	want(t, r.apply("boto_sns.present", "web_scale_up", args, true), True(), false, "present")
	if n := fake.Calls("Subscribe"); n != 1 {
		t.Errorf("Subscribe called %d times, want 1", n)
	}
	// Another password for the same user and host is a change SNS's
	// listing cannot show: Salt's comparison (password starred) treats it
	// as present too; a different user or host is a new subscription.
	args["subscriptions"] = []any{map[string]any{"protocol": "https", "endpoint": "https://other:hunter2@api.example.com/hook/autoscale/web/up"}}
	want(t, r.apply("boto_sns.present", "web_scale_up", args, false), True(), true, "1 subscription(s) added")
}
