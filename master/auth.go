package master

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/proto"
)

// Authorisation of bus connections.
//
// Minions and operators present ed25519 nkeys. One policy (authorize)
// decides for every connection: the operator key gets operator
// permissions; a minion key is looked up for the id it connects as, and an
// unknown key is recorded as pending and refused, an accepted key gets
// permissions naming only that minion's subjects, a second key for a known
// id is recorded as denied.
//
// The policy reaches the server by one of two transports:
//   - embedded server: Options.CustomClientAuthentication. The server calls
//     the master in-process during the connection handshake; the master
//     checks the nkey's signature over the server's nonce and registers the
//     user with its permissions. One signature verification per connection,
//     which matters when ten thousand minions reconnect after a restart
//     (measured here: about 5x the connection rate of the callout).
//   - external server (nats_url): the auth callout, the only way an external
//     NATS server lets a service decide per connection. The master answers
//     $SYS.REQ.USER.AUTH with a signed user JWT carrying the same
//     permissions. nats-server leaves the nkey nonce check to the callout
//     service, so the master verifies it here too.
//
// A static nkey user list was not chosen: it cannot record pending keys,
// and every accept would reload the server with a list that grows with the
// fleet. Either transport makes key deletion immediate: the next connect is
// refused, and the live connection (its id is known at authorisation) is
// kicked through the system account.

// grant is what a connection may do.
type grant struct {
	name     string
	pubAllow []string
	subAllow []string
}

// minionGrant confines a minion to its own subjects: it receives only jobs
// addressed to it and replies on its own inbox, and publishes only its own
// returns (to the master, which checks them before the job cache and ctl
// see them), progress, requests and events.
func minionGrant(id string) grant {
	tok := proto.IDToken(id)
	return grant{
		name:     id,
		subAllow: []string{proto.JobSubject(id), proto.MinionInbox(id) + ".>"},
		pubAllow: []string{
			proto.SubjectMinionRet + ".*." + tok, // checked and republished by the master
			proto.SubjectProgress + ".*." + tok,
			proto.SubjectMinionReq + "." + tok + ".>",
			proto.MinionEventSubject(id),
		},
	}
}

// operatorGrant is ctl's: requests to the master and reading returns and
// events; no job reaches a minion except through the master.
func operatorGrant() grant {
	return grant{
		name:     "operator",
		pubAllow: []string{proto.SubjectMaster + ".>"},
		subAllow: []string{"_INBOX.>", proto.SubjectReturn + ".>", proto.SubjectProgress + ".>", proto.SubjectEvent + ".>"},
	}
}

// authorizer applies the policy.
type authorizer struct {
	m       *Master
	log     *slog.Logger
	ready   atomic.Bool   // the key store is open and requests are served
	readyCh chan struct{} // closed by setReady
	once    sync.Once
	// refused remembers, per id, the key state its connections were last
	// refused for, so that a minion retrying every few seconds is logged
	// once (INFO for pending, WARN otherwise), not at every retry.
	refusedMu sync.Mutex
	refused   map[string]string
}

func newAuthorizer(m *Master) *authorizer {
	return &authorizer{m: m, log: m.log.With("component", "auth"), readyCh: make(chan struct{})}
}

// setReady lets connections in: the key store is open and the master
// serves minion requests.
func (a *authorizer) setReady() {
	a.ready.Store(true)
	a.once.Do(func() { close(a.readyCh) })
}

// startWait is how long a connection arriving while the master starts is
// held before it is refused (nats-server's authentication timeout is 2 s).
const startWait = 1500 * time.Millisecond

// verifyNonce checks that the client holds the private key of pub: sig
// must be its signature over nonce.
func verifyNonce(pub, sig string, nonce []byte) error {
	if pub == "" {
		return fmt.Errorf("no nkey presented")
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return fmt.Errorf("not a user nkey")
	}
	if len(nonce) == 0 {
		return fmt.Errorf("no nonce")
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		if raw, err = base64.StdEncoding.DecodeString(sig); err != nil {
			return fmt.Errorf("signed nonce: %w", err)
		}
	}
	kp, err := nkeys.FromPublicKey(pub)
	if err != nil {
		return err
	}
	if err := kp.Verify(nonce, raw); err != nil {
		return fmt.Errorf("nonce signature: %w", err)
	}
	return nil
}

