package master

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string
	}{
		{"no path", ""},
		{"missing optional file", filepath.Join(t.TempDir(), "absent.yaml")},
		{"empty file", writeFile(t, "empty.yaml", "  \n\n")},
		{"comments only", writeFile(t, "c.yaml", "# nothing\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig(tc.path, false)
			if err != nil {
				t.Fatal(err)
			}
			if c.RootDir != DefaultRootDir || c.Listen != DefaultListen || c.KeepJobs != DefaultKeepJobs || c.LogLevel != "info" {
				t.Errorf("defaults = %+v", c)
			}
			if c.AutoAccept || c.NATSURL != "" {
				t.Errorf("unexpected settings: %+v", c)
			}
			if c.keepJobs() != 24*time.Hour {
				t.Errorf("keepJobs = %v", c.keepJobs())
			}
		})
	}
}

func TestLoadConfigMissingRequired(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	if _, err := LoadConfig(path, true); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadConfig(missing, required) error = %v", err)
	}
}

func TestLoadConfigUnreadable(t *testing.T) {
	// A directory is not a config file, required or not.
	dir := t.TempDir()
	if _, err := LoadConfig(dir, false); err == nil {
		t.Error("LoadConfig(dir) succeeded")
	}
}

func TestLoadConfigUnknownKey(t *testing.T) {
	path := writeFile(t, "m.yaml", "root_dir: /x\nlisten: 127.0.0.1:1\nauto_acept: true\n")
	_, err := LoadConfig(path, true)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	for _, want := range []string{path, "line 3", "auto_acept"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestLoadConfigBadValues(t *testing.T) {
	for _, content := range []string{
		"auto_accept: maybe\n",
		"keep_jobs: soon\n",
		"file_roots: [a, b]\n",
		"root_dir: [\n",
		"reactor: {a: b}\n",
	} {
		if _, err := LoadConfig(writeFile(t, "m.yaml", content), true); err == nil {
			t.Errorf("LoadConfig accepted %q", content)
		}
	}
}

func TestLoadConfigValues(t *testing.T) {
	path := writeFile(t, "m.yaml", `
root_dir: /srv/brine
listen: 0.0.0.0:4506
log_level: debug
auto_accept: true
autosign_file: /etc/brine/autosign.conf
keep_jobs: 1.5
nats_url: nats://a:4222
file_roots:
  base: [/srv/salt]
pillar_roots:
  base: [/srv/pillar]
reactor:
  - "salt/netapi/hook/deploy/*": [/srv/reactor/deploy.sls]
api:
  listen: 127.0.0.1:8000
  hooks:
    - {path: "deploy/*", auth: github, secret: "s3cret"}
cloud:
  providers:
    local: {driver: local}
autoscale:
  region: us-east-1
  queue_url: https://sqs.us-east-1.amazonaws.com/123456789012/salt-master-queue
  groups:
    web-asg: {startup_states: highstate}
schedule:
  highstate: {function: state.apply, minutes: 60}
`)
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.RootDir != "/srv/brine" || c.Listen != "0.0.0.0:4506" || c.LogLevel != "debug" || !c.AutoAccept ||
		c.AutosignFile != "/etc/brine/autosign.conf" || c.KeepJobs != 1.5 || c.NATSURL != "nats://a:4222" {
		t.Errorf("config = %+v", c)
	}
	if c.keepJobs() != 90*time.Minute {
		t.Errorf("keepJobs = %v", c.keepJobs())
	}
	if got := c.FileRoots["base"]; len(got) != 1 || got[0] != "/srv/salt" {
		t.Errorf("file_roots = %v", c.FileRoots)
	}
	if len(c.Reactor) != 1 || c.Reactor[0]["salt/netapi/hook/deploy/*"][0] != "/srv/reactor/deploy.sls" {
		t.Errorf("reactor = %v", c.Reactor)
	}
	if c.API == nil || c.API.Listen != "127.0.0.1:8000" || len(c.API.Hooks) != 1 || c.Cloud.Providers["local"] == nil || c.Autoscale == nil || c.Autoscale.Region != "us-east-1" || c.Schedule["highstate"] == nil {
		t.Errorf("nested keys = %+v", c)
	}
}

// The autoscale section is typed: its shape as SPEC gives it loads, and
// an unknown key, a wrong type, or a section that could never receive a
// message is a start-up error naming the file, line and key.
func TestLoadConfigAutoscale(t *testing.T) {
	c, err := LoadConfig(writeFile(t, "ok.yaml", `autoscale:
  region: us-east-1
  queue_url: https://sqs.us-east-1.amazonaws.com/123456789012/q
  groups:
    web-asg:
      startup_states: highstate
      clean_state: clean
      grains: {roles: [web]}
    db-asg:
      minion_id: "db-{instance_id}"
      startup_states: [base, db]
`), true)
	if err != nil {
		t.Fatal(err)
	}
	web, db := c.Autoscale.Groups["web-asg"], c.Autoscale.Groups["db-asg"]
	if web.MinionID != "{group}-{instance_id}" || !web.StartupStates.Highstate || web.CleanState.String() != "clean" {
		t.Errorf("web-asg = %+v", web)
	}
	if db.MinionID != "db-{instance_id}" || db.StartupStates.String() != "base,db" {
		t.Errorf("db-asg = %+v", db)
	}
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown key": {"autoscale:\n  queue_url: q\n  groups:\n    web:\n      startup_state: highstate\n",
			`line 5: unknown key "startup_state" in autoscale.groups.web (did you mean "startup_states"?)`},
		"wrong type": {"autoscale:\n  queue_url: q\n  groups:\n    web:\n      require_identity: maybe\n",
			`line 5: "autoscale.groups.web.require_identity" must be true or false`},
		"no way in": {"autoscale:\n  region: us-east-1\n  groups: {web: {}}\n",
			"line 1: autoscale: set queue_url"},
		"no groups": {"autoscale:\n  queue_url: q\n",
			"autoscale.groups: no groups"},
		"bad pattern": {"autoscale:\n  queue_url: q\n  groups:\n    web:\n      minion_id: \"{group}-{host}\"\n",
			`line 5: autoscale.groups.web.minion_id: "{group}-{host}" must contain {instance_id}`},
		"unknown placeholder": {"autoscale:\n  queue_url: q\n  groups:\n    web:\n      minion_id: \"{instance_id}-{zone}\"\n",
			"unknown placeholder {zone}"},
		"identity without cert": {"autoscale:\n  queue_url: q\n  groups:\n    web:\n      require_identity: true\n",
			"line 5: autoscale.groups.web.require_identity: require_identity needs autoscale.identity_cert"},
		"minion id set by hand": {"autoscale:\n  queue_url: q\n  groups:\n    web:\n      minion:\n        id: web-1\n",
			"line 6: autoscale.groups.web.minion.id: id cannot be set here: the minion id comes from minion_id"},
		"bad states": {"autoscale:\n  queue_url: q\n  groups:\n    web:\n      startup_states: [highstate, web]\n",
			"line 5: highstate cannot be combined"},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, "m.yaml", tc.yaml)
			_, err := LoadConfig(path, true)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v\nwant the file and %q", err, tc.want)
			}
		})
	}
}

