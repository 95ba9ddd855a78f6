package highstate

import "github.com/brine-cm/brine/internal/glob"

// isGlob reports whether s has fnmatch metacharacters.
func isGlob(s string) bool { return glob.IsGlob(s) }

// compileGlob compiles a Python fnmatch pattern: * matches anything
// (slashes too), ? one character, [seq] and [!seq] a set.
func compileGlob(pattern string) *glob.Glob { return glob.Fnmatch(pattern) }

// fnmatch matches s against a glob pattern (exact when it has none).
func fnmatch(pattern, s string) bool {
	if !isGlob(pattern) {
		return pattern == s
	}
	return glob.FnmatchCase(s, pattern)
}
