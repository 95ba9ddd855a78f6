package fakeaws

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AutoScaling is a fake EC2 Auto Scaling speaking the Query protocol
// (POST /, form-encoded Action=...&Version=2011-01-01, XML answers):
// CompleteLifecycleAction, RecordLifecycleActionHeartbeat and
// DescribeLifecycleHooks. Lifecycle actions are started by the test
// (AutoScalingLaunch / AutoScalingTerminate), which gets the message Auto
// Scaling would send to the hook's queue; completions are recorded.
type AutoScaling struct {
	mu        sync.Mutex
	hooks     map[string]*AutoScalingHook // group/hook
	actions   map[string]*asAction        // token
	completed []AutoScalingCompletion
	calls     map[string]int

	// Resources of the boto_* states (autoscaling_groups.go).
	lcs      map[string]*AutoScalingLaunchConfig
	groups   map[string]*AutoScalingGroup
	policies map[string]*AutoScalingPolicy // group/policy
	fail     map[string]apiFailure
}

// AutoScalingHook is a lifecycle hook of the fake.
type AutoScalingHook struct {
	Group, Name, Transition string
	HeartbeatTimeout        int // seconds
	DefaultResult           string
	// Set by PutLifecycleHook (the boto_asg state).
	NotificationTargetARN, RoleARN, NotificationMetadata string
}

// AutoScalingCompletion is one CompleteLifecycleAction call that
// completed an action.
type AutoScalingCompletion struct {
	Group, Hook, Token, InstanceID, Transition, Result string
	At                                                 time.Time
}

type asAction struct {
	hook       *AutoScalingHook
	instance   string
	token      string
	heartbeats int
	done       bool
}

// NewAutoScaling returns a fake with no hooks.
func NewAutoScaling() *AutoScaling {
	a := &AutoScaling{hooks: map[string]*AutoScalingHook{}, actions: map[string]*asAction{}, calls: map[string]int{}}
	a.ensure()
	return a
}

// PutHook adds (or replaces) a lifecycle hook.
func (a *AutoScaling) PutHook(h AutoScalingHook) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if h.DefaultResult == "" {
		h.DefaultResult = "ABANDON"
	}
	if h.HeartbeatTimeout == 0 {
		h.HeartbeatTimeout = 3600
	}
	a.hooks[h.Group+"/"+h.Name] = &h
}

// Start begins a lifecycle action of hook (group/name) for instance and
// returns the message Auto Scaling sends to the hook's target.
func (a *AutoScaling) Start(group, hook, instance string) (token, body string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.hooks[group+"/"+hook]
	if h == nil {
		panic("fakeaws: no hook " + group + "/" + hook)
	}
	token = sqsRandomID()
	a.actions[token] = &asAction{hook: h, instance: instance, token: token}
	b, _ := json.Marshal(map[string]string{
		"Origin": "EC2", "Destination": "AutoScalingGroup",
		"LifecycleHookName": h.Name, "AccountId": "123456789012", "RequestId": sqsRandomID(),
		"LifecycleTransition": h.Transition, "AutoScalingGroupName": group, "Service": "AWS Auto Scaling",
		"Time": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "EC2InstanceId": instance,
		"LifecycleActionToken": token,
	})
	return token, string(b)
}

// AutoScalingTestNotification is the message Auto Scaling sends to a new
// hook's target.
func AutoScalingTestNotification(group string) string {
	b, _ := json.Marshal(map[string]string{
		"AccountId": "123456789012", "RequestId": sqsRandomID(), "AutoScalingGroupARN": "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/" + group,
		"AutoScalingGroupName": group, "Service": "AWS Auto Scaling", "Event": "autoscaling:TEST_NOTIFICATION",
		"Time": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
	})
	return string(b)
}

// Completed returns the completions so far, in order.
func (a *AutoScaling) Completed() []AutoScalingCompletion {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]AutoScalingCompletion(nil), a.completed...)
}

// Pending returns the tokens of actions not completed, sorted.
func (a *AutoScaling) Pending() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for t, act := range a.actions {
		if !act.done {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Heartbeats is the number of heartbeats recorded for token.
func (a *AutoScaling) Heartbeats(token string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if act := a.actions[token]; act != nil {
		return act.heartbeats
	}
	return 0
}

// Calls is how many times action was called.
func (a *AutoScaling) Calls(action string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[action]
}

const asXMLNS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"

func asError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(msg))
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, asXMLNS, code, b.String(), sqsRandomID())
}

