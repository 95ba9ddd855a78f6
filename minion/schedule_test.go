package minion

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
	"gopkg.in/yaml.v3"
)

// newScheduleMinion makes a minion (not running) with the schedule src
// (YAML) in its config; log collects its log.
func newScheduleMinion(t *testing.T, src string) (*Minion, *bytes.Buffer) {
	t.Helper()
	var sched map[string]any
	if err := yaml.Unmarshal([]byte(src), &sched); err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg := &Config{ID: "m1", RootDir: t.TempDir(), Schedule: sched}
	m, err := New(cfg, Options{Key: kp, Grains: map[string]any{"os": "Linux"}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return m, &log
}

func entry(t *testing.T, m *Minion, name string) map[string]any {
	t.Helper()
	e, ok := m.env.Schedule.List()[name].(map[string]any)
	if !ok {
		t.Fatalf("no entry %s in %v", name, m.env.Schedule.List())
	}
	return e
}

// Bad entries are logged at start, listed with their error and skipped;
// the others are scheduled.
func TestMinionScheduleConfig(t *testing.T) {
	m, log := newScheduleMinion(t, `
tick: {function: cmd.run, args: ['echo tick'], seconds: 1, run_on_start: true}
nointerval: {function: test.ping}
nosuchfun: {function: no.such, seconds: 5}
`)
	if e := entry(t, m, "tick"); e["next_fire_time"] == nil || e["source"] != "config" || e["error"] != nil {
		t.Errorf("tick = %v", e)
	}
	for name, want := range map[string]string{"nointerval": "no interval", "nosuchfun": `function "no.such" is not available on this minion`} {
		e := entry(t, m, name)
		msg, _ := e["error"].(string)
		if !strings.Contains(msg, `schedule entry "`+name+`"`) || !strings.Contains(msg, want) {
			t.Errorf("%s: error %q", name, msg)
		}
		if !strings.Contains(log.String(), "schedule entry skipped") || !strings.Contains(log.String(), name) {
			t.Errorf("%s not logged:\n%s", name, log)
		}
	}
}

// The pillar's schedule is merged over the config's, entry by entry, and
// replaced at each pillar refresh.
func TestMinionSchedulePillar(t *testing.T) {
	m, log := newScheduleMinion(t, `
a: {function: test.ping, seconds: 10}
b: {function: test.ping, seconds: 10}
`)
	m.pillarChanged(map[string]any{"schedule": map[string]any{
		"b": map[string]any{"function": "test.echo", "args": []any{"hi"}, "minutes": 1},
		"c": map[string]any{"function": "test.ping", "seconds": 5},
	}})
	if e := entry(t, m, "a"); e["source"] != "config" {
		t.Errorf("a = %v", e)
	}
	if e := entry(t, m, "b"); e["source"] != "pillar" || e["function"] != "test.echo" || e["seconds"] != 60.0 {
		t.Errorf("b = %v", e)
	}
	if e := entry(t, m, "c"); e["source"] != "pillar" {
		t.Errorf("c = %v", e)
	}
	// A refresh with the pillar's schedule gone falls back to the config.
	m.pillarChanged(map[string]any{"other": 1})
	l := m.env.Schedule.List()
	if _, ok := l["c"]; ok || entry(t, m, "b")["source"] != "config" {
		t.Errorf("after the pillar dropped its schedule: %v", l)
	}
	// The pillar may switch the whole schedule off.
	m.pillarChanged(map[string]any{"schedule": map[string]any{"enabled": false}})
	if l := m.env.Schedule.List(); l["enabled"] != false || entry(t, m, "a")["next_fire_time"] != nil {
		t.Errorf("disabled by the pillar: %v", l)
	}
	// A pillar schedule that is not a mapping is logged and ignored.
	m.pillarChanged(map[string]any{"schedule": []any{"x"}})
	if !strings.Contains(log.String(), "pillar schedule ignored") || entry(t, m, "a")["next_fire_time"] == nil {
		t.Errorf("bad pillar schedule: %v\n%s", m.env.Schedule.List(), log)
	}
}

func TestClonePlain(t *testing.T) {
	orig := map[string]any{"a": []any{1, map[string]any{"b": "c"}}, "n": nil}
	c := clonePlain(orig).(map[string]any)
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("clone = %v", c)
	}
	c["a"].([]any)[1].(map[string]any)["b"] = "changed"
	if orig["a"].([]any)[1].(map[string]any)["b"] != "c" {
		t.Error("the clone shares maps with the original")
	}
	if v, _ := clonePlain([]any(nil)).([]any); v != nil {
		t.Errorf("nil list cloned to %#v", v)
	}
}
