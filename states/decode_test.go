package states

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeShared is embedded: its arguments belong to the outer struct.
type decodeShared struct {
	User string `salt:"user"`
}

// decodeAll has a field of every kind the decoder reads.
type decodeAll struct {
	decodeShared
	Str     string         `salt:"str" default:"dflt"`
	Flag    bool           `salt:"flag" default:"true"`
	Count   int            `salt:"count" default:"3"`
	Ratio   float64        `salt:"ratio"`
	List    []string       `salt:"list"`
	Map     map[string]any `salt:"map"`
	Raw     any            `salt:"raw"`
	OptStr  *string        `salt:"opt_str"`
	OptBool *bool          `salt:"opt_bool"`
	OptInt  *int           `salt:"opt_int"`
	Mode    modeArg        `salt:"mode" default:"0644"`
	Needed  string         `salt:"needed,required"`

	validated bool
}

func (a *decodeAll) Validate() error {
	a.validated = true
	if a.Count > 100 {
		return ArgErrorf("count", "must be at most 100, got %d", a.Count)
	}
	if a.Str == "both" && a.OptStr != nil {
		return errors.New("'str' both and 'opt_str' cannot be combined")
	}
	return nil
}

// decodeRest passes undeclared arguments on.
type decodeRest struct {
	Known string         `salt:"known"`
	Rest  map[string]any `salt:",rest"`
}

