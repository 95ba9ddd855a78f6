// Package api is the master's HTTP API in the shape of salt-api's
// rest_cherrypy interface: /login, the lowstate endpoint POST /, /minions,
// /jobs, /keys, /events (server-sent events) and webhooks under /hook/.
//
// It knows nothing of the master's internals: the master implements
// Backend.
package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/target"
)

// Backend is what the API needs of the master.
type Backend interface {
	// Local runs fun on the minions tgt matches and waits up to timeout for
	// returns: id -> return value; missing minions listed.
	Local(ctx context.Context, user string, tgt, tgtType, fun string, arg []any, kwarg map[string]any, timeout time.Duration) (returns map[string]any, missing []string, err error)
	LocalAsync(ctx context.Context, user, tgt, tgtType, fun string, arg []any, kwarg map[string]any) (jid string, minions []string, err error)
	Runner(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error)
	// Wheel runs key.list_all, key.accept, key.reject, key.delete,
	// key.finger.
	Wheel(ctx context.Context, user, fun string, arg []any, kwarg map[string]any) (any, error)
	// Minions returns id -> grains of minion id, or of all when id is "".
	Minions(ctx context.Context, id string) (map[string]any, error)
	// Jobs lists the jobs of the job cache, without their returns.
	Jobs(ctx context.Context) ([]Job, error)
	// Job looks one job up, with its returns; an unknown jid is an error
	// wrapping ErrNotFound.
	Job(ctx context.Context, jid string) (*Job, error)
	// Match returns the accepted minions the target expression names
	// (tgtType as in a lowstate chunk: glob, compound, ...). The API uses
	// it to evaluate ACL targets in compound notation.
	Match(ctx context.Context, tgt, tgtType string) ([]string, error)
	// Fire publishes an event on the bus.
	Fire(tag string, data map[string]any)
	// Events streams bus events until ctx ends.
	Events(ctx context.Context) (<-chan Event, error)
	// CheckOperatorToken reports whether tok is a valid token derived from
	// the operator credential (ctl.creds).
	CheckOperatorToken(tok string) bool
}

// Event is one event of the bus.
type Event struct {
	Tag  string
	Data map[string]any
}

// Job is a job record as the API shows it.
type Job struct {
	JID      string
	Function string
	// Arguments are the job's positional arguments with the secret ones
	// replaced, as the function's module declares them: the backend never
	// hands the API a secret argument.
	Arguments  any
	Target     string
	TargetType string
	User       string
	StartTime  time.Time
	// Minions are the minions the job was sent to.
	Minions []string
	// Returns maps minion id to its return value (Job only).
	Returns map[string]any
}

// Errors a Backend may wrap to choose the HTTP status of a failure.
var (
	ErrNotFound = errors.New("not found")       // 404
	ErrInvalid  = errors.New("invalid request") // 400
	ErrDenied   = errors.New("denied")          // 403
)

// Event tags the API fires.
const (
	TagHookPrefix      = "salt/netapi/hook/"
	TagHookRejected    = "brine/api/hook/rejected"
	TagAuthFailed      = "brine/api/auth/failed"
	TagSNSConfirmed    = "brine/api/hook/sns/confirmed"
	TagSNSSubscribe    = "brine/api/hook/sns/subscription"
	TagSNSUnsubscribed = "brine/api/hook/sns/unsubscribed"
)

// DefaultLocalTimeout is how long a local chunk without a timeout waits.
const DefaultLocalTimeout = 10 * time.Second

// maxLocalTimeout bounds a chunk's timeout.
const maxLocalTimeout = 24 * time.Hour

// bodyReadTimeout bounds the time a client may take to send its body.
const bodyReadTimeout = 30 * time.Second

// Server is the HTTP API.
type Server struct {
	cfg     Config
	b       Backend
	log     *slog.Logger
	err     error // configuration error: Serve returns it, affected parts fail closed
	users   map[string]*apiUser
	hooks   []compiledHook
	snsHost *regexp.Regexp
	client  *http.Client
	mux     *http.ServeMux

	sessions sessions
	logins   loginThrottle
	hashSem  chan struct{}
	certs    certCache
	fetchSem chan struct{} // SNS fetches in flight
	seen     replayCache   // SNS messages
	github   replayCache   // GitHub deliveries
	limit    eventLimiter

	now func() time.Time

	closeOnce sync.Once
	closing   chan struct{}
}

