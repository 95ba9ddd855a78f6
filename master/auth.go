package master

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/proto"
)

const calloutSubject = "$SYS.REQ.USER.AUTH"

// role is what a verified connection may do on the bus.
type role int

const (
	roleNone role = iota
	roleMinion
	roleOperator
)

// authorizer answers nats-server's auth callout requests.
type authorizer struct {
	m   *Master
	log *slog.Logger
	sem chan struct{}
}

func newAuthorizer(m *Master) *authorizer {
	return &authorizer{m: m, log: m.log.With("component", "auth"), sem: make(chan struct{}, 64)}
}

// serve subscribes to callout requests on the auth connection. Requests are
// handled concurrently (bounded) so a fleet reconnecting at once is not
// serialised behind one handler.
func (a *authorizer) serve(ctx context.Context, nc *nats.Conn) (*nats.Subscription, error) {
	return nc.Subscribe(calloutSubject, func(msg *nats.Msg) {
		a.sem <- struct{}{}
		go func() {
			defer func() { <-a.sem }()
			a.handle(ctx, msg)
		}()
	})
}

func (a *authorizer) handle(ctx context.Context, msg *nats.Msg) {
	req, err := jwt.DecodeAuthorizationRequestClaims(string(msg.Data))
	if err != nil {
		a.log.Warn("bad auth callout request", "err", err)
		return
	}
	ujwt, denyReason := a.decide(ctx, req)
	resp := jwt.NewAuthorizationResponseClaims(req.UserNkey)
	resp.Audience = req.Server.ID
	if denyReason != "" {
		resp.Error = denyReason
	} else {
		resp.Jwt = ujwt
	}
	token, err := resp.Encode(a.m.secrets.Issuer)
	if err != nil {
		a.log.Error("encode auth response", "err", err)
		return
	}
	if err := msg.Respond([]byte(token)); err != nil {
		a.log.Warn("send auth response", "err", err)
	}
}

// verifyNonce checks that the client holds the private key of the nkey it
// presents: nats-server leaves this to the callout service.
func verifyNonce(req *jwt.AuthorizationRequestClaims) (string, error) {
	pub := req.ConnectOptions.Nkey
	if pub == "" {
		return "", fmt.Errorf("no nkey presented")
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return "", fmt.Errorf("not a user nkey")
	}
	sig, err := base64.RawURLEncoding.DecodeString(req.ConnectOptions.SignedNonce)
	if err != nil {
		if sig, err = base64.StdEncoding.DecodeString(req.ConnectOptions.SignedNonce); err != nil {
			return "", fmt.Errorf("signed nonce: %w", err)
		}
	}
	kp, err := nkeys.FromPublicKey(pub)
	if err != nil {
		return "", err
	}
	if req.ClientInformation.Nonce == "" {
		return "", fmt.Errorf("no nonce")
	}
	if err := kp.Verify([]byte(req.ClientInformation.Nonce), sig); err != nil {
		return "", fmt.Errorf("nonce signature: %w", err)
	}
	return pub, nil
}

// decide returns a user JWT for an allowed connection, or a reason to deny.
func (a *authorizer) decide(ctx context.Context, req *jwt.AuthorizationRequestClaims) (string, string) {
	pub, err := verifyNonce(req)
	if err != nil {
		a.log.Info("connection refused", "reason", err, "host", req.ClientInformation.Host)
		return "", "authentication failed"
	}
	if pub == a.m.secrets.OperatorPub {
		return a.userJWT(req.UserNkey, "operator", operatorPermissions())
	}
	id := req.ConnectOptions.Name
	if err := proto.ValidID(id); err != nil {
		return "", err.Error()
	}
	state, err := a.m.keys.authenticate(ctx, id, pub)
	if err != nil {
		a.log.Error("key lookup", "id", id, "err", err)
		return "", "key store unavailable"
	}
	if state != proto.KeyAccepted {
		return "", "minion key " + keyStateWord(state)
	}
	a.m.conns.set(id, req.Server.ID, req.ClientInformation.ID)
	return a.userJWT(req.UserNkey, id, minionPermissions(id))
}

func keyStateWord(state string) string {
	switch state {
	case proto.KeyPending:
		return "pending acceptance"
	case proto.KeyRejected:
		return "rejected"
	case proto.KeyDenied:
		return "denied: another key is registered for this id"
	}
	return "unknown"
}

func (a *authorizer) userJWT(userNkey, name string, perms jwt.Permissions) (string, string) {
	uc := jwt.NewUserClaims(userNkey)
	uc.Name = name
	uc.Audience = accountBrine
	uc.Permissions = perms
	s, err := uc.Encode(a.m.secrets.Issuer)
	if err != nil {
		a.log.Error("encode user jwt", "err", err)
		return "", "internal error"
	}
	return s, ""
}

// minionPermissions confine a minion to its own subjects: it receives only
// jobs addressed to it and replies on its own inbox, and publishes only its
// own returns, progress, requests and events.
func minionPermissions(id string) jwt.Permissions {
	tok := proto.IDToken(id)
	var p jwt.Permissions
	p.Sub.Allow.Add(proto.JobSubject(id), proto.MinionInbox(id)+".>")
	p.Pub.Allow.Add(
		proto.SubjectReturn+".*."+tok,
		proto.SubjectProgress+".*."+tok,
		proto.SubjectMinionReq+"."+tok+".>",
		proto.MinionEventSubject(id),
	)
	return p
}

// operatorPermissions are ctl's: requests to the master and reading returns
// and events; no job goes to a minion except through the master.
func operatorPermissions() jwt.Permissions {
	var p jwt.Permissions
	p.Pub.Allow.Add(proto.SubjectMaster + ".>")
	p.Sub.Allow.Add("_INBOX.>", proto.SubjectReturn+".>", proto.SubjectProgress+".>", proto.SubjectEvent+".>")
	return p
}

// kickTimeout bounds how long a key deletion waits for the connection cut.
const kickTimeout = time.Second
