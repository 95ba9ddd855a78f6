// Package output renders job returns and other values for ctl, as Salt's
// outputters do: "text" is Salt's nested outputter, "json" and "yaml" print
// one document.
//
// A Printer prints returns as they arrive (text) or gathers them into one
// document keyed by minion id (json, yaml), keeps an optional live
// "[returned/expected]" line on stderr, and names the minions that never
// returned. Value renders a single value (key lists, runner results, jobs)
// in the same formats.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Format is an output format.
type Format string

// The output formats. Text is Salt's "nested" outputter.
const (
	Text Format = "text"
	JSON Format = "json"
	YAML Format = "yaml"
)

// NoResponse is what Salt prints for a minion that did not return;
// NotConnected for one known not to be connected.
const (
	NoResponse   = "Minion did not return. [No response]"
	NotConnected = "Minion did not return. [Not connected]"
)

// ParseFormat reads a --out value: the name or alias of a registered
// outputter ("nested", Salt's name for text, included); case does not
// matter.
func ParseFormat(s string) (Format, error) {
	o, ok := Default.Lookup(s)
	if !ok {
		return "", fmt.Errorf("unknown output format %q: use %s", s, strings.Join(Default.Names(), ", "))
	}
	return Format(o.Name), nil
}

// Options says how and where to print.
type Options struct {
	// Format is the output format; "" means Text.
	Format Format
	// Color turns on ANSI colours in text output. Set it when Out is a
	// terminal (see IsTerminal).
	Color bool
	// Out receives the returns; nil means os.Stdout.
	Out io.Writer
	// Err receives the progress line and messages; nil means os.Stderr.
	Err io.Writer
	// Progress shows a live "[returned/expected returned]" line on Err. The
	// caller sets it only when Err is a terminal: the line is redrawn with
	// carriage returns and erased with ANSI escapes.
	Progress bool
	// Indent is --out-indent for the outputters that indent (json,
	// pprint), when IndentSet; negative means none (one line).
	Indent    int
	IndentSet bool
	// StateOutput is Salt's state_output for state returns: full (the
	// default), terse, mixed, changes, or one of them with "_id" (the
	// state's ID in place of its name).
	StateOutput string
	// HideMissing is Salt's --hide-timeout: the minions that did not
	// return are left out of Out (the line on Err still names them).
	HideMissing bool
	// StateQuiet is Salt's state_verbose=False: states that succeeded
	// without changes are left out (the summary still counts them).
	StateQuiet bool
}

// Style is what an outputter needs to know of Options.
type Style struct {
	Color       bool
	Indent      int
	IndentSet   bool
	StateOutput string
	StateQuiet  bool
}

func (o Options) style() Style {
	return Style{Color: o.Color, Indent: o.Indent, IndentSet: o.IndentSet, StateOutput: o.StateOutput, StateQuiet: o.StateQuiet}
}

// StateOutputs are the values Options.StateOutput takes.
var StateOutputs = []string{"full", "terse", "mixed", "changes", "full_id", "terse_id", "mixed_id", "changes_id"}

func (o Options) out() io.Writer {
	if o.Out == nil {
		return os.Stdout
	}
	return o.Out
}

func (o Options) err() io.Writer {
	if o.Err == nil {
		return os.Stderr
	}
	return o.Err
}

// Printer prints the returns of one job. It is safe for concurrent use.
type Printer struct {
	o   Options
	out *Outputter

	mu       sync.Mutex
	expected []string        // unique ids, in the order given
	isExp    map[string]bool // set of expected
	returns  map[string]any  // id -> normalized return
	extra    int             // returned ids that were not expected
	shown    bool            // the progress line is on screen
	finished bool
	missing  []string
	notConn  map[string]bool // expected ids known not to be connected
	werr     error
}

// NewPrinter returns a Printer for a job sent to the minions in expected.
func NewPrinter(o Options, expected []string) *Printer {
	out, err := outputter(o.Format)
	if err != nil {
		o.Format = Text
		out, _ = outputter(Text)
	}
	p := &Printer{
		o:       o,
		out:     out,
		isExp:   make(map[string]bool, len(expected)),
		returns: make(map[string]any, len(expected)),
	}
	for _, id := range expected {
		if !p.isExp[id] {
			p.isExp[id] = true
			p.expected = append(p.expected, id)
		}
	}
	return p
}

