package autoscale

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Transitions and notification events Auto Scaling sends.
const (
	TransitionLaunching   = "autoscaling:EC2_INSTANCE_LAUNCHING"
	TransitionTerminating = "autoscaling:EC2_INSTANCE_TERMINATING"
	EventLaunch           = "autoscaling:EC2_INSTANCE_LAUNCH"
	EventTerminate        = "autoscaling:EC2_INSTANCE_TERMINATE"
	EventLaunchError      = "autoscaling:EC2_INSTANCE_LAUNCH_ERROR"
	EventTerminateError   = "autoscaling:EC2_INSTANCE_TERMINATE_ERROR"
	EventTest             = "autoscaling:TEST_NOTIFICATION"
)

// Message is one lifecycle hook message or Auto Scaling notification, as
// it arrives on the queue or in an SNS notification's Message.
type Message struct {
	// Lifecycle hook messages.
	LifecycleHookName    string `json:"LifecycleHookName"`
	LifecycleTransition  string `json:"LifecycleTransition"`
	LifecycleActionToken string `json:"LifecycleActionToken"`
	NotificationMetadata string `json:"NotificationMetadata,omitempty"`
	// Notifications (EC2_INSTANCE_LAUNCH, ..., TEST_NOTIFICATION).
	Event      string `json:"Event,omitempty"`
	ActivityID string `json:"ActivityId,omitempty"`
	// Both.
	AutoScalingGroupName string `json:"AutoScalingGroupName"`
	EC2InstanceID        string `json:"EC2InstanceId"`
	AccountID            string `json:"AccountId,omitempty"`
	RequestID            string `json:"RequestId,omitempty"`
	Time                 string `json:"Time,omitempty"`
	Service              string `json:"Service,omitempty"`
}

// Kind is what a message asks for.
type Kind int

// Kinds of messages.
const (
	KindTest      Kind = iota // TEST_NOTIFICATION: acknowledged, ignored
	KindLaunch                // an instance joins
	KindTerminate             // an instance leaves
	KindInfo                  // launch/terminate errors: an event, nothing else
)

// Hook reports a lifecycle hook message (which must be completed), as
// opposed to a plain notification.
func (m *Message) Hook() bool { return m.LifecycleTransition != "" }

// Kind classifies m.
func (m *Message) Kind() Kind {
	switch {
	case m.LifecycleTransition == TransitionLaunching || m.Event == EventLaunch:
		return KindLaunch
	case m.LifecycleTransition == TransitionTerminating || m.Event == EventTerminate:
		return KindTerminate
	case m.Event == EventTest:
		return KindTest
	}
	return KindInfo
}

// Action is the tag word of the message's kind.
func (m *Message) Action() string {
	switch m.Kind() {
	case KindLaunch:
		return "launch"
	case KindTerminate:
		return "terminate"
	case KindTest:
		return "test"
	}
	return "notification"
}

// instanceRe is an EC2 instance id.
var instanceRe = regexp.MustCompile(`^i-[0-9a-f]{8,32}$`)

// groupRe is what an Auto Scaling group name may hold here: the tag and
// the minion id are built from it.
var groupRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$`)

// ParseMessage reads a message body: a lifecycle hook message, an Auto
// Scaling notification, or either inside an SNS envelope (a queue
// subscribed to a topic without raw delivery).
func ParseMessage(body []byte) (*Message, error) {
	var probe map[string]any
	if err := json.Unmarshal(body, &probe); err != nil || probe == nil {
		return nil, errors.New("not a JSON object")
	}
	if t, _ := probe["Type"].(string); t == "Notification" {
		inner, ok := probe["Message"].(string)
		if !ok {
			return nil, errors.New("SNS envelope without a Message")
		}
		return ParseMessage([]byte(inner))
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("not a lifecycle message: %v", err)
	}
	if m.LifecycleTransition == "" && m.Event == "" {
		return nil, errors.New("neither LifecycleTransition nor Event is set")
	}
	if m.LifecycleTransition != "" && m.Event != "" {
		return nil, errors.New("both LifecycleTransition and Event are set")
	}
	if m.Event == EventTest {
		return &m, nil
	}
	if !groupRe.MatchString(m.AutoScalingGroupName) {
		return nil, fmt.Errorf("AutoScalingGroupName %q is missing or not a group name", truncate(m.AutoScalingGroupName, 64))
	}
	if !instanceRe.MatchString(m.EC2InstanceID) {
		return nil, fmt.Errorf("EC2InstanceId %q is missing or not an instance id", truncate(m.EC2InstanceID, 64))
	}
	if m.Hook() {
		switch m.LifecycleTransition {
		case TransitionLaunching, TransitionTerminating:
		default:
			return nil, fmt.Errorf("unknown LifecycleTransition %q", truncate(m.LifecycleTransition, 64))
		}
		if m.LifecycleActionToken == "" || m.LifecycleHookName == "" {
			return nil, errors.New("lifecycle message without LifecycleActionToken or LifecycleHookName")
		}
	}
	return &m, nil
}

// Key is the message's identity for idempotence: its LifecycleActionToken
// (a hook message), else the event and instance (a notification: an
// instance is launched or terminated once).
func (m *Message) Key() string {
	s := m.LifecycleActionToken
	if s == "" {
		s = m.Event + "/" + m.AutoScalingGroupName + "/" + m.EC2InstanceID
	}
	sum := sha256.Sum256([]byte(s))
	return "m_" + hex.EncodeToString(sum[:16])
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
