package states

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// file.comment and file.uncomment, as Salt's states and its
// file.comment_line module function do: a line matching regex at its
// start gets char put before it (comment), or a line starting with char,
// optional blanks and the regex loses its leading chars (uncomment).
// Regular expressions are RE2 (Python's syntax without look-arounds and
// backreferences).

func init() {
	RegisterTyped(Typed[commentArgs]{
		Name: "file.comment",
		Doc: `Comment out the lines of a file that match regex (matched at the start of the line; ^ and $ are allowed).

name: absolute path (must exist). regex: the lines to comment. char: the comment marker put in front (default "#"). backup: suffix of a copy of the original (default ".bak"; False for none). ignore_missing: succeed when no line matches, commented or not.
Already commented: "Pattern already commented", no changes. Changes: {"diff": unified diff}; in test mode {name: "updated"}.`,
		Apply: fileComment,
	})
	RegisterTyped(Typed[uncommentArgs]{
		Name: "file.uncomment",
		Doc: `Uncomment the lines of a file that start with char, optional blanks and regex.

name: absolute path (must exist). regex: the lines to uncomment (without the comment marker). char: the comment marker (default "#"; every leading one is removed, the blanks after it are kept, as Salt does). backup: suffix of a copy of the original (default ".bak"; False for none).
Already uncommented: "Pattern already uncommented", no changes. Changes: {"diff": unified diff}; in test mode {name: "updated"}.`,
		Apply: fileUncomment,
	})
}

type commentArgs struct {
	Regex         string       `salt:"regex,required"`
	Char          string       `salt:"char" default:"#"`
	Backup        backupSuffix `salt:"backup" default:".bak"`
	IgnoreMissing bool         `salt:"ignore_missing"`
}

type uncommentArgs struct {
	Regex  string       `salt:"regex,required"`
	Char   string       `salt:"char" default:"#"`
	Backup backupSuffix `salt:"backup" default:".bak"`
}

// Validate refuses an empty comment marker.
func (a *commentArgs) Validate() error { return checkChar(a.Char) }

// Validate refuses an empty comment marker.
func (a *uncommentArgs) Validate() error { return checkChar(a.Char) }

func checkChar(c string) error {
	if c == "" {
		return ArgErrorf("char", "must not be empty")
	}
	return nil
}

// unanchorRE is Salt's pattern removing an inline flag group, ^ and $
// around the regex.
var unanchorRE = regexp.MustCompile(`^(\(\?[iLmsux]\))?\^?((?s).*?)\$?$`)

// searchML is Salt's file.search(..., multiline=True): the pattern
// anywhere in the text, ^ and $ matching at line boundaries.
func searchML(text, pattern string) (bool, error) {
	re, err := compilePy(pattern, pyMultiline)
	if err != nil {
		return false, err
	}
	return re.MatchString(text), nil
}

// commentLine is Salt's file.comment_line on text: it returns the new
// text. regex is the state's regex as given.
func commentLine(text, regex, char string, comment bool) (string, error) {
	inner := strings.TrimSuffix(strings.TrimPrefix(regex, "^"), "$")
	end := ""
	if strings.HasSuffix(regex, "$") {
		end = "$"
	}
	var pattern string
	if comment {
		pattern = "(" + inner + ")" + end
	} else {
		pattern = "^" + regexp.QuoteMeta(char) + `\s*(` + inner + ")" + end
	}
	// re.match: anchored at the line's start; $ may match before the
	// line's newline
	re, err := compilePy(`\A(?:`+pattern+`)`, 0)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, line := range splitKeepNewline(text) {
		body := strings.TrimSuffix(line, "\n")
		if !re.MatchString(body) {
			b.WriteString(line)
			continue
		}
		if comment {
			b.WriteString(char + line)
		} else {
			b.WriteString(strings.TrimLeft(line, char))
		}
	}
	return b.String(), nil
}

// commentEdit writes the edit (keeping a backup) and reports the diff.
func commentEdit(name, target string, old, text string, backup backupSuffix, done string) Result {
	res := textEdit{name: name, target: target, old: old, new: text, showChanges: true, backupSuffix: string(backup),
		noop: done, done: done}
	fi, _, err := readText(target)
	if err != nil {
		return failErr(name, err)
	}
	res.fi = fi
	return res.run()
}

