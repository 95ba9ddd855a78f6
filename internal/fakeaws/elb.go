package fakeaws

import (
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

// ELB is a fake Classic Elastic Load Balancing speaking the Query protocol
// (POST /, form-encoded Action=...&Version=2012-06-01, XML answers) for
// the calls the boto_elb states make: CreateLoadBalancer,
// DescribeLoadBalancers, DeleteLoadBalancer, CreateLoadBalancerListeners,
// DeleteLoadBalancerListeners, ConfigureHealthCheck,
// DescribeLoadBalancerAttributes, ModifyLoadBalancerAttributes,
// ApplySecurityGroupsToLoadBalancer, AttachLoadBalancerToSubnets,
// DetachLoadBalancerFromSubnets, EnableAvailabilityZonesForLoadBalancer,
// DisableAvailabilityZonesForLoadBalancer, AddTags, RemoveTags and
// DescribeTags. It records load balancers and counts calls per action.
type ELB struct {
	mu    sync.Mutex
	lbs   map[string]*ELBLoadBalancer
	calls map[string]int
	fail  map[string]apiFailure
}

// ELBListener is one listener of a fake load balancer.
type ELBListener struct {
	Protocol         string
	LoadBalancerPort int
	InstanceProtocol string
	InstancePort     int
	SSLCertificateID string
}

// ELBHealthCheck is a load balancer's health check.
type ELBHealthCheck struct {
	Target                                                  string
	Interval, Timeout, UnhealthyThreshold, HealthyThreshold int
}

// ELBLoadBalancer is one load balancer of the fake.
type ELBLoadBalancer struct {
	Name              string
	Scheme            string
	Listeners         []ELBListener
	Subnets           []string
	AvailabilityZones []string
	SecurityGroups    []string
	HealthCheck       ELBHealthCheck
	CrossZone         bool
	IdleTimeout       int
	DrainingEnabled   bool
	DrainingTimeout   int
	AccessLogEnabled  bool
	AccessLogBucket   string
	AccessLogPrefix   string
	AccessLogInterval int
	Tags              map[string]string
	Created           time.Time
}

// apiFailure is an error a fake answers to the next call of an action.
type apiFailure struct {
	status        int
	code, message string
}

// NewELB returns a fake with no load balancers.
func NewELB() *ELB {
	return &ELB{lbs: map[string]*ELBLoadBalancer{}, calls: map[string]int{}, fail: map[string]apiFailure{}}
}

// Fail makes the next call of action fail with code and message (HTTP 400).
func (e *ELB) Fail(action, code, message string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fail[action] = apiFailure{http.StatusBadRequest, code, message}
}

// Calls is how many times action was called.
func (e *ELB) Calls(action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[action]
}

// CallCounts returns the number of calls per action so far.
func (e *ELB) CallCounts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return copyCounts(e.calls)
}

// LoadBalancer returns a copy of the named load balancer, or nil.
func (e *ELB) LoadBalancer(name string) *ELBLoadBalancer {
	e.mu.Lock()
	defer e.mu.Unlock()
	lb := e.lbs[name]
	if lb == nil {
		return nil
	}
	c := *lb
	c.Listeners = append([]ELBListener(nil), lb.Listeners...)
	c.Subnets = append([]string(nil), lb.Subnets...)
	c.AvailabilityZones = append([]string(nil), lb.AvailabilityZones...)
	c.SecurityGroups = append([]string(nil), lb.SecurityGroups...)
	c.Tags = copyStrMap(lb.Tags)
	return &c
}

// Names lists the load balancers, sorted.
func (e *ELB) Names() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return sortedNames(e.lbs)
}

const elbXMLNS = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"

