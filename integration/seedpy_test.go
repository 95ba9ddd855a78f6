package integration

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// debianPython is the interpreter with Debian's python3-m2crypto and
// python3-requests (.ci/run installs them); python3 on PATH may be
// another one without them.
const debianPython = "/usr/bin/python3"

// needSeedPython skips the test when debianPython cannot import modules,
// except in CI, where .ci/run installs them and a skip would hide a
// regression.
func needSeedPython(t *testing.T, modules ...string) {
	t.Helper()
	out, err := exec.Command(debianPython, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s cannot import %s (apt-get install python3-m2crypto python3-requests): %v %s", debianPython, strings.Join(modules, ", "), err, out)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// testCA makes a CA and writes its certificate to dir/ca.pem.
func testCA(t *testing.T, dir string) (*x509.Certificate, *rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seed test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return cert, key, file
}

// serverCert issues a server certificate for host (a name or an IP).
func serverCert(t *testing.T, ca *x509.Certificate, caKey *rsa.PrivateKey, host string) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// connectProxy is an HTTPS proxy (CONNECT) that sends every tunnel to
// target, whatever host it names, recording the hosts asked for.
type connectProxy struct {
	mu    sync.Mutex
	hosts []string
}

func (p *connectProxy) start(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		p.mu.Lock()
		p.hosts = append(p.hosts, r.Host)
		p.mu.Unlock()
		up, err := net.Dial("tcp", target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() {
			_, _ = io.Copy(up, buf)
			up.Close()
		}()
		_, _ = io.Copy(conn, up)
		conn.Close()
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func (p *connectProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.hosts...)
}

// fakeSMTP is an SMTP server on loopback keeping the mails it receives.
type fakeSMTP struct {
	mu    sync.Mutex
	mails []string
	port  int
}

func startSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{port: ln.Addr().(*net.TCPAddr).Port}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = c.Write([]byte(line + "\r\n")) }
	say("220 fake.smtp ESMTP")
	var env []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 fake.smtp")
		case strings.HasPrefix(cmd, "MAIL FROM:"), strings.HasPrefix(cmd, "RCPT TO:"):
			env = append(env, strings.TrimSpace(line))
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var body strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				body.WriteString(l)
			}
			s.mu.Lock()
			s.mails = append(s.mails, strings.Join(env, "\n")+"\n"+body.String())
			s.mu.Unlock()
			env = nil
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 OK")
		}
	}
}

func (s *fakeSMTP) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mails...)
}

// followBus starts ctl events and waits until it follows the bus (the
// cluster has minions).
func followBus(t *testing.T, c *testutil.Cluster) *testutil.Proc {
	t.Helper()
	ev := c.StartCtl("events")
	testutil.Eventually(t, 20*time.Second, "ctl events to follow the bus", func() bool {
		c.Ctl("test.ping", "*")
		return strings.Contains(ev.Output(), `"tag":"salt/job/`)
	})
	return ev
}

