package master

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brine-cm/brine/highstate"
	"github.com/brine-cm/brine/pillar"
	"github.com/brine-cm/brine/states"
)

// fakeOrchestrator answers jobs from a table: ret[fun][minion].
type fakeOrchestrator struct {
	ret map[string]map[string]any

	mu   sync.Mutex
	jobs []string // "fun tgt arg kwarg"
}

func (f *fakeOrchestrator) Targets(_ context.Context, tgt, _ string) ([]string, error) {
	return strings.Split(tgt, ","), nil
}

func (f *fakeOrchestrator) Local(_ context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any, _ time.Duration) (map[string]states.OrchReturn, []string, error) {
	f.mu.Lock()
	f.jobs = append(f.jobs, fmt.Sprintf("%s %s %v %v", fun, tgt, arg, kwarg))
	f.mu.Unlock()
	out := map[string]states.OrchReturn{}
	for _, id := range strings.Split(tgt, ",") {
		v, ok := f.ret[fun][id]
		if !ok {
			v = true
		}
		if e, isErr := v.(orchErr); isErr {
			out[id] = states.OrchReturn{Return: "ERROR: " + string(e), Retcode: 254, Error: string(e)}
			continue
		}
		out[id] = states.OrchReturn{Return: v}
	}
	return out, nil, nil
}

func (f *fakeOrchestrator) Runner(context.Context, string, []any, map[string]any) (any, error) {
	return nil, nil
}

func (f *fakeOrchestrator) Wheel(context.Context, string, []any, map[string]any) (any, error) {
	return nil, nil
}

// orchErr in fakeOrchestrator.ret is a minion's error: the job's return
// is then the truthy "ERROR: ..." string a minion sends, with Error set.
type orchErr string

// Seed 004's orchestration files, as written there (indentation
// restored, the elided definitions filled in).
const seed004Deploy = `{% set app_servers = ['app-1', 'app-2'] %}
{% set varnish = {'service': 'varnish'} %}
{% set buildout_dir = '/srv/plone' %}
{% set theme_dir = '/srv/plone/src/theme' %}
{%- for app_server in app_servers %}
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

const seed004SyncDB = `{% set dev_db_servers = ['dev-db-1', 'dev-db-2'] %}
{% set prod_db_servers = ['prod-db-1', 'prod-db-2', 'prod-db-3'] %}
# Find the dev master db for use later
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

func seedOptions(t *testing.T, f states.Orchestrator, pil map[string]any) highstate.Options {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"orch/deploy.sls": seed004Deploy, "orch/sync-db.sls": seed004SyncDB} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := &orchSource{roots: pillar.Roots{"base": {dir}}, o: f, pillar: pil}
	return highstate.Options{Saltenv: "base", Source: src, Env: &states.Env{ID: orchID, Pillar: pil, Orchestrator: f}}
}

func TestSeed004RollingDeploy(t *testing.T) {
	f := &fakeOrchestrator{}
	o := seedOptions(t, f, map[string]any{"plone": map[string]any{"branch": "f5d9859"}})
	data, rc := orchestrate(context.Background(), o, []string{"orch.deploy"})
	res, ok := data.(map[string]highstate.Result)
	if !ok || rc != 0 {
		t.Fatalf("retcode %d, data %v", rc, data)
	}
	if len(res) != 12 {
		t.Errorf("%d states, want 12", len(res))
	}
	var want []string
	for _, app := range []string{"app-1", "app-2"} {
		want = append(want,
			"service.stop "+app+" [varnish] map[]",
			"supervisord.stop "+app+" [all] map[]",
			"git.checkout "+app+" [/srv/plone] map[rev:f5d9859 user:webuser]",
			"cmd.run "+app+" [/srv/plone/env/bin/buildout -N] map[cwd:/srv/plone runas:webuser]",
			"npm.install "+app+" [] map[dir:/srv/plone/src/theme runas:webuser]",
			"cmd.run "+app+" [gulp build] map[cwd:/srv/plone/src/theme runas:webuser]",
		)
	}
	if !slices.Equal(f.jobs, want) {
		t.Errorf("jobs:\n%s\nwant:\n%s", strings.Join(f.jobs, "\n"), strings.Join(want, "\n"))
	}
	for k, r := range res {
		if r.Result == nil || !*r.Result {
			t.Errorf("%s: %+v", k, r)
		}
	}
	// without the pillar, the branch defaults to dev
	f = &fakeOrchestrator{}
	if _, rc := orchestrate(context.Background(), seedOptions(t, f, map[string]any{}), []string{"orch.deploy"}); rc != 0 ||
		!strings.Contains(f.jobs[2], "rev:dev") {
		t.Errorf("retcode %d, jobs %v", rc, f.jobs)
	}
}