type apiUser struct {
	hash *passwordHash
	acl  acl
	perm []any
}

type compiledHook struct {
	Hook
	re *glob.Glob
}

// New builds a Server. A configuration error (see Config.Validate) is
// logged and returned by Serve; meanwhile whatever it affects refuses
// requests.
func New(cfg *Config, b Backend, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		b:        b,
		log:      log,
		users:    map[string]*apiUser{},
		hashSem:  make(chan struct{}, 4),
		fetchSem: make(chan struct{}, snsMaxFetches),
		now:      time.Now,
		closing:  make(chan struct{}),
	}
	if cfg != nil {
		s.cfg = *cfg
	}
	c := &s.cfg
	if c.TokenTTL <= 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.SNSCertHost == "" {
		c.SNSCertHost = DefaultSNSCertHost
	}
	s.err = c.Validate()
	if s.err != nil {
		log.Error("api configuration", "err", s.err)
	}
	if re, err := regexp.Compile(c.SNSCertHost); err == nil {
		s.snsHost = re
	}
	client := http.Client{Timeout: 15 * time.Second}
	if c.HTTPClient != nil {
		client = *c.HTTPClient
		if client.Timeout == 0 {
			client.Timeout = 15 * time.Second
		}
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return errors.New("redirects are not followed") }
	s.client = &client
	for name, u := range c.Users {
		if validateUser([]any{"api", "users"}, name, u) != nil {
			continue // fail closed: the user cannot log in
		}
		h, _ := parsePasswordHash(u.Password)
		au := &apiUser{hash: h, perm: u.perms()}
		for _, r := range u.ACL {
			cr, _ := compileRule(r)
			au.acl = append(au.acl, cr)
		}
		s.users[name] = au
	}
	for _, h := range c.Hooks {
		h.Path = strings.Trim(h.Path, "/")
		ch := compiledHook{Hook: h}
		if h.validate([]any{"hook"}) == nil {
			ch.re, _ = compileGlob(h.Path)
		}
		s.hooks = append(s.hooks, ch) // re nil: matches, then refuses
	}
	s.limit = eventLimiter{rate: 20, burst: 100}
	s.github = replayCache{ttl: githubReplayTTL, size: githubReplaySize}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc("POST /{$}", s.authed(s.handleLowstate))
	mux.HandleFunc("POST /login", s.handleLogin)
	mux.HandleFunc("POST /logout", s.handleLogout)
	mux.HandleFunc("GET /minions", s.authed(s.handleMinions))
	mux.HandleFunc("GET /minions/{id}", s.authed(s.handleMinions))
	mux.HandleFunc("POST /minions", s.authed(s.handleMinionsPost))
	mux.HandleFunc("GET /jobs", s.authed(s.handleJobs))
	mux.HandleFunc("GET /jobs/{jid}", s.authed(s.handleJobs))
	mux.HandleFunc("GET /keys", s.authed(s.handleKeys))
	mux.HandleFunc("GET /keys/{id}", s.authed(s.handleKeys))
	mux.HandleFunc("GET /events", s.handleEvents)
	mux.HandleFunc("POST /hook/{path...}", s.handleHook)
	mux.HandleFunc("GET /bootstrap/minion", s.handleBootstrapMinion)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux = mux
	return s
}

