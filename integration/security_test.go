package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/internal/testutil"
	"github.com/brine-cm/brine/proto"
)

// rogue is a hand-made bus client presenting an nkey under a minion name.
type rogue struct {
	nc   *nats.Conn
	errs chan error
}

func connectRogue(url, name, pub string, sign nats.SignatureHandler) (*rogue, error) {
	r := &rogue{errs: make(chan error, 64)}
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.Nkey(pub, sign),
		nats.CustomInboxPrefix(proto.MinionInbox(name)),
		nats.NoReconnect(),
		nats.Timeout(5*time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case r.errs <- err:
			default:
			}
		}),
	)
	if err != nil {
		return nil, err
	}
	r.nc = nc
	return r, nil
}

// expectViolation waits for the server's permissions violation naming
// subject, reported through the async error handler.
func (r *rogue) expectViolation(t *testing.T, kind, subject string) {
	t.Helper()
	want := `Permissions Violation for ` + kind + ` to "` + subject + `"`
	if err := r.nc.Flush(); err != nil && !strings.Contains(err.Error(), "Permissions Violation") {
		t.Fatalf("flush after %s to %s: %v", kind, subject, err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case err := <-r.errs:
			if strings.Contains(err.Error(), want) {
				return
			}
			t.Logf("other async error: %v", err)
		case <-timeout:
			t.Fatalf("%s to %s was not refused (no %q)", kind, subject, want)
		}
	}
}

// noViolation checks that nothing was refused up to now.
func (r *rogue) noViolation(t *testing.T, what string) {
	t.Helper()
	if err := r.nc.Flush(); err != nil {
		t.Fatalf("%s: flush: %v", what, err)
	}
	select {
	case err := <-r.errs:
		t.Fatalf("%s was refused: %v", what, err)
	default:
	}
}

