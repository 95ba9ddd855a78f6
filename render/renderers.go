package render

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Renderers, Caddy style: each renderer registers by name from its own
// file (renderer_jinja.go, renderer_yaml.go, renderer_json.go,
// renderer_gpg.go); an SLS file's shebang line ("#!jinja|yaml", the
// default when there is none) names the renderers its text goes through,
// left to right, and SLS asks this registry for each.

// Stage is what flows through a render pipeline: text until a data
// renderer (yaml, json, py) has run, then data.
type Stage struct {
	// File is the SLS file's name, for errors.
	File string
	// Text is the text to render; nil once Data is set.
	Text []byte
	// Data is the rendered data, set by a data renderer.
	Data *Map

	// lines maps lines of Text back to the template lines that produced
	// them (set by the jinja renderer, read by yaml for its errors).
	lines *lineMap
}

// Renderer is one renderer of SLS pipelines.
type Renderer struct {
	// Doc says what the renderer does, in a sentence or two.
	Doc string
	// Render renders s in place: a text renderer replaces s.Text, a data
	// renderer sets s.Data (and may read s.Data set by an earlier one,
	// as gpg does). Errors should be *Error naming s.File.
	Render func(ctx context.Context, s *Stage, c *Context) error
}

var renderers = struct {
	sync.RWMutex
	m map[string]Renderer
}{m: map[string]Renderer{}}

// RegisterRenderer makes a renderer available to SLS shebang lines under
// name. Registering a name twice panics (a programming error, caught at
// start-up).
func RegisterRenderer(name string, r Renderer) {
	renderers.Lock()
	defer renderers.Unlock()
	if name == "" || strings.ContainsAny(name, "| \t") {
		panic(fmt.Sprintf("render: bad renderer name %q", name))
	}
	if _, dup := renderers.m[name]; dup {
		panic(fmt.Sprintf("render: renderer %q registered twice", name))
	}
	if r.Render == nil {
		panic(fmt.Sprintf("render: renderer %q has no Render function", name))
	}
	renderers.m[name] = r
}

// LookupRenderer returns the renderer registered under name.
func LookupRenderer(name string) (Renderer, bool) {
	renderers.RLock()
	defer renderers.RUnlock()
	r, ok := renderers.m[name]
	return r, ok
}

// RendererNames lists the registered renderers, sorted.
func RendererNames() []string {
	renderers.RLock()
	defer renderers.RUnlock()
	out := make([]string, 0, len(renderers.m))
	for n := range renderers.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// defaultPipeline is Salt's default renderer setting.
var defaultPipeline = []string{"jinja", "yaml"}

// parsePipeline reads the renderer names from text's shebang line
// ("#!jinja|yaml"; a name may be followed by options, which are
// ignored), the default pipeline when there is none. A name no renderer
// is registered under is an error at line 1 of the file.
func parsePipeline(text []byte, name string) ([]string, error) {
	if !bytes.HasPrefix(text, []byte("#!")) {
		return defaultPipeline, nil
	}
	line := text[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	spec := strings.TrimSpace(strings.TrimSuffix(string(line), "\r"))
	var names []string
	for _, part := range strings.Split(spec, "|") {
		f := strings.Fields(part)
		if len(f) == 0 {
			return nil, &Error{File: name, Line: 1, Stage: "render",
				Msg: fmt.Sprintf("render pipeline %q has an empty renderer name", spec)}
		}
		if _, ok := LookupRenderer(f[0]); !ok {
			return nil, &Error{File: name, Line: 1, Stage: "render",
				Msg: fmt.Sprintf("unknown renderer %q in the render pipeline %q (available: %s)", f[0], spec, strings.Join(RendererNames(), ", "))}
		}
		names = append(names, f[0])
	}
	return names, nil
}

// runPipeline renders text through the named renderers; the result must
// be data.
func runPipeline(ctx context.Context, names []string, text []byte, name string, c *Context) (*Map, error) {
	s := &Stage{File: name, Text: text}
	for _, n := range names {
		r, _ := LookupRenderer(n)
		if err := r.Render(ctx, s, c); err != nil {
			return nil, err
		}
	}
	if s.Data == nil {
		if len(bytes.TrimSpace(s.Text)) == 0 {
			return NewMap(), nil
		}
		return nil, &Error{File: name, Line: 1, Stage: "render",
			Msg: fmt.Sprintf("the render pipeline %q ends in text, not data: end it with a data renderer such as yaml or json", strings.Join(names, "|"))}
	}
	return s.Data, nil
}

// needText is the error of a text renderer placed after a data renderer.
func needText(s *Stage, renderer string) error {
	if s.Data != nil {
		return &Error{File: s.File, Line: 1, Stage: "render",
			Msg: fmt.Sprintf("the %s renderer renders text, but an earlier renderer in the pipeline produced data", renderer)}
	}
	return nil
}
