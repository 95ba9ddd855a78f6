// Package highstate is Brine's state compiler and runner: SaltStack's
// highstate machinery, run on the minion and independent of the master.
//
// Compile loads SLS files through a Source (the minion's file client and
// render.SLS), follows include (absolute, relative ".name"/"..name" and the
// {saltenv: sls} / {sls: name} forms), applies extend and exclude, and
// turns Salt's high data
//
//	ID:
//	  module.function:
//	    - arg: value
//	    - require:
//	      - module: other-id
//
// into low chunks: one per name (names: expands an ID into one chunk per
// name), each bound to a registered state function (states.Lookup). It
// resolves the requisites (require, watch, onchanges, onfail, prereq,
// listen, their _in forms, the _any/_all variants and "sls: name"
// targets) and orders the chunks topologically, ties broken by Salt's
// order (state_auto_order: declaration order, included files first;
// "order: N|first|last" overrides) as the current Salt state compiler
// does. Every problem found (a missing requisite target, an ID declared
// in two files, a requisite cycle, an unknown state function, a missing
// required argument, malformed data) is listed in one *CompileError.
//
// retry, parallel, use and use_in compile as in Salt (parallel states run
// in their turn). CompileLow and CompileHighData give Salt's own views
// for state.show_lowstate / show_low_sls and show_highstate / show_sls,
// following Salt 3006's requisite_in, reconcile_extend, compile_high_data
// and order_chunks step by step (low.go), so that they diff against
// Salt's output.
//
// Plan.Run executes the chunks in that order with Salt's requisite
// semantics and returns Salt's state-return map keyed
// "<module>_|-<id>_|-<name>_|-<function>".
package highstate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/brine-cm/brine/render"
	"github.com/brine-cm/brine/states"
)

// Source supplies SLS files: Load renders sls "web.nginx" in saltenv and
// returns its ordered data and the name of the file it came from (for
// errors; a name ending in "/init.sls" makes relative includes resolve
// inside the package, as in Salt). The minion implements it with its file
// client and render.SLS. An sls that does not exist should be reported
// with an error wrapping fs.ErrNotExist; empty data (nil) is an empty
// file.
type Source interface {
	Load(ctx context.Context, sls, saltenv string) (*render.Map, string, error)
}

// Options configure compiling and running.
type Options struct {
	// Test runs every state in test mode (test=True): states report what
	// they would change with Result nil.
	Test bool
	// Saltenv is the environment sls names are loaded from (default
	// "base").
	Saltenv string
	// Pillar is merged (deeply) over Env.Pillar for the run, as Salt's
	// pillar= override.
	Pillar map[string]any
	// Env is what states may use of the minion; nil: an empty Env.
	Env *states.Env
	// Failhard stops the run at the first failed state (a state's own
	// failhard argument overrides it). Ignored in test mode, as in Salt.
	Failhard bool
	// Source loads SLS files; needed by Compile, and by CompileHigh only
	// for includes the given data does not hold.
	Source Source
	// Logger receives a line per state run; nil: Env.Logger, else discard.
	Logger *slog.Logger
}

// Plan is a compiled state run: its chunks in execution order, each with
// its __run_num__ (its index). Everything Run needs is in the exported
// fields, so a Plan stored as JSON and decoded again runs the same.
type Plan struct {
	Chunks []Chunk

	// links caches what Run derives from Chunks (parallel to Chunks).
	links []links
}