func fileComment(ctx context.Context, env *Env, call Call, a *commentArgs) Result {
	name := filepath.Clean(call.Name)
	target, old, res, ok := readForComment(name)
	if !ok {
		return res
	}
	unanchor := unanchorRE.ReplaceAllString(a.Regex, "$2")
	commentRE := regexp.QuoteMeta(a.Char) + unanchor
	uncommented, err := uncommentedMatch(old, a.Char, unanchor)
	if err != nil {
		return fail(name, "State '%s' (file.comment): argument 'regex' is not a valid regular expression: %v", call.ID, err)
	}
	if !uncommented {
		already, err := searchML(old, commentRE)
		if err != nil {
			return fail(name, "State '%s' (file.comment): argument 'regex' is not a valid regular expression: %v", call.ID, err)
		}
		switch {
		case already:
			return Result{Name: name, Result: True(), Comment: "Pattern already commented"}
		case a.IgnoreMissing:
			return Result{Name: name, Result: True(), Comment: "Pattern not found and ignore_missing set to True"}
		}
		return fail(name, "%s: Pattern not found", unanchor)
	}
	text, err := commentLine(old, a.Regex, a.Char, true)
	if err != nil {
		return fail(name, "State '%s' (file.comment): argument 'regex' is not a valid regular expression: %v", call.ID, err)
	}
	// Salt's test mode reports an update whenever its search finds an
	// uncommented match anywhere in a line, even one comment_line (which
	// matches at the line's start) leaves alone: decide on the edit itself
	if call.Test && text != old {
		return Result{Name: name, Changes: map[string]any{name: "updated"}, Comment: fmt.Sprintf("File %s is set to be updated", name)}
	}
	ret := commentEdit(name, target, old, text, a.Backup, "Commented lines successfully")
	if ret.Result != nil && *ret.Result {
		if ok, _ := searchML(text, commentRE); !ok {
			ret.Result, ret.Comment = False(), "Expected commented lines not found"
		}
	}
	return ret
}

// uncommentedMatch is Salt's search for `^(?!\s*CHAR).*REGEX`: a line
// not starting with blanks and char that holds a match of the regex.
func uncommentedMatch(text, char, unanchor string) (bool, error) {
	re, err := compilePy(unanchor, 0)
	if err != nil {
		return false, err
	}
	lead := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(char))
	for _, line := range strings.Split(text, "\n") {
		if !lead.MatchString(line) && re.MatchString(line) {
			return true, nil
		}
	}
	return false, nil
}

func fileUncomment(ctx context.Context, env *Env, call Call, a *uncommentArgs) Result {
	name := filepath.Clean(call.Name)
	target, old, res, ok := readForComment(name)
	if !ok {
		return res
	}
	bare := strings.TrimPrefix(a.Regex, "^")
	badRE := func(err error) Result {
		return fail(name, "State '%s' (file.uncomment): argument 'regex' is not a valid regular expression: %v", call.ID, err)
	}
	commented, err := searchML(old, regexp.QuoteMeta(a.Char)+"[ \t]*"+bare)
	if err != nil {
		return badRE(err)
	}
	uncommentedRE := "^[ \t]*" + bare
	if !commented {
		already, err := searchML(old, uncommentedRE)
		if err != nil {
			return badRE(err)
		}
		if already {
			return Result{Name: name, Result: True(), Comment: "Pattern already uncommented"}
		}
		return fail(name, "%s: Pattern not found", a.Regex)
	}
	text, err := commentLine(old, a.Regex, a.Char, false)
	if err != nil {
		return badRE(err)
	}
	if call.Test && text != old {
		return Result{Name: name, Changes: map[string]any{name: "updated"}, Comment: fmt.Sprintf("File %s is set to be updated", name)}
	}
	ret := commentEdit(name, target, old, text, a.Backup, "Uncommented lines successfully")
	if ret.Result != nil && *ret.Result {
		if ok, _ := searchML(text, uncommentedRE); !ok {
			ret.Result, ret.Comment = False(), "Expected uncommented lines not found"
		}
	}
	return ret
}

// readForComment reads the file file.comment and file.uncomment edit
// (which must exist and be text); ok false returns res.
func readForComment(name string) (target, text string, res Result, ok bool) {
	if err := checkAbs(name); err != nil {
		return "", "", failErr(name, err), false
	}
	target = resolveTarget(name)
	fi, text, err := readText(target)
	if err != nil {
		return "", "", failErr(name, err), false
	}
	if fi == nil {
		return "", "", fail(name, "%s: file not found", name), false
	}
	if strings.IndexByte(text, 0) >= 0 {
		return "", "", fail(name, "Cannot perform string replacements on a binary file: %s", name), false
	}
	return target, text, Result{}, true
}
