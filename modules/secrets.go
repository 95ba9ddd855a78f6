package modules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/brine-cm/brine/render"
)

// Secrets declares which arguments of a function may carry secrets. Each
// module declares them where it registers the function (see Register's
// options), and everything that shows a job's arguments outside the job
// itself asks this declaration: the master's salt/job/<jid>/new events, the
// reactor's result events, the HTTP API's job listings and the minion's log.
//
// Whatever a function declares, the keyword argument pillar (data handed
// to a state run, often passwords and keys) is secret for every function.
type Secrets struct {
	// All: every argument, positional and keyword, is secret (cmd.run's
	// command line, grains.setval's value).
	All bool
	// Args are the secret positional arguments, counted from 0.
	Args []int
	// Kwargs are the secret keyword arguments; the same names given as
	// "name=value" strings among the positional arguments are secret too.
	Kwargs []string
}

// Redacted replaces a secret value.
const Redacted = "<redacted>"

// pillarKwarg is secret for every function.
const pillarKwarg = "pillar"

// Option declares something about a function at Register.
type Option func(*Function)

// AllArgsSecret declares every argument of the function secret.
func AllArgsSecret() Option {
	return func(f *Function) { f.Secrets.All = true }
}

// SecretArgs declares the positional arguments at positions (from 0)
// secret.
func SecretArgs(positions ...int) Option {
	return func(f *Function) { f.Secrets.Args = append(f.Secrets.Args, positions...) }
}

// SecretKwargs declares the keyword arguments names secret.
func SecretKwargs(names ...string) Option {
	return func(f *Function) { f.Secrets.Kwargs = append(f.Secrets.Kwargs, names...) }
}

// SecretsOf returns what execution function fun declares. A function that
// is not registered has every argument secret: what is not known to be
// harmless is not shown.
func SecretsOf(fun string) Secrets {
	f, ok := Lookup(fun)
	if !ok {
		return Secrets{All: true}
	}
	return f.Secrets
}

// IsSecret reports whether the argument of fun at position pos (-1: not
// positional) or named name ("": not a keyword) is secret.
func IsSecret(fun string, pos int, name string) bool {
	return SecretsOf(fun).isSecret(pos, name)
}

// RedactArgs is what may be shown of execution function fun's positional
// arguments: see Secrets.RedactArgs.
func RedactArgs(fun string, arg []any) any { return SecretsOf(fun).RedactArgs(arg) }

// RedactKwargs is what may be shown of execution function fun's keyword
// arguments: see Secrets.RedactKwargs.
func RedactKwargs(fun string, kw map[string]any) map[string]any {
	return SecretsOf(fun).RedactKwargs(kw)
}

func (s Secrets) isSecret(pos int, name string) bool {
	if s.All {
		return true
	}
	if pos >= 0 && slices.Contains(s.Args, pos) {
		return true
	}
	return name != "" && (name == pillarKwarg || slices.Contains(s.Kwargs, name))
}

// RedactArgs returns what may be shown of positional arguments: "<N args>"
// when all of them are secret, otherwise a copy with each secret one
// replaced by Redacted, a secret "name=value" string by "name=<redacted>"
// and, in a mapping of keyword arguments among them, the secret keys as
// RedactKwargs does. It never changes arg.
func (s Secrets) RedactArgs(arg []any) any {
	if len(arg) == 0 {
		return []any{}
	}
	if s.All {
		return fmt.Sprintf("<%d args>", len(arg))
	}
	out := make([]any, len(arg))
	for i, a := range arg {
		if s.isSecret(i, "") {
			out[i] = Redacted
			continue
		}
		switch x := a.(type) {
		case string:
			if k, _, ok := strings.Cut(strings.TrimSpace(x), "="); ok && s.isSecret(-1, strings.TrimSpace(k)) {
				out[i] = strings.TrimSpace(k) + "=" + Redacted
				continue
			}
		case map[string]any:
			out[i] = s.RedactKwargs(x)
			continue
		case *render.Map:
			out[i] = s.redactRenderMap(x)
			continue
		}
		out[i] = a
	}
	return out
}

// RedactKwargs returns a copy of kw with each secret value replaced:
// pillar by its sorted top-level keys (which say what was passed without
// showing it), any other by Redacted. It never changes kw; nil stays nil.
func (s Secrets) RedactKwargs(kw map[string]any) map[string]any {
	if kw == nil {
		return nil
	}
	out := make(map[string]any, len(kw))
	for k, v := range kw {
		out[k] = s.redactValue(k, v)
	}
	return out
}

func (s Secrets) redactRenderMap(m *render.Map) map[string]any {
	out := make(map[string]any, len(m.Keys))
	for _, k := range m.Keys {
		v, _ := m.Get(k)
		out[k] = s.redactValue(k, v)
	}
	return out
}

func (s Secrets) redactValue(k string, v any) any {
	switch {
	case k == pillarKwarg:
		return pillarKeys(v)
	case s.isSecret(-1, k):
		return Redacted
	}
	return v
}

// pillarKeys is what is shown of a pillar argument: its sorted top-level
// keys.
func pillarKeys(p any) any {
	switch x := p.(type) {
	case nil:
		return nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	case *render.Map:
		keys := slices.Clone(x.Keys)
		slices.Sort(keys)
		return keys
	}
	return Redacted
}
