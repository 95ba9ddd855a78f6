package integration

import (
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/testutil"
)

// Seed 004's orchestrations run as written against minions whose tools
// (systemctl, supervisorctl, git, npm, gulp, rsync) are stand-ins that
// record their command lines. Two adaptations, because every minion here
// shares one host: the deploy user is the test's own (creating webuser
// needs root and changes the host), and each database server's
// keepalive.state lives in a directory of its own rather than at
// /var/run/keepalive.state.

// seedStandIns writes stand-ins for the tools into a new directory and
// returns it with the path of the log they append their command lines
// (prefixed with the working directory) to.
func seedStandIns(t *testing.T, tools ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls.log")
	for _, tool := range tools {
		script := "#!/bin/sh\nprintf '%s\\n' \"" + tool + " $* (in $(pwd))\" >> '" + log + "'\n"
		if tool == "supervisorctl" {
			script += `echo "web:web_00: stopped"` + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, log
}

// startWith starts the minion id with dir first on its PATH.
func startWith(t *testing.T, c *testutil.Cluster, id, dir string, grains map[string]any) {
	t.Helper()
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	c.StartMinion(c.MinionConfig(id, grains))
}

func logLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestSeed004Orchestrations(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plone := filepath.Join(dir, "plone")
	theme := filepath.Join(plone, "src", "theme")
	states := filepath.Join(dir, "keepalive")
	writeTree(t, plone, map[string]string{"env/bin/buildout": "#!/bin/sh\necho buildout \"$@\"\n", "src/theme/package.json": "{}\n"})
	if err := os.Chmod(filepath.Join(plone, "env/bin/buildout"), 0o755); err != nil {
		t.Fatal(err)
	}
	deploy := strings.NewReplacer("webuser", me.Username).Replace(`{% set app_servers = ['app-1'] %}
{% set varnish = {'service': 'varnish'} %}
{% set buildout_dir = '` + plone + `' %}
{% set theme_dir = '` + theme + `' %}
` + seed004DeployBody)
	syncDB := strings.ReplaceAll(`{% set dev_db_servers = ['dev-db-1', 'dev-db-2'] %}
{% set prod_db_servers = ['prod-db-1', 'prod-db-2'] %}
`+seed004SyncDBBody, "'/var/run/keepalive.state'", "'"+states+"/' ~ dev_master ~ '/keepalive.state'")
	syncDB = strings.ReplaceAll(syncDB, "'"+states+"/' ~ dev_master ~ '/keepalive.state', 'BACKUP'", "'"+states+"/' ~ prod_slave ~ '/keepalive.state', 'BACKUP'")
	writeTree(t, filepath.Join(dir, "salt"), map[string]string{"orch/deploy-app.sls": deploy, "orch/sync-db.sls": syncDB})

	c := cluster(t, map[string]any{
		"auto_accept": true,
		"file_roots":  map[string]any{"base": []string{filepath.Join(dir, "salt")}},
	})
	appTools, appLog := seedStandIns(t, "systemctl", "supervisorctl", "git", "npm", "gulp")
	startWith(t, c, "app-1", appTools, map[string]any{"init": "systemd"})
	dbLogs := map[string]string{}
	for _, id := range []string{"dev-db-1", "dev-db-2", "prod-db-1", "prod-db-2"} {
		tools, log := seedStandIns(t, "rsync")
		dbLogs[id] = log
		startWith(t, c, id, tools, nil)
	}
	waitPing(t, c, "*", 5)

	// The rolling deploy: every step on the app server, in order.
	st, r := orchRun(t, c, "orch.deploy-app", `pillar={"plone": {"branch": "f5d9859"}}`)
	if r.Code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, id := range []string{"stop-app-1-varnish", "stop-app-1-instances", "checkout-code-app-1", "run-buildout-app-1", "install-gulp-app-1", "run-gulp-app-1"} {
		if _, s := stateByID(t, st, id); s.Result == nil || !*s.Result {
			t.Errorf("%s: %+v", id, s)
		}
	}
	want := []string{
		"systemctl stop varnish.service (in " + mustWd(t) + ")",
		"supervisorctl stop all (in " + mustWd(t) + ")",
		"git checkout f5d9859 (in " + plone + ")",
		"npm install --json --silent (in " + theme + ")",
		"gulp build (in " + theme + ")",
	}
	if got := logLines(t, appLog); !slices.Equal(got, want) {
		t.Errorf("app-1 ran:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The database sync: rsync runs on the last BACKUP server only, with
	// the dev master's name.
	for id, state := range map[string]string{"dev-db-1": "BACKUP", "dev-db-2": "MASTER", "prod-db-1": "BACKUP", "prod-db-2": "MASTER"} {
		writeTree(t, filepath.Join(states, id), map[string]string{"keepalive.state": "vrrp_instance VI_1 " + state + "\n"})
	}
	st, r = orchRun(t, c, "orch.sync-db")
	if r.Code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if _, s := stateByID(t, st, "sync-prod-database-to-dev"); s.Result == nil || !*s.Result || !strings.Contains(s.Comment, "prod-db-1") {
		t.Errorf("sync: %+v", s)
	}
	for id, log := range dbLogs {
		got := logLines(t, log)
		if id != "prod-db-1" {
			if len(got) != 0 {
				t.Errorf("%s ran %q", id, got)
			}
			continue
		}
		if len(got) != 1 || !strings.HasPrefix(got[0], "rsync --delete --password-file=/etc/rsyncd.password.dump /u02/prodplonedb_archives/ dump@dev-db-2::postgres_dumps") {
			t.Errorf("prod-db-1 ran %q", got)
		}
		if err := os.Remove(log); err != nil {
			t.Fatal(err)
		}
	}

	// The guard's hazard: file.search failing on a server (here its state
	// file is gone) used to come back as a truthy "ERROR: ..." string and
	// aim rsync --delete at the wrong host. Now the render fails and no
	// rsync runs anywhere.
	if err := os.Remove(filepath.Join(states, "prod-db-2", "keepalive.state")); err != nil {
		t.Fatal(err)
	}
	r = c.Ctl("run", "state.orchestrate", "orch.sync-db", "--out", "json")
	if r.Code == 0 {
		t.Errorf("sync with a failing guard: exit 0\n%s", r.Stdout)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(r.Stdout), &out)
	msg := r.Stdout + r.Stderr
	for _, s := range []string{"file.search on minion prod-db-2 failed", "File not found", "keepalive.state"} {
		if !strings.Contains(msg, s) {
			t.Errorf("failing guard: output lacks %q:\n%s", s, msg)
		}
	}
	for id, log := range dbLogs {
		if got := logLines(t, log); len(got) != 0 {
			t.Errorf("%s ran %q after a failed guard", id, got)
		}
	}
}

func mustWd(t *testing.T) string {
	t.Helper()
	// Functions without cwd run in the minion's working directory, which
	// is the test's.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// Seed 004's deploy orchestration body, as written there (indentation
// restored); the test fills in the definitions the slides elide.
const seed004DeployBody = `{%- for app_server in app_servers %}
# Stop Varnish, indirectly removing this app server from the NetScaler
stop-{{ app_server }}-varnish:
  salt.function:
    - name: service.stop
    - arg:
      - {{ varnish.service }}
    - tgt: {{ app_server }}

# Stop Instances
stop-{{ app_server }}-instances:
  salt.function:
    - name: supervisord.stop
    - arg:
      - all
    - tgt: {{ app_server }}

# Check out a specific revision
{% set branch = salt['pillar.get']('plone:branch', 'dev') %}
# to specify on the command-line: pillar='{"plone": {"branch": "f5d9859"}}'
checkout-code-{{ app_server }}:
  salt.function:
    - tgt: {{ app_server }}
    - name: git.checkout
    - kwarg:
        user: webuser
        rev: {{ branch }}
    - arg:
      - {{ buildout_dir }}

# Run the buildout on the app server, but only run the generic setup on one server
run-buildout-{{ app_server }}:
  salt.function:
    - tgt: {{ app_server }}
    - name: cmd.run
    - kwarg:
        cwd: {{ buildout_dir }}
        runas: webuser
    - arg:
      - {{ buildout_dir }}/env/bin/buildout -N

# Install Gulp bits
install-gulp-{{ app_server }}:
  salt.function:
    - name: npm.install
    - tgt: {{ app_server }}
    - kwarg:
        runas: webuser
        dir: {{ theme_dir }}

# Run the Gulp Build
run-gulp-{{ app_server }}:
  salt.function:
    - tgt: {{ app_server }}
    - name: cmd.run
    - arg:
      - gulp build
    - kwarg:
        runas: webuser
        cwd: {{ theme_dir }}
{% endfor %}
`

// Seed 004's database sync body, as written there.
const seed004SyncDBBody = `# Find the dev master db for use later
{% set ns = namespace(dev_master=None) %}
{% for dev_master in dev_db_servers
    if salt.saltutil.cmd(dev_master, 'file.search',
                        arg=['/var/run/keepalive.state', 'MASTER']).get(dev_master).get('ret') %}
{% if loop.first %}
{% set ns.dev_master = dev_master %}
{% endif %}
{% endfor %}

# Transfer Prod database
{% for prod_slave in prod_db_servers
    if salt.saltutil.cmd(prod_slave, 'file.search',
                        arg=['/var/run/keepalive.state', 'BACKUP']).get(prod_slave).get('ret') %}
{% if loop.last %}
sync-prod-database-to-dev:
  salt.function:
    - name: cmd.run
    - arg:
      - >
        rsync --delete --password-file=/etc/rsyncd.password.dump
        /u02/prodplonedb_archives/ dump@{{ ns.dev_master }}::postgres_dumps
    - tgt: {{ prod_slave }}
{% endif %}
{% endfor %}
`
