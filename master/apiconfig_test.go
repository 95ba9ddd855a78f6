package master

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/pillar"
)

// writeConfigTree writes files (name relative to a new directory) and
// returns the path of its master.yaml.
func writeConfigTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "master.yaml")
}

// salt-api's rest_cherrypy: is read as api:, its keys mapped onto the
// API's; the options Brine cannot honour are named in one warning.
func TestRestCherrypyAlias(t *testing.T) {
	path := writeConfigTree(t, map[string]string{"master.yaml": `
rest_cherrypy:
  port: 8080
  host: 127.0.0.1
  ssl_crt: /etc/pki/api.crt
  ssl_key: /etc/pki/api.key
  webhook_url: /hook
  webhook_disable_auth: true
  max_request_body_size: 2048
  thread_pool: 100
  debug: false
  log_access_file: /var/log/salt/api-access
  hooks:
    - {path: "deploy/*", auth: github, secret: s3cret}
`})
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &api.Config{
		Listen: "127.0.0.1:8080", TLSCert: "/etc/pki/api.crt", TLSKey: "/etc/pki/api.key", MaxBody: 2048,
		Hooks: []api.Hook{
			{Path: "deploy/*", Auth: api.AuthGitHub, Secret: "s3cret"},
			// webhook_disable_auth: every other path, unauthenticated, as
			// salt-api does.
			{Path: "*", Auth: api.AuthNone},
		},
	}
	if !reflect.DeepEqual(c.API, want) {
		t.Errorf("api = %+v\nwant  %+v", c.API, want)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "rest_cherrypy") || !strings.Contains(c.Warnings[0], "debug, log_access_file, thread_pool") {
		t.Errorf("warnings = %q", c.Warnings)
	}

	// salt-api's defaults: 0.0.0.0:8000; disable_ssl serves plain HTTP.
	c, err = LoadConfig(writeConfigTree(t, map[string]string{"master.yaml": "rest_cherrypy:\n  disable_ssl: true\n  ssl_crt: /x.crt\n"}), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.API.Listen != "0.0.0.0:8000" || c.API.TLSCert != "" || len(c.API.Hooks) != 0 || len(c.Warnings) != 0 {
		t.Errorf("defaults: api %+v, warnings %q", c.API, c.Warnings)
	}
}

// Each error names the file, the line and the key as the user wrote it.
func TestAPIConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"both": {map[string]string{"master.yaml": "api:\n  listen: 127.0.0.1:8000\nrest_cherrypy:\n  port: 8000\n  disable_ssl: true\n"},
			"master.yaml line 3: rest_cherrypy: give api: or rest_cherrypy: (salt-api's name for the same section), not both"},
		"both across a drop-in": {map[string]string{"master.yaml": "api:\n  listen: 127.0.0.1:8000\n", "master.d/api.conf": "rest_cherrypy:\n  disable_ssl: true\n"},
			"master.d/api.conf line 1: rest_cherrypy: give api: or rest_cherrypy:"},
		"no ssl": {map[string]string{"master.yaml": "rest_cherrypy:\n  port: 8000\n"},
			"master.yaml line 1: rest_cherrypy: give ssl_crt and ssl_key, or disable_ssl: true"},
		"port range": {map[string]string{"master.yaml": "rest_cherrypy:\n  port: 70000\n  disable_ssl: true\n"},
			"master.yaml line 2: rest_cherrypy.port: must be a number from 1 to 65535, not 70000"},
		"port type": {map[string]string{"master.yaml": "rest_cherrypy:\n  port: eighty\n"},
			`master.yaml line 2: "rest_cherrypy.port" must be a whole number, not the text "eighty"`},
		"listen and port": {map[string]string{"master.yaml": "rest_cherrypy:\n  listen: 127.0.0.1:1\n  port: 2\n  disable_ssl: true\n"},
			"master.yaml line 3: rest_cherrypy.port: give listen, or salt-api's host and port, not both"},
		"ssl_crt and tls_cert": {map[string]string{"master.yaml": "rest_cherrypy:\n  ssl_crt: a\n  ssl_key: b\n  tls_cert: c\n  tls_key: d\n"},
			"master.yaml line 2: rest_cherrypy.ssl_crt: give ssl_crt or tls_cert, not both"},
		"webhook_url": {map[string]string{"master.yaml": "rest_cherrypy:\n  disable_ssl: true\n  webhook_url: /github\n"},
			`master.yaml line 3: rest_cherrypy.webhook_url: "/github": Brine serves webhooks under /hook/ only`},
		"unknown cherrypy key": {map[string]string{"master.yaml": "rest_cherrypy:\n  disable_ssl: true\n  webhook_disable_aut: true\n"},
			`master.yaml line 3: unknown key "webhook_disable_aut" in rest_cherrypy (did you mean "webhook_disable_auth"?)`},
		"alias hook error": {map[string]string{"master.yaml": "rest_cherrypy:\n  disable_ssl: true\n  hooks:\n    - {path: a, auth: hmac}\n"},
			`master.yaml line 4: rest_cherrypy.hooks[0].auth: unknown auth "hmac"`},
		"drop-in api error": {map[string]string{"master.yaml": "root_dir: /x\n", "master.d/10-api.conf": "api:\n  hooks:\n    - {path: a, auth: github}\n"},
			"master.d/10-api.conf line 3: api.hooks[0].secret: auth github needs a secret"},
		"drop-in listen": {map[string]string{"master.d/10-api.conf": "api:\n  listen: 127.0.0.1:0\n"},
			`master.d/10-api.conf line 2: api.listen: "127.0.0.1:0": the port must be a number from 1 to 65535`},
		"near miss": {map[string]string{"master.yaml": "file_root:\n  base: [/srv/salt]\n"},
			`master.yaml line 1: unknown key "file_root" (did you mean "file_roots"?)`},
		"external_auth type": {map[string]string{"master.yaml": "external_auth:\n  pam: [fred]\n"},
			`master.yaml line 2: "external_auth.pam" must be a mapping, not a list`},
		"schedule entry": {map[string]string{"master.yaml": "schedule:\n  backup:\n    function: manage.present\n    secnds: 5\n"},
			`master.yaml line 4: schedule entry "backup": unknown key "secnds" (did you mean "seconds"?)`},
		"schedule in a drop-in": {map[string]string{"master.d/s.conf": "schedule:\n  nowhen: {function: manage.present}\n"},
			`master.d/s.conf line 2: schedule entry "nowhen": no interval`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(writeConfigTree(t, tc.files), false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			for _, goWord := range []string{"api.Section", "RestCherrypy", "master.Config", "not found in type", "!!", "int64"} {
				if strings.Contains(err.Error(), goWord) {
					t.Errorf("error %q names a Go type (%s)", err, goWord)
				}
			}
		})
	}
}