// Handler returns the API's HTTP handler.
func (s *Server) Handler() http.Handler {
	obs, _ := s.b.(RequestObserver)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if obs != nil {
			rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
			defer func() { obs.ObserveRequest(rec.routeName(r), rec.code) }()
			w = rec
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		// Refused before the mux, which would answer a raw "/hook/a/../b"
		// with a redirect to the cleaned path instead.
		if p, ok := strings.CutPrefix(r.URL.Path, "/hook/"); ok {
			if msg := hookPathError(p); msg != "" {
				writeError(w, http.StatusBadRequest, msg)
				return
			}
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Serve serves the API on ln, with TLS when TLSCert and TLSKey are set,
// until ctx ends; it then stops accepting connections, ends event streams
// and waits a while for running requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.err != nil {
		ln.Close()
		return s.err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		s.closeOnce.Do(func() { close(s.closing) })
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			s.log.Warn("api shutdown: closing remaining connections", "err", err)
			srv.Close()
		}
	}()
	var err error
	if s.cfg.TLSCert != "" {
		err = srv.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
	} else {
		err = srv.Serve(ln)
	}
	close(done)
	<-stopped
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// --- responses -----------------------------------------------------------

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(map[string]any{"status": status, "return": "cannot encode result: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// writeError answers as salt-api does: {"status": N, "return": message}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "return": msg})
}

// httpError is an error with its HTTP status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// backendError maps a Backend error to a status.
func backendError(err error) *httpError {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he
	case errors.Is(err, ErrNotFound):
		return &httpError{http.StatusNotFound, err.Error()}
	case errors.Is(err, ErrInvalid):
		return &httpError{http.StatusBadRequest, err.Error()}
	case errors.Is(err, ErrDenied):
		return &httpError{http.StatusForbidden, err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &httpError{http.StatusGatewayTimeout, err.Error()}
	case errors.Is(err, context.Canceled):
		return &httpError{499, err.Error()}
	}
	return &httpError{http.StatusInternalServerError, err.Error()}
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	he := backendError(err)
	if he.status >= 500 {
		s.log.Warn("api request failed", "status", he.status, "err", err)
	}
	writeError(w, he.status, he.msg)
}

// --- requests -----------------------------------------------------------

// readBody reads the whole body, at most MaxBody bytes, within
// bodyReadTimeout.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *httpError) {
	if r.ContentLength > s.cfg.MaxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", s.cfg.MaxBody)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", s.cfg.MaxBody)
		}
		return nil, errorf(http.StatusBadRequest, "cannot read request body: %v", err)
	}
	return body, nil
}

func mediaType(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// decodeRequest reads a JSON or x-www-form-urlencoded body. Form fields
// become strings, or lists when repeated; "arg" is always a list.
func (s *Server) decodeRequest(w http.ResponseWriter, r *http.Request) (any, *httpError) {
	body, he := s.readBody(w, r)
	if he != nil {
		return nil, he
	}
	switch mt := mediaType(r); mt {
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "bad form body: %v", err)
		}
		return formMap(vals), nil
	case "application/json", "":
		if len(strings.TrimSpace(string(body))) == 0 {
			return map[string]any{}, nil
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, errorf(http.StatusBadRequest, "bad JSON body: %v", err)
		}
		return v, nil
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q: use application/json or application/x-www-form-urlencoded", mt)
	}
}

func formMap(vals url.Values) map[string]any {
	m := make(map[string]any, len(vals))
	for k, vs := range vals {
		if len(vs) == 1 && k != "arg" {
			m[k] = vs[0]
			continue
		}
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		m[k] = l
	}
	return m
}

func remote(r *http.Request) string { return r.RemoteAddr }

// --- authentication -------------------------------------------------------

// authed wraps h so that it runs only with a valid X-Auth-Token.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r.Header.Get("X-Auth-Token"))
		if sess == nil {
			writeError(w, http.StatusUnauthorized, "Please log in: POST /login, then send the token in the X-Auth-Token header")
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) session(tok string) *session {
	sess := s.sessions.get(tok, s.now())
	if sess != nil && sess.operator && !s.b.CheckOperatorToken(sess.opToken) {
		s.sessions.remove(tok)
		return nil
	}
	return sess
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"return":  "Welcome",
		"clients": []string{"local", "local_async", "runner", "wheel"},
	})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	v, he := s.decodeRequest(w, r)
	if he != nil {
		writeError(w, he.status, he.msg)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		writeError(w, http.StatusBadRequest, "login body must be an object {username, password, eauth} or {token}")
		return
	}
	username, _ := m["username"].(string)
	password, _ := m["password"].(string)
	eauth, _ := m["eauth"].(string)
	opToken, _ := m["token"].(string)

	now := s.now()
	addr := clientKey(r.RemoteAddr)
	throttled := username // operator-token logins count against the address only
	if opToken != "" && username == "" {
		throttled = ""
	}
	if wait := s.logins.attempt(throttled, addr, now); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		s.log.Warn("api login throttled", "user", username, "remote", remote(r), "retry_after_s", secs)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("Too many failed logins; try again in %d seconds", secs))
		return
	}
	sess := &session{start: now, expire: now.Add(s.cfg.TokenTTL)}
	var perms []any
	var reason string
	switch {
	case opToken != "" && username == "":
		if s.b.CheckOperatorToken(opToken) {
			sess.user, sess.operator, sess.opToken = OperatorUser, true, opToken
			perms = []any{"*", "@runner", "@wheel", "@jobs"}
		} else {
			reason = "bad operator token"
		}
	case username == "" || password == "":
		reason = "missing username or password"
	default:
		if err := acquire(r.Context(), s.hashSem); err != nil {
			return
		}
		u := s.users[username]
		if u == nil {
			dummyHash.check(password)
			reason = "bad username or password"
		} else if !u.hash.check(password) {
			reason = "bad username or password"
		} else {
			sess.user, sess.acl = username, u.acl
			perms = u.perm
		}
		<-s.hashSem
	}
	if reason != "" {
		s.log.Info("api login failed", "user", username, "remote", remote(r), "reason", reason)
		s.fireLimited(TagAuthFailed, map[string]any{
			"user": username, "eauth": eauth, "remote": remote(r), "reason": reason,
		})
		writeError(w, http.StatusUnauthorized, "Could not authenticate using provided credentials")
		return
	}
	s.logins.succeeded(throttled, addr)
	tok, err := s.sessions.add(sess, now)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.log.Info("api login", "user", sess.user, "remote", remote(r))
	w.Header().Set("X-Auth-Token", tok)
	writeJSON(w, http.StatusOK, map[string]any{"return": []any{map[string]any{
		"token":  tok,
		"start":  unixFloat(sess.start),
		"expire": unixFloat(sess.expire),
		"user":   sess.user,
		"eauth":  "brine",
		"perms":  perms,
	}}})
}

