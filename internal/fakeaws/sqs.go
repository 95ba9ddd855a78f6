// Package fakeaws holds in-process stand-ins for AWS services that speak
// the services' wire protocols, for tests that point the real
// aws-sdk-go-v2 clients at them (AWS_ENDPOINT_URL_<SERVICE> or an
// endpoint option). They keep what the calls did for assertions.
package fakeaws

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SQS is a fake Amazon SQS speaking the JSON protocol of the current SDK
// (POST /, X-Amz-Target: AmazonSQS.<Operation>, application/x-amz-json-1.0):
// SendMessage, ReceiveMessage (with long polling), DeleteMessage,
// ChangeMessageVisibility, GetQueueUrl, and for the boto_sqs states
// CreateQueue, GetQueueAttributes, SetQueueAttributes, DeleteQueue. Queues
// are named by the last path segment of their URL and created on first
// use by the message calls; GetQueueUrl and the attribute calls answer
// QueueDoesNotExist for a queue never created or used.
type SQS struct {
	mu      sync.Mutex
	wake    chan struct{} // closed and replaced when a message becomes visible
	queues  map[string]*sqsQueue
	seq     int
	now     func() time.Time
	calls   map[string]int
	failAll string // when set, every call fails with this error code
}

type sqsQueue struct {
	attrs   map[string]string // set by CreateQueue / SetQueueAttributes
	msgs    []*sqsMessage
	deleted []string // bodies of deleted messages, in order
}

type sqsMessage struct {
	id       string
	body     string
	receipts map[string]bool
	visible  time.Time
	received int
}

// NewSQS returns an empty fake SQS; serve it with httptest.NewServer.
func NewSQS() *SQS {
	return &SQS{wake: make(chan struct{}), queues: map[string]*sqsQueue{}, now: time.Now, calls: map[string]int{}}
}

func sqsQueueName(url string) string {
	url = strings.TrimRight(url, "/")
	return url[strings.LastIndexByte(url, '/')+1:]
}

func (s *SQS) queue(name string) *sqsQueue {
	q := s.queues[name]
	if q == nil {
		q = &sqsQueue{}
		s.queues[name] = q
	}
	return q
}

func sqsRandomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Send puts a message on queue name (the last segment of its URL) and
// returns its id.
func (s *SQS) Send(name, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendLocked(name, body)
}

func (s *SQS) sendLocked(name, body string) string {
	m := &sqsMessage{id: sqsRandomID(), body: body, receipts: map[string]bool{}, visible: s.now()}
	q := s.queue(name)
	q.msgs = append(q.msgs, m)
	s.notifyLocked()
	return m.id
}

func (s *SQS) notifyLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// Len is the number of messages on queue name that are not deleted
// (visible or in flight).
func (s *SQS) Len(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue(name).msgs)
}

// Deleted returns the bodies of the messages deleted from queue name.
func (s *SQS) Deleted(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queue(name).deleted...)
}

// Calls is how many times operation op was called.
func (s *SQS) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// MakeVisible makes every in-flight message of queue name visible again
// at once, as if its visibility timeout had passed.
func (s *SQS) MakeVisible(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.queue(name).msgs {
		m.visible = s.now()
	}
	s.notifyLocked()
}

// FailWith makes every call fail with the error code (e.g.
// "RequestThrottled"); "" ends that.
func (s *SQS) FailWith(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = code
}

// sqsError is the JSON protocol's error body.
func sqsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	qcode, ok := sqsQueryCodes[code]
	if !ok {
		qcode = code
	}
	w.Header().Set("x-amzn-query-error", qcode+";Sender")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}