// queryRequest reads a Query protocol request: its form, after checking
// the method, content type, signature and version. It answers the error
// itself and returns ok false.
func queryRequest(w http.ResponseWriter, r *http.Request, version, xmlns string) (url.Values, bool) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		queryError(w, xmlns, http.StatusBadRequest, "InvalidAction", "not a Query request")
		return nil, false
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		queryError(w, xmlns, http.StatusForbidden, "MissingAuthenticationToken", "request not signed")
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		queryError(w, xmlns, http.StatusBadRequest, "MalformedInput", err.Error())
		return nil, false
	}
	f, err := url.ParseQuery(string(body))
	if err != nil {
		queryError(w, xmlns, http.StatusBadRequest, "MalformedInput", err.Error())
		return nil, false
	}
	if f.Get("Version") != version {
		queryError(w, xmlns, http.StatusBadRequest, "InvalidAction", "unknown Version "+f.Get("Version"))
		return nil, false
	}
	return f, true
}

// queryError answers a Query protocol error.
func queryError(w http.ResponseWriter, xmlns string, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, xmlns, xmlText(code), xmlText(msg), sqsRandomID())
}

// queryReply answers a Query protocol result.
func queryReply(w http.ResponseWriter, xmlns, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, xmlns, action, result, action, sqsRandomID(), action)
}

