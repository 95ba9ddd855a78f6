package command

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/target"
)

// globals are the flags that may stand anywhere on the command line.
type globals struct {
	Master     string
	Creds      string
	RootDir    string
	TLSCA      string
	Out        string
	Timeout    float64
	Async      bool
	Batch      string
	TgtType    string
	Yes        bool
	All        bool
	NoColor    bool
	Profile    string
	Help       bool
	Version    bool
	Limit      int
	Positional []string

	// Salt's output habits.
	Verbose         bool
	ShowJID         bool
	HideTimeout     bool
	Summary         bool
	Subset          int
	OutFile         string
	OutFileAppend   bool
	OutIndent       int
	OutIndentSet    bool
	ForceColor      bool
	StateOutput     string
	StateVerbose    bool
	KeyState        string
	WaitForDown     bool
	StateVerboseSet bool
	Makedirs        bool
	VersionsReport  bool
}

// flagSpec describes one flag: its names, whether it takes a value, and
// how it is stored.
type flagSpec struct {
	names []string
	value bool
	set   func(g *globals, v string) error
	help  string
}

// tgtFlags maps each target-type flag (-G, --grain, ...) to its kind, as
// the target kinds register them.
var tgtFlags = targetFlags()

func targetFlags() map[string]string {
	out := map[string]string{}
	for _, k := range target.Registered() {
		for _, f := range k.Flags {
			out[f] = k.Name
		}
	}
	return out
}

func flagSpecs() []flagSpec {
	str := func(dst func(g *globals) *string) func(g *globals, v string) error {
		return func(g *globals, v string) error { *dst(g) = v; return nil }
	}
	on := func(dst func(g *globals) *bool) func(g *globals, v string) error {
		return func(g *globals, v string) error { *dst(g) = true; return nil }
	}
	return []flagSpec{
		{[]string{"--master"}, true, str(func(g *globals) *string { return &g.Master }), "master bus URL (or BRINE_MASTER)"},
		{[]string{"--creds"}, true, str(func(g *globals) *string { return &g.Creds }), "operator credentials file (or BRINE_CREDS)"},
		{[]string{"--root-dir"}, true, str(func(g *globals) *string { return &g.RootDir }), "root_dir of a master on this host (reads ctl.creds and master.url)"},
		{[]string{"--tls-ca"}, true, str(func(g *globals) *string { return &g.TLSCA }), "CA certificate for a TLS bus (or BRINE_TLS_CA)"},
		{[]string{"--out"}, true, str(func(g *globals) *string { return &g.Out }), "output format: " + strings.Join(output.Default.Names(), ", ")},
		{[]string{"-t", "--timeout"}, true, func(g *globals, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				return fmt.Errorf("--timeout wants a positive number of seconds, not %q", v)
			}
			g.Timeout = f
			return nil
		}, "seconds to wait for returns (default 10)"},
		{[]string{"--async"}, false, on(func(g *globals) *bool { return &g.Async }), "print the job id and return at once"},
		{[]string{"-b", "--batch", "--batch-size"}, true, str(func(g *globals) *string { return &g.Batch }), "run on N (or N%) minions at a time"},
		{[]string{"-y", "--yes"}, false, on(func(g *globals) *bool { return &g.Yes }), "answer yes to confirmations"},
		{[]string{"-A", "--all"}, false, on(func(g *globals) *bool { return &g.All }), "key commands: every key"},
		{[]string{"--no-color"}, false, on(func(g *globals) *bool { return &g.NoColor }), "never colour output"},
		{[]string{"-p", "--profile"}, true, str(func(g *globals) *string { return &g.Profile }), "cloud profile"},
		{[]string{"--limit"}, true, func(g *globals, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("--limit wants a whole number, not %q", v)
			}
			g.Limit = n
			return nil
		}, "jobs list: how many jobs"},
		{[]string{"-v", "--verbose"}, false, on(func(g *globals) *bool { return &g.Verbose }), "say what is being done: print the job id first"},
		{[]string{"--show-jid"}, false, on(func(g *globals) *bool { return &g.ShowJID }), "print the job id first"},
		{[]string{"--hide-timeout"}, false, on(func(g *globals) *bool { return &g.HideTimeout }), "leave minions that did not return out of the output (the exit code still says so)"},
		{[]string{"--summary"}, false, on(func(g *globals) *bool { return &g.Summary }), "print a summary of the job: targeted, returned, missing, failed"},
		{[]string{"--subset"}, true, func(g *globals, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("--subset wants a whole number of minions, at least 1, not %q", v)
			}
			g.Subset = n
			return nil
		}, "run on N minions picked at random among those targeted"},
		{[]string{"--out-file", "--output-file"}, true, str(func(g *globals) *string { return &g.OutFile }), "write the output to this file instead of stdout"},
		{[]string{"--out-file-append", "--output-file-append"}, false, on(func(g *globals) *bool { return &g.OutFileAppend }), "append to --out-file instead of replacing it"},
		{[]string{"--out-indent", "--output-indent"}, true, func(g *globals, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("--out-indent wants a whole number of spaces (negative: none), not %q", v)
			}
			g.OutIndent, g.OutIndentSet = n, true
			return nil
		}, "indent json and pprint output by N spaces (negative: one line)"},
		{[]string{"--force-color"}, false, on(func(g *globals) *bool { return &g.ForceColor }), "colour output even when not on a terminal"},
		{[]string{"--state-output", "--state_output"}, true, func(g *globals, v string) error {
			v = strings.ToLower(v)
			for _, ok := range output.StateOutputs {
				if v == ok {
					g.StateOutput = v
					return nil
				}
			}
			return fmt.Errorf("--state-output wants one of %s, not %q", strings.Join(output.StateOutputs, ", "), v)
		}, "state returns: full, terse, mixed or changes (or *_id)"},
		{[]string{"--state-verbose", "--state_verbose"}, true, func(g *globals, v string) error {
			b, err := parseBoolWord(v)
			if err != nil {
				return fmt.Errorf("--state-verbose wants true or false, not %q", v)
			}
			g.StateVerbose, g.StateVerboseSet = b, true
			return nil
		}, "false: leave out states that succeeded without changes"},
		{[]string{"--makedirs"}, false, on(func(g *globals) *bool { return &g.Makedirs }), "cp: create missing directories on the minions"},
		{[]string{"--wait-for-down"}, false, on(func(g *globals) *bool { return &g.WaitForDown }), "wait the timeout for minions the master knows are not connected"},
		{[]string{"--key-state"}, true, func(g *globals, v string) error {
			st, ok := keyStates[strings.ToLower(v)]
			if !ok {
				return fmt.Errorf("--key-state wants acc, pre, rej, den or all, not %q", v)
			}
			g.KeyState = st
			return nil
		}, "key list: only the keys in this state (salt-key's -l)"},
		{[]string{"-h", "--help"}, false, on(func(g *globals) *bool { return &g.Help }), "show help"},
		{[]string{"--version"}, false, on(func(g *globals) *bool { return &g.Version }), "print the version"},
		{[]string{"--versions-report"}, false, on(func(g *globals) *bool { return &g.VersionsReport }), "print the versions of this build and its libraries"},
	}
}

