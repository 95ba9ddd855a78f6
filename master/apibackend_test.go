package master

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/proto"
)

// A cmd.run with a password, started through the API, never shows the
// password in the salt/job/<jid>/new event nor in the API's job listing
// and lookup; a user whose ACL covers the web role does not see the job,
// which ran on db1.
func TestAPIJobsRedactedAndFiltered(t *testing.T) {
	m, nc := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, map[string]any{"id": "web1", "roles": []any{"web"}})
	addMinion(t, m, "db1", proto.KeyAccepted, map[string]any{"id": "db1", "roles": []any{"db"}})
	ctx := context.Background()
	b := apiBackend{m}
	events := subscribeSync(t, nc, proto.SubjectEvent+".salt.job.>")

	const secret = "hunter2-pw"
	jid, minions, err := b.LocalAsync(ctx, "alice", "db1", "glob", "cmd.run", []any{"mysql -p" + secret + " -e 'select 1'"}, map[string]any{"env": map[string]any{"MYSQL_PWD": secret}})
	if err != nil || !reflect.DeepEqual(minions, []string{"db1"}) {
		t.Fatalf("LocalAsync: %v %v", minions, err)
	}
	ev := nextEvent(t, events)
	if ev.Tag != proto.TagJobNew(jid) || ev.Data["arg"] != "<1 args>" {
		t.Fatalf("job event = %+v", ev)
	}
	if strings.Contains(string(mustJSON(t, ev)), secret) {
		t.Fatalf("the password is in the job event: %s", mustJSON(t, ev))
	}
	// A function whose arguments are not secret shows them.
	jid2, _, err := b.LocalAsync(ctx, "alice", "G@roles:web", "compound", "test.echo", []any{"hello"}, nil)
	if err != nil {
		t.Fatal(err)
	}

	jobs, err := b.Jobs(ctx)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("Jobs = %+v, %v", jobs, err)
	}
	j, err := b.Job(ctx, jid)
	if err != nil || j.Function != "cmd.run" || j.Arguments != "<1 args>" || !reflect.DeepEqual(j.Minions, []string{"db1"}) {
		t.Fatalf("Job = %+v, %v", j, err)
	}
	if _, err := b.Job(ctx, "20000101000000000000"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("unknown job: %v", err)
	}
	if ids, err := b.Match(ctx, "G@roles:web", "compound"); err != nil || !reflect.DeepEqual(ids, []string{"web1"}) {
		t.Fatalf("Match = %v, %v", ids, err)
	}

	// Through the HTTP API.
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	srv := httptest.NewServer(api.New(&api.Config{Users: map[string]api.User{
		"webops": {Password: string(hash), ACL: []api.ACLRule{{Target: "G@roles:web", Functions: []string{"test.*", "@jobs"}}}},
	}}, b, nil).Handler())
	t.Cleanup(srv.Close)
	post := func(body string) string {
		resp, err := http.Post(srv.URL+"/login", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Return []struct{ Token string } `json:"return"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Return) != 1 {
			t.Fatalf("login %s: %d %v", body, resp.StatusCode, err)
		}
		return r.Return[0].Token
	}
	get := func(tok, path string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("X-Auth-Token", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	sig, err := m.secrets.Operator.Sign([]byte(proto.OperatorTokenMessage))
	if err != nil {
		t.Fatal(err)
	}
	op := post(`{"token": "` + base64.RawURLEncoding.EncodeToString(sig) + `"}`)
	web := post(`{"username": "webops", "password": "pw"}`)

	code, body := get(op, "/jobs")
	if code != 200 || !strings.Contains(body, jid) || !strings.Contains(body, `"Arguments":"\u003c1 args\u003e"`) || strings.Contains(body, secret) {
		t.Fatalf("operator's job listing: %d %s", code, body)
	}
	code, body = get(op, "/jobs/"+jid)
	if code != 200 || strings.Contains(body, secret) || !strings.Contains(body, `"Minions":["db1"]`) {
		t.Fatalf("operator's lookup: %d %s", code, body)
	}
	code, body = get(web, "/jobs")
	if code != 200 || strings.Contains(body, jid) || !strings.Contains(body, jid2) || !strings.Contains(body, `"Arguments":["hello"]`) {
		t.Fatalf("webops' job listing: %d %s", code, body)
	}
	if code, body = get(web, "/jobs/"+jid); code != 404 {
		t.Fatalf("webops looks up the db1 job: %d %s", code, body)
	}
}
