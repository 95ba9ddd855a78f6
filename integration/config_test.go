package integration

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// TestSaltConfigPorts: a master config written for Salt starts as written:
// salt-api's rest_cherrypy: serves the API (webhook_disable_auth: hooks
// without auth), custom options from the file and a master.d drop-in reach
// pillar templates, and a minion's custom option from minion.d reaches its
// state templates. The custom options are logged once at start and what
// Brine cannot honour is named in a warning.
func TestSaltConfigPorts(t *testing.T) {
	t.Parallel()
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	pillarDir, saltDir := t.TempDir(), t.TempDir()
	writeTree(t, pillarDir, map[string]string{
		"top.sls":  "base:\n  '*':\n    - opts\n",
		"opts.sls": "github_user: {{ opts['github']['user'] }}\nregion: {{ salt['config.get']('ec2.autoscale:region') }}\n",
	})
	writeTree(t, saltDir, map[string]string{
		"who.sls": "deploy-as-{{ salt['config.get']('deploy_user') }}:\n  test.nop: []\n",
	})
	c := testutil.NewCluster(t, binDir)
	writeTree(t, c.Dir, map[string]string{
		"master.d/50-autoscale.conf": "ec2.autoscale:\n  region: eu-west-1\n",
		"minion.d/50-deploy.conf":    "deploy_user: bob\n",
	})
	for k, v := range map[string]any{
		"auto_accept":  true,
		"pillar_roots": map[string]any{"base": []any{pillarDir}},
		"file_roots":   map[string]any{"base": []any{saltDir}},
		"github":       map[string]any{"user": "ci-bot"},
		"rest_cherrypy": map[string]any{
			"port": port, "host": "127.0.0.1", "disable_ssl": true,
			"webhook_disable_auth": true, "thread_pool": 50,
		},
	} {
		c.MasterConfig[k] = v
	}
	c.StartMaster()
	c.StartMinion(c.MinionConfig("cfg-1", nil))
	waitPing(t, c, "*", 1)

	m, r := ctlJSON(t, c, "pillar.items", "cfg-1")
	p, _ := m["cfg-1"].(map[string]any)
	if r.Code != 0 || p["github_user"] != "ci-bot" || p["region"] != "eu-west-1" {
		t.Errorf("pillar.items: exit %d, %v (stderr %s)", r.Code, m, r.Stderr)
	}
	show := c.Ctl("state.show_sls", "cfg-1", "who", "--out", "json")
	if show.Code != 0 || !strings.Contains(show.Stdout, "deploy-as-bob") {
		t.Errorf("state.show_sls: exit %d, %s %s", show.Code, show.Stdout, show.Stderr)
	}

	ev := c.StartCtl("events", "salt/netapi/hook/*")
	n := 0
	testutil.Eventually(t, 20*time.Second, "the unauthenticated hook event", func() bool {
		n++ // a new body each try
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/hook/anything", port), "application/json", strings.NewReader(fmt.Sprintf(`{"try": %d}`, n)))
		if err != nil {
			t.Fatalf("POST hook: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("hook: %d", resp.StatusCode)
		}
		return strings.Contains(ev.Output(), `"tag":"salt/netapi/hook/anything"`)
	})

	out := c.Master.Output()
	if strings.Count(out, "custom options") != 1 || !strings.Contains(out, "ec2.autoscale github") {
		t.Errorf("master log does not name the custom options once:\n%s", out)
	}
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "thread_pool") {
		t.Errorf("master log does not warn about thread_pool:\n%s", out)
	}
	if mo := c.Minions["cfg-1"].Output(); !strings.Contains(mo, "custom options") || !strings.Contains(mo, "deploy_user") {
		t.Errorf("minion log does not name its custom option:\n%s", mo)
	}
}

// TestConfigErrorsStopAtStart: a near miss, api and rest_cherrypy both, and
// an error in a drop-in stop the master with exit 2, naming the file (the
// drop-in), the line and the key.
func TestConfigErrorsStopAtStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		files   map[string]string
		wantIn  string // file the error names
		wantMsg string
	}{
		{"near miss", map[string]string{"master.yaml": "file_root:\n  base: [/srv/salt]\n"},
			"master.yaml", `line 1: unknown key "file_root" (did you mean "file_roots"?)`},
		{"api and rest_cherrypy", map[string]string{"master.yaml": "api:\n  listen: 127.0.0.1:1\n", "master.d/api.conf": "\nrest_cherrypy:\n  port: 1\n  disable_ssl: true\n"},
			"master.d/api.conf", "line 2: rest_cherrypy: give api: or rest_cherrypy:"},
		{"drop-in type", map[string]string{"master.yaml": "auto_accept: true\n", "master.d/jobs.conf": "keep_jobs: soon\n"},
			"master.d/jobs.conf", `line 1: "keep_jobs" must be a number, not the text "soon"`},
	} {
		dir := t.TempDir()
		writeTree(t, dir, tc.files)
		path := filepath.Join(dir, "master.yaml")
		r, took := runTimed(t, "master", "-c", path, "--root-dir", filepath.Join(dir, "root"))
		want := filepath.Join(dir, tc.wantIn) + " " + tc.wantMsg
		if r.Code != 2 || !strings.Contains(r.Stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, r.Code, r.Stderr, want)
		}
		if took > 10*time.Second {
			t.Errorf("%s: took %v", tc.name, took)
		}
	}
}
