package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Loader reads template files by their salt:// path, with the salt://
// prefix stripped ("nginx/map.jinja"). It serves {% include %},
// {% import %}, {% from %}, {% extends %}, {% import_yaml %},
// {% import_json %} and {% import_text %}. Read must return an error
// wrapping fs.ErrNotExist when the file does not exist.
type Loader interface {
	Read(ctx context.Context, path string) ([]byte, error)
}

// LoaderFunc adapts a function to the Loader interface.
type LoaderFunc func(ctx context.Context, path string) ([]byte, error)

// Read calls f.
func (f LoaderFunc) Read(ctx context.Context, path string) ([]byte, error) { return f(ctx, path) }

// FSLoader reads templates from an ordered list of file systems, as Salt
// reads one saltenv's file_roots: the first root holding the path wins.
type FSLoader []fs.FS

// Read implements Loader.
func (l FSLoader) Read(_ context.Context, name string) ([]byte, error) {
	clean, err := cleanPath(name)
	if err != nil {
		return nil, err
	}
	for _, root := range l {
		data, err := fs.ReadFile(root, clean)
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
}

// MapLoader serves templates from memory, keyed by path. Handy in tests.
type MapLoader map[string]string

// Read implements Loader.
func (l MapLoader) Read(_ context.Context, name string) ([]byte, error) {
	clean, err := cleanPath(name)
	if err != nil {
		return nil, err
	}
	if s, ok := l[clean]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
}

// cleanPath turns a salt:// path into a clean relative slash path that
// cannot escape the file root.
func cleanPath(name string) (string, error) {
	p := strings.TrimPrefix(name, "salt://")
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return "", fmt.Errorf("empty template path: %w", fs.ErrNotExist)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") || !fs.ValidPath(c) {
		return "", fmt.Errorf("template path %q escapes the file root", name)
	}
	return c, nil
}

// Func is a Salt execution-module function callable from templates as
// salt['mod.fun'](...) or salt.mod.fun(...). Arguments arrive as plain Go
// values (string, int, float64, bool, nil, []any, map[string]any); the
// result may be any of those, a *Map, or other slices and maps.
type Func func(args []any, kwargs map[string]any) (any, error)

// Context is what a template sees.
type Context struct {
	// Grains, Pillar and Opts are exposed as grains, pillar and opts. They
	// are deep-copied for each render: a template may mutate its copy
	// (pillar.update(...)) without touching the caller's data. Values may
	// be *Map to keep key order.
	Grains, Pillar, Opts map[string]any
	// Saltenv is the file_roots environment (saltenv); "base" when empty.
	Saltenv string
	// SLS is the dotted SLS name ("webserver.nginx"). sls, slspath,
	// sls_path, slsdotpath, slscolonpath, tpldir, tpldot, tplfile, tpldirs
	// derive from it and from the template name.
	SLS string
	// Salt holds the salt[...] functions. The package supplies pillar.get,
	// pillar.item(s), grains.get, grains.item(s), grains.filter_by,
	// config.get, config.option, defaults.merge, defaults.deepcopy and
	// defaults.update; an entry here with the same name replaces the
	// default. Anything else (cmd.run, mine.get, saltutil.cmd, ...) must
	// come from the caller.
	Salt map[string]Func
	// Extra variables, for instance tag and data for reactor files. They
	// override the standard variables of the same name.
	Extra map[string]any
	// Loader serves include/import; nil means no file can be loaded.
	Loader Loader
	// MaxSteps is the work budget of one render: each loop iteration,
	// printed expression, operator, attribute or item lookup, filter and
	// test call counts one step, a filter one more per item (or KiB of
	// string) of its input, range() one per element and an operator one
	// per KiB of the string it builds. A render over budget fails with
	// "template exceeded its budget of N steps" at the template line it
	// reached. 0 means DefaultMaxSteps; a negative value means no limit.
	// Whatever the budget, a render stops when its context is done.
	MaxSteps int
	// Cache, when set, shares the lexing of template texts between the
	// renders that use it (one per state run); nil: nothing is shared.
	Cache *Cache
	// Parsed, when set, keeps the data the yaml and json renderers parse
	// for later renders of the same text (see ParseCache); nil: none.
	Parsed *ParseCache
	// ReadOnlyData promises that the caller changes none of the data SLS
	// returns (no map, list or value in it), so that Parsed may hand out
	// the copy it shares between such callers instead of a new one.
	ReadOnlyData bool
}

func (c *Context) parsed() *ParseCache {
	if c == nil {
		return nil
	}
	return c.Parsed
}

func (c *Context) readOnlyData() bool { return c != nil && c.ReadOnlyData }

// DefaultMaxSteps is the budget of a render when Context.MaxSteps is 0:
// far above what real SLS files take, and reached by a runaway loop
// within seconds.
const DefaultMaxSteps = 10_000_000

// Jinja renders text as a Jinja template named name (used in error
// messages and to resolve relative imports) with Salt's Jinja environment:
// strict undefined variables, the do and loop-control extensions, Salt's
// serializer tags and filters. As Salt does, a trailing newline of the
// source is kept.
func Jinja(ctx context.Context, text []byte, name string, c *Context) ([]byte, error) {
	if out, ok, err := plainText(ctx, text, name); ok {
		if err != nil {
			return nil, err
		}
		return bytes.Clone(out), nil
	}
	out, _, err := renderJinja(ctx, text, name, c)
	return out, err
}

// plainText renders a template without any Jinja syntax ({{, {% or {#)
// without parsing it: its text is its output, newlines normalised, as
// Jinja2 and Salt's trailing-newline handling give it. ok is false when
// text has Jinja syntax. out may share text's memory. A big plain YAML
// SLS thus costs no lexing, parsing or line map.
func plainText(ctx context.Context, text []byte, name string) (out []byte, ok bool, err error) {
	for i := bytes.IndexByte(text, '{'); i >= 0; {
		if i+1 < len(text) && (text[i+1] == '{' || text[i+1] == '%' || text[i+1] == '#') {
			return nil, false, nil
		}
		j := bytes.IndexByte(text[i+1:], '{')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if err := ctx.Err(); err != nil {
		return nil, true, &Error{File: name, Stage: "jinja", Msg: "rendering interrupted: " + err.Error()}
	}
	if len(text) > maxOutputSize {
		return nil, true, &Error{File: name, Stage: "jinja", Msg: fmt.Sprintf("rendered output exceeds %d bytes", maxOutputSize)}
	}
	out = text
	if bytes.IndexByte(text, '\r') >= 0 {
		out = []byte(normalizeSource(string(text)))
		// Jinja2 drops a final newline that Salt puts back only when the
		// source ended with "\n": a final lone "\r" is dropped
		if bytes.HasSuffix(out, []byte("\n")) && !bytes.HasSuffix(text, []byte("\n")) {
			out = out[:len(out)-1]
		}
	}
	return out, true, nil
}

// SLS renders an SLS file through the pipeline its shebang line names
// ("#!jinja|yaml" when there is none), asking the renderer registry
// (RegisterRenderer) for each stage, and returns the resulting mapping in
// declaration order. A renderer no one registered is an error naming the
// file and line 1; so is a pipeline that ends in text.
func SLS(ctx context.Context, text []byte, name string, c *Context) (m *Map, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &Error{File: name, Stage: "yaml", Msg: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	names, err := parsePipeline(text, name)
	if err != nil {
		return nil, err
	}
	return runPipeline(ctx, names, text, name, c)
}
