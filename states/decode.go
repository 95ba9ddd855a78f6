package states

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

// Typed state arguments. A state declares its arguments as a struct whose
// fields carry Salt's argument names:
//
//	type recurseArgs struct {
//		Source   string   `salt:"source,required"`
//		Clean    bool     `salt:"clean"`
//		ShowDiff bool     `salt:"show_changes" default:"true"`
//		DirMode  modeArg  `salt:"dir_mode"`
//	}
//
// and registers with RegisterTyped. One decoder reads every state's
// arguments: it applies Salt's coercions (internal/coerce), fills
// defaults, checks required arguments, calls the struct's Validate, and
// names the state ID, the state function and the argument in every
// error. An argument the struct does not declare and that is not one of
// Salt's state keywords is ignored with a warning at the end of the
// state's comment, with a did-you-mean suggestion for a near miss.
//
// Field types: string, bool, int, float64, []string (a single value is a
// one-element list), map[string]any, any (the raw value); a pointer to
// string, bool, int or float64 is nil when the argument is not given; a
// type whose pointer implements ArgDecoder reads itself. A null value
// counts as not given. The tag options are "required" and "rest" (a
// map[string]any field that receives every undeclared argument, Salt's
// keywords included but not name, fun and the "__" keys, instead of a
// warning: for states that pass keyword arguments on, such as
// salt.runner). The default tag is read as YAML would give it, through
// the same coercions.

// ArgDecoder is an argument type that reads its own value (a file mode, a
// pattern). v is never nil. The error completes "argument 'x' ...", e.g.
// `must be an octal file mode such as "0644", got "rwx"`.
type ArgDecoder interface {
	DecodeArg(v any) error
}

// Validator is implemented by argument structs with checks across
// arguments; it runs after decoding. Return ArgErrorf's error to name an
// argument; the decoder adds the state ID and function.
type Validator interface {
	Validate() error
}

// ArgErrorf is an error about argument arg, for Validate and ArgDecoder:
// the decoder fills in the state ID and function.
func ArgErrorf(arg, format string, args ...any) error {
	return &ArgError{Arg: arg, Msg: fmt.Sprintf(format, args...)}
}

// Typed is a state whose arguments decode into the struct A. Apply (and
// ModWatch, when the state has one) receive the decoded arguments.
type Typed[A any] struct {
	Name, Doc string
	Apply     func(ctx context.Context, env *Env, call Call, args *A) Result
	ModWatch  func(ctx context.Context, env *Env, call Call, args *A) Result
	// NeedsRequiredBy, KeepArgOrder: see State.
	NeedsRequiredBy, KeepArgOrder bool
}

// RegisterTyped registers a typed state: its argument struct is examined
// once, here (it panics on a malformed struct, as Register does on a bad
// name), and its required arguments become State.Required, which the SLS
// compiler checks before anything runs.
func RegisterTyped[A any](t Typed[A]) {
	spec := newArgSpec[A]()
	s := State{Name: t.Name, Doc: t.Doc, Required: spec.required, NeedsRequiredBy: t.NeedsRequiredBy, KeepArgOrder: t.KeepArgOrder}
	if t.Apply != nil {
		s.Apply = bind(spec, t.Apply)
	}
	if t.ModWatch != nil {
		s.ModWatch = bind(spec, t.ModWatch)
	}
	// The decoder checks the required arguments itself, so that a
	// misspelt one ("sorce") comes with its did-you-mean warning.
	register(s, false)
}

// noArgs is the argument struct of a state that takes none besides its
// name: every other argument is warned about.
type noArgs struct{}

