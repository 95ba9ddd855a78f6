package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultTokenTTL    = 12 * time.Hour
	DefaultMaxBody     = 1 << 20
	DefaultSNSCertHost = `^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`
)

// OperatorUser is the user name of sessions opened with the operator
// token; no configured user may take it.
const OperatorUser = "operator"

// Config is the API's configuration: the master config's `api:` map.
type Config struct {
	Listen  string
	TLSCert string
	TLSKey  string
	// Users maps a login name to its password hash and ACL.
	Users map[string]User
	// Hooks are tried in order; the first whose Path matches wins. A hook
	// path that matches none is refused.
	Hooks []Hook
	// TokenTTL is how long a login token lives (default 12h).
	TokenTTL time.Duration
	// MaxBody limits request bodies (default 1 MiB).
	MaxBody int64
	// SNSCertHost is the regular expression the host of an SNS
	// SigningCertURL or SubscribeURL must match (default DefaultSNSCertHost).
	SNSCertHost string
	// HTTPClient fetches SNS signing certificates and confirms
	// subscriptions. Redirects are never followed.
	HTTPClient *http.Client
	// BootstrapMinion is the minion binary GET /bootstrap/minion serves
	// to new cloud nodes ("" : not served). Set by the master, not a key.
	BootstrapMinion string
}

// User is an API login.
type User struct {
	// Password is a bcrypt ("$2a$...") or argon2id
	// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") hash.
	Password string
	ACL      []ACLRule
}

// ACLRule grants Functions on the minions Target names.
type ACLRule struct {
	// Target is a glob on minion ids ("web*", "*"), or an exact target
	// expression in compound notation ("G@roles:web").
	Target string
	// Functions are globs on execution functions ("test.*"), or "@runner",
	// "@wheel", "@jobs", "@events", "@runner:<glob>", "@wheel:<glob>".
	// Execution function globs also say which minions' job returns and
	// events the user sees (see view); "@events" shows every event.
	Functions []string
}

// Hook configures one webhook path under /hook/.
type Hook struct {
	// Path is a glob on the path after /hook/ ("deploy/*"); '*' also
	// matches '/'.
	Path string
	// Auth is github, sns, token or none.
	Auth string
	// Secret is the HMAC key (github) or the X-Brine-Token value (token).
	Secret string
	// Confirm makes an sns hook confirm subscriptions by itself.
	Confirm bool
	// TopicARNs, when set, are the only SNS topics an sns hook accepts.
	TopicARNs []string
}

// Hook authentication kinds.
const (
	AuthGitHub = "github"
	AuthSNS    = "sns"
	AuthToken  = "token"
	AuthNone   = "none"
)

var userNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$`)

// saltKeys are salt-api (rest_cherrypy) options with a hint for the user.
var saltKeys = map[string]string{
	"port":                 "use listen: HOST:PORT",
	"host":                 "use listen: HOST:PORT",
	"ssl_crt":              "use tls_cert",
	"ssl_key":              "use tls_key",
	"disable_ssl":          "leave tls_cert and tls_key out",
	"webhook_url":          "hooks are always served under /hook/",
	"webhook_disable_auth": "give each hook an auth (none accepts any request)",
	"external_auth":        "use users: {NAME: {password: HASH, acl: [...]}}",
}

// ParseConfig reads the master config's `api:` map. Unknown keys and bad
// values are errors naming the field.
func ParseConfig(raw map[string]any) (*Config, error) {
	c := &Config{}
	for _, k := range sortedKeys(raw) {
		v := raw[k]
		field := "api." + k
		var err error
		switch k {
		case "listen":
			c.Listen, err = str(field, v)
		case "tls_cert":
			c.TLSCert, err = str(field, v)
		case "tls_key":
			c.TLSKey, err = str(field, v)
		case "token_expire", "token_ttl":
			c.TokenTTL, err = duration(field, v)
		case "max_body":
			var n float64
			if n, err = number(field, v); err == nil {
				if n <= 0 || n != float64(int64(n)) {
					err = fmt.Errorf("%s: must be a positive number of bytes", field)
				}
				c.MaxBody = int64(n)
			}
		case "sns_cert_host":
			c.SNSCertHost, err = str(field, v)
		case "hooks":
			c.Hooks, err = parseHooks(field, v)
		case "users":
			c.Users, err = parseUsers(field, v)
		default:
			if hint, ok := saltKeys[k]; ok {
				return nil, fmt.Errorf("%s: unknown key (salt-api option; %s)", field, hint)
			}
			return nil, fmt.Errorf("%s: unknown key (known: listen, tls_cert, tls_key, hooks, users, token_expire, max_body, sns_cert_host)", field)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks a Config built by hand as ParseConfig checks one read
// from the master config.
func (c *Config) Validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("api.tls_cert and api.tls_key: give both or neither")
	}
	if c.TokenTTL < 0 {
		return errors.New("api.token_expire: must not be negative")
	}
	if c.MaxBody < 0 {
		return errors.New("api.max_body: must not be negative")
	}
	if c.SNSCertHost != "" {
		if _, err := regexp.Compile(c.SNSCertHost); err != nil {
			return fmt.Errorf("api.sns_cert_host: %v", err)
		}
	}
	for i, h := range c.Hooks {
		if err := h.validate(fmt.Sprintf("api.hooks[%d]", i)); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(c.Users) {
		if err := validateUser(name, c.Users[name]); err != nil {
			return err
		}
	}
	return nil
}

func (h Hook) validate(field string) error {
	if h.Path == "" {
		return fmt.Errorf("%s.path: missing", field)
	}
	if _, err := compileGlob(h.Path); err != nil {
		return fmt.Errorf("%s.path: %v", field, err)
	}
	switch h.Auth {
	case AuthGitHub, AuthToken:
		if h.Secret == "" {
			return fmt.Errorf("%s.secret: auth %s needs a secret", field, h.Auth)
		}
	case AuthSNS, AuthNone:
		if h.Secret != "" {
			return fmt.Errorf("%s.secret: auth %s uses no secret", field, h.Auth)
		}
	case "":
		return fmt.Errorf("%s.auth: missing (github, sns, token or none)", field)
	default:
		return fmt.Errorf("%s.auth: unknown auth %q (github, sns, token or none)", field, h.Auth)
	}
	if h.Auth != AuthSNS && (h.Confirm || len(h.TopicARNs) > 0) {
		return fmt.Errorf("%s: confirm and topic_arn apply to auth sns only", field)
	}
	return nil
}

func validateUser(name string, u User) error {
	field := "api.users." + name
	if !userNameRe.MatchString(name) {
		return fmt.Errorf("%s: invalid user name (letters, digits, '_', '.', '@', '-')", field)
	}
	if name == OperatorUser {
		return fmt.Errorf("%s: the name %q is reserved for operator-token sessions", field, name)
	}
	if _, err := parsePasswordHash(u.Password); err != nil {
		return fmt.Errorf("%s.password: %v", field, err)
	}
	for i, r := range u.ACL {
		if _, err := compileRule(r); err != nil {
			return fmt.Errorf("%s.acl[%d]: %v", field, i, err)
		}
	}
	return nil
}

func parseHooks(field string, v any) ([]Hook, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: must be a list of {path, auth, secret, confirm}", field)
	}
	hooks := make([]Hook, 0, len(list))
	for i, item := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a map {path, auth, secret, confirm}", f)
		}
		var h Hook
		for _, k := range sortedKeys(m) {
			var err error
			switch k {
			case "path":
				h.Path, err = str(f+".path", m[k])
				h.Path = strings.Trim(h.Path, "/")
			case "auth":
				h.Auth, err = str(f+".auth", m[k])
			case "secret":
				h.Secret, err = str(f+".secret", m[k])
			case "confirm":
				h.Confirm, err = boolean(f+".confirm", m[k])
			case "topic_arn":
				h.TopicARNs, err = strList(f+".topic_arn", m[k])
			default:
				err = fmt.Errorf("%s.%s: unknown key (known: path, auth, secret, confirm, topic_arn)", f, k)
			}
			if err != nil {
				return nil, err
			}
		}
		if err := h.validate(f); err != nil {
			return nil, err
		}
		hooks = append(hooks, h)
	}
	return hooks, nil
}

func parseUsers(field string, v any) (map[string]User, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: must be a map of name: {password, acl}", field)
	}
	users := make(map[string]User, len(m))
	for _, name := range sortedKeys(m) {
		f := field + "." + name
		um, ok := m[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a map {password, acl}", f)
		}
		var u User
		for _, k := range sortedKeys(um) {
			var err error
			switch k {
			case "password":
				u.Password, err = str(f+".password", um[k])
			case "acl":
				u.ACL, err = parseACL(f+".acl", um[k])
			default:
				err = fmt.Errorf("%s.%s: unknown key (known: password, acl)", f, k)
			}
			if err != nil {
				return nil, err
			}
		}
		if u.Password == "" {
			return nil, fmt.Errorf("%s.password: missing", f)
		}
		users[name] = u
	}
	return users, nil
}

func parseACL(field string, v any) ([]ACLRule, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: must be a list of {target, functions}", field)
	}
	var rules []ACLRule
	for i, item := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a map {target, functions}", f)
		}
		var r ACLRule
		for _, k := range sortedKeys(m) {
			var err error
			switch k {
			case "target":
				r.Target, err = str(f+".target", m[k])
			case "functions":
				r.Functions, err = strList(f+".functions", m[k])
			default:
				err = fmt.Errorf("%s.%s: unknown key (known: target, functions)", f, k)
			}
			if err != nil {
				return nil, err
			}
		}
		if r.Target == "" {
			return nil, fmt.Errorf("%s.target: missing", f)
		}
		if len(r.Functions) == 0 {
			return nil, fmt.Errorf("%s.functions: missing", f)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func str(field string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: must be a string, not %s", field, typeName(v))
	}
	return s, nil
}

func boolean(field string, v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: must be true or false, not %s", field, typeName(v))
	}
	return b, nil
}

func number(field string, v any) (float64, error) {
	switch n := v.(type) {
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case uint64:
		return float64(n), nil
	case float64:
		return n, nil
	}
	return 0, fmt.Errorf("%s: must be a number, not %s", field, typeName(v))
}

// duration reads seconds (a number, as Salt's token_expire) or a Go
// duration string ("12h").
func duration(field string, v any) (time.Duration, error) {
	if s, ok := v.(string); ok {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return d, nil
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 {
			return time.Duration(n * float64(time.Second)), nil
		}
		return 0, fmt.Errorf("%s: %q is not a positive duration (seconds, or like \"12h\")", field, s)
	}
	n, err := number(field, v)
	if err != nil {
		return 0, err
	}
	if n <= 0 || n > 10*365*24*3600 {
		return 0, fmt.Errorf("%s: must be a positive number of seconds", field)
	}
	return time.Duration(n * float64(time.Second)), nil
}

func strList(field string, v any) ([]string, error) {
	switch l := v.(type) {
	case string:
		return []string{l}, nil
	case []any:
		out := make([]string, 0, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("%s[%d]: must be a non-empty string", field, i)
			}
			out = append(out, s)
		}
		return out, nil
	case []string:
		return l, nil
	}
	return nil, fmt.Errorf("%s: must be a string or a list of strings, not %s", field, typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
