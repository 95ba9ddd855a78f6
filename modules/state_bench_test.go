package modules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/brine-cm/brine/grains"
	"github.com/brine-cm/brine/render"
)

// benchStates500 sets up make bench's states part in process: 500
// file.managed states, each rendering one small Jinja template with a
// grain, a loop and its own context.
func benchStates500(b *testing.B) (*Env, string) {
	b.Helper()
	dir := b.TempDir()
	srv, out := filepath.Join(dir, "srv"), filepath.Join(dir, "out")
	sls := "{% for i in range(500) %}\nf{{ i }}:\n  file.managed:\n    - name: " + out + "/f{{ i }}\n" +
		"    - source: salt://bench/tpl.j2\n    - template: jinja\n    - makedirs: True\n    - context:\n        n: {{ i }}\n{% endfor %}\n"
	if err := os.MkdirAll(filepath.Join(srv, "bench"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srv, "bench", "init.sls"), []byte(sls), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srv, "bench", "tpl.j2"), []byte("{% for j in range(3) %}{{ grains['id'] }}-{{ n }}-{{ j }}\n{% endfor %}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	// this machine's grains, as the bench's real minion has them
	g, err := grains.Collect(context.Background(), "bench-1")
	if err != nil {
		b.Fatal(err)
	}
	store, err := grains.NewStore(g, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	// and its SLS parse cache
	return &Env{ID: "bench-1", Grains: store, Master: optsMaster{}, Files: dirFiles(srv), Parsed: render.NewParseCache()}, out
}

func runBenchSLS(b *testing.B, env *Env) {
	b.Helper()
	v, err := stateSLS(context.Background(), env, Call{Args: []any{"bench"}})
	if err != nil {
		b.Fatal(err)
	}
	ret, ok := v.(Ret)
	if !ok || ret.Retcode != 0 {
		b.Fatalf("state.sls: %v", v)
	}
	if m, _ := ret.Value.(map[string]any); len(m) != 500 {
		b.Fatalf("%d results", len(m))
	}
}

// BenchmarkStateSLS500NoOp is make bench's no-op re-apply without the
// bus: 500 templated file.managed states whose files are all in place.
func BenchmarkStateSLS500NoOp(b *testing.B) {
	env, _ := benchStates500(b)
	runBenchSLS(b, env)
	b.ReportAllocs()
	for b.Loop() {
		runBenchSLS(b, env)
	}
}

// BenchmarkStateSLS500First is make bench's first apply without the bus:
// the 500 files are created.
func BenchmarkStateSLS500First(b *testing.B) {
	env, out := benchStates500(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := os.RemoveAll(out); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		runBenchSLS(b, env)
	}
}

// A run reads a salt:// file's content once (the minion's cache file of
// the URL does not change during the run); a local file, which an
// earlier state of the run may write, is read each time.
func TestRunFilesReadCached(t *testing.T) {
	dir := t.TempDir()
	served, local := filepath.Join(dir, "tpl.j2"), filepath.Join(dir, "local.j2")
	for _, p := range []string{served, local} {
		if err := os.WriteFile(p, []byte("one"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := &runFiles{FileClient: dirFiles(dir), cached: map[string]string{}}
	p, err := f.Cache(context.Background(), "salt://tpl.j2", "base")
	if err != nil || p != served {
		t.Fatalf("Cache: %q, %v", p, err)
	}
	read := func(p string) string {
		b, err := f.ReadCached(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if read(served) != "one" || read(local) != "one" {
		t.Fatal("first reads differ")
	}
	for _, p := range []string{served, local} {
		if err := os.WriteFile(p, []byte("two"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := read(served); got != "one" {
		t.Errorf("the salt:// file was read again: %q", got)
	}
	if got := read(local); got != "two" {
		t.Errorf("the local file was kept: %q", got)
	}
}
