// Package runners holds the functions the master runs itself: runners
// (`ctl run FUN`, a reactor's runner.*, orchestration's salt.runner, the
// master's schedule, the API's client=runner) and wheel functions (a
// reactor's wheel.*, orchestration's salt.wheel, the API's client=wheel).
//
// Each runner module is one file here that registers its functions by
// name from init, with a doc string shown by `ctl run doc.runner`:
//
//	func init() {
//		runners.Register("hello.world", `Return a greeting.`, helloWorld)
//	}
//
// Wheel functions register the same way with RegisterWheel, from files
// named wheel_<module>.go. Both kinds share Call, Env and the capability
// interfaces; they differ only in namespace and in who may run them (the
// API's @runner and @wheel), so one package holds both.
//
// Runners never import the master. They get an Env, the master as a
// runner sees it, and assert from it the narrow capability they need
// (JobCache, Minions, Presence, Mine, Orchestrator, Keys, ...) with Need:
// a master without that capability fails the call with an error naming
// what is missing. A new runner module needing something new declares its
// capability interface in its own file; the master then implements it.
package runners

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/brine-cm/brine/proto"
)

// Func is a runner or wheel function. Errors that are (or wrap) a
// *proto.Error keep their kind (a bad argument, a missing job, ...); a
// panic is returned as a proto.ErrInternal error.
type Func func(ctx context.Context, env Env, call Call) (any, error)

// Function is a registered runner or wheel function.
type Function struct {
	// Name is Salt's "module.function" ("jobs.lookup_jid", "key.accept").
	Name string
	// Doc is its documentation, as doc.runner and doc.wheel show it.
	Doc string
	// Fn runs it.
	Fn Func
}

// registry is one namespace of functions. It is filled by init functions
// only and read afterwards; the lock keeps a late Register from racing
// with lookups.
type registry struct {
	kind string // "runner" or "wheel", as errors name it

	mu    sync.RWMutex
	funcs map[string]Function
}

var (
	runnerFuncs = &registry{kind: "runner", funcs: map[string]Function{}}
	wheelFuncs  = &registry{kind: "wheel", funcs: map[string]Function{}}
)

// Register adds the runner name ("module.function") with its doc. It
// panics on a malformed or duplicate name or a nil function, and is meant
// for init only.
func Register(name, doc string, fn Func) { runnerFuncs.add(name, doc, fn) }

// RegisterWheel adds the wheel function name ("module.function") with its
// doc, as Register does for runners.
func RegisterWheel(name, doc string, fn Func) { wheelFuncs.add(name, doc, fn) }

// Lookup finds a registered runner.
func Lookup(name string) (Function, bool) { return runnerFuncs.lookup(name) }

// LookupWheel finds a registered wheel function.
func LookupWheel(name string) (Function, bool) { return wheelFuncs.lookup(name) }

// Names lists the registered runners, sorted.
func Names() []string { return runnerFuncs.names() }

// WheelNames lists the registered wheel functions, sorted.
func WheelNames() []string { return wheelFuncs.names() }

// Run runs the runner call.Fun: the one lookup behind `ctl run`, the
// reactor, orchestration, the master's schedule and the API. An unknown
// name is a proto.ErrUnknownFunction error ("runner "x.y" is not
// available").
func Run(ctx context.Context, env Env, call Call) (any, error) {
	return runnerFuncs.run(ctx, env, call)
}

// RunWheel runs the wheel function call.Fun, as Run does runners.
func RunWheel(ctx context.Context, env Env, call Call) (any, error) {
	return wheelFuncs.run(ctx, env, call)
}

func (r *registry) add(name, doc string, fn Func) {
	mod, fun, ok := strings.Cut(name, ".")
	if !ok || mod == "" || fun == "" || strings.ContainsAny(name, " \t\n*?[") {
		panic(fmt.Sprintf("runners: invalid %s name %q (want module.function)", r.kind, name))
	}
	if fn == nil {
		panic(fmt.Sprintf("runners: nil function for %s %q", r.kind, name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.funcs[name]; dup {
		panic(fmt.Sprintf("runners: %s %q registered twice", r.kind, name))
	}
	r.funcs[name] = Function{Name: name, Doc: doc, Fn: fn}
}

func (r *registry) lookup(name string) (Function, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.funcs[name]
	return f, ok
}

func (r *registry) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.funcs))
	for n := range r.funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (r *registry) run(ctx context.Context, env Env, call Call) (v any, err error) {
	f, ok := r.lookup(call.Fun)
	if !ok {
		return nil, proto.Errorf(proto.ErrUnknownFunction, "%s %q is not available", r.kind, call.Fun)
	}
	defer func() {
		if p := recover(); p != nil {
			logger(env).ErrorContext(ctx, r.kind+" function panicked",
				"fun", call.Fun, "panic", p, "stack", string(debug.Stack()))
			v, err = nil, proto.Errorf(proto.ErrInternal, "%s: internal error: %v", call.Fun, p)
		}
	}()
	return f.Fn(ctx, env, call)
}

// logger is env's logger, or one that discards.
func logger(env Env) *slog.Logger {
	if env == nil {
		return slog.New(slog.DiscardHandler)
	}
	if l := env.Logger(); l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