// external_auth gives its ACLs to api.users that have a password and no
// acl; what Brine cannot honour is named in one warning.
func TestExternalAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := writeConfigTree(t, map[string]string{"master.yaml": `
api:
  listen: 127.0.0.1:8000
  users:
    fred: {password: '` + string(hash) + `'}
    own:
      password: '` + string(hash) + `'
      acl: [{target: "*", functions: [test.ping]}]
external_auth:
  pam:
    fred:
      - test.*
      - 'web*':
          - state.apply
          - cmd.run: {args: [ls]}
      - '@runner':
          - manage.*
      - '@wheel'
      - '^net\..*$'
    own: [.*]
    ghost: [test.ping]
    admins%: [.*]
`})
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []api.ACLRule{
		{Target: "*", Functions: []string{"test.*", "@runner:manage.*", "@wheel"}},
		{Target: "web*", Functions: []string{"state.apply"}},
	}
	if got := c.API.Users["fred"].ACL; !reflect.DeepEqual(got, want) {
		t.Errorf("fred's acl = %+v\nwant %+v", got, want)
	}
	if got := c.API.Users["own"].ACL; len(got) != 1 || got[0].Functions[0] != "test.ping" {
		t.Errorf("own's acl = %+v (api.users' own acl wins)", got)
	}
	if len(c.Warnings) != 1 {
		t.Fatalf("warnings = %q", c.Warnings)
	}
	for _, w := range []string{"external_auth.pam.admins% (groups)", "external_auth.pam.ghost (no api.users entry", "external_auth.pam.own (api.users gives its acl)",
		"web*: a function with argument restrictions", `"^net\\..*$" (a regular expression`} {
		if !strings.Contains(c.Warnings[0], w) {
			t.Errorf("warning %q lacks %q", c.Warnings[0], w)
		}
	}
	// Without an API there is nothing to log in to: a warning, not silence.
	c, err = LoadConfig(writeConfigTree(t, map[string]string{"master.yaml": "external_auth:\n  pam:\n    fred: [.*]\n"}), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "external_auth: ignored") {
		t.Errorf("warnings = %q", c.Warnings)
	}
}

