package command

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, g *globals)
	}{
		{"defaults", nil, func(t *testing.T, g *globals) {
			if g.Timeout != 10 || g.Out != "text" || g.TgtType != "" || len(g.Positional) != 0 {
				t.Errorf("defaults = %+v", g)
			}
		}},
		{"flags anywhere", []string{"test.ping", "--out", "json", "roles:web", "--async", "-t", "3"}, func(t *testing.T, g *globals) {
			if g.Out != "json" || !g.Async || g.Timeout != 3 {
				t.Errorf("got %+v", g)
			}
			wantPos(t, g, "test.ping", "roles:web")
		}},
		{"flag=value", []string{"--out=yaml", "--timeout=2.5", "--master=nats://h:1", "--creds=/c", "--root-dir=/r", "--batch=10%", "--limit=5", "x"}, func(t *testing.T, g *globals) {
			if g.Out != "yaml" || g.Timeout != 2.5 || g.Master != "nats://h:1" || g.Creds != "/c" || g.RootDir != "/r" || g.Batch != "10%" || g.Limit != 5 {
				t.Errorf("got %+v", g)
			}
			wantPos(t, g, "x")
		}},
		{"value with =", []string{"--master", "nats://u:p=x@h:1"}, func(t *testing.T, g *globals) {
			if g.Master != "nats://u:p=x@h:1" {
				t.Errorf("Master = %q", g.Master)
			}
		}},
		{"bool flags", []string{"-y", "-A", "--no-color", "--version", "-h"}, func(t *testing.T, g *globals) {
			if !g.Yes || !g.All || !g.NoColor || !g.Version || !g.Help {
				t.Errorf("got %+v", g)
			}
		}},
		{"long bool flags", []string{"--yes", "--all", "--help"}, func(t *testing.T, g *globals) {
			if !g.Yes || !g.All || !g.Help {
				t.Errorf("got %+v", g)
			}
		}},
		{"batch aliases", []string{"-b", "2", "--batch-size", "3"}, func(t *testing.T, g *globals) {
			if g.Batch != "3" {
				t.Errorf("Batch = %q, want the last one", g.Batch)
			}
		}},
		{"profile", []string{"cloud", "create", "-p", "web", "n1"}, func(t *testing.T, g *globals) {
			if g.Profile != "web" {
				t.Errorf("Profile = %q", g.Profile)
			}
			wantPos(t, g, "cloud", "create", "n1")
		}},
		{"double dash ends flags", []string{"cmd.run", "*", "--", "--out", "-t", "-L"}, func(t *testing.T, g *globals) {
			if g.Out != "text" || g.TgtType != "" {
				t.Errorf("flags after -- were parsed: %+v", g)
			}
			wantPos(t, g, "cmd.run", "*", "--out", "-t", "-L")
		}},
		{"negative numbers stay positional", []string{"test.arg", "*", "-1", "-2.5", "-1e3", "--out", "json"}, func(t *testing.T, g *globals) {
			wantPos(t, g, "test.arg", "*", "-1", "-2.5", "-1e3")
			if g.Out != "json" {
				t.Errorf("Out = %q", g.Out)
			}
		}},
		{"lone dash is positional", []string{"-", "x"}, func(t *testing.T, g *globals) {
			wantPos(t, g, "-", "x")
		}},
		{"timeout value may look like a flag", []string{"-t", "5", "x"}, func(t *testing.T, g *globals) {
			if g.Timeout != 5 {
				t.Errorf("Timeout = %v", g.Timeout)
			}
		}},
		{"kwargs are positional", []string{"test.arg", "*", "a=1", "b=--x"}, func(t *testing.T, g *globals) {
			wantPos(t, g, "test.arg", "*", "a=1", "b=--x")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tt.args, err)
			}
			tt.check(t, g)
		})
	}
}

func wantPos(t *testing.T, g *globals, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(g.Positional, want) {
		t.Errorf("Positional = %q, want %q", g.Positional, want)
	}
}

