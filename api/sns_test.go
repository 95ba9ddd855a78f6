package api

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKeyPair is an RSA key with a self-signed certificate for 127.0.0.1,
// made once per test process.
type testKeyPair struct {
	key     *rsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
	pool    *x509.CertPool
}

var testKeys = sync.OnceValues(func() ([2]*testKeyPair, error) {
	var out [2]*testKeyPair
	for i := range out {
		block, _ := pem.Decode([]byte(testKeyPEMs[i]))
		if block == nil {
			return out, errors.New("bad test key PEM")
		}
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return out, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 1)),
			Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			IsCA:         true, BasicConstraintsValid: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return out, err
		}
		cert, _ := x509.ParseCertificate(der)
		pool := x509.NewCertPool()
		pool.AddCert(cert)
		out[i] = &testKeyPair{
			key:     key,
			certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
			pool:    pool,
		}
	}
	return out, nil
})

func testKey(t testing.TB) *testKeyPair {
	k, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k[0]
}

// snsFixture is a stand-in for AWS: a TLS server that serves the signing
// certificate and records subscription confirmations.
type snsFixture struct {
	srv         *httptest.Server
	base        string       // srv's URL without its port, as SNS would write it
	client      *http.Client // reaches srv at base
	certURL     string
	mu          sync.Mutex
	confirms    []string
	certFetch   int
	failConfirm bool
}

func newSNSFixture(t testing.TB) *snsFixture {
	k := testKey(t)
	f := &snsFixture{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-test.pem", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.certFetch++
		f.mu.Unlock()
		w.Write(k.certPEM)
	})
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.confirms = append(f.confirms, r.URL.RawQuery)
		fail := f.failConfirm
		f.mu.Unlock()
		if fail {
			http.Error(w, "throttled", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("<ConfirmSubscriptionResponse/>"))
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	f.base, f.client = port443(f.srv)
	f.certURL = f.base + "/SimpleNotificationService-test.pem"
	return f
}

// port443 returns srv's URL as SNS would give it, on port 443 (so with no
// port), and a client that reaches srv whatever address it is asked for.
func port443(srv *httptest.Server) (string, *http.Client) {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return "https://127.0.0.1", &http.Client{Transport: tr}
}

func (f *snsFixture) Confirms() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.confirms...)
}

