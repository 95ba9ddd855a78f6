package api

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxHookPath bounds the path after /hook/ (it becomes part of a tag).
const maxHookPath = 256

// GitHub deliveries acted on are remembered for githubReplayTTL, at most
// githubReplaySize of them, so that a replayed delivery fires nothing.
const (
	githubReplayTTL  = 24 * time.Hour
	githubReplaySize = 10000
)

// hookPathError says why the path after /hook/ cannot name a hook: a "."
// or ".." segment (also percent-encoded: the path is checked decoded) or
// an empty one would make a tag such as salt/netapi/hook/../x, which
// reactor globs do not expect. "" when the path is fine.
func hookPathError(path string) string {
	path = strings.Trim(path, "/")
	if path == "" {
		return "" // no hook: 404
	}
	for _, seg := range strings.Split(path, "/") {
		switch seg {
		case ".", "..":
			return "hook path must not contain . or .. segments"
		case "":
			return "hook path must not contain empty segments"
		}
	}
	return ""
}

// droppedHeaders never reach the event: credentials a reactor has no use
// for once the API has checked them. A hook with auth none checks nothing,
// so it keeps GitHub's signature headers for the reactor to check itself
// (as salt-api's webhook_disable_auth setups do).
func droppedHeader(name, auth string) bool {
	switch name {
	case "Authorization", "Proxy-Authorization", "Cookie", "X-Brine-Token":
		return true
	}
	return auth != AuthNone && strings.HasPrefix(name, "X-Hub-Signature")
}

// hookRejection is why a hook request failed its check. reason is a fixed
// phrase: it never carries the secret or the body.
type hookRejection struct {
	status int
	reason string
}

func reject(reason string) *hookRejection {
	return &hookRejection{status: http.StatusForbidden, reason: reason}
}

// handleHook serves POST /hook/<path>: it checks the request as the first
// hook whose path matches says, then fires salt/netapi/hook/<path> with
// {headers, body, post, _source}, as salt-api's webhook does.
func (s *Server) handleHook(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.PathValue("path"), "/")
	if msg := hookPathError(path); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	hook := s.findHook(path)
	if hook == nil {
		writeError(w, http.StatusNotFound, "no hook configured for path")
		return
	}
	noteHook(w, hook.Path)
	rejected := func(rj *hookRejection) {
		s.log.Warn("api hook rejected", "path", path, "auth", hook.Auth, "reason", rj.reason, "remote", remote(r))
		s.fireLimited(TagHookRejected, map[string]any{
			"path": path, "auth": hook.Auth, "reason": rj.reason, "remote": remote(r),
		})
		writeError(w, rj.status, "hook rejected: "+rj.reason)
	}
	if hook.re == nil {
		rejected(reject("hook misconfigured"))
		return
	}
	body, he := s.readBody(w, r)
	if he != nil {
		if he.status == http.StatusRequestEntityTooLarge {
			rejected(&hookRejection{status: he.status, reason: "body too large"})
		} else {
			writeError(w, he.status, he.msg)
		}
		return
	}
	switch hook.Auth {
	case AuthGitHub:
		if rj := checkGitHub(hook.Secret, hook.acceptsSHA1(), r.Header, body); rj != nil {
			rejected(rj)
			return
		}
		if dup := s.githubDuplicate(r.Header, body); dup != "" {
			s.log.Info("api hook: duplicate GitHub delivery ignored", "path", path, "delivery", r.Header.Get("X-GitHub-Delivery"), "seen", dup, "remote", remote(r))
			writeJSON(w, http.StatusOK, map[string]any{"success": true, "duplicate": true})
			return
		}
	case AuthToken:
		if rj := checkToken(hook.Secret, r.Header); rj != nil {
			rejected(rj)
			return
		}
	case AuthNone:
	case AuthSNS:
		s.handleSNS(w, r, hook, path, body, rejected)
		return
	default:
		rejected(reject("hook misconfigured"))
		return
	}
	s.fireHook(r, hook.Auth, path, body, postData(r, body))
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

// findHook returns the first hook whose path glob matches path, or nil.
func (s *Server) findHook(path string) *compiledHook {
	if path == "" || len(path) > maxHookPath || strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil
	}
	for i := range s.hooks {
		h := &s.hooks[i]
		if h.re == nil || h.re.Match(path) {
			return h
		}
	}
	return nil
}

