package states

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/internal/coerce"
	"github.com/brine-cm/brine/render"
)

func init() {
	RegisterTyped(Typed[serializeArgs]{
		Name: "file.serialize",
		Doc: `Write data to a file in a serialization format, as file.managed writes contents.

name: absolute path. dataset: the data; or dataset_pillar: a colon-separated pillar key naming it (an unset key fails). serializer (or formatter): yaml (default; PyYAML's block style, keys sorted, as Salt writes it) or json (indent 2, keys sorted, non-ASCII kept). merge_if_exists: read the existing file with the same format and merge the dataset into it (mappings recursively, lists replaced); no change when the merge changes nothing. user, group, mode, makedirs, backup, show_changes, create (default True: False leaves a missing file missing) as file.managed.
Changes as file.managed's (diff, user, group, mode); test mode: "Dataset will be serialized and stored into NAME".`,
		Apply: fileSerialize,
	})
}

type serializeArgs struct {
	ownerArgs
	Dataset          any       `salt:"dataset"`
	DatasetPillar    string    `salt:"dataset_pillar"`
	Serializer       string    `salt:"serializer"`
	Formatter        string    `salt:"formatter"`
	Mode             modeArg   `salt:"mode"`
	Backup           backupArg `salt:"backup"`
	Makedirs         bool      `salt:"makedirs"`
	ShowChanges      bool      `salt:"show_changes" default:"true"`
	Create           bool      `salt:"create" default:"true"`
	MergeIfExists    bool      `salt:"merge_if_exists"`
	SerializerOpts   any       `salt:"serializer_opts"`
	DeserializerOpts any       `salt:"deserializer_opts"`
	Encoding         string    `salt:"encoding"`
}

// Validate checks the format and where the data comes from.
func (a *serializeArgs) Validate() error {
	if a.Serializer != "" && a.Formatter != "" {
		return ArgErrorf("formatter", "cannot be used with serializer: only one of serializer and formatter is allowed")
	}
	if a.Serializer == "" {
		a.Serializer = a.Formatter
	}
	a.Serializer = strings.ToLower(a.Serializer)
	switch a.Serializer {
	case "":
		a.Serializer = "yaml"
	case "yaml", "json":
	default:
		arg := "serializer"
		if a.Formatter != "" {
			arg = "formatter"
		}
		return ArgErrorf(arg, "names %q: the %s serializer could not be found (Brine writes yaml and json)", a.Serializer, a.Serializer)
	}
	if a.Dataset != nil && a.DatasetPillar != "" {
		return ArgErrorf("dataset_pillar", "cannot be used with dataset: only one of 'dataset' and 'dataset_pillar' is permitted")
	}
	if a.Dataset == nil && a.DatasetPillar == "" {
		return ArgErrorf("dataset", "is missing: neither 'dataset' nor 'dataset_pillar' was defined")
	}
	switch strings.ToLower(strings.ReplaceAll(a.Encoding, "-", "")) {
	case "", "utf8":
	default:
		return ArgErrorf("encoding", "is %q: Brine writes utf-8", a.Encoding)
	}
	if a.SerializerOpts != nil {
		return ArgErrorf("serializer_opts", "is not supported: Brine writes Salt's default layout of each format")
	}
	if a.DeserializerOpts != nil {
		return ArgErrorf("deserializer_opts", "is not supported: Brine reads each format with its defaults")
	}
	return nil
}

