package runners

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/brine-cm/brine/proto"
)

// pingEnv answers test.ping from the minions in up, of those targeted.
type pingEnv struct {
	bareEnv
	targeted []string
	up       map[string]bool
	timeout  *time.Duration
}

func (e pingEnv) RunSync(_ context.Context, user string, t proto.Target, fun string, _ []any, _ map[string]any, timeout time.Duration) (*proto.JobRecord, map[string]proto.Return, error) {
	*e.timeout = timeout
	if len(e.targeted) == 0 {
		return nil, nil, proto.Errorf(proto.ErrNoMinions, "no minions match")
	}
	rets := map[string]proto.Return{}
	for _, id := range e.targeted {
		if e.up[id] {
			rets[id] = proto.Return{ID: id, Return: true}
		}
	}
	return &proto.JobRecord{Fun: fun, Target: t, User: user, Minions: e.targeted}, rets, nil
}

func TestManage(t *testing.T) {
	ctx := context.Background()
	var timeout time.Duration
	env := pingEnv{targeted: []string{"web2", "db1", "web1"}, up: map[string]bool{"web1": true, "web2": true}, timeout: &timeout}
	for fun, want := range map[string]any{
		"manage.up":     []string{"web1", "web2"},
		"manage.down":   []string{"db1"},
		"manage.status": map[string]any{"up": []string{"web1", "web2"}, "down": []string{"db1"}},
	} {
		got, err := Run(ctx, env, Call{Fun: fun})
		if err != nil || !reflect.DeepEqual(got, want) || timeout != manageTimeout {
			t.Errorf("%s = %v, %v (timeout %s)", fun, got, err, timeout)
		}
	}
	// timeout= as ctl's YAML gives it (an int) or JSON (a float).
	for _, v := range []any{10, 10.0, "10"} {
		if _, err := Run(ctx, env, Call{Fun: "manage.up", Kwargs: map[string]any{"timeout": v}}); err != nil || timeout != 10*time.Second {
			t.Errorf("timeout=%#v: %v, waited %s", v, err, timeout)
		}
	}
	for _, v := range []any{0, -1, "soon", []any{1}} {
		_, err := Run(ctx, env, Call{Fun: "manage.down", Kwargs: map[string]any{"timeout": v}})
		wantKind(t, err, proto.ErrBadArgument, "manage.down: timeout must be a positive number of seconds")
	}
	// No accepted minion: empty lists, in each runner's own shape.
	none := pingEnv{timeout: &timeout}
	for fun, want := range map[string]any{
		"manage.up":     []string{},
		"manage.down":   []string{},
		"manage.status": map[string]any{"up": []string{}, "down": []string{}},
	} {
		if got, err := Run(ctx, none, Call{Fun: fun}); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s with no minions = %#v, %v", fun, got, err)
		}
	}
}
