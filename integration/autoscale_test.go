package integration

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/ec2identity"
	"github.com/brine-cm/brine/internal/fakeaws"
	"github.com/brine-cm/brine/internal/testutil"
)

// awsFakes serves a fake SQS and Auto Scaling and points the master's AWS
// SDK at them through the standard environment (the master inherits it).
type awsFakes struct {
	sqs      *fakeaws.SQS
	as       *fakeaws.AutoScaling
	queueURL string
}

const autoscaleQueue = "salt-master-queue"

func startAWSFakes(t *testing.T) *awsFakes {
	t.Helper()
	f := &awsFakes{sqs: fakeaws.NewSQS(), as: fakeaws.NewAutoScaling()}
	sqsSrv := httptest.NewServer(f.sqs)
	t.Cleanup(sqsSrv.Close)
	asSrv := httptest.NewServer(f.as)
	t.Cleanup(asSrv.Close)
	f.queueURL = sqsSrv.URL + "/123456789012/" + autoscaleQueue
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SQS":          sqsSrv.URL,
		"AWS_ENDPOINT_URL_AUTO_SCALING": asSrv.URL,
		"AWS_ACCESS_KEY_ID":             "AKIDINTEGRATION",
		"AWS_SECRET_ACCESS_KEY":         "integration-secret",
		"AWS_REGION":                    "us-east-1",
		"AWS_EC2_METADATA_DISABLED":     "true",
		"AWS_CONFIG_FILE":               filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE":   filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return f
}

// hooks adds a launch and a terminate lifecycle hook to each group.
func (f *awsFakes) hooks(groups ...string) {
	for _, g := range groups {
		f.as.PutHook(fakeaws.AutoScalingHook{Group: g, Name: "launch", Transition: "autoscaling:EC2_INSTANCE_LAUNCHING", HeartbeatTimeout: 300})
		f.as.PutHook(fakeaws.AutoScalingHook{Group: g, Name: "terminate", Transition: "autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout: 300})
	}
}

func (f *awsFakes) completions(t *testing.T, n int) []fakeaws.AutoScalingCompletion {
	t.Helper()
	testutil.Eventually(t, waitLong, fmt.Sprintf("%d lifecycle actions completed", n), func() bool { return len(f.as.Completed()) >= n })
	return f.as.Completed()
}

// autoscaleStates is a state tree for the autoscaled minions: web
// instances write a marker (their highstate ran), clean removes it, and
// broken fails.
func autoscaleStates(t *testing.T, marks string) string {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"top.sls": "base:\n  'web-asg-*':\n    - web\n",
		"web.sls": fmt.Sprintf(`marker:
  file.managed:
    - name: %s/{{ grains['id'] }}
    - contents: highstated
ready:
  test.succeed_without_changes:
    - require:
      - file: marker
`, marks),
		"clean.sls": fmt.Sprintf(`unmark:
  file.absent:
    - name: %s/{{ grains['id'] }}
`, marks),
		"broken.sls": "broken:\n  test.fail_without_changes\n",
	})
	return root
}

