package states

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

// module.run and module.wait: call execution modules on the minion from a
// state, as Salt's states/module.py does, in both of its syntaxes:
//
//	new (Salt >= 2017.7, the default since 3005):
//	  restart:
//	    module.run:
//	      - service.restart:
//	        - nginx              # positional
//	        - no_block: True     # a one-key mapping is a keyword
//	      - test.arg: []        # several functions run in order
//
//	old (legacy): the function is the state's name, its arguments are
//	keywords; m_name, m_fun, m_names, m_state, m_saltenv stand for the
//	function's own name, fun, names, state, saltenv arguments; args (a
//	list) gives positionals and kwargs (a mapping) more keywords.
//	  flush:
//	    module.run:
//	      - name: cmd.run
//	      - cmd: iptables -F
//
// As in Salt, the syntax is new when every argument but name is a
// function name (holds a dot). The functions are the minion's, reached
// through Env.Exec: states know nothing of the modules package.

func init() {
	RegisterTyped(Typed[moduleRunArgs]{
		Name: "module.run",
		Doc: `Run execution functions on the minion.

New syntax: each argument named like a function (service.restart, or test.arg:2 to call one twice) is called in order with its list of arguments: plain items are positional, one-key mappings are keywords. changes: {function: its return}. The result is False when a function failed, returned False, or returned a mapping with a non-zero retcode or a result: False. In test mode nothing runs: "Function(s) ... to be executed."
Old syntax: name is the function; the other arguments are its keywords (m_name, m_fun, m_names, m_state, m_saltenv stand for name, fun, names, state, saltenv), args its positionals and kwargs further keywords. changes: {ret: its return}.
A function the minion does not have fails the state ("Unavailable function", "is not available").`,
		Apply:        moduleRun,
		ModWatch:     moduleRun,
		KeepArgOrder: true,
	})
	RegisterTyped(Typed[moduleRunArgs]{
		Name:         "module.wait",
		Doc:          `Run execution functions only when a watched state changed: the state itself does nothing (result True, no changes); its mod_watch runs them as module.run does, with the same arguments in either syntax.`,
		Apply:        moduleWait,
		ModWatch:     moduleRun,
		KeepArgOrder: true,
	})
}

// moduleRunArgs collects every argument: in the new syntax they are
// function names, in the old one the function's own keywords.
type moduleRunArgs struct {
	Returner string         `salt:"returner"`
	Rest     map[string]any `salt:",rest"`
}

// isFunctionKey reports whether k names a function (new syntax).
func isFunctionKey(k string) bool { return strings.Contains(k, ".") }

// legacySyntax is Salt's test: old syntax when any argument but name is
// not a function name, or when there is none.
func (a *moduleRunArgs) legacySyntax() bool {
	if len(a.Rest) == 0 {
		return true
	}
	for k := range a.Rest {
		if !isFunctionKey(k) {
			return true
		}
	}
	return false
}

// dropKeywords removes Salt's own keywords (saltenv, runas, ...) that the
// rest field collected: they are neither functions nor the function's
// arguments.
func (a *moduleRunArgs) dropKeywords() {
	for k := range a.Rest {
		if saltKeywords[k] {
			delete(a.Rest, k)
		}
	}
}

func moduleWait(ctx context.Context, env *Env, call Call, a *moduleRunArgs) Result {
	a.dropKeywords()
	if !a.legacySyntax() {
		// check the functions exist now rather than when a watch fires
		if res, bad := checkFunctions(env, call, a.functions(call)); bad {
			return res
		}
	} else if res, bad := checkLegacyName(env, call); bad {
		return res
	}
	return Result{Name: call.Name, Result: True()}
}