func fileSerialize(ctx context.Context, env *Env, call Call, a *serializeArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	if !a.Create {
		if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("File %s is not present and is not set for creation", name)}
		}
	}
	dataset := a.Dataset
	if a.DatasetPillar != "" {
		var pillar map[string]any
		if env != nil {
			pillar = env.Pillar
		}
		v, ok := lookupPath(pillar, a.DatasetPillar)
		if !ok || v == nil {
			return failErr(name, call.ArgErrorf("dataset_pillar", "names %q, which is not set in the pillar", a.DatasetPillar))
		}
		dataset = v
	}
	if a.MergeIfExists {
		existing, found, err := readSerialized(name, a.Serializer)
		if err != nil {
			return fail(name, "Failed to deserialize existing data: %v", err)
		}
		if found && existing != nil {
			em, ok1 := existing.(map[string]any)
			dm, ok2 := dataset.(map[string]any)
			if !ok1 || !ok2 {
				return fail(name, "merge_if_exists needs mappings: the file %s holds %s and the dataset is %s", name, coerce.Describe(existing), coerce.Describe(dataset))
			}
			merged := mergeRecurse(em, dm)
			if reflect.DeepEqual(normNumbers(em), normNumbers(merged)) {
				return Result{Name: name, Result: True(), Comment: fmt.Sprintf("The file %s is in the correct state", name)}
			}
			dataset = merged
		}
	}
	contents, err := serializeData(dataset, a.Serializer, a.Encoding)
	if err != nil {
		return fail(name, "Unable to serialize the dataset as %s: %v", a.Serializer, err)
	}
	managed, ok := Lookup("file.managed")
	if !ok {
		return fail(name, "file.serialize: file.managed is not available")
	}
	margs := map[string]any{"contents": contents, "makedirs": a.Makedirs, "show_changes": a.ShowChanges}
	for k, v := range map[string]any{"user": call.Args["user"], "group": call.Args["group"], "mode": call.Args["mode"], "backup": call.Args["backup"]} {
		if v != nil {
			margs[k] = v
		}
	}
	res := managed.Apply(ctx, env, Call{ID: call.ID, Name: name, Args: margs, Test: call.Test, Saltenv: call.Saltenv})
	switch {
	case res.Result == nil:
		res.Comment = fmt.Sprintf("Dataset will be serialized and stored into %s", name)
	case *res.Result && len(res.Changes) == 0:
		res.Comment = fmt.Sprintf("The file %s is in the correct state", name)
	}
	return res
}

// serializeData writes data as Salt's serializer does, with the newline
// file.serialize adds.
func serializeData(data any, format string, encoding string) (string, error) {
	switch format {
	case "json":
		var b strings.Builder
		if err := pyJSONIndent(&b, data, 0); err != nil {
			return "", err
		}
		return b.String() + "\n", nil
	default:
		flow := false
		// Salt's yaml serializer escapes non-ASCII text unless an
		// encoding is given (allow_unicode)
		s, err := render.PyYAMLDump(data, &flow, encoding != "")
		if err != nil {
			return "", err
		}
		s = strings.TrimSuffix(s, "\n...\n")
		return strings.TrimSuffix(s, "\n") + "\n", nil
	}
}

// pyJSONIndent is Python's json.dumps(v, indent=2, separators=(",", ": "),
// sort_keys=True, ensure_ascii=False).
func pyJSONIndent(b *strings.Builder, v any, level int) error {
	pad := func(l int) string { return "\n" + strings.Repeat("  ", l) }
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		var s strings.Builder
		writePyRepr(&s, x)
		switch s.String() {
		case "inf":
			b.WriteString("Infinity")
		case "-inf":
			b.WriteString("-Infinity")
		default:
			b.WriteString(s.String())
		}
	case string:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return err
		}
		b.WriteString(strings.TrimSuffix(buf.String(), "\n"))
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(pad(level + 1))
			if err := pyJSONIndent(b, e, level+1); err != nil {
				return err
			}
		}
		b.WriteString(pad(level) + "]")
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{")
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(pad(level + 1))
			if err := pyJSONIndent(b, k, level+1); err != nil {
				return err
			}
			b.WriteString(": ")
			if err := pyJSONIndent(b, x[k], level+1); err != nil {
				return err
			}
		}
		b.WriteString(pad(level) + "}")
	default:
		if m, ok := asMap(v); ok {
			return pyJSONIndent(b, m, level)
		}
		return fmt.Errorf("cannot serialize a value of type %s", coerce.Describe(v))
	}
	return nil
}

// readSerialized reads the file at name in format; found is false when
// there is none.
func readSerialized(name, format string) (v any, found bool, err error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	switch format {
	case "json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, true, fmt.Errorf("%s is not valid JSON: %v", name, err)
		}
	default:
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, true, fmt.Errorf("%s is not valid YAML: %v", name, err)
		}
	}
	return plainData(v), true, nil
}

// plainData turns decoded data into the types states see (int,
// float64, map[string]any, []any).
func plainData(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.Atoi(x.String()); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plainData(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = plainData(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = plainData(e)
		}
		return x
	}
	return v
}

// normNumbers makes whole floats ints, so 1 and 1.0 compare as Python's
// == does.
func normNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int(x)) {
			return int(x)
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normNumbers(e)
		}
		return out
	}
	return v
}

// mergeRecurse is Salt's dictupdate.merge_recurse: a copy of dst updated
// by upd, mappings merged recursively, everything else replaced.
func mergeRecurse(dst, upd map[string]any) map[string]any {
	out := make(map[string]any, len(dst)+len(upd))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range upd {
		if um, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = mergeRecurse(dm, um)
				continue
			}
		}
		out[k] = v
	}
	return out
}
