package api

import (
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/config"
)

// parseAPI reads doc as a master config and builds its api section, as
// the master's loader does.
func parseAPI(t *testing.T, doc string) (*Config, error) {
	t.Helper()
	var f struct {
		API *Section `yaml:"api"`
	}
	d, err := config.Parse(&f, config.Source{Name: "master.yaml", Data: []byte(doc)})
	if err != nil {
		return nil, err
	}
	if f.API == nil {
		t.Fatalf("no api section in %q", doc)
	}
	c, err := f.API.Config()
	return c, d.Locate(err)
}

func TestParseConfig(t *testing.T) {
	pw := bcryptHash(t, "pw")
	c, err := parseAPI(t, `
api:
  listen: 127.0.0.1:8000
  tls_cert: /etc/brine/api.crt
  tls_key: /etc/brine/api.key
  token_expire: 3600
  max_body: 4096
  hooks:
    - {path: "deploy/*", auth: github, secret: s3cret}
    - {path: "autoscale/*", auth: sns, confirm: true, topic_arn: "arn:aws:sns:us-east-1:123456789012:asg"}
    - {path: "/ci/*/", auth: token, secret: t0ken}
    - {path: open, auth: none}
  users:
    alice:
      password: '`+pw+`'
      acl:
        - {target: "web*", functions: ["test.*", state.apply]}
        - {target: "*", functions: "@runner:manage.*"}
    bob: {password: '`+argon2Hash("pw")+`'}
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8000" || c.TLSCert == "" || c.TokenTTL != time.Hour || c.MaxBody != 4096 {
		t.Fatalf("scalars: %+v", c)
	}
	if len(c.Hooks) != 4 || c.Hooks[0].Auth != AuthGitHub || c.Hooks[0].Secret != "s3cret" ||
		!c.Hooks[1].Confirm || c.Hooks[1].TopicARNs[0] != "arn:aws:sns:us-east-1:123456789012:asg" ||
		c.Hooks[2].Path != "ci/*" {
		t.Fatalf("hooks: %+v", c.Hooks)
	}
	a := c.Users["alice"]
	if len(a.ACL) != 2 || a.ACL[0].Target != "web*" || a.ACL[0].Functions[1] != "state.apply" || a.ACL[1].Functions[0] != "@runner:manage.*" {
		t.Fatalf("alice: %+v", a)
	}
	if _, ok := c.Users["bob"]; !ok {
		t.Fatal("bob missing")
	}
	if c, err := parseAPI(t, "api:\n  token_expire: 12h\n"); err != nil || c.TokenTTL != 12*time.Hour {
		t.Fatalf("token_expire 12h: %v %v", c, err)
	}
	if c, err := parseAPI(t, "api:\n  token_ttl: 90\n"); err != nil || c.TokenTTL != 90*time.Second {
		t.Fatalf("token_ttl 90: %v %v", c, err)
	}
}

// Each error names the file, the line and the key (api.x.y), never a Go
// type.
func TestParseConfigErrors(t *testing.T) {
	pw := bcryptHash(t, "pw")
	hook := func(h string) string { return "api:\n  hooks:\n    - " + h + "\n" }
	user := func(u string) string { return "api:\n  users:\n    alice: " + u + "\n" }
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown key", "api:\n  lisen: x\n", `master.yaml line 2: unknown key "lisen" in api (did you mean "listen"?)`},
		{"salt key", "api:\n  webhook_disable_auth: true\n", `master.yaml line 2: unknown key "webhook_disable_auth" in api (salt-api's option: give salt-api's keys under rest_cherrypy:, which is read as api:)`},
		{"salt key not a near miss", "api:\n  host: 0.0.0.0\n", `master.yaml line 2: unknown key "host" in api (salt-api's option`},
		{"salt key unhonoured", "api:\n  thread_pool: 5\n", `master.yaml line 2: unknown key "thread_pool" in api (salt-api's option`},
		{"listen type", "api:\n  listen: 8000\n", `master.yaml line 2: "api.listen" must be a string, not the number "8000"`},
		{"tls half", "api:\n  tls_cert: x\n", "master.yaml line 1: api.tls_key: tls_cert and tls_key: give both or neither"},
		{"token_expire", "api:\n  token_expire: soon\n", `master.yaml line 2: "api.token_expire" "soon" is not a positive duration`},
		{"token both", "api:\n  token_expire: 5\n  token_ttl: 6\n", "master.yaml line 3: api.token_ttl: give token_expire or token_ttl, not both"},
		{"max_body", "api:\n  max_body: -1\n", "master.yaml line 2: api.max_body: must be a positive number of bytes"},
		{"max_body fraction", "api:\n  max_body: 1.5\n", `master.yaml line 2: "api.max_body" must be a whole number`},
		{"sns_cert_host", "api:\n  sns_cert_host: '('\n", "master.yaml line 2: api.sns_cert_host: error parsing regexp"},
		{"hooks type", "api:\n  hooks: x\n", `master.yaml line 2: "api.hooks" must be a list, not the text "x"`},
		{"hook no auth", hook("{path: a}"), "master.yaml line 3: api.hooks[0].auth: missing"},
		{"hook bad auth", hook("{path: a, auth: hmac}"), `master.yaml line 3: api.hooks[0].auth: unknown auth "hmac"`},
		{"hook no path", hook("{auth: none}"), "master.yaml line 3: api.hooks[0].path: missing"},
		{"hook bad path", hook("{path: 'a[', auth: none}"), "master.yaml line 3: api.hooks[0].path"},
		{"github no secret", hook("{path: a, auth: github}"), "master.yaml line 3: api.hooks[0].secret: auth github needs a secret"},
		{"token no secret", hook("{path: a, auth: token}"), "api.hooks[0].secret"},
		{"none with secret", hook("{path: a, auth: none, secret: x}"), "master.yaml line 3: api.hooks[0].secret: auth none uses no secret"},
		{"confirm not sns", hook("{path: a, auth: none, confirm: true}"), "master.yaml line 3: api.hooks[0]: confirm"},
		{"confirm type", hook("{path: a, auth: sns, confirm: maybe}"), `master.yaml line 3: "api.hooks[0].confirm" must be true or false`},
		{"hook unknown key", hook("{path: a, auth: none, url: x}"), `master.yaml line 3: unknown key "url" in api.hooks`},
		{"secret type", hook("{path: a, auth: token, secret: 1234}"), `master.yaml line 3: "api.hooks[0].secret" must be a string, not the number "1234"`},
		{"algorithms bad", hook("{path: a, auth: github, secret: s, algorithms: [md5, sha256]}"), `master.yaml line 3: api.hooks[0].algorithms[0]: unknown algorithm "md5"`},
		{"algorithms sha1 only", hook("{path: a, auth: github, secret: s, algorithms: [sha1]}"), "api.hooks[0].algorithms: must include sha256"},
		{"algorithms not github", hook("{path: a, auth: token, secret: s, algorithms: [sha256]}"), "api.hooks[0].algorithms: applies to auth github only"},
		{"user plaintext", user("{password: hunter2}"), "master.yaml line 3: api.users.alice.password: not a bcrypt"},
		{"user no password", user("{acl: []}"), "master.yaml line 3: api.users.alice.password: missing"},
		{"user argon2i", user("{password: '$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'}"), "argon2id"},
		{"user argon2 huge", user("{password: '$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'}"), "out of range"},
		{"acl no target", user("{password: '" + pw + "', acl: [{functions: [test.*]}]}"), "master.yaml line 3: api.users.alice.acl[0].target: missing"},
		{"acl no functions", user("{password: '" + pw + "', acl: [{target: '*'}]}"), "master.yaml line 3: api.users.alice.acl[0].functions: missing"},
		{"acl bad at", user("{password: '" + pw + "', acl: [{target: '*', functions: ['@master']}]}"), `master.yaml line 3: api.users.alice.acl[0]: functions[0]: unknown function pattern "@master"`},
		{"acl bad fn type", user("{password: '" + pw + "', acl: [{target: '*', functions: [3]}]}"), `master.yaml line 3: "api.users.alice.acl[0].functions[0]" must be a non-empty string`},
		{"reserved user", "api:\n  users:\n    operator: {password: '" + pw + "'}\n", "master.yaml line 3: api.users.operator: the name \"operator\" is reserved"},
		{"bad user name", "api:\n  users:\n    a b: {password: '" + pw + "'}\n", "master.yaml line 3: api.users.a b: invalid user name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAPI(t, tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to mention %q", err, tc.want)
			}
			for _, goWord := range []string{"api.Section", "api.HookSection", "config.String", "not found in type", "!!"} {
				if strings.Contains(err.Error(), goWord) {
					t.Errorf("error %q names a Go type (%s)", err, goWord)
				}
			}
		})
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"web*", "web1", true},
		{"web*", "db1", false},
		{"deploy/*", "deploy/a/b", true},
		{"deploy/*", "deploy", false},
		{"test.*", "test.ping", true},
		{"test.*", "testXping", false},
		{"web?", "web1", true},
		{"web?", "web12", false},
		{"web[0-9]", "web5", true},
		{"web[!0-9]", "web5", false},
		{"web[^0-9]", "webx", true},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{"a.b", "axb", false},
		{"[]]", "]", true},
		{"[a-]", "-", true},
		{"*", "", true},
	} {
		if got := matchGlob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
	for _, bad := range []string{"[", `a\`, "[a"} {
		if _, err := compileGlob(bad); err == nil {
			t.Errorf("compileGlob(%q) succeeded", bad)
		}
	}
}