func unixFloat(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("X-Auth-Token")
	if s.session(tok) == nil {
		writeError(w, http.StatusUnauthorized, "Please log in")
		return
	}
	s.sessions.remove(tok)
	writeJSON(w, http.StatusOK, map[string]any{"return": "Your token has been cleared"})
}

// --- lowstate -----------------------------------------------------------

type chunk struct {
	client  string
	tgt     string
	tgtType string
	fun     string
	arg     []any
	kwarg   map[string]any
	timeout time.Duration
}

// chunkKeys are the keys a chunk may carry; runner and wheel chunks pass
// any other key as a keyword argument, as Salt does.
var chunkKeys = map[string]bool{
	"client": true, "tgt": true, "tgt_type": true, "expr_form": true, "fun": true,
	"arg": true, "kwarg": true, "timeout": true,
}

func parseChunk(i int, v any) (*chunk, *httpError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(http.StatusBadRequest, "chunk %d: must be an object {client, tgt, fun, arg, kwarg}", i)
	}
	c := &chunk{}
	field := func(name string) (string, *httpError) {
		switch x := m[name].(type) {
		case nil:
			return "", nil
		case string:
			return x, nil
		}
		return "", errorf(http.StatusBadRequest, "chunk %d: field %s must be a string", i, name)
	}
	var he *httpError
	if c.client, he = field("client"); he != nil {
		return nil, he
	}
	if c.fun, he = field("fun"); he != nil {
		return nil, he
	}
	switch c.client {
	case "local", "local_async", "runner", "wheel":
	case "":
		return nil, errorf(http.StatusBadRequest, "chunk %d: missing field client (local, local_async, runner or wheel)", i)
	default:
		return nil, errorf(http.StatusBadRequest, "chunk %d: unknown client %q (local, local_async, runner or wheel)", i, c.client)
	}
	if c.fun == "" {
		return nil, errorf(http.StatusBadRequest, "chunk %d: missing field fun", i)
	}
	if !funRe.MatchString(c.fun) {
		return nil, errorf(http.StatusBadRequest, "chunk %d: field fun: %q is not a function name (module.function)", i, c.fun)
	}
	switch a := m["arg"].(type) {
	case nil:
	case []any:
		c.arg = a
	default:
		c.arg = []any{a}
	}
	switch k := m["kwarg"].(type) {
	case nil:
	case map[string]any:
		c.kwarg = k
	default:
		return nil, errorf(http.StatusBadRequest, "chunk %d: field kwarg must be an object", i)
	}
	local := c.client == "local" || c.client == "local_async"
	for _, k := range sortedKeys(m) {
		if chunkKeys[k] {
			continue
		}
		if local {
			return nil, errorf(http.StatusBadRequest, "chunk %d: unknown field %s for client %s (use kwarg for keyword arguments)", i, k, c.client)
		}
		if c.kwarg == nil {
			c.kwarg = map[string]any{}
		}
		if _, dup := c.kwarg[k]; !dup {
			c.kwarg[k] = m[k]
		}
	}
	if !local {
		for _, k := range []string{"tgt", "tgt_type", "expr_form", "timeout"} {
			if _, ok := m[k]; ok {
				return nil, errorf(http.StatusBadRequest, "chunk %d: field %s applies to local clients only", i, k)
			}
		}
		return c, nil
	}
	if c.tgt, he = field("tgt"); he != nil {
		return nil, he
	}
	if c.tgt == "" {
		return nil, errorf(http.StatusBadRequest, "chunk %d: missing field tgt", i)
	}
	if c.tgtType, he = field("tgt_type"); he != nil {
		return nil, he
	}
	if ef, he := field("expr_form"); he != nil {
		return nil, he
	} else if ef != "" {
		if c.tgtType != "" && c.tgtType != ef {
			return nil, errorf(http.StatusBadRequest, "chunk %d: tgt_type and expr_form disagree", i)
		}
		c.tgtType = ef
	}
	if c.tgtType == "" {
		c.tgtType = "glob"
	}
	if !knownTgtType(c.tgtType) {
		return nil, errorf(http.StatusBadRequest, "chunk %d: field tgt_type: unknown target type %q", i, c.tgtType)
	}
	c.timeout = DefaultLocalTimeout
	if t, ok := m["timeout"]; ok && t != nil {
		var secs float64
		switch x := t.(type) {
		case float64:
			secs = x
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "chunk %d: field timeout must be a number of seconds", i)
			}
			secs = f
		default:
			return nil, errorf(http.StatusBadRequest, "chunk %d: field timeout must be a number of seconds", i)
		}
		if !(secs > 0) || secs > maxLocalTimeout.Seconds() {
			return nil, errorf(http.StatusBadRequest, "chunk %d: field timeout must be between 0 and %d seconds", i, int(maxLocalTimeout.Seconds()))
		}
		if c.client == "local_async" {
			return nil, errorf(http.StatusBadRequest, "chunk %d: field timeout does not apply to local_async", i)
		}
		c.timeout = time.Duration(secs * float64(time.Second))
	}
	return c, nil
}

var funRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

// knownTgtType reports whether t is a target kind: one the target package
// registers, or one of Salt's that the master refuses with its own clear
// error (nodegroup, range).
func knownTgtType(t string) bool {
	return target.Known(t) || t == "nodegroup" || t == "range"
}

// permit returns why sess may not run c, or nil.
func permit(sess *session, c *chunk) *httpError {
	if sess.operator {
		return nil
	}
	switch c.client {
	case "runner":
		if !sess.acl.allowsFun(kindRunner, c.fun) {
			return errorf(http.StatusForbidden, "user %s may not run runner %s (needs @runner or @runner:%s)", sess.user, c.fun, c.fun)
		}
	case "wheel":
		if !sess.acl.allowsFun(kindWheel, c.fun) {
			return errorf(http.StatusForbidden, "user %s may not run wheel %s (needs @wheel or @wheel:%s)", sess.user, c.fun, c.fun)
		}
	default:
		if !sess.acl.allowsLocal(c.tgt, c.tgtType, c.fun) {
			return errorf(http.StatusForbidden, "user %s may not run %s on %s target %q", sess.user, c.fun, c.tgtType, c.tgt)
		}
	}
	return nil
}

func (s *Server) handleLowstate(w http.ResponseWriter, r *http.Request, sess *session) {
	v, he := s.decodeRequest(w, r)
	if he != nil {
		writeError(w, he.status, he.msg)
		return
	}
	var raw []any
	switch x := v.(type) {
	case []any:
		raw = x
	case map[string]any:
		raw = []any{x}
	default:
		writeError(w, http.StatusBadRequest, "body must be a lowstate: a list of {client, tgt, fun, arg, kwarg} objects")
		return
	}
	if len(raw) == 0 {
		writeError(w, http.StatusBadRequest, "empty lowstate: give at least one chunk")
		return
	}
	chunks := make([]*chunk, len(raw))
	for i, c := range raw {
		if chunks[i], he = parseChunk(i, c); he != nil {
			writeError(w, he.status, he.msg)
			return
		}
	}
	// Every chunk is checked before any runs.
	for i, c := range chunks {
		if he := permit(sess, c); he != nil {
			s.log.Warn("api request denied", "user", sess.user, "client", c.client, "fun", c.fun, "tgt", c.tgt, "remote", remote(r))
			writeError(w, he.status, fmt.Sprintf("chunk %d: %s", i, he.msg))
			return
		}
	}
	results := make([]any, 0, len(chunks))
	for i, c := range chunks {
		res, err := s.run(r.Context(), sess, c)
		if err != nil {
			he := backendError(err)
			if he.status >= 500 {
				s.log.Warn("api chunk failed", "chunk", i, "fun", c.fun, "err", err)
			}
			writeError(w, he.status, fmt.Sprintf("chunk %d: %s", i, he.msg))
			return
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"return": results})
}

