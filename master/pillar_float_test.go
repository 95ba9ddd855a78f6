package master

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// The pillar a minion receives keeps YAML's floats floats ("70.0", which
// the minion decodes as a float: its templates see 70.0 and "is float",
// as in Salt) and its integers integers, with mappings in file order.
func TestPillarReplyKeepsFloats(t *testing.T) {
	m, _ := newTestMaster(t)
	addMinion(t, m, "web1", proto.KeyAccepted, nil)
	dir := t.TempDir()
	for p, c := range map[string]string{
		"top.sls":   "base:\n  '*':\n    - alarm\n",
		"alarm.sls": "threshold: 70.0\nport: 8080\nnested:\n  z: 1.0\n  a: [2.0, 3, 0.5]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m.cfg.PillarRoots = map[string][]string{"base": {dir}}
	rep, err := m.handlePillar(context.Background(), "web1", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"pillar":{"threshold":70.0,"port":8080,"nested":{"z":1.0,"a":[2.0,3,0.5]}}}`
	if string(b) != want {
		t.Fatalf("pillar reply %s, want %s", b, want)
	}
}
