// Package schedule is Salt's job scheduler, shared by the minion (the
// `schedule:` of its config and pillar, running execution functions) and
// the master (its config's `schedule:`, running runners or publishing
// jobs): parsing of schedule entries, a five-field cron parser and the
// timing engine (intervals, cron, splay, maxrunning, run_on_start), with an
// injectable clock. What a run does is up to the caller.
package schedule

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/brine-cm/brine/internal/config"
)

// Entry is one parsed schedule entry.
//
//	backup:
//	  function: cmd.run
//	  args: ['tar czf /backup/site.tgz /srv/site']
//	  kwargs: {cwd: /}
//	  seconds: 30        # minutes, hours, days too, added up; or cron: '*/5 * * * *'
//	  splay: 10          # a random extra 0..10 s before each run ({start: 5, end: 10} too)
//	  maxrunning: 1      # skip a run while this many runs of the entry are running
//	  run_on_start: true # first run at start rather than after one interval
//	  enabled: true
type Entry struct {
	Name     string
	Function string
	Args     []any
	Kwargs   map[string]any
	// Every is the interval (seconds+minutes+hours+days); zero for cron
	// entries.
	Every time.Duration
	Cron  *Cron
	// SplayMin and SplayMax bound the random delay added to each run.
	SplayMin, SplayMax time.Duration
	MaxRunning         int
	RunOnStart         bool
	Enabled            bool
	// Tgt and TgtType (master schedules only) make the entry publish a job
	// to the minions Tgt matches instead of running a runner.
	Tgt, TgtType string
	// Source says where the entry was defined ("config", "pillar").
	Source string
	// Raw is the entry as configured.
	Raw any
	// Err is set for an entry that cannot run; such entries are listed
	// with their error and never run.
	Err error
}

// Options say how entries are checked.
type Options struct {
	// Master admits the master-only keys tgt and tgt_type.
	Master bool
	// CheckFunction, if set, is asked whether the entry's function can run
	// (the entry is complete apart from Err); an error makes the entry bad.
	CheckFunction func(e *Entry) error
	// Source is recorded in each entry.
	Source string
}

// The keys an entry may have. returner, return_job and jid_include are
// Salt keys that Brine accepts and ignores: returns always go to the job
// cache, with a job id.
var (
	entryKeys  = []string{"function", "args", "kwargs", "seconds", "minutes", "hours", "days", "cron", "splay", "maxrunning", "run_on_start", "enabled", "name", "returner", "return_job", "jid_include"}
	masterKeys = []string{"tgt", "tgt_type"}

	targetTypes = []string{"glob", "pcre", "list", "grain", "grain_pcre", "pillar", "compound", "ipcidr", "expr"}
)

// unitKeys are the interval keys in the order they are added up.
var unitKeys = []struct {
	key  string
	unit time.Duration
}{{"seconds", time.Second}, {"minutes", time.Minute}, {"hours", time.Hour}, {"days", 24 * time.Hour}}

// maxInterval bounds intervals and splay so durations cannot overflow.
const maxInterval = 10 * 365 * 24 * time.Hour

// Parse reads a `schedule:` mapping. It returns every entry, sorted by
// name, bad ones with Err set (an error that names the entry), and whether
// the schedule as a whole is enabled (Salt's top-level `enabled: false`).
func Parse(raw map[string]any, opts Options) (entries []*Entry, enabled bool) {
	enabled = true
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := raw[name]
		if name == "enabled" {
			if b, ok := v.(bool); ok {
				enabled = b
				continue
			}
		}
		entries = append(entries, ParseEntry(name, v, opts))
	}
	return entries, enabled
}

// ParseEntry reads one entry; a bad one comes back with Err set.
func ParseEntry(name string, v any, opts Options) *Entry {
	e := &Entry{Name: name, Source: opts.Source, Raw: v, MaxRunning: 1, Enabled: true}
	if err := e.parse(v, opts); err != nil {
		e.Err = fmt.Errorf("schedule entry %q: %w", name, err)
		e.Enabled = false
	}
	return e
}