// snsDelivery is an SNS message as SNS posts it, signed with key as
// SignatureVersion 1 (SHA1withRSA, what the seed's M2Crypto check uses).
func snsDelivery(t *testing.T, typ, subject, message, certURL string, key *rsa.PrivateKey) []byte {
	t.Helper()
	snsSeq++
	m := map[string]string{
		"Type": typ, "MessageId": fmt.Sprintf("5f2a0c1e-0000-4000-8000-%012d", snsSeq),
		"TopicArn": "arn:aws:sns:us-east-1:123456789012:alert_salt_php_scale_up", "Subject": subject,
		"Message": message, "Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"SignatureVersion": "1", "SigningCertURL": certURL,
	}
	var canon strings.Builder
	for _, k := range []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"} {
		canon.WriteString(k + "\n" + m[k] + "\n")
	}
	h := sha1.Sum([]byte(canon.String()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, h[:])
	if err != nil {
		t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	b, _ := json.Marshal(m)
	return b
}

// Seed 000's autoscale reactor, as the write-up gives it (indentation
// restored, #!py first, vm_.iteritems() ported to Python 3), on a hook
// with authentication disabled as in the write-up: it checks the SNS
// signature itself with M2Crypto over the certificate it fetches with
// requests (through the proxy and CA the master's environment names,
// which its interpreter inherits), mails through salt.utils.smtp with the
// smtp.* options, creates the launched instance with runner.cloud.create
// from the ec2.autoscale option (here on the local provider: a minion
// that joins and runs its highstate) and deletes its key on termination.
func TestSeed000AutoscaleReactor(t *testing.T) {
	needSeedPython(t, "M2Crypto", "requests")
	dir := t.TempDir()
	ca, caKey, caFile := testCA(t, dir)

	// SNS's certificate host, reached through the proxy
	const certHost = "sns.us-east-1.amazonaws.com"
	signKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signTmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: certHost}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	signDER, err := x509.CreateCertificate(rand.Reader, signTmpl, signTmpl, &signKey.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	signPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signDER})
	var certFetches sync.Map
	certLn, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{serverCert(t, ca, caKey, certHost)}})
	if err != nil {
		t.Fatal(err)
	}
	certSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		certFetches.Store(r.Host+r.URL.Path, true)
		if r.URL.Path != "/SimpleNotificationService-seed.pem" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(signPEM)
	})}
	go func() { _ = certSrv.Serve(certLn) }()
	t.Cleanup(func() { _ = certSrv.Close() })
	proxy := &connectProxy{}
	t.Setenv("HTTPS_PROXY", proxy.start(t, certLn.Addr().String()))
	t.Setenv("NO_PROXY", "127.0.0.1,localhost")
	t.Setenv("REQUESTS_CA_BUNDLE", caFile)
	certURL := "https://" + certHost + "/SimpleNotificationService-seed.pem"

	mail := startSMTP(t)
	reactorFile := filepath.Join(dir, "reactor", "ec2-autoscale.sls")
	src, err := os.ReadFile(filepath.Join("testdata", "seeds", "ec2-autoscale.sls"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	writeTree(t, dir, map[string]string{
		"reactor/ec2-autoscale.sls": string(src),
		"states/top.sls":            "base:\n  'roles:web-host':\n    - match: grain\n    - web\n",
		"states/web.sls":            "web_marker:\n  file.managed:\n    - name: " + out + "/{{ grains['id'] }}\n    - makedirs: True\n    - contents: {{ grains['env'] }}\n",
	})
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{
		"py_interpreter": debianPython,
		"file_roots":     map[string]any{"base": []string{filepath.Join(dir, "states")}},
		"api": map[string]any{
			"listen": fmt.Sprintf("127.0.0.1:%d", port),
			"hooks":  []any{map[string]any{"path": "autoscale/*", "auth": "none"}},
		},
		"reactor": []any{
			map[string]any{"salt/netapi/hook/autoscale/web/up": []string{reactorFile}},
			map[string]any{"salt/netapi/hook/autoscale/web/down": []string{reactorFile}},
		},
		"cloud": map[string]any{"providers": map[string]any{"local_provider": map[string]any{"driver": "local"}}},
		// the write-up's ec2.autoscale option, its provider a local one
		"ec2.autoscale": map[string]any{"web": map[string]any{
			"provider":      "local_provider",
			"ssh_interface": "private_ips",
			"ssh_username":  "ubuntu",
			"minion": map[string]any{
				"startup_states": "highstate",
				"grains":         map[string]any{"env": "prod", "roles": "web-host"},
			},
		}},
		"smtp.host": "127.0.0.1",
		"smtp.port": mail.port,
		"smtp.from": "salt@master.example.com",
		"smtp.to":   "ops@example.com",
	})
	ev := followEvents(t, c)
	post := func(path string, body []byte) {
		t.Helper()
		if code := postSNS(t, fmt.Sprintf("http://127.0.0.1:%d/hook/%s", port, path), body); code != 200 {
			t.Fatalf("POST /hook/%s: HTTP %d", path, code)
		}
	}
	waitMail := func(n int, subject string) string {
		t.Helper()
		var got []string
		testutil.Eventually(t, 60*time.Second, fmt.Sprintf("mail %d (%s)", n, subject), func() bool {
			got = mail.all()
			return len(got) >= n
		})
		if len(got) != n || !strings.Contains(got[n-1], "Subject: "+subject+"\r\n") || !strings.Contains(got[n-1], "TO:<ops@example.com>\n") {
			t.Fatalf("mails: %q; want %d, the last %q", got, n, subject)
		}
		return got[n-1]
	}

	// The subscription confirmation is mailed.
	sub := snsDelivery(t, "SubscriptionConfirmation", "", "You have chosen to subscribe", certURL, signKey)
	var subFields map[string]any
	_ = json.Unmarshal(sub, &subFields)
	subFields["SubscribeURL"] = "https://" + certHost + "/?Action=ConfirmSubscription&Token=abc"
	sub, _ = json.Marshal(subFields)
	post("autoscale/web/up", sub)
	if m := waitMail(1, "EC2 Autoscale Subscription (via Salt Reactor)"); !strings.Contains(m, "ConfirmSubscription") {
		t.Errorf("subscription mail: %q", m)
	}

	instance := "i-0a1b2c3d4e5f60718"
	launch := fmt.Sprintf(`{"Event":"autoscaling:EC2_INSTANCE_LAUNCH","AutoScalingGroupName":"app-hosts","EC2InstanceId":%q}`, instance)
	// A forged signature is mailed about, and nothing is created.
	forger, _ := rsa.GenerateKey(rand.Reader, 2048)
	post("autoscale/web/up", snsDelivery(t, "Notification", "Auto Scaling: launch for group \"app-hosts\"", launch, certURL, forger))
	waitMail(2, "EC2 Autoscale Signature Error (via Salt Reactor)")
	// A certificate URL off amazonaws.com is refused before any fetch.
	post("autoscale/web/up", snsDelivery(t, "Notification", "Auto Scaling: launch for group \"app-hosts\"", launch, "https://sns.example.net/cert.pem", signKey))
	waitMail(3, "EC2 Autoscale SigningCertURL Error (via Salt Reactor)")
	if n := len(listKeys(t, c).Minions); n != 0 {
		t.Fatalf("%d minions accepted after refused deliveries", n)
	}

	// A signed launch: cloud.create makes the minion, which joins and
	// runs its highstate.
	post("autoscale/web/up", snsDelivery(t, "Notification", "Auto Scaling: launch for group \"app-hosts\"", launch, certURL, signKey))
	testutil.Eventually(t, 120*time.Second, "the launched instance's highstate", func() bool {
		b, err := os.ReadFile(filepath.Join(out, instance))
		return err == nil && strings.TrimSpace(string(b)) == "prod"
	})
	if kl := listKeys(t, c); !equalIDs(kl.Minions, instance) {
		t.Fatalf("keys after launch: %s", kl)
	}
	testutil.Eventually(t, 60*time.Second, "the cloud.create result event", func() bool {
		return strings.Contains(ev.Output(), `"tag":"brine/reactor/ec2_autoscale_launch/result"`) && strings.Contains(ev.Output(), `"fun":"runner.cloud.create"`)
	})
	if _, ok := certFetches.Load(certHost + "/SimpleNotificationService-seed.pem"); !ok {
		t.Error("the reactor did not fetch the signing certificate")
	}
	for _, h := range proxy.seen() {
		if h != certHost+":443" {
			t.Errorf("the proxy was asked for %q", h)
		}
	}

	// A signed termination deletes the key.
	post("autoscale/web/down", snsDelivery(t, "Notification", "Auto Scaling: termination for group \"app-hosts\"", strings.Replace(launch, "LAUNCH", "TERMINATE", 1), certURL, signKey))
	waitKeys(t, c, "the terminated instance's key deleted", func(k keyLists) bool { return len(k.Minions) == 0 })
	if n := len(mail.all()); n != 3 {
		t.Errorf("%d mails, want 3", n)
	}
	if strings.Contains(ev.Output(), `"tag":"brine/reactor/error"`) {
		t.Errorf("reactor errors: %s", ev.Output())
	}
}

