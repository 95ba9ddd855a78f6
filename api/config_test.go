package api

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	pw := bcryptHash(t, "pw")
	raw := map[string]any{
		"listen":       "127.0.0.1:8000",
		"tls_cert":     "/etc/brine/api.crt",
		"tls_key":      "/etc/brine/api.key",
		"token_expire": 3600,
		"max_body":     4096,
		"hooks": []any{
			map[string]any{"path": "deploy/*", "auth": "github", "secret": "s3cret"},
			map[string]any{"path": "autoscale/*", "auth": "sns", "confirm": true, "topic_arn": "arn:aws:sns:us-east-1:123456789012:asg"},
			map[string]any{"path": "/ci/*/", "auth": "token", "secret": "t0ken"},
			map[string]any{"path": "open", "auth": "none"},
		},
		"users": map[string]any{
			"alice": map[string]any{
				"password": pw,
				"acl": []any{
					map[string]any{"target": "web*", "functions": []any{"test.*", "state.apply"}},
					map[string]any{"target": "*", "functions": "@runner:manage.*"},
				},
			},
			"bob": map[string]any{"password": argon2Hash("pw")},
		},
	}
	c, err := ParseConfig(raw)
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
	if c, err := ParseConfig(map[string]any{"token_expire": "12h"}); err != nil || c.TokenTTL != 12*time.Hour {
		t.Fatalf("token_expire 12h: %v %v", c, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	pw := bcryptHash(t, "pw")
	hook := func(m map[string]any) map[string]any { return map[string]any{"hooks": []any{m}} }
	user := func(m map[string]any) map[string]any {
		return map[string]any{"users": map[string]any{"alice": m}}
	}
	for _, tc := range []struct {
		name string
		raw  map[string]any
		want string
	}{
		{"unknown key", map[string]any{"lisen": "x"}, "api.lisen: unknown key"},
		{"salt key", map[string]any{"webhook_disable_auth": true}, "api.webhook_disable_auth: unknown key (salt-api option"},
		{"listen type", map[string]any{"listen": 8000}, "api.listen: must be a string"},
		{"tls half", map[string]any{"tls_cert": "x"}, "tls_key"},
		{"token_expire", map[string]any{"token_expire": "soon"}, "api.token_expire"},
		{"max_body", map[string]any{"max_body": -1}, "api.max_body"},
		{"sns_cert_host", map[string]any{"sns_cert_host": "("}, "api.sns_cert_host"},
		{"hooks type", map[string]any{"hooks": "x"}, "api.hooks: must be a list"},
		{"hook no auth", hook(map[string]any{"path": "a"}), "api.hooks[0].auth: missing"},
		{"hook bad auth", hook(map[string]any{"path": "a", "auth": "hmac"}), `api.hooks[0].auth: unknown auth "hmac"`},
		{"hook no path", hook(map[string]any{"auth": "none"}), "api.hooks[0].path: missing"},
		{"hook bad path", hook(map[string]any{"path": "a[", "auth": "none"}), "api.hooks[0].path"},
		{"github no secret", hook(map[string]any{"path": "a", "auth": "github"}), "api.hooks[0].secret: auth github needs a secret"},
		{"token no secret", hook(map[string]any{"path": "a", "auth": "token"}), "api.hooks[0].secret"},
		{"none with secret", hook(map[string]any{"path": "a", "auth": "none", "secret": "x"}), "api.hooks[0].secret: auth none uses no secret"},
		{"confirm not sns", hook(map[string]any{"path": "a", "auth": "none", "confirm": true}), "api.hooks[0]: confirm"},
		{"confirm type", hook(map[string]any{"path": "a", "auth": "sns", "confirm": "yes"}), "api.hooks[0].confirm: must be true or false"},
		{"hook unknown key", hook(map[string]any{"path": "a", "auth": "none", "url": "x"}), "api.hooks[0].url: unknown key"},
		{"user plaintext", user(map[string]any{"password": "hunter2"}), "api.users.alice.password: not a bcrypt"},
		{"user no password", user(map[string]any{"acl": []any{}}), "api.users.alice.password: missing"},
		{"user argon2i", user(map[string]any{"password": "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}), "argon2id"},
		{"user argon2 huge", user(map[string]any{"password": "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}), "out of range"},
		{"acl no target", user(map[string]any{"password": pw, "acl": []any{map[string]any{"functions": []any{"test.*"}}}}), "api.users.alice.acl[0].target: missing"},
		{"acl no functions", user(map[string]any{"password": pw, "acl": []any{map[string]any{"target": "*"}}}), "api.users.alice.acl[0].functions: missing"},
		{"acl bad at", user(map[string]any{"password": pw, "acl": []any{map[string]any{"target": "*", "functions": []any{"@master"}}}}), `api.users.alice.acl[0]: functions[0]: unknown function pattern "@master"`},
		{"acl bad fn type", user(map[string]any{"password": pw, "acl": []any{map[string]any{"target": "*", "functions": []any{3}}}}), "api.users.alice.acl[0].functions[0]"},
		{"reserved user", map[string]any{"users": map[string]any{"operator": map[string]any{"password": pw}}}, "reserved"},
		{"bad user name", map[string]any{"users": map[string]any{"a b": map[string]any{"password": pw}}}, "invalid user name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to mention %q", err, tc.want)
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