// parseArgs separates flags, which may stand anywhere as in Salt, from
// positional words. "--" ends flag parsing.
func parseArgs(args []string) (*globals, error) {
	g := &globals{Timeout: 10, Out: "text", StateVerbose: true}
	specs := map[string]flagSpec{}
	for _, s := range flagSpecs() {
		for _, n := range s.names {
			specs[n] = s
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			g.Positional = append(g.Positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a) {
			g.Positional = append(g.Positional, a)
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if t, ok := tgtFlags[name]; ok && !hasVal {
			if g.TgtType != "" && g.TgtType != t {
				return nil, fmt.Errorf("%s: only one target type flag may be given", a)
			}
			g.TgtType = t
			continue
		}
		s, ok := specs[name]
		if !ok {
			return nil, fmt.Errorf("unknown flag %s", name)
		}
		if s.value && !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag %s needs a value", name)
			}
			i++
			val = args[i]
		} else if !s.value && hasVal {
			return nil, fmt.Errorf("flag %s takes no value", name)
		}
		if err := s.set(g, val); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

var longDigits = regexp.MustCompile(`^[0-9]{16,}$`)

var leadingZeros = regexp.MustCompile(`^0[0-9]{1,15}$`)

var kwargRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$`)

// parseFunArgs splits words into positional args and key=value kwargs,
// each value read as YAML the way Salt does (test=True, pillar='{...}').
// ParseFunArgs reads a function's arguments as ctl does (Salt's rules:
// KEY=VALUE is a keyword argument, values are YAML scalars or flow
// collections); `minion call` shares it.
func ParseFunArgs(words []string) ([]any, map[string]any, error) { return parseFunArgs(words) }

func parseFunArgs(words []string) ([]any, map[string]any, error) {
	var args []any
	var kwargs map[string]any
	for _, w := range words {
		if m := kwargRe.FindStringSubmatch(w); m != nil {
			v, err := yamlify(m[2])
			if err != nil {
				return nil, nil, fmt.Errorf("argument %s: %w", m[1], err)
			}
			if kwargs == nil {
				kwargs = map[string]any{}
			}
			kwargs[m[1]] = v
			continue
		}
		v, err := yamlify(w)
		if err != nil {
			return nil, nil, fmt.Errorf("argument %q: %w", w, err)
		}
		args = append(args, v)
	}
	return args, kwargs, nil
}

// yamlify reads s as a YAML scalar, or as a flow collection when it starts
// with '{' or '['. Other text (e.g. "echo a: b") stays a string.
func yamlify(s string) (any, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return s, nil
	}
	if longDigits.MatchString(t) {
		return s, nil // a jid or other id that would lose digits as a number
	}
	if leadingZeros.MatchString(t) {
		// Salt's YAML loader reads 0644 as 644 (not octal 420); file modes
		// given as mode=0644 then mean what they say.
		n, _ := strconv.Atoi(strings.TrimLeft(t, "0"))
		return n, nil
	}
	var v any
	if err := yaml.Unmarshal([]byte(t), &v); err != nil {
		if t[0] == '{' || t[0] == '[' {
			return nil, fmt.Errorf("bad YAML value %q: %v", s, err)
		}
		return s, nil
	}
	switch x := v.(type) {
	case map[string]any, map[any]any, []any:
		if t[0] != '{' && t[0] != '[' {
			return s, nil
		}
		return normalize(x), nil
	case string:
		if t == "None" { // Python's spelling, as Salt reads it
			return nil, nil
		}
		if t[0] == '\'' || t[0] == '"' {
			return x, nil // quoted on purpose: the string inside the quotes
		}
		return s, nil
	case nil:
		if t == "null" || t == "~" {
			return nil, nil
		}
		return s, nil
	case int:
		return x, nil
	case bool:
		return x, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return s, nil // JSON, which carries the job, has no such number
		}
		return x, nil
	}
	return s, nil
}

// normalize turns yaml.v3's map[string]any trees into JSON-friendly values.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case float64:
		switch {
		case math.IsNaN(x):
			return ".nan"
		case math.IsInf(x, 1):
			return ".inf"
		case math.IsInf(x, -1):
			return "-.inf"
		}
	}
	return v
}

// parseBoolWord reads a flag's true/false as Salt's command line does.
func parseBoolWord(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", v)
}