// TestSecurityMinionConfinement: an accepted minion identity can use only
// its own subjects; a forged nkey cannot connect at all.
func TestSecurityMinionConfinement(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": false})
	c.StartMinion(c.MinionConfig("victim", nil))
	waitKeys(t, c, "victim pending", func(k keyLists) bool { return equalIDs(k.Pre, "victim") })
	if r := c.Ctl("key", "accept", "victim", "--yes"); r.Code != 0 {
		t.Fatalf("accept victim: %s", r.Stderr)
	}
	waitPing(t, c, "victim", 1)

	// A new nkey under the name "evil" is refused and recorded as pending.
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	if _, err := connectRogue(c.URL(), "evil", pub, kp.Sign); err == nil {
		t.Fatal("an unknown key connected")
	}
	waitKeys(t, c, "evil pending", func(k keyLists) bool { return equalIDs(k.Pre, "evil") })
	if r := c.Ctl("key", "accept", "evil", "--yes"); r.Code != 0 {
		t.Fatalf("accept evil: %s", r.Stderr)
	}
	var ev *rogue
	testutil.Eventually(t, 10*time.Second, "evil to connect once accepted", func() bool {
		ev, err = connectRogue(c.URL(), "evil", pub, kp.Sign)
		return err == nil
	})
	defer ev.nc.Close()

	// What it may do: its own job subject, its own returns.
	if _, err := ev.nc.SubscribeSync(proto.JobSubject("evil")); err != nil {
		t.Fatal(err)
	}
	if err := ev.nc.Publish(proto.MinionReturnSubject(proto.NewJID(time.Now()), "evil"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	ev.noViolation(t, "using its own subjects")

	// Send the victim a job that would leave a file behind.
	marker := filepath.Join(c.Dir, "pwned")
	job, _ := json.Marshal(proto.Job{JID: proto.NewJID(time.Now()), Fun: "cmd.run", Arg: []any{"touch " + marker}, Target: proto.Target{Expr: "victim"}})
	if err := ev.nc.Publish(proto.JobSubject("victim"), job); err != nil {
		t.Fatal(err)
	}
	ev.expectViolation(t, "Publish", proto.JobSubject("victim"))

	for _, subj := range []string{proto.JobSubject("victim"), proto.SubjectReturn + ".>", proto.SubjectEvent + ".>", "_INBOX.>", proto.SubjectProgress + ".>", ">"} {
		if _, err := ev.nc.SubscribeSync(subj); err != nil {
			t.Fatalf("subscribe %s: %v", subj, err)
		}
		ev.expectViolation(t, "Subscription", subj)
	}

	// Operator requests, another minion's returns, requests and events.
	pubs := []string{
		proto.MasterSubject(proto.OpPublish),
		proto.MasterSubject(proto.OpKeyAccept),
		proto.ReturnSubject(proto.NewJID(time.Now()), "victim"),
		proto.MinionReturnSubject(proto.NewJID(time.Now()), "victim"),
		proto.ReturnSubject(proto.NewJID(time.Now()), "evil"), // only the master stores returns
		proto.MinionRequestSubject("victim", proto.ReqGrains),
		proto.MinionEventSubject("victim"),
		proto.EventSubject("salt/job/x/new"),
		"$SYS.REQ.USER.AUTH",
	}
	for _, subj := range pubs {
		if err := ev.nc.Publish(subj, []byte(`{"jid":"20260101000000000000","id":"victim","fun":"test.ping","return":true,"success":true}`)); err != nil {
			t.Fatal(err)
		}
		ev.expectViolation(t, "Publish", subj)
	}
	// A request to the master is refused too (no responder is reachable).
	if _, err := ev.nc.Request(proto.MasterSubject(proto.OpKeyList), []byte(`{"all":true}`), 2*time.Second); err == nil {
		t.Error("evil got an answer from brine.master.key.list")
	}

	// The victim never ran the job and still works.
	m, r := ctlJSON(t, c, "cmd.run", "victim", "test -e "+marker+" && echo present || echo absent")
	if r.Code != 0 || m["victim"] != "absent" {
		t.Fatalf("victim check: exit %d, %v %s", r.Code, m, r.Stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the victim ran a job published by another minion")
	}

	// A client that presents the victim's public key without its private
	// key is refused, and no key is recorded for it.
	victimPub := minionPub(t, minionRoot(c, "victim"))
	other, _ := nkeys.CreateUser()
	if _, err := connectRogue(c.URL(), "victim", victimPub, other.Sign); err == nil {
		t.Fatal("connected with the victim's public key and another key's signature")
	}
	if _, err := connectRogue(c.URL(), "forger", pub, other.Sign); err == nil {
		t.Fatal("connected with evil's public key and another key's signature")
	}
	kl := listKeys(t, c)
	if !equalIDs(kl.Minions, "evil", "victim") || len(kl.Pre)+len(kl.Denied)+len(kl.Rejected) != 0 {
		t.Errorf("forged connections changed the keys: %v", kl)
	}
	waitPing(t, c, "victim", 1)
}

// operatorConn connects with the operator key from ctl.creds, as ctl does,
// but leaves the request signing to the test.
func operatorConn(t *testing.T, c *testutil.Cluster) (*nats.Conn, nkeys.KeyPair) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.RootDir(), "ctl.creds"))
	if err != nil {
		t.Fatal(err)
	}
	var kp nkeys.KeyPair
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "SU") {
			if kp, err = nkeys.FromSeed([]byte(l)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if kp == nil {
		t.Fatal("ctl.creds holds no user seed")
	}
	pub, _ := kp.PublicKey()
	nc, err := nats.Connect(c.URL(), nats.Name("ctl"), nats.Nkey(pub, kp.Sign), nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, kp
}

// TestSecurityOperatorSignature: operator requests on the real operator
// connection are refused unless signed over subject, time and body.
func TestSecurityOperatorSignature(t *testing.T) {
	t.Parallel()
	c := cluster(t, map[string]any{"auto_accept": true})
	nc, kp := operatorConn(t, c)
	pub, _ := kp.PublicKey()
	other, _ := nkeys.CreateUser()
	otherPub, _ := other.PublicKey()
	subj := proto.MasterSubject(proto.OpKeyList)
	body := []byte(`{"all":true}`)

	signed := func(signer nkeys.KeyPair, key, ts string, signedBody []byte) nats.Header {
		sig, err := signer.Sign(proto.SignedPayload(subj, ts, signedBody))
		if err != nil {
			t.Fatal(err)
		}
		h := nats.Header{}
		h.Set(proto.HeaderKey, key)
		h.Set(proto.HeaderTime, ts)
		h.Set(proto.HeaderSig, base64.RawURLEncoding.EncodeToString(sig))
		return h
	}
	now := func() string { return time.Now().UTC().Format(time.RFC3339Nano) }
	send := func(h nats.Header) map[string]any {
		t.Helper()
		msg := nats.NewMsg(subj)
		msg.Data = body
		if h != nil {
			msg.Header = h
		}
		resp, err := nc.RequestMsg(msg, 10*time.Second)
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(resp.Data, &m); err != nil {
			t.Fatalf("reply %q: %v", resp.Data, err)
		}
		return m
	}
	denied := func(what string, h nats.Header) {
		t.Helper()
		m := send(h)
		e, _ := m["error"].(map[string]any)
		if e == nil || e["kind"] != proto.ErrDenied {
			t.Errorf("%s: reply %v, want error kind %q", what, m, proto.ErrDenied)
		}
		if _, ok := m["keys"]; ok {
			t.Errorf("%s: the reply carries keys: %v", what, m)
		}
	}

	denied("no signature headers", nil)
	h := signed(kp, pub, now(), body)
	h.Del(proto.HeaderSig)
	denied("no Brine-Sig", h)
	h = signed(kp, pub, now(), body)
	h.Set(proto.HeaderSig, "not-base64!")
	denied("garbage signature", h)
	denied("signed by another key", signed(other, pub, now(), body))
	denied("another key, named as such", signed(other, otherPub, now(), body))
	denied("signature over another body", signed(kp, pub, now(), []byte(`{"id":"x"}`)))
	denied("stale time", signed(kp, pub, time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano), body))
	h = signed(kp, pub, now(), body)
	h.Set(proto.HeaderTime, time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano))
	denied("time changed after signing", h)

	// The same request, properly signed, is answered.
	m := send(signed(kp, pub, now(), body))
	if _, ok := m["error"]; ok {
		t.Fatalf("signed request refused: %v", m)
	}
	if _, ok := m["keys"]; !ok {
		t.Errorf("signed key.list reply has no keys: %v", m)
	}
}

