package minion

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brine-cm/brine/proto"
)

func TestBackoffBounds(t *testing.T) {
	for _, o := range []Options{
		{MinBackoff: 250 * time.Millisecond, MaxBackoff: 8 * time.Second},
		{MinBackoff: time.Second, MaxBackoff: 3 * time.Second}, // max is not a power-of-two multiple
		{MinBackoff: time.Nanosecond, MaxBackoff: time.Microsecond},
		{MinBackoff: 5 * time.Second, MaxBackoff: time.Second}, // min above max: max wins
	} {
		m := &Minion{opts: o}
		for attempts := 0; attempts <= 200; attempts++ {
			d := o.MinBackoff
			for i := 0; i < attempts && d < o.MaxBackoff; i++ {
				d *= 2
			}
			d = min(d, o.MaxBackoff)
			for i := 0; i < 50; i++ {
				got := m.backoff(attempts)
				if got < d/4 || got > d {
					t.Fatalf("%+v: backoff(%d) = %v, want within [%v, %v]", o, attempts, got, d/4, d)
				}
				if got > o.MaxBackoff {
					t.Fatalf("%+v: backoff(%d) = %v above the cap", o, attempts, got)
				}
			}
		}
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	m := &Minion{opts: Options{MinBackoff: 250 * time.Millisecond, MaxBackoff: 8 * time.Second}}
	// The upper bound of the window doubles per attempt until the cap.
	maxOf := func(attempts int) time.Duration {
		var hi time.Duration
		for i := 0; i < 400; i++ {
			hi = max(hi, m.backoff(attempts))
		}
		return hi
	}
	if hi := maxOf(0); hi > 250*time.Millisecond {
		t.Errorf("first wait up to %v", hi)
	}
	if lo := func() time.Duration {
		lo := time.Hour
		for i := 0; i < 400; i++ {
			lo = min(lo, m.backoff(1000))
		}
		return lo
	}(); lo < 2*time.Second {
		t.Errorf("capped wait as short as %v, want at least MaxBackoff/4", lo)
	}
	if hi := maxOf(1 << 30); hi > 8*time.Second {
		t.Errorf("huge attempt count waits %v", hi)
	}
	// Jitter: not every draw is the same.
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		seen[m.backoff(5)] = true
	}
	if len(seen) < 10 {
		t.Errorf("backoff draws %d distinct values out of 50", len(seen))
	}
}

func TestTracker(t *testing.T) {
	tr := newTracker()
	if got := tr.Running(); got == nil || len(got) != 0 {
		t.Errorf("Running() on an empty tracker = %#v, want an empty list", got)
	}
	var killed sync.Map
	cancel := func(jid string) context.CancelFunc {
		return func() { killed.Store(jid, true) }
	}
	jobs := []proto.Job{
		{JID: "20240102030405000003", Fun: "test.sleep", Arg: []any{10}, User: "root", Target: proto.Target{Expr: "web*", Type: "glob"}},
		{JID: "20240102030405000001", Fun: "cmd.run", Arg: []any{"ls"}, User: "alice", Target: proto.Target{Expr: "web1"}},
		{JID: "20240102030405000002", Fun: "state.apply", Target: proto.Target{Expr: "roles:web", Type: "grain"}},
	}
	for _, j := range jobs {
		tr.add(j, cancel(j.JID))
	}
	run := tr.Running()
	if len(run) != 3 {
		t.Fatalf("Running() = %v", run)
	}
	for i, want := range []string{"20240102030405000001", "20240102030405000002", "20240102030405000003"} {
		if run[i]["jid"] != want {
			t.Errorf("Running()[%d].jid = %v, want %s (sorted)", i, run[i]["jid"], want)
		}
	}
	first := run[0]
	if first["fun"] != "cmd.run" || first["user"] != "alice" || first["tgt"] != "web1" || first["tgt_type"] != "" {
		t.Errorf("Running()[0] = %v", first)
	}
	// cmd.run declares its arguments secret: saltutil.running shows no command.
	if a := fmt.Sprint(first["arg"]); strings.Contains(a, "ls") {
		t.Errorf("Running()[0].arg = %v: the secret command is shown", first["arg"])
	}
	if a := fmt.Sprint(run[2]["arg"]); a != "[10]" {
		t.Errorf("Running()[2].arg = %v, want test.sleep's [10]", run[2]["arg"])
	}
	if _, err := time.Parse(time.RFC3339, first["start"].(string)); err != nil {
		t.Errorf("start %v: %v", first["start"], err)
	}

	if tr.Kill("20249999999999999999") {
		t.Error("Kill of an unknown jid reported true")
	}
	if !tr.Kill("20240102030405000002") {
		t.Error("Kill of a running job reported false")
	}
	if _, ok := killed.Load("20240102030405000002"); !ok {
		t.Error("Kill did not cancel the job")
	}
	if _, ok := killed.Load("20240102030405000001"); ok {
		t.Error("Kill cancelled another job")
	}
	// A killed job stays listed until it finishes.
	if len(tr.Running()) != 3 {
		t.Error("Kill removed the job before it finished")
	}
	tr.done("20240102030405000002")
	tr.done("20240102030405000002") // twice is harmless
	if run := tr.Running(); len(run) != 2 || run[0]["jid"] != "20240102030405000001" || run[1]["jid"] != "20240102030405000003" {
		t.Errorf("after done: %v", run)
	}
	if tr.Kill("20240102030405000002") {
		t.Error("Kill of a finished job reported true")
	}
	tr.killAll()
	for _, jid := range []string{"20240102030405000001", "20240102030405000003"} {
		if _, ok := killed.Load(jid); !ok {
			t.Errorf("killAll did not cancel %s", jid)
		}
	}
}

func TestTrackerConcurrent(t *testing.T) {
	tr := newTracker()
	var cancels atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				jid := proto.NewJID(time.Now())
				ctx, cancel := context.WithCancel(context.Background())
				tr.add(proto.Job{JID: jid, Fun: "test.ping"}, func() { cancels.Add(1); cancel() })
				_ = tr.Running()
				if !tr.Kill(jid) {
					t.Errorf("job %s not running", jid)
				}
				<-ctx.Done()
				tr.done(jid)
			}
		}(w)
	}
	wg.Wait()
	if n := len(tr.Running()); n != 0 {
		t.Errorf("%d jobs left", n)
	}
	if cancels.Load() != 800 {
		t.Errorf("%d cancels, want 800", cancels.Load())
	}
}
