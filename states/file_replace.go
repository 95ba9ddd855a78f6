package states

import (
	"context"
	"fmt"
	"github.com/brine-cm/brine/internal/coerce"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func init() {
	RegisterTyped(Typed[replaceArgs]{
		Name: "file.replace",
		Doc: `Replace occurrences of a regular expression in a file.

name: absolute path. pattern: a regular expression (RE2 syntax: Python's (?P<name>...) works, look-arounds and backreferences in the pattern do not). repl: the replacement, Python style (\1, \g<1>, \g<name>). count: how many to replace (0, the default: all). flags: a list of Python re flag names (IGNORECASE, MULTILINE, DOTALL; default MULTILINE) or their integer sum.
append_if_not_found / prepend_if_not_found: add not_found_content (default repl) when the pattern does not match and that content is not already a line of the file. backup: suffix of a copy of the original (default ".bak"; false for none). ignore_if_missing: succeed when the file does not exist. backslash_literal: treat backslashes in repl literally. show_changes.
Changes: {"diff": unified diff}.`,
		Apply: fileReplace,
	})
}

// Python's re flag values.
const (
	pyIgnoreCase = 2
	pyLocale     = 4
	pyMultiline  = 8
	pyDotAll     = 16
	pyUnicode    = 32
	pyVerbose    = 64
)

// replaceArgs are file.replace's arguments.
type replaceArgs struct {
	Pattern          string       `salt:"pattern,required"`
	Repl             string       `salt:"repl,required"`
	Count            int          `salt:"count"`
	Flags            pyFlags      `salt:"flags" default:"MULTILINE"`
	BackslashLiteral bool         `salt:"backslash_literal"`
	AppendIfNotFound bool         `salt:"append_if_not_found"`
	PrependNotFound  bool         `salt:"prepend_if_not_found"`
	NotFoundContent  *string      `salt:"not_found_content"`
	IgnoreIfMissing  bool         `salt:"ignore_if_missing"`
	ShowChanges      bool         `salt:"show_changes" default:"true"`
	Backup           backupSuffix `salt:"backup" default:".bak"`

	re       *regexp.Regexp // pattern, compiled with flags
	template string         // repl as a Go expansion template
}

// Validate compiles the pattern and the replacement.
func (a *replaceArgs) Validate() error {
	if a.Count < 0 {
		return ArgErrorf("count", "must not be negative")
	}
	var err error
	if a.re, err = compilePy(a.Pattern, int(a.Flags)); err != nil {
		return ArgErrorf("pattern", "is not a valid regular expression: %v", err)
	}
	a.template = strings.ReplaceAll(a.Repl, "$", "$$")
	if !a.BackslashLiteral {
		if a.template, err = pyReplTemplate(a.Repl, a.re); err != nil {
			return ArgErrorf("repl", "%v", err)
		}
	}
	return nil
}

// backupSuffix is the backup argument of file.line and file.replace: the
// suffix of a copy of the original; true means ".bak", false none.
type backupSuffix string

// DecodeArg implements ArgDecoder.
func (b *backupSuffix) DecodeArg(v any) error {
	if t, ok := v.(bool); ok {
		*b = ""
		if t {
			*b = ".bak"
		}
		return nil
	}
	s, ok := coerce.String(v)
	if !ok {
		return wrongArg("a suffix or a boolean", v)
	}
	*b = backupSuffix(s)
	return nil
}

func fileReplace(ctx context.Context, env *Env, call Call, a *replaceArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	re, template, count := a.re, a.template, a.Count
	appendNF, prependNF, ignoreMissing := a.AppendIfNotFound, a.PrependNotFound, a.IgnoreIfMissing
	notFound := a.Repl
	if a.NotFoundContent != nil {
		notFound = *a.NotFoundContent
	}
	showChanges, backup := a.ShowChanges, string(a.Backup)

	target := resolveTarget(name)
	fi, old, err := readText(target)
	if err != nil {
		return failErr(name, err)
	}
	if fi == nil {
		if ignoreMissing {
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("%s: file not found, ignored (ignore_if_missing)", name)}
		}
		return fail(name, "%s: file not found", name)
	}
	text := old
	if re.MatchString(old) {
		text = replaceN(re, old, template, count)
	} else if appendNF || prependNF {
		present := false
		for _, l := range strings.Split(old, "\n") {
			if l == strings.TrimSuffix(notFound, "\n") {
				present = true
				break
			}
		}
		if !present {
			add := strings.TrimSuffix(notFound, "\n") + "\n"
			if prependNF {
				text = add + old
			} else {
				if old != "" && !strings.HasSuffix(old, "\n") {
					text += "\n"
				}
				text += add
			}
		}
	}
	return textEdit{
		name: name, target: target, fi: fi, old: old, new: text,
		test: call.Test, showChanges: showChanges, backupSuffix: backup,
		noop:  "No changes needed to be made",
		would: "Changes would have been made",
		done:  "Changes were made",
	}.run()
}

