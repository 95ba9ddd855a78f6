package integration

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// The HTTP API against the real master: operator-token login, a lowstate
// job, minions, and GitHub-signed webhooks that fire events only when the
// signature holds.
func TestAPI(t *testing.T) {
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	c := cluster(t, map[string]any{
		"auto_accept": true,
		"api": map[string]any{
			"listen": fmt.Sprintf("127.0.0.1:%d", port),
			"hooks": []any{
				map[string]any{"path": "deploy/*", "auth": "github", "secret": "s3cret"},
				map[string]any{"path": "ci/*", "auth": "token", "secret": "t0ken"},
			},
		},
	})
	c.StartMinion(c.MinionConfig("api-1", map[string]any{"roles": []any{"web"}}))
	waitPing(t, c, "*", 1)

	tok := c.Ctl("api-token")
	if tok.Code != 0 {
		t.Fatalf("api-token: %s", tok.Stderr)
	}
	post := func(path string, body []byte, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/login", []byte(`{"token": "`+strings.TrimSpace(tok.Stdout)+`"}`), nil)
	if code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	var login struct {
		Return []struct {
			Token string `json:"token"`
		} `json:"return"`
	}
	if err := json.Unmarshal([]byte(body), &login); err != nil || len(login.Return) != 1 {
		t.Fatalf("login reply %s: %v", body, err)
	}
	auth := map[string]string{"X-Auth-Token": login.Return[0].Token}
	if code, _ := post("/login", []byte(`{"token": "forged"}`), nil); code != 401 {
		t.Errorf("forged operator token: %d", code)
	}
	code, body = post("/", []byte(`[{"client": "local", "tgt": "api-*", "fun": "test.ping"}]`), auth)
	if code != 200 || !strings.Contains(body, `"api-1":true`) {
		t.Errorf("lowstate: %d %s", code, body)
	}
	if code, _ := post("/", []byte(`[{"client": "local", "tgt": "*", "fun": "test.ping"}]`), nil); code != 401 {
		t.Errorf("no token: %d", code)
	}

	ev := c.StartCtl("events", "*/hook/*")
	payload := []byte(`{"ref": "refs/heads/main", "repository": {"name": "web"}}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(payload)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	n := 0
	testutil.Eventually(t, 20*time.Second, "the hook event", func() bool {
		// Each try is a new delivery: the API fires a replayed one only once.
		n++
		p := []byte(fmt.Sprintf(`{"ref": "refs/heads/main", "repository": {"name": "web"}, "try": %d}`, n))
		m := hmac.New(sha256.New, []byte("s3cret"))
		m.Write(p)
		if code, body := post("/hook/deploy/web", p, map[string]string{"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(m.Sum(nil)), "X-GitHub-Event": "push"}); code != 200 {
			t.Fatalf("signed hook: %d %s", code, body)
		}
		return strings.Contains(ev.Output(), `"tag":"salt/netapi/hook/deploy/web"`)
	})
	if !strings.Contains(ev.Output(), `"name":"web"`) {
		t.Errorf("hook event lacks the parsed body: %s", ev.Output())
	}
	altered := append([]byte{}, payload...)
	altered[len(altered)-3] = 'X'
	for name, hdr := range map[string]map[string]string{
		"wrong signature": {"X-Hub-Signature-256": "sha256=" + strings.Repeat("0", 64)},
		"no signature":    {},
	} {
		if code, _ := post("/hook/deploy/web", payload, hdr); code != 403 {
			t.Errorf("%s: %d", name, code)
		}
	}
	if code, _ := post("/hook/deploy/web", altered, map[string]string{"X-Hub-Signature-256": sig}); code != 403 {
		t.Errorf("altered body: %d", code)
	}
	if code, _ := post("/hook/ci/build", []byte(`{}`), map[string]string{"X-Brine-Token": "t0ken"}); code != 200 {
		t.Errorf("token hook: %d", code)
	}
	if code, _ := post("/hook/other/x", []byte(`{}`), nil); code != 404 {
		t.Errorf("unconfigured hook: %d", code)
	}
	testutil.Eventually(t, 10*time.Second, "rejection audit events", func() bool {
		return strings.Count(ev.Output(), `"tag":"brine/api/hook/rejected"`) >= 3
	})
	if n := strings.Count(ev.Output(), `"tag":"salt/netapi/hook/deploy/web"`); n < 1 || strings.Contains(ev.Output(), "s3cret") {
		t.Errorf("events: %d deploy hooks; secret leaked: %v", n, strings.Contains(ev.Output(), "s3cret"))
	}
}
