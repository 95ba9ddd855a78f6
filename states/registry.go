// Package states holds Brine's state modules: the idempotent
// check-and-apply functions an SLS file names (file.managed, pkg.installed,
// service.running, ...), with SaltStack's arguments, change keys and
// comments. Each module lives in its own file and registers its states
// from init (RegisterTyped, with the state's arguments declared as a
// struct and read by one decoder, decode.go); the SLS compiler finds them
// with Lookup.
//
// Every state follows one routine: look at the system, work out what
// would change, and then either report it (test mode: Result nil) or
// change the system and report what changed. A state whose target is
// already right returns Result true with no changes, so running it twice
// changes nothing the second time.
//
// States know nothing of the master: salt:// sources come through
// Env.Files, templates through Env.Render, commands through Env.Runner.
package states

import (
	"context"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
)

// FileClient fetches salt:// sources from the master's file server (the
// minion provides it).
type FileClient interface {
	// Cache makes url (salt://path or an absolute local path) available
	// locally and returns the local path.
	Cache(ctx context.Context, url, saltenv string) (string, error)
	// List returns the salt:// paths under prefix (for file.recurse),
	// sorted. file.recurse passes the source URL without a trailing slash
	// (salt://nginx/conf.d) and keeps only the entries below it; an entry
	// ending in "/" names a directory (kept for include_empty).
	List(ctx context.Context, prefix, saltenv string) ([]string, error)
}

// CachedFileReader is implemented by a FileClient that keeps, for the
// state run, the contents of the salt:// files it cached: a template that
// 500 states render is read from disk once. ReadCached returns the
// content of local, a path Cache returned (any other path is read from
// disk); the caller must not modify it.
type CachedFileReader interface {
	ReadCached(local string) ([]byte, error)
}

// Renderer renders a template file's text (template: jinja) with extra
// context.
type Renderer interface {
	RenderTemplate(ctx context.Context, text []byte, name string, context map[string]any) ([]byte, error)
}

// Env is what a state may use of the minion running it.
type Env struct {
	ID      string
	Grains  map[string]any
	Pillar  map[string]any
	Saltenv string
	// Files fetches salt:// sources; it may be nil: sources then must be
	// local absolute paths.
	Files FileClient
	// Render renders templates; it may be nil: template: jinja then errors.
	Render Renderer
	// HostsFile is the file host.* manage; default /etc/hosts.
	HostsFile string
	// SysRoot is the directory under which the states that read or write
	// system files themselves find them (/etc/passwd, /etc/sysctl.d,
	// /etc/localtime, /usr/share/zoneinfo, /etc/locale.gen, /run/systemd,
	// /etc/ssh/ssh_known_hosts, ...): service.masked/unmasked, ssh_auth,
	// ssh_known_hosts, sysctl, timezone, locale; empty: "/". Tests point it at a temporary directory; the commands
	// those states run are not affected.
	SysRoot string
	// SystemdRunDir is the directory whose presence says systemd is the
	// running init (sd_booted(3)); default /run/systemd/system.
	SystemdRunDir string
	// ServiceManager is what the service.* states drive: "systemd"
	// (systemctl), "sysv" (Debian's init scripts: service, update-rc.d,
	// the rc links under SysRoot/etc, as Salt's debian_service), or ""
	// to tell by the host: systemctl on PATH is systemd, else a
	// Debian-family host with /etc/init.d is sysv.
	ServiceManager string
	Logger         *slog.Logger
	// Runner runs commands (for pkg/service/user/group/git/cmd); nil
	// means exec on this host with PATH lookup.
	Runner Runner
	// BackupDir is where file.managed keeps copies for backup: minion
	// (Salt's cachedir/file_backup); empty: beside the file, as
	// NAME.<timestamp>.bak.
	BackupDir string
	// Orchestrator is the master, for the salt.* states of an
	// orchestration (salt.function, salt.state, salt.runner, salt.wheel);
	// nil on a minion, where those states fail.
	Orchestrator Orchestrator
	// Opts is the configuration as Salt's __opts__ shows it (the
	// minion's, or the master's in an orchestration), for config.option
	// lookups (the boto_* states' region and credentials); may be nil.
	Opts map[string]any
	// Run lists the states of the highstate run in progress (ID, name,
	// function and arguments, in run order) for a state that must look
	// at its siblings: boto_secgroup.present creates a group another
	// group's rule names before that group's own state runs. Set by the
	// highstate runner, nil elsewhere; read-only.
	Run []Call
	// Exec runs execution modules on this minion, for module.run and
	// module.wait; nil where there are none (those states then fail).
	Exec ExecCaller
	// AptSourcesList is the APT sources file pkgrepo.* read and write
	// (sources.list.d beside it); default /etc/apt/sources.list.
	AptSourcesList string
	// YumReposDir holds the .repo files of pkgrepo.* on the RedHat
	// family; default /etc/yum.repos.d.
	YumReposDir string
	// CacheDir is where states keep downloads (archive.extracted's
	// http(s) sources, under extrn_files/): the minion's cachedir. Empty:
	// a download goes to a temporary file removed after the state.
	CacheDir string
	// Accumulators holds file.accumulated's text for one state run, for
	// file.blockreplace and file.managed templates to read; the highstate
	// runner gives each run its own. nil: file.accumulated fails.
	Accumulators *Accumulators
}