// Seed 001's flow on SQS: scale out by five (five minions accepted and
// highstated, five CONTINUE), scale in by three (clean state, three keys
// and their mine data gone, three completions, nothing pending), and a
// launch whose startup state fails is ABANDONed.
func TestAutoscaleSQS(t *testing.T) {
	f := startAWSFakes(t)
	f.hooks("web-asg", "bad-asg")
	marks := t.TempDir()
	c := cluster(t, map[string]any{
		"file_roots": map[string]any{"base": []string{autoscaleStates(t, marks)}},
		"mine_ttl":   -1, // answer with gone minions' data: only a deleted key's data disappears
		"autoscale": map[string]any{
			"region":    "us-east-1",
			"queue_url": f.queueURL,
			"groups": map[string]any{
				"web-asg": map[string]any{"startup_states": "highstate", "clean_state": "clean", "grains": map[string]any{"roles": []string{"web"}}},
				"bad-asg": map[string]any{"startup_states": []string{"broken"}},
			},
		},
	})
	f.sqs.Send(autoscaleQueue, fakeaws.AutoScalingTestNotification("web-asg"))

	var ids, insts []string
	for i := range 5 {
		inst := fmt.Sprintf("i-0a%015d", i)
		id := "web-asg-" + inst
		insts, ids = append(insts, inst), append(ids, id)
		cfg := c.MinionConfig(id, nil)
		cfg["mine_functions"] = map[string]any{"network.get_hostname": []any{}}
		c.StartMinion(cfg)
		_, body := f.as.Start("web-asg", "launch", inst)
		f.sqs.Send(autoscaleQueue, body)
	}
	comps := f.completions(t, 5)
	for _, comp := range comps {
		if comp.Result != "CONTINUE" || comp.Transition != "autoscaling:EC2_INSTANCE_LAUNCHING" {
			t.Fatalf("launch completion = %+v", comp)
		}
	}
	if kl := listKeys(t, c); !equalIDs(kl.Minions, ids...) || len(kl.Pre) != 0 {
		t.Fatalf("keys after scale-out: %s", kl)
	}
	for _, id := range ids {
		if b, err := os.ReadFile(filepath.Join(marks, id)); err != nil || strings.TrimSpace(string(b)) != "highstated" {
			t.Fatalf("%s was not highstated: %q %v", id, b, err)
		}
	}
	if got, r := ctlJSON(t, c, "grains.get", "web-asg-*", "roles"); len(got) != 5 || fmt.Sprint(got[ids[0]]) != "[web]" {
		t.Fatalf("grains.get roles = %v (%s)", got, r.Stderr)
	}
	mineOf := func() map[string]any {
		m, _ := ctlJSON(t, c, "run", "mine.get", "*", "network.get_hostname")
		return m
	}
	testutil.Eventually(t, waitLong, "mine data of the five", func() bool { return len(mineOf()) == 5 })

	// Scale in by three.
	for _, inst := range insts[:3] {
		_, body := f.as.Start("web-asg", "terminate", inst)
		f.sqs.Send(autoscaleQueue, body)
	}
	comps = f.completions(t, 8)
	for _, comp := range comps[5:] {
		if comp.Result != "CONTINUE" || comp.Transition != "autoscaling:EC2_INSTANCE_TERMINATING" || !slices.Contains(insts[:3], comp.InstanceID) {
			t.Fatalf("terminate completion = %+v", comp)
		}
	}
	for _, id := range ids[:3] {
		if _, err := os.Stat(filepath.Join(marks, id)); !os.IsNotExist(err) {
			t.Fatalf("clean state did not run on %s: %v", id, err)
		}
	}
	// The terminated instances' minions keep trying until the instances
	// are gone: they must not come back as pending keys.
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, ids[3:]...) || len(kl.Pre) != 0 {
		t.Fatalf("keys after scale-in: %s", kl)
	}
	for _, id := range ids[:3] {
		c.StopMinion(id)
	}
	if m := mineOf(); len(m) != 2 || m[ids[3]] == nil || m[ids[4]] == nil {
		t.Fatalf("mine after scale-in = %v", m)
	}
	if p := f.as.Pending(); len(p) != 0 {
		t.Fatalf("lifecycle actions left pending: %v", p)
	}

	// A launch whose startup state fails is abandoned.
	c.StartMinion(c.MinionConfig("bad-asg-i-0b000000000000001", nil))
	_, body := f.as.Start("bad-asg", "launch", "i-0b000000000000001")
	f.sqs.Send(autoscaleQueue, body)
	if comp := f.completions(t, 9)[8]; comp.Result != "ABANDON" || comp.InstanceID != "i-0b000000000000001" {
		t.Fatalf("failed launch completion = %+v", comp)
	}
	testutil.Eventually(t, waitLong, "the queue to be drained", func() bool { return f.sqs.Len(autoscaleQueue) == 0 })
	if n := len(f.sqs.Deleted(autoscaleQueue)); n != 10 {
		t.Fatalf("%d messages deleted, want 10 (test notification, 5 launches, 3 terminations, 1 failed launch)", n)
	}
	if err := c.Master.Stop(20 * time.Second); err != nil {
		t.Fatalf("master stop: %v", err)
	}
}

