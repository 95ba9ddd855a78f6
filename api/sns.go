package api

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// SNS message types.
const (
	snsNotification  = "Notification"
	snsSubscription  = "SubscriptionConfirmation"
	snsUnsubscribed  = "UnsubscribeConfirmation"
	snsMaxAge        = time.Hour        // older messages are refused: SNS retries for an hour at most
	snsMaxSkew       = 15 * time.Minute // clock skew allowed for messages from the future
	snsCertMaxBytes  = 64 << 10
	snsCertCacheSize = 32
	snsCertCacheTTL  = 24 * time.Hour
	snsReplaySize    = 10000
	snsFetchTimeout  = 10 * time.Second
	// snsMaxFetches bounds the certificate fetches and subscription
	// confirmations in flight: a delivery that would start one more is
	// answered 503 (SNS retries) instead of waiting.
	snsMaxFetches = 4
)

// errFetchBusy: snsMaxFetches fetches are in flight.
var errFetchBusy = errors.New("too many SNS fetches in flight")

// fetchSlot takes one of the snsMaxFetches slots, or fails at once with
// errFetchBusy; release gives it back.
func (s *Server) fetchSlot() (release func(), err error) {
	select {
	case s.fetchSem <- struct{}{}:
		return func() { <-s.fetchSem }, nil
	default:
		return nil, errFetchBusy
	}
}

// snsKeys are the top-level keys SNS sends; others are left out of the
// event's "post" (they are signed by no one).
var snsKeys = map[string]bool{
	"Type": true, "MessageId": true, "Token": true, "TopicArn": true, "Subject": true,
	"Message": true, "SubscribeURL": true, "UnsubscribeURL": true, "Timestamp": true,
	"SignatureVersion": true, "Signature": true, "SigningCertURL": true, "MessageAttributes": true,
}

// snsMessage is an SNS HTTP(S) delivery.
type snsMessage struct {
	Type, MessageID, Token, TopicArn, Message string
	SubscribeURL, Timestamp, SignatureVersion string
	Signature, SigningCertURL                 string
	Subject                                   string
	HasSubject                                bool
	fields                                    map[string]any // the parsed body
}

// parseSNS reads an SNS message. Fields are read from one map, with their
// exact names, and that same map is what the event carries, so that what
// was verified is what a reactor reads.
func parseSNS(body []byte) (*snsMessage, error) {
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if fields == nil {
		return nil, errors.New("not a JSON object")
	}
	m := &snsMessage{fields: fields}
	get := func(name string, dst *string) error {
		switch v := fields[name].(type) {
		case nil:
			return nil
		case string:
			*dst = v
			return nil
		}
		return fmt.Errorf("field %s is not a string", name)
	}
	for name, dst := range map[string]*string{
		"Type": &m.Type, "MessageId": &m.MessageID, "Token": &m.Token, "TopicArn": &m.TopicArn,
		"Message": &m.Message, "SubscribeURL": &m.SubscribeURL, "Timestamp": &m.Timestamp,
		"SignatureVersion": &m.SignatureVersion, "Signature": &m.Signature,
		"SigningCertURL": &m.SigningCertURL, "Subject": &m.Subject,
	} {
		if err := get(name, dst); err != nil {
			return nil, err
		}
	}
	_, m.HasSubject = fields["Subject"].(string)
	var required []string
	switch m.Type {
	case snsNotification:
		required = []string{"Message", "MessageId", "Timestamp", "TopicArn"}
	case snsSubscription, snsUnsubscribed:
		required = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn"}
	case "":
		return nil, errors.New("missing field Type")
	default:
		return nil, fmt.Errorf("unknown message type %q", m.Type)
	}
	required = append(required, "SignatureVersion", "Signature", "SigningCertURL")
	for _, name := range required {
		if s, _ := fields[name].(string); s == "" {
			return nil, fmt.Errorf("missing field %s", name)
		}
	}
	return m, nil
}