func (f *snsFixture) config(confirm bool) *Config {
	return &Config{
		SNSCertHost: `^127\.0\.0\.1$`,
		HTTPClient:  f.client,
		Hooks: []Hook{
			{Path: "autoscale/*", Auth: AuthSNS, Confirm: confirm},
			{Path: "topic", Auth: AuthSNS, TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:good"}},
		},
	}
}

// snsCanonical is written from AWS's description, independently of the
// code under test.
func snsCanonical(m map[string]string) string {
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m["Type"] != "Notification" {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		if v, ok := m[k]; ok {
			b.WriteString(k + "\n" + v + "\n")
		}
	}
	return b.String()
}

var msgSeq int

// snsMessageFor returns the fields of a message of type typ, unsigned.
func (f *snsFixture) message(typ string) map[string]string {
	msgSeq++
	m := map[string]string{
		"Type":             typ,
		"MessageId":        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b-" + string(rune('a'+msgSeq%26)) + strings.Repeat("0", msgSeq/26),
		"TopicArn":         "arn:aws:sns:us-east-1:123456789012:asg",
		"Message":          `{"Event":"autoscaling:EC2_INSTANCE_LAUNCH","EC2InstanceId":"i-0abc","AutoScalingGroupName":"web-asg"}`,
		"Timestamp":        time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"SignatureVersion": "1",
		"SigningCertURL":   f.certURL,
	}
	if typ == "Notification" {
		m["UnsubscribeURL"] = f.base + "/unsubscribe?x=1"
	} else {
		m["Token"] = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a7476"
		m["SubscribeURL"] = f.base + "/confirm?Action=ConfirmSubscription&Token=abc"
		m["Message"] = "You have chosen to subscribe to the topic."
	}
	return m
}

func sign(t testing.TB, key *rsa.PrivateKey, m map[string]string) {
	msg := []byte(snsCanonical(m))
	var sig []byte
	var err error
	if m["SignatureVersion"] == "2" {
		h := sha256.Sum256(msg)
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	} else {
		h := sha1.Sum(msg)
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, h[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
}

func snsBody(m map[string]string) []byte {
	data, _ := json.Marshal(m)
	return data
}

func (e *env) postSNS(path string, m map[string]string) resp {
	return e.do("POST", path, snsBody(m), map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"X-Amz-Sns-Message-Type": m["Type"],
	})
}

func TestSNSNotification(t *testing.T) {
	f := newSNSFixture(t)
	e := newEnv(t, f.config(false))
	k := testKey(t)
	for _, version := range []string{"1", "2"} {
		for _, subject := range []string{"", "Auto Scaling: launch"} {
			e.fb.reset()
			m := f.message("Notification")
			m["SignatureVersion"] = version
			if subject != "" {
				m["Subject"] = subject
			}
			sign(t, k.key, m)
			r := e.postSNS("/hook/autoscale/web", m)
			expectStatus(t, r, 200, `"success":true`)
			d := expectHookEvent(t, e.fb, "autoscale/web")
			post := d["post"].(map[string]any)
			if post["Message"] != m["Message"] || post["TopicArn"] != m["TopicArn"] || d["body"] != string(snsBody(m)) {
				t.Fatalf("event %v", d)
			}
			if subject != "" && post["Subject"] != subject {
				t.Fatalf("subject %v", post["Subject"])
			}
		}
	}
	// The certificate was fetched once and then cached.
	f.mu.Lock()
	n := f.certFetch
	f.mu.Unlock()
	if n != 1 {
		t.Fatalf("certificate fetched %d times", n)
	}
	if c := f.Confirms(); len(c) != 0 {
		t.Fatalf("notifications confirmed something: %v", c)
	}

	// The same message again is not acted on twice.
	m := f.message("Notification")
	sign(t, k.key, m)
	e.fb.reset()
	expectStatus(t, e.postSNS("/hook/autoscale/web", m), 200)
	expectStatus(t, e.postSNS("/hook/autoscale/web", m), 200)
	if fired := e.fb.Fired(); len(fired) != 1 {
		t.Fatalf("replay fired %v", fired)
	}

	// Keys SNS does not send stay out of "post"; a lower-case twin of a
	// signed field cannot stand in for it.
	m = f.message("Notification")
	sign(t, k.key, m)
	var withExtra map[string]any
	json.Unmarshal(snsBody(m), &withExtra)
	withExtra["message"] = "evil"
	withExtra["Injected"] = "x"
	e.fb.reset()
	expectStatus(t, e.do("POST", "/hook/autoscale/web", withExtra, nil), 200)
	post := expectHookEvent(t, e.fb, "autoscale/web")["post"].(map[string]any)
	if post["Message"] != m["Message"] || post["message"] != nil || post["Injected"] != nil {
		t.Fatalf("post %v", post)
	}
}

func TestSNSSubscriptionConfirmation(t *testing.T) {
	f := newSNSFixture(t)
	e := newEnv(t, f.config(true))
	k := testKey(t)
	for i, version := range []string{"1", "2"} {
		e.fb.reset()
		m := f.message("SubscriptionConfirmation")
		m["SignatureVersion"] = version
		sign(t, k.key, m)
		expectStatus(t, e.postSNS("/hook/autoscale/web", m), 200)
		fired := e.fb.Fired()
		if len(fired) != 1 || fired[0].Tag != TagSNSConfirmed || fired[0].Data["topic_arn"] != m["TopicArn"] {
			t.Fatalf("fired %v", fired)
		}
		if c := f.Confirms(); len(c) != i+1 || !strings.Contains(c[i], "Token=abc") {
			t.Fatalf("confirmations %v", c)
		}
	}

	// Without confirm, the operator gets the URL.
	e2 := newEnv(t, f.config(false))
	m := f.message("SubscriptionConfirmation")
	sign(t, k.key, m)
	expectStatus(t, e2.postSNS("/hook/autoscale/web", m), 200)
	fired := e2.fb.Fired()
	if len(fired) != 1 || fired[0].Tag != TagSNSSubscribe || fired[0].Data["subscribe_url"] != m["SubscribeURL"] {
		t.Fatalf("fired %v", fired)
	}
	if c := f.Confirms(); len(c) != 2 {
		t.Fatalf("confirmed without confirm: %v", c)
	}

	// Unsubscribe confirmations are reported, not forwarded.
	m = f.message("UnsubscribeConfirmation")
	sign(t, k.key, m)
	e2.fb.reset()
	expectStatus(t, e2.postSNS("/hook/autoscale/web", m), 200)
	if fired := e2.fb.Fired(); len(fired) != 1 || fired[0].Tag != TagSNSUnsubscribed {
		t.Fatalf("fired %v", fired)
	}
}

func TestSNSRejected(t *testing.T) {
	f := newSNSFixture(t)
	e := newEnv(t, f.config(true))
	keys, _ := testKeys()
	good, other := keys[0], keys[1]

	for _, tc := range []struct {
		name   string
		typ    string
		path   string
		modify func(m map[string]string) // before signing
		after  func(m map[string]string) // after signing
		header map[string]string
	}{
		{name: "forged signature", typ: "Notification", after: func(m map[string]string) { sign(t, other.key, m) }},
		{name: "tampered message", typ: "Notification", after: func(m map[string]string) { m["Message"] = strings.Replace(m["Message"], "i-0abc", "i-0abd", 1) }},
		{name: "tampered subject", typ: "Notification", modify: func(m map[string]string) { m["Subject"] = "a" }, after: func(m map[string]string) { m["Subject"] = "b" }},
		{name: "subject added", typ: "Notification", after: func(m map[string]string) { m["Subject"] = "b" }},
		{name: "tampered topic", typ: "Notification", after: func(m map[string]string) { m["TopicArn"] += "x" }},
		{name: "type swapped", typ: "Notification", after: func(m map[string]string) { m["Type"] = "SubscriptionConfirmation" }},
		{name: "version swapped", typ: "Notification", after: func(m map[string]string) { m["SignatureVersion"] = "2" }},
		{name: "bad version", typ: "Notification", modify: func(m map[string]string) { m["SignatureVersion"] = "3" }},
		{name: "garbage signature", typ: "Notification", after: func(m map[string]string) { m["Signature"] = "!!!" }},
		{name: "wrong cert host", typ: "Notification", modify: func(m map[string]string) {
			m["SigningCertURL"] = "https://localhost/SimpleNotificationService-test.pem"
		}},
		{name: "aws-lookalike host", typ: "Notification", modify: func(m map[string]string) {
			m["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.evil.example/x.pem"
		}},
		{name: "http cert url", typ: "Notification", modify: func(m map[string]string) {
			m["SigningCertURL"] = strings.Replace(f.certURL, "https://", "http://", 1)
		}},
		{name: "userinfo cert url", typ: "Notification", modify: func(m map[string]string) {
			m["SigningCertURL"] = strings.Replace(f.certURL, "https://", "https://u:p@", 1)
		}},
		{name: "cert url not pem", typ: "Notification", modify: func(m map[string]string) { m["SigningCertURL"] = f.base + "/confirm" }},
		// The fixture's real port: SNS is on 443 only.
		{name: "cert url port", typ: "Notification", modify: func(m map[string]string) {
			m["SigningCertURL"] = f.srv.URL + "/SimpleNotificationService-test.pem"
		}},
		{name: "cert url port 8443", typ: "Notification", modify: func(m map[string]string) {
			m["SigningCertURL"] = "https://127.0.0.1:8443/SimpleNotificationService-test.pem"
		}},
		{name: "old message", typ: "Notification", modify: func(m map[string]string) {
			m["Timestamp"] = time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
		}},
		{name: "future message", typ: "Notification", modify: func(m map[string]string) {
			m["Timestamp"] = time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
		}},
		{name: "bad timestamp", typ: "Notification", modify: func(m map[string]string) { m["Timestamp"] = "yesterday" }},
		{name: "missing field", typ: "Notification", after: func(m map[string]string) { delete(m, "MessageId") }},
		{name: "unknown type", typ: "Notification", modify: func(m map[string]string) { m["Type"] = "Surprise" }},
		{name: "header type mismatch", typ: "Notification", header: map[string]string{"X-Amz-Sns-Message-Type": "SubscriptionConfirmation"}},
		{name: "topic not allowed", typ: "Notification", path: "topic"},
		{name: "confirmation forged", typ: "SubscriptionConfirmation", after: func(m map[string]string) { sign(t, other.key, m) }},
		{name: "confirmation url tampered", typ: "SubscriptionConfirmation", after: func(m map[string]string) { m["SubscribeURL"] += "&x=1" }},
		{name: "subscribe url host", typ: "SubscriptionConfirmation", modify: func(m map[string]string) {
			m["SubscribeURL"] = "https://localhost/confirm?Token=abc"
		}},
		{name: "subscribe url port", typ: "SubscriptionConfirmation", modify: func(m map[string]string) {
			m["SubscribeURL"] = f.srv.URL + "/confirm?Token=abc"
		}},
		{name: "subscribe url http", typ: "SubscriptionConfirmation", modify: func(m map[string]string) {
			m["SubscribeURL"] = strings.Replace(m["SubscribeURL"], "https://", "http://", 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.fb.reset()
			m := f.message(tc.typ)
			if tc.modify != nil {
				tc.modify(m)
			}
			sign(t, good.key, m)
			if tc.after != nil {
				tc.after(m)
			}
			hdr := map[string]string{"Content-Type": "text/plain; charset=UTF-8"}
			for k, v := range tc.header {
				hdr[k] = v
			}
			path := tc.path
			if path == "" {
				path = "autoscale/web"
			}
			r := e.do("POST", "/hook/"+path, snsBody(m), hdr)
			expectStatus(t, r, 403, "hook rejected")
			expectOnlyRejected(t, e.fb, path, AuthSNS, m["Message"], m["Signature"], "Token=abc")
			if c := f.Confirms(); len(c) != 0 {
				t.Fatalf("confirmed %v", c)
			}
		})
	}
	for _, body := range []string{"", "not json", "[]", "null", `{"Type": 3}`, "Type: Notification\nMessage: x"} {
		e.fb.reset()
		expectStatus(t, e.do("POST", "/hook/autoscale/web", body, nil), 403)
		expectOnlyRejected(t, e.fb, "autoscale/web", AuthSNS)
	}
}

func TestSNSStringToSign(t *testing.T) {
	f := &snsFixture{certURL: "https://sns.us-east-1.amazonaws.com/x.pem", srv: &httptest.Server{URL: "https://sns.us-east-1.amazonaws.com"}}
	for _, typ := range []string{"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"} {
		for _, subject := range []bool{false, true} {
			m := f.message(typ)
			if subject {
				m["Subject"] = ""
			}
			m["Signature"] = "x"
			msg, err := parseSNS(snsBody(m))
			if err != nil {
				t.Fatal(err)
			}
			want := snsCanonical(m)
			if typ != "Notification" {
				delete(m, "Subject")
				want = snsCanonical(m)
			}
			if got := msg.stringToSign(); got != want {
				t.Fatalf("%s: string to sign\n%q\nwant\n%q", typ, got, want)
			}
		}
	}
	// A null Subject counts as absent.
	m := f.message("Notification")
	m["Signature"] = "x"
	var raw map[string]any
	json.Unmarshal(snsBody(m), &raw)
	raw["Subject"] = nil
	data, _ := json.Marshal(raw)
	msg, err := parseSNS(data)
	if err != nil || strings.Contains(msg.stringToSign(), "Subject") {
		t.Fatalf("null subject: %v %q", err, msg.stringToSign())
	}
}

func TestSNSDefaultHost(t *testing.T) {
	re := mustDefaultHost(t)
	for host, ok := range map[string]bool{
		"sns.us-east-1.amazonaws.com":           true,
		"sns.cn-north-1.amazonaws.com.cn":       true,
		"sns.us-east-1.amazonaws.com.evil.com":  false,
		"evil.com":                              false,
		"sns.us-east-1.amazonaws.com.":          false,
		"xsns.us-east-1.amazonaws.com":          false,
		"sns.us_east-1.amazonaws.com":           false,
		"sns.us-east-1.amazonaws.com:443@x.com": false,
	} {
		err := checkSNSURL("https://"+host+"/SimpleNotificationService-1.pem", re, true)
		if (err == nil) != ok {
			t.Errorf("%s: %v", host, err)
		}
	}
}

func mustDefaultHost(t *testing.T) *regexp.Regexp {
	s := New(nil, newFake(), nil)
	if s.snsHost == nil {
		t.Fatal("no default SNS host pattern")
	}
	return s.snsHost
}

func TestSNSConfirmFailure(t *testing.T) {
	f := newSNSFixture(t)
	e := newEnv(t, f.config(true))
	m := f.message("SubscriptionConfirmation")
	sign(t, testKey(t).key, m)
	f.mu.Lock()
	f.failConfirm = true
	f.mu.Unlock()
	expectStatus(t, e.postSNS("/hook/autoscale/web", m), 502, "confirming the subscription failed")
	fired := e.fb.Fired()
	if len(fired) != 1 || fired[0].Tag != TagSNSSubscribe || fired[0].Data["subscribe_url"] != m["SubscribeURL"] || fired[0].Data["error"] == nil {
		t.Fatalf("fired %v", fired)
	}
	// SNS may deliver the same confirmation again: it is tried again.
	f.mu.Lock()
	f.failConfirm = false
	f.mu.Unlock()
	e.fb.reset()
	expectStatus(t, e.postSNS("/hook/autoscale/web", m), 200)
	if fired := e.fb.Fired(); len(fired) != 1 || fired[0].Tag != TagSNSConfirmed {
		t.Fatalf("fired %v", fired)
	}
	if c := f.Confirms(); len(c) != 2 {
		t.Fatalf("confirms %v", c)
	}
}

func TestReplayCache(t *testing.T) {
	var c replayCache
	t0 := time.Now()
	if !c.add("a", t0) || c.add("a", t0.Add(time.Minute)) {
		t.Fatal("duplicate accepted")
	}
	c.remove("a")
	if !c.add("a", t0.Add(2*time.Minute)) {
		t.Fatal("removed key refused")
	}
	// Entries leave once no timestamp could still be accepted.
	later := t0.Add(snsMaxAge + snsMaxSkew + 3*time.Minute)
	if !c.add("b", later) || len(c.m) != 1 {
		t.Fatalf("old entries kept: %v", c.m)
	}
	for i := range snsReplaySize + 10 {
		c.add(fmt.Sprint(i), later)
	}
	if len(c.m) > snsReplaySize {
		t.Fatalf("%d entries", len(c.m))
	}
}
