package render

import (
	"fmt"
	"log/slog"
	"strings"
)

// More of the execution functions formulas call at render time that need
// nothing of the minion: log.*, slsutil.merge, slsutil.update,
// slsutil.serialize, file.dirname, file.basename, file.join. A caller's
// function of the same name (Context.Salt) replaces these.

func init() {
	for _, level := range []string{"debug", "info", "warning", "error", "critical", "exception"} {
		defaultFuncs["log."+level] = logFunc(level)
	}
	defaultFuncs["slsutil.merge"] = slsutilMerge
	defaultFuncs["slsutil.update"] = slsutilUpdate
	defaultFuncs["slsutil.serialize"] = slsutilSerialize
	defaultFuncs["file.dirname"] = fileDirname
	defaultFuncs["file.basename"] = fileBasename
	defaultFuncs["file.join"] = fileJoin
}

// logFunc is Salt's log module: the message goes to the render's log
// (slog's default logger, at the matching level); the call returns None.
func logFunc(level string) rawFunc {
	lv := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warning": slog.LevelWarn,
		"error": slog.LevelError, "critical": slog.LevelError, "exception": slog.LevelError}[level]
	return func(st *state, args []any, kw map[string]any) (any, error) {
		p, err := params("log."+level, args, kw, []string{"message"}, nil)
		if err != nil {
			return nil, err
		}
		slog.Default().Log(st.ctx, lv, "template log", "template", st.top, "message", pyStr(st, p["message"]))
		return nil, nil
	}
}

// slsutilMerge is slsutil.merge(obj_a, obj_b, strategy='smart',
// renderer='yaml', merge_lists=False): a merged copy of obj_a (Salt's
// "smart" strategy with the yaml renderer is "recurse").
func slsutilMerge(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("slsutil.merge", args, kw, []string{"obj_a", "obj_b", "strategy", "renderer", "merge_lists"},
		map[string]any{"strategy": "smart", "renderer": "yaml", "merge_lists": false})
	if err != nil {
		return nil, err
	}
	strategy := pyStr(st, p["strategy"])
	a, ok1 := p["obj_a"].(map[string]any)
	b, ok2 := p["obj_b"].(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("cannot merge non-dict types")
	}
	mergeLists, _ := truth(p["merge_lists"])
	switch strategy {
	case "smart", "recurse":
		return st.dictUpdate(st.deepcopy(a).(map[string]any), b, mergeLists), nil
	case "overwrite":
		out := st.deepcopy(a).(map[string]any)
		for _, k := range st.keys(b) {
			st.dictSet(out, k, b[k])
		}
		return out, nil
	case "none":
		return st.deepcopy(a), nil
	}
	return nil, fmt.Errorf("unknown merging strategy '%s'", strategy)
}

// slsutilUpdate is slsutil.update(dest, upd, recursive_update=True,
// merge_lists=False): dest updated in place.
func slsutilUpdate(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("slsutil.update", args, kw, []string{"dest", "upd", "recursive_update", "merge_lists"},
		map[string]any{"recursive_update": true, "merge_lists": false})
	if err != nil {
		return nil, err
	}
	d, ok1 := p["dest"].(map[string]any)
	u, ok2 := p["upd"].(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("cannot update using non-dict types in dictupdate.update()")
	}
	if rec, _ := truth(p["recursive_update"]); !rec {
		for _, k := range st.keys(u) {
			st.dictSet(d, k, u[k])
		}
		return d, nil
	}
	mergeLists, _ := truth(p["merge_lists"])
	return st.dictUpdate(d, u, mergeLists), nil
}

// slsutilSerialize is slsutil.serialize(serializer, obj): yaml or json
// text, as Salt's serializers write it.
func slsutilSerialize(st *state, args []any, kw map[string]any) (any, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("slsutil.serialize takes a serializer name and an object")
	}
	switch name := pyStr(st, args[0]); name {
	case "yaml":
		s, err := st.pyYAMLDumpStyle(args[1], nil)
		if err != nil {
			return nil, err
		}
		// salt.serializers.yaml.serialize drops the document end or the
		// final newline
		if strings.HasSuffix(s, "\n...\n") {
			return s[:len(s)-5], nil
		}
		return strings.TrimSuffix(s, "\n"), nil
	case "json":
		return st.pyJSON(args[1], jsonOpts{sortKeys: false, indent: nil, ensureASCII: true})
	default:
		return nil, fmt.Errorf("slsutil.serialize: serializer '%s' is not available (yaml, json)", name)
	}
}

func fileDirname(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("file.dirname", args, kw, []string{"path"}, nil)
	if err != nil {
		return nil, err
	}
	s := pyStr(st, p["path"])
	i := strings.LastIndexByte(s, '/') + 1
	head := s[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head, nil
}

func fileBasename(st *state, args []any, kw map[string]any) (any, error) {
	p, err := params("file.basename", args, kw, []string{"path"}, nil)
	if err != nil {
		return nil, err
	}
	s := pyStr(st, p["path"])
	return s[strings.LastIndexByte(s, '/')+1:], nil
}

// fileJoin is file.join(*args): os.path.join, an absolute part starting
// over.
func fileJoin(st *state, args []any, _ map[string]any) (any, error) {
	out := ""
	for i, a := range args {
		s := pyStr(st, a)
		switch {
		case i == 0 || strings.HasPrefix(s, "/"):
			out = s
		case out == "" || strings.HasSuffix(out, "/"):
			out += s
		default:
			out += "/" + s
		}
	}
	return out, nil
}

// Provides reports whether the package implements salt[name] itself
// (pillar.get with merge, grains.filter_by, config.get, defaults.merge,
// log.*, ...). A caller building Context.Salt from its execution modules
// leaves these out, so that templates get Salt's template-side behaviour
// on the render's own pillar and grains (e.g. pillar.get's merge=True).
func Provides(name string) bool {
	_, ok := defaultFuncs[name]
	return ok
}
