package grains

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestCollect(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("grains are collected on Linux only")
	}
	g, err := Collect(context.Background(), "minion-1")
	if err != nil {
		t.Fatal(err)
	}
	strKeys := []string{"id", "os", "os_family", "osrelease", "oscodename", "osfullname",
		"kernel", "kernelrelease", "kernelversion", "cpuarch", "host", "localhost", "fqdn",
		"domain", "nodename", "cpu_model"}
	for _, k := range strKeys {
		if _, ok := g[k].(string); !ok {
			t.Errorf("grain %s = %#v (%T), want a string", k, g[k], g[k])
		}
	}
	for _, k := range []string{"num_cpus", "mem_total", "swap_total"} {
		if _, ok := g[k].(int); !ok {
			t.Errorf("grain %s = %#v (%T), want an int", k, g[k], g[k])
		}
	}
	for _, k := range []string{"ipv4", "ipv6"} {
		l, ok := g[k].([]any)
		if !ok {
			t.Errorf("grain %s = %#v (%T), want []any", k, g[k], g[k])
			continue
		}
		for _, e := range l {
			if _, ok := e.(string); !ok {
				t.Errorf("grain %s holds %#v (%T), want strings", k, e, e)
			}
		}
	}
	for _, k := range []string{"ip4_interfaces", "ip6_interfaces", "ip_interfaces", "hwaddr_interfaces"} {
		if _, ok := g[k].(map[string]any); !ok {
			t.Errorf("grain %s = %#v (%T), want map[string]any", k, g[k], g[k])
		}
	}
	if g["id"] != "minion-1" {
		t.Errorf("id = %v", g["id"])
	}
	if g["kernel"] != "Linux" {
		t.Errorf("kernel = %v", g["kernel"])
	}
	if n := g["num_cpus"].(int); n < 1 {
		t.Errorf("num_cpus = %d", n)
	}
	if n := g["mem_total"].(int); n < 1 {
		t.Errorf("mem_total = %d", n)
	}
	if g["os"] == "" || g["os_family"] == "" {
		t.Errorf("os = %q, os_family = %q", g["os"], g["os_family"])
	}
	hn, _ := os.Hostname()
	if want, _, _ := strings.Cut(hn, "."); g["host"] != want {
		t.Errorf("host = %v, want %v", g["host"], want)
	}
	ipv4 := g["ipv4"].([]any)
	if !slices.Contains(ipv4, any("127.0.0.1")) {
		t.Errorf("ipv4 %v lacks 127.0.0.1", ipv4)
	}
	lo, ok := g["ip4_interfaces"].(map[string]any)["lo"].([]any)
	if !ok || !slices.Contains(lo, any("127.0.0.1")) {
		t.Errorf("ip4_interfaces[lo] = %#v", g["ip4_interfaces"].(map[string]any)["lo"])
	}
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if data, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(data)) != "" {
			if g["machine_id"] != strings.TrimSpace(string(data)) {
				t.Errorf("machine_id = %v, want %s", g["machine_id"], data)
			}
			break
		}
	}
	// Shape equals a JSON round trip, apart from ints becoming float64.
	data, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back["ip4_interfaces"], g["ip4_interfaces"]) || !reflect.DeepEqual(back["ipv4"], g["ipv4"]) {
		t.Errorf("list shapes change in a JSON round trip")
	}
}