// Custom options are logged once at start and reach templates' opts and
// config.get.
func TestCustomOptionsReachTemplates(t *testing.T) {
	dir := t.TempDir()
	path := writeConfigTree(t, map[string]string{
		"master.yaml":          "root_dir: " + dir + "\ngithub:\n  secret: from-file\nec2.autoscale:\n  region: eu-west-1\n",
		"master.d/github.conf": "github:\n  secret: from-drop-in\n",
	})
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Options) != 2 {
		t.Fatalf("options = %v", c.Options)
	}
	var logs bytes.Buffer
	m := New(c, slog.New(slog.NewTextHandler(&logs, nil)))
	m.logConfigNotes()
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "keys=\"[ec2.autoscale github]\"") {
		t.Errorf("log = %s", logs.String())
	}

	pillarDir := filepath.Join(dir, "pillar")
	if err := os.MkdirAll(pillarDir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"top.sls": "base:\n  '*':\n    - opts\n",
		"opts.sls": "secret: {{ opts['github']['secret'] }}\n" +
			"region: {{ salt['config.get']('ec2.autoscale:region') }}\n" +
			"id: {{ opts['id'] }}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(pillarDir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m.cfg.PillarRoots = map[string][]string{"base": {pillarDir}}
	got, err := m.pillarCompiler().Compile(context.Background(), pillar.Minion{ID: "web1", Grains: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"secret": "from-drop-in", "region": "eu-west-1", "id": "master"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pillar = %v, want %v", got, want)
	}
	// A template cannot change the options other renders see.
	if m.cfg.Options["github"].(map[string]any)["secret"] != "from-drop-in" {
		t.Errorf("options changed: %v", m.cfg.Options)
	}
}

// Salt's own settings that Brine does not implement are kept as options
// and named in a warning, not taken for typos (pillar_opts is two letters
// from pillar_roots).
func TestSaltSettingsWarned(t *testing.T) {
	c, err := LoadConfig(writeConfigTree(t, map[string]string{"master.yaml": "pillar_opts: false\nworker_threads: 5\ngithub: {user: x}\n"}), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "Salt settings Brine does not implement") || !strings.Contains(c.Warnings[0], "pillar_opts, worker_threads") {
		t.Errorf("warnings %q", c.Warnings)
	}
	var logs bytes.Buffer
	New(c, slog.New(slog.NewTextHandler(&logs, nil))).logConfigNotes()
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "keys=[github]") {
		t.Errorf("log %s", logs.String())
	}
}

// A schedule entry naming a runner that does not exist stops the master
// when the schedule starts, naming the file and line of its function.
func TestScheduleRunnerErrorNamesLine(t *testing.T) {
	path := writeConfigTree(t, map[string]string{
		"master.yaml":     "auto_accept: true\n",
		"master.d/s.conf": "schedule:\n  norunner:\n    function: cmd.run\n    minutes: 5\n",
	})
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	err = (&Master{cfg: c, log: discardLog()}).startSchedule(context.Background())
	want := filepath.Join(filepath.Dir(path), "master.d", "s.conf") + ` line 3: schedule entry "norunner": runner "cmd.run" is not available`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