func TestDecodeTable(t *testing.T) {
	spec := newArgSpec[decodeAll]()
	if !reflect.DeepEqual(spec.required, []string{"needed"}) {
		t.Fatalf("required %v, want [needed]", spec.required)
	}
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"needed": "x"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		args  map[string]any
		check func(t *testing.T, a *decodeAll)
		err   []string // substrings of the error; nil: no error
		warn  []string // substrings of the (single) warning; nil: none
	}{
		{name: "defaults", args: base(nil), check: func(t *testing.T, a *decodeAll) {
			if a.Str != "dflt" || !a.Flag || a.Count != 3 || a.Ratio != 0 || a.List != nil || a.Map != nil ||
				a.Raw != nil || a.OptStr != nil || a.OptBool != nil || a.OptInt != nil || a.User != "" {
				t.Errorf("defaults not applied or zero: %+v", a)
			}
			if !a.Mode.set || a.Mode.bits != 0o644 {
				t.Errorf("mode default %+v, want 0644", a.Mode)
			}
			if !a.validated {
				t.Error("Validate not called")
			}
		}},
		{name: "null counts as not given", args: base(map[string]any{"str": nil, "flag": nil, "opt_str": nil}),
			check: func(t *testing.T, a *decodeAll) {
				if a.Str != "dflt" || !a.Flag || a.OptStr != nil {
					t.Errorf("null should give the default: %+v", a)
				}
			}},
		{name: "Salt's coercions", args: base(map[string]any{
			"str": 42, "flag": "no", "count": "7", "ratio": "1.5", "list": "one", "map": map[any]any{"k": 1},
			"raw": []any{1, "a"}, "opt_str": true, "opt_bool": "Yes", "opt_int": 9.0, "mode": 755, "user": "www",
		}), check: func(t *testing.T, a *decodeAll) {
			if a.Str != "42" || a.Flag || a.Count != 7 || a.Ratio != 1.5 || !reflect.DeepEqual(a.List, []string{"one"}) ||
				a.Map["k"] != 1 || !reflect.DeepEqual(a.Raw, []any{1, "a"}) || *a.OptStr != "true" || !*a.OptBool ||
				*a.OptInt != 9 || a.Mode.bits != 0o755 || a.User != "www" {
				t.Errorf("coercions: %+v", a)
			}
		}},
		{name: "a list stays a list", args: base(map[string]any{"list": []any{"a", 2, false}}),
			check: func(t *testing.T, a *decodeAll) {
				if !reflect.DeepEqual(a.List, []string{"a", "2", "false"}) {
					t.Errorf("list %q", a.List)
				}
			}},
		{name: "pointer given false", args: base(map[string]any{"opt_bool": false, "opt_int": 0}),
			check: func(t *testing.T, a *decodeAll) {
				if a.OptBool == nil || *a.OptBool || a.OptInt == nil || *a.OptInt != 0 {
					t.Errorf("given zero values must be set: %v %v", a.OptBool, a.OptInt)
				}
			}},
		{name: "keep mode", args: base(map[string]any{"mode": "keep"}), check: func(t *testing.T, a *decodeAll) {
			if a.Mode.set || !a.Mode.keep {
				t.Errorf("mode keep: %+v", a.Mode)
			}
		}},
		{name: "bad bool", args: base(map[string]any{"flag": "maybe"}),
			err: []string{"State 'web' (demo.state): argument 'flag' must be a boolean, got \"maybe\""}},
		{name: "bad int", args: base(map[string]any{"count": "seven"}),
			err: []string{"State 'web' (demo.state): argument 'count' must be an integer, got \"seven\""}},
		{name: "fractional int", args: base(map[string]any{"count": 2.5}),
			err: []string{"argument 'count' must be an integer, got number 2.5"}},
		{name: "bad float", args: base(map[string]any{"ratio": []any{}}),
			err: []string{"argument 'ratio' must be a number, got a list"}},
		{name: "bad string", args: base(map[string]any{"str": map[string]any{}}),
			err: []string{"argument 'str' must be a string, got a mapping"}},
		{name: "bad list element", args: base(map[string]any{"list": []any{"a", map[string]any{}}}),
			err: []string{"argument 'list' must be a list of strings, got a mapping"}},
		{name: "bad list", args: base(map[string]any{"list": map[string]any{}}),
			err: []string{"argument 'list' must be a string or a list of strings, got a mapping"}},
		{name: "bad map", args: base(map[string]any{"map": "k=v"}),
			err: []string{"argument 'map' must be a mapping, got \"k=v\""}},
		{name: "bad mode", args: base(map[string]any{"mode": "rwx"}),
			err: []string{"State 'web' (demo.state): argument 'mode' must be an octal file mode such as \"0644\", got \"rwx\""}},
		{name: "required missing", args: map[string]any{"str": "x"},
			err: []string{"State 'web' (demo.state): missing required argument 'needed'"}},
		{name: "required null", args: map[string]any{"needed": nil},
			err: []string{"missing required argument 'needed'"}},
		{name: "Validate names the argument", args: base(map[string]any{"count": 500}),
			err: []string{"State 'web' (demo.state): argument 'count' must be at most 100, got 500"}},
		{name: "Validate about the state", args: base(map[string]any{"str": "both", "opt_str": "y"}),
			err: []string{"State 'web' (demo.state): 'str' both and 'opt_str' cannot be combined"}},
		{name: "misspelt argument", args: base(map[string]any{"cuont": 4}),
			warn: []string{"'cuont' is an invalid keyword argument for 'demo.state' and was ignored; did you mean 'count'?"},
			check: func(t *testing.T, a *decodeAll) {
				if a.Count != 3 {
					t.Errorf("a misspelt argument must not set count: %d", a.Count)
				}
			}},
		{name: "misspelt embedded argument", args: base(map[string]any{"usr": "x"}),
			warn: []string{"'usr' is an invalid keyword argument", "did you mean 'user'?"}},
		{name: "unknown argument, nothing close", args: base(map[string]any{"frobnicate": 1}),
			warn: []string{"'frobnicate' is an invalid keyword argument for 'demo.state' and was ignored"}},
		{name: "Salt's keywords are not unknown", args: base(map[string]any{
			"name": "n", "names": []any{"a"}, "saltenv": "dev", "runas": "root", "umask": "022",
			"require": []any{}, "watch_in": []any{}, "onlyif": "true", "unless": "false", "creates": "/x",
			"order": 1, "retry": map[string]any{}, "parallel": true, "check_cmd": "true", "listen": []any{},
			"prereq": []any{}, "use": []any{}, "fire_event": true, "failhard": true, "fun": "state",
			"state": "demo", "__id__": "web", "__sls__": "web", "__env__": "base", "__pub_jid": "1",
			"runas_password": "x", "cmd_opts_exclude": true, "reload_modules": true, "onfail_stop": true,
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a decodeAll
			call := Call{ID: "web", Fun: "demo.state", Name: "n", Args: tc.args}
			warnings, err := spec.decode(call, &a)
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("error %v", err)
			case tc.err != nil && err == nil:
				t.Fatalf("no error, want %q", tc.err)
			case err != nil:
				for _, s := range tc.err {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not hold %q", err, s)
					}
				}
				for _, goType := range []string{"float64", "int64", "[]interface", "map[string]", "bool)", "string)"} {
					if strings.Contains(err.Error(), goType) {
						t.Errorf("error %q names a Go type", err)
					}
				}
			}
			if len(warnings) != min(1, len(tc.warn)) {
				t.Fatalf("warnings %q, want %d", warnings, min(1, len(tc.warn)))
			}
			for _, s := range tc.warn {
				if !strings.Contains(warnings[0], s) {
					t.Errorf("warning %q does not hold %q", warnings[0], s)
				}
			}
			if tc.check != nil && err == nil {
				tc.check(t, &a)
			}
		})
	}
}

func TestDecodeRest(t *testing.T) {
	spec := newArgSpec[decodeRest]()
	var a decodeRest
	warnings, err := spec.decode(Call{ID: "step", Fun: "demo.rest", Args: map[string]any{
		"known": "k", "timeout": 5, "saltenv": "dev", "name": "n", "fun": "f", "__id__": "step",
	}}, &a)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err %v warnings %q", err, warnings)
	}
	if a.Known != "k" || !reflect.DeepEqual(a.Rest, map[string]any{"timeout": 5, "saltenv": "dev"}) {
		t.Errorf("known %q rest %v", a.Known, a.Rest)
	}
}