// Seed 003's GitHub reactor as the write-up gives it (#!py first, hmac.new
// given bytes as Python 3 needs): salt-api's rest_cherrypy with
// webhook_disable_auth, the reactor checking X-Hub-Signature from the
// event's headers with the github: webhook-key option, and deploying to
// the minions whose role the hook path names.
func TestSeed003GitHubReactor(t *testing.T) {
	needSeedPython(t, "hmac")
	dir := t.TempDir()
	ca, caKey, _ := testCA(t, dir)
	crt := serverCert(t, ca, caKey, "127.0.0.1")
	crtPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: crt.Certificate[0]})
	keyDER, err := x509.MarshalPKCS8PrivateKey(crt.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "deployed")
	writeTree(t, dir, map[string]string{
		"tls/master.crt": string(crtPEM),
		"tls/master.key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		"reactor/code-deploy.sls": `#!py
import hashlib
import hmac


def run():
    '''Verify the signature for a Github webhook and deploy the
    appropriate code'''
    _, signature = data['headers'].get('X-Hub-Signature').split('=')
    body = data['body']
    target = tag.split('/')[-1]
    key = __opts__.get('github', {}).get('webhook-key')
    computed_signature = hmac.new(key.encode(), body.encode(),
                                  hashlib.sha1).hexdigest()
    # signature_match = hmac.compare_digest(computed_signature, signature)
    if computed_signature == signature:
        return {
            'github_webhook_deploy': {
                'local.state.sls': [
                    {'tgt': 'roles:{0}'.format(target)},
                    {'expr_form': 'grain'},
                    {'arg': ['{0}.deploy'.format(target), 'prod']},
                ]
            }
        }
    else:
        return {}
`,
		"prod/php-web-host/deploy.sls": "code:\n  file.managed:\n    - name: " + out + "/{{ grains['id'] }}\n    - makedirs: True\n    - contents: {{ saltenv }}\n",
	})
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{
		"auto_accept":    true,
		"py_interpreter": debianPython,
		"file_roots":     map[string]any{"base": []string{filepath.Join(dir, "base")}, "prod": []string{filepath.Join(dir, "prod")}},
		"rest_cherrypy": map[string]any{
			"port": port, "host": "127.0.0.1",
			"ssl_crt":              filepath.Join(dir, "tls", "master.crt"),
			"ssl_key":              filepath.Join(dir, "tls", "master.key"),
			"webhook_disable_auth": true,
		},
		"github":  map[string]any{"webhook-key": "s3cret"},
		"reactor": []any{map[string]any{"salt/netapi/hook/deploy/*": []string{filepath.Join(dir, "reactor", "code-deploy.sls")}}},
	})
	c.StartMinion(c.MinionConfig("web-1", map[string]any{"roles": []any{"php-web-host"}}))
	c.StartMinion(c.MinionConfig("db-1", map[string]any{"roles": []any{"mongodb_server"}}))
	waitPing(t, c, "*", 2)
	ev := followBus(t, c)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second}
	deliver := func(body, secret string) {
		t.Helper()
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(body))
		req, _ := http.NewRequest("POST", fmt.Sprintf("https://127.0.0.1:%d/hook/deploy/php-web-host", port), bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("delivery: HTTP %d", resp.StatusCode)
		}
	}
	// A delivery signed with another key deploys nothing: the reactor
	// returns {} (no reaction, no error).
	deliver(`{"ref": "refs/heads/main", "after": "0000"}`, "wrong")
	deliver(`{"ref": "refs/heads/main", "after": "f5d9859"}`, "s3cret")
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", ev.Output())
		}
	}()
	testutil.Eventually(t, 60*time.Second, "the deploy on web-1", func() bool {
		b, err := os.ReadFile(filepath.Join(out, "web-1"))
		return err == nil && strings.TrimSpace(string(b)) == "prod"
	})
	testutil.Eventually(t, 30*time.Second, "the reaction's result event", func() bool {
		return strings.Contains(ev.Output(), `"tag":"brine/reactor/github_webhook_deploy/result"`)
	})
	if n := strings.Count(ev.Output(), `"tag":"brine/reactor/github_webhook_deploy/result"`); n != 1 {
		t.Errorf("%d deploys, want 1 (the forged delivery must deploy nothing): %s", n, ev.Output())
	}
	if _, err := os.Stat(filepath.Join(out, "db-1")); !os.IsNotExist(err) {
		t.Errorf("db-1 was deployed to: %v", err)
	}
	if strings.Contains(ev.Output(), `"tag":"brine/reactor/error"`) {
		t.Errorf("reactor errors: %s", ev.Output())
	}
}