func asReply(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, asXMLNS, action, result, action, sqsRandomID(), action)
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ServeHTTP serves the Auto Scaling Query protocol.
func (a *AutoScaling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		asError(w, http.StatusBadRequest, "InvalidAction", "not a Query request")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		asError(w, http.StatusForbidden, "MissingAuthenticationToken", "request not signed")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		asError(w, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	f, err := url.ParseQuery(string(body))
	if err != nil {
		asError(w, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	if f.Get("Version") != "2011-01-01" {
		asError(w, http.StatusBadRequest, "InvalidAction", "unknown Version "+f.Get("Version"))
		return
	}
	action := f.Get("Action")
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls[action]++
	switch action {
	case "CompleteLifecycleAction", "RecordLifecycleActionHeartbeat":
		group, hook, token, inst := f.Get("AutoScalingGroupName"), f.Get("LifecycleHookName"), f.Get("LifecycleActionToken"), f.Get("InstanceId")
		if group == "" || hook == "" {
			asError(w, http.StatusBadRequest, "ValidationError", "AutoScalingGroupName and LifecycleHookName are required")
			return
		}
		if token == "" && inst == "" {
			asError(w, http.StatusBadRequest, "ValidationError", "LifecycleActionToken or InstanceId is required")
			return
		}
		act := a.actions[token]
		if token == "" {
			for _, x := range a.actions {
				if x.instance == inst && x.hook.Group == group && x.hook.Name == hook && !x.done {
					act = x
				}
			}
		}
		if act == nil || act.done || act.hook.Group != group || act.hook.Name != hook || (inst != "" && inst != act.instance) {
			asError(w, http.StatusBadRequest, "ValidationError", "No active Lifecycle Action found with token "+token)
			return
		}
		if action == "RecordLifecycleActionHeartbeat" {
			act.heartbeats++
			asReply(w, action, "")
			return
		}
		res := f.Get("LifecycleActionResult")
		if res != "CONTINUE" && res != "ABANDON" {
			asError(w, http.StatusBadRequest, "ValidationError", "LifecycleActionResult must be CONTINUE or ABANDON")
			return
		}
		act.done = true
		a.completed = append(a.completed, AutoScalingCompletion{
			Group: group, Hook: hook, Token: act.token, InstanceID: act.instance, Transition: act.hook.Transition, Result: res, At: time.Now(),
		})
		asReply(w, action, "")
	case "DescribeLifecycleHooks":
		group := f.Get("AutoScalingGroupName")
		want := map[string]bool{}
		for i := 1; ; i++ {
			n := f.Get("LifecycleHookNames.member." + strconv.Itoa(i))
			if n == "" {
				break
			}
			want[n] = true
		}
		var b strings.Builder
		b.WriteString("<LifecycleHooks>")
		var keys []string
		for k := range a.hooks {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			h := a.hooks[k]
			if h.Group != group || (len(want) > 0 && !want[h.Name]) {
				continue
			}
			global := min(100*h.HeartbeatTimeout, 172800)
			fmt.Fprintf(&b, "<member><LifecycleHookName>%s</LifecycleHookName><AutoScalingGroupName>%s</AutoScalingGroupName><LifecycleTransition>%s</LifecycleTransition><HeartbeatTimeout>%d</HeartbeatTimeout><GlobalTimeout>%d</GlobalTimeout><DefaultResult>%s</DefaultResult>",
				xmlText(h.Name), xmlText(h.Group), xmlText(h.Transition), h.HeartbeatTimeout, global, xmlText(h.DefaultResult))
			for _, x := range [][2]string{{"NotificationTargetARN", h.NotificationTargetARN}, {"RoleARN", h.RoleARN}, {"NotificationMetadata", h.NotificationMetadata}} {
				if x[1] != "" {
					fmt.Fprintf(&b, "<%s>%s</%s>", x[0], xmlText(x[1]), x[0])
				}
			}
			b.WriteString("</member>")
		}
		b.WriteString("</LifecycleHooks>")
		asReply(w, action, b.String())
	default:
		if a.serveResources(w, f, action) {
			return
		}
		asError(w, http.StatusBadRequest, "InvalidAction", "action "+action+" is not faked")
	}
}
