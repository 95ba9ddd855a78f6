package output

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// An Outputter renders values for ctl's --out. Each registers itself by
// name from its own file (text in nested.go, json and yaml in
// formats.go); adding one touches one file.
type Outputter struct {
	// Name is what --out takes; Aliases are other names for it (Salt's).
	Name    string
	Aliases []string
	Doc     string
	// Document renders a whole value: a runner's result, key lists, or
	// the returns of a job gathered into one object keyed by minion id.
	Document func(w io.Writer, v any, s Style) error
	// Return, when set, prints one minion's return as it arrives (the
	// returns are then not gathered); Missing then prints the minions that
	// did not return, with Salt's reason (NoResponse or NotConnected).
	Return  func(w io.Writer, id string, v any, failed bool, s Style)
	Missing func(w io.Writer, ids []string, reason string, s Style)
}

// Registry holds the outputters by name. The package's outputters are in
// Default; a program may build its own.
type Registry struct {
	byName map[string]*Outputter
	names  []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]*Outputter{}} }

// Register adds o under its name and aliases. A duplicate name or an
// outputter without Document is a programming error and panics.
func (r *Registry) Register(o *Outputter) {
	if o.Name == "" || o.Document == nil || (o.Return == nil) != (o.Missing == nil) {
		panic(fmt.Sprintf("output: outputter %q needs a name, Document, and Return and Missing together", o.Name))
	}
	for _, n := range append([]string{o.Name}, o.Aliases...) {
		n = strings.ToLower(n)
		if _, dup := r.byName[n]; dup {
			panic("output: duplicate outputter " + n)
		}
		r.byName[n] = o
	}
	r.names = append(r.names, o.Name)
	sort.Strings(r.names)
}

// Lookup finds an outputter by name or alias, ignoring case.
func (r *Registry) Lookup(name string) (*Outputter, bool) {
	o, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]
	return o, ok
}

// Names lists the outputters' names, sorted.
func (r *Registry) Names() []string { return append([]string(nil), r.names...) }

// Default is the registry of the outputters this package provides. It is
// filled by the package's init functions and read-only afterwards.
var Default = NewRegistry()

// outputter is the registered outputter of format f (text for "").
func outputter(f Format) (*Outputter, error) {
	if f == "" {
		f = Text
	}
	o, ok := Default.Lookup(string(f))
	if !ok {
		return nil, fmt.Errorf("unknown output format %q: use %s", f, strings.Join(Default.Names(), ", "))
	}
	return o, nil
}

// NewRegistryWith returns a registry holding the outputters of base, to
// which a program (or a test) may add its own without changing base.
func NewRegistryWith(base *Registry) *Registry {
	r := NewRegistry()
	for k, v := range base.byName {
		r.byName[k] = v
	}
	r.names = append(r.names, base.names...)
	return r
}
