package reactor

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

type call struct {
	kind, tgt, tgtType, minion, fun string
	arg                             []any
	kwarg                           map[string]any
	depth                           int
}

type event struct {
	tag  string
	data map[string]any
}

// fakeBackend records calls and events. onFire, when set, is called for
// every fired event (an in-process bus delivering to Handle).
type fakeBackend struct {
	mu      sync.Mutex
	calls   []call
	events  []event
	ch      chan event
	onFire  func(tag string, data map[string]any)
	fail    map[string]error // by fun
	results map[string]any   // runner/wheel results by fun
	jid     int
}

func newFake() *fakeBackend {
	return &fakeBackend{ch: make(chan event, 10000), fail: map[string]error{}, results: map[string]any{}}
}

func (f *fakeBackend) record(c call) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.fail[c.fun]
}

func (f *fakeBackend) nextJID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jid++
	return fmt.Sprintf("2026010100000000%04d", f.jid)
}

func (f *fakeBackend) Local(ctx context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any) (string, error) {
	if err := f.record(call{kind: "local", tgt: tgt, tgtType: tgtType, fun: fun, arg: arg, kwarg: kwarg, depth: DepthFrom(ctx)}); err != nil {
		return "", err
	}
	return f.nextJID(), nil
}

func (f *fakeBackend) Runner(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	if err := f.record(call{kind: "runner", fun: fun, arg: arg, kwarg: kwarg, depth: DepthFrom(ctx)}); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.results[fun], nil
}

func (f *fakeBackend) Wheel(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error) {
	if err := f.record(call{kind: "wheel", fun: fun, arg: arg, kwarg: kwarg, depth: DepthFrom(ctx)}); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.results[fun], nil
}

func (f *fakeBackend) Caller(ctx context.Context, minion, fun string, arg []any, kwarg map[string]any) (string, error) {
	if err := f.record(call{kind: "caller", minion: minion, fun: fun, arg: arg, kwarg: kwarg, depth: DepthFrom(ctx)}); err != nil {
		return "", err
	}
	return f.nextJID(), nil
}

func (f *fakeBackend) Fire(tag string, data map[string]any) {
	f.mu.Lock()
	f.events = append(f.events, event{tag, data})
	on := f.onFire
	f.mu.Unlock()
	f.ch <- event{tag, data}
	if on != nil {
		on(tag, data)
	}
}

func (f *fakeBackend) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeBackend) Events() []event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]event(nil), f.events...)
}

// waitTag waits for the next fired event with the given tag, failing the
// test if another tag in stop comes first or nothing comes in time.
func (f *fakeBackend) waitTag(t *testing.T, tag string) event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-f.ch:
			if ev.tag == tag {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event; fired: %v", tag, tags(f.Events()))
			return event{}
		}
	}
}

func tags(evs []event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.tag
	}
	return out
}

// fakeClock is a manual clock for rate limits.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}
