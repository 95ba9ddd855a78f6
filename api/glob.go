package api

import "github.com/brine-cm/brine/internal/glob"

// globMeta are the bytes that make a pattern a glob rather than a literal.
const globMeta = glob.Meta

// compileGlob compiles a shell pattern with internal/glob, the semantics of
// Brine's glob targets: '*' matches any run of characters including '/'
// and '.', '?' any one character, [...] a class (negated by a leading '!'
// or '^'), and \c the character c.
func compileGlob(pattern string) (*glob.Glob, error) { return glob.Compile(pattern) }

// matchGlob reports whether s matches pattern; a pattern that does not
// compile matches nothing.
func matchGlob(pattern, s string) bool {
	ok, err := glob.Match(pattern, s)
	return err == nil && ok
}