// replaceN replaces the first n matches (all when n is 0).
func replaceN(re *regexp.Regexp, src, template string, n int) string {
	matches := re.FindAllStringSubmatchIndex(src, -1)
	if n > 0 && len(matches) > n {
		matches = matches[:n]
	}
	var out []byte
	last := 0
	for _, m := range matches {
		out = append(out, src[last:m[0]]...)
		out = re.ExpandString(out, template, src, m)
		last = m[1]
	}
	return string(append(out, src[last:]...))
}

// pyFlags are Python re flags: a list of names (with or without "re.")
// or an integer.
type pyFlags int

// DecodeArg implements ArgDecoder.
func (f *pyFlags) DecodeArg(v any) error {
	if n, ok := coerce.Int(v); ok {
		*f = pyFlags(n)
		return nil
	}
	names, bad, ok := coerce.StringList(v)
	if !ok {
		return wrongArg("a list of flag names or an integer", bad)
	}
	flags := 0
	for _, n := range names {
		switch strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(n), "re.")) {
		case "I", "IGNORECASE":
			flags |= pyIgnoreCase
		case "M", "MULTILINE":
			flags |= pyMultiline
		case "S", "DOTALL":
			flags |= pyDotAll
		case "L", "LOCALE":
			flags |= pyLocale
		case "U", "UNICODE":
			flags |= pyUnicode
		case "X", "VERBOSE":
			flags |= pyVerbose
		default:
			return fmt.Errorf("has unknown flag %q", n)
		}
	}
	*f = pyFlags(flags)
	return nil
}

// compilePy compiles a pattern with Python flags.
func compilePy(pattern string, flags int) (*regexp.Regexp, error) {
	if flags&pyVerbose != 0 {
		return nil, fmt.Errorf("the VERBOSE flag is not supported")
	}
	prefix := ""
	if flags&pyIgnoreCase != 0 {
		prefix += "i"
	}
	if flags&pyMultiline != 0 {
		prefix += "m"
	}
	if flags&pyDotAll != 0 {
		prefix += "s"
	}
	if prefix != "" {
		pattern = "(?" + prefix + ")" + pattern
	}
	return regexp.Compile(pattern)
}

// pyReplTemplate turns a Python replacement string into a Go Expand
// template.
func pyReplTemplate(repl string, re *regexp.Regexp) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c == '$' {
			sb.WriteString("$$")
			continue
		}
		if c != '\\' || i+1 == len(repl) {
			sb.WriteByte(c)
			continue
		}
		i++
		switch d := repl[i]; {
		case d >= '0' && d <= '9':
			j := i
			for j < len(repl) && j < i+2 && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(repl[i:j])
			if n > re.NumSubexp() {
				return "", fmt.Errorf("refers to group %d, but the pattern has %d", n, re.NumSubexp())
			}
			sb.WriteString("${" + repl[i:j] + "}")
			i = j - 1
		case d == 'g':
			end := strings.IndexByte(repl[i:], '>')
			if i+1 >= len(repl) || repl[i+1] != '<' || end < 0 {
				return "", fmt.Errorf("has a malformed \\g<...> group reference")
			}
			ref := repl[i+2 : i+end]
			if n, err := strconv.Atoi(ref); err == nil {
				if n > re.NumSubexp() {
					return "", fmt.Errorf("refers to group %d, but the pattern has %d", n, re.NumSubexp())
				}
			} else if re.SubexpIndex(ref) < 0 {
				return "", fmt.Errorf("refers to unknown group %q", ref)
			}
			sb.WriteString("${" + ref + "}")
			i += end
		case d == 'n':
			sb.WriteByte('\n')
		case d == 't':
			sb.WriteByte('\t')
		case d == 'r':
			sb.WriteByte('\r')
		case d == '\\':
			sb.WriteByte('\\')
		default:
			sb.WriteByte('\\')
			sb.WriteByte(d)
		}
	}
	return sb.String(), nil
}
