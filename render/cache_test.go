package render

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Renders sharing a Cache give what renders without one give, the text
// is lexed once, and concurrent renders may share it (run with -race).
func TestCacheSharesLexing(t *testing.T) {
	tpl := []byte("{% for j in range(2) %}{{ grains['id'] }}-{{ n }}-{{ j }}|{{ \"a\\\\\" }}\n{% endfor %}\n")
	cache := NewCache()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for k := 0; k < 20; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			c := &Context{Grains: map[string]any{"id": "m1"}, Extra: map[string]any{"n": k}, Cache: cache}
			out, err := Jinja(context.Background(), tpl, "f", c)
			plain, err2 := Jinja(context.Background(), tpl, "f", &Context{Grains: map[string]any{"id": "m1"}, Extra: map[string]any{"n": k}})
			switch {
			case err != nil || err2 != nil:
				errs <- fmt.Errorf("render %d: %v %v", k, err, err2)
			case string(out) != string(plain):
				errs <- fmt.Errorf("render %d: cached %q, uncached %q", k, out, plain)
			case string(out) != fmt.Sprintf("m1-%d-0|a\\\nm1-%d-1|a\\\n\n", k, k):
				errs <- fmt.Errorf("render %d: %q", k, out)
			}
		}(k)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(cache.scans); n != 1 {
		t.Errorf("the cache holds %d texts, want 1", n)
	}
}

// BenchmarkTemplate500 is the template of make bench's 500 file.managed
// states rendered 500 times with one Cache, as a state run does.
func BenchmarkTemplate500(b *testing.B) {
	tpl := []byte("{% for j in range(3) %}{{ grains['id'] }}-{{ n }}-{{ j }}\n{% endfor %}\n")
	g := map[string]any{"id": "bench-1"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cache := NewCache()
		for k := 0; k < 500; k++ {
			c := &Context{Grains: g, Extra: map[string]any{"n": k}, Cache: cache}
			if _, err := Jinja(context.Background(), tpl, "f", c); err != nil {
				b.Fatal(err)
			}
		}
	}
}
