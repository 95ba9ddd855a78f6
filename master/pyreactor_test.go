package master

import (
	"context"
	"log/slog"
	"strings"
	"testing"

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
	p := newPyReactor(ctx, slog.New(slog.DiscardHandler), nil)
	rules := []reactor.Rule{{Pattern: "a/*", Files: []string{"ok.sls", "yaml.sls", "missing.sls"}}, {Pattern: "b", Files: []string{"bad.sls"}}}
	files := render.MapLoader{
		"ok.sls":   "#!py\ndef run():\n    return {'x': data['needs-an-event']}\n",
		"yaml.sls": "{{ not python }}",
		"bad.sls":  "#!py\n\ndef run(:\n    pass\n",
	}
	err := p.check(ctx, rules, files)
	if err == nil || !strings.Contains(err.Error(), "bad.sls:3") || !strings.Contains(err.Error(), "SyntaxError") {
		t.Fatalf("check: %v", err)
	}
	delete(files, "bad.sls")
	if err := p.check(ctx, rules, files); err != nil {
		t.Fatalf("check of good files: %v", err)
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