// sqsQueryCodes are the codes SQS's x-amzn-query-error header gives
// (the SDK reports those) where they differ from the JSON error type.
var sqsQueryCodes = map[string]string{
	"QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue", "QueueNameExists": "QueueAlreadyExists",
	"BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
	"InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId", "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
	"PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress", "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
	"UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}

func sqsReply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", sqsRandomID())
	_ = json.NewEncoder(w).Encode(v)
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ServeHTTP serves the SQS JSON protocol.
func (s *SQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonSQS.")
	if r.Method != http.MethodPost || !ok {
		sqsError(w, http.StatusBadRequest, "InvalidAction", "not an SQS JSON request: "+target)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.0") {
		sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "content type "+ct)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		sqsError(w, http.StatusForbidden, "MissingAuthenticationToken", "request not signed")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		sqsError(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
		return
	}
	var in struct {
		QueueURL            string `json:"QueueUrl"`
		QueueName           string `json:"QueueName"`
		MessageBody         string `json:"MessageBody"`
		ReceiptHandle       string `json:"ReceiptHandle"`
		MaxNumberOfMessages int    `json:"MaxNumberOfMessages"`
		WaitTimeSeconds     *int   `json:"WaitTimeSeconds"`
		VisibilityTimeout   *int   `json:"VisibilityTimeout"`
		Attributes          map[string]string
		AttributeNames      []string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "malformed JSON body")
		return
	}
	s.mu.Lock()
	s.calls[op]++
	fail := s.failAll
	s.mu.Unlock()
	if fail != "" {
		sqsError(w, http.StatusBadRequest, fail, "injected failure")
		return
	}
	name := sqsQueueName(in.QueueURL)
	if op != "GetQueueUrl" && op != "CreateQueue" && name == "" {
		sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
		return
	}
	switch op {
	case "GetQueueUrl":
		s.mu.Lock()
		_, ok := s.queues[in.QueueName]
		s.mu.Unlock()
		if !ok {
			sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		sqsReply(w, map[string]string{"QueueUrl": "http://" + r.Host + "/000000000000/" + in.QueueName})
	case "CreateQueue", "GetQueueAttributes", "SetQueueAttributes", "DeleteQueue":
		s.manage(w, r, op, name, in.QueueName, in.Attributes, in.AttributeNames)
	case "SendMessage":
		s.mu.Lock()
		id := s.sendLocked(name, in.MessageBody)
		s.mu.Unlock()
		sqsReply(w, map[string]string{"MessageId": id, "MD5OfMessageBody": md5Hex(in.MessageBody)})
	case "ReceiveMessage":
		s.receive(w, r, name, in.MaxNumberOfMessages, in.WaitTimeSeconds, in.VisibilityTimeout)
	case "DeleteMessage":
		s.mu.Lock()
		defer s.mu.Unlock()
		q := s.queue(name)
		for i, m := range q.msgs {
			if m.receipts[in.ReceiptHandle] {
				q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
				q.deleted = append(q.deleted, m.body)
				sqsReply(w, map[string]any{})
				return
			}
		}
		// SQS accepts a receipt of a message already deleted.
		sqsReply(w, map[string]any{})
	case "ChangeMessageVisibility":
		s.mu.Lock()
		defer s.mu.Unlock()
		vis := 0
		if in.VisibilityTimeout != nil {
			vis = *in.VisibilityTimeout
		}
		for _, m := range s.queue(name).msgs {
			if m.receipts[in.ReceiptHandle] {
				m.visible = s.now().Add(time.Duration(vis) * time.Second)
				if vis == 0 {
					s.notifyLocked()
				}
				sqsReply(w, map[string]any{})
				return
			}
		}
		sqsError(w, http.StatusBadRequest, "ReceiptHandleIsInvalid", "The input receipt handle is invalid.")
	default:
		sqsError(w, http.StatusBadRequest, "InvalidAction", "operation "+op+" is not faked")
	}
}

// sqsDefaultAttrs are the attributes of a new queue.
var sqsDefaultAttrs = map[string]string{
	"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
	"ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30",
}

// sqsSettable are the attributes CreateQueue and SetQueueAttributes take.
var sqsSettable = map[string]bool{
	"DelaySeconds": true, "MaximumMessageSize": true, "MessageRetentionPeriod": true, "Policy": true,
	"ReceiveMessageWaitTimeSeconds": true, "VisibilityTimeout": true, "RedrivePolicy": true, "RedriveAllowPolicy": true,
	"KmsMasterKeyId": true, "KmsDataKeyReusePeriodSeconds": true, "SqsManagedSseEnabled": true,
	"FifoQueue": true, "ContentBasedDeduplication": true, "DeduplicationScope": true, "FifoThroughputLimit": true,
}

// Attributes returns a copy of queue name's attributes (nil: no such
// queue).
func (s *SQS) Attributes(name string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		return nil
	}
	return copyStrMap(q.attrs)
}