func (s *Server) run(ctx context.Context, sess *session, c *chunk) (any, error) {
	s.log.Info("api run", "user", sess.user, "client", c.client, "fun", c.fun, "tgt", c.tgt, "tgt_type", c.tgtType)
	switch c.client {
	case "local":
		ret, missing, err := s.b.Local(ctx, sess.user, c.tgt, c.tgtType, c.fun, c.arg, c.kwarg, c.timeout)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			s.log.Info("api local: minions did not return", "fun", c.fun, "missing", missing)
		}
		if ret == nil {
			ret = map[string]any{}
		}
		return ret, nil
	case "local_async":
		jid, minions, err := s.b.LocalAsync(ctx, sess.user, c.tgt, c.tgtType, c.fun, c.arg, c.kwarg)
		if err != nil {
			return nil, err
		}
		if minions == nil {
			minions = []string{}
		}
		return map[string]any{"jid": jid, "minions": minions}, nil
	case "runner":
		if (c.fun == "jobs.list_jobs" || c.fun == "jobs.lookup_jid") && !s.view(sess).allJobs() {
			return s.jobsRunner(ctx, sess, c)
		}
		return s.b.Runner(ctx, sess.user, c.fun, c.arg, c.kwarg)
	case "wheel":
		ret, err := s.b.Wheel(ctx, sess.user, c.fun, c.arg, c.kwarg)
		if err != nil {
			return nil, err
		}
		return wheelResult(sess.user, c.fun, ret), nil
	}
	return nil, fmt.Errorf("unknown client %q", c.client)
}

// wheelResult wraps a wheel return as salt-api does.
func wheelResult(user, fun string, ret any) map[string]any {
	return map[string]any{
		"tag": "wheel",
		"data": map[string]any{
			"fun": "wheel." + fun, "return": ret, "success": true, "user": user,
		},
	}
}

// --- /minions, /jobs, /keys -----------------------------------------------

func (s *Server) handleMinions(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	v := s.view(sess)
	if id != "" && !v.mayRun(r.Context(), id, "grains.items") {
		writeError(w, http.StatusForbidden, fmt.Sprintf("user %s may not read the grains of %s (needs grains.items on it)", sess.user, id))
		return
	}
	if id == "" && !sess.operator && !sess.acl.allowsFun(kindLocal, "grains.items") {
		writeError(w, http.StatusForbidden, fmt.Sprintf("user %s may not read grains (needs grains.items)", sess.user))
		return
	}
	if id != "" && strings.ContainsAny(id, globMeta) {
		writeError(w, http.StatusBadRequest, "minion id must not contain wildcards")
		return
	}
	m, err := s.b.Minions(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	if m == nil {
		m = map[string]any{}
	}
	for mid := range m {
		if !v.mayRun(r.Context(), mid, "grains.items") {
			delete(m, mid)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"return": []any{m}})
}

// handleMinionsPost starts jobs asynchronously, as salt-api's POST /minions.
func (s *Server) handleMinionsPost(w http.ResponseWriter, r *http.Request, sess *session) {
	v, he := s.decodeRequest(w, r)
	if he != nil {
		writeError(w, he.status, he.msg)
		return
	}
	var raw []any
	switch x := v.(type) {
	case []any:
		raw = x
	case map[string]any:
		raw = []any{x}
	}
	if len(raw) == 0 {
		writeError(w, http.StatusBadRequest, "body must be a lowstate: a list of {tgt, fun, arg, kwarg} objects")
		return
	}
	chunks := make([]*chunk, len(raw))
	for i, x := range raw {
		m, ok := x.(map[string]any)
		if ok {
			if c, _ := m["client"].(string); c != "" && c != "local_async" {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("chunk %d: POST /minions runs local_async only", i))
				return
			}
			m["client"] = "local_async"
		}
		if chunks[i], he = parseChunk(i, x); he != nil {
			writeError(w, he.status, he.msg)
			return
		}
		if he := permit(sess, chunks[i]); he != nil {
			writeError(w, he.status, fmt.Sprintf("chunk %d: %s", i, he.msg))
			return
		}
	}
	results := []any{}
	links := []any{}
	for i, c := range chunks {
		res, err := s.run(r.Context(), sess, c)
		if err != nil {
			he := backendError(err)
			writeError(w, he.status, fmt.Sprintf("chunk %d: %s", i, he.msg))
			return
		}
		results = append(results, res)
		links = append(links, map[string]any{"href": "/jobs/" + res.(map[string]any)["jid"].(string)})
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"return": results, "_links": map[string]any{"jobs": links}})
}