func TestParseArgsTargetTypes(t *testing.T) {
	tests := []struct {
		flags []string
		want  string
	}{
		{[]string{"-L"}, "list"},
		{[]string{"--list"}, "list"},
		{[]string{"-G"}, "grain"},
		{[]string{"--grain"}, "grain"},
		{[]string{"-P"}, "grain_pcre"},
		{[]string{"--grain-pcre"}, "grain_pcre"},
		{[]string{"-E"}, "pcre"},
		{[]string{"--pcre"}, "pcre"},
		{[]string{"-I"}, "pillar"},
		{[]string{"--pillar"}, "pillar"},
		{[]string{"-C"}, "compound"},
		{[]string{"--compound"}, "compound"},
		{[]string{"-S"}, "ipcidr"},
		{[]string{"--ipcidr"}, "ipcidr"},
		{[]string{"-X"}, "expr"},
		{[]string{"--expr"}, "expr"},
		{[]string{"-G", "--grain"}, "grain"}, // the same type twice is fine
	}
	for _, tt := range tests {
		args := append([]string{"test.ping", "tgt"}, tt.flags...)
		g, err := parseArgs(args)
		if err != nil {
			t.Errorf("parseArgs(%q): %v", args, err)
			continue
		}
		if g.TgtType != tt.want {
			t.Errorf("parseArgs(%q).TgtType = %q, want %q", args, g.TgtType, tt.want)
		}
		wantPos(t, g, "test.ping", "tgt")
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-L", "-G", "x"}, "only one target type"},
		{[]string{"-E", "x", "--compound"}, "only one target type"},
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"--bogus=1"}, "unknown flag --bogus"},
		{[]string{"-Z"}, "unknown flag -Z"},
		{[]string{"-yA"}, "unknown flag -yA"},
		{[]string{"-L=x"}, "unknown flag -L"},
		{[]string{"--out"}, "needs a value"},
		{[]string{"x", "-t"}, "needs a value"},
		{[]string{"-t", "0"}, "--timeout wants a positive number"},
		{[]string{"-t", "-1"}, "--timeout wants a positive number"},
		{[]string{"--timeout=abc"}, "--timeout wants a positive number"},
		{[]string{"--timeout", ""}, "--timeout wants a positive number"},
		{[]string{"--limit", "x"}, "--limit wants a whole number"},
		{[]string{"--limit=-3"}, "--limit wants a whole number"},
		{[]string{"--async=yes"}, "takes no value"},
		{[]string{"--yes=1"}, "takes no value"},
	}
	for _, tt := range tests {
		g, err := parseArgs(tt.args)
		if err == nil {
			t.Errorf("parseArgs(%q) = %+v, want error %q", tt.args, g, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseArgs(%q) error %q, want it to contain %q", tt.args, err, tt.wantErr)
		}
	}
}

func TestParseFunArgs(t *testing.T) {
	tests := []struct {
		name   string
		words  []string
		args   []any
		kwargs map[string]any
	}{
		{"none", nil, nil, nil},
		{"positional strings", []string{"hello", "world"}, []any{"hello", "world"}, nil},
		{"kwargs", []string{"test=True", "n=3", "f=1.5", "s=text", "off=False"}, nil,
			map[string]any{"test": true, "n": 3, "f": 1.5, "s": "text", "off": false}},
		{"mixed", []string{"a", "k=v", "2"}, []any{"a", 2}, map[string]any{"k": "v"}},
		{"flow map kwarg", []string{`pillar={"plone": {"branch": "f5d9859"}}`}, nil,
			map[string]any{"pillar": map[string]any{"plone": map[string]any{"branch": "f5d9859"}}}},
		{"flow list", []string{"[1,2]"}, []any{[]any{1, 2}}, nil},
		{"flow map", []string{`{"a": 1}`}, []any{map[string]any{"a": 1}}, nil},
		{"a: b stays a string", []string{"echo a: b"}, []any{"echo a: b"}, nil},
		{"kwarg value with a colon", []string{"cmd=echo a: b"}, nil, map[string]any{"cmd": "echo a: b"}},
		{"kwarg value with =", []string{"x=a=b"}, nil, map[string]any{"x": "a=b"}},
		{"empty kwarg value", []string{"x="}, nil, map[string]any{"x": ""}},
		{"dotted kwarg name", []string{"hosts.file=/tmp/h"}, nil, map[string]any{"hosts.file": "/tmp/h"}},
		{"not a kwarg name", []string{"1x=2", "=v", "a b=c"}, []any{"1x=2", "=v", "a b=c"}, nil},
		{"jid stays a string", []string{"20240102030405123456", "jid=20240102030405123456"},
			[]any{"20240102030405123456"}, map[string]any{"jid": "20240102030405123456"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, kwargs, err := parseFunArgs(tt.words)
			if err != nil {
				t.Fatalf("parseFunArgs(%q): %v", tt.words, err)
			}
			if !reflect.DeepEqual(args, tt.args) {
				t.Errorf("args = %#v, want %#v", args, tt.args)
			}
			if !reflect.DeepEqual(kwargs, tt.kwargs) {
				t.Errorf("kwargs = %#v, want %#v", kwargs, tt.kwargs)
			}
		})
	}
}

func TestParseFunArgsErrors(t *testing.T) {
	tests := []struct {
		words []string
		name  string // what the error must name
	}{
		{[]string{"{a:"}, "{a:"},
		{[]string{"ok", "pillar={a:"}, "pillar"},
		{[]string{"[1,2"}, "[1,2"},
		{[]string{"x=[1, {]"}, "argument x"},
	}
	for _, tt := range tests {
		_, _, err := parseFunArgs(tt.words)
		if err == nil {
			t.Errorf("parseFunArgs(%q): no error", tt.words)
			continue
		}
		if !strings.Contains(err.Error(), tt.name) {
			t.Errorf("parseFunArgs(%q) error %q does not name %q", tt.words, err, tt.name)
		}
	}
}