// ExecCaller runs the minion's execution modules (module.run). The
// minion provides it; states know the modules only through it.
type ExecCaller interface {
	// HasFunction reports whether fun ("test.arg") is an execution
	// function on this minion.
	HasFunction(fun string) bool
	// CallFunction runs fun with positional args and keyword kwargs and
	// returns its value; an error means it failed (a bad argument, or the
	// function raised).
	CallFunction(ctx context.Context, fun string, args []any, kwargs map[string]any) (any, error)
}

// logger returns env.Logger, or a logger that discards when there is none.
func (env *Env) logger() *slog.Logger {
	if env == nil || env.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return env.Logger
}

// hostsFile is the hosts file host.* edit.
func (env *Env) hostsFile() string {
	if env == nil || env.HostsFile == "" {
		return "/etc/hosts"
	}
	return env.HostsFile
}

// saltenv is the environment salt:// sources come from: the call's, the
// env's, else "base".
func (env *Env) saltenv(call Call) string {
	if call.Saltenv != "" {
		return call.Saltenv
	}
	if s, ok := call.Args["saltenv"].(string); ok && s != "" {
		return s
	}
	if env != nil && env.Saltenv != "" {
		return env.Saltenv
	}
	return "base"
}

// Call is one state to run: the state ID, its name and arguments (Salt's
// low chunk). Name is the state's name argument; Args holds the others
// (a "name" key in Args is ignored when Name is set). Fun is the state
// function ("file.managed"); the registered Apply fills it in.
type Call struct {
	ID, Name string
	Fun      string
	Args     map[string]any
	Test     bool
	Saltenv  string
	// RequiredBy are the IDs of the states whose require or watch
	// requisites (direct or through require_in/watch_in) name this one;
	// filled in only for a state with NeedsRequiredBy (file.accumulated
	// reads Salt's require_in from it).
	RequiredBy []string
	// ArgOrder lists Args' names in the SLS's order; filled in only for a
	// state with KeepArgOrder.
	ArgOrder []string
}

// Result is Salt's state result. Result nil means "would change" (test
// mode).
type Result struct {
	Name    string
	Result  *bool
	Changes map[string]any
	Comment string
}

// Func is a state function (or a mod_watch).
type Func func(ctx context.Context, env *Env, call Call) Result

// State is a registered state function.
type State struct {
	Name, Doc string
	Apply     Func
	// ModWatch is optional: run when a watched state changed (service
	// restart/reload, cmd.wait runs). As in Salt, the compiler calls it
	// after Apply when Apply itself reported no changes.
	ModWatch Func
	// Required are argument names that must be present, besides name.
	Required []string
	// NeedsRequiredBy asks the runner to fill in Call.RequiredBy.
	NeedsRequiredBy bool
	// KeepArgOrder asks the compiler to keep the arguments' order
	// (Call.ArgOrder).
	KeepArgOrder bool
}

