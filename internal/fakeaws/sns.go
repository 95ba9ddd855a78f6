package fakeaws

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// SNS is a fake Amazon SNS speaking the Query protocol (POST /,
// form-encoded Action=...&Version=2010-03-31, XML answers wrapped in
// <XxxResult>, errors in <ErrorResponse>): CreateTopic, ListTopics (paged
// by NextToken), DeleteTopic, GetTopicAttributes, Subscribe,
// Unsubscribe, ListSubscriptionsByTopic. Serve it with
// httptest.NewServer. Topics live in us-east-1 of account 123456789012.
type SNS struct {
	mu     sync.Mutex
	topics map[string]*SNSTopic // by ARN
	calls  map[string]int
	fail   map[string]string // action -> error code of its next answer
	seq    int
	// PageSize is how many topics a ListTopics page holds (AWS: 100).
	pageSize int
}

// SNSTopic is a topic of the fake.
type SNSTopic struct {
	Name, ARN     string
	Subscriptions []SNSSubscription
}

// SNSSubscription is a subscription of a topic.
type SNSSubscription struct {
	ARN, Protocol, Endpoint string
}

// NewSNS returns a fake SNS without topics; pageSize is how many topics
// a ListTopics page holds (0: 100, as AWS).
func NewSNS(pageSize int) *SNS {
	if pageSize <= 0 {
		pageSize = 100
	}
	return &SNS{topics: map[string]*SNSTopic{}, calls: map[string]int{}, fail: map[string]string{}, pageSize: pageSize}
}

// Topics returns copies of the topics, by ARN.
func (s *SNS) Topics() []SNSTopic {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SNSTopic
	for _, arn := range sortedIDs(s.topics) {
		t := *s.topics[arn]
		t.Subscriptions = append([]SNSSubscription(nil), t.Subscriptions...)
		out = append(out, t)
	}
	return out
}

// Calls is how many times action was called.
func (s *SNS) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// CallCounts returns the number of calls per action.
func (s *SNS) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// FailNext makes the next call of action fail with the error code.
func (s *SNS) FailNext(action, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[action] = code
}

func snsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`, xmlText(code), xmlText(msg))
}

func snsReply(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></%sResponse>`, action, action, result, action, action)
}

// ServeHTTP serves the SNS Query protocol.
func (s *SNS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		snsError(w, http.StatusBadRequest, "MalformedQueryString", "not an SNS Query request")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		snsError(w, http.StatusForbidden, "MissingAuthenticationToken", "request not signed")
		return
	}
	f := map[string][]string(r.PostForm)
	action := formGet(f, "Action")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[action]++
	if code, ok := s.fail[action]; ok {
		delete(s.fail, action)
		status := http.StatusBadRequest
		if code == "Throttling" {
			status = http.StatusTooManyRequests
		}
		snsError(w, status, code, "injected failure")
		return
	}
	topic := func() *SNSTopic {
		t := s.topics[formGet(f, "TopicArn")]
		if t == nil {
			snsError(w, http.StatusNotFound, "NotFound", "Topic does not exist")
		}
		return t
	}
	switch action {
	case "CreateTopic":
		name := formGet(f, "Name")
		if name == "" || len(name) > 256 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Topic Name")
			return
		}
		arn := "arn:aws:sns:us-east-1:123456789012:" + name
		if s.topics[arn] == nil {
			s.topics[arn] = &SNSTopic{Name: name, ARN: arn}
		}
		snsReply(w, action, `<TopicArn>`+xmlText(arn)+`</TopicArn>`)
	case "ListTopics":
		arns := sortedIDs(s.topics)
		start := 0
		if tok := formGet(f, "NextToken"); tok != "" {
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n > len(arns) {
				snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: NextToken")
				return
			}
			start = n
		}
		end := min(start+s.pageSize, len(arns))
		var b strings.Builder
		b.WriteString(`<Topics>`)
		for _, a := range arns[start:end] {
			b.WriteString(`<member><TopicArn>` + xmlText(a) + `</TopicArn></member>`)
		}
		b.WriteString(`</Topics>`)
		if end < len(arns) {
			b.WriteString(`<NextToken>` + strconv.Itoa(end) + `</NextToken>`)
		}
		snsReply(w, action, b.String())
	case "DeleteTopic":
		delete(s.topics, formGet(f, "TopicArn"))
		snsReply(w, action, "")
	case "GetTopicAttributes":
		t := topic()
		if t == nil {
			return
		}
		snsReply(w, action, `<Attributes><entry><key>TopicArn</key><value>`+xmlText(t.ARN)+`</value></entry><entry><key>SubscriptionsConfirmed</key><value>`+strconv.Itoa(len(t.Subscriptions))+`</value></entry></Attributes>`)
	case "Subscribe":
		t := topic()
		if t == nil {
			return
		}
		proto, ep := formGet(f, "Protocol"), formGet(f, "Endpoint")
		switch proto {
		case "http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose":
		default:
			snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Protocol")
			return
		}
		for _, sub := range t.Subscriptions {
			if sub.Protocol == proto && sub.Endpoint == ep {
				snsReply(w, action, `<SubscriptionArn>`+xmlText(sub.ARN)+`</SubscriptionArn>`)
				return
			}
		}
		s.seq++
		sub := SNSSubscription{ARN: fmt.Sprintf("%s:%08x-0000-4000-8000-%012x", t.ARN, s.seq, s.seq), Protocol: proto, Endpoint: ep}
		t.Subscriptions = append(t.Subscriptions, sub)
		snsReply(w, action, `<SubscriptionArn>`+xmlText(sub.ARN)+`</SubscriptionArn>`)
	case "Unsubscribe":
		arn := formGet(f, "SubscriptionArn")
		for _, t := range s.topics {
			for i, sub := range t.Subscriptions {
				if sub.ARN == arn {
					t.Subscriptions = append(t.Subscriptions[:i], t.Subscriptions[i+1:]...)
					snsReply(w, action, "")
					return
				}
			}
		}
		snsError(w, http.StatusNotFound, "NotFound", "Subscription does not exist")
	case "ListSubscriptionsByTopic":
		t := topic()
		if t == nil {
			return
		}
		subs := append([]SNSSubscription(nil), t.Subscriptions...)
		sort.Slice(subs, func(i, j int) bool { return subs[i].ARN < subs[j].ARN })
		var b strings.Builder
		b.WriteString(`<Subscriptions>`)
		for _, sub := range subs {
			b.WriteString(`<member><TopicArn>` + xmlText(t.ARN) + `</TopicArn><Protocol>` + xmlText(sub.Protocol) + `</Protocol><SubscriptionArn>` +
				xmlText(sub.ARN) + `</SubscriptionArn><Owner>123456789012</Owner><Endpoint>` + xmlText(starPassword(sub.Endpoint)) + `</Endpoint></member>`)
		}
		b.WriteString(`</Subscriptions>`)
		snsReply(w, action, b.String())
	default:
		snsError(w, http.StatusBadRequest, "InvalidAction", "The action "+action+" is not valid for this endpoint.")
	}
}

// starPassword is an endpoint as SNS lists it: the password of an
// http(s) endpoint with credentials is shown as ****
// (https://user:****@host/path).
func starPassword(ep string) string {
	scheme, rest, ok := strings.Cut(ep, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return ep
	}
	authority, path, _ := strings.Cut(rest, "/")
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return ep
	}
	user, _, hasPass := strings.Cut(authority[:at], ":")
	if !hasPass {
		return ep
	}
	out := scheme + "://" + user + ":****" + authority[at:]
	if strings.Contains(rest, "/") {
		out += "/" + path
	}
	return out
}