// queryList collects prefix.member.1, prefix.member.2, ...
func queryList(f url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f[prefix+".member."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// queryMembers returns the indexes n for which prefix.member.n.<any> is set.
func queryMembers(f url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		p := prefix + ".member." + strconv.Itoa(i) + "."
		found := false
		for k := range f {
			if strings.HasPrefix(k, p) {
				found = true
				break
			}
		}
		if !found {
			return out
		}
		out = append(out, p)
	}
}

func xmlMembers(vals []string) string {
	var b strings.Builder
	for _, v := range vals {
		b.WriteString("<member>" + xmlText(v) + "</member>")
	}
	return b.String()
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// ServeHTTP serves the ELB Query protocol.
func (e *ELB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := queryRequest(w, r, "2012-06-01", elbXMLNS)
	if !ok {
		return
	}
	action := f.Get("Action")
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[action]++
	if fl, ok := e.fail[action]; ok {
		delete(e.fail, action)
		queryError(w, elbXMLNS, fl.status, fl.code, fl.message)
		return
	}
	errf := func(code, format string, args ...any) {
		queryError(w, elbXMLNS, http.StatusBadRequest, code, fmt.Sprintf(format, args...))
	}
	reply := func(result string) { queryReply(w, elbXMLNS, action, result) }
	name := f.Get("LoadBalancerName")
	lb := e.lbs[name]
	needLB := func() bool {
		if lb == nil {
			errf("LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '%s'", name)
			return false
		}
		return true
	}
	switch action {
	case "CreateLoadBalancer":
		if name == "" {
			errf("ValidationError", "LoadBalancerName is required")
			return
		}
		if lb != nil {
			errf("DuplicateLoadBalancerName", "Load balancer name '%s' already exists", name)
			return
		}
		listeners, err := elbListeners(f)
		if err != "" {
			errf("ValidationError", "%s", err)
			return
		}
		if len(listeners) == 0 {
			errf("ValidationError", "Listeners is required")
			return
		}
		subnets, zones := queryList(f, "Subnets"), queryList(f, "AvailabilityZones")
		if len(subnets) == 0 && len(zones) == 0 {
			errf("ValidationError", "Either AvailabilityZones or SubnetIds must be specified")
			return
		}
		scheme := f.Get("Scheme")
		if scheme == "" {
			scheme = "internet-facing"
		}
		lb = &ELBLoadBalancer{
			Name: name, Scheme: scheme, Listeners: listeners, Subnets: subnets, AvailabilityZones: zones,
			SecurityGroups: queryList(f, "SecurityGroups"), Tags: map[string]string{}, Created: time.Now().UTC(),
			HealthCheck: ELBHealthCheck{Target: "TCP:" + strconv.Itoa(listeners[0].InstancePort), Interval: 30, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 10},
			IdleTimeout: 60, DrainingTimeout: 300,
		}
		for i := range subnets { // a subnet's zone: the fake does not know it
			lb.AvailabilityZones = append(lb.AvailabilityZones, "us-east-1"+string(rune('a'+i%6)))
		}
		for _, p := range queryMembers(f, "Tags") {
			lb.Tags[f.Get(p+"Key")] = f.Get(p + "Value")
		}
		e.lbs[name] = lb
		reply("<DNSName>" + xmlText(name) + "-1234567890.us-east-1.elb.amazonaws.com</DNSName>")
	case "DescribeLoadBalancers":
		names := queryList(f, "LoadBalancerNames")
		if len(names) == 0 {
			names = sortedNames(e.lbs)
		}
		var b strings.Builder
		b.WriteString("<LoadBalancerDescriptions>")
		for _, n := range names {
			x := e.lbs[n]
			if x == nil {
				errf("LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '%s'", n)
				return
			}
			b.WriteString(x.describe())
		}
		b.WriteString("</LoadBalancerDescriptions>")
		reply(b.String())
	case "DeleteLoadBalancer":
		delete(e.lbs, name) // idempotent, as ELB is
		reply("")
	case "CreateLoadBalancerListeners":
		if !needLB() {
			return
		}
		listeners, err := elbListeners(f)
		if err != "" {
			errf("ValidationError", "%s", err)
			return
		}
		for _, l := range listeners {
			for _, x := range lb.Listeners {
				if x.LoadBalancerPort == l.LoadBalancerPort && x != l {
					errf("DuplicateListener", "A listener already exists for %s with LoadBalancerPort %d, but with a different InstancePort, Protocol, or SSLCertificateId", name, l.LoadBalancerPort)
					return
				}
			}
		}
		for _, l := range listeners {
			if !containsListener(lb.Listeners, l) {
				lb.Listeners = append(lb.Listeners, l)
			}
		}
		reply("")
	case "DeleteLoadBalancerListeners":
		if !needLB() {
			return
		}
		ports := map[int]bool{}
		for _, p := range queryList(f, "LoadBalancerPorts") {
			ports[atoiOr(p, -1)] = true
		}
		kept := lb.Listeners[:0]
		for _, l := range lb.Listeners {
			if !ports[l.LoadBalancerPort] {
				kept = append(kept, l)
			}
		}
		lb.Listeners = kept
		reply("")
	case "ConfigureHealthCheck":
		if !needLB() {
			return
		}
		hc := ELBHealthCheck{
			Target: f.Get("HealthCheck.Target"), Interval: atoiOr(f.Get("HealthCheck.Interval"), 0),
			Timeout: atoiOr(f.Get("HealthCheck.Timeout"), 0), UnhealthyThreshold: atoiOr(f.Get("HealthCheck.UnhealthyThreshold"), 0),
			HealthyThreshold: atoiOr(f.Get("HealthCheck.HealthyThreshold"), 0),
		}
		if hc.Target == "" || hc.Interval <= 0 || hc.Timeout <= 0 || hc.UnhealthyThreshold < 2 || hc.HealthyThreshold < 2 {
			errf("ValidationError", "HealthCheck needs Target, Interval, Timeout, UnhealthyThreshold and HealthyThreshold")
			return
		}
		lb.HealthCheck = hc
		reply(hc.xml())
	case "DescribeLoadBalancerAttributes":
		if !needLB() {
			return
		}
		reply(lb.attributesXML())
	case "ModifyLoadBalancerAttributes":
		if !needLB() {
			return
		}
		const p = "LoadBalancerAttributes."
		if v := f.Get(p + "CrossZoneLoadBalancing.Enabled"); v != "" {
			lb.CrossZone = v == "true"
		}
		if v := f.Get(p + "ConnectionSettings.IdleTimeout"); v != "" {
			lb.IdleTimeout = atoiOr(v, lb.IdleTimeout)
		}
		if v := f.Get(p + "ConnectionDraining.Enabled"); v != "" {
			lb.DrainingEnabled = v == "true"
		}
		if v := f.Get(p + "ConnectionDraining.Timeout"); v != "" {
			lb.DrainingTimeout = atoiOr(v, lb.DrainingTimeout)
		}
		if v := f.Get(p + "AccessLog.Enabled"); v != "" {
			lb.AccessLogEnabled = v == "true"
			lb.AccessLogBucket = f.Get(p + "AccessLog.S3BucketName")
			lb.AccessLogPrefix = f.Get(p + "AccessLog.S3BucketPrefix")
			lb.AccessLogInterval = atoiOr(f.Get(p+"AccessLog.EmitInterval"), 60)
		}
		reply("<LoadBalancerName>" + xmlText(name) + "</LoadBalancerName>" + lb.attributesXML())
	case "ApplySecurityGroupsToLoadBalancer":
		if !needLB() {
			return
		}
		lb.SecurityGroups = queryList(f, "SecurityGroups")
		reply("<SecurityGroups>" + xmlMembers(lb.SecurityGroups) + "</SecurityGroups>")
	case "AttachLoadBalancerToSubnets", "DetachLoadBalancerFromSubnets":
		if !needLB() {
			return
		}
		lb.Subnets = setOp(lb.Subnets, queryList(f, "Subnets"), action == "AttachLoadBalancerToSubnets")
		reply("<Subnets>" + xmlMembers(lb.Subnets) + "</Subnets>")
	case "EnableAvailabilityZonesForLoadBalancer", "DisableAvailabilityZonesForLoadBalancer":
		if !needLB() {
			return
		}
		lb.AvailabilityZones = setOp(lb.AvailabilityZones, queryList(f, "AvailabilityZones"), action == "EnableAvailabilityZonesForLoadBalancer")
		reply("<AvailabilityZones>" + xmlMembers(lb.AvailabilityZones) + "</AvailabilityZones>")
	case "AddTags", "RemoveTags":
		names := queryList(f, "LoadBalancerNames")
		for _, n := range names {
			if e.lbs[n] == nil {
				errf("LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '%s'", n)
				return
			}
		}
		for _, n := range names {
			for _, p := range queryMembers(f, "Tags") {
				if action == "AddTags" {
					e.lbs[n].Tags[f.Get(p+"Key")] = f.Get(p + "Value")
				} else {
					delete(e.lbs[n].Tags, f.Get(p+"Key"))
				}
			}
		}
		reply("")
	case "DescribeTags":
		var b strings.Builder
		b.WriteString("<TagDescriptions>")
		for _, n := range queryList(f, "LoadBalancerNames") {
			x := e.lbs[n]
			if x == nil {
				errf("LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '%s'", n)
				return
			}
			fmt.Fprintf(&b, "<member><LoadBalancerName>%s</LoadBalancerName><Tags>", xmlText(n))
			for _, k := range sortedNames(x.Tags) {
				fmt.Fprintf(&b, "<member><Key>%s</Key><Value>%s</Value></member>", xmlText(k), xmlText(x.Tags[k]))
			}
			b.WriteString("</Tags></member>")
		}
		b.WriteString("</TagDescriptions>")
		reply(b.String())
	default:
		errf("InvalidAction", "action %s is not faked", action)
	}
}

// elbListeners reads Listeners.member.N.*; a non-empty string is a
// validation error.
func elbListeners(f url.Values) ([]ELBListener, string) {
	var out []ELBListener
	for _, p := range queryMembers(f, "Listeners") {
		l := ELBListener{
			Protocol: strings.ToUpper(f.Get(p + "Protocol")), LoadBalancerPort: atoiOr(f.Get(p+"LoadBalancerPort"), 0),
			InstanceProtocol: strings.ToUpper(f.Get(p + "InstanceProtocol")), InstancePort: atoiOr(f.Get(p+"InstancePort"), 0),
			SSLCertificateID: f.Get(p + "SSLCertificateId"),
		}
		if l.InstanceProtocol == "" {
			l.InstanceProtocol = l.Protocol
		}
		switch l.Protocol {
		case "HTTP", "TCP":
		case "HTTPS", "SSL":
			if l.SSLCertificateID == "" {
				return nil, fmt.Sprintf("a listener with protocol %s on port %d needs an SSLCertificateId", l.Protocol, l.LoadBalancerPort)
			}
		default:
			return nil, fmt.Sprintf("invalid listener protocol %q", l.Protocol)
		}
		if l.LoadBalancerPort <= 0 || l.InstancePort <= 0 {
			return nil, "listener ports must be positive"
		}
		out = append(out, l)
	}
	return out, ""
}

func containsListener(ls []ELBListener, l ELBListener) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

// setOp adds (or removes) vals to (from) set, keeping order.
func setOp(set, vals []string, add bool) []string {
	in := map[string]bool{}
	for _, v := range vals {
		in[v] = true
	}
	var out []string
	for _, s := range set {
		if add || !in[s] {
			out = append(out, s)
		}
		delete(in, s)
	}
	if add {
		for _, v := range vals {
			if in[v] {
				out = append(out, v)
				delete(in, v)
			}
		}
	}
	return out
}

func (hc ELBHealthCheck) xml() string {
	return fmt.Sprintf("<HealthCheck><Target>%s</Target><Interval>%d</Interval><Timeout>%d</Timeout><UnhealthyThreshold>%d</UnhealthyThreshold><HealthyThreshold>%d</HealthyThreshold></HealthCheck>",
		xmlText(hc.Target), hc.Interval, hc.Timeout, hc.UnhealthyThreshold, hc.HealthyThreshold)
}

func (lb *ELBLoadBalancer) attributesXML() string {
	return fmt.Sprintf("<LoadBalancerAttributes><CrossZoneLoadBalancing><Enabled>%t</Enabled></CrossZoneLoadBalancing>"+
		"<AccessLog><Enabled>%t</Enabled><S3BucketName>%s</S3BucketName><EmitInterval>%d</EmitInterval><S3BucketPrefix>%s</S3BucketPrefix></AccessLog>"+
		"<ConnectionDraining><Enabled>%t</Enabled><Timeout>%d</Timeout></ConnectionDraining>"+
		"<ConnectionSettings><IdleTimeout>%d</IdleTimeout></ConnectionSettings></LoadBalancerAttributes>",
		lb.CrossZone, lb.AccessLogEnabled, xmlText(lb.AccessLogBucket), lb.AccessLogInterval, xmlText(lb.AccessLogPrefix),
		lb.DrainingEnabled, lb.DrainingTimeout, lb.IdleTimeout)
}

func (lb *ELBLoadBalancer) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<member><LoadBalancerName>%s</LoadBalancerName><DNSName>%s-1234567890.us-east-1.elb.amazonaws.com</DNSName><Scheme>%s</Scheme>",
		xmlText(lb.Name), xmlText(lb.Name), xmlText(lb.Scheme))
	b.WriteString("<ListenerDescriptions>")
	for _, l := range lb.Listeners {
		fmt.Fprintf(&b, "<member><Listener><Protocol>%s</Protocol><LoadBalancerPort>%d</LoadBalancerPort><InstanceProtocol>%s</InstanceProtocol><InstancePort>%d</InstancePort>",
			l.Protocol, l.LoadBalancerPort, l.InstanceProtocol, l.InstancePort)
		if l.SSLCertificateID != "" {
			fmt.Fprintf(&b, "<SSLCertificateId>%s</SSLCertificateId>", xmlText(l.SSLCertificateID))
		}
		b.WriteString("</Listener><PolicyNames></PolicyNames></member>")
	}
	b.WriteString("</ListenerDescriptions>")
	b.WriteString(lb.HealthCheck.xml())
	fmt.Fprintf(&b, "<Subnets>%s</Subnets><AvailabilityZones>%s</AvailabilityZones><SecurityGroups>%s</SecurityGroups>",
		xmlMembers(lb.Subnets), xmlMembers(lb.AvailabilityZones), xmlMembers(lb.SecurityGroups))
	fmt.Fprintf(&b, "<CreatedTime>%s</CreatedTime><Instances></Instances><BackendServerDescriptions></BackendServerDescriptions></member>",
		lb.Created.Format("2006-01-02T15:04:05.000Z"))
	return b.String()
}