func moduleRun(ctx context.Context, env *Env, call Call, a *moduleRunArgs) Result {
	a.dropKeywords()
	if a.Returner != "" {
		return fail(call.Name, "module.run: returner '%s' is not supported: Brine sends every job return to the master", a.Returner)
	}
	if a.legacySyntax() {
		return moduleRunLegacy(ctx, env, call, a)
	}
	funcs := a.functions(call)
	if res, bad := checkFunctions(env, call, funcs); bad {
		return res
	}
	if call.Test {
		return Result{Name: call.Name, Comment: fmt.Sprintf("Function%s %s to be executed.", plural(len(funcs)), strings.Join(funcs, ", "))}
	}
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	var failures, success []string
	for _, key := range funcs {
		fun, _, _ := strings.Cut(key, ":")
		args, kwargs, err := splitFuncArgs(a.Rest[key])
		if err != nil {
			failures = append(failures, fmt.Sprintf("'%s' failed: %v", key, err))
			continue
		}
		v, err := env.Exec.CallFunction(ctx, fun, args, kwargs)
		if err != nil {
			failures = append(failures, fmt.Sprintf("'%s' failed: %v", key, err))
			continue
		}
		if !funcSucceeded(v) {
			if m, ok := v.(map[string]any); ok {
				c, ok := m["comment"]
				if !ok {
					c = "(error message N/A)"
				}
				failures = append(failures, fmt.Sprintf("'%s' failed: %s", key, pyStr(c)))
			} else {
				failures = append(failures, fmt.Sprintf("'%s': %s", key, pyStr(v)))
			}
			continue
		}
		if m, ok := v.(map[string]any); ok {
			c, ok := m["comment"]
			if !ok {
				c = "Success"
			}
			success = append(success, fmt.Sprintf("%s: %s", key, pyStr(c)))
		} else {
			success = append(success, fmt.Sprintf("%s: %s", key, pyStr(v)))
		}
		ret.Changes[key] = v
	}
	ret.Comment = strings.Join(append(failures, success...), ", ")
	if len(failures) > 0 {
		ret.Result = False()
	} else {
		ret.Result = True()
	}
	return ret
}

