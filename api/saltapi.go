package api

import (
	"fmt"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/internal/config"
)

// RestCherrypy is salt-api's `rest_cherrypy:` section, which the master
// reads as an alias of `api:`: salt-api's keys are mapped onto the API's
// (host and port onto listen, ssl_crt and ssl_key onto tls_cert and
// tls_key, webhook_disable_auth onto a hook for every path with auth none,
// max_request_body_size onto max_body), and api's own keys (hooks, users,
// ...) may be given there too.
type RestCherrypy struct {
	Section `yaml:",inline"`

	Port               *int          `yaml:"port"`
	Host               config.String `yaml:"host"`
	SSLCrt             config.String `yaml:"ssl_crt"`
	SSLKey             config.String `yaml:"ssl_key"`
	DisableSSL         bool          `yaml:"disable_ssl"`
	WebhookURL         config.String `yaml:"webhook_url"`
	WebhookDisableAuth bool          `yaml:"webhook_disable_auth"`
	MaxRequestBodySize *int64        `yaml:"max_request_body_size"`

	Unhonoured CherrypyUnhonoured `yaml:",inline"`
}

// CherrypyUnhonoured are rest_cherrypy options that belong to CherryPy's
// server or salt-api's web app and mean nothing to Brine's API; a warning
// names those given.
type CherrypyUnhonoured struct {
	Debug            any `yaml:"debug"`
	LogAccessFile    any `yaml:"log_access_file"`
	LogErrorFile     any `yaml:"log_error_file"`
	SSLChain         any `yaml:"ssl_chain"`
	ThreadPool       any `yaml:"thread_pool"`
	SocketQueueSize  any `yaml:"socket_queue_size"`
	QueueSize        any `yaml:"queue_size"`
	ExpireResponses  any `yaml:"expire_responses"`
	CollectStats     any `yaml:"collect_stats"`
	StatsDisableAuth any `yaml:"stats_disable_auth"`
	Static           any `yaml:"static"`
	StaticPath       any `yaml:"static_path"`
	App              any `yaml:"app"`
	AppPath          any `yaml:"app_path"`
	RootPrefix       any `yaml:"root_prefix"`
	EnableSessions   any `yaml:"enable_sessions"`
	Favicon          any `yaml:"favicon"`
}

