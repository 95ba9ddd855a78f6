package integration

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// A cmd.run carrying a password, run by ctl and by a reaction, never shows
// the password in the events (salt/job/<jid>/new, the reaction's result),
// in the API's job listing and lookup, in the master's log nor in the
// minion's log (both at debug level): cmd.run declares its arguments
// secret where it registers.
func TestSecretArgsNeverShown(t *testing.T) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	secret := "pw-" + hex.EncodeToString(b)
	dir := t.TempDir()
	reaction := filepath.Join(dir, "reactor", "backup.sls")
	if err := os.MkdirAll(filepath.Dir(reaction), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reaction, []byte(`backup:
  local.cmd.run:
    - tgt: db-1
    - arg:
      - test -n '`+secret+`' && echo reacted
    - kwarg:
        env:
          MYSQL_PWD: `+secret+`
`), 0o644); err != nil {
		t.Fatal(err)
	}
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	c := cluster(t, map[string]any{
		"auto_accept": true,
		"reactor":     []any{map[string]any{"salt/netapi/hook/backup": []string{reaction}}},
		"api": map[string]any{
			"listen": fmt.Sprintf("127.0.0.1:%d", port),
			"hooks":  []any{map[string]any{"path": "backup", "auth": "token", "secret": "t0ken"}},
		},
	})
	minion := c.StartMinion(c.MinionConfig("db-1", map[string]any{"roles": []any{"db"}}))
	waitPing(t, c, "*", 1)
	ev := c.StartCtl("events")
	testutil.Eventually(t, 20*time.Second, "ctl events to follow the bus", func() bool {
		c.Ctl("test.ping", "db-1")
		return strings.Contains(ev.Output(), `"tag":"salt/job/`)
	})

	// By ctl: the operator gets the command's output.
	r := c.Ctl("cmd.run", "db-1", "test -n '"+secret+"' && echo ran", "--out", "json")
	if r.Code != 0 || !strings.Contains(r.Stdout, `"ran"`) {
		t.Fatalf("cmd.run: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	// By a reaction to a webhook.
	req, _ := http.NewRequest("POST", base+"/hook/backup", strings.NewReader(`{}`))
	req.Header.Set("X-Brine-Token", "t0ken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("hook: %d", resp.StatusCode)
	}
	testutil.Eventually(t, 30*time.Second, "the reaction's job and result", func() bool {
		out := ev.Output()
		return strings.Contains(out, `"tag":"brine/reactor/backup/result"`) && strings.Count(out, `"fun":"cmd.run"`) >= 4
	})

	// The API's job listing and lookups, as the operator sees them.
	tok := c.Ctl("api-token")
	if tok.Code != 0 {
		t.Fatalf("api-token: %s", tok.Stderr)
	}
	resp, err = http.Post(base+"/login", "application/json", strings.NewReader(`{"token": "`+strings.TrimSpace(tok.Stdout)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Return []struct{ Token string } `json:"return"`
	}
	err = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if err != nil || len(login.Return) != 1 {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("X-Auth-Token", login.Return[0].Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	list := get("/jobs")
	var jobs struct {
		Return []map[string]struct{ Function string } `json:"return"`
	}
	if err := json.Unmarshal([]byte(list), &jobs); err != nil || len(jobs.Return) != 1 {
		t.Fatalf("job listing %s: %v", list, err)
	}
	var cmdJobs []string
	for jid, j := range jobs.Return[0] {
		if j.Function == "cmd.run" {
			cmdJobs = append(cmdJobs, jid)
		}
	}
	if len(cmdJobs) != 2 || !strings.Contains(list, `"Arguments":"\u003c1 args\u003e"`) {
		t.Fatalf("cmd.run jobs %v in the listing %s", cmdJobs, list)
	}
	shown := map[string]string{"the API's job listing": list, "ctl events": ev.Output()}
	for _, jid := range cmdJobs {
		body := get("/jobs/" + jid)
		if !strings.Contains(body, `"db-1"`) {
			t.Fatalf("lookup of %s: %s", jid, body)
		}
		shown["the API's lookup of "+jid] = body
	}
	shown["the minion's log"] = minion.Output()
	shown["the master's log"] = c.Master.Output()
	if !strings.Contains(minion.Output(), "executing command") {
		t.Fatalf("the minion's log does not show its commands at all:\n%s", minion.Output())
	}
	for where, s := range shown {
		if strings.Contains(s, secret) {
			t.Errorf("the password is in %s:\n%s", where, s)
		}
	}
}