func TestSeed004DatabaseSync(t *testing.T) {
	f := &fakeOrchestrator{ret: map[string]map[string]any{"file.search": {
		"dev-db-1": false, "dev-db-2": true, "prod-db-1": true, "prod-db-2": true, "prod-db-3": false,
	}}}
	o := seedOptions(t, f, map[string]any{})
	data, rc := orchestrate(context.Background(), o, []string{"orch.sync-db"})
	res, ok := data.(map[string]highstate.Result)
	if !ok || rc != 0 || len(res) != 1 {
		t.Fatalf("retcode %d, data %v", rc, data)
	}
	// the template asked each server, then the sync ran on the last
	// backup with the dev master's address
	wantJobs := []string{
		"file.search dev-db-1 [/var/run/keepalive.state MASTER] map[]",
		"file.search dev-db-2 [/var/run/keepalive.state MASTER] map[]",
		"file.search prod-db-1 [/var/run/keepalive.state BACKUP] map[]",
		"file.search prod-db-2 [/var/run/keepalive.state BACKUP] map[]",
		"file.search prod-db-3 [/var/run/keepalive.state BACKUP] map[]",
		"cmd.run prod-db-2 [rsync --delete --password-file=/etc/rsyncd.password.dump /u02/prodplonedb_archives/ dump@dev-db-2::postgres_dumps\n] map[]",
	}
	if !slices.Equal(f.jobs, wantJobs) {
		t.Errorf("jobs:\n%q\nwant:\n%q", f.jobs, wantJobs)
	}
	r := res[highstate.Tag("salt", "sync-prod-database-to-dev", "cmd.run", "function")]
	if r.Result == nil || !*r.Result || !strings.Contains(r.Comment, "Function cmd.run ran on prod-db-2.") {
		t.Errorf("sync: %+v", r)
	}
}

// The guard of seed 004 must not take a minion's error for a match: a
// file.search the minion does not have (or that raised) fails the render,
// so the destructive rsync is never started, on any host.
func TestSeed004GuardErrorFailsRender(t *testing.T) {
	for name, ret := range map[string]map[string]any{
		"not available": {"dev-db-1": orchErr("'file.search' is not available."), "dev-db-2": orchErr("'file.search' is not available.")},
		"minion error":  {"dev-db-1": false, "dev-db-2": true, "prod-db-1": orchErr("file.search: [Errno 13] Permission denied: '/var/run/keepalive.state'")},
	} {
		f := &fakeOrchestrator{ret: map[string]map[string]any{"file.search": ret}}
		data, rc := orchestrate(context.Background(), seedOptions(t, f, map[string]any{}), []string{"orch.sync-db"})
		lines, ok := data.([]string)
		msg := strings.Join(lines, "\n")
		if rc != 1 || !ok || !strings.Contains(msg, "salt['saltutil.cmd']: file.search on minion ") || !strings.Contains(msg, "failed") {
			t.Errorf("%s: retcode %d, data %v", name, rc, data)
		}
		for _, j := range f.jobs {
			if strings.HasPrefix(j, "cmd.run") {
				t.Errorf("%s: the sync ran: %q", name, j)
			}
		}
	}
}

// A step failing, a missing SLS and a compile error make retcode 1.
func TestOrchestrateRetcode(t *testing.T) {
	f := &fakeOrchestrator{ret: map[string]map[string]any{"service.stop": {"app-2": false}}}
	data, rc := orchestrate(context.Background(), seedOptions(t, f, map[string]any{}), []string{"orch.deploy"})
	res := data.(map[string]highstate.Result)
	if rc != 1 {
		t.Errorf("retcode %d", rc)
	}
	if r := res[highstate.Tag("salt", "stop-app-2-varnish", "service.stop", "function")]; r.Result == nil || *r.Result {
		t.Errorf("stop-app-2-varnish: %+v", r)
	}
	data, rc = orchestrate(context.Background(), seedOptions(t, f, nil), []string{"orch.nope"})
	if lines, ok := data.([]string); rc != 1 || !ok || !strings.Contains(strings.Join(lines, "\n"), "orch.nope") {
		t.Errorf("missing sls: %d %v", rc, data)
	}
	// orchMods moved with the state.orchestrate runner: runners/state_test.go.
}
