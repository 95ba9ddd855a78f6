package render

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// Peak heap of rendering big SLS files (issue 7: a 50 MB SLS took a
// minion to 2.37 GB RSS). Run with
//
//	go test -run XXX -bench SLSMemory -benchtime 1x ./render/
//
// and read peak-heap-MB (the most heap in use while rendering, sampled
// every millisecond) and alloc-MB (all bytes allocated).

// bigSLS returns an SLS of about size bytes: file.managed and
// pkg.installed states, with Jinja expressions in each when jinja is set.
func bigSLS(size int, jinja bool) []byte {
	var b strings.Builder
	b.Grow(size + 1024)
	if jinja {
		b.WriteString("{% set root = pillar.get('app:root', '/srv/app') %}\n")
	}
	for i := 0; b.Len() < size; i++ {
		if jinja {
			fmt.Fprintf(&b, "app_conf_%d:\n  file.managed:\n    - name: {{ root }}/conf/%d.conf\n    - source: salt://app/files/%d.conf\n    - mode: '0644'\n    - user: {{ grains.get('app_user', 'app') }}\n    - template: jinja\n", i, i, i)
			fmt.Fprintf(&b, "app_pkg_%d:\n  pkg.installed:\n    - name: lib{{ 'pkg' ~ %d }}\n    - version: {{ '1.2.%%d'|format(%d %% 7) }}\n    - require:\n      - file: app_conf_%d\n", i, i, i, i)
		} else {
			fmt.Fprintf(&b, "app_conf_%d:\n  file.managed:\n    - name: /srv/app/conf/%d.conf\n    - source: salt://app/files/%d.conf\n    - mode: '0644'\n    - user: app\n    - template: jinja\n", i, i, i)
			fmt.Fprintf(&b, "app_pkg_%d:\n  pkg.installed:\n    - name: libpkg%d\n    - version: 1.2.%d\n    - require:\n      - file: app_conf_%d\n", i, i, i%7, i)
		}
	}
	return []byte(b.String())
}

// peakHeap runs f while sampling the heap in use and returns the peak
// above the heap in use before f, and the bytes f allocated.
func peakHeap(f func()) (peak, alloc uint64) {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	base, alloc0 := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	var mu sync.Mutex
	max := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			mu.Lock()
			if v := s[0].Value.Uint64(); v > max {
				max = v
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	metrics.Read(samples)
	close(done)
	wg.Wait()
	if v := samples[0].Value.Uint64(); v > max {
		max = v
	}
	return max - base, samples[1].Value.Uint64() - alloc0
}

func benchSLSMemory(b *testing.B, jinja bool) {
	src := bigSLS(benchSize, jinja)
	c := &Context{Grains: map[string]any{"app_user": "www"}, Pillar: map[string]any{}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var m *Map
		var err error
		peak, alloc := peakHeap(func() {
			m, err = SLS(context.Background(), src, "big/init.sls", c)
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(m.Keys) < 100000 {
			b.Fatalf("only %d states", len(m.Keys))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(alloc)/(1<<20), "alloc-MB")
		// what the result itself holds
		runtime.GC()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		withResult := s[0].Value.Uint64()
		runtime.KeepAlive(m)
		m = nil
		runtime.GC()
		metrics.Read(s)
		b.ReportMetric(float64(withResult-s[0].Value.Uint64())/(1<<20), "result-MB")
	}
}

func BenchmarkSLSMemoryYAML(b *testing.B)  { benchSLSMemory(b, false) }
func BenchmarkSLSMemoryJinja(b *testing.B) { benchSLSMemory(b, true) }

// benchSize is the size of the generated SLS files.
var benchSize = 50 << 20
