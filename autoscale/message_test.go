package autoscale

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseMessage(t *testing.T) {
	hook := `{"Origin":"EC2","LifecycleHookName":"launch","LifecycleTransition":"autoscaling:EC2_INSTANCE_LAUNCHING","AutoScalingGroupName":"web-asg","EC2InstanceId":"i-0123456789abcdef0","LifecycleActionToken":"71514b9d-6a40-4b26-8523-05e7ee35fa40","Service":"AWS Auto Scaling"}`
	envelope, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "x", "Message": hook})
	// Seed 002's notification, as its group sends it.
	notification := `{"StatusCode":"InProgress","Service":"AWS Auto Scaling","AutoScalingGroupName":"asg","Event":"autoscaling:EC2_INSTANCE_LAUNCH","EC2InstanceId":"i-2d125da0","ActivityId":"b2446012"}`
	for name, tc := range map[string]struct {
		body   string
		kind   Kind
		action string
		err    string
	}{
		"hook":                   {body: hook, kind: KindLaunch, action: "launch"},
		"hook in sns envelope":   {body: string(envelope), kind: KindLaunch, action: "launch"},
		"terminating":            {body: strings.ReplaceAll(hook, "LAUNCHING", "TERMINATING"), kind: KindTerminate, action: "terminate"},
		"notification":           {body: notification, kind: KindLaunch, action: "launch"},
		"terminate notification": {body: strings.ReplaceAll(notification, "EC2_INSTANCE_LAUNCH", "EC2_INSTANCE_TERMINATE"), kind: KindTerminate, action: "terminate"},
		"launch error":           {body: strings.ReplaceAll(notification, "EC2_INSTANCE_LAUNCH", "EC2_INSTANCE_LAUNCH_ERROR"), kind: KindInfo, action: "notification"},
		"test":                   {body: `{"Event":"autoscaling:TEST_NOTIFICATION","AutoScalingGroupName":"asg"}`, kind: KindTest, action: "test"},
		"not json":               {body: `hello`, err: "not a JSON object"},
		"neither":                {body: `{"AutoScalingGroupName":"asg"}`, err: "neither LifecycleTransition nor Event"},
		"bad instance":           {body: strings.ReplaceAll(hook, "i-0123456789abcdef0", "i-../../x"), err: "EC2InstanceId"},
		"bad group":              {body: strings.ReplaceAll(hook, `"web-asg"`, `"web/asg"`), err: "AutoScalingGroupName"},
		"no token":               {body: strings.ReplaceAll(hook, "71514b9d-6a40-4b26-8523-05e7ee35fa40", ""), err: "LifecycleActionToken"},
		"unknown transition":     {body: strings.ReplaceAll(hook, "EC2_INSTANCE_LAUNCHING", "EC2_INSTANCE_REBOOTING"), err: "unknown LifecycleTransition"},
		"envelope without msg":   {body: `{"Type":"Notification"}`, err: "without a Message"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind() != tc.kind || m.Action() != tc.action {
				t.Fatalf("kind %v action %s", m.Kind(), m.Action())
			}
		})
	}
	// Idempotence keys: a hook's token; a notification's event and instance.
	a, _ := ParseMessage([]byte(hook))
	b, _ := ParseMessage(envelope)
	c, _ := ParseMessage([]byte(strings.ReplaceAll(hook, "71514b9d", "81514b9d")))
	if a.Key() != b.Key() || a.Key() == c.Key() {
		t.Fatal("hook keys: the same token must give the same key, another token another")
	}
}

func TestMinionIDPattern(t *testing.T) {
	g := &Group{MinionID: "web-{instance_id}.{group}"}
	if id := g.minionID("prod-asg", "i-0abc"); id != "web-i-0abc.prod-asg" {
		t.Fatal(id)
	}
	if id := (&Group{}).minionID("asg", "i-1"); id != "asg-i-1" {
		t.Fatal(id)
	}
}