// True returns a new pointer to true.
func True() *bool { b := true; return &b }

// False returns a new pointer to false.
func False() *bool { b := false; return &b }

var registry = struct {
	sync.RWMutex
	states map[string]State
}{states: map[string]State{}}

// Register adds a state ("module.function"). It panics on a duplicate or
// malformed name, and is meant for init only. The registered Apply and
// ModWatch check the name and Required arguments, fill in Result.Name
// and a non-nil Changes, and turn a panic into a failed result.
func Register(s State) { register(s, true) }

// register is Register; checkRequired false leaves the required
// arguments to the state (a typed state's decoder checks them).
func register(s State, checkRequired bool) {
	mod, fun, ok := strings.Cut(s.Name, ".")
	if !ok || mod == "" || fun == "" || strings.ContainsAny(s.Name, " \t\n*") {
		panic(fmt.Sprintf("states: invalid state name %q", s.Name))
	}
	if s.Apply == nil {
		panic(fmt.Sprintf("states: nil Apply for %q", s.Name))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.states[s.Name]; dup {
		panic(fmt.Sprintf("states: state %q registered twice", s.Name))
	}
	required := s.Required
	if !checkRequired {
		required = nil
	}
	s.Apply = wrap(s.Name, s.Name, required, s.Apply)
	if s.ModWatch != nil {
		s.ModWatch = wrap(s.Name, s.Name+" (mod_watch)", required, s.ModWatch)
	}
	registry.states[s.Name] = s
}

// Lookup finds a registered state, e.g. "file.managed".
func Lookup(name string) (State, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.states[name]
	return s, ok
}

// Names lists every registered state, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.states))
	for n := range registry.states {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// wrap checks the name and required arguments, normalises the result and
// recovers panics.
func wrap(state, fun string, required []string, fn Func) Func {
	return func(ctx context.Context, env *Env, call Call) (res Result) {
		call.Fun = state
		if call.Name == "" {
			if n, ok := call.Args["name"]; ok && n != nil {
				if s, ok := coerce.String(n); ok {
					call.Name = s
				}
			}
		}
		if call.Name == "" {
			call.Name = call.ID
		}
		defer func() {
			if p := recover(); p != nil {
				env.logger().ErrorContext(ctx, "state function panicked",
					"fun", fun, "id", call.ID, "panic", p, "stack", string(debug.Stack()))
				res = Result{Result: False(), Comment: fmt.Sprintf("%s: internal error: %v", fun, p)}
			}
			if res.Name == "" {
				res.Name = call.Name
			}
			if res.Changes == nil {
				res.Changes = map[string]any{}
			}
		}()
		if call.Name == "" {
			return Result{Result: False(), Comment: fmt.Sprintf("Missing parameter name for state %s", fun)}
		}
		var missing []string
		for _, r := range required {
			if v, ok := call.Args[r]; !ok || v == nil {
				missing = append(missing, "'"+r+"'")
			}
		}
		if len(missing) > 0 {
			return Result{Result: False(), Comment: fmt.Sprintf("State '%s' (%s): missing required argument %s",
				call.ID, fun, strings.Join(missing, ", "))}
		}
		if err := ctx.Err(); err != nil {
			return Result{Result: False(), Comment: fmt.Sprintf("%s not run: %v", fun, err)}
		}
		return fn(ctx, env, call)
	}
}

// fail is a failed result with a comment.
func fail(name string, format string, args ...any) Result {
	return Result{Name: name, Result: False(), Comment: fmt.Sprintf(format, args...)}
}

// failErr is a failed result whose comment is err.
func failErr(name string, err error) Result {
	return Result{Name: name, Result: False(), Comment: err.Error()}
}
