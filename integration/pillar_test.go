package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/internal/testutil"
	"github.com/brine-cm/brine/proto"
)

// TestPillarIsolation: a pillar the top file assigns to one minion reaches
// that minion only. Another minion sees nothing of it through ctl, cannot
// ask the master for it on the bus, and the value shows in neither the
// master's log nor the event bus.
func TestPillarIsolation(t *testing.T) {
	t.Parallel()
	secret := fmt.Sprintf("s3cr3t-%d", time.Now().UnixNano())
	pillarDir := t.TempDir()
	writeTree(t, pillarDir, map[string]string{
		"top.sls": `base:
  '*':
    - common
    - app
  'pa':
    - secret
`,
		// A pillar package including its parts relatively, as in Salt.
		"app/init.sls": `include:
  - .defaults
app:
  name: shop
`,
		"app/defaults.sls": `app:
  name: default
  port: 8080
`,
		"common.sls": `site: brine.example
db:
  host: db.example
  port: 5432
`,
		"secret.sls": `db:
  password: ` + secret + `
api_token: token-{{ grains['id'] }}-` + secret + `
`,
	})
	c := cluster(t, map[string]any{"auto_accept": true, "pillar_roots": map[string]any{"base": []any{pillarDir}}})
	ev := c.StartCtl("events")
	c.StartMinion(c.MinionConfig("pa", nil))
	c.StartMinion(c.MinionConfig("pb", nil))
	waitPing(t, c, "*", 2)

	items := func(id string) (map[string]any, testutil.Result) {
		t.Helper()
		m, r := ctlJSON(t, c, "pillar.items", id)
		p, _ := m[id].(map[string]any)
		return p, r
	}
	pa, r := items("pa")
	db, _ := pa["db"].(map[string]any)
	if r.Code != 0 || db["password"] != secret || db["host"] != "db.example" || pa["api_token"] != "token-pa-"+secret {
		t.Fatalf("pillar.items pa: exit %d, %v", r.Code, pa)
	}
	pb, r := items("pb")
	if app, _ := pb["app"].(map[string]any); app["name"] != "shop" || app["port"] != 8080.0 {
		t.Errorf("pillar app (relative include of .defaults from app/init.sls): %v", pb["app"])
	}
	db, _ = pb["db"].(map[string]any)
	if r.Code != 0 || pb["site"] != "brine.example" || db["host"] != "db.example" || db["port"] != 5432.0 {
		t.Fatalf("pillar.items pb: exit %d, %v", r.Code, pb)
	}
	if _, ok := db["password"]; ok || pb["api_token"] != nil {
		t.Errorf("pb has pa's secret pillar: %v", pb)
	}
	// Asking the whole fleet shows each its own.
	r = c.Ctl("pillar.items", "*", "--out", "json")
	var all map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &all); err != nil || r.Code != 0 || len(all) != 2 {
		t.Fatalf("pillar.items '*': exit %d, %s", r.Code, r.Stdout)
	}
	if b, _ := json.Marshal(all["pb"]); strings.Contains(string(b), secret) {
		t.Errorf("pb's pillar holds the secret: %s", b)
	}
	// pillar.get and pillar.raw on pb: nothing of the secret either.
	m, r := ctlJSON(t, c, "pillar.get", "pb", "db:password", "default=none")
	if r.Code != 0 || m["pb"] != "none" {
		t.Errorf("pillar.get pb db:password: exit %d, %v", r.Code, m)
	}
	m, r = ctlJSON(t, c, "pillar.get", "pa", "db:password")
	if r.Code != 0 || m["pa"] != secret {
		t.Errorf("pillar.get pa db:password: exit %d, %v", r.Code, m)
	}
	if r := c.Ctl("pillar.raw", "pb", "--out", "json"); r.Code != 0 || strings.Contains(r.Stdout, secret) {
		t.Errorf("pillar.raw pb: exit %d, %s", r.Code, r.Stdout)
	}
	// Pillar targeting works from the master's cache, without leaking it.
	if got := jsonIDs(t, c.Ctl("test.ping", "-I", "db:password:*", "--out", "json")); strings.Join(got, ",") != "pa" {
		t.Errorf("-I db:password: %v", got)
	}

	// pb's own identity on the bus: it gets its own pillar, and may not even
	// ask for pa's.
	c.StopMinion("pb")
	seed, err := os.ReadFile(filepath.Join(minionRoot(c, "pb"), "pki", "minion.nk"))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	var rg *rogue
	testutil.Eventually(t, 10*time.Second, "a client with pb's key to connect", func() bool {
		rg, err = connectRogue(c.URL(), "pb", pub, kp.Sign)
		return err == nil
	})
	defer rg.nc.Close()
	req, _ := json.Marshal(proto.PillarRequest{})
	msg, err := rg.nc.Request(proto.MinionRequestSubject("pb", proto.ReqPillar), req, 10*time.Second)
	if err != nil {
		t.Fatalf("pb asking for its own pillar: %v", err)
	}
	var own proto.PillarReply
	if err := json.Unmarshal(msg.Data, &own); err != nil || own.Pillar["site"] != "brine.example" {
		t.Errorf("pb's own pillar: %s (%v)", msg.Data, err)
	}
	if strings.Contains(string(msg.Data), secret) {
		t.Errorf("pb's own pillar holds the secret: %s", msg.Data)
	}
	rg.noViolation(t, "asking for its own pillar")
	if msg, err := rg.nc.Request(proto.MinionRequestSubject("pa", proto.ReqPillar), req, time.Second); err == nil {
		t.Errorf("pb got an answer to pa's pillar request: %s", msg.Data)
	}
	rg.expectViolation(t, "Publish", proto.MinionRequestSubject("pa", proto.ReqPillar))
	if err := rg.nc.Publish(proto.MinionRequestSubject("pa", proto.ReqPillar), req); err != nil {
		t.Fatal(err)
	}
	rg.expectViolation(t, "Publish", proto.MinionRequestSubject("pa", proto.ReqPillar))
	// Nor listen for the replies to pa's requests.
	if _, err := rg.nc.SubscribeSync(proto.MinionInbox("pa") + ".>"); err != nil {
		t.Fatal(err)
	}
	rg.expectViolation(t, "Subscription", proto.MinionInbox("pa")+".>")

	// The operator runs a state with the secret in it: the events still do
	// not carry it.
	if r := c.Ctl("saltutil.refresh_pillar", "pa"); r.Code != 0 {
		t.Errorf("refresh_pillar pa: exit %d %s", r.Code, r.Stderr)
	}
	testutil.Eventually(t, 20*time.Second, "the events of the jobs above", func() bool {
		return strings.Contains(ev.Output(), `"fun":"saltutil.refresh_pillar"`) && strings.Contains(ev.Output(), `/ret/pa"`)
	})
	if strings.Contains(ev.Output(), secret) {
		t.Errorf("the secret is on the event bus:\n%s", ev.Output())
	}
	if strings.Contains(c.Master.Output(), secret) {
		t.Errorf("the secret is in the master's log")
	}

	// A pillar render error on pa: its pillar is refused whole, and neither
	// the error nor the log quote the secret.
	writeTree(t, pillarDir, map[string]string{"secret.sls": `db:
  password: ` + secret + `
broken: {{ grains['id'] }
`})
	m, r = ctlJSON(t, c, "pillar.items", "pa")
	msgText := fmt.Sprint(m["pa"])
	if r.Code != 1 || !strings.Contains(msgText, "secret") || strings.Contains(msgText, "brine.example") {
		t.Errorf("pillar.items pa with a broken secret.sls: exit %d, %v", r.Code, m)
	}
	if strings.Contains(msgText, secret) || strings.Contains(c.Master.Output(), secret) {
		t.Errorf("the render error shows the secret: %s", msgText)
	}
}
