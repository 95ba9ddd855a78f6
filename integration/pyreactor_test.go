package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brine-cm/brine/internal/testutil"
	"github.com/brine-cm/brine/pyrender"
)

// A #!py reactor on the real master: run() sees tag and data of a webhook
// and returns the reaction, which runs on the minion; an exception in the
// file is a reactor error event naming the file and line.
func TestPyReactor(t *testing.T) {
	if _, err := pyrender.FindPython(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	writeTree(t, filepath.Join(dir, "reactor"), map[string]string{
		"build.sls": `#!py
import json


def run():
    body = json.loads(data['body'])
    target = tag.split('/')[-1]
    return {
        'record_build': {
            'local.cmd.run': [
                {'tgt': target},
                {'arg': ['echo {0} {1} > ` + out + `'.format(body['ref'], __opts__['id'])]},
            ]
        }
    }
`,
		"broken.sls": "#!py\n\ndef run():\n    return {'x': data['missing']}\n",
	})
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster(t, map[string]any{
		"auto_accept": true,
		"reactor": []any{
			map[string]any{"salt/netapi/hook/build/*": []string{filepath.Join(dir, "reactor", "build.sls")}},
			map[string]any{"salt/netapi/hook/broken": []string{filepath.Join(dir, "reactor", "broken.sls")}},
		},
		"api": map[string]any{
			"listen": fmt.Sprintf("127.0.0.1:%d", port),
			"hooks":  []any{map[string]any{"path": "*", "auth": "token", "secret": "t0ken"}},
		},
	})
	c.StartMinion(c.MinionConfig("web-1", nil))
	waitPing(t, c, "web-1", 1)
	ev := c.StartCtl("events")
	testutil.Eventually(t, 20*time.Second, "ctl events to follow the bus", func() bool {
		c.Ctl("test.ping", "web-1")
		return strings.Contains(ev.Output(), `"tag":"salt/job/`)
	})
	hook := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/hook/%s", port, path), bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Brine-Token", "t0ken")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("hook %s: status %d", path, resp.StatusCode)
		}
	}
	start := time.Now()
	hook("build/web-1", `{"ref": "refs/heads/main"}`)
	testutil.Eventually(t, 30*time.Second, "the #!py reaction to run on web-1", func() bool {
		b, err := os.ReadFile(out)
		return err == nil && string(b) == "refs/heads/main master\n"
	})
	t.Logf("webhook to reaction done (cold interpreter): %v", time.Since(start))
	start = time.Now()
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	hook("build/web-1", `{"ref": "v2"}`)
	testutil.Eventually(t, 30*time.Second, "the second reaction", func() bool {
		b, err := os.ReadFile(out)
		return err == nil && string(b) == "v2 master\n"
	})
	t.Logf("webhook to reaction done (warm interpreter): %v", time.Since(start))

	hook("broken", `{}`)
	testutil.Eventually(t, 20*time.Second, "the reactor error event", func() bool {
		o := ev.Output()
		return strings.Contains(o, `"tag":"brine/reactor/error"`) && strings.Contains(o, "broken.sls:4: py: KeyError: 'missing'")
	})
}

// TestReactorFileErrorsAtStart: every reactor file is checked when the
// master starts: a Jinja syntax error, a mistake in a file that does not
// depend on the event and a #!py syntax error stop the start naming file
// and line; a file that only fails with the placeholder event is logged
// and the master starts.
func TestReactorFileErrorsAtStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text, want string
	}{
		{"jinja.sls", "{% if data['act'] == 'pend' %}\naccept:\n  wheel.key.accept:\n    - match: {{ data['id'] }}\n", "jinja.sls:1: jinja: Jinja syntax error"},
		{"yaml.sls", "highstate:\n  local.state.apply:\n   - tgt: web*\n  - bad\n", "yaml.sls:4: yaml:"},
		{"type.sls", "orch:\n  runnr.state.orchestrate:\n    - mods: x\n", "type.sls: reaction "},
		{"py.sls", "#!py\n\ndef run(:\n    return {}\n", "py.sls:3: py: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if strings.HasPrefix(tc.text, "#!py") {
				if _, err := pyrender.FindPython(); err != nil {
					t.Skip(err)
				}
			}
			dir := t.TempDir()
			file := filepath.Join(dir, tc.name)
			if err := os.WriteFile(file, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			port, err := testutil.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "master.yaml")
			if err := testutil.WriteYAML(cfg, map[string]any{
				"root_dir": filepath.Join(dir, "root"),
				"listen":   fmt.Sprintf("127.0.0.1:%d", port),
				"reactor":  []any{map[string]any{"salt/auth": []string{file}}},
			}); err != nil {
				t.Fatal(err)
			}
			r, _ := runTimed(t, "master", "-c", cfg)
			if r.Code == 0 || !strings.Contains(r.Stderr, file[:len(file)-len(tc.name)]+tc.want) {
				t.Errorf("exit %d, stderr %q; want non-zero and %q", r.Code, r.Stderr, tc.want)
			}
		})
	}
}