// snsAWS stands in for SNS: an HTTPS server on port 443 of a loopback
// address (SNS serves signing certificates on 443 only), whose
// certificate the master trusts through SSL_CERT_FILE, serving the
// signing certificate; and the key that signs notifications.
type snsAWS struct {
	host    string
	certURL string
	key     *rsa.PrivateKey
}

func newSNSAWS(t *testing.T) *snsAWS {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", caFile)
	var b [2]byte
	_, _ = rand.Read(b[:])
	ip := net.IPv4(127, 77, b[0]%250+1, b[1]%250+1)
	srvKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip.String()}, IPAddresses: []net.IP{ip},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", ip.String()+":443")
	if err != nil {
		if errors.Is(err, syscall.EACCES) {
			t.Skipf("binding %s:443 needs root: %v", ip, err)
		}
		t.Fatal(err)
	}
	s := &snsAWS{host: ip.String()}
	if s.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	signTmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "sns.us-east-1.amazonaws.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	signDER, err := x509.CreateCertificate(rand.Reader, signTmpl, signTmpl, &s.key.PublicKey, s.key)
	if err != nil {
		t.Fatal(err)
	}
	signPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signDER})
	s.certURL = "https://" + s.host + "/SimpleNotificationService-test.pem"
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/SimpleNotificationService-test.pem" {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write(signPEM)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}},
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

var snsSeq int

