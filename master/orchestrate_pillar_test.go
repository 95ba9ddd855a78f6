package master

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brine-cm/brine/highstate"
)

// An orchestration renders with the master's own pillar (what the pillar
// top assigns to "master"), from one pillar environment with pillarenv=,
// pillar= merged over it; an unknown pillarenv is an error.
func TestOrchestratePillar(t *testing.T) {
	m, _ := newTestMaster(t)
	dir := t.TempDir()
	write := func(p, c string) {
		t.Helper()
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("srv/orch/show.sls", "show:\n  test.succeed_without_changes:\n    - name: {{ pillar.get('deploy', 'none') }}-{{ pillar.get('extra', 'x') }}\n")
	write("pillar/base/top.sls", "base:\n  '*':\n    - common\n")
	write("pillar/base/common.sls", "deploy: test\n")
	write("pillar/prod/top.sls", "prod:\n  'master':\n    - app\n")
	write("pillar/prod/app.sls", "deploy: prod\n")
	m.cfg.FileRoots = map[string][]string{"base": {filepath.Join(dir, "srv")}}
	m.cfg.PillarRoots = map[string][]string{"base": {filepath.Join(dir, "pillar/base")}, "prod": {filepath.Join(dir, "pillar/prod")}}
	for _, tc := range []struct {
		kwarg map[string]any
		name  string
	}{
		{map[string]any{"pillarenv": "base"}, "test-x"},
		{map[string]any{"pillarenv": "prod"}, "prod-x"},
		{map[string]any{"pillarenv": "prod", "pillar": map[string]any{"extra": "y"}}, "prod-y"},
	} {
		v, err := m.runner(context.Background(), "t", "state.orchestrate", []any{"orch.show"}, tc.kwarg)
		if err != nil {
			t.Fatalf("%v: %v", tc.kwarg, err)
		}
		found := false
		if out, ok := v.(map[string]any); ok {
			if data, ok := out["data"].(map[string]any); ok {
				if hs, ok := data["master"].(map[string]highstate.Result); ok {
					for _, r := range hs {
						found = r.Name == tc.name
					}
				}
			}
		}
		if !found {
			t.Errorf("%v: want a state named %s in %+v", tc.kwarg, tc.name, v)
		}
	}
	if _, err := m.runner(context.Background(), "t", "state.orchestrate", []any{"orch.show"}, map[string]any{"pillarenv": "nosuch"}); err == nil || !strings.Contains(err.Error(), "pillarenv 'nosuch'") {
		t.Fatalf("unknown pillarenv: %v", err)
	}
}