// given names the options set.
func (u CherrypyUnhonoured) given() []string {
	var keys []string
	v := reflect.ValueOf(u)
	for i := range v.NumField() {
		if !v.Field(i).IsNil() {
			key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// KeyHint implements config.KeyHinter: salt-api's keys given in api:.
func (*Section) KeyHint(key string) string {
	if key == "external_auth" {
		return "external_auth is a top-level setting, beside api:"
	}
	for _, t := range []reflect.Type{reflect.TypeOf(RestCherrypy{}), reflect.TypeOf(CherrypyUnhonoured{})} {
		for i := range t.NumField() {
			if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k == key {
				return "salt-api's option: give salt-api's keys under rest_cherrypy:, which is read as api:"
			}
		}
	}
	return ""
}

// Salt-api's defaults.
const (
	saltAPIHost = "0.0.0.0"
	saltAPIPort = 8000
)

// Config maps the section onto the API's configuration, as the `api:`
// section it stands for. warnings name what Brine cannot honour.
func (r *RestCherrypy) Config() (c *Config, warnings []string, err error) {
	root := []any{"rest_cherrypy"}
	at := func(p ...any) []any { return append(append([]any(nil), root...), p...) }
	s := r.Section
	if s.Listen != "" && (r.Port != nil || r.Host != "") {
		key := "port"
		if r.Port == nil {
			key = "host"
		}
		return nil, nil, config.Errorf(at(key), "give listen, or salt-api's host and port, not both")
	}
	if s.Listen == "" {
		port := saltAPIPort
		if r.Port != nil {
			if *r.Port < 1 || *r.Port > 65535 {
				return nil, nil, config.Errorf(at("port"), "must be a number from 1 to 65535, not %d", *r.Port)
			}
			port = *r.Port
		}
		host := string(r.Host)
		if host == "" {
			host = saltAPIHost
		}
		s.Listen = config.String(net.JoinHostPort(host, strconv.Itoa(port)))
	}
	for _, pair := range [][2]string{{"ssl_crt", "tls_cert"}, {"ssl_key", "tls_key"}} {
		salt, ours := r.SSLCrt, s.TLSCert
		if pair[0] == "ssl_key" {
			salt, ours = r.SSLKey, s.TLSKey
		}
		if salt != "" && ours != "" {
			return nil, nil, config.Errorf(at(pair[0]), "give %s or %s, not both", pair[0], pair[1])
		}
	}
	if r.SSLCrt != "" {
		s.TLSCert = r.SSLCrt
	}
	if r.SSLKey != "" {
		s.TLSKey = r.SSLKey
	}
	if r.DisableSSL {
		// As salt-api: plain HTTP, whatever certificates are named.
		s.TLSCert, s.TLSKey = "", ""
	} else if s.TLSCert == "" || s.TLSKey == "" {
		return nil, nil, config.Errorf(root, "give ssl_crt and ssl_key, or disable_ssl: true (salt-api does not start without either)")
	}
	switch strings.Trim(string(r.WebhookURL), "/") {
	case "", "hook":
	default:
		return nil, nil, config.Errorf(at("webhook_url"), "%q: Brine serves webhooks under /hook/ only", string(r.WebhookURL))
	}
	if r.MaxRequestBodySize != nil {
		if s.MaxBody != nil {
			return nil, nil, config.Errorf(at("max_request_body_size"), "give max_request_body_size or max_body, not both")
		}
		s.MaxBody = r.MaxRequestBodySize
	}
	if r.WebhookDisableAuth {
		// salt-api: any path under the webhook URL fires its event
		// without authentication; the configured hooks still come first.
		s.Hooks = append(append([]HookSection(nil), s.Hooks...), HookSection{Path: "*", Auth: AuthNone})
	}
	c, err = s.Config(root...)
	if err != nil {
		return nil, nil, err
	}
	if keys := r.Unhonoured.given(); len(keys) > 0 {
		warnings = append(warnings, fmt.Sprintf("rest_cherrypy: ignoring salt-api options Brine's API has no use for: %s", strings.Join(keys, ", ")))
	}
	return c, warnings, nil
}

// ApplyExternalAuth reads Salt's external_auth for what Brine can honour:
// the permissions (Salt's ACL lists) of users that api.users (or
// rest_cherrypy.users) defines with a password hash and no acl of their
// own. Salt's eauth backends themselves (pam, ldap, ...) authenticate
// against systems Brine does not talk to, so what cannot be mapped (users
// without a Brine password, groups, argument restrictions, regular
// expressions) is returned as warnings, never dropped silently. A rule
// that maps but does not compile is an error under external_auth.
func ApplyExternalAuth(c *Config, eauth map[string]map[string][]any) (warnings []string, err error) {
	var ignored []string
	mapped := map[string]bool{}
	for _, backend := range sortedKeys(eauth) {
		for _, name := range sortedKeys(eauth[backend]) {
			path := []any{"external_auth", backend, name}
			where := config.PathString(path)
			if strings.HasSuffix(name, "%") {
				ignored = append(ignored, where+" (groups)")
				continue
			}
			u, ok := c.Users[name]
			if !ok {
				ignored = append(ignored, where+" (no api.users entry with a password)")
				continue
			}
			if len(u.ACL) > 0 && !mapped[name] {
				ignored = append(ignored, where+" (api.users gives its acl)")
				continue
			}
			rules, skipped := eauthRules(eauth[backend][name])
			for _, s := range skipped {
				ignored = append(ignored, where+": "+s)
			}
			for i, r := range rules {
				if _, err := compileRule(r); err != nil {
					return nil, config.Errorf(path, "rule %d: %v", i, err)
				}
			}
			u.ACL = append(u.ACL, rules...)
			mapped[name] = true
			c.Users[name] = u
		}
	}
	if len(ignored) > 0 {
		warnings = append(warnings, "external_auth: Brine's API authenticates api.users by their password hash; ignoring "+strings.Join(ignored, "; "))
	}
	return warnings, nil
}

// eauthRules translates one user's Salt ACL list: "fun.glob" and "@runner"
// for every minion, {target: [fun.glob, ...]}, {"@runner": [glob, ...]}.
func eauthRules(list []any) (rules []ACLRule, skipped []string) {
	fun := func(s string) (string, bool) {
		if s == ".*" { // Salt's everything, a regular expression
			return "*", true
		}
		if strings.ContainsAny(s, "^$+()|\\{}") {
			return "", false
		}
		return s, true
	}
	var all []string
	for _, item := range list {
		switch x := item.(type) {
		case string:
			if f, ok := fun(x); ok {
				all = append(all, f)
			} else {
				skipped = append(skipped, fmt.Sprintf("%q (a regular expression; Brine matches globs)", x))
			}
		case map[string]any:
			for _, tgt := range sortedKeys(x) {
				var funs []string
				var entries []any
				switch v := x[tgt].(type) {
				case []any:
					entries = v
				case string:
					entries = []any{v}
				case nil:
				default:
					skipped = append(skipped, fmt.Sprintf("%q (not a list of functions)", tgt))
					continue
				}
				for _, e := range entries {
					s, ok := e.(string)
					if !ok {
						skipped = append(skipped, fmt.Sprintf("%s: a function with argument restrictions", tgt))
						continue
					}
					f, ok := fun(s)
					if !ok {
						skipped = append(skipped, fmt.Sprintf("%s: %q (a regular expression; Brine matches globs)", tgt, s))
						continue
					}
					funs = append(funs, f)
				}
				if strings.HasPrefix(tgt, "@") {
					// {"@runner": [manage.*]}: runner functions by glob.
					if len(funs) == 0 {
						all = append(all, tgt)
					}
					for _, f := range funs {
						all = append(all, tgt+":"+f)
					}
					continue
				}
				if len(funs) > 0 {
					rules = append(rules, ACLRule{Target: tgt, Functions: funs})
				}
			}
		default:
			skipped = append(skipped, fmt.Sprintf("%v (neither a function nor {target: [functions]})", item))
		}
	}
	if len(all) > 0 {
		rules = append([]ACLRule{{Target: "*", Functions: all}}, rules...)
	}
	return rules, skipped
}