// Expect adds ids to the minions the job was sent to, for jobs whose
// targets are resolved after the printer is made (or in batches).
func (p *Printer) Expect(ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if !p.isExp[id] {
			p.isExp[id] = true
			p.expected = append(p.expected, id)
			if _, seen := p.returns[id]; seen {
				p.extra--
			}
		}
	}
}

// NotConnected marks expected minions as known not to be connected: if
// they have not returned at Finish, they are reported as Salt reports
// them, "[Not connected]", rather than "[No response]".
func (p *Printer) NotConnected(ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.notConn == nil {
		p.notConn = map[string]bool{}
	}
	for _, id := range ids {
		p.notConn[id] = true
	}
}

// Add records the return of minion id. In text format the return is
// printed at once; json and yaml print everything at Finish. failed marks
// the return as an error: it is printed red when colour is on. A second
// return from the same id replaces the first in the json/yaml document.
func (p *Printer) Add(id string, value any, failed bool) {
	p.add(id, normalize(value), failed)
}

// AddJSON is Add for a return value still encoded as JSON (as a minion
// sent it). For the json format it is kept re-indented, not decoded,
// when that prints the same (see transcodeJSON); otherwise it is decoded
// with DecodeJSON. An error means raw is not JSON; nothing is added then.
func (p *Printer) AddJSON(id string, raw []byte, failed bool) error {
	if p.o.Format == JSON && !p.o.IndentSet && checkTranscodable(raw) {
		p.add(id, rawJSON(raw), failed)
		return nil
	}
	v, err := DecodeJSON(raw)
	if err != nil {
		return err
	}
	p.add(id, v, failed)
	return nil
}

func (p *Printer) add(id string, v any, failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, seen := p.returns[id]; !seen && !p.isExp[id] {
		p.extra++
	}
	p.returns[id] = v
	if p.out.Return != nil {
		var b bytes.Buffer
		p.out.Return(&b, id, v, failed, p.o.style())
		p.clearProgress()
		p.write(p.o.out(), b.Bytes())
	}
	if p.o.Progress {
		total := len(p.expected) + p.extra
		p.write(p.o.err(), fmt.Appendf(nil, "\r[%d/%d returned]", len(p.returns), total))
		p.shown = true
	}
}

// Finish ends the job's output: it erases the progress line, prints the
// json or yaml document of every return (one object keyed by minion id),
// and reports the expected minions that never returned, sorted. In text
// format each of them is printed on Out as Salt does
// ("web-3:\n    Minion did not return. [No response]"); in every format
// one line "ERROR: minions did not return: web-3, web-4" goes to Err.
// Later calls print nothing and return the same list.
func (p *Printer) Finish() (missing []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return slices.Clone(p.missing)
	}
	p.finished = true
	for _, id := range p.expected {
		if _, ok := p.returns[id]; !ok {
			p.missing = append(p.missing, id)
		}
	}
	slices.Sort(p.missing)
	p.clearProgress()

	var b bytes.Buffer
	var noResponse, notConn []string
	for _, id := range p.missing {
		if p.notConn[id] {
			notConn = append(notConn, id)
		} else {
			noResponse = append(noResponse, id)
		}
	}
	if p.out.Return != nil && !p.o.HideMissing {
		if len(noResponse) > 0 {
			p.out.Missing(&b, noResponse, NoResponse, p.o.style())
		}
		if len(notConn) > 0 {
			p.out.Missing(&b, notConn, NotConnected, p.o.style())
		}
	} else if p.out.Return == nil {
		// straight to Out: the json document of a large return is
		// written in pieces rather than built whole first
		p.keep(p.out.Document(printerOut{p}, p.returns, p.o.style()))
	}
	p.write(p.o.out(), b.Bytes())
	if len(noResponse) > 0 {
		msg := "ERROR: minions did not return: " + Escape(strings.Join(noResponse, ", ")) + "\n"
		p.write(p.o.err(), []byte(msg))
	}
	if len(notConn) > 0 {
		msg := "ERROR: minions not connected: " + Escape(strings.Join(notConn, ", ")) + " (--wait-for-down waits for them)\n"
		p.write(p.o.err(), []byte(msg))
	}
	return slices.Clone(p.missing)
}