// fireHook fires salt/netapi/hook/<path>.
func (s *Server) fireHook(r *http.Request, auth, path string, body []byte, post map[string]any) {
	headers := map[string]any{}
	for name, vals := range r.Header {
		if droppedHeader(name, auth) {
			continue
		}
		headers[name] = strings.Join(vals, ", ")
	}
	if r.Host != "" {
		headers["Host"] = r.Host
	}
	s.log.Info("api hook", "path", path, "remote", remote(r))
	s.b.Fire(TagHookPrefix+path, map[string]any{
		"headers": headers,
		"body":    string(body),
		"post":    post,
		"_source": remote(r),
	})
}

// postData parses the body as salt-api does: form fields for
// x-www-form-urlencoded, otherwise a JSON object if it is one; else {}.
func postData(r *http.Request, body []byte) map[string]any {
	if mediaType(r) == "application/x-www-form-urlencoded" {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			m := make(map[string]any, len(vals))
			for k, vs := range vals {
				if len(vs) == 1 {
					m[k] = vs[0]
				} else {
					l := make([]any, len(vs))
					for i, v := range vs {
						l[i] = v
					}
					m[k] = l
				}
			}
			return m
		}
		return map[string]any{}
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m == nil {
		return map[string]any{}
	}
	return m
}

// checkGitHub verifies X-Hub-Signature-256: "sha256=" and the hex
// HMAC-SHA256 of the raw body keyed with the secret. With allowSHA1 (the
// hook's algorithms: [sha1, sha256]), a request without it may instead
// carry X-Hub-Signature: "sha1=" and the hex HMAC-SHA1, as older GitHub
// servers and GitHub-compatible senders sign.
func checkGitHub(secret string, allowSHA1 bool, h http.Header, body []byte) *hookRejection {
	header, prefix, newHash, size := "X-Hub-Signature-256", "sha256=", sha256.New, sha256.Size
	if len(h.Values(header)) == 0 && allowSHA1 && len(h.Values("X-Hub-Signature")) > 0 {
		header, prefix, newHash, size = "X-Hub-Signature", "sha1=", sha1.New, sha1.Size
	}
	vals := h.Values(header)
	if len(vals) == 0 {
		if len(h.Values("X-Hub-Signature")) > 0 {
			return reject("missing X-Hub-Signature-256 header (this hook does not accept the sha1 X-Hub-Signature)")
		}
		return reject("missing X-Hub-Signature-256 header")
	}
	if len(vals) > 1 {
		return reject("more than one " + header + " header")
	}
	hexSig, ok := strings.CutPrefix(vals[0], prefix)
	if !ok {
		return reject(header + " is not " + prefix + "<hex>")
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != size {
		return reject(header + " is not " + prefix + "<hex>")
	}
	mac := hmac.New(newHash, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sig) {
		return reject("signature mismatch")
	}
	return nil
}

// checkToken compares X-Brine-Token with the secret in constant time
// (hashing both first, so that the length does not leak either).
func checkToken(secret string, h http.Header) *hookRejection {
	vals := h.Values("X-Brine-Token")
	if len(vals) == 0 {
		return reject("missing X-Brine-Token header")
	}
	if len(vals) > 1 {
		return reject("more than one X-Brine-Token header")
	}
	got := sha256.Sum256([]byte(vals[0]))
	want := sha256.Sum256([]byte(secret))
	if !hmac.Equal(got[:], want[:]) {
		return reject("token mismatch")
	}
	return nil
}

// githubDuplicate records a verified GitHub delivery and says whether it
// was acted on before ("" when not): by its X-GitHub-Delivery id (GitHub's
// own redeliveries keep it), or by its body, since the id is not signed
// and a replay could carry a fresh one. Two deliveries with the same
// body are one delivery: every GitHub payload names what happened (commit,
// action, timestamps), so a repeated body is a repeated event.
func (s *Server) githubDuplicate(h http.Header, body []byte) string {
	now := s.now()
	if id := h.Get("X-GitHub-Delivery"); id != "" && !s.github.add("id\x00"+id, now) {
		return "delivery id"
	}
	sum := sha256.Sum256(body)
	if !s.github.add("body\x00"+hex.EncodeToString(sum[:]), now) {
		return "body"
	}
	return ""
}
