package states

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/brine-cm/brine/internal/coerce"
)

func init() {
	RegisterTyped(Typed[lineArgs]{
		Name: "file.line",
		Doc: `Edit one line of a file in place.

name: absolute path. mode: ensure, replace, delete or insert. content: the line (not needed for delete). match: a regular expression selecting lines (default: the content, literally). location: start or end (insert). before, after: regular expressions for the neighbouring lines. indent: keep the indentation of the neighbouring (or replaced) line (default true). create: create the file when missing. backup: true (suffix ".bak") or a suffix. show_changes.
insert adds content at location, or right after "after" / right before "before", unless it is already there. ensure puts content right after "after" and/or right before "before", replacing a line there that matches "match". replace rewrites every line matching "match". delete removes them.
Changes: {"diff": unified diff}.`,
		Apply: fileLine,
	})
}

// lineArgs are file.line's arguments.
type lineArgs struct {
	Mode        string       `salt:"mode,required"`
	Content     *string      `salt:"content"`
	Match       regexArg     `salt:"match"`
	Before      regexArg     `salt:"before"`
	After       regexArg     `salt:"after"`
	Location    string       `salt:"location"`
	Indent      bool         `salt:"indent" default:"true"`
	Create      bool         `salt:"create"`
	ShowChanges bool         `salt:"show_changes" default:"true"`
	Backup      backupSuffix `salt:"backup"`
}

// Validate checks the mode, location and that the mode has what it
// needs.
func (a *lineArgs) Validate() error {
	a.Mode = strings.ToLower(strings.TrimSpace(a.Mode))
	switch a.Mode {
	case "ensure", "replace", "delete", "insert":
	default:
		return ArgErrorf("mode", "must be one of ensure, replace, delete, insert, got %q", a.Mode)
	}
	if a.Mode != "delete" && a.Content == nil {
		return ArgErrorf("content", "is required for mode %s", a.Mode)
	}
	if a.Match.re == nil && a.Content == nil {
		return ArgErrorf("match", "or 'content' is required for mode delete")
	}
	a.Location = strings.ToLower(a.Location)
	if a.Location != "" && a.Location != "start" && a.Location != "end" {
		return ArgErrorf("location", "must be start or end, got %q", a.Location)
	}
	return nil
}

// regexArg is a regular expression argument; re is nil when not given.
type regexArg struct{ re *regexp.Regexp }

// DecodeArg implements ArgDecoder.
func (r *regexArg) DecodeArg(v any) error {
	s, ok := coerce.String(v)
	if !ok {
		return wrongArg("a regular expression", v)
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return fmt.Errorf("is not a valid regular expression: %v", err)
	}
	r.re = re
	return nil
}

