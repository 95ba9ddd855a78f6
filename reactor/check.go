package reactor

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/brine-cm/brine/render"
)

// CheckFile checks a reactor file (not a #!py one) at start, before any
// event, so that its mistakes show then rather than at the first event.
//
// What no event can change is an error (err): a Jinja syntax error, a
// renderer the shebang line names that does not exist, and, for a file
// whose result does not depend on the event (no Jinja, or Jinja that reads
// neither tag, data nor salt[...] and includes nothing), any render, YAML
// or reaction error. A file that depends on the event is also rendered
// once with a placeholder event (a tag matching pattern, data holding the
// keys the file reads as "dummy" strings or mappings); what fails then may
// be the placeholder's fault, so it is returned as warn, never as err: a
// YAML or reaction error found after the Jinja rendered (likely real) in
// yamlWarn, a Jinja error while rendering (likely the placeholder) in
// renderWarn. Nothing is run.
func CheckFile(ctx context.Context, cfg Config, pattern, file string, text []byte) (yamlWarn, renderWarn, err error) {
	if err := render.CheckSyntax(text, file); err != nil {
		return nil, nil, err
	}
	dependent := render.HasJinja(text) && reEventDependent.Match(text)
	ctx, cancel := context.WithTimeout(ctx, DefaultRender)
	defer cancel()
	rc := &render.Context{
		Opts:   cfg.Opts,
		Salt:   cfg.Salt,
		Extra:  map[string]any{"tag": PlaceholderTag(pattern), "data": PlaceholderData(text)},
		Loader: cfg.Loader,
	}
	high, err := render.SLS(ctx, text, file, rc)
	if err == nil {
		if _, perr := ParseReactions(high); perr != nil {
			err = fmt.Errorf("%s: %w", file, perr)
		}
	}
	switch {
	case err == nil:
		return nil, nil, nil
	case !dependent:
		return nil, nil, err
	}
	if re, ok := err.(*render.Error); ok && re.Stage == "jinja" {
		return nil, err, nil
	}
	return err, nil, nil
}

// reEventDependent finds what makes a Jinja reactor file's result depend on
// the event or on live data: the tag and data variables, salt[...]
// functions, and other templates (which see the same variables).
var reEventDependent = regexp.MustCompile(`\b(tag|data|salt|include|import|extends)\b`)

// PlaceholderTag is a tag the fnmatch glob pattern matches: '*' becomes
// "dummy", '?' "x", and a class its first character ("x" when negated).
func PlaceholderTag(pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString("dummy")
		case '?':
			b.WriteByte('x')
		case '[':
			end := strings.IndexByte(pattern[i+1:], ']')
			if end == 0 && i+2 < len(pattern) { // a leading ']' is literal
				end = 1 + strings.IndexByte(pattern[i+2:], ']')
			}
			if end <= 0 {
				b.WriteByte(c)
				continue
			}
			class := pattern[i+1 : i+1+end]
			if class[0] == '!' {
				b.WriteByte('x')
			} else {
				b.WriteByte(class[0])
			}
			i += end + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

var (
	reDataPath = regexp.MustCompile(`\bdata((?:\s*\[\s*(?:'[^'\]]*'|"[^"\]]*")\s*\]|\.[A-Za-z_][A-Za-z0-9_]*)+)(\s*\()?`)
	reSegment  = regexp.MustCompile(`\[\s*(?:'([^'\]]*)'|"([^"\]]*)")\s*\]|\.([A-Za-z_][A-Za-z0-9_]*)`)
)

// dictMethods are what a file calls on a mapping (data['headers'].get(..)).
var dictMethods = map[string]bool{"get": true, "items": true, "keys": true, "values": true, "setdefault": true, "copy": true, "update": true, "pop": true}

// PlaceholderData is event data for a check render: every path the file
// reads (data['a']['b'], data.a.b) exists, its leaves the string "dummy",
// or mappings when the file calls a mapping's method on them.
func PlaceholderData(text []byte) map[string]any {
	data := map[string]any{}
	for _, m := range reDataPath.FindAllSubmatch(text, -1) {
		var path []string
		lastAttr := false
		for _, s := range reSegment.FindAllSubmatch(m[1], -1) {
			path = append(path, string(s[1])+string(s[2])+string(s[3]))
			lastAttr = len(s[3]) > 0
		}
		leafMap := false
		if len(m[2]) > 0 && lastAttr {
			// data['x'].startswith(...): the last name is a method
			leafMap = dictMethods[path[len(path)-1]]
			path = path[:len(path)-1]
		}
		if len(path) == 0 {
			continue
		}
		cur := data
		for i, k := range path {
			last := i == len(path)-1
			if last && !leafMap {
				if _, ok := cur[k]; !ok {
					cur[k] = "dummy"
				}
				break
			}
			next, ok := cur[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[k] = next
			}
			cur = next
		}
	}
	return data
}
