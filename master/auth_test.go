package master

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/proto"
)

func newUser(t testing.TB) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return kp, pub
}

func sign(t *testing.T, kp nkeys.KeyPair, data []byte) []byte {
	t.Helper()
	sig, err := kp.Sign(data)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestVerifyNonce(t *testing.T) {
	kp, pub := newUser(t)
	_, otherPub := newUser(t)
	acct, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	acctPub, _ := acct.PublicKey()
	nonce := []byte("abcdefghijklmnop")
	sig := sign(t, kp, nonce)
	raw := base64.RawURLEncoding.EncodeToString(sig)
	std := base64.StdEncoding.EncodeToString(sig)
	tests := []struct {
		name    string
		pub     string
		sig     string
		nonce   []byte
		wantErr string
	}{
		{"good raw url", pub, raw, nonce, ""},
		{"good std", pub, std, nonce, ""},
		{"wrong key", otherPub, raw, nonce, "nonce signature"},
		{"other nonce", pub, raw, []byte("ponmlkjihgfedcba"), "nonce signature"},
		{"bad base64", pub, "!!not base64!!", nonce, "signed nonce"},
		{"empty signature", pub, "", nonce, "nonce signature"},
		{"truncated signature", pub, raw[:40], nonce, "nonce signature"},
		{"empty nonce", pub, raw, nil, "no nonce"},
		{"no key", "", raw, nonce, "no nkey"},
		{"account key", acctPub, base64.RawURLEncoding.EncodeToString(sign(t, acct, nonce)), nonce, "not a user nkey"},
		{"garbage key", "Unot-a-key", raw, nonce, "not a user nkey"},
	}
	for _, tt := range tests {
		err := verifyNonce(tt.pub, tt.sig, tt.nonce)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

// operatorMsg builds a request as ctl's client.request does.
func operatorMsg(t *testing.T, kp nkeys.KeyPair, pub, subj string, ts time.Time, body []byte) *nats.Msg {
	t.Helper()
	stamp := ts.UTC().Format(time.RFC3339Nano)
	msg := nats.NewMsg(subj)
	msg.Data = body
	msg.Header.Set(proto.HeaderKey, pub)
	msg.Header.Set(proto.HeaderTime, stamp)
	msg.Header.Set(proto.HeaderSig, base64.RawURLEncoding.EncodeToString(sign(t, kp, proto.SignedPayload(subj, stamp, body))))
	msg.Header.Set(proto.HeaderUser, "alice")
	return msg
}

func TestVerifyOperator(t *testing.T) {
	opKey, opPub := newUser(t)
	otherKey, otherPub := newUser(t)
	m := &Master{secrets: &busSecrets{Operator: opKey, OperatorPub: opPub}}
	subj := proto.MasterSubject(proto.OpKeyList)
	body := []byte(`{"all":true}`)
	now := time.Now()

	t.Run("good", func(t *testing.T) {
		c, err := m.verifyOperator(operatorMsg(t, opKey, opPub, subj, now, body))
		if err != nil {
			t.Fatal(err)
		}
		if c.Key != opPub || c.User != "alice" {
			t.Errorf("caller = %+v", c)
		}
	})
	t.Run("no user header", func(t *testing.T) {
		msg := operatorMsg(t, opKey, opPub, subj, now, body)
		msg.Header.Del(proto.HeaderUser)
		c, err := m.verifyOperator(msg)
		if err != nil || c.User != "operator" {
			t.Errorf("caller = %+v, %v", c, err)
		}
	})
	t.Run("within skew", func(t *testing.T) {
		for _, d := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
			if _, err := m.verifyOperator(operatorMsg(t, opKey, opPub, subj, now.Add(d), body)); err != nil {
				t.Errorf("%v: %v", d, err)
			}
		}
	})

	bad := []struct {
		name    string
		msg     func() *nats.Msg
		wantErr string
	}{
		{"no headers", func() *nats.Msg { return &nats.Msg{Subject: subj, Data: body} }, "unsigned"},
		{"empty headers", func() *nats.Msg { return nats.NewMsg(subj) }, "unknown operator key"},
		{"another key", func() *nats.Msg { return operatorMsg(t, otherKey, otherPub, subj, now, body) }, "unknown operator key"},
		{"signed by another key", func() *nats.Msg { return operatorMsg(t, otherKey, opPub, subj, now, body) }, "bad signature"},
		{"stale", func() *nats.Msg { return operatorMsg(t, opKey, opPub, subj, now.Add(-6*time.Minute), body) }, "away from the master's clock"},
		{"future", func() *nats.Msg { return operatorMsg(t, opKey, opPub, subj, now.Add(6*time.Minute), body) }, "away from the master's clock"},
		{"tampered body", func() *nats.Msg {
			msg := operatorMsg(t, opKey, opPub, subj, now, body)
			msg.Data = []byte(`{"all":false}`)
			return msg
		}, "bad signature"},
		{"other subject", func() *nats.Msg {
			msg := operatorMsg(t, opKey, opPub, subj, now, body)
			msg.Subject = proto.MasterSubject(proto.OpKeyDelete)
			return msg
		}, "bad signature"},
		{"tampered time", func() *nats.Msg {
			msg := operatorMsg(t, opKey, opPub, subj, now, body)
			msg.Header.Set(proto.HeaderTime, now.Add(time.Second).UTC().Format(time.RFC3339Nano))
			return msg
		}, "bad signature"},
		{"missing time", func() *nats.Msg {
			msg := operatorMsg(t, opKey, opPub, subj, now, body)
			msg.Header.Del(proto.HeaderTime)
			return msg
		}, "bad request time"},
		{"missing signature", func() *nats.Msg {
			msg := operatorMsg(t, opKey, opPub, subj, now, body)
			msg.Header.Del(proto.HeaderSig)
			return msg
		}, "bad signature"},
		{"bad signature encoding", func() *nats.Msg {
			msg := operatorMsg(t, opKey, opPub, subj, now, body)
			msg.Header.Set(proto.HeaderSig, "***")
			return msg
		}, "bad signature encoding"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.verifyOperator(tt.msg())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// subjectCovers reports whether NATS permission pattern pat admits subj,
// which may itself hold wildcards (a subscription): every subject subj
// stands for must match pat.
func subjectCovers(pat, subj string) bool {
	p, s := strings.Split(pat, "."), strings.Split(subj, ".")
	for i, pt := range p {
		if pt == ">" {
			return i < len(s)
		}
		if i >= len(s) {
			return false
		}
		switch {
		case pt == "*":
			if s[i] == ">" {
				return false
			}
		case pt != s[i]:
			return false
		}
	}
	return len(p) == len(s)
}

func allowed(patterns []string, subj string) bool {
	for _, p := range patterns {
		if subjectCovers(p, subj) {
			return true
		}
	}
	return false
}

func TestSubjectCovers(t *testing.T) {
	tests := []struct {
		pat, subj string
		want      bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.*", "a.b", true},
		{"a.*", "a.*", true},
		{"a.*", "a.>", false},
		{"a.*", "a.b.c", false},
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{"a.>", "a.>", true},
		{"a.b", "a.*", false},
		{"a.b", "a.>", false},
	}
	for _, tt := range tests {
		if got := subjectCovers(tt.pat, tt.subj); got != tt.want {
			t.Errorf("subjectCovers(%q, %q) = %v", tt.pat, tt.subj, got)
		}
	}
}

func TestMinionGrant(t *testing.T) {
	const jid = "20240102030405123456"
	for _, id := range []string{"web1", "web.example.com", "a", "user@host"} {
		g := minionGrant(id)
		if g.name != id {
			t.Errorf("%s: grant name %q", id, g.name)
		}
		for _, p := range append(append([]string{}, g.pubAllow...), g.subAllow...) {
			if strings.HasPrefix(p, ">") || strings.HasPrefix(p, "*") || p == "brine.>" {
				t.Errorf("%s: grant holds the wide pattern %q", id, p)
			}
		}
		// What the minion must be able to do.
		for _, s := range []string{proto.JobSubject(id), proto.MinionInbox(id) + ".abc", proto.MinionInbox(id) + ".abc.def"} {
			if !allowed(g.subAllow, s) {
				t.Errorf("%s may not subscribe to %s", id, s)
			}
		}
		for _, s := range []string{proto.MinionReturnSubject(jid, id), proto.ProgressSubject(jid, id), proto.MinionRequestSubject(id, proto.ReqGrains), proto.MinionEventSubject(id)} {
			if !allowed(g.pubAllow, s) {
				t.Errorf("%s may not publish to %s", id, s)
			}
		}
		// What it must not: anything of another minion, the operator's
		// subjects, the master's inboxes, JetStream or the system account.
		var notSub, notPub []string
		for _, other := range []string{"other", id + "x", "x" + id, id + ".1", "web", "web.example"} {
			if other == id {
				continue
			}
			notSub = append(notSub, proto.JobSubject(other), proto.MinionInbox(other)+".abc")
			notPub = append(notPub, proto.ReturnSubject(jid, other), proto.MinionReturnSubject(jid, other), proto.ProgressSubject(jid, other),
				proto.MinionRequestSubject(other, proto.ReqGrains), proto.MinionEventSubject(other))
		}
		common := []string{
			"brine.job.*", "brine.job.>", "brine.>", ">", "brine.ret.>", "brine.ret." + jid + ".*",
			"brine.req.*.grains", "brine.mevent.*", "_INBOX_M.*.x", "_INBOX_M.>",
			proto.MasterSubject(proto.OpPublish), proto.MasterSubject(proto.OpKeyAccept), "brine.master.>",
			proto.EventSubject(proto.TagAuth), "brine.event.>", "_INBOX.abc", "_INBOX.>",
			"$JS.API.STREAM.INFO.BRINE_RETURNS", "$JS.API.>", "$KV.brine_keys.web1", "$SYS.REQ.USER.AUTH", "$SYS.>",
		}
		notPub = append(notPub, proto.ReturnSubject(jid, id)) // only the master stores returns
		notSub = append(notSub, common...)
		notSub = append(notSub, proto.ReturnsFilter(jid), proto.ProgressFilter(jid))
		notPub = append(notPub, common...)
		notPub = append(notPub, proto.JobSubject(id))
		for _, s := range notSub {
			if allowed(g.subAllow, s) {
				t.Errorf("%s may subscribe to %s", id, s)
			}
		}
		for _, s := range notPub {
			if allowed(g.pubAllow, s) {
				t.Errorf("%s may publish to %s", id, s)
			}
		}
	}
}

func TestOperatorGrant(t *testing.T) {
	g := operatorGrant()
	const jid = "20240102030405123456"
	for _, s := range []string{proto.MasterSubject(proto.OpPublish), proto.MasterSubject(proto.OpKeyDelete), proto.MasterSubject(proto.OpRunner)} {
		if !allowed(g.pubAllow, s) {
			t.Errorf("operator may not publish to %s", s)
		}
	}
	for _, s := range []string{"_INBOX.abc.1", proto.ReturnsFilter(jid), proto.ProgressFilter(jid), "brine.event.>", proto.EventSubject("salt/job/1/new")} {
		if !allowed(g.subAllow, s) {
			t.Errorf("operator may not subscribe to %s", s)
		}
	}
	// Jobs reach minions only through the master; operators cannot forge
	// returns or events, nor read minions' inboxes or the system account.
	for _, s := range []string{proto.JobSubject("web1"), "brine.job.*", proto.ReturnSubject(jid, "web1"), proto.EventSubject("salt/auth"),
		proto.MinionRequestSubject("web1", proto.ReqGrains), "$JS.API.>", "$SYS.REQ.USER.AUTH", "_INBOX.x", ">"} {
		if allowed(g.pubAllow, s) {
			t.Errorf("operator may publish to %s", s)
		}
	}
	for _, s := range []string{proto.JobSubject("web1"), "brine.job.>", proto.MinionInbox("web1") + ".x", "_INBOX_M.>", "$SYS.>", ">", "brine.req.>"} {
		if allowed(g.subAllow, s) {
			t.Errorf("operator may subscribe to %s", s)
		}
	}
}

func TestKeyStateWord(t *testing.T) {
	for state, want := range map[string]string{
		proto.KeyPending: "pending", proto.KeyRejected: "rejected", proto.KeyDenied: "denied", "": "unknown", proto.KeyAccepted: "unknown",
	} {
		if got := keyStateWord(state); !strings.Contains(got, want) {
			t.Errorf("keyStateWord(%q) = %q", state, got)
		}
	}
}

func testAuthorizer(t *testing.T) (*authorizer, nkeys.KeyPair, string) {
	t.Helper()
	opKey, opPub := newUser(t)
	m := &Master{log: discardLog(), secrets: &busSecrets{Operator: opKey, OperatorPub: opPub}}
	return newAuthorizer(m), opKey, opPub
}

func TestAuthorizeWithoutStore(t *testing.T) {
	a, _, opPub := testAuthorizer(t)
	ctx := context.Background()
	// The operator key is known before the key store opens.
	g, deny := a.authorize(ctx, "anything", opPub, "", "h", "s", 1)
	if deny != "" || g.name != "operator" {
		t.Errorf("operator: grant %+v, deny %q", g, deny)
	}
	_, pub := newUser(t)
	if _, deny := a.authorize(ctx, "bad id", pub, "", "h", "s", 1); !strings.Contains(deny, "invalid minion id") {
		t.Errorf("bad id: deny %q", deny)
	}
	if _, deny := a.authorize(ctx, ".web", pub, "", "h", "s", 1); !strings.Contains(deny, "invalid minion id") {
		t.Errorf("bad id: deny %q", deny)
	}
	if _, deny := a.authorize(ctx, "web1", pub, "", "h", "s", 1); deny != "master is starting" {
		t.Errorf("not ready: deny %q", deny)
	}
}

// fakeClient is the server's view of a connecting client.
type fakeClient struct {
	opts  server.ClientOpts
	nonce []byte
	id    uint64
	user  *server.User
}

func (c *fakeClient) GetOpts() *server.ClientOpts                 { return &c.opts }
func (c *fakeClient) GetTLSConnectionState() *tls.ConnectionState { return nil }
func (c *fakeClient) RegisterUser(u *server.User)                 { c.user = u }
func (c *fakeClient) RemoteAddress() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5555}
}
func (c *fakeClient) GetNonce() []byte { return c.nonce }
func (c *fakeClient) Kind() int        { return server.CLIENT }
func (c *fakeClient) GetID() uint64    { return c.id }

// nkeyClient is a client presenting kp, signing nonce, as name.
func nkeyClient(t *testing.T, kp nkeys.KeyPair, name string) *fakeClient {
	t.Helper()
	pub, _ := kp.PublicKey()
	nonce := []byte("nonce-" + name)
	return &fakeClient{
		opts:  server.ClientOpts{Name: name, Nkey: pub, Sig: base64.RawURLEncoding.EncodeToString(sign(t, kp, nonce))},
		nonce: nonce,
		id:    42,
	}
}

func testEmbeddedAuth(a *authorizer) *embeddedAuth {
	brine, sys := server.NewAccount(accountBrine), server.NewAccount(accountSys)
	return &embeddedAuth{
		a: a, ctx: context.Background(), serverID: "SRV", brine: brine, sys: sys, callTimeout: 5 * time.Second,
		internal: map[string]internalUser{userMaster: {password: "m-secret", account: brine}, userSys: {password: "s-secret", account: sys}},
	}
}

func TestEmbeddedAuthInternalUsers(t *testing.T) {
	a, _, _ := testAuthorizer(t)
	e := testEmbeddedAuth(a)
	c := &fakeClient{opts: server.ClientOpts{Username: userMaster, Password: "m-secret"}}
	if !e.Check(c) || c.user == nil || c.user.Account != e.brine || c.user.Permissions != nil {
		t.Errorf("master user: registered %+v", c.user)
	}
	c = &fakeClient{opts: server.ClientOpts{Username: userSys, Password: "s-secret"}}
	if !e.Check(c) || c.user == nil || c.user.Account != e.sys {
		t.Errorf("sys user: registered %+v", c.user)
	}
	for _, o := range []server.ClientOpts{
		{Username: userMaster, Password: "wrong"},
		{Username: userMaster},
		{Username: userSys, Password: "m-secret"},
		{Username: userAuth, Password: "m-secret"},
		{Username: "nobody", Password: "x"},
	} {
		c := &fakeClient{opts: o}
		if e.Check(c) || c.user != nil {
			t.Errorf("%s/%s admitted", o.Username, o.Password)
		}
	}
}

func TestEmbeddedAuthOperator(t *testing.T) {
	a, opKey, _ := testAuthorizer(t)
	e := testEmbeddedAuth(a)
	c := nkeyClient(t, opKey, "ctl")
	if !e.Check(c) {
		t.Fatal("operator refused")
	}
	want := operatorGrant()
	if c.user.Username != "operator" || c.user.Account != e.brine || c.user.Permissions == nil ||
		strings.Join(c.user.Permissions.Publish.Allow, ",") != strings.Join(want.pubAllow, ",") ||
		strings.Join(c.user.Permissions.Subscribe.Allow, ",") != strings.Join(want.subAllow, ",") {
		t.Errorf("operator registered as %+v", c.user)
	}
	// The operator's key with a bad nonce signature is refused.
	c = nkeyClient(t, opKey, "ctl")
	c.nonce = []byte("another nonce")
	if e.Check(c) || c.user != nil {
		t.Error("operator with a bad signature admitted")
	}
	// No credentials at all.
	if c := (&fakeClient{nonce: []byte("n")}); e.Check(c) {
		t.Error("anonymous client admitted")
	}
}
