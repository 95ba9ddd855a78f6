// Package modules holds Brine's execution modules: the functions a minion
// runs for a job (test.ping, cmd.run, grains.get, ...), named and shaped
// as in SaltStack. Each module lives in its own file and registers its
// functions from init; the minion finds them with Lookup.
//
// Return values are JSON-friendly (string, bool, int, float64, nil, []any,
// map[string]any). A function that also decides the job's retcode returns
// a Ret; see SplitRet.
package modules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// GrainStore is the minion's grains as the modules see them;
// *grains.Store implements it.
type GrainStore interface {
	Items() map[string]any
	Get(key string) (any, bool)
	SetVal(key string, val any) error
}

// JobTracker is the minion's table of running jobs.
type JobTracker interface {
	// Running describes each running job, Salt's saltutil.running shape
	// (jid, fun, arg, pid, ...).
	Running() []map[string]any
	// Kill cancels the running job jid; false if no such job runs.
	Kill(jid string) bool
}

// Env is what a function may use of the minion running it.
type Env struct {
	ID     string
	Grains GrainStore
	Jobs   JobTracker
	Logger *slog.Logger
	// OnGrainsChanged is called after grains.setval etc. so the minion can
	// push grains to the master; may be nil.
	OnGrainsChanged func()
	// Master is what functions may ask the master for, always on this
	// minion's own behalf; nil when there is no master (tests).
	Master Master
	// Files fetches salt:// files; nil when there is no master.
	Files FileClient
	// HostsFile is the hosts file host.* states manage.
	HostsFile string
	// RootDir is the minion's root_dir (caches).
	RootDir string
	// FireEvent sends an event to the master's event bus under this
	// minion's name; nil when there is no master.
	FireEvent func(tag string, data map[string]any) error
	// MineFunctions is the minion config's mine_functions (pillar's are
	// merged over it at each mine.update).
	MineFunctions map[string]any
	// Schedule is the minion's job scheduler (schedule.*); nil when there
	// is none.
	Schedule Scheduler
	// Opts is the minion's configuration as Salt's __opts__ shows it, with
	// its custom options (top-level keys that are no setting); config.get
	// looks there first; never modified; may be nil.
	Opts map[string]any
	// Parsed keeps the data of SLS texts parsed by earlier state runs, for
	// a run rendering the same text (render.ParseCache); nil: none.
	Parsed *render.ParseCache
}

// Master is the minion's view of the master.
type Master interface {
	// Pillar returns this minion's pillar: the cached one, or with fresh
	// set a newly compiled one (which then replaces the cache).
	Pillar(ctx context.Context, fresh bool) (map[string]any, error)
	// Top returns the SLS names the state top assigns to this minion per
	// saltenv, and the saltenvs in order.
	Top(ctx context.Context, saltenv string, pillar map[string]any) (map[string][]string, []string, error)
	// MineUpdate stores (clear: replaces) this minion's mine data and
	// deletes the functions named in del.
	MineUpdate(ctx context.Context, data map[string]any, clear bool, del []string) error
	// MineGet returns fun's mine data of the minions tgt matches.
	MineGet(ctx context.Context, tgt, tgtType, fun string) (map[string]any, error)
}

// FileClient fetches files from the master's file server.
type FileClient interface {
	Cache(ctx context.Context, url, saltenv string) (string, error)
	List(ctx context.Context, prefix, saltenv string) ([]string, error)
}

// logger returns env.Logger, or a logger that discards when there is none.
func (env *Env) logger() *slog.Logger {
	if env == nil || env.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return env.Logger
}

// Func is an execution function.
type Func func(ctx context.Context, env *Env, call Call) (any, error)

// Ret lets a function set the job's retcode alongside its value (cmd.run_all
// with non-zero exit, cmd.retcode).
type Ret struct {
	Value   any
	Retcode int
}

// SplitRet separates a function's result into the value to report and the
// job's retcode: a Ret (or *Ret) gives its fields, anything else is the
// value itself with retcode 0.
func SplitRet(v any) (value any, retcode int) {
	switch r := v.(type) {
	case Ret:
		return r.Value, r.Retcode
	case *Ret:
		if r == nil {
			return nil, 0
		}
		return r.Value, r.Retcode
	default:
		return v, 0
	}
}

// Function is a registered execution function.
type Function struct {
	Name string
	Doc  string
	// Fn runs the function. Errors it returns that are (or wrap) a
	// *proto.Error carry that error's kind; bad-argument errors name the
	// function. A panic inside the function is returned as a
	// proto.ErrInternal error.
	Fn Func
	// Secrets says which of its arguments may carry secrets; see
	// Register's options.
	Secrets Secrets
}

// registry is filled by init functions only and read afterwards; the lock
// keeps a late Register from racing with lookups.
var registry = struct {
	sync.RWMutex
	funcs map[string]Function
}{funcs: map[string]Function{}}

// Register adds the function name ("module.function") with its doc. It
// panics on a duplicate or malformed name, and is meant for init only.
// Options declare, where the function is registered, which of its
// arguments carry secrets (AllArgsSecret, SecretArgs, SecretKwargs).
func Register(name, doc string, fn Func, opts ...Option) {
	mod, fun, ok := strings.Cut(name, ".")
	if !ok || mod == "" || fun == "" || strings.ContainsAny(name, " \t\n*") {
		panic(fmt.Sprintf("modules: invalid function name %q", name))
	}
	if fn == nil {
		panic(fmt.Sprintf("modules: nil function for %q", name))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.funcs[name]; dup {
		panic(fmt.Sprintf("modules: function %q registered twice", name))
	}
	f := Function{Name: name, Doc: doc, Fn: wrap(name, fn)}
	for _, o := range opts {
		o(&f)
	}
	registry.funcs[name] = f
}

// Lookup finds a registered function.
func Lookup(name string) (Function, bool) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.funcs[name]
	return f, ok
}

// Names lists every registered function, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.funcs))
	for n := range registry.funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// wrap names the function in bad-argument errors and turns a panic into
// an internal error.
func wrap(name string, fn Func) Func {
	return func(ctx context.Context, env *Env, call Call) (v any, err error) {
		defer func() {
			if p := recover(); p != nil {
				env.logger().ErrorContext(ctx, "execution function panicked",
					"fun", name, "panic", p, "stack", string(debug.Stack()))
				v, err = nil, proto.Errorf(proto.ErrInternal, "%s: internal error: %v", name, p)
			}
		}()
		v, err = fn(ctx, env, call)
		if err != nil {
			var pe *proto.Error
			if errors.As(err, &pe) && pe.Kind == proto.ErrBadArgument && !strings.HasPrefix(err.Error(), name+": ") {
				err = &proto.Error{Kind: proto.ErrBadArgument, Message: name + ": " + err.Error()}
			}
		}
		return v, err
	}
}