// WriteErr returns the first error met writing to Out or Err or encoding a
// return, if any.
func (p *Printer) WriteErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.werr
}

func (p *Printer) clearProgress() {
	if p.shown {
		p.write(p.o.err(), []byte("\r\033[K"))
		p.shown = false
	}
}

// printerOut is Out through p.write (which records the first error).
type printerOut struct{ p *Printer }

func (w printerOut) Write(b []byte) (int, error) {
	w.p.write(w.p.o.out(), b)
	if w.p.werr != nil {
		return 0, w.p.werr
	}
	return len(b), nil
}

func (p *Printer) write(w io.Writer, b []byte) {
	if len(b) == 0 {
		return
	}
	_, err := w.Write(b)
	p.keep(err)
}

func (p *Printer) keep(err error) {
	if err != nil && p.werr == nil {
		p.werr = err
	}
}

// Value renders v alone in o's format on o.Out: for text, Salt's nested
// layout with a top-level map's keys flush left. Progress is ignored.
func Value(o Options, v any) error {
	out, err := outputter(o.Format)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := out.Document(&b, normalize(v), o.style()); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	_, err = o.out().Write(b.Bytes())
	return err
}

// encodeJSON writes v indented by 4 spaces, like Salt's json outputter,
// map keys sorted, with no HTML escaping, ending in a newline, and with
// the control characters encoding/json leaves raw escaped too (see
// EscapeJSON).
func encodeJSON(w io.Writer, v any, s Style) error {
	if s.IndentSet {
		// Python's json.dumps(indent=N), or one line with its ", " and
		// ": " separators for a negative N.
		var b strings.Builder
		pyJSON(&b, v, s.Indent, 0)
		b.WriteByte('\n')
		_, err := io.WriteString(w, b.String())
		return err
	}
	if !jsonSafe(v) {
		// a type encoding/json has to handle, which may fail: nothing is
		// written unless all of it encodes
		b, err := appendJSON(nil, v, 0)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	j := &jsonWriter{b: make([]byte, 0, 2*jsonFlushAt), w: w}
	b, err := j.value(v, 0)
	if err != nil {
		return err
	}
	j.b = append(b, '\n')
	return j.flush()
}

// EscapeJSON rewrites the DEL and C1 control characters (U+007F to U+009F,
// which encoding/json writes raw and some terminals obey) in encoded JSON
// as \u escapes. They can only occur inside JSON strings, where the escape
// means the same character, so the document decodes the same.
func EscapeJSON(b []byte) []byte {
	if !bytes.ContainsFunc(b, func(r rune) bool { return r >= 0x7f && r <= 0x9f }) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, w := utf8.DecodeRune(b)
		if r >= 0x7f && r <= 0x9f {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:w]...)
		}
		b = b[w:]
	}
	return out
}

// pyJSON writes v as Python's json.dumps(v, indent=indent, sort_keys=True,
// ensure_ascii=False) does; indent < 0 is indent=None.
func pyJSON(b *strings.Builder, v any, indent, level int) {
	nl := func(l int) {
		if indent >= 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*l))
		}
	}
	sep := ", "
	if indent >= 0 {
		sep = ","
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(level + 1)
			kb, _ := json.Marshal(k)
			b.Write(EscapeJSON(kb))
			b.WriteString(": ")
			pyJSON(b, x[k], indent, level+1)
		}
		nl(level)
		b.WriteByte('}')
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(level + 1)
			pyJSON(b, e, indent, level+1)
		}
		nl(level)
		b.WriteByte(']')
	case float64:
		b.WriteString(pyFloatRepr(x))
	default:
		var eb bytes.Buffer
		enc := json.NewEncoder(&eb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			b.WriteString("null")
			return
		}
		b.Write(EscapeJSON(bytes.TrimSuffix(eb.Bytes(), []byte("\n"))))
	}
}