// Exists reports whether queue name exists.
func (s *SQS) Exists(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.queues[name]
	return ok
}

// manage answers the queue management calls.
func (s *SQS) manage(w http.ResponseWriter, r *http.Request, op, urlName, newName string, attrs map[string]string, names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range attrs {
		if !sqsSettable[k] {
			sqsError(w, http.StatusBadRequest, "InvalidAttributeName", "Unknown Attribute "+k+".")
			return
		}
	}
	if op == "CreateQueue" {
		if newName == "" {
			sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "Value for parameter QueueName is invalid.")
			return
		}
		q, ok := s.queues[newName]
		if ok && q.attrs != nil {
			for k, v := range attrs {
				if q.attrs[k] != v {
					sqsError(w, http.StatusBadRequest, "QueueNameExists", "A queue already exists with the same name and a different value for attribute "+k)
					return
				}
			}
		}
		if !ok {
			q = &sqsQueue{}
			s.queues[newName] = q
		}
		if q.attrs == nil {
			q.attrs = copyStrMap(sqsDefaultAttrs)
			for k, v := range attrs {
				q.attrs[k] = v
			}
		}
		sqsReply(w, map[string]string{"QueueUrl": "http://" + r.Host + "/000000000000/" + newName})
		return
	}
	q, ok := s.queues[urlName]
	if !ok {
		sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
		return
	}
	if q.attrs == nil {
		q.attrs = copyStrMap(sqsDefaultAttrs)
	}
	switch op {
	case "GetQueueAttributes":
		out := map[string]string{}
		for k, v := range q.attrs {
			if contains(names, "All") || contains(names, k) {
				out[k] = v
			}
		}
		out["QueueArn"] = "arn:aws:sqs:us-east-1:000000000000:" + urlName
		sqsReply(w, map[string]any{"Attributes": out})
	case "SetQueueAttributes":
		for k, v := range attrs {
			q.attrs[k] = v
		}
		sqsReply(w, map[string]any{})
	case "DeleteQueue":
		delete(s.queues, urlName)
		sqsReply(w, map[string]any{})
	}
}

// receive answers ReceiveMessage, waiting up to wait seconds for a
// visible message (long polling) or until the client goes away.
func (s *SQS) receive(w http.ResponseWriter, r *http.Request, name string, max int, wait, visibility *int) {
	if max <= 0 {
		max = 1
	}
	if max > 10 {
		sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "MaxNumberOfMessages must be from 1 to 10")
		return
	}
	vis := 30 * time.Second
	if visibility != nil {
		vis = time.Duration(*visibility) * time.Second
	}
	waitFor := time.Duration(0)
	if wait != nil {
		if *wait > 20 || *wait < 0 {
			sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "WaitTimeSeconds must be from 0 to 20")
			return
		}
		waitFor = time.Duration(*wait) * time.Second
	}
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		now := s.now()
		var out []map[string]any
		var next time.Time
		for _, m := range s.queue(name).msgs {
			if len(out) == max {
				break
			}
			if m.visible.After(now) {
				if next.IsZero() || m.visible.Before(next) {
					next = m.visible
				}
				continue
			}
			s.seq++
			receipt := fmt.Sprintf("%s-r%d", m.id, s.seq)
			m.receipts[receipt] = true
			m.visible = now.Add(vis)
			m.received++
			out = append(out, map[string]any{
				"MessageId": m.id, "ReceiptHandle": receipt, "MD5OfBody": md5Hex(m.body), "Body": m.body,
				"Attributes": map[string]string{"ApproximateReceiveCount": strconv.Itoa(m.received)},
			})
		}
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 {
			sqsReply(w, map[string]any{"Messages": out})
			return
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			t := time.NewTimer(time.Until(next))
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-wake:
		case <-timer:
		case <-deadline.C:
			sqsReply(w, map[string]any{})
			return
		case <-r.Context().Done():
			return
		}
	}
}
