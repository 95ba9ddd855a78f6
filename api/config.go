package api

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/brine-cm/brine/internal/config"
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

// Config is the API's configuration, built from the master config's
// `api:` section (Section) or its salt-api alias `rest_cherrypy:`.
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
	// Algorithms are the signatures a github hook accepts: "sha256"
	// (X-Hub-Signature-256, the default) and "sha1" (X-Hub-Signature,
	// only when X-Hub-Signature-256 is absent).
	Algorithms []string
}

// Hook authentication kinds.
const (
	AuthGitHub = "github"
	AuthSNS    = "sns"
	AuthToken  = "token"
	AuthNone   = "none"
)

var userNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$`)

// GitHub signature algorithms a hook may accept.
const (
	AlgSHA256 = "sha256"
	AlgSHA1   = "sha1"
)

// Section is the master config's `api:` section as written; Config builds
// the API's Config from it.
type Section struct {
	Listen  config.String `yaml:"listen"`
	TLSCert config.String `yaml:"tls_cert"`
	TLSKey  config.String `yaml:"tls_key"`
	// TokenExpire is Salt's name; token_ttl is accepted too.
	TokenExpire *config.Seconds        `yaml:"token_expire"`
	TokenTTL    *config.Seconds        `yaml:"token_ttl"`
	MaxBody     *int64                 `yaml:"max_body"`
	SNSCertHost config.String          `yaml:"sns_cert_host"`
	Hooks       []HookSection          `yaml:"hooks"`
	Users       map[string]UserSection `yaml:"users"`
}

// HookSection is one entry of api.hooks.
type HookSection struct {
	Path       config.String     `yaml:"path"`
	Auth       config.String     `yaml:"auth"`
	Secret     config.String     `yaml:"secret"`
	Confirm    bool              `yaml:"confirm"`
	TopicARN   config.StringList `yaml:"topic_arn"`
	Algorithms config.StringList `yaml:"algorithms"`
}

// UserSection is one entry of api.users.
type UserSection struct {
	Password config.String `yaml:"password"`
	ACL      []ACLSection  `yaml:"acl"`
}

// ACLSection is one rule of a user's acl.
type ACLSection struct {
	Target    config.String     `yaml:"target"`
	Functions config.StringList `yaml:"functions"`
}

// Config builds the API's configuration from the section and checks it.
// root is the section's key ("api"); errors are config.PathErrors under it,
// which the loader turns into errors naming the file and line.
func (s *Section) Config(root ...any) (*Config, error) {
	if len(root) == 0 {
		root = []any{"api"}
	}
	at := func(p ...any) []any { return append(append([]any(nil), root...), p...) }
	c := &Config{Listen: string(s.Listen), TLSCert: string(s.TLSCert), TLSKey: string(s.TLSKey), SNSCertHost: string(s.SNSCertHost)}
	switch {
	case s.TokenExpire != nil && s.TokenTTL != nil:
		return nil, config.Errorf(at("token_ttl"), "give token_expire or token_ttl, not both")
	case s.TokenExpire != nil:
		c.TokenTTL = time.Duration(*s.TokenExpire)
	case s.TokenTTL != nil:
		c.TokenTTL = time.Duration(*s.TokenTTL)
	}
	if s.MaxBody != nil {
		if *s.MaxBody <= 0 {
			return nil, config.Errorf(at("max_body"), "must be a positive number of bytes")
		}
		c.MaxBody = *s.MaxBody
	}
	for i, hs := range s.Hooks {
		h := Hook{
			Path: strings.Trim(string(hs.Path), "/"), Auth: string(hs.Auth), Secret: string(hs.Secret),
			Confirm: hs.Confirm, TopicARNs: hs.TopicARN, Algorithms: hs.Algorithms,
		}
		if err := h.validate(at("hooks", i)); err != nil {
			return nil, err
		}
		c.Hooks = append(c.Hooks, h)
	}
	if s.Users != nil {
		c.Users = make(map[string]User, len(s.Users))
	}
	for _, name := range sortedKeys(s.Users) {
		us := s.Users[name]
		if us.Password == "" {
			return nil, config.Errorf(at("users", name, "password"), "missing")
		}
		u := User{Password: string(us.Password)}
		for j, r := range us.ACL {
			if r.Target == "" {
				return nil, config.Errorf(at("users", name, "acl", j, "target"), "missing")
			}
			if len(r.Functions) == 0 {
				return nil, config.Errorf(at("users", name, "acl", j, "functions"), "missing")
			}
			u.ACL = append(u.ACL, ACLRule{Target: string(r.Target), Functions: r.Functions})
		}
		c.Users[name] = u
	}
	if err := c.validate(root); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks a Config built by hand as Section.Config checks one read
// from the master config.
func (c *Config) Validate() error { return c.validate([]any{"api"}) }

func (c *Config) validate(root []any) error {
	at := func(p ...any) []any { return append(append([]any(nil), root...), p...) }
	if (c.TLSCert == "") != (c.TLSKey == "") {
		missing := "tls_key"
		if c.TLSCert == "" {
			missing = "tls_cert"
		}
		return config.Errorf(at(missing), "tls_cert and tls_key: give both or neither")
	}
	if c.TokenTTL < 0 {
		return config.Errorf(at("token_expire"), "must not be negative")
	}
	if c.MaxBody < 0 {
		return config.Errorf(at("max_body"), "must not be negative")
	}
	if c.SNSCertHost != "" {
		if _, err := regexp.Compile(c.SNSCertHost); err != nil {
			return config.Errorf(at("sns_cert_host"), "%v", err)
		}
	}
	for i, h := range c.Hooks {
		if err := h.validate(at("hooks", i)); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(c.Users) {
		if err := validateUser(at("users"), name, c.Users[name]); err != nil {
			return err
		}
	}
	return nil
}

func (h Hook) validate(path []any) error {
	at := func(p ...any) []any { return append(append([]any(nil), path...), p...) }
	if h.Path == "" {
		return config.Errorf(at("path"), "missing")
	}
	if _, err := compileGlob(h.Path); err != nil {
		return config.Errorf(at("path"), "%v", err)
	}
	switch h.Auth {
	case AuthGitHub, AuthToken:
		if h.Secret == "" {
			return config.Errorf(at("secret"), "auth %s needs a secret", h.Auth)
		}
	case AuthSNS, AuthNone:
		if h.Secret != "" {
			return config.Errorf(at("secret"), "auth %s uses no secret", h.Auth)
		}
	case "":
		return config.Errorf(at("auth"), "missing (github, sns, token or none)")
	default:
		return config.Errorf(at("auth"), "unknown auth %q (github, sns, token or none)", h.Auth)
	}
	if h.Auth != AuthSNS && (h.Confirm || len(h.TopicARNs) > 0) {
		return config.Errorf(path, "confirm and topic_arn apply to auth sns only")
	}
	if len(h.Algorithms) > 0 {
		if h.Auth != AuthGitHub {
			return config.Errorf(at("algorithms"), "applies to auth github only")
		}
		for i, a := range h.Algorithms {
			if a != AlgSHA256 && a != AlgSHA1 {
				return config.Errorf(at("algorithms", i), "unknown algorithm %q (sha256 or sha1)", a)
			}
		}
		if !slices.Contains(h.Algorithms, AlgSHA256) {
			// GitHub always sends X-Hub-Signature-256; a hook that
			// refused it would refuse every delivery.
			return config.Errorf(at("algorithms"), "must include sha256 (sha1 is accepted only beside it: [sha1, sha256])")
		}
	}
	return nil
}

// acceptsSHA1 says whether a github hook accepts X-Hub-Signature (HMAC-SHA1)
// when X-Hub-Signature-256 is absent.
func (h Hook) acceptsSHA1() bool { return slices.Contains(h.Algorithms, AlgSHA1) }

func validateUser(path []any, name string, u User) error {
	at := func(p ...any) []any { return append(append([]any(nil), path...), append([]any{name}, p...)...) }
	if !userNameRe.MatchString(name) {
		return config.Errorf(at(), "invalid user name (letters, digits, '_', '.', '@', '-')")
	}
	if name == OperatorUser {
		return config.Errorf(at(), "the name %q is reserved for operator-token sessions", name)
	}
	if _, err := parsePasswordHash(u.Password); err != nil {
		return config.Errorf(at("password"), "%v", err)
	}
	for i, r := range u.ACL {
		if _, err := compileRule(r); err != nil {
			return config.Errorf(at("acl", i), "%v", err)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
