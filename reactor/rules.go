package reactor

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
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
	re, err := compileGlob(pattern)
	return err == nil && re.MatchString(tag)
}

// compileGlob translates a Python fnmatch pattern to a regular expression
// anchored at both ends: '*' is any run of characters ('/' included), '?'
// any one character, '[...]' a class ('!' negates, a leading ']' is
// literal, a-z ranges, reversed ranges are empty); a '[' without a closing
// ']' is literal. There is no escape character.
func compileGlob(pat string) (*regexp.Regexp, error) {
	rs := []rune(pat)
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(rs); {
		c := rs[i]
		i++
		switch c {
		case '*':
			for i < len(rs) && rs[i] == '*' {
				i++
			}
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i
			if j < len(rs) && rs[j] == '!' {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				b.WriteString(`\[`)
				continue
			}
			writeClass(&b, rs[i:j])
			i = j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("tag glob %q: %w", pat, err)
	}
	return re, nil
}

// writeClass writes the regexp class for the fnmatch class body in (the
// text between '[' and ']').
func writeClass(b *strings.Builder, in []rune) {
	neg := false
	if len(in) > 0 && in[0] == '!' {
		neg = true
		in = in[1:]
	}
	var items strings.Builder
	for p := 0; p < len(in); p++ {
		lo := in[p]
		if p+2 < len(in) && in[p+1] == '-' {
			hi := in[p+2]
			p += 2
			if lo > hi {
				continue // Python drops reversed ranges
			}
			fmt.Fprintf(&items, `\x{%x}-\x{%x}`, lo, hi)
			continue
		}
		fmt.Fprintf(&items, `\x{%x}`, lo)
	}
	switch {
	case items.Len() == 0 && neg:
		b.WriteString(`.`)
	case items.Len() == 0:
		b.WriteString(`[^\x00-\x{10ffff}]`) // matches nothing
	case neg:
		b.WriteString(`[^` + items.String() + `]`)
	default:
		b.WriteString(`[` + items.String() + `]`)
	}
}
