package highstate

import (
	"regexp"
	"strings"
)

// isGlob reports whether s has fnmatch metacharacters.
func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// globRE is a compiled fnmatch pattern.
type globRE struct{ re *regexp.Regexp }

func (g *globRE) match(s string) bool { return g.re != nil && g.re.MatchString(s) }

// compileGlob translates a Python fnmatch pattern: * matches anything
// (slashes too), ? one character, [seq] and [!seq] a set.
func compileGlob(pattern string) *globRE {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(pattern); i++ {
		ch := pattern[i]
		switch ch {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			if j < len(pattern) && pattern[j] == '!' {
				j++
			}
			if j < len(pattern) && pattern[j] == ']' {
				j++
			}
			for j < len(pattern) && pattern[j] != ']' {
				j++
			}
			if j >= len(pattern) {
				b.WriteString(`\[`)
				continue
			}
			set := pattern[i+1 : j]
			i = j
			neg := strings.HasPrefix(set, "!")
			if neg {
				set = set[1:]
			}
			set = strings.ReplaceAll(set, `\`, `\\`)
			set = strings.ReplaceAll(set, `[`, `\[`)
			if neg {
				b.WriteString(`[^` + set + `]`)
			} else if strings.HasPrefix(set, "^") {
				b.WriteString(`[\` + set + `]`)
			} else {
				b.WriteString(`[` + set + `]`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return &globRE{}
	}
	return &globRE{re: re}
}

// fnmatch matches s against a glob pattern (exact when it has none).
func fnmatch(pattern, s string) bool {
	if !isGlob(pattern) {
		return pattern == s
	}
	return compileGlob(pattern).match(s)
}
