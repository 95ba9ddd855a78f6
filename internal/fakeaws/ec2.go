package fakeaws

// EC2 is an in-process fake of the EC2 API speaking its Query protocol
// (form-encoded POST, XML answers without a Result wrapper, errors in
// <Response><Errors>) for the calls Brine's ec2 driver makes:
// RunInstances, DescribeInstances, TerminateInstances, CreateTags,
// StopInstances, StartInstances, RebootInstances (DescribeInstances with
// tag:, instance-state-name, instance-id and subnet-id filters), and the
// VPC, subnet and security group calls of ec2net.go. The real aws-sdk-go-v2
// client is pointed at it. It records instances and requests for
// assertions, and can inject throttling and EC2's eventual consistency
// (an instance id not visible for a while after RunInstances).

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// EC2Instance is one instance the fake launched.
type EC2Instance struct {
	ID               string
	ImageID          string
	InstanceType     string
	KeyName          string
	SubnetID         string
	AvailabilityZone string
	SecurityGroups   []string
	SecurityGroupIDs []string
	ClientToken      string
	UserData         string            // decoded
	Tags             map[string]string // instance tags
	VolumeTags       map[string]string
	BlockDevices     []map[string]string // BlockDeviceMapping.N.* without the prefix
	State            string
	PrivateIP        string

	hidden  int // DescribeInstances answers NotFound this many more times
	pending int // DescribeInstances answers pending this many more times
}

// EC2Request is one call the fake answered (or refused).
type EC2Request struct {
	Action      string
	AccessKeyID string
	Status      int
}

// EC2 is the fake server.
type EC2 struct {
	srv *httptest.Server

	mu        sync.Mutex
	instances map[string]*EC2Instance
	order     []string
	byToken   map[string]string // ClientToken -> instance id
	throttle  map[string]int    // action -> throttled answers left
	hide      int               // NotFound answers for each new instance
	pending   int               // pending answers for each new instance
	requests  []EC2Request
	onRun     func(EC2Instance)
	next      int
	net       ec2Net // VPCs, subnets, security groups (ec2net.go)
}

// NewEC2 starts the fake; Close stops it.
func NewEC2() *EC2 {
	f := &EC2{instances: map[string]*EC2Instance{}, byToken: map[string]string{}, throttle: map[string]int{}, pending: 1}
	f.initNet()
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// URL is the endpoint to give the SDK.
func (f *EC2) URL() string { return f.srv.URL }

// Close stops the server.
func (f *EC2) Close() { f.srv.Close() }

// Throttle makes the next n calls of action fail with RequestLimitExceeded.
func (f *EC2) Throttle(action string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle[action] = n
}

// HideNewInstances makes DescribeInstances answer InvalidInstanceID.NotFound
// n times for each instance launched from now on.
func (f *EC2) HideNewInstances(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hide = n
}

// OnRun calls fn (in a goroutine) with each instance launched, e.g. to
// boot a node from its user data.
func (f *EC2) OnRun(fn func(EC2Instance)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onRun = fn
}

// Instances returns copies of the instances, in launch order.
func (f *EC2) Instances() []EC2Instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]EC2Instance, 0, len(f.order))
	for _, id := range f.order {
		out = append(out, f.instances[id].copy())
	}
	return out
}

// Requests returns the calls answered so far.
func (f *EC2) Requests() []EC2Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]EC2Request(nil), f.requests...)
}

func (i *EC2Instance) copy() EC2Instance {
	c := *i
	c.Tags = copyStrMap(i.Tags)
	c.VolumeTags = copyStrMap(i.VolumeTags)
	c.SecurityGroups = append([]string(nil), i.SecurityGroups...)
	c.SecurityGroupIDs = append([]string(nil), i.SecurityGroupIDs...)
	c.BlockDevices = nil
	for _, b := range i.BlockDevices {
		c.BlockDevices = append(c.BlockDevices, copyStrMap(b))
	}
	return c
}

func copyStrMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ec2AccessKey reads the access key id from a SigV4 Authorization header.
func ec2AccessKey(r *http.Request) string {
	h := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(h, "Credential=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// ec2List collects prefix.1, prefix.2, ... (suffix appended) from form.
func ec2List(form map[string][]string, prefix, suffix string) []string {
	var out []string
	for n := 1; ; n++ {
		v, ok := form[prefix+strconv.Itoa(n)+suffix]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

func (f *EC2) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		ec2Error(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	action := r.PostForm.Get("Action")
	f.mu.Lock()
	defer f.mu.Unlock()
	req := EC2Request{Action: action, AccessKeyID: ec2AccessKey(r), Status: http.StatusOK}
	defer func() { f.requests = append(f.requests, req) }()
	if n := f.throttle[action]; n > 0 {
		f.throttle[action] = n - 1
		req.Status = http.StatusServiceUnavailable
		ec2Error(w, req.Status, "RequestLimitExceeded", "Request limit exceeded.")
		return
	}
	form := map[string][]string(r.PostForm)
	var body string
	var status int
	switch action {
	case "RunInstances":
		body, status = f.runInstances(form)
	case "DescribeInstances":
		body, status = f.describeInstances(form)
	case "TerminateInstances":
		body, status = f.changeState(form, "TerminateInstancesResponse", "terminated")
	case "StopInstances":
		body, status = f.changeState(form, "StopInstancesResponse", "stopped")
	case "StartInstances":
		body, status = f.changeState(form, "StartInstancesResponse", "running")
	case "RebootInstances":
		body, status = f.reboot(form)
	case "CreateTags":
		body, status = f.createTags(form)
	default:
		var ok bool
		if body, status, ok = f.serveNet(action, form); ok {
			break
		}
		body, status = ec2ErrorBody("InvalidAction", "The action "+action+" is not valid for this web service."), http.StatusBadRequest
	}
	req.Status = status
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(ec2ErrorBody(code, msg)))
}

func ec2ErrorBody(code, msg string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Response><Errors><Error><Code>` + ec2Esc(code) + `</Code><Message>` + ec2Esc(msg) +
		`</Message></Error></Errors><RequestID>fake-request</RequestID></Response>`
}

func ec2Esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

const ec2NS = `xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"`

func (f *EC2) runInstances(form map[string][]string) (string, int) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if get("ImageId") == "" {
		return ec2ErrorBody("MissingParameter", "The request must contain the parameter ImageId"), http.StatusBadRequest
	}
	if tok := get("ClientToken"); tok != "" {
		if id, ok := f.byToken[tok]; ok {
			// Idempotent: the same token answers the same instance.
			return f.reservation("RunInstancesResponse", []*EC2Instance{f.instances[id]}), http.StatusOK
		}
	}
	f.next++
	inst := &EC2Instance{
		ID:               fmt.Sprintf("i-%017x", 0xabc000+f.next),
		ImageID:          get("ImageId"),
		InstanceType:     get("InstanceType"),
		KeyName:          get("KeyName"),
		SubnetID:         get("SubnetId"),
		AvailabilityZone: get("Placement.AvailabilityZone"),
		SecurityGroups:   ec2List(form, "SecurityGroup.", ""),
		SecurityGroupIDs: ec2List(form, "SecurityGroupId.", ""),
		ClientToken:      get("ClientToken"),
		State:            "pending",
		PrivateIP:        fmt.Sprintf("10.0.%d.%d", f.next/250, f.next%250+4),
		hidden:           f.hide,
		pending:          f.pending,
	}
	if ud := get("UserData"); ud != "" {
		raw, err := base64.StdEncoding.DecodeString(ud)
		if err != nil {
			return ec2ErrorBody("InvalidParameterValue", "Invalid BASE64 encoding of user data."), http.StatusBadRequest
		}
		inst.UserData = string(raw)
	}
	for n := 1; ; n++ {
		p := "TagSpecification." + strconv.Itoa(n) + "."
		rt, ok := form[p+"ResourceType"]
		if !ok {
			break
		}
		tags := map[string]string{}
		keys := ec2List(form, p+"Tag.", ".Key")
		vals := ec2List(form, p+"Tag.", ".Value")
		for i, k := range keys {
			if i < len(vals) {
				tags[k] = vals[i]
			}
		}
		switch rt[0] {
		case "instance":
			inst.Tags = tags
		case "volume":
			inst.VolumeTags = tags
		}
	}
	for n := 1; ; n++ {
		p := "BlockDeviceMapping." + strconv.Itoa(n) + "."
		bm := map[string]string{}
		for k, v := range form {
			if strings.HasPrefix(k, p) && len(v) > 0 {
				bm[strings.TrimPrefix(k, p)] = v[0]
			}
		}
		if len(bm) == 0 {
			break
		}
		inst.BlockDevices = append(inst.BlockDevices, bm)
	}
	f.instances[inst.ID] = inst
	f.order = append(f.order, inst.ID)
	if inst.ClientToken != "" {
		f.byToken[inst.ClientToken] = inst.ID
	}
	if f.onRun != nil {
		fn, c := f.onRun, inst.copy()
		go fn(c)
	}
	return f.reservation("RunInstancesResponse", []*EC2Instance{inst}), http.StatusOK
}

func (f *EC2) reservation(root string, insts []*EC2Instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%s %s><requestId>fake-request</requestId><reservationId>r-fake</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>`, root, ec2NS)
	for _, i := range insts {
		b.WriteString(ec2InstanceXML(i))
	}
	fmt.Fprintf(&b, `</instancesSet></%s>`, root)
	return b.String()
}

var ec2StateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

func ec2StateXML(tag, state string) string {
	return fmt.Sprintf(`<%s><code>%d</code><name>%s</name></%s>`, tag, ec2StateCodes[state], state, tag)
}

func ec2InstanceXML(i *EC2Instance) string {
	var b strings.Builder
	b.WriteString(`<item><instanceId>` + ec2Esc(i.ID) + `</instanceId><imageId>` + ec2Esc(i.ImageID) + `</imageId>`)
	b.WriteString(ec2StateXML("instanceState", i.State))
	b.WriteString(`<privateIpAddress>` + i.PrivateIP + `</privateIpAddress>`)
	if i.InstanceType != "" {
		b.WriteString(`<instanceType>` + ec2Esc(i.InstanceType) + `</instanceType>`)
	}
	if i.KeyName != "" {
		b.WriteString(`<keyName>` + ec2Esc(i.KeyName) + `</keyName>`)
	}
	if i.SubnetID != "" {
		b.WriteString(`<subnetId>` + ec2Esc(i.SubnetID) + `</subnetId>`)
	}
	az := i.AvailabilityZone
	if az == "" {
		az = "us-east-1a"
	}
	b.WriteString(`<placement><availabilityZone>` + ec2Esc(az) + `</availabilityZone></placement>`)
	if len(i.Tags) > 0 {
		keys := make([]string, 0, len(i.Tags))
		for k := range i.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(`<tagSet>`)
		for _, k := range keys {
			b.WriteString(`<item><key>` + ec2Esc(k) + `</key><value>` + ec2Esc(i.Tags[k]) + `</value></item>`)
		}
		b.WriteString(`</tagSet>`)
	}
	b.WriteString(`</item>`)
	return b.String()
}

func (f *EC2) notFound(id string) (string, int) {
	return ec2ErrorBody("InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id)), http.StatusBadRequest
}

func (f *EC2) describeInstances(form map[string][]string) (string, int) {
	ids := ec2List(form, "InstanceId.", "")
	if len(ids) == 0 {
		ids = append(ids, f.order...)
	}
	filters := ec2Filters(form)
	var found []*EC2Instance
	for _, id := range ids {
		i, ok := f.instances[id]
		if !ok {
			return f.notFound(id)
		}
		if i.hidden > 0 {
			i.hidden--
			return f.notFound(id)
		}
		match, bad := ec2Match(filters, i.Tags, func(n string) ([]string, bool) {
			switch n {
			case "instance-id":
				return []string{i.ID}, true
			case "instance-state-name":
				return []string{i.State}, true
			case "subnet-id":
				return []string{i.SubnetID}, true
			}
			return nil, false
		})
		if bad != "" {
			return badFilter(bad)
		}
		if !match {
			continue
		}
		if i.State == "pending" {
			if i.pending > 0 {
				i.pending--
			} else {
				i.State = "running"
			}
		}
		found = append(found, i)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DescribeInstancesResponse %s><requestId>fake-request</requestId><reservationSet>`, ec2NS)
	for _, i := range found {
		b.WriteString(`<item><reservationId>r-fake</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>`)
		b.WriteString(ec2InstanceXML(i))
		b.WriteString(`</instancesSet></item>`)
	}
	b.WriteString(`</reservationSet></DescribeInstancesResponse>`)
	return b.String(), http.StatusOK
}

func (f *EC2) changeState(form map[string][]string, root, to string) (string, int) {
	ids := ec2List(form, "InstanceId.", "")
	if len(ids) == 0 {
		return ec2ErrorBody("MissingParameter", "The request must contain the parameter InstanceId"), http.StatusBadRequest
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%s %s><requestId>fake-request</requestId><instancesSet>`, root, ec2NS)
	for _, id := range ids {
		i, ok := f.instances[id]
		if !ok {
			return f.notFound(id)
		}
		prev := i.State
		if prev != "terminated" {
			i.State = to
		}
		b.WriteString(`<item><instanceId>` + ec2Esc(id) + `</instanceId>` + ec2StateXML("currentState", i.State) + ec2StateXML("previousState", prev) + `</item>`)
	}
	fmt.Fprintf(&b, `</instancesSet></%s>`, root)
	return b.String(), http.StatusOK
}

func (f *EC2) reboot(form map[string][]string) (string, int) {
	for _, id := range ec2List(form, "InstanceId.", "") {
		if _, ok := f.instances[id]; !ok {
			return f.notFound(id)
		}
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<RebootInstancesResponse %s><requestId>fake-request</requestId><return>true</return></RebootInstancesResponse>`, ec2NS), http.StatusOK
}

func (f *EC2) createTags(form map[string][]string) (string, int) {
	ids := ec2List(form, "ResourceId.", "")
	keys := ec2List(form, "Tag.", ".Key")
	vals := ec2List(form, "Tag.", ".Value")
	for _, id := range ids {
		i, ok := f.instances[id]
		if !ok {
			if f.createNetTags(id, keys, vals) {
				continue
			}
			return notFoundID(id)
		}
		if i.Tags == nil {
			i.Tags = map[string]string{}
		}
		for n, k := range keys {
			if n < len(vals) {
				i.Tags[k] = vals[n]
			}
		}
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<CreateTagsResponse %s><requestId>fake-request</requestId><return>true</return></CreateTagsResponse>`, ec2NS), http.StatusOK
}
