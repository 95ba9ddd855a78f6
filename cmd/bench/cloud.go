package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// cloudBench: `ctl cloud create` of n local instances (the local driver:
// minion processes on this machine joining with join tokens), each with a
// 20-state startup highstate, from the command's start to all of them
// joined and highstated; median over runs, each run destroying the nodes
// after.
func cloudBench(bin, dir string, n, runs int) {
	fmt.Printf("== ctl cloud create of %d local instances, 20-state startup highstate\n", n)
	roots := filepath.Join(dir, "srv-cloud")
	out := filepath.Join(dir, "cloud-out")
	check(os.MkdirAll(roots, 0o755))
	check(os.WriteFile(filepath.Join(roots, "top.sls"), []byte("base:\n  '*':\n    - bench\n"), 0o644))
	sls := "{% for i in range(20) %}\nf{{ i }}:\n  file.managed:\n    - name: " + out + "/{{ grains['id'] }}/f{{ i }}\n    - makedirs: True\n    - contents: '{{ i }}'\n{% endfor %}\n"
	check(os.WriteFile(filepath.Join(roots, "bench.sls"), []byte(sls), 0o644))
	e := startMasterWith(bin, dir, "master-cloud", map[string]any{
		"file_roots": map[string]any{"base": []string{roots}},
		"cloud": map[string]any{
			"providers": map[string]any{"local": map[string]any{"driver": "local"}},
			"profiles":  map[string]any{"bench": map[string]any{"provider": "local", "startup_states": "highstate", "minion": map[string]any{"log_level": "error"}}},
		},
	})
	defer e.master.Stop(30 * time.Second)
	var times []time.Duration
	for r := 0; r < runs; r++ {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("cloud-%d-%02d", r, i)
		}
		res, d, err := e.ctl(append([]string{"cloud", "create", "-p", "bench", "--out", "json", "--timeout", "300"}, names...)...)
		if err != nil {
			fail("cloud create: %v\n%s", err, lastLines(res, 20))
		}
		var m map[string]map[string]any
		check(json.Unmarshal([]byte(res), &m))
		for _, name := range names {
			st, _ := m[name]["startup_states"].(map[string]any)
			if m[name]["result"] != true || st["success"] != true {
				fail("%s: %v", name, m[name])
			}
		}
		times = append(times, d)
		if res, _, err := e.ctl(append([]string{"cloud", "destroy", "--yes", "--out", "json"}, names...)...); err != nil {
			fail("cloud destroy: %v\n%s", err, lastLines(res, 20))
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	var all []string
	for _, t := range times {
		all = append(all, t.Round(time.Millisecond).String())
	}
	fmt.Printf("all %d joined and highstated: median %s over %d runs (%s)\n", n, times[len(times)/2].Round(time.Millisecond), runs, strings.Join(all, ", "))
}
