package minion

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "minion.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	path := writeConfig(t, `
id: web1.example.com
master: nats://10.0.0.1:4506
root_dir: /srv/minion
log_level: debug
tls_ca: /etc/brine/ca.pem
grains:
  roles: [web, app]
  env: prod
mine_functions:
  network.ip_addrs: []
mine_interval: 5
startup_states: highstate
schedule:
  ping: {function: test.ping, minutes: 1}
join_token: abc
hosts.file: /tmp/hosts
`)
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "web1.example.com" || c.Master != "nats://10.0.0.1:4506" || c.RootDir != "/srv/minion" || c.LogLevel != "debug" ||
		c.TLSCA != "/etc/brine/ca.pem" || c.MineInterval != 5 || c.StartupStates != "highstate" || c.JoinToken != "abc" || c.HostsFile != "/tmp/hosts" {
		t.Errorf("config = %+v", c)
	}
	if roles, ok := c.Grains["roles"].([]any); !ok || len(roles) != 2 || c.Grains["env"] != "prod" {
		t.Errorf("grains = %v", c.Grains)
	}
	if c.MineFunctions == nil || c.Schedule["ping"] == nil {
		t.Errorf("nested keys = %+v", c)
	}
	// startup_states may also be a list.
	c, err = LoadConfig(writeConfig(t, "startup_states: [base, web]\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := c.StartupStates.([]any); !ok || len(l) != 2 {
		t.Errorf("startup_states = %#v", c.StartupStates)
	}
}

func TestLoadConfigUnknownKey(t *testing.T) {
	path := writeConfig(t, "id: web1\nhosts_file: /tmp/hosts\n")
	_, err := LoadConfig(path, true)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	for _, want := range []string{path, "line 2", "hosts_file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestLoadConfigMissingAndEmpty(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.yaml")
	if c, err := LoadConfig(missing, false); err != nil || c == nil {
		t.Errorf("missing optional file: %v", err)
	}
	if _, err := LoadConfig(missing, true); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing required file: error %v", err)
	}
	if c, err := LoadConfig("", true); err != nil || c.ID != "" {
		t.Errorf("no path: %+v, %v", c, err)
	}
	for _, content := range []string{"", "\n  \n", "# all commented out\n# id: web1\n"} {
		if _, err := LoadConfig(writeConfig(t, content), true); err != nil {
			t.Errorf("config %q: %v", content, err)
		}
	}
	if _, err := LoadConfig(writeConfig(t, "grains: [a\n"), true); err == nil {
		t.Error("bad YAML accepted")
	}
	if _, err := LoadConfig(writeConfig(t, "mine_interval: often\n"), true); err == nil {
		t.Error("bad mine_interval accepted")
	}
}

func TestSetDefaults(t *testing.T) {
	c := &Config{}
	if err := c.SetDefaults(); err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != host || c.Master != DefaultMaster || c.RootDir != DefaultRootDir || c.HostsFile != DefaultHostsFile || c.MineInterval != 60 {
		t.Errorf("defaults = %+v", c)
	}
	set := &Config{ID: "web1", Master: "nats://m:1", RootDir: "/r", HostsFile: "/h", MineInterval: 5}
	want := *set
	if err := set.SetDefaults(); err != nil {
		t.Fatal(err)
	}
	if set.ID != want.ID || set.Master != want.Master || set.RootDir != want.RootDir || set.HostsFile != want.HostsFile || set.MineInterval != want.MineInterval {
		t.Errorf("SetDefaults overrode settings: %+v", set)
	}
	// A negative mine_interval is an error now (TestSetDefaultsRefusesBadValues),
	// not the default.
}

func TestSetDefaultsRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{ID: "w", Master: "nats://[bad"}, "cannot parse master URL"},
		{Config{ID: "w", Master: "nats://127.0.0.1:45x"}, "cannot parse master URL"},
		{Config{ID: "w", Master: "nats://127.0.0.1:99999"}, "port must be a number from 1 to 65535"},
		{Config{ID: "w", Master: "http://master:4506"}, "unknown scheme"},
		{Config{ID: "w", Master: "nats://:4506"}, "names no host"},
		{Config{ID: "w", Master: "nats://a:4506,nats://b:0"}, `"nats://b:0"`},
		{Config{ID: "w", MineInterval: -5}, "mine_interval"},
		{Config{ID: "w", MineInterval: 1e12}, "mine_interval"},
		{Config{ID: "w", PyInterpreter: "/nonexistent/python3"}, "py_interpreter: /nonexistent/python3: "},
	} {
		c := tc.cfg
		err := c.SetDefaults()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want it to contain %q", tc.cfg, err, tc.want)
		}
	}
	for _, m := range []string{"", "nats://127.0.0.1:4506", "tls://master.example.com:4506", "master:4506", "nats://a:1,nats://b:2", "wss://m/bus", "nats://m"} {
		c := Config{ID: "w", Master: m}
		if err := c.SetDefaults(); err != nil {
			t.Errorf("master %q: %v", m, err)
		}
	}
}

// minion.d/*.conf drop-ins merge over the config file as Salt merges
// them; keys that are no setting are custom options, near misses errors.
func TestLoadConfigDropInsAndCustomOptions(t *testing.T) {
	path := writeConfig(t, "id: web1\ngrains:\n  roles: [web]\ngithub:\n  user: bot\n")
	dropIns := filepath.Join(filepath.Dir(path), "minion.d")
	if err := os.MkdirAll(dropIns, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"10-grains.conf": "grains:\n  env: prod\n",
		"20-master.conf": "master: nats://10.0.0.9:4506\nsmtp.host: mail\nping_interval: 5\n",
	} {
		if err := os.WriteFile(filepath.Join(dropIns, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	// The drop-ins' grains replace the file's (Salt's top-level update).
	if c.ID != "web1" || c.Master != "nats://10.0.0.9:4506" || c.Grains["env"] != "prod" || c.Grains["roles"] != nil {
		t.Errorf("config = %+v", c)
	}
	if gh, _ := c.Options["github"].(map[string]any); gh["user"] != "bot" || c.Options["smtp.host"] != "mail" || len(c.Options) != 3 {
		t.Errorf("options = %v", c.Options)
	}
	// ping_interval is Salt's (not a typo of mine_interval): a warning.
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "ping_interval") {
		t.Errorf("warnings = %q", c.Warnings)
	}

	if err := os.WriteFile(filepath.Join(dropIns, "30-bad.conf"), []byte("mine_intervl: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(path, true)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dropIns, "30-bad.conf")+` line 1: unknown key "mine_intervl" (did you mean "mine_interval"?)`) {
		t.Errorf("near miss in a drop-in: %v", err)
	}
}

// A bad schedule entry in the config does not stop the minion (it is
// listed with its error and skipped); the loader names it with its file,
// line and key in a warning. A schedule that is not a mapping is an error.
func TestLoadConfigScheduleEntries(t *testing.T) {
	for doc, want := range map[string]string{
		"schedule:\n  ping:\n    function: test.ping\n    minutes: soon\n":                       `line 4: schedule entry "ping": minutes must be a number`,
		"schedule:\n  ping: {function: test.ping, secods: 5}\n":                                  `line 2: schedule entry "ping": unknown key "secods" (did you mean "seconds"?)`,
		"schedule:\n  ping: {function: test.ping, seconds: 5, tgt: '*'}\n":                       `line 2: schedule entry "ping": unknown key "tgt"`,
		"schedule:\n  ok: {function: test.ping, seconds: 5}\n  ping:\n    function: test.ping\n": `line 3: schedule entry "ping": no interval`,
	} {
		path := writeConfig(t, doc)
		c, err := LoadConfig(path, true)
		if err != nil {
			t.Errorf("%q: %v", doc, err)
			continue
		}
		if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], path+" "+want) || !strings.Contains(c.Warnings[0], "skipped") {
			t.Errorf("%q: warnings %q, want %q", doc, c.Warnings, path+" "+want)
		}
	}
	path := writeConfig(t, "schedule: [ping]\n")
	if _, err := LoadConfig(path, true); err == nil || !strings.Contains(err.Error(), path+" line 1: schedule must be a mapping") {
		t.Errorf("schedule list: %v", err)
	}
	c, err := LoadConfig(writeConfig(t, "schedule:\n  enabled: false\n  ping: {function: test.ping, seconds: 5}\n"), true)
	if err != nil || c.Schedule["enabled"] != false || c.Schedule["ping"] == nil || len(c.Warnings) != 0 {
		t.Errorf("schedule %v, warnings %q, err %v", c.Schedule, c.Warnings, err)
	}
}