func TestYamlify(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"True", true},
		{"true", true},
		{"False", false},
		{"false", false},
		{"3", 3},
		{"-7", -7},
		{"0", 0},
		{"1.5", 1.5},
		{"-2.25", -2.25},
		{"1e3", 1000.0},
		{"null", nil},
		{"~", nil},
		{"None", nil},
		{"", ""},
		{"  ", "  "},
		{"hello", "hello"},
		{" padded ", " padded "},
		{"echo a: b", "echo a: b"},
		{"a: b", "a: b"},
		{"- item", "- item"},
		{"#comment", "#comment"},
		{"'quoted'", "quoted"}, // Salt's yamlify_arg loads quoted text as the string inside
		{`"quoted"`, "quoted"},
		{"'0644'", "0644"},
		{"0644", 644}, // Salt's loader strips leading zeros
		{"0", 0},
		{"yes", "yes"},
		{"salt://files/x", "salt://files/x"},
		{"20240102030405123456", "20240102030405123456"},
		{"1234567890123456", "1234567890123456"},
		{"123456789012345", 123456789012345},
		{"*a", "*a"},
		{"&a b", "&a b"},
		{`{"a": 1}`, map[string]any{"a": 1}},
		{"{a: {b: [x, 2]}}", map[string]any{"a": map[string]any{"b": []any{"x", 2}}}},
		{"{1: a}", map[string]any{"1": "a"}},
		{"[1,2]", []any{1, 2}},
		{"[]", []any{}},
		{"{}", map[string]any{}},
		{" [true, null] ", []any{true, nil}},
		{".inf", ".inf"},
		{"-.Inf", "-.Inf"},
		{".nan", ".nan"},
		{"[.inf, -.inf, .nan, 1.5]", []any{".inf", "-.inf", ".nan", 1.5}},
		{"{2: {3: x}}", map[string]any{"2": map[string]any{"3": "x"}}},
	}
	for _, tt := range tests {
		got, err := yamlify(tt.in)
		if err != nil {
			t.Errorf("yamlify(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("yamlify(%q) = %#v (%T), want %#v (%T)", tt.in, got, got, tt.want, tt.want)
		}
	}
}

func TestYamlifyErrors(t *testing.T) {
	for _, in := range []string{"{a:", "[1,2", "{a: [}", "[*nope]"} {
		v, err := yamlify(in)
		if err == nil {
			t.Errorf("yamlify(%q) = %#v, want an error", in, v)
			continue
		}
		if !strings.Contains(err.Error(), "bad YAML value") {
			t.Errorf("yamlify(%q) error %q", in, err)
		}
	}
}

// Every value is sent to the master as JSON: whatever yamlify accepts must
// encode.
func TestYamlifyJSONEncodable(t *testing.T) {
	for _, in := range []string{".inf", "-.inf", ".nan", ".NaN", "[.inf, 1]", "{a: .nan}", "!!float nan", "2001-12-14", "{t: 2001-12-14t21:59:43.10-05:00}", "!!binary aGk=", "0x1F", "0o17", "{? [a]: b}"} {
		v, err := yamlify(in)
		if err != nil {
			continue
		}
		if _, err := json.Marshal(v); err != nil {
			t.Errorf("yamlify(%q) = %#v cannot be sent as JSON: %v", in, v, err)
		}
	}
}

func TestBatchSize(t *testing.T) {
	tests := []struct {
		s     string
		total int
		want  int
		err   bool
	}{
		{"1", 10, 1, false},
		{"5", 3, 5, false},
		{"10%", 10, 1, false},
		{"10%", 25, 3, false}, // rounded up
		{"50%", 5, 3, false},
		{"100%", 7, 7, false},
		{"1%", 3, 1, false}, // never zero
		{"0.5%", 1000, 5, false},
		{"0", 10, 0, true},
		{"-1", 10, 0, true},
		{"x", 10, 0, true},
		{"", 10, 0, true},
		{"%", 10, 0, true},
		{"0%", 10, 0, true},
		{"101%", 10, 0, true},
		{"-5%", 10, 0, true},
		{"1.5", 10, 0, true},
	}
	for _, tt := range tests {
		got, err := batchSize(tt.s, tt.total)
		if (err != nil) != tt.err {
			t.Errorf("batchSize(%q, %d) error = %v, want error %v", tt.s, tt.total, err, tt.err)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("batchSize(%q, %d) = %d, want %d", tt.s, tt.total, got, tt.want)
		}
	}
}

func TestJobResultExitCode(t *testing.T) {
	tests := []struct {
		res  jobResult
		want int
	}{
		{jobResult{}, 0},
		{jobResult{failed: true}, 1},
		{jobResult{missing: []string{"a"}}, 1},
		{jobResult{unknownFun: true, failed: true}, 2},
	}
	for _, tt := range tests {
		if got := tt.res.exitCode(); got != tt.want {
			t.Errorf("%+v.exitCode() = %d, want %d", tt.res, got, tt.want)
		}
	}
}