// stringToSign builds the canonical string SNS signs: "Name\nValue\n" for
// Message, MessageId, Subject (if present), Timestamp, TopicArn, Type in a
// notification; Message, MessageId, SubscribeURL, Timestamp, Token,
// TopicArn, Type in a (un)subscription confirmation.
func (m *snsMessage) stringToSign() string {
	var b strings.Builder
	add := func(name, value string) {
		b.WriteString(name)
		b.WriteByte('\n')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == snsNotification {
		if m.HasSubject {
			add("Subject", m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != snsNotification {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// verify checks the signature with the signing certificate's key.
func (m *snsMessage) verify(key *rsa.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return errors.New("signature is not base64")
	}
	msg := []byte(m.stringToSign())
	switch m.SignatureVersion {
	case "1":
		h := sha1.Sum(msg)
		return rsa.VerifyPKCS1v15(key, crypto.SHA1, h[:], sig)
	case "2":
		h := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig)
	}
	return fmt.Errorf("unsupported SignatureVersion %q", m.SignatureVersion)
}

// checkSNSURL checks a SigningCertURL (pem) or SubscribeURL: https, no
// user info, host matching hostRe, port 443.
func checkSNSURL(raw string, hostRe *regexp.Regexp, pem bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("malformed URL")
	}
	if u.Scheme != "https" {
		return errors.New("URL is not https")
	}
	if u.User != nil || u.Opaque != "" {
		return errors.New("URL has user info")
	}
	if hostRe == nil || !hostRe.MatchString(u.Hostname()) {
		return errors.New("host not allowed")
	}
	if p := u.Port(); p != "" && p != "443" {
		// SNS serves certificates and confirmations on 443 only; another
		// port on an allowed host is not SNS.
		return errors.New("URL names a port other than 443")
	}
	if pem && !strings.HasSuffix(u.Path, ".pem") {
		return errors.New("path does not end in .pem")
	}
	return nil
}

// handleSNS checks an SNS delivery and acts on it.
func (s *Server) handleSNS(w http.ResponseWriter, r *http.Request, hook *compiledHook, path string, body []byte, rejected func(*hookRejection)) {
	m, err := parseSNS(body)
	if err != nil {
		s.log.Debug("api sns: malformed message", "path", path, "err", err)
		rejected(reject("sns: malformed message"))
		return
	}
	if t := r.Header.Get("X-Amz-Sns-Message-Type"); t != "" && t != m.Type {
		rejected(reject("sns: x-amz-sns-message-type does not match Type"))
		return
	}
	if m.SignatureVersion != "1" && m.SignatureVersion != "2" {
		rejected(reject("sns: unsupported SignatureVersion"))
		return
	}
	if err := checkSNSURL(m.SigningCertURL, s.snsHost, true); err != nil {
		rejected(reject("sns: SigningCertURL " + err.Error()))
		return
	}
	if m.Type != snsNotification {
		if err := checkSNSURL(m.SubscribeURL, s.snsHost, false); err != nil {
			rejected(reject("sns: SubscribeURL " + err.Error()))
			return
		}
	}
	ts, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	now := s.now()
	switch {
	case err != nil:
		rejected(reject("sns: malformed Timestamp"))
		return
	case ts.Before(now.Add(-snsMaxAge)):
		rejected(reject("sns: message too old"))
		return
	case ts.After(now.Add(snsMaxSkew)):
		rejected(reject("sns: message from the future"))
		return
	}
	if len(hook.TopicARNs) > 0 && !slices.Contains(hook.TopicARNs, m.TopicArn) {
		rejected(reject("sns: topic not allowed"))
		return
	}
	key, err := s.signingKey(r.Context(), m.SigningCertURL)
	if errors.Is(err, errFetchBusy) {
		s.log.Warn("api sns: too many certificate fetches in flight; delivery refused for SNS to retry", "path", path, "remote", remote(r))
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "busy: try again")
		return
	}
	if err != nil {
		s.log.Warn("api sns: signing certificate", "path", path, "err", err)
		rejected(reject("sns: cannot get signing certificate"))
		return
	}
	if err := m.verify(key); err != nil {
		rejected(reject("sns: bad signature"))
		return
	}
	replayKey := m.TopicArn + "\x00" + m.MessageID
	if !s.seen.add(replayKey, now) {
		s.log.Info("api sns: duplicate message ignored", "path", path, "message_id", m.MessageID)
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
		return
	}

	info := map[string]any{"path": path, "topic_arn": m.TopicArn, "message_id": m.MessageID, "remote": remote(r)}
	switch m.Type {
	case snsNotification:
		post := make(map[string]any, len(m.fields))
		for k, v := range m.fields {
			if snsKeys[k] {
				post[k] = v
			}
		}
		s.fireHook(r, AuthSNS, path, body, post)
	case snsUnsubscribed:
		s.b.Fire(TagSNSUnsubscribed, info)
	case snsSubscription:
		if !hook.Confirm {
			info["subscribe_url"] = m.SubscribeURL
			s.b.Fire(TagSNSSubscribe, info)
			break
		}
		if err := s.confirm(r.Context(), m.SubscribeURL); err != nil {
			s.seen.remove(replayKey)
			if errors.Is(err, errFetchBusy) {
				w.Header().Set("Retry-After", "1")
				writeError(w, http.StatusServiceUnavailable, "busy: try again")
				return
			}
			s.log.Warn("api sns: confirming subscription failed", "path", path, "topic_arn", m.TopicArn, "err", err)
			info["subscribe_url"] = m.SubscribeURL
			info["error"] = "confirming the subscription failed: " + err.Error()
			s.b.Fire(TagSNSSubscribe, info)
			writeError(w, http.StatusBadGateway, "confirming the subscription failed")
			return
		}
		s.log.Info("api sns: subscription confirmed", "path", path, "topic_arn", m.TopicArn)
		s.b.Fire(TagSNSConfirmed, info)
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

// confirm visits the SubscribeURL.
func (s *Server) confirm(ctx context.Context, subscribeURL string) error {
	release, err := s.fetchSlot()
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, snsFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, subscribeURL, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, snsCertMaxBytes))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// --- signing certificates ----------------------------------------------------

type certEntry struct {
	key   *rsa.PublicKey
	until time.Time
	added time.Time
}

// certCache keeps signing keys by certificate URL, at most
// snsCertCacheSize of them, each until its certificate expires or a day
// passes.
type certCache struct {
	mu sync.Mutex
	m  map[string]certEntry
}

func (c *certCache) get(u string, now time.Time) *rsa.PublicKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[u]
	if !ok {
		return nil
	}
	if !now.Before(e.until) {
		delete(c.m, u)
		return nil
	}
	return e.key
}

func (c *certCache) put(u string, e certEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]certEntry{}
	}
	if _, ok := c.m[u]; !ok && len(c.m) >= snsCertCacheSize {
		oldest := ""
		for k, v := range c.m {
			if oldest == "" || v.added.Before(c.m[oldest].added) {
				oldest = k
			}
		}
		delete(c.m, oldest)
	}
	c.m[u] = e
}

