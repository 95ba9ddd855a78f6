package integration

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// Seed 003's deploy pipeline: a GitHub push webhook, verified by the API,
// fires salt/netapi/hook/deploy/<role>; the reactor runs state.sls
// <role>.deploy in saltenv prod on the minions with that role. Forged,
// unsigned and altered requests change nothing.
func TestGitHubDeployReactor(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "prod", "web", "deploy.sls"), `deployed:
  file.managed:
    - name: `+out+`/{{ grains['id'] }}
    - makedirs: True
    - contents: deployed by {{ saltenv }}
`)
	write(filepath.Join(dir, "reactor", "code-deploy.sls"), `{% set target = tag.split('/')[-1] %}
github_webhook_deploy:
  local.state.sls:
    - tgt: 'roles:{{ target }}'
    - expr_form: grain
    - arg:
      - {{ target }}.deploy
      - prod
`)
	write(filepath.Join(dir, "reactor", "ci.sls"), `ci_ping:
  local.test.ping:
    - tgt: web-1
`)
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{
		"auto_accept": true,
		"file_roots":  map[string]any{"base": []string{filepath.Join(dir, "base")}, "prod": []string{filepath.Join(dir, "prod")}},
		"reactor": []any{
			map[string]any{"salt/netapi/hook/deploy/*": []string{filepath.Join(dir, "reactor", "code-deploy.sls")}},
			map[string]any{"salt/netapi/hook/ci/*": []string{filepath.Join(dir, "reactor", "ci.sls")}},
		},
		"api": map[string]any{
			"listen": fmt.Sprintf("127.0.0.1:%d", port),
			"hooks": []any{
				map[string]any{"path": "deploy/*", "auth": "github", "secret": "s3cret"},
				map[string]any{"path": "ci/*", "auth": "token", "secret": "t0ken"},
			},
		},
	})
	c.StartMinion(c.MinionConfig("web-1", map[string]any{"roles": []any{"web"}}))
	c.StartMinion(c.MinionConfig("db-1", map[string]any{"roles": []any{"db"}}))
	waitPing(t, c, "*", 2)
	ev := c.StartCtl("events")
	testutil.Eventually(t, 20*time.Second, "ctl events to follow the bus", func() bool {
		c.Ctl("test.ping", "db-1")
		return strings.Contains(ev.Output(), `"tag":"salt/job/`)
	})
	hook := func(path string, body []byte, hdr map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/hook/%s", port, path), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := []byte(`{"ref": "refs/heads/main", "after": "f5d9859"}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))

	// Forged, unsigned and altered requests first: refused, and (checked
	// after a barrier below) nothing deployed.
	altered := bytes.Replace(body, []byte("f5d9859"), []byte("f5d9858"), 1)
	for name, tc := range map[string]struct {
		body []byte
		hdr  map[string]string
	}{
		"wrong signature": {body, map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("ab", 32)}},
		"no signature":    {body, nil},
		"altered body":    {altered, map[string]string{"X-Hub-Signature-256": sig}},
	} {
		if code := hook("deploy/web", tc.body, tc.hdr); code != 403 {
			t.Errorf("%s: status %d", name, code)
		}
	}
	// Barrier: a reaction to a later event has run.
	if code := hook("ci/build", []byte(`{}`), map[string]string{"X-Brine-Token": "t0ken"}); code != 200 {
		t.Fatalf("ci hook: %d", code)
	}
	testutil.Eventually(t, 20*time.Second, "the barrier reaction's job", func() bool {
		return strings.Contains(ev.Output(), `"fun":"test.ping","jid"`) || strings.Contains(ev.Output(), `"tag":"brine/reactor/ci_ping/result"`)
	})
	if strings.Contains(ev.Output(), `"fun":"state.sls"`) {
		t.Fatal("a refused webhook started a deploy")
	}
	if _, err := os.Stat(filepath.Join(out, "web-1")); err == nil {
		t.Fatal("deployed without a valid signature")
	}

	// The signed push deploys to the web role only.
	if code := hook("deploy/web", body, map[string]string{"X-Hub-Signature-256": sig, "X-GitHub-Event": "push"}); code != 200 {
		t.Fatalf("signed hook: %d", code)
	}
	testutil.Eventually(t, 30*time.Second, "web-1 deployed", func() bool {
		b, err := os.ReadFile(filepath.Join(out, "web-1"))
		return err == nil && string(b) == "deployed by prod\n" || err == nil && string(b) == "deployed by prod"
	})
	if _, err := os.Stat(filepath.Join(out, "db-1")); err == nil {
		t.Error("db-1 was deployed to")
	}
	testutil.Eventually(t, 10*time.Second, "the reaction's result event", func() bool {
		return strings.Contains(ev.Output(), `"tag":"brine/reactor/github_webhook_deploy/result"`)
	})
}