// saltKeywords are the keywords Salt's state system consumes itself
// (salt/state.py STATE_INTERNAL_KEYWORDS, plus name and names): never an
// unknown argument of a state, so a state called by another path than the
// SLS compiler does not warn about them either. The SLS compiler
// (highstate/compile.go) consumes name, names, order, failhard, onlyif,
// unless, creates, check_cmd, state, fun, fire_event, reload_*,
// prerequired, onfail_stop and every requisite and requisite_in, and
// refuses use, use_in, retry and parallel; of Salt's keywords only
// saltenv, runas, runas_password, umask and cmd_opts_exclude reach a state
// from an SLS file. Keys starting with "__" (__id__, __sls__, __env__,
// __pub_*, ...) are Salt's low-chunk data and are skipped as well.
var saltKeywords = map[string]bool{
	"name": true, "names": true,
	// STATE_REQUISITE_KEYWORDS
	"onchanges": true, "onchanges_any": true, "onfail": true, "onfail_any": true,
	"onfail_all": true, "onfail_stop": true, "prereq": true, "prerequired": true,
	"watch": true, "watch_any": true, "require": true, "require_any": true, "listen": true,
	// STATE_REQUISITE_IN_KEYWORDS
	"onchanges_in": true, "onfail_in": true, "prereq_in": true, "watch_in": true,
	"require_in": true, "listen_in": true,
	// STATE_RUNTIME_KEYWORDS
	"fun": true, "state": true, "check_cmd": true, "cmd_opts_exclude": true,
	"failhard": true, "onlyif": true, "unless": true, "creates": true, "retry": true,
	"order": true, "parallel": true, "reload_modules": true, "reload_grains": true,
	"reload_pillar": true, "runas": true, "runas_password": true, "fire_event": true,
	"saltenv": true, "umask": true, "use": true, "use_in": true,
}

// argKind is how a field is read.
type argKind int

const (
	kindString argKind = iota
	kindBool
	kindInt
	kindFloat
	kindStrings
	kindMap
	kindAny
	kindDecoder
)

// argField is one declared argument.
type argField struct {
	name     string
	index    []int // reflect.Value.FieldByIndex path (embedded structs)
	kind     argKind
	ptr      bool // *string etc.: set only when given
	required bool
	def      reflect.Value // the default, already decoded; invalid: none
}

// argSpec is the decoding plan of one argument struct, built once.
type argSpec struct {
	typ      reflect.Type
	fields   []argField
	byName   map[string]int // argument name -> fields index
	names    []string       // declared names, sorted (for suggestions)
	required []string
	rest     []int // index of the rest field; nil: none
}

var (
	decoderType   = reflect.TypeFor[ArgDecoder]()
	validatorType = reflect.TypeFor[Validator]()
	anyMapType    = reflect.TypeFor[map[string]any]()
	stringsType   = reflect.TypeFor[[]string]()
	interfaceType = reflect.TypeFor[any]()
)

// newArgSpec examines A. It panics on a field it cannot decode: that is a
// programming error, found when the state registers.
func newArgSpec[A any]() *argSpec {
	t := reflect.TypeFor[A]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("states: argument type %s is not a struct", t))
	}
	sp := &argSpec{typ: t, byName: map[string]int{}}
	sp.addFields(t, nil)
	sort.Strings(sp.names)
	if _, ok := reflect.New(t).Interface().(Validator); !ok {
		// Two embedded structs with a Validate each cancel out: Go
		// promotes neither, and both checks would silently not run.
		var embedded []string
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.Anonymous && reflect.PointerTo(f.Type).Implements(validatorType) {
				embedded = append(embedded, f.Name)
			}
		}
		if len(embedded) > 1 {
			panic(fmt.Sprintf("states: %s embeds %s, each with a Validate: give %s its own Validate calling them", t, strings.Join(embedded, " and "), t))
		}
	}
	return sp
}