func fileLine(ctx context.Context, env *Env, call Call, a *lineArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	mode, location := a.Mode, a.Location
	content := ""
	if a.Content != nil {
		content = *a.Content
	}
	matchRe, beforeRe, afterRe := a.Match.re, a.Before.re, a.After.re
	userMatch := matchRe != nil
	if matchRe == nil {
		matchRe = regexp.MustCompile(regexp.QuoteMeta(strings.TrimSpace(content)))
	}
	indent, create, showChanges, backup := a.Indent, a.Create, a.ShowChanges, string(a.Backup)

	target := resolveTarget(name)
	fi, old, err := readText(target)
	if err != nil {
		return failErr(name, err)
	}
	if fi == nil && !create {
		return fail(name, "%s: file not found (set create: True to create it)", name)
	}
	lines, trailing := splitText(old)
	want := strings.TrimSpace(content)
	eq := func(i int) bool { return i >= 0 && i < len(lines) && strings.TrimSpace(lines[i]) == want }
	find := func(re *regexp.Regexp, from int) int {
		for i := from; i < len(lines); i++ {
			if re.MatchString(lines[i]) {
				return i
			}
		}
		return -1
	}
	lineLike := func(anchor int) string {
		if indent && anchor >= 0 && anchor < len(lines) {
			l := lines[anchor]
			return l[:len(l)-len(strings.TrimLeft(l, " \t"))] + strings.TrimLeft(content, " \t")
		}
		return content
	}
	insertAt := func(i int, line string) {
		lines = append(lines[:i], append([]string{line}, lines[i:]...)...)
	}
	anchors := func() (a, b int, r Result, ok bool) {
		a, b = -1, -1
		if afterRe != nil {
			if a = find(afterRe, 0); a < 0 {
				return a, b, fail(name, "Unable to find a line matching 'after' (%s) in %s", afterRe, name), false
			}
		}
		if beforeRe != nil {
			if b = find(beforeRe, a+1); b < 0 {
				return a, b, fail(name, "Unable to find a line matching 'before' (%s) in %s", beforeRe, name), false
			}
		}
		return a, b, Result{}, true
	}

	switch mode {
	case "delete":
		kept := lines[:0:0]
		for _, l := range lines {
			if !matchRe.MatchString(l) {
				kept = append(kept, l)
			}
		}
		lines = kept
	case "replace":
		for i, l := range lines {
			if matchRe.MatchString(l) && !eq(i) {
				lines[i] = lineLike(i)
			}
		}
	case "insert":
		switch {
		case location == "start":
			if !eq(0) {
				insertAt(0, content)
			}
		case location == "end":
			if !eq(len(lines) - 1) {
				lines = append(lines, content)
			}
		case afterRe != nil || beforeRe != nil:
			a, b, r, ok := anchors()
			if !ok {
				return r
			}
			switch {
			case afterRe != nil && beforeRe != nil:
				present := false
				for i := a + 1; i < b; i++ {
					present = present || eq(i)
				}
				if !present {
					insertAt(a+1, lineLike(a))
				}
			case afterRe != nil:
				if !eq(a + 1) {
					insertAt(a+1, lineLike(a))
				}
			default:
				if !eq(b - 1) {
					insertAt(b, lineLike(b))
				}
			}
		default:
			return failErr(name, call.ArgErrorf("location", "(start or end), 'before' or 'after' is required for mode insert"))
		}
	case "ensure":
		if afterRe == nil && beforeRe == nil {
			return failErr(name, call.ArgErrorf("before", "or 'after' is required for mode ensure"))
		}
		a, b, r, ok := anchors()
		if !ok {
			return r
		}
		// check is the line that should hold content; when it does not
		// (and does not match "match", to be replaced), content is
		// inserted at pos, indented like anchor.
		ensure := func(check, pos, anchor int) {
			switch {
			case eq(check):
			case check >= 0 && check < len(lines) && userMatch && matchRe.MatchString(lines[check]):
				lines[check] = lineLike(check)
			default:
				insertAt(pos, lineLike(anchor))
			}
		}
		switch {
		case afterRe != nil && beforeRe != nil:
			switch b - a - 1 {
			case 0:
				insertAt(a+1, lineLike(a))
			case 1:
				if !eq(a+1) && !(userMatch && matchRe.MatchString(lines[a+1])) {
					return fail(name, "Found a line between 'after' and 'before' in %s that is not the content and does not match 'match'", name)
				}
				ensure(a+1, a+1, a)
			default:
				return fail(name, "Found more than one line between boundaries 'before' and 'after' in %s", name)
			}
		case afterRe != nil:
			ensure(a+1, a+1, a)
		default:
			ensure(b-1, b, b)
		}
	}
	text := joinText(lines, trailing || old == "")
	return textEdit{
		name: name, target: target, fi: fi, old: old, new: text,
		test: call.Test, showChanges: showChanges, backupSuffix: backup,
		noop:  "No changes needed to be made",
		would: "Changes would be made",
		done:  "Changes were made",
	}.run()
}

// splitText splits a file into lines without their newlines, and says
// whether it ended with one.
func splitText(text string) ([]string, bool) {
	if text == "" {
		return nil, false
	}
	trailing := strings.HasSuffix(text, "\n")
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n"), trailing
}

// joinText joins lines, with a final newline when trailing.
func joinText(lines []string, trailing bool) string {
	if len(lines) == 0 {
		return ""
	}
	s := strings.Join(lines, "\n")
	if trailing {
		s += "\n"
	}
	return s
}
