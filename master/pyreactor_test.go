package master

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/highstate"
	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/reactor"
	"github.com/brine-cm/brine/render"
)

func TestPyReactorStartCheck(t *testing.T) {
	if _, err := pyrender.FindPython(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newPyReactor(ctx, slog.New(slog.DiscardHandler), "", nil)
	rules := []reactor.Rule{{Pattern: "a/*", Files: []string{"ok.sls", "yaml.sls", "missing.sls"}}, {Pattern: "b", Files: []string{"bad.sls"}}}
	files := render.MapLoader{
		"ok.sls":   "#!py\ndef run():\n    return {'x': data['needs-an-event']}\n",
		"yaml.sls": "{% if data['act'] == 'pend' %}\naccept:\n  wheel.key.accept:\n    - match: {{ data['id'] }}\n{% endif %}\n",
		"bad.sls":  "#!py\n\ndef run(:\n    pass\n",
	}
	cfg := reactor.Config{Loader: files}
	err := p.check(ctx, rules, cfg)
	if err == nil || !strings.Contains(err.Error(), "bad.sls:3") || !strings.Contains(err.Error(), "SyntaxError") {
		t.Fatalf("check: %v", err)
	}
	delete(files, "bad.sls")
	if err := p.check(ctx, rules, cfg); err != nil {
		t.Fatalf("check of good files: %v", err)
	}
	// a Jinja/YAML reactor file's syntax error stops the start too
	files["yaml.sls"] = "{% if data['act'] == 'pend' %}\naccept:\n  wheel.key.accept: []\n"
	if err := p.check(ctx, rules, cfg); err == nil || !strings.HasPrefix(err.Error(), "yaml.sls:1: jinja: Jinja syntax error") {
		t.Fatalf("check of an unclosed if: %v", err)
	}
	// config.get over the options, for __salt__ in reactors
	got, err := optsGet(map[string]any{"github": map[string]any{"webhook-key": "k"}}, []any{"github:webhook-key"}, nil)
	if err != nil || got != "k" {
		t.Errorf("optsGet %v %v", got, err)
	}
	if got, _ := optsGet(map[string]any{}, []any{"nope", "dflt"}, nil); got != "dflt" {
		t.Errorf("default %v", got)
	}
}

// A #!py orchestration: __salt__['saltutil.cmd'] reaches the minions, and
// a minion's error raises in Python and fails the render, as in Jinja.
func TestOrchestratePy(t *testing.T) {
	if _, err := pyrender.FindPython(); err != nil {
		t.Skip(err)
	}
	const guard = `#!py
def run():
    ret = {}
    for host in ['prod-db-1', 'prod-db-2']:
        found = __salt__['saltutil.cmd'](host, 'file.search', arg=['/var/run/keepalive.state', 'BACKUP'])
        if found.get(host, {}).get('ret'):
            ret['sync-from-' + host] = {'salt.function': [{'name': 'cmd.run'}, {'tgt': host}, {'arg': ['rsync ' + __pillar__['dest']]}]}
    return ret
`
	f := &fakeOrchestrator{ret: map[string]map[string]any{"file.search": {"prod-db-1": false, "prod-db-2": true}}}
	o := seedOptions(t, f, map[string]any{"dest": "dev-db-2::dumps"})
	writeGuard := func(o highstate.Options) {
		p := filepath.Join(o.Source.(*orchSource).roots["base"][0], "orch", "guard.sls")
		if err := os.WriteFile(p, []byte(guard), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeGuard(o)
	data, rc := orchestrate(context.Background(), o, []string{"orch.guard"})
	if rc != 0 {
		t.Fatalf("retcode %d: %v", rc, data)
	}
	want := []string{
		"file.search prod-db-1 [/var/run/keepalive.state BACKUP] map[]",
		"file.search prod-db-2 [/var/run/keepalive.state BACKUP] map[]",
		"cmd.run prod-db-2 [rsync dev-db-2::dumps] map[]",
	}
	if strings.Join(f.jobs, "\n") != strings.Join(want, "\n") {
		t.Errorf("jobs:\n%s\nwant:\n%s", strings.Join(f.jobs, "\n"), strings.Join(want, "\n"))
	}
	// file.search failing on a host fails the render: no rsync
	f = &fakeOrchestrator{ret: map[string]map[string]any{"file.search": {"prod-db-1": orchErr("'file.search' is not available.")}}}
	o = seedOptions(t, f, map[string]any{"dest": "x"})
	writeGuard(o)
	data, rc = orchestrate(context.Background(), o, []string{"orch.guard"})
	if msg := strings.Join(data.([]string), "\n"); rc != 1 || !strings.Contains(msg, "guard.sls:5") || !strings.Contains(msg, "CommandExecutionError: file.search on minion prod-db-1 failed") {
		t.Errorf("retcode %d: %s", rc, msg)
	}
	for _, j := range f.jobs {
		if strings.HasPrefix(j, "cmd.run") {
			t.Errorf("ran %s", j)
		}
	}
}

// A #!pyobjects orchestration: Salt.function(...) states (the factory of
// the salt.* states), ordered by a requisite, with the pillar shortcut.
func TestOrchestratePyobjects(t *testing.T) {
	if _, err := pyrender.FindPython(); err != nil {
		t.Skip(err)
	}
	const orch = `#!pyobjects
Salt.function('sync', name='cmd.run', tgt='prod-db-2', arg=['rsync ' + pillar('dest')], require=[Salt('check')])
Salt.function('check', name='file.search', tgt='prod-db-2', arg=['/var/run/keepalive.state', 'BACKUP'])
`
	f := &fakeOrchestrator{ret: map[string]map[string]any{"file.search": {"prod-db-2": true}}}
	o := seedOptions(t, f, map[string]any{"dest": "dev-db-2::dumps"})
	p := filepath.Join(o.Source.(*orchSource).roots["base"][0], "orch", "objs.sls")
	if err := os.WriteFile(p, []byte(orch), 0o644); err != nil {
		t.Fatal(err)
	}
	data, rc := orchestrate(context.Background(), o, []string{"orch.objs"})
	if rc != 0 {
		t.Fatalf("retcode %d: %v", rc, data)
	}
	want := "file.search prod-db-2 [/var/run/keepalive.state BACKUP] map[]\ncmd.run prod-db-2 [rsync dev-db-2::dumps] map[]"
	if got := strings.Join(f.jobs, "\n"); got != want {
		t.Errorf("jobs:\n%s\nwant:\n%s", got, want)
	}
}