// addFields adds t's tagged fields (t is the argument struct or one
// embedded in it at prefix).
func (sp *argSpec) addFields(t reflect.Type, prefix []int) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag, ok := sf.Tag.Lookup("salt")
		if !ok {
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				sp.addFields(sf.Type, index) // shared arguments, embedded
			}
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		bad := func(format string, args ...any) {
			panic(fmt.Sprintf("states: %s.%s: %s", t, sf.Name, fmt.Sprintf(format, args...)))
		}
		if !sf.IsExported() {
			bad("tagged field is not exported")
		}
		f := argField{name: name, index: index}
		isRest := false
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case "required":
				f.required = true
			case "rest":
				if sf.Type != anyMapType || sp.rest != nil || name != "" {
					bad("rest needs one unnamed map[string]any field")
				}
				sp.rest, isRest = index, true
			default:
				bad("unknown tag option %q", o)
			}
		}
		if isRest {
			continue
		}
		if name == "" || name == "name" || strings.HasPrefix(name, "__") {
			bad("argument name %q is empty or reserved (the state's name is Call.Name)", name)
		}
		if _, dup := sp.byName[name]; dup {
			bad("argument %q declared twice", name)
		}
		ft := sf.Type
		switch {
		case reflect.PointerTo(ft).Implements(decoderType):
			f.kind = kindDecoder
		case ft == stringsType:
			f.kind = kindStrings
		case ft == anyMapType:
			f.kind = kindMap
		case ft == interfaceType:
			f.kind = kindAny
		default:
			if ft.Kind() == reflect.Pointer {
				f.ptr, ft = true, ft.Elem()
			}
			switch ft.Kind() {
			case reflect.String:
				f.kind = kindString
			case reflect.Bool:
				f.kind = kindBool
			case reflect.Int:
				f.kind = kindInt
			case reflect.Float64:
				f.kind = kindFloat
			default:
				bad("type %s cannot be decoded", sf.Type)
			}
		}
		if d, ok := sf.Tag.Lookup("default"); ok {
			if f.ptr || f.kind == kindMap || f.kind == kindAny || f.kind == kindStrings {
				bad("a default is only for string, bool, int, float64 and decoder fields")
			}
			v := reflect.New(sf.Type).Elem()
			if err := f.set(v, d); err != nil {
				bad("default %q: %v", d, err)
			}
			f.def = v
		}
		if f.required {
			sp.required = append(sp.required, name)
		}
		sp.byName[name] = len(sp.fields)
		sp.names = append(sp.names, name)
		sp.fields = append(sp.fields, f)
	}
}

// set decodes v (not nil) into the field value dst.
func (f *argField) set(dst reflect.Value, v any) error {
	if f.ptr {
		p := reflect.New(dst.Type().Elem())
		dst.Set(p)
		dst = p.Elem()
	}
	switch f.kind {
	case kindString:
		s, ok := coerce.String(v)
		if !ok {
			return wrongArg("a string", v)
		}
		dst.SetString(s)
	case kindBool:
		b, ok := coerce.Bool(v)
		if !ok {
			return wrongArg("a boolean", v)
		}
		dst.SetBool(b)
	case kindInt:
		n, ok := coerce.Int(v)
		if !ok {
			return wrongArg("an integer", v)
		}
		dst.SetInt(int64(n))
	case kindFloat:
		x, ok := coerce.Float(v)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			return wrongArg("a number", v)
		}
		dst.SetFloat(x)
	case kindStrings:
		l, bad, ok := coerce.StringList(v)
		if !ok {
			if _, isList := v.([]any); isList {
				return wrongArg("a list of strings", bad)
			}
			return wrongArg("a string or a list of strings", v)
		}
		dst.Set(reflect.ValueOf(l))
	case kindMap:
		m, ok := coerce.Map(v)
		if !ok {
			return wrongArg("a mapping", v)
		}
		dst.Set(reflect.ValueOf(m))
	case kindAny:
		dst.Set(anyValue(v))
	case kindDecoder:
		return dst.Addr().Interface().(ArgDecoder).DecodeArg(v)
	}
	return nil
}

// anyValue is v as a reflect.Value to store in an any (nil included),
// without making v escape.
func anyValue(v any) reflect.Value {
	if v == nil {
		return reflect.Zero(interfaceType)
	}
	return reflect.ValueOf(v)
}