// handleJobs serves GET /jobs (the job cache, as runner jobs.list_jobs
// shows it) and GET /jobs/<jid> (one job and its returns, as salt-api's
// "info" and "return"), each cut down to what the user may see (see view).
func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request, sess *session) {
	jid := r.PathValue("jid")
	fun := "jobs.list_jobs"
	if jid != "" {
		fun = "jobs.lookup_jid"
	}
	if !sess.operator && !sess.acl.allowsFun(kindRunner, fun) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("user %s may not run runner %s (needs @jobs, @runner or @runner:%s)", sess.user, fun, fun))
		return
	}
	v := s.view(sess)
	if jid == "" {
		jobs, err := s.b.Jobs(r.Context())
		if err != nil {
			s.fail(w, err)
			return
		}
		out := map[string]any{}
		for _, j := range jobs {
			if j, ok := v.job(r.Context(), j); ok {
				out[j.JID] = jobInfo(j, false)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"return": []any{out}})
		return
	}
	j, err := s.b.Job(r.Context(), jid)
	if err != nil {
		s.fail(w, err)
		return
	}
	seen, ok := v.job(r.Context(), *j)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("job %s is not in the job cache", jid))
		return
	}
	rets := map[string]any{}
	for id, ret := range seen.Returns {
		rets[id] = ret
	}
	writeJSON(w, http.StatusOK, map[string]any{"info": []any{jobInfo(seen, true)}, "return": []any{rets}})
}

// jobsRunner answers runner jobs.list_jobs and jobs.lookup_jid for a user
// as GET /jobs does: only what the user may see of each job (see view).
func (s *Server) jobsRunner(ctx context.Context, sess *session, c *chunk) (any, error) {
	v := s.view(sess)
	if c.fun == "jobs.list_jobs" {
		jobs, err := s.b.Jobs(ctx)
		if err != nil {
			return nil, err
		}
		out := map[string]any{}
		for _, j := range jobs {
			if j, ok := v.job(ctx, j); ok {
				out[j.JID] = jobInfo(j, false)
			}
		}
		return out, nil
	}
	jid, _ := c.kwarg["jid"].(string)
	if jid == "" && len(c.arg) > 0 {
		jid, _ = c.arg[0].(string)
	}
	if jid == "" {
		return nil, fmt.Errorf("%w: jobs.lookup_jid needs a jid", ErrInvalid)
	}
	j, err := s.b.Job(ctx, jid)
	if err != nil {
		return nil, err
	}
	seen, ok := v.job(ctx, *j)
	if !ok {
		return nil, fmt.Errorf("%w: job %s is not in the job cache", ErrNotFound, jid)
	}
	return seen.Returns, nil
}