// functions are the new syntax's function keys in the SLS's order (the
// compiler keeps it for module.run), then any others sorted.
func (a *moduleRunArgs) functions(call Call) []string {
	funcs := make([]string, 0, len(a.Rest))
	seen := map[string]bool{}
	for _, k := range call.ArgOrder {
		if _, ok := a.Rest[k]; ok && isFunctionKey(k) && !seen[k] {
			seen[k] = true
			funcs = append(funcs, k)
		}
	}
	var rest []string
	for k := range a.Rest {
		if isFunctionKey(k) && !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(funcs, rest...)
}

// checkFunctions fails when there is no minion to run functions on, no
// function, or one the minion does not have (Salt's "Unavailable
// function").
func checkFunctions(env *Env, call Call, funcs []string) (Result, bool) {
	if env == nil || env.Exec == nil {
		return fail(call.Name, "%s: execution modules are not available here (module.run runs on a minion)", call.Fun), true
	}
	if len(funcs) == 0 {
		return fail(call.Name, "No function provided."), true
	}
	var missing []string
	for _, key := range funcs {
		fun, _, _ := strings.Cut(key, ":")
		if !env.Exec.HasFunction(fun) {
			missing = append(missing, fun)
		}
	}
	if len(missing) > 0 {
		return fail(call.Name, "Unavailable function%s: %s.", plural(len(missing)), strings.Join(missing, ", ")), true
	}
	return Result{}, false
}

// checkLegacyName fails when the old syntax's function is not there.
func checkLegacyName(env *Env, call Call) (Result, bool) {
	if env == nil || env.Exec == nil {
		return fail(call.Name, "%s: execution modules are not available here (module.run runs on a minion)", call.Fun), true
	}
	if !isFunctionKey(call.Name) || !env.Exec.HasFunction(call.Name) {
		return fail(call.Name, "Module function %s is not available", call.Name), true
	}
	return Result{}, false
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

// splitFuncArgs reads a new-syntax function's arguments: a list whose
// one-key mappings are keywords and other items positionals; a mapping
// is all keywords; a scalar is one positional; null is none.
func splitFuncArgs(v any) ([]any, map[string]any, error) {
	args, kwargs := []any{}, map[string]any{}
	switch x := v.(type) {
	case nil:
	case []any:
		for _, item := range x {
			if m, ok := coerce.Map(item); ok {
				for k, v := range m {
					kwargs[k] = v
				}
				continue
			}
			args = append(args, item)
		}
	default:
		if m, ok := coerce.Map(v); ok {
			for k, v := range m {
				kwargs[k] = v
			}
		} else {
			args = append(args, v)
		}
	}
	return args, kwargs, nil
}

// legacyRenames are the old syntax's stand-ins for the function's
// arguments that the state keeps for itself.
var legacyRenames = map[string]string{
	"m_name": "name", "m_fun": "fun", "m_names": "names", "m_state": "state", "m_saltenv": "saltenv",
}

func moduleRunLegacy(ctx context.Context, env *Env, call Call, a *moduleRunArgs) Result {
	if res, bad := checkLegacyName(env, call); bad {
		return res
	}
	fun := call.Name
	if call.Test {
		return Result{Name: fun, Comment: fmt.Sprintf("Module function %s is set to execute", fun)}
	}
	var args []any
	kwargs := map[string]any{}
	for k, v := range a.Rest {
		switch {
		case k == "args":
			l, ok := v.([]any)
			if !ok {
				return fail(fun, "'args' must be a list.")
			}
			args = append(args, l...)
		case k == "kwargs":
			m, ok := coerce.Map(v)
			if !ok {
				return fail(fun, "'kwargs' must be a dict.")
			}
			for mk, mv := range m {
				kwargs[mk] = mv
			}
		case legacyRenames[k] != "":
			kwargs[legacyRenames[k]] = v
		default:
			kwargs[k] = v
		}
	}
	v, err := env.Exec.CallFunction(ctx, fun, args, kwargs)
	if err != nil {
		return fail(fun, "Module function %s threw an exception. Exception: %v", fun, err)
	}
	ret := Result{Name: fun, Changes: map[string]any{"ret": v}, Comment: fmt.Sprintf("Module function %s executed", fun)}
	if funcSucceeded(v) {
		ret.Result = True()
	} else {
		ret.Result = False()
	}
	return ret
}

// funcSucceeded is Salt's _get_result: False for a function that
// returned False, or a mapping with a non-zero retcode, a result: False
// at its top, or a result: False nested anywhere in it.
func funcSucceeded(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case map[string]any:
		if rc, ok := x["retcode"]; ok {
			if n, ok := coerce.Int(rc); !ok || n != 0 {
				return false
			}
		}
		if r, ok := x["result"].(bool); ok {
			return r
		}
		return dictResult(x)
	}
	return true
}

// dictResult is Salt's _get_dict_result: false when a "result" key
// anywhere in the nested mappings is False.
func dictResult(m map[string]any) bool {
	for k, v := range m {
		if k == "result" && v == false {
			return false
		}
		if sub, ok := v.(map[string]any); ok && !dictResult(sub) {
			return false
		}
	}
	return true
}

// pyStr is Python's str() of a value, as Salt's comments format
// returns: a string as itself, anything else as repr().
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writePyRepr(&b, v)
	return b.String()
}

func writePyRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		q := "'"
		if strings.Contains(x, "'") && !strings.Contains(x, `"`) {
			q = `"`
		}
		r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`, q, `\`+q)
		b.WriteString(q + r.Replace(x) + q)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		switch {
		case math.IsInf(x, 1):
			b.WriteString("inf")
		case math.IsInf(x, -1):
			b.WriteString("-inf")
		case x == math.Trunc(x) && math.Abs(x) < 1e16:
			b.WriteString(strconv.FormatFloat(x, 'f', 1, 64))
		default:
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyRepr(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyRepr(b, k)
			b.WriteString(": ")
			writePyRepr(b, x[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, x)
	}
}