func TestDecodeSuggest(t *testing.T) {
	names := []string{"contents", "context", "source", "source_hash", "mode", "dir_mode", "user"}
	for k, want := range map[string]string{
		"contnets": "contents", "conents": "contents", "sorce": "source", "source_hsh": "source_hash",
		"mdoe": "mode", "dirmode": "dir_mode", "usr": "user", "contxt": "context",
		"xyz": "", "recurse": "", "md": "",
	} {
		if got := suggest(k, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", k, got, want)
		}
	}
}

// Malformed argument structs are programming errors: they panic when
// the state registers.
type (
	badType struct {
		C chan int `salt:"c"`
	}
	badDup struct {
		A, B string `salt:"a"`
	}
	badOption struct {
		A string `salt:"a,optional"`
	}
	badName struct {
		N string `salt:"name"`
	}
	badDefault struct {
		A *string `salt:"a" default:"x"`
	}
	badDefault2 struct {
		A int `salt:"a" default:"many"`
	}
	badRest struct {
		R []string `salt:",rest"`
	}
	badHidden struct {
		a string `salt:"a"`
	}
)

type (
	validA struct {
		A string `salt:"a"`
	}
	validB struct {
		B string `salt:"b"`
	}
	badTwoValidates struct {
		validA
		validB
	}
)

func (*validA) Validate() error { return nil }
func (*validB) Validate() error { return nil }

func TestArgSpecPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"unsupported type": func() { newArgSpec[badType]() },
		"duplicate":        func() { newArgSpec[badDup]() },
		"unknown option":   func() { newArgSpec[badOption]() },
		"name":             func() { newArgSpec[badName]() },
		"pointer default":  func() { newArgSpec[badDefault]() },
		"bad default":      func() { newArgSpec[badDefault2]() },
		"rest not a map":   func() { newArgSpec[badRest]() },
		"unexported":       func() { newArgSpec[badHidden]() },
		"not a struct":     func() { newArgSpec[string]() },
		"two Validates":    func() { newArgSpec[badTwoValidates]() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	_ = badHidden{a: ""}
}

// A registered typed state: decode errors fail it, warnings end its
// comment, and the compiler sees its required arguments.
func init() {
	RegisterTyped(Typed[decodeAll]{Name: "brinetest.typed", Doc: "decoder test",
		Apply: func(ctx context.Context, env *Env, call Call, a *decodeAll) Result {
			return Result{Result: True(), Comment: "count " + strings.Repeat("i", a.Count)}
		}})
}

func TestTypedStateRun(t *testing.T) {
	s, _ := Lookup("brinetest.typed")
	if !reflect.DeepEqual(s.Required, []string{"needed"}) {
		t.Errorf("Required %v, want [needed]", s.Required)
	}
	res := apply(t, nil, "brinetest.typed", "x", map[string]any{"needed": 1, "count": 2, "contnets": "hi"}, false)
	want(t, res, True(), false, "count ii\nWarning: 'contnets' is an invalid keyword argument for 'brinetest.typed' and was ignored")
	res = apply(t, nil, "brinetest.typed", "x", map[string]any{"needed": 1, "count": "two", "cuont": 2}, false)
	wantFail(t, res, "State 'test-id' (brinetest.typed): argument 'count' must be an integer", "did you mean 'count'?")
	res = apply(t, nil, "brinetest.typed", "x", map[string]any{"count": 2}, false)
	wantFail(t, res, "State 'test-id' (brinetest.typed): missing required argument 'needed'")

	// A misspelt required argument: the failure says what was meant.
	res = apply(t, nil, "file.recurse", "/srv/www", map[string]any{"sorce": "salt://www"}, false)
	wantFail(t, res, "State 'test-id' (file.recurse): missing required argument 'source'",
		"Warning: 'sorce' is an invalid keyword argument for 'file.recurse' and was ignored; did you mean 'source'?")
}

// BenchmarkDecodeManaged: decoding file.managed's arguments, once per
// state of a highstate, must stay cheap (the reflection is done once, at
// registration): about 2µs and one allocation (the struct).
func BenchmarkDecodeManaged(b *testing.B) {
	spec := newArgSpec[managedArgs]()
	call := Call{ID: "f", Fun: "file.managed", Name: "/x", Args: map[string]any{
		"contents": "hello", "mode": "0644", "makedirs": true, "show_changes": true, "replace": true}}
	b.ReportAllocs()
	for b.Loop() {
		var a managedArgs
		if _, err := spec.decode(call, &a); err != nil {
			b.Fatal(err)
		}
	}
}

// The test states take any keyword argument, as Salt's (name, **kwargs)
// do; configurable_test_state does not.
func TestTestStatesTakeAnyArgument(t *testing.T) {
	res := apply(t, nil, "test.nop", "x", map[string]any{"sep": "\\", "x": 1}, false)
	if res.Comment != "Success!" {
		t.Errorf("test.nop comment %q, want Success!", res.Comment)
	}
	res = apply(t, nil, "test.configurable_test_state", "x", map[string]any{"changes": false, "comment": "c", "reslut": false}, false)
	want(t, res, True(), false, "c\nWarning: 'reslut' is an invalid keyword argument for 'test.configurable_test_state' and was ignored; did you mean 'result'?")
}