// wrongArg is the message for a value of the wrong kind.
func wrongArg(want string, v any) error {
	return fmt.Errorf("must be %s, got %s", want, coerce.Describe(v))
}

// decode reads call's arguments into dst (a pointer to the spec's
// struct). It returns the warnings about undeclared arguments, and the
// first error: a wrong value, a missing required argument, or what
// Validate says, each naming the state ID, function and argument.
func (sp *argSpec) decode(call Call, dst any) (warnings []string, err error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Type() != sp.typ {
		panic(fmt.Sprintf("states: decoding %s arguments into %T", sp.typ, dst))
	}
	sv := rv.Elem()
	var unknown []string
	for k, v := range call.Args {
		if _, ok := sp.byName[k]; ok || k == "name" || k == "fun" || strings.HasPrefix(k, "__") {
			continue
		}
		if sp.rest != nil {
			m := sv.FieldByIndex(sp.rest)
			if m.IsNil() {
				m.Set(reflect.ValueOf(map[string]any{}))
			}
			m.SetMapIndex(reflect.ValueOf(k), anyValue(v))
			continue
		}
		if !saltKeywords[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		for _, k := range unknown {
			w := fmt.Sprintf("'%s' is an invalid keyword argument for '%s' and was ignored", k, call.Fun)
			if s := suggest(k, sp.names); s != "" {
				w += fmt.Sprintf("; did you mean '%s'?", s)
			}
			warnings = append(warnings, w)
		}
	}
	var missing []string
	for i := range sp.fields {
		f := &sp.fields[i]
		v, given := call.Args[f.name]
		if !given || v == nil {
			if f.required {
				missing = append(missing, "'"+f.name+"'")
			} else if f.def.IsValid() {
				sv.FieldByIndex(f.index).Set(f.def)
			}
			continue
		}
		if err := f.set(sv.FieldByIndex(f.index), v); err != nil {
			return warnings, call.argError(f.name, err)
		}
	}
	if len(missing) > 0 {
		return warnings, fmt.Errorf("State '%s' (%s): missing required argument %s", call.ID, call.Fun, strings.Join(missing, ", "))
	}
	if v, ok := dst.(Validator); ok {
		if err := v.Validate(); err != nil {
			return warnings, call.argError("", err)
		}
	}
	return warnings, nil
}

// argError completes err with the call's state ID and function: an
// *ArgError gets them filled in; another error naming argument arg (or
// none) is wrapped.
func (c Call) argError(arg string, err error) error {
	var ae *ArgError
	if errors.As(err, &ae) {
		out := *ae
		if out.ID == "" {
			out.ID = c.ID
		}
		if out.Fun == "" {
			out.Fun = c.Fun
		}
		return &out
	}
	if arg == "" {
		return fmt.Errorf("State '%s' (%s): %w", c.ID, c.Fun, err)
	}
	return &ArgError{ID: c.ID, Fun: c.Fun, Arg: arg, Msg: err.Error()}
}

// bind turns a typed apply function into a Func: decode, validate, run,
// and add the warnings to the comment.
func bind[A any](sp *argSpec, fn func(context.Context, *Env, Call, *A) Result) Func {
	return func(ctx context.Context, env *Env, call Call) Result {
		var args A
		warnings, err := sp.decode(call, &args)
		var res Result
		if err != nil {
			res = failErr(call.Name, err)
		} else {
			res = fn(ctx, env, call, &args)
		}
		if len(warnings) > 0 {
			if res.Comment != "" {
				res.Comment += "\n"
			}
			res.Comment += "Warning: " + strings.Join(warnings, "\nWarning: ")
		}
		return res
	}
}

// suggest is the declared name closest to k, when it is close enough to
// be a misspelling (at most a third of its letters edited, and at most
// two).
func suggest(k string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		limit := min(2, max(1, len(n)/3))
		if d := editDistance(k, n); d <= limit && d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance: a swap of two neighbouring letters ("contnets") counts once.
func editDistance(a, b string) int {
	if a == b {
		return 0
	}
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