// notification is an SNS Notification carrying message, signed with key
// (SignatureVersion 2), as SNS delivers it to an HTTP(S) subscription.
func (s *snsAWS) notification(t *testing.T, message string, key *rsa.PrivateKey) []byte {
	t.Helper()
	snsSeq++
	m := map[string]string{
		"Type": "Notification", "MessageId": fmt.Sprintf("8a2b7c1e-0000-4000-8000-%012d", snsSeq),
		"TopicArn": "arn:aws:sns:us-east-1:123456789012:asg-lifecycle", "Subject": "Auto Scaling: Lifecycle action 'LAUNCHING'",
		"Message": message, "Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"SignatureVersion": "2", "SigningCertURL": s.certURL,
		"UnsubscribeURL": "https://" + s.host + "/?Action=Unsubscribe",
	}
	var canon strings.Builder
	for _, k := range []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"} {
		canon.WriteString(k + "\n" + m[k] + "\n")
	}
	h := sha256.Sum256([]byte(canon.String()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	b, _ := json.Marshal(m)
	return b
}

func postSNS(t *testing.T, url string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("X-Amz-Sns-Message-Type", "Notification")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// Seeds 000 and 002's way in: lifecycle messages as SNS notifications to
// an API hook with auth: sns. A signed one makes the instance join; a
// forged or unsigned one is refused and changes nothing.
func TestAutoscaleSNS(t *testing.T) {
	f := startAWSFakes(t)
	f.hooks("web-asg")
	sns := newSNSAWS(t)
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	hook := fmt.Sprintf("http://127.0.0.1:%d/hook/autoscale/web", port)
	c := cluster(t, map[string]any{
		"api": map[string]any{
			"listen":        fmt.Sprintf("127.0.0.1:%d", port),
			"sns_cert_host": "^" + regexp.QuoteMeta(sns.host) + "$",
			"hooks":         []any{map[string]any{"path": "autoscale/*", "auth": "sns"}},
		},
		"autoscale": map[string]any{
			"region":    "us-east-1",
			"hook_path": "autoscale/web",
			"groups":    map[string]any{"web-asg": map[string]any{"startup_states": []string{"web"}}},
		},
		"file_roots": map[string]any{"base": []string{autoscaleStates(t, t.TempDir())}},
	})
	good, bad, unsigned := "i-0c000000000000001", "i-0c000000000000002", "i-0c000000000000003"
	for _, inst := range []string{good, bad, unsigned} {
		c.StartMinion(c.MinionConfig("web-asg-"+inst, nil))
	}
	waitKeys(t, c, "three pending keys", func(k keyLists) bool { return len(k.Pre) == 3 })

	_, msg := f.as.Start("web-asg", "launch", good)
	if code := postSNS(t, hook, sns.notification(t, msg, sns.key)); code != 200 {
		t.Fatalf("signed notification: HTTP %d", code)
	}
	if comp := f.completions(t, 1)[0]; comp.Result != "CONTINUE" || comp.InstanceID != good {
		t.Fatalf("completion = %+v", comp)
	}

	forger, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, msg = f.as.Start("web-asg", "launch", bad)
	if code := postSNS(t, hook, sns.notification(t, msg, forger)); code != 403 {
		t.Fatalf("forged notification: HTTP %d, want 403", code)
	}
	_, msg = f.as.Start("web-asg", "launch", unsigned)
	body := sns.notification(t, msg, sns.key)
	var fields map[string]any
	_ = json.Unmarshal(body, &fields)
	delete(fields, "Signature")
	body, _ = json.Marshal(fields)
	if code := postSNS(t, hook, body); code != 403 {
		t.Fatalf("unsigned notification: HTTP %d, want 403", code)
	}
	// A raw lifecycle message posted straight to the hook is no SNS
	// message at all.
	if code := postSNS(t, hook, []byte(msg)); code != 403 {
		t.Fatalf("raw lifecycle message: HTTP %d, want 403", code)
	}
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, "web-asg-"+good) || !equalIDs(kl.Pre, "web-asg-"+bad, "web-asg-"+unsigned) {
		t.Fatalf("keys: %s", kl)
	}
	if n := len(f.as.Completed()); n != 1 {
		t.Fatalf("%d completions, want 1", n)
	}
}

// autoscale.hook_path served by a hook without SNS authentication would
// let anyone make instances join: the master refuses to start.
func TestAutoscaleHookNeedsSNS(t *testing.T) {
	startAWSFakes(t)
	dir := t.TempDir()
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	apiPort, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "master.yaml")
	if err := testutil.WriteYAML(cfg, map[string]any{
		"root_dir": filepath.Join(dir, "root"), "listen": fmt.Sprintf("127.0.0.1:%d", port),
		"api":       map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", apiPort), "hooks": []any{map[string]any{"path": "autoscale/*", "auth": "none"}}},
		"autoscale": map[string]any{"region": "us-east-1", "hook_path": "autoscale/web", "groups": map[string]any{"web-asg": map[string]any{}}},
	}); err != nil {
		t.Fatal(err)
	}
	p, err := testutil.Start("master", filepath.Join(binDir, "master"), "-c", cfg)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(60 * time.Second):
		_ = p.Stop(10 * time.Second)
		t.Fatal("the master started with an unauthenticated autoscale hook")
	}
	if out := p.Output(); p.Cmd.ProcessState.ExitCode() != 2 || !strings.Contains(out, `master.yaml line `) ||
		!strings.Contains(out, `: autoscale.hook_path "autoscale/web": the api.hooks entry "autoscale/*" that serves it has auth: none; it must be auth: sns`) {
		t.Fatalf("exit %d, output:\n%s", p.Cmd.ProcessState.ExitCode(), p.Output())
	}
}

// A master killed (SIGKILL) in the middle of a launch finishes it after
// restart, exactly once: the record in JetStream says where it was, and
// the message SQS delivers again is a duplicate.
func TestAutoscaleMasterKilledMidLaunch(t *testing.T) {
	f := startAWSFakes(t)
	f.hooks("web-asg")
	c := cluster(t, map[string]any{
		"file_roots": map[string]any{"base": []string{autoscaleStates(t, t.TempDir())}},
		"autoscale": map[string]any{
			"region": "us-east-1", "queue_url": f.queueURL,
			"groups": map[string]any{"web-asg": map[string]any{"startup_states": "highstate"}},
		},
	})
	inst := "i-0d000000000000001"
	_, body := f.as.Start("web-asg", "launch", inst)
	f.sqs.Send(autoscaleQueue, body)
	// The engine took the message (it reads the hook's timeouts first)
	// and waits for the minion's key.
	testutil.Eventually(t, waitLong, "the launch to start", func() bool {
		return f.as.Calls("DescribeLifecycleHooks") > 0
	})
	c.Master.Kill()
	<-c.Master.Done()
	if n := len(f.as.Completed()); n != 0 {
		t.Fatalf("%d completions before the restart", n)
	}
	c.StartMaster()
	c.StartMinion(c.MinionConfig("web-asg-"+inst, nil))
	if comp := f.completions(t, 1)[0]; comp.Result != "CONTINUE" || comp.InstanceID != inst {
		t.Fatalf("completion = %+v", comp)
	}
	// The copy SQS hands out again once its visibility timeout passes.
	f.sqs.MakeVisible(autoscaleQueue)
	testutil.Eventually(t, waitLong, "the queue to be drained", func() bool { return f.sqs.Len(autoscaleQueue) == 0 })
	if n := len(f.as.Completed()); n != 1 {
		t.Fatalf("%d completions, want exactly 1", n)
	}
}

// Keys of autoscaled minions carry a lease: one whose minion has been
// gone longer than key_lease is removed with its mine data; a key an
// operator accepted is not leased.
func TestAutoscaleKeyLease(t *testing.T) {
	f := startAWSFakes(t)
	f.hooks("web-asg")
	c := cluster(t, map[string]any{
		"key_lease": 2,
		"mine_ttl":  -1,
		"autoscale": map[string]any{
			"region": "us-east-1", "queue_url": f.queueURL,
			"groups": map[string]any{"web-asg": map[string]any{}},
		},
	})
	ev := c.StartCtl("events", "brine/key/lease/*")
	inst := "i-0e000000000000001"
	leased := "web-asg-" + inst
	cfg := c.MinionConfig(leased, nil)
	cfg["mine_functions"] = map[string]any{"network.get_hostname": []any{}}
	c.StartMinion(cfg)
	c.StartMinion(c.MinionConfig("manual-1", nil))
	waitKeys(t, c, "two pending keys", func(k keyLists) bool { return len(k.Pre) == 2 })
	if r := c.Ctl("key", "accept", "manual-1", "--yes"); r.Code != 0 {
		t.Fatalf("key accept: %s", r.Stderr)
	}
	_, body := f.as.Start("web-asg", "launch", inst)
	f.sqs.Send(autoscaleQueue, body)
	f.completions(t, 1)
	testutil.Eventually(t, waitLong, "the leased minion's mine data", func() bool {
		m, _ := ctlJSON(t, c, "run", "mine.get", "*", "network.get_hostname")
		return m[leased] != nil
	})
	// Both minions go away without a word (an instance killed outside its
	// group, a lost termination message).
	c.StopMinion(leased)
	c.StopMinion("manual-1")
	testutil.Eventually(t, waitLong, "the lease to expire", func() bool {
		return strings.Contains(ev.Output(), `"id":"`+leased+`"`)
	})
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, "manual-1") || len(kl.Pre) != 0 {
		t.Fatalf("keys after the lease expired: %s", kl)
	}
	if m, _ := ctlJSON(t, c, "run", "mine.get", "*", "network.get_hostname"); m[leased] != nil {
		t.Fatalf("the expired minion's mine data is still there: %v", m)
	}
}

// fakeIMDS serves an instance's identity document and its signature by
// key (cert) over IMDSv2, as EC2's metadata service does.
func fakeIMDS(t *testing.T, inst string, cert *x509.Certificate, key *rsa.PrivateKey) string {
	t.Helper()
	doc := fmt.Sprintf(`{"accountId":"123456789012","instanceId":%q,"region":"us-east-1","instanceType":"t3.micro","imageId":"ami-0abcdef1234567890","pendingTime":%q}`,
		inst, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
	sig, err := ec2identity.Sign([]byte(doc), cert, key)
	if err != nil {
		t.Error(err) // may run outside the test's goroutine
	}
	const token = "imds-session-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" && r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") != "" {
			_, _ = io.WriteString(w, token)
			return
		}
		if r.Header.Get("X-aws-ec2-metadata-token") != token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/latest/dynamic/instance-identity/document":
			_, _ = io.WriteString(w, doc)
		case "/latest/dynamic/instance-identity/rsa2048":
			_, _ = w.Write(sig)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// identityCert makes a self-signed certificate standing in for AWS's
// identity document certificate: the certificate, its key, its PEM.
func identityCert(t *testing.T, name string) (*x509.Certificate, *rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// require_identity: a minion whose instance identity document AWS signed
// (here: the test's stand-in certificate) joins; one signed by another
// key is refused, ABANDONed, and its key stays pending.
func TestAutoscaleRequireIdentity(t *testing.T) {
	f := startAWSFakes(t)
	f.hooks("web-asg")
	newCert := func(name string) (*x509.Certificate, *rsa.PrivateKey, []byte) { return identityCert(t, name) }
	awsCert, awsKey, awsPEM := newCert("Amazon Web Services LLC")
	otherCert, otherKey, _ := newCert("not AWS")
	certFile := filepath.Join(t.TempDir(), "aws-rsa2048.pem")
	if err := os.WriteFile(certFile, awsPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	apiPort, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{
		"autoscale": map[string]any{
			"region": "us-east-1", "queue_url": f.queueURL, "identity_cert": certFile,
			"groups": map[string]any{"web-asg": map[string]any{"require_identity": true, "minion": map[string]any{"log_level": "debug"}}},
		},
		"api": map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", apiPort)},
	})
	good, forged := "i-0f000000000000001", "i-0f000000000000002"
	for inst, imds := range map[string]string{
		good:   fakeIMDS(t, good, awsCert, awsKey),
		forged: fakeIMDS(t, forged, otherCert, otherKey),
	} {
		cfg := c.MinionConfig("web-asg-"+inst, nil)
		cfg["ec2_identity"] = true
		cfg["ec2_metadata_url"] = imds
		c.StartMinion(cfg)
		_, body := f.as.Start("web-asg", "launch", inst)
		f.sqs.Send(autoscaleQueue, body)
	}
	comps := f.completions(t, 2)
	results := map[string]string{}
	for _, comp := range comps {
		results[comp.InstanceID] = comp.Result
	}
	if results[good] != "CONTINUE" || results[forged] != "ABANDON" {
		t.Fatalf("results = %v", results)
	}
	// The group's boot script for its launch template: its minion:
	// settings, ec2_identity, no join token.
	ud := c.Ctl("run", "autoscale.user_data", "web-asg", "--out", "json")
	var script string
	if err := json.Unmarshal([]byte(ud.Stdout), &script); err != nil || ud.Code != 0 {
		t.Fatalf("autoscale.user_data: %d %v\n%s%s", ud.Code, err, ud.Stdout, ud.Stderr)
	}
	for _, want := range []string{"ec2_identity: true", "log_level: debug", "web-asg-{instance_id}", "/bootstrap/minion"} {
		if !strings.Contains(script, want) {
			t.Errorf("user data lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(script, "join_token") {
		t.Errorf("user data carries a join token:\n%s", script)
	}
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, "web-asg-"+good) || !equalIDs(kl.Pre, "web-asg-"+forged) {
		t.Fatalf("keys: %s", kl)
	}
}
