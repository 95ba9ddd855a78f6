package runners

import (
	"context"
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/proto"
)

// The doc runner: what the master can run.

func init() {
	Register("doc.runner", `Return a mapping of runner names to their documentation: of every runner, or only of the named runners, modules ('jobs' or 'jobs.') or globs ('manage.*'). A name or glob that matches no runner is an error.

CLI Example:

    ctl run doc.runner
    ctl run doc.runner jobs`, func(_ context.Context, _ Env, call Call) (any, error) {
		return docOf(runnerFuncs, call)
	})

	Register("doc.wheel", `Return a mapping of wheel function names to their documentation: of every wheel function, or only of the named ones, modules ('key') or globs ('key.*'). A name or glob that matches no wheel function is an error.

CLI Example:

    ctl run doc.wheel
    ctl run doc.wheel key.accept`, func(_ context.Context, _ Env, call Call) (any, error) {
		return docOf(wheelFuncs, call)
	})
}

// docOf returns the docs of r's functions that call's positional
// arguments pick: all for none; a glob (containing '*', '?' or '[') or a
// name with a '.' that is not just a module prefix by fnmatch or
// equality; a module name (with or without a trailing '.') its functions.
func docOf(r *registry, call Call) (any, error) {
	all := r.names()
	picked := map[string]bool{}
	if len(call.Args) == 0 {
		for _, n := range all {
			picked[n] = true
		}
	}
	for _, a := range call.Args {
		p, ok := a.(string)
		if !ok || p == "" {
			return nil, BadArg("%s: each argument must be a %s name, module or glob, got %v", call.Fun, r.kind, a)
		}
		n := 0
		switch {
		case strings.ContainsAny(p, "*?[") || (strings.Contains(p, ".") && !strings.HasSuffix(p, ".")):
			g, err := glob.CompileFnmatch(p)
			if err != nil {
				return nil, BadArg("%s: %q: %v", call.Fun, p, err)
			}
			for _, name := range all {
				if g.Match(name) {
					picked[name] = true
					n++
				}
			}
		default:
			prefix := strings.TrimSuffix(p, ".") + "."
			for _, name := range all {
				if strings.HasPrefix(name, prefix) {
					picked[name] = true
					n++
				}
			}
		}
		if n == 0 {
			return nil, proto.Errorf(proto.ErrUnknownFunction, "%s: no %s function matches %q (known: %s)", call.Fun, r.kind, p, strings.Join(modulesOf(all), ", "))
		}
	}
	out := make(map[string]any, len(picked))
	for name := range picked {
		if f, ok := r.lookup(name); ok {
			out[name] = f.Doc
		}
	}
	return out, nil
}

// modulesOf lists the modules of names, sorted.
func modulesOf(names []string) []string {
	set := map[string]bool{}
	for _, n := range names {
		mod, _, _ := strings.Cut(n, ".")
		set[mod] = true
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