// Chunk is one low chunk: one state function applied to one name.
type Chunk struct {
	ID   string
	Name string
	// Fun is "module.function", e.g. "file.managed".
	Fun string
	// SLS is the sls the ID is declared in, File the file it came from.
	SLS, File string
	// Saltenv is the environment the sls was loaded from.
	Saltenv string
	// Args are the state's arguments, without name, names and the
	// compiler's own keywords (requisites, order, failhard, onlyif,
	// unless, creates, check_cmd, ...).
	Args map[string]any
	// ArgOrder lists Args' names in the SLS's order, for the states that
	// keep it (module.run calls its functions in that order).
	ArgOrder []string `json:",omitempty"`
	// Order is the resolved order value (auto order 10000+declaration
	// index; first 0; last after everything).
	Order int
	// RunNum is the chunk's position in the run (__run_num__).
	RunNum int
	// Requisites are the chunk's resolved requisites, direct and from
	// other states' _in forms; a state with "prereq" gives its target a
	// "prerequired" requisite on it.
	Requisites []Requisite
	// OnlyIf, Unless are shell commands (run with /bin/sh -c); Creates
	// are paths; CheckCmd are commands deciding the result afterwards.
	OnlyIf, Unless, Creates, CheckCmd []string
	// Failhard is the state's own failhard setting, nil when not set.
	Failhard *bool
	// Retry re-runs the state until its result is Retry.Until (Salt's
	// retry keyword); nil: run once.
	Retry *Retry `json:",omitempty"`
	// Parallel is Salt's parallel keyword. Brine runs the state in its
	// turn (the results are the same; only the wall-clock time differs).
	Parallel bool `json:",omitempty"`
}

// Retry is Salt's retry keyword, defaults applied.
type Retry struct {
	Until    bool
	Attempts int
	Interval int // seconds
	Splay    int // seconds
}

// Requisite is one resolved requisite reference.
type Requisite struct {
	// Kind: require, require_any, watch, watch_any, onchanges,
	// onchanges_any, onfail, onfail_any, onfail_all, prereq, prerequired
	// or listen.
	Kind string
	// Module is the referenced state module, "id" for a bare ID or name,
	// or "sls"; Target the ID, name, sls (or glob) referenced.
	Module, Target string
	// RunNums are the chunks the reference matched.
	RunNums []int
}

// Module is the chunk's state module ("file").
func (c Chunk) Module() string { m, _, _ := strings.Cut(c.Fun, "."); return m }

// Function is the chunk's state function ("managed").
func (c Chunk) Function() string { _, f, _ := strings.Cut(c.Fun, "."); return f }

// Tag is the chunk's key in the result map:
// "<module>_|-<id>_|-<name>_|-<function>".
func (c Chunk) Tag() string { return Tag(c.Module(), c.ID, c.Name, c.Function()) }

// Tag builds a state-return key.
func Tag(module, id, name, function string) string {
	return module + "_|-" + id + "_|-" + name + "_|-" + function
}

// Result is one state's return, as Salt reports it.
type Result struct {
	ID      string         `json:"__id__"`
	RunNum  int            `json:"__run_num__"`
	SLS     string         `json:"__sls__"`
	Name    string         `json:"name"`
	Result  *bool          `json:"result"`
	Changes map[string]any `json:"changes"`
	Comment string         `json:"comment"`
	// Duration is in milliseconds.
	Duration float64 `json:"duration"`
	// StartTime is the local wall-clock time the state started,
	// "HH:MM:SS.ffffff".
	StartTime string `json:"start_time"`
}

// CompileError lists every problem found compiling the states.
type CompileError struct {
	Errors []string
}

func (e *CompileError) Error() string {
	if len(e.Errors) == 1 {
		return e.Errors[0]
	}
	return fmt.Sprintf("%d errors compiling states:\n%s", len(e.Errors), strings.Join(e.Errors, "\n"))
}

// Compile loads the named sls files (with their includes) from o.Source
// in o.Saltenv and compiles them into a Plan.
func Compile(ctx context.Context, o Options, sls []string) (*Plan, error) {
	if o.Source == nil {
		return nil, &CompileError{Errors: []string{"highstate: no Source to load sls files from"}}
	}
	l := newLoader(ctx, o, nil)
	for _, s := range sls {
		l.loadTop(s)
	}
	return l.compile()
}

// CompileHigh compiles already-rendered data: high maps sls names to
// their data (in o.Saltenv), order gives the sls to apply (nil: every
// sls in high, in sorted order). Includes are looked up in high first,
// then in o.Source when it is set. Data from high has no file name:
// relative includes in it resolve as from a file "a/b.sls", not from a
// package's init.sls.
func CompileHigh(o Options, high map[string]*render.Map, order []string) (*Plan, error) {
	if order == nil {
		for s := range high {
			order = append(order, s)
		}
		sortStrings(order)
	}
	l := newLoader(context.Background(), o, high)
	for _, s := range order {
		l.loadTop(s)
	}
	return l.compile()
}