// signingKey returns the RSA key of the certificate at certURL (already
// checked by checkSNSURL).
func (s *Server) signingKey(ctx context.Context, certURL string) (*rsa.PublicKey, error) {
	now := s.now()
	if k := s.certs.get(certURL, now); k != nil {
		return k, nil
	}
	release, err := s.fetchSlot()
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, snsFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, certURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: status %s", certURL, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, snsCertMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > snsCertMaxBytes {
		return nil, fmt.Errorf("certificate at %s larger than %d bytes", certURL, snsCertMaxBytes)
	}
	cert, err := parseCertPEM(data)
	if err != nil {
		return nil, err
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, errors.New("signing certificate is not valid now")
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("signing certificate has no RSA key")
	}
	until := now.Add(snsCertCacheTTL)
	if cert.NotAfter.Before(until) {
		until = cert.NotAfter
	}
	s.certs.put(certURL, certEntry{key: key, until: until, added: now})
	return key, nil
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no certificate in PEM data")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// --- replay -------------------------------------------------------------

// replayCache remembers the messages acted on for ttl, at most size of
// them (the oldest leaving first), so that none is acted on twice. The zero
// value suits SNS: the window in which a message's timestamp is still
// accepted, snsReplaySize messages.
type replayCache struct {
	ttl   time.Duration
	size  int
	mu    sync.Mutex
	m     map[string]time.Time
	order []replayEntry
}

type replayEntry struct {
	key string
	at  time.Time
}

func (c *replayCache) add(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]time.Time{}
	}
	ttl, size := c.ttl, c.size
	if ttl <= 0 {
		ttl = snsMaxAge + snsMaxSkew
	}
	if size <= 0 {
		size = snsReplaySize
	}
	horizon := now.Add(-ttl)
	for len(c.order) > 0 {
		e := c.order[0]
		t, ok := c.m[e.key]
		current := ok && t.Equal(e.at)
		if current && e.at.After(horizon) && len(c.m) < size {
			break
		}
		if current {
			delete(c.m, e.key)
		}
		c.order = c.order[1:]
	}
	if _, dup := c.m[key]; dup {
		return false
	}
	c.m[key] = now
	c.order = append(c.order, replayEntry{key, now})
	return true
}

func (c *replayCache) remove(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}