// authorize decides for a connection that proved it holds pub and asks to
// be name. server and cid identify the connection for a later kick.
// token is the join token a new cloud node presents (empty for others).
func (a *authorizer) authorize(ctx context.Context, name, pub, token, host, server string, cid uint64) (grant, string) {
	if pub == a.m.secrets.OperatorPub {
		return operatorGrant(), ""
	}
	if err := proto.ValidID(name); err != nil {
		return grant{}, err.Error()
	}
	if !a.ready.Load() {
		// A fleet reconnects while the master starts: rather than refuse
		// (and send every minion into a longer backoff), hold the
		// handshake a moment, within the server's authentication timeout.
		t := time.NewTimer(startWait)
		select {
		case <-a.readyCh:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		if !a.ready.Load() {
			return grant{}, "master is starting"
		}
	}
	var state string
	var err error
	var claims *proto.JoinClaims
	if token != "" {
		c, cerr := proto.ParseJoinClaims(token)
		if cerr != nil {
			a.log.Info("join claims ignored", "id", name, "err", cerr)
		} else {
			claims = c
		}
	}
	if claims != nil && claims.JoinToken != "" {
		state, err = a.m.join(ctx, name, pub, claims, host)
	} else {
		state, err = a.m.keys.authenticate(ctx, name, pub)
	}
	if err != nil {
		a.log.Error("key lookup", "id", name, "err", err)
		return grant{}, "key store unavailable"
	}
	if state != proto.KeyAccepted {
		a.noteRefused(name, host, state)
		return grant{}, "minion key " + keyStateWord(state)
	}
	a.forgetRefused(name)
	a.m.conns.add(name, server, cid)
	return minionGrant(name), ""
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

// embeddedAuth is the CustomClientAuthentication of the embedded server.
type embeddedAuth struct {
	a           *authorizer
	ctx         context.Context
	serverID    string
	brine, sys  *server.Account
	internal    map[string]internalUser
	callTimeout time.Duration
}

type internalUser struct {
	password string
	account  *server.Account
}

// Check authorises one connection. The server calls it on the
// connection's read goroutine; the signature check and key lookup run on a
// short-lived goroutine instead, so that their deep stacks do not stay with
// each of ten thousand long-lived read goroutines.
func (e *embeddedAuth) Check(c server.ClientAuthentication) bool {
	done := make(chan bool, 1)
	go func() { done <- e.check(c) }()
	return <-done
}

func (e *embeddedAuth) check(c server.ClientAuthentication) bool {
	o := c.GetOpts()
	if o.Username != "" {
		// The master's own connections.
		u, ok := e.internal[o.Username]
		if !ok || subtle.ConstantTimeCompare([]byte(u.password), []byte(o.Password)) != 1 {
			return false
		}
		c.RegisterUser(&server.User{Username: o.Username, Account: u.account})
		return true
	}
	host := ""
	if addr := c.RemoteAddress(); addr != nil {
		host = addr.String()
	}
	if err := verifyNonce(o.Nkey, o.Sig, c.GetNonce()); err != nil {
		e.a.log.Info("connection refused", "reason", err, "host", host)
		return false
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.callTimeout)
	defer cancel()
	g, deny := e.a.authorize(ctx, o.Name, o.Nkey, o.Token, host, e.serverID, c.GetID())
	if deny != "" {
		e.a.noteClaims(o.Name, o.Nkey, o.Token)
		return false
	}
	c.RegisterUser(&server.User{
		Username: g.name,
		Account:  e.brine,
		Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: g.pubAllow},
			Subscribe: &server.SubjectPermission{Allow: g.subAllow},
		},
	})
	return true
}

// serveCallout answers auth callout requests from an external server.
// Requests are handled concurrently (bounded) so that a fleet reconnecting
// at once is not serialised behind one handler.
func (a *authorizer) serveCallout(ctx context.Context, nc *nats.Conn) (*nats.Subscription, error) {
	sem := make(chan struct{}, 64)
	return nc.Subscribe(calloutSubject, func(msg *nats.Msg) {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			a.handleCallout(ctx, msg)
		}()
	})
}

const calloutSubject = "$SYS.REQ.USER.AUTH"

func (a *authorizer) handleCallout(ctx context.Context, msg *nats.Msg) {
	req, err := jwt.DecodeAuthorizationRequestClaims(string(msg.Data))
	if err != nil {
		a.log.Warn("bad auth callout request", "err", err)
		return
	}
	resp := jwt.NewAuthorizationResponseClaims(req.UserNkey)
	resp.Audience = req.Server.ID
	pub, host := req.ConnectOptions.Nkey, req.ClientInformation.Host
	if err := verifyNonce(pub, req.ConnectOptions.SignedNonce, []byte(req.ClientInformation.Nonce)); err != nil {
		a.log.Info("connection refused", "reason", err, "host", host)
		resp.Error = "authentication failed"
	} else if g, deny := a.authorize(ctx, req.ConnectOptions.Name, pub, req.ConnectOptions.Token, host, req.Server.ID, req.ClientInformation.ID); deny != "" {
		a.noteClaims(req.ConnectOptions.Name, pub, req.ConnectOptions.Token)
		resp.Error = deny
	} else {
		uc := jwt.NewUserClaims(req.UserNkey)
		uc.Name = g.name
		uc.Audience = accountBrine
		uc.Permissions.Pub.Allow.Add(g.pubAllow...)
		uc.Permissions.Sub.Allow.Add(g.subAllow...)
		if resp.Jwt, err = uc.Encode(a.m.secrets.Issuer); err != nil {
			a.log.Error("encode user jwt", "err", err)
			resp.Error = "internal error"
		}
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

// kickTimeout bounds how long a key deletion waits for the connection cut.
const kickTimeout = time.Second

// maxRefusedNoted bounds the ids remembered for logging refusals.
const maxRefusedNoted = 100_000

// noteRefused logs a refused connection: the first for an id in a given
// key state at INFO (pending: how to accept it) or WARN, retries at DEBUG.
func (a *authorizer) noteRefused(id, host, state string) {
	a.refusedMu.Lock()
	if a.refused == nil || len(a.refused) >= maxRefusedNoted {
		a.refused = map[string]string{}
	}
	first := a.refused[id] != state
	a.refused[id] = state
	a.refusedMu.Unlock()
	switch {
	case !first:
		a.log.Debug("connection refused", "id", id, "host", host, "key", keyStateWord(state))
	case state == proto.KeyPending:
		a.log.Info("minion key pending acceptance: it retries until accepted (ctl key accept "+id+")", "id", id, "host", host)
	default:
		a.log.Warn("connection refused", "id", id, "host", host, "key", keyStateWord(state))
	}
}

func (a *authorizer) forgetRefused(id string) {
	a.refusedMu.Lock()
	delete(a.refused, id)
	a.refusedMu.Unlock()
}
