package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
)

// Pillar targeting (-I, I@) matches on the pillar the master compiled for
// each minion.
func TestPillarTargeting(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"top.sls": "base:\n  'p-1':\n    - a\n  'p-2':\n    - b\n",
		"a.sls":   "site: alpha\napp: {tier: front}\n",
		"b.sls":   "site: beta\napp: {tier: back}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := cluster(t, map[string]any{"auto_accept": true, "pillar_roots": map[string]any{"base": []string{dir}}})
	c.StartMinion(c.MinionConfig("p-1", nil))
	c.StartMinion(c.MinionConfig("p-2", nil))
	waitPing(t, c, "*", 2)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-I", "site:alpha"}, "p-1"},
		{[]string{"-I", "app:tier:back"}, "p-2"},
		{[]string{"-C", "I@site:beta or I@site:alpha"}, "p-1,p-2"},
		{[]string{"-C", "I@site:* and not I@app:tier:front"}, "p-2"},
	} {
		testutil.Eventually(t, 20*time.Second, "pillar target "+strings.Join(tc.args, " "), func() bool {
			r := c.Ctl(append([]string{"test.ping", "--out", "json", "--timeout", "3"}, tc.args...)...)
			return r.Code == 0 && strings.Join(jsonIDs(t, r), ",") == tc.want
		})
	}
}