// writeSelfSigned writes a self-signed ECDSA certificate for 127.0.0.1
// (also its own CA) and its key.
func writeSelfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "brine test master"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// TestTLS: a master with tls_cert/tls_key; minions and ctl that trust its
// CA work, a minion that does not cannot connect.
func TestTLS(t *testing.T) {
	t.Parallel()
	certPath, keyPath := writeSelfSigned(t, t.TempDir())
	c := cluster(t, map[string]any{"auto_accept": true, "tls_cert": certPath, "tls_key": keyPath})

	// Without tls_ca the minion fails the handshake and is never seen.
	c.StartMinion(c.MinionConfig("plain", nil))
	testutil.Eventually(t, 30*time.Second, "the master to log a TLS handshake failure", func() bool {
		return strings.Contains(c.Master.Output(), "TLS handshake error")
	})

	for _, id := range []string{"tls-1", "tls-2"} {
		cfg := c.MinionConfig(id, nil)
		cfg["tls_ca"] = certPath
		c.StartMinion(cfg)
	}
	testutil.Eventually(t, waitLong, "TLS minions to answer", func() bool {
		r := c.Ctl("test.ping", "*", "--out", "json", "--timeout", "2", "--tls-ca", certPath)
		return r.Code == 0 && strings.Join(jsonIDsLoose(r.Stdout), ",") == "tls-1,tls-2"
	})
	if kl := listKeys(t, c, "--tls-ca", certPath); !equalIDs(kl.Minions, "tls-1", "tls-2") || len(kl.Pre) != 0 {
		t.Errorf("keys: %v; the minion without tls_ca must not be known", kl)
	}
	if out := c.Minions["plain"].Output(); strings.Contains(out, `msg="connected to master"`) {
		t.Errorf("the minion without tls_ca connected:\n%s", out)
	}

	// ctl needs the CA too.
	r := c.Ctl("test.ping", "*", "--timeout", "2")
	if r.Code != 3 {
		t.Errorf("ctl without --tls-ca: exit %d, want 3: %s", r.Code, r.Stderr)
	}
	r = c.CtlEnv([]string{"BRINE_TLS_CA=" + certPath}, "--root-dir", c.RootDir(), "test.ping", "*", "--out", "json")
	if r.Code != 0 || strings.Join(jsonIDsLoose(r.Stdout), ",") != "tls-1,tls-2" {
		t.Errorf("ctl with BRINE_TLS_CA: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// jsonIDsLoose is jsonIDs without failing on bad JSON.
func jsonIDsLoose(s string) []string {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	var ids []string
	for id := range m {
		ids = append(ids, id)
	}
	return sortedCopy(ids)
}