func TestCollectFakeRoot(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("/usr/lib/os-release", "NAME=\"CentOS Stream\"\nID=centos\nVERSION_ID=9\nPRETTY_NAME=\"CentOS Stream 9\"\n")
	write("/proc/meminfo", "MemTotal:        2048000 kB\nSwapTotal:       1024 kB\n")
	write("/proc/cpuinfo", "processor\t: 0\nmodel name\t: Fake CPU\n\nprocessor\t: 1\nmodel name\t: Fake CPU\n\nprocessor\t: 2\n")
	write("/var/lib/dbus/machine-id", "abc123\n")
	c := collector{root: root, logger: slog.New(slog.DiscardHandler)}
	g, err := c.collect(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"os": "CentOS Stream", "os_family": "RedHat", "osrelease": "9", "oscodename": "CentOS Stream 9",
		"mem_total": 2000, "swap_total": 1, "num_cpus": 3, "cpu_model": "Fake CPU", "machine_id": "abc123",
	}
	for k, v := range want {
		if !reflect.DeepEqual(g[k], v) {
			t.Errorf("%s = %#v, want %#v", k, g[k], v)
		}
	}

	empty := collector{root: t.TempDir(), logger: slog.New(slog.DiscardHandler)}
	g, err = empty.collect(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g["machine_id"]; ok {
		t.Errorf("machine_id present without a machine-id file")
	}
	if g["os"] != "Linux" || g["mem_total"] != 0 {
		t.Errorf("os = %v, mem_total = %v", g["os"], g["mem_total"])
	}
}

func TestCollectCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestMerge(t *testing.T) {
	dst := map[string]any{"a": 1, "m": map[string]any{"x": 1, "y": 2}, "l": []any{"a"}}
	src := map[string]any{"b": 2, "m": map[string]any{"y": 3, "z": map[string]any{"q": 1}}, "l": []any{"b"}}
	Merge(dst, src)
	want := map[string]any{"a": 1, "b": 2, "m": map[string]any{"x": 1, "y": 3, "z": map[string]any{"q": 1}}, "l": []any{"b"}}
	if !reflect.DeepEqual(dst, want) {
		t.Fatalf("got %#v", dst)
	}
	// src values are copied, not shared.
	src["m"].(map[string]any)["z"].(map[string]any)["q"] = 99
	src["l"].([]any)[0] = "changed"
	if !reflect.DeepEqual(dst, want) {
		t.Fatalf("dst shares memory with src: %#v", dst)
	}
	Merge(nil, src) // must not panic
}

func TestTraverse(t *testing.T) {
	m := map[string]any{"a": map[string]any{"b": map[string]any{"c": "deep"}}, "l": []any{"x", map[string]any{"k": "v"}}, "p:q": 1}
	cases := []struct {
		key  string
		want any
		ok   bool
	}{
		{"a:b:c", "deep", true},
		{"a:b", map[string]any{"c": "deep"}, true},
		{"l:1:k", "v", true},
		{"l:0", "x", true},
		{"l:5", nil, false},
		{"a:nope", nil, false},
		{"a:b:c:d", nil, false},
		{"p:q", 1, true},
	}
	for _, tc := range cases {
		got, ok := Traverse(m, tc.key, "")
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Traverse(%q) = %#v, %v; want %#v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := Traverse(m, "a.b.c", "."); !ok || got != "deep" {
		t.Errorf("custom delimiter: %v %v", got, ok)
	}
}

func TestStoreLayering(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grains")
	persisted := "roles: [db]\nnested:\n  p: persisted\n"
	if err := os.WriteFile(path, []byte(persisted), 0o600); err != nil {
		t.Fatal(err)
	}
	collected := map[string]any{"os": "Debian", "roles": []any{"none"}, "env": "collected",
		"nested": map[string]any{"c": "collected", "s": "collected", "p": "collected"}}
	static := map[string]any{"env": "prod", "nested": map[string]any{"s": "static"}}
	s, err := NewStore(collected, static, path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"os": "Debian", "roles": []any{"db"}, "env": "prod",
		"nested": map[string]any{"c": "collected", "s": "static", "p": "persisted"},
	}
	if got := s.Items(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Items() = %#v, want %#v", got, want)
	}
	// Inputs are copied.
	collected["os"] = "changed"
	static["nested"].(map[string]any)["s"] = "changed"
	if got := s.Items(); !reflect.DeepEqual(got, want) {
		t.Fatalf("store shares memory with its inputs: %#v", got)
	}
	// Items and Get return copies.
	s.Items()["nested"].(map[string]any)["c"] = "mutated"
	if v, _ := s.Get("nested"); v.(map[string]any)["c"] != "collected" {
		t.Fatalf("Items() returned shared memory")
	}
	v, _ := s.Get("roles")
	v.([]any)[0] = "mutated"
	if v, _ := s.Get("roles:0"); v != "db" {
		t.Fatalf("Get returned shared memory: %v", v)
	}
	if v, ok := s.Get("nested:s"); !ok || v != "static" {
		t.Errorf("Get(nested:s) = %v, %v", v, ok)
	}
	if _, ok := s.Get("nested:missing"); ok {
		t.Errorf("Get(nested:missing) found")
	}
	if _, ok := s.Get("missing"); ok {
		t.Errorf("Get(missing) found")
	}
}

func TestStoreSetValPersistence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "grains")
	collected := map[string]any{"os": "Debian", "app": map[string]any{"name": "collected"}}
	static := map[string]any{"env": "dev"}
	s, err := NewStore(collected, static, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("grains file written before any SetVal: %v", err)
	}
	steps := []struct {
		key string
		val any
	}{
		{"env", "prod"},
		{"roles", []string{"web", "db"}},
		{"app:version", 3},
		{"app:tuning:workers", int64(8)},
		{"ratio", 0.5},
		{"enabled", true},
		{"gone", nil},
	}
	for _, st := range steps {
		if err := s.SetVal(st.key, st.val); err != nil {
			t.Fatalf("SetVal(%s): %v", st.key, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("grains file mode %v, want 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("leftover files next to the grains file: %v", entries)
	}
	want := map[string]any{
		"os": "Debian", "env": "prod", "roles": []any{"web", "db"},
		"app":   map[string]any{"name": "collected", "version": 3, "tuning": map[string]any{"workers": 8}},
		"ratio": 0.5, "enabled": true, "gone": nil,
	}
	if got := s.Items(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Items() = %#v\nwant %#v", got, want)
	}
	// Round trip: a new store over the same file sees the same grains; the
	// file holds only the set values.
	s2, err := NewStore(collected, static, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Items(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reload Items() = %#v\nwant %#v", got, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "Debian") {
		t.Errorf("grains file holds collected grains:\n%s", data)
	}
	// Setting a nested key under a scalar replaces the scalar.
	if err := s2.SetVal("env:region", "eu"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s2.Get("env"); !reflect.DeepEqual(v, map[string]any{"region": "eu"}) {
		t.Errorf("env = %#v", v)
	}
	for _, bad := range []string{"", "a::b", ":a"} {
		if err := s2.SetVal(bad, 1); err == nil {
			t.Errorf("SetVal(%q) succeeded", bad)
		}
	}
}

func TestStoreJSONFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grains.json")
	if err := os.WriteFile(path, []byte(`{"roles": ["web"], "n": 2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(nil, nil, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Items(); !reflect.DeepEqual(got, map[string]any{"roles": []any{"web"}, "n": 2}) {
		t.Errorf("Items() = %#v", got)
	}

	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("- a list\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(nil, nil, bad); err == nil {
		t.Errorf("NewStore accepted a list")
	}
	if err := os.WriteFile(bad, []byte("a: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(nil, nil, bad); err == nil {
		t.Errorf("NewStore accepted bad YAML")
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := NewStore(map[string]any{"a": 1}, nil, empty); err != nil || len(s.Items()) != 1 {
		t.Errorf("empty file: %v", err)
	}

	// A write failure leaves the store unchanged.
	ro := filepath.Join(dir, "becomes-a-file")
	s3, err := NewStore(map[string]any{"a": 1}, nil, filepath.Join(ro, "grains"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ro, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s3.SetVal("a", 2); err == nil {
		t.Fatal("SetVal succeeded with an unwritable path")
	}
	if v, _ := s3.Get("a"); v != 1 {
		t.Errorf("a = %v after failed SetVal", v)
	}

	// No persistPath: in memory only.
	mem, err := NewStore(nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.SetVal("k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, _ := mem.Get("k"); v != "v" {
		t.Errorf("k = %v", v)
	}
}

func TestStoreConcurrent(t *testing.T) {
	s, err := NewStore(map[string]any{"a": 1}, nil, filepath.Join(t.TempDir(), "grains"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := s.SetVal("k:"+string(rune('a'+i)), i); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			_ = s.Items()
			_, _ = s.Get("k")
		}()
	}
	wg.Wait()
	if v, _ := s.Get("k"); len(v.(map[string]any)) != 8 {
		t.Errorf("k = %#v", v)
	}
}