// jobInfo is a job in the shape of Salt's jobs runner.
func jobInfo(j Job, full bool) map[string]any {
	args := j.Arguments
	if args == nil {
		args = []any{}
	}
	m := map[string]any{
		"Function": j.Function, "Arguments": args, "Target": j.Target, "Target-type": j.TargetType,
		"User": j.User, "StartTime": j.StartTime.UTC().Format(time.RFC3339),
	}
	if full {
		minions := j.Minions
		if minions == nil {
			minions = []string{}
		}
		result := map[string]any{}
		for _, id := range sortedIDs(j.Returns) {
			result[id] = map[string]any{"return": j.Returns[id]}
		}
		m["jid"], m["Minions"], m["Result"] = j.JID, minions, result
	}
	return m
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	fun, kwarg := "key.list_all", map[string]any(nil)
	if id != "" {
		fun, kwarg = "key.finger", map[string]any{"match": id}
	}
	if !sess.operator && !sess.acl.allowsFun(kindWheel, fun) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("user %s may not run wheel %s (needs @wheel or @wheel:%s)", sess.user, fun, fun))
		return
	}
	ret, err := s.b.Wheel(r.Context(), sess.user, fun, nil, kwarg)
	if err != nil {
		s.fail(w, err)
		return
	}
	// salt-api answers /keys with the wheel return itself, not a list.
	writeJSON(w, http.StatusOK, map[string]any{"return": ret})
}

// --- /events ---------------------------------------------------------------

// keepAlive is how often an idle event stream gets a comment line, so
// that proxies keep it open.
const keepAlive = 15 * time.Second

// handleEvents streams the bus as server-sent events, as salt-api's
// /events: "tag: TAG\ndata: {"tag": TAG, "data": DATA}\n\n", each event
// only to users who may see it (see view). EventSource
// cannot set headers, so the token may also come as ?token= (or
// ?salt_token=).
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("X-Auth-Token")
	if tok == "" {
		tok = r.URL.Query().Get("token")
	}
	if tok == "" {
		tok = r.URL.Query().Get("salt_token")
	}
	sess := s.session(tok)
	if sess == nil {
		writeError(w, http.StatusUnauthorized, "Please log in: POST /login, then send the token in the X-Auth-Token header")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	events, err := s.b.Events(ctx)
	if err != nil {
		s.fail(w, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 400\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	s.log.Debug("api event stream", "user", sess.user, "remote", remote(r))
	v := s.view(sess) // what of the bus this user sees
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var chunk string
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case <-tick.C:
			if s.sessions.get(tok, s.now()) == nil {
				return // the token expired or was cleared
			}
			chunk = ": keep-alive\n\n"
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev, ok = v.event(ctx, ev); !ok {
				continue
			}
			data, err := json.Marshal(map[string]any{"tag": ev.Tag, "data": ev.Data})
			if err != nil {
				continue
			}
			chunk = "tag: " + sseLine(ev.Tag) + "\ndata: " + string(data) + "\n\n"
		}
		if _, err := io.WriteString(w, chunk); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// sseLine keeps a value on one SSE line.
func sseLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// --- event rate limit ------------------------------------------------------

// eventLimiter is a token bucket for the events unauthenticated clients
// can cause (failed logins, rejected hooks), so that they cannot flood the
// bus; what it drops is still logged.
type eventLimiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	init   bool
}

func (l *eventLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.init {
		l.tokens, l.last, l.init = l.burst, now, true
	}
	if d := now.Sub(l.last).Seconds(); d > 0 {
		l.tokens = min(l.burst, l.tokens+d*l.rate)
		l.last = now
	}
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

func (s *Server) fireLimited(tag string, data map[string]any) {
	if !s.limit.allow(s.now()) {
		s.log.Debug("api event dropped by rate limit", "tag", tag)
		return
	}
	s.b.Fire(tag, data)
}

// RequestObserver is a Backend that counts API requests (the master's
// metrics): route is the matched route, or "hook:" and the matching hook's
// configured path for hooks (never the raw path, which a caller chooses).
type RequestObserver interface {
	ObserveRequest(route string, code int)
}

// Readier is a Backend that can say whether it is ready to serve.
type Readier interface {
	Ready() error
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
	hook  string
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Flush keeps event streams (SSE) working through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) routeName(r *http.Request) string {
	switch {
	case s.hook != "":
		return "hook:" + s.hook
	case r.Pattern != "":
		return r.Pattern
	}
	return "unmatched"
}

// noteHook records, for the request metrics, which configured hook a
// request reached.
func noteHook(w http.ResponseWriter, path string) {
	if rec, ok := w.(*statusRecorder); ok {
		rec.hook = path
	}
}

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	if rd, ok := s.b.(Readier); ok {
		if err := rd.Ready(); err != nil {
			http.Error(w, err.Error()+"\n", http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}
