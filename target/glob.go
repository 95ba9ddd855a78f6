package target

import (
	"errors"

	"github.com/brine-cm/brine/internal/glob"
)

func init() {
	register(Kind{Name: "glob"}, compileGlobTarget)
}

// globMatcher matches the minion id against a shell glob, like Salt's
// default (fnmatch) targeting.
type globMatcher struct{ g *glob.Glob }

func (m globMatcher) Match(mi *Minion) bool { return mi != nil && m.g.Match(mi.ID) }

func compileGlobTarget(expr string) (Matcher, *Error) {
	pattern, off := trimSpace(expr)
	g, err := compileGlob(pattern)
	if err != nil {
		return nil, err.shift(off)
	}
	return globMatcher{g}, nil
}

// globMeta are the bytes that make a pattern a glob rather than a literal.
const globMeta = glob.Meta

// compileGlob compiles a shell pattern (internal/glob's syntax: '*', '?',
// [...] negated by '!' or '^', \c for the character c; '/' is an ordinary
// character). Error positions are byte offsets into pattern.
func compileGlob(pattern string) (*glob.Glob, *Error) {
	g, err := glob.Compile(pattern)
	if err != nil {
		var ge *glob.Error
		if errors.As(err, &ge) {
			return nil, errorf(ge.Pos, "invalid glob: %s", ge.Msg)
		}
		return nil, errorf(-1, "%v", err)
	}
	return g, nil
}
