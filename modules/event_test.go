package modules

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestEventSend(t *testing.T) {
	var got []any
	env := &Env{ID: "web-1", FireEvent: func(tag string, data map[string]any) error {
		got = append(got, tag, data)
		return nil
	}}
	f, _ := Lookup("event.send")
	v, err := f.Fn(context.Background(), env, Call{Args: []any{"myco/deploy/done", map[string]any{"v": "1"}}, Kwargs: map[string]any{"extra": 2}})
	if err != nil || v != true {
		t.Fatalf("event.send = %v, %v", v, err)
	}
	want := []any{"myco/deploy/done", map[string]any{"v": "1", "extra": 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
	for _, tag := range []string{"salt/job/1/ret/db-1", "brine/api/hook/rejected", "salt/minion/db-1/start", "salt/minion/web-1/", "", "a\nb"} {
		if _, err := f.Fn(context.Background(), env, Call{Args: []any{tag}}); err == nil {
			t.Errorf("tag %q was allowed", tag)
		}
	}
	if _, err := f.Fn(context.Background(), env, Call{Args: []any{"salt/minion/web-1/custom"}}); err != nil {
		t.Errorf("own namespace refused: %v", err)
	}
	if _, err := f.Fn(context.Background(), env, Call{Args: []any{"x", "not a map"}}); err == nil || !strings.Contains(err.Error(), "mapping") {
		t.Errorf("bad data: %v", err)
	}
}
