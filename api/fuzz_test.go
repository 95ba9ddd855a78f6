package api

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func FuzzSNSParse(f *testing.F) {
	fx := &snsFixture{certURL: "https://sns.us-east-1.amazonaws.com/x.pem", srv: &httptest.Server{URL: "https://sns.us-east-1.amazonaws.com"}}
	k := testKey(f)
	for _, typ := range []string{"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"} {
		m := fx.message(typ)
		sign(f, k.key, m)
		f.Add(snsBody(m))
	}
	f.Add([]byte(`{"Type":"Notification","Subject":null}`))
	f.Add([]byte(`{"Type":"Notification","Message":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"Type":"SubscriptionConfirmation","Message":"a\nb","Subject":"x"}`))
	re := regexp.MustCompile(DefaultSNSCertHost)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := parseSNS(body)
		if err != nil {
			return
		}
		s := m.stringToSign()
		if !strings.HasPrefix(s, "Message\n") || !strings.HasSuffix(s, "Type\n"+m.Type+"\n") {
			t.Fatalf("string to sign %q", s)
		}
		for _, name := range []string{"Message", "MessageId", "Timestamp", "TopicArn", "Signature", "SigningCertURL"} {
			if v, _ := m.fields[name].(string); v == "" {
				t.Fatalf("accepted without %s", name)
			}
		}
		_ = checkSNSURL(m.SigningCertURL, re, true)
		_ = checkSNSURL(m.SubscribeURL, re, false)
		if m.verify(&k.key.PublicKey) == nil {
			// Only a message signed with the key verifies: check it
			// independently of the code under test.
			if !independentlySigned(body, &k.key.PublicKey) {
				t.Fatalf("verified a message that is not signed: %s", body)
			}
		}
	})
}

// independentlySigned verifies an SNS body with the test's own canonical
// string builder.
func independentlySigned(body []byte, pub *rsa.PublicKey) bool {
	var raw map[string]any
	if json.Unmarshal(body, &raw) != nil {
		return false
	}
	m := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			m[k] = s
		}
	}
	if m["Type"] != "Notification" {
		delete(m, "Subject")
	}
	sig, err := base64.StdEncoding.DecodeString(m["Signature"])
	if err != nil {
		return false
	}
	msg := []byte(snsCanonical(m))
	switch m["SignatureVersion"] {
	case "1":
		h := sha1.Sum(msg)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], sig) == nil
	case "2":
		h := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
	}
	return false
}

// FuzzHookRequest sends arbitrary bodies and headers to the hooks and
// checks that no salt/netapi event is fired for a github, token or sns
// hook without valid authentication.
func FuzzHookRequest(f *testing.F) {
	fx := newSNSFixture(f)
	k := testKey(f)
	cfg := &Config{
		MaxBody:     8192,
		SNSCertHost: `^127\.0\.0\.1$`,
		HTTPClient:  fx.srv.Client(),
		Hooks: []Hook{
			{Path: "deploy/*", Auth: AuthGitHub, Secret: ghSecret},
			{Path: "ci/*", Auth: AuthToken, Secret: ciToken},
			{Path: "sns/*", Auth: AuthSNS, Confirm: true},
			{Path: "open", Auth: AuthNone},
		},
	}
	paths := []string{"deploy/web", "ci/build", "sns/asg", "open", "nohook", "deploy/a/b", ""}

	body := []byte(`{"ref":"refs/heads/main"}`)
	f.Add(uint8(0), body, ghSign(ghSecret, body), "", "application/json", "X-Extra", "v")
	f.Add(uint8(0), body, ghSign("x", body), "", "application/json", "", "")
	f.Add(uint8(1), []byte("a=b&c=d"), "", ciToken, "application/x-www-form-urlencoded", "", "")
	f.Add(uint8(1), []byte("{}"), "", "nope", "", "", "")
	for _, typ := range []string{"Notification", "SubscriptionConfirmation"} {
		for _, v := range []string{"1", "2"} {
			m := fx.message(typ)
			m["SignatureVersion"] = v
			sign(f, k.key, m)
			f.Add(uint8(2), snsBody(m), "", "", "text/plain; charset=UTF-8", "X-Amz-Sns-Message-Type", typ)
		}
	}
	f.Add(uint8(3), []byte("anything"), "", "", "", "", "")
	f.Add(uint8(4), []byte("{}"), "", "", "", "", "")

	f.Fuzz(func(t *testing.T, which uint8, body []byte, sig, tok, ctype, hname, hval string) {
		fb := newFake()
		s := New(cfg, fb, nil)
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest("POST", "/hook/"+path, bytes.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		if tok != "" {
			req.Header.Set("X-Brine-Token", tok)
		}
		if hname != "" {
			req.Header.Add(hname, hval)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)

		var hookEvents, other int
		for _, ev := range fb.Fired() {
			switch {
			case strings.HasPrefix(ev.Tag, TagHookPrefix):
				hookEvents++
			case ev.Tag != TagHookRejected:
				other++
			}
		}
		if w.Code == http.StatusForbidden && (hookEvents > 0 || other > 0) {
			t.Fatalf("403 fired %v", fb.Fired())
		}
		if hookEvents == 0 {
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("status %d with a hook event", w.Code)
		}
		hook := s.findHook(strings.Trim(path, "/"))
		switch hook.Auth {
		case AuthNone:
		case AuthGitHub:
			if len(req.Header.Values("X-Hub-Signature-256")) != 1 || !strings.EqualFold(req.Header.Get("X-Hub-Signature-256"), ghSign(ghSecret, body)) {
				t.Fatalf("github event without a valid signature (%q)", req.Header.Values("X-Hub-Signature-256"))
			}
		case AuthToken:
			if len(req.Header.Values("X-Brine-Token")) != 1 || req.Header.Get("X-Brine-Token") != ciToken {
				t.Fatalf("token event without the token (%q)", req.Header.Values("X-Brine-Token"))
			}
		case AuthSNS:
			if !independentlySigned(body, &k.key.PublicKey) {
				t.Fatalf("sns event for a message not signed: %s", body)
			}
		default:
			t.Fatalf("event for hook %+v", hook)
		}
	})
}
