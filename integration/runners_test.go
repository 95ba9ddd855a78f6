package integration

import (
	"strings"
	"testing"
)

// ctl run doc.runner and doc.wheel list the registered functions with
// their docs; an unknown runner fails clearly with a non-zero exit.
func TestRunnerDocs(t *testing.T) {
	c := cluster(t, nil)
	docs, r := ctlJSON(t, c, "run", "doc.runner", "jobs")
	if r.Code != 0 || len(docs) != 2 || !strings.Contains(docs["jobs.lookup_jid"].(string), "ctl run jobs.lookup_jid") || docs["jobs.list_jobs"] == nil {
		t.Fatalf("doc.runner jobs: exit %d %v %s", r.Code, docs, r.Stderr)
	}
	all, r := ctlJSON(t, c, "run", "doc.runner")
	for _, fun := range []string{"manage.up", "mine.get", "state.orchestrate", "doc.runner", "doc.wheel"} {
		if d, _ := all[fun].(string); d == "" {
			t.Errorf("doc.runner lacks %s: exit %d %s", fun, r.Code, r.Stderr)
		}
	}
	wheel, r := ctlJSON(t, c, "run", "doc.wheel")
	if r.Code != 0 || len(wheel) != 5 || wheel["key.accept"] == nil {
		t.Errorf("doc.wheel: exit %d %v %s", r.Code, wheel, r.Stderr)
	}
	if r := c.Ctl("run", "doc.runner", "key.accept"); r.Code == 0 || !strings.Contains(r.Stderr, `no runner function matches "key.accept"`) {
		t.Errorf("doc.runner of a wheel function: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := c.Ctl("run", "nosuch.fun"); r.Code == 0 || !strings.Contains(r.Stderr, `runner "nosuch.fun" is not available`) {
		t.Errorf("unknown runner: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := c.Ctl("run", "doc.runner", "manage.present"); r.Code != 0 || !strings.Contains(r.Stdout, "manage.present") || !strings.Contains(r.Stdout, "without pinging") {
		t.Errorf("doc.runner manage.present, default output: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
}
