package reactor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/brine-cm/brine/internal/glob"
)

// Rule maps a tag glob to the reactor files rendered for matching events.
type Rule struct {
	// Pattern is a tag glob, Python fnmatch: '*' crosses '/'.
	Pattern string
	// Files are reactor SLS paths: absolute paths or salt:// URLs.
	Files []string
}

// ParseRules reads the master config's `reactor` list:
// [{glob: [files]}, ...]. An entry with several globs (unusual) yields one
// rule per glob, in sorted order since the map has none.
func ParseRules(raw []map[string][]string) ([]Rule, error) {
	var rules []Rule
	for i, entry := range raw {
		if len(entry) == 0 {
			return nil, fmt.Errorf("reactor entry %d: empty; want {tag-glob: [files]}", i)
		}
		globs := make([]string, 0, len(entry))
		for g := range entry {
			globs = append(globs, g)
		}
		slices.Sort(globs)
		for _, g := range globs {
			if g == "" {
				return nil, fmt.Errorf("reactor entry %d: empty tag glob", i)
			}
			files := entry[g]
			if len(files) == 0 {
				return nil, fmt.Errorf("reactor entry %d (%q): no files", i, g)
			}
			for _, f := range files {
				if strings.TrimSpace(f) == "" {
					return nil, fmt.Errorf("reactor entry %d (%q): empty file name", i, g)
				}
			}
			if _, err := compileGlob(g); err != nil {
				return nil, fmt.Errorf("reactor entry %d: %w", i, err)
			}
			rules = append(rules, Rule{Pattern: g, Files: slices.Clone(files)})
		}
	}
	return rules, nil
}

// Match reports whether tag matches the fnmatch glob pattern.
func Match(pattern, tag string) bool {
	return glob.FnmatchCase(tag, pattern)
}

// compileGlob compiles a tag glob as Python's fnmatch reads it (see
// internal/glob): '*' is any run of characters ('/' included), '?' any one
// character, '[...]' a class ('!' negates, a leading ']' is literal, a-z
// ranges, reversed ranges are empty); a '[' without a closing ']' is
// literal. There is no escape character. It never fails today; the error
// is kept for the callers.
func compileGlob(pat string) (*glob.Glob, error) {
	return glob.Fnmatch(pat), nil
}
