package runners

import (
	"context"
	"log/slog"
	"time"

	"github.com/brine-cm/brine/proto"
)

// Call is one invocation: the function's name, its positional and
// keyword arguments (YAML- or JSON-decoded values: string, int, float64,
// bool, nil, []any, map[string]any) and who runs it.
type Call struct {
	// Fun is the function's name, for errors ("jobs.lookup_jid").
	Fun    string
	Args   []any
	Kwargs map[string]any
	// User is who runs it: the operator ctl names, an API user,
	// "reactor", "schedule:<entry>", or "" when unknown.
	User string
}

// String returns the string argument at position i, else keyword name;
// ok is false when neither is a string.
func (c Call) String(i int, name string) (string, bool) {
	if i >= 0 && i < len(c.Args) {
		if s, ok := c.Args[i].(string); ok {
			return s, true
		}
	}
	if v, ok := c.Kwargs[name].(string); ok {
		return v, true
	}
	return "", false
}

// BadArg is a proto.ErrBadArgument error.
func BadArg(format string, args ...any) error {
	return proto.Errorf(proto.ErrBadArgument, format, args...)
}

// Env is the master as a runner sees it. Beyond its logger, what a master
// can do is offered as capabilities: the small interfaces below (and any a
// runner module declares in its own file), which a runner asserts with
// Need. A master that lacks one fails the call clearly.
type Env interface {
	// Logger is the master's logger.
	Logger() *slog.Logger
}

// Need returns env as the capability C that call needs, or a
// proto.ErrUnknownFunction error naming the function and what (in the
// user's words: "the job cache", "cloud provisioning") this master does
// not provide.
//
//	jobs, err := runners.Need[runners.JobCache](env, call, "the job cache")
func Need[C any](env Env, call Call, what string) (C, error) {
	c, ok := env.(C)
	if !ok {
		var zero C
		return zero, proto.Errorf(proto.ErrUnknownFunction, "%s is not available on this master: it needs %s, which this master does not provide", call.Fun, what)
	}
	return c, nil
}

// JobCache reads the master's job cache.
type JobCache interface {
	// Job returns the record of jid, or a proto.ErrNotFound error.
	Job(ctx context.Context, jid string) (*proto.JobRecord, error)
	// JobReturns returns every return of jid, sorted by minion id.
	JobReturns(ctx context.Context, jid string) ([]proto.Return, error)
	// Jobs lists the job records, newest first.
	Jobs(ctx context.Context) ([]proto.JobRecord, error)
}

// Minions runs execution functions on minions.
type Minions interface {
	// RunSync publishes fun to the minions t matches, as user, and waits
	// for their returns (timeout is extended while a minion reports the
	// job running). It returns the job's record (its Minions are those
	// targeted) and the returns by minion id; a target matching nothing
	// is a proto.ErrNoMinions error.
	RunSync(ctx context.Context, user string, t proto.Target, fun string, arg []any, kwarg map[string]any, timeout time.Duration) (*proto.JobRecord, map[string]proto.Return, error)
}

// Presence knows which minions are connected.
type Presence interface {
	// Present lists the minions connected now, sorted.
	Present() []string
}

// Mine reads the minions' mine data.
type Mine interface {
	// MineGet returns fun's mine data of every minion t matches (pillar
	// targets allowed: the caller is the master's operator).
	MineGet(t proto.Target, fun string) (map[string]any, error)
}

// Keys manages the minions' keys, as `ctl key` does.
type Keys interface {
	// ListKeys lists every key.
	ListKeys(ctx context.Context) ([]proto.KeyInfo, error)
	// AcceptKeys, RejectKeys and DeleteKeys act on the keys match (a
	// glob of minion ids) selects, and return the ids changed.
	AcceptKeys(ctx context.Context, match string) ([]string, error)
	RejectKeys(ctx context.Context, match string) ([]string, error)
	DeleteKeys(ctx context.Context, match string) ([]string, error)
}
