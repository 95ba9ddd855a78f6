package modules

import (
	"context"
	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/internal/glob"
	"sort"
	"strings"
)

// The sys module: what the minion can do.

func init() {
	Register("sys.list_functions", `List the functions the minion can run, sorted. With arguments, list only the functions of the named modules ('sys' gives sys.* but not sysctl.*) or matching the given globs (any argument containing '*' or '.', e.g. 'sys.list_*').

CLI Example:

    ctl '*' sys.list_functions cmd 'grains.*'`, sysListFunctions)

	Register("sys.doc", `Return a mapping of function names to their documentation: of every function, or only of the named functions, modules ('sys' or 'sys.') or globs ('sys.list_*'). Unknown names give an empty mapping.

CLI Example:

    ctl '*' sys.doc cmd.run`, sysDoc)

	Register("sys.list_modules", `List the execution modules the minion has, sorted; with arguments, only the modules matching the given globs.

CLI Example:

    ctl '*' sys.list_modules 's*'`, sysListModules)
}

// patterns returns the call's positional arguments as strings.
func patterns(call Call, name string) ([]string, error) {
	out := make([]string, 0, len(call.Args))
	for _, a := range call.Args {
		s, ok := coerce.String(a)
		if !ok {
			return nil, wrongType(name, "a string", a)
		}
		out = append(out, s)
	}
	return out, nil
}

// globMatch is fnmatch on a function or module name.
func globMatch(pattern, name string) (bool, error) {
	g, err := glob.CompileFnmatch(pattern)
	if err != nil {
		return false, badArg("%v", err)
	}
	return g.Match(name), nil
}

// selectFunctions returns the sorted function names the arguments pick:
// all for none; a glob (containing '*') or a name with a '.' that is not
// just a module prefix matches by glob or equality; a module name (with
// or without a trailing '.') its functions.
func selectFunctions(args []string) ([]string, error) {
	all := Names()
	if len(args) == 0 {
		return all, nil
	}
	set := map[string]bool{}
	for _, a := range args {
		switch {
		case a == "":
			continue
		case strings.ContainsAny(a, "*?[") || (strings.Contains(a, ".") && !strings.HasSuffix(a, ".")):
			for _, n := range all {
				ok, err := globMatch(a, n)
				if err != nil {
					return nil, err
				}
				if ok {
					set[n] = true
				}
			}
		default:
			prefix := strings.TrimSuffix(a, ".") + "."
			for _, n := range all {
				if strings.HasPrefix(n, prefix) {
					set[n] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func sysListFunctions(ctx context.Context, env *Env, call Call) (any, error) {
	args, err := patterns(call, "module")
	if err != nil {
		return nil, err
	}
	names, err := selectFunctions(args)
	if err != nil {
		return nil, err
	}
	return stringList(names), nil
}

func sysDoc(ctx context.Context, env *Env, call Call) (any, error) {
	args, err := patterns(call, "function")
	if err != nil {
		return nil, err
	}
	names, err := selectFunctions(args)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(names))
	for _, n := range names {
		if f, ok := Lookup(n); ok {
			out[n] = f.Doc
		}
	}
	return out, nil
}

func sysListModules(ctx context.Context, env *Env, call Call) (any, error) {
	args, err := patterns(call, "module")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, n := range Names() {
		mod, _, _ := strings.Cut(n, ".")
		set[mod] = true
	}
	mods := make([]string, 0, len(set))
	for m := range set {
		if len(args) == 0 {
			mods = append(mods, m)
			continue
		}
		for _, a := range args {
			ok, err := globMatch(a, m)
			if err != nil {
				return nil, err
			}
			if ok {
				mods = append(mods, m)
				break
			}
		}
	}
	sort.Strings(mods)
	return stringList(mods), nil
}

// stringList turns strings into the []any shape of a JSON list.
func stringList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
