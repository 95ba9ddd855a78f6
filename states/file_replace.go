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
	Register(State{
		Name: "file.replace",
		Doc: `Replace occurrences of a regular expression in a file.

name: absolute path. pattern: a regular expression (RE2 syntax: Python's (?P<name>...) works, look-arounds and backreferences in the pattern do not). repl: the replacement, Python style (\1, \g<1>, \g<name>). count: how many to replace (0, the default: all). flags: a list of Python re flag names (IGNORECASE, MULTILINE, DOTALL; default MULTILINE) or their integer sum.
append_if_not_found / prepend_if_not_found: add not_found_content (default repl) when the pattern does not match and that content is not already a line of the file. backup: suffix of a copy of the original (default ".bak"; false for none). ignore_if_missing: succeed when the file does not exist. backslash_literal: treat backslashes in repl literally. show_changes.
Changes: {"diff": unified diff}.`,
		Apply:    fileReplace,
		Required: []string{"pattern", "repl"},
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

func fileReplace(ctx context.Context, env *Env, call Call) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	pattern, err := call.String("pattern", "")
	if err != nil {
		return failErr(name, err)
	}
	repl, err := call.String("repl", "")
	if err != nil {
		return failErr(name, err)
	}
	count, err := call.Int("count", 0)
	if err != nil {
		return failErr(name, err)
	}
	if count < 0 {
		return failErr(name, call.ArgErrorf("count", "must not be negative"))
	}
	flags, err := pyFlags(call, "flags", pyMultiline)
	if err != nil {
		return failErr(name, err)
	}
	re, err := compilePy(pattern, flags)
	if err != nil {
		return failErr(name, call.ArgErrorf("pattern", "is not a valid regular expression: %v", err))
	}
	literal, err := call.Bool("backslash_literal", false)
	if err != nil {
		return failErr(name, err)
	}
	template := strings.ReplaceAll(repl, "$", "$$")
	if !literal {
		if template, err = pyReplTemplate(repl, re); err != nil {
			return failErr(name, call.ArgErrorf("repl", "%v", err))
		}
	}
	appendNF, err := call.Bool("append_if_not_found", false)
	if err != nil {
		return failErr(name, err)
	}
	prependNF, err := call.Bool("prepend_if_not_found", false)
	if err != nil {
		return failErr(name, err)
	}
	notFound, err := call.String("not_found_content", repl)
	if err != nil {
		return failErr(name, err)
	}
	ignoreMissing, err := call.Bool("ignore_if_missing", false)
	if err != nil {
		return failErr(name, err)
	}
	showChanges, err := call.Bool("show_changes", true)
	if err != nil {
		return failErr(name, err)
	}
	backup := ".bak"
	if call.Has("backup") {
		if b, ok := call.Args["backup"].(bool); ok {
			if !b {
				backup = ""
			}
		} else if backup, err = call.String("backup", ".bak"); err != nil {
			return failErr(name, err)
		}
	}

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

// pyFlags reads Python re flags: a list of names (with or without "re.")
// or an integer.
func pyFlags(call Call, arg string, def int) (int, error) {
	if !call.Has(arg) {
		return def, nil
	}
	if n, ok := coerce.Int(call.Args[arg]); ok {
		return n, nil
	}
	names, err := call.StringList(arg)
	if err != nil {
		return 0, err
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
			return 0, call.ArgErrorf(arg, "has unknown flag %q", n)
		}
	}
	return flags, nil
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
