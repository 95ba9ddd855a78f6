package target

import (
	"errors"
	"regexp"
	"regexp/syntax"
)

func init() {
	register(Kind{Name: "pcre", Letter: 'E', Flags: []string{"-E", "--pcre"}}, compilePCRETarget)
}

// pcreMatcher matches the minion id against a regular expression anchored at
// the start of the id only, like Salt's re.match.
type pcreMatcher struct{ re *regexp.Regexp }

func (m pcreMatcher) Match(mi *Minion) bool { return mi != nil && m.re.MatchString(mi.ID) }

func compilePCRETarget(expr string) (Matcher, *Error) {
	pattern, _ := trimSpace(expr)
	re, err := compileRegexp(pattern, false)
	if err != nil {
		return nil, err
	}
	return pcreMatcher{re}, nil
}

// compileRegexp compiles a Go (RE2) regular expression so that it only
// matches at the start of the subject, as Python's re.match does; the end is
// not anchored. foldCase makes the match case-insensitive.
func compileRegexp(pattern string, foldCase bool) (*regexp.Regexp, *Error) {
	// Compile the pattern on its own first: wrapping an invalid pattern in a
	// group could make it valid ("a)(b" becomes `\A(?:a)(b)`).
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, regexpError(err)
	}
	prefix := `\A(?:`
	if foldCase {
		prefix = `(?i)\A(?:`
	}
	re, err := regexp.Compile(prefix + pattern + `)`)
	if err != nil {
		return nil, regexpError(err)
	}
	return re, nil
}

func regexpError(err error) *Error {
	var se *syntax.Error
	if errors.As(err, &se) {
		return errorf(-1, "invalid regular expression: %s: %q", se.Code, se.Expr)
	}
	return errorf(-1, "invalid regular expression: %v", err)
}