func (e *Entry) parse(v any, opts Options) error {
	if err := checkName(e.Name); err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("must be a mapping of function, args, kwargs, seconds, ..., not %s", describe(v))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(entryKeys, k) && !(opts.Master && contains(masterKeys, k)) {
			allowed := entryKeys
			if opts.Master {
				allowed = append(append([]string{}, entryKeys...), masterKeys...)
			}
			if s := config.Suggest(k, allowed); s != "" {
				return fmt.Errorf("unknown key %q (did you mean %q?)", k, s)
			}
			return fmt.Errorf("unknown key %q (known: %s)", k, strings.Join(allowed, ", "))
		}
	}
	var err error
	fun, ok := m["function"].(string)
	if !ok || strings.TrimSpace(fun) == "" {
		return fmt.Errorf("function must be a function name (module.function), not %s", describe(m["function"]))
	}
	e.Function = strings.TrimSpace(fun)
	if n, ok := m["name"]; ok && n != e.Name {
		return fmt.Errorf("name %s differs from the entry's name", describe(n))
	}
	switch a := m["args"].(type) {
	case nil:
	case []any:
		e.Args = a
	default:
		return fmt.Errorf("args must be a list, not %s", describe(a))
	}
	switch kw := m["kwargs"].(type) {
	case nil:
	case map[string]any:
		e.Kwargs = kw
	default:
		return fmt.Errorf("kwargs must be a mapping, not %s", describe(kw))
	}
	hasUnits := false
	for _, u := range unitKeys {
		x, ok := m[u.key]
		if !ok {
			continue
		}
		hasUnits = true
		n, ok := number(x)
		if !ok || n < 0 {
			return fmt.Errorf("%s must be a number of at least 0, not %s", u.key, describe(x))
		}
		d := n * float64(u.unit)
		if d > float64(maxInterval) || e.Every+time.Duration(d) > maxInterval {
			return fmt.Errorf("%s: the interval must be at most 10 years", u.key)
		}
		e.Every += time.Duration(d)
	}
	if c, ok := m["cron"]; ok {
		if hasUnits {
			return fmt.Errorf("cron cannot be combined with seconds, minutes, hours or days")
		}
		s, ok := c.(string)
		if !ok {
			return fmt.Errorf("cron must be a string like '*/5 * * * *', not %s", describe(c))
		}
		if e.Cron, err = ParseCron(s); err != nil {
			return err
		}
	} else {
		if !hasUnits {
			return fmt.Errorf("no interval: give seconds, minutes, hours or days, or cron")
		}
		if e.Every < time.Second {
			return fmt.Errorf("the interval must be at least 1 second, not %s", e.Every)
		}
	}
	if e.SplayMin, e.SplayMax, err = splay(m["splay"]); err != nil {
		return err
	}
	if x, ok := m["maxrunning"]; ok {
		n, ok := number(x)
		if !ok || n < 1 || n != math.Trunc(n) || n > 1e6 {
			return fmt.Errorf("maxrunning must be a whole number of at least 1, not %s", describe(x))
		}
		e.MaxRunning = int(n)
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"run_on_start", &e.RunOnStart}, {"enabled", &e.Enabled}, {"return_job", new(bool)}, {"jid_include", new(bool)}} {
		if x, ok := m[b.key]; ok {
			v, ok := x.(bool)
			if !ok {
				return fmt.Errorf("%s must be true or false, not %s", b.key, describe(x))
			}
			*b.dst = v
		}
	}
	if x, ok := m["returner"]; ok {
		if _, ok := x.(string); !ok {
			return fmt.Errorf("returner must be a string, not %s", describe(x))
		}
	}
	if x, ok := m["tgt"]; ok {
		s, ok := x.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return fmt.Errorf("tgt must be a target string, not %s", describe(x))
		}
		e.Tgt = s
	}
	if x, ok := m["tgt_type"]; ok {
		s, ok := x.(string)
		if !ok || !contains(targetTypes, s) {
			return fmt.Errorf("tgt_type must be one of %s, not %s", strings.Join(targetTypes, ", "), describe(x))
		}
		if e.Tgt == "" {
			return fmt.Errorf("tgt_type needs tgt")
		}
		e.TgtType = s
	}
	if opts.CheckFunction != nil {
		if err := opts.CheckFunction(e); err != nil {
			return err
		}
	}
	return nil
}

func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("the entry needs a name")
	}
	if len(name) > 200 {
		return fmt.Errorf("the name is longer than 200 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '/' {
			return fmt.Errorf("the name must not contain '/' or control characters")
		}
	}
	return nil
}

// splay reads `splay: N` (0..N seconds) or `splay: {start: A, end: B}`.
func splay(v any) (lo, hi time.Duration, err error) {
	sec := func(x any, what string) (time.Duration, error) {
		n, ok := number(x)
		if !ok || n < 0 || n*float64(time.Second) > float64(maxInterval) {
			return 0, fmt.Errorf("%s must be a number of seconds of at least 0, not %s", what, describe(x))
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	switch x := v.(type) {
	case nil:
		return 0, 0, nil
	case map[string]any:
		for k := range x {
			if k != "start" && k != "end" {
				return 0, 0, fmt.Errorf("splay: unknown key %q (start, end)", k)
			}
		}
		if start, ok := x["start"]; ok {
			if lo, err = sec(start, "splay start"); err != nil {
				return 0, 0, err
			}
		}
		if hi, err = sec(x["end"], "splay end"); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("splay end %s is before start %s", hi, lo)
		}
		return lo, hi, nil
	default:
		hi, err = sec(x, "splay")
		return 0, hi, err
	}
}

// number reads YAML and JSON numbers.
func number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	case float32:
		f = float64(x)
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("%v", x)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sameDefinition says whether two entries were configured alike.
func sameDefinition(a, b *Entry) bool {
	return a.Source == b.Source && reflect.DeepEqual(a.Raw, b.Raw)
}

// Describe is the entry as schedule.list shows it: its settings under
// Salt's key names, or its error.
func (e *Entry) Describe() map[string]any {
	out := map[string]any{"name": e.Name, "source": e.Source, "enabled": e.Enabled}
	if e.Err != nil {
		out["error"] = e.Err.Error()
		if e.Raw != nil {
			out["config"] = e.Raw
		}
		return out
	}
	out["function"] = e.Function
	out["args"] = nonNil(e.Args)
	if e.Kwargs == nil {
		out["kwargs"] = map[string]any{}
	} else {
		out["kwargs"] = e.Kwargs
	}
	if e.Cron != nil {
		out["cron"] = e.Cron.String()
	} else {
		out["seconds"] = e.Every.Seconds()
	}
	if e.SplayMin > 0 {
		out["splay"] = map[string]any{"start": e.SplayMin.Seconds(), "end": e.SplayMax.Seconds()}
	} else if e.SplayMax > 0 {
		out["splay"] = e.SplayMax.Seconds()
	}
	out["maxrunning"] = e.MaxRunning
	out["run_on_start"] = e.RunOnStart
	if e.Tgt != "" {
		out["tgt"] = e.Tgt
		if e.TgtType != "" {
			out["tgt_type"] = e.TgtType
		}
	}
	return out
}

func nonNil(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}
