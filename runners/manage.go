package runners

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/proto"
)

// The manage runner: which minions are up.

func init() {
	Register("manage.up", `Ping every accepted minion and list those that answered, sorted. timeout= is how long to wait, in seconds (default 5).

CLI Example:

    ctl run manage.up timeout=10`, manageRunner("up"))

	Register("manage.down", `Ping every accepted minion and list those that did not answer, sorted. timeout= is how long to wait, in seconds (default 5).

CLI Example:

    ctl run manage.down`, manageRunner("down"))

	Register("manage.status", `Ping every accepted minion and return {"up": [...], "down": [...]}. timeout= is how long to wait, in seconds (default 5).

CLI Example:

    ctl run manage.status`, manageRunner("status"))

	Register("manage.present", `List the minions connected to the bus now, sorted, without pinging them.

CLI Example:

    ctl run manage.present`, managePresent)
}

// manageTimeout is how long manage.up, down and status wait by default.
const manageTimeout = 5 * time.Second

// manageRunner pings every accepted minion and sorts them into up and
// down; which says what to return.
func manageRunner(which string) Func {
	return func(ctx context.Context, env Env, call Call) (any, error) {
		minions, err := Need[Minions](env, call, "running functions on minions")
		if err != nil {
			return nil, err
		}
		timeout := manageTimeout
		if v, ok := call.Kwargs["timeout"]; ok && v != nil {
			secs, ok := coerce.Float(v)
			if !ok || secs <= 0 {
				return nil, BadArg("%s: timeout must be a positive number of seconds, got %s", call.Fun, coerce.Describe(v))
			}
			timeout = time.Duration(secs * float64(time.Second))
		}
		ups, downs := []string{}, []string{}
		rec, rets, err := minions.RunSync(ctx, call.User, proto.Target{Expr: "*", Type: "glob"}, "test.ping", nil, nil, timeout)
		var pe *proto.Error
		switch {
		case errors.As(err, &pe) && pe.Kind == proto.ErrNoMinions:
		case err != nil:
			return nil, err
		default:
			for _, id := range rec.Minions {
				if _, ok := rets[id]; ok {
					ups = append(ups, id)
				} else {
					downs = append(downs, id)
				}
			}
		}
		sort.Strings(ups)
		sort.Strings(downs)
		switch which {
		case "up":
			return ups, nil
		case "down":
			return downs, nil
		}
		return map[string]any{"up": ups, "down": downs}, nil
	}
}

func managePresent(_ context.Context, env Env, call Call) (any, error) {
	p, err := Need[Presence](env, call, "the bus's connection list")
	if err != nil {
		return nil, err
	}
	return p.Present(), nil
}
