package modules

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/grains"
)

// optsMaster is a master with an empty pillar; nothing else is asked.
type optsMaster struct{ Master }

func (optsMaster) Pillar(context.Context, bool) (map[string]any, error) {
	return map[string]any{}, nil
}

// dirFiles serves salt:// files from a directory.
type dirFiles string

func (d dirFiles) Cache(_ context.Context, url, _ string) (string, error) {
	return filepath.Join(string(d), strings.TrimPrefix(url, "salt://")), nil
}

func (d dirFiles) List(context.Context, string, string) ([]string, error) { return nil, nil }

// The minion config's custom options reach templates as opts and through
// config.get; id and test are the minion's own.
func TestCustomOptionsReachMinionTemplates(t *testing.T) {
	dir := t.TempDir()
	sls := "{{ opts['github']['user'] }}-{{ salt['config.get']('ec2.autoscale:region') }}-{{ opts['id'] }}:\n  test.nop: []\n"
	if err := os.WriteFile(filepath.Join(dir, "o.sls"), []byte(sls), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := grains.NewStore(map[string]any{"os": "Linux"}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]any{"github": map[string]any{"user": "bot"}, "ec2.autoscale": map[string]any{"region": "eu-west-1"}, "id": "not-this"}
	env := &Env{ID: "web1", Grains: store, Master: optsMaster{}, Files: dirFiles(dir), Opts: opts}
	out := mustCall(t, env, "state.show_sls", []any{"o"}, nil)
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), "bot-eu-west-1-web1") {
		t.Errorf("show_sls = %s, want the state bot-eu-west-1-web1", b)
	}
	if opts["id"] != "not-this" {
		t.Errorf("the options were changed: %v", opts)
	}
}