// keep_jobs: 0 takes the default; a negative value is an error (it used
// to be replaced by the default silently).
func TestLoadConfigNonPositiveKeepJobs(t *testing.T) {
	c, err := LoadConfig(writeFile(t, "m.yaml", "keep_jobs: 0\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeepJobs != DefaultKeepJobs {
		t.Errorf("KeepJobs = %v", c.KeepJobs)
	}
	if _, err := LoadConfig(writeFile(t, "m2.yaml", "keep_jobs: -3\n"), true); err == nil || !strings.Contains(err.Error(), "keep_jobs") {
		t.Errorf("keep_jobs: -3: err = %v", err)
	}
}

// Config errors name the file, line and key in the user's words, never a Go
// type, and suggest the key meant.
func TestLoadConfigErrorsInUserTerms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.yaml")
	if err := os.WriteFile(path, []byte("root_dir: /x\napi:\n  lisen: 127.0.0.1:8000\nauto_acept: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path, true)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{path + ` line 3: unknown key "lisen" in api (did you mean "listen"?)`, `line 4: unknown key "auto_acept" (did you mean "auto_accept"?)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "master.Config") || strings.Contains(err.Error(), "not found in type") {
		t.Errorf("error names a Go type: %q", err)
	}
}

// Settings Brine cannot honour stop the start rather than being ignored.
func TestLoadConfigRefusesWhatItCannotHonour(t *testing.T) {
	for content, want := range map[string]string{
		"nats_url: nats://x:4222\nnats_user: brine\n": "line 2: nats_user: not supported",
		"nats_password: s3cret\n":                     "line 1: nats_password: not supported",
		"tls_cert: /etc/brine/bus.crt\n":              "line 1: tls_cert: needs tls_key too",
		"root_dir: /x\ntls_key: /etc/brine/bus.key\n": "line 2: tls_key: needs tls_cert too",
	} {
		_, err := LoadConfig(writeFile(t, "m.yaml", content), true)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", content, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
