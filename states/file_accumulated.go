package states

import (
	"context"
	"fmt"
	"reflect"
	"sync"
)

// file.accumulated collects text for a file managed later in the same
// run: file.blockreplace adds it to its block, file.managed templates see
// it as the variable accumulator ({accumulator name: [text, ...]}), as in
// Salt. The accumulator must be required by (require_in/watch_in, or the
// file state's require/watch) a file state, else it is orphaned.

func init() {
	RegisterTyped(Typed[accumulatedArgs]{
		Name: "file.accumulated",
		Doc: `Collect text for a file a later state of the run manages: file.blockreplace appends it to its content, and a file.managed template sees it as accumulator[name] (a list).

name: the accumulator's name. filename: the file that receives it (the file state's name). text: a string or a list. A file state must require (or watch) this one (require_in/watch_in here, or require/watch there); else it is an orphaned accumulator and fails. Several accumulators for one file each feed the blockreplace state requiring them. No changes; the comment says when text was added.`,
		Apply:           fileAccumulated,
		NeedsRequiredBy: true,
	})
}

type accumulatedArgs struct {
	Filename string `salt:"filename,required"`
	Text     any    `salt:"text,required"`
}

// Accumulators is file.accumulated's store for one state run.
type Accumulators struct {
	mu    sync.Mutex
	files map[string]*accumFile
}

// accumFile is what was accumulated for one file: the text per
// accumulator name (in the order names were first charged) and the IDs
// of the states each accumulator is required by.
type accumFile struct {
	names []string
	text  map[string][]any
	deps  map[string][]string
}

// add charges accumulator name of filename with the text chunks not yet
// there, recording deps; it reports whether something was added.
func (a *Accumulators) add(filename, name string, chunks []any, deps []string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.files == nil {
		a.files = map[string]*accumFile{}
	}
	f := a.files[filename]
	if f == nil {
		f = &accumFile{text: map[string][]any{}, deps: map[string][]string{}}
		a.files[filename] = f
	}
	if _, ok := f.text[name]; !ok {
		f.names = append(f.names, name)
		f.text[name] = nil
	}
	f.deps[name] = append(f.deps[name], deps...)
	added := false
	for _, c := range chunks {
		dup := false
		for _, have := range f.text[name] {
			if reflect.DeepEqual(have, c) {
				dup = true
				break
			}
		}
		if !dup {
			f.text[name] = append(f.text[name], c)
			added = true
		}
	}
	return added
}

// forTemplate is the template variable accumulator for filename: nil
// when nothing was accumulated for it.
func (a *Accumulators) forTemplate(filename string) map[string]any {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.files[filename]
	if f == nil {
		return nil
	}
	out := make(map[string]any, len(f.text))
	for k, v := range f.text {
		out[k] = append([]any(nil), v...)
	}
	return out
}

// forBlock is the text file.blockreplace (state ID id) adds for
// filename, Salt's way: the accumulators required by id, or all of them
// when none is; in order, each chunk a line.
func (a *Accumulators) forBlock(filename, id string) []string {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.files[filename]
	if f == nil {
		return nil
	}
	var picked []string
	for _, n := range f.names {
		for _, d := range f.deps[n] {
			if d == id {
				picked = append(picked, n)
				break
			}
		}
	}
	if len(picked) == 0 {
		picked = f.names
	}
	var lines []string
	for _, n := range picked {
		for _, c := range f.text[n] {
			lines = append(lines, pyStr(c))
		}
	}
	return lines
}

func fileAccumulated(ctx context.Context, env *Env, call Call, a *accumulatedArgs) Result {
	if env == nil || env.Accumulators == nil {
		return fail(call.Name, "file.accumulated: there is no state run to accumulate in")
	}
	if a.Text == nil {
		return fail(call.Name, "No text supplied for accumulator")
	}
	if len(call.RequiredBy) == 0 {
		return fail(call.Name, "Orphaned accumulator %s in state '%s': no file state requires it (add require_in or watch_in naming the file state)", call.Name, call.ID)
	}
	var chunks []any
	switch t := a.Text.(type) {
	case []any:
		chunks = t
	default:
		chunks = []any{t}
	}
	ret := Result{Name: call.Name, Result: True()}
	if env.Accumulators.add(a.Filename, call.Name, chunks, call.RequiredBy) {
		ret.Comment = fmt.Sprintf("Accumulator %s for file %s was charged by text", call.Name, a.Filename)
	}
	return ret
}
