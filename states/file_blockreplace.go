package states

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func init() {
	RegisterTyped(Typed[blockreplaceArgs]{
		Name: "file.blockreplace",
		Doc: `Maintain a block of lines between two marker lines in an existing file.

name: absolute path (the file must exist). marker_start, marker_end: the text identifying the block's first and last lines (a line containing it; defaults "#-- start managed zone --" and "#-- end managed zone --"); the marker lines are kept as they are. content: the block's text; source or sources (salt:// or local files, rendered with template, default jinja, with defaults and context) are added to it, and so is the text of the file.accumulated states this one requires (or of all accumulators for the file when none is required).
When the markers are missing: append_if_not_found or prepend_if_not_found add the block at the end or the start; insert_before_match or insert_after_match (a regular expression) put it around the first matching line; otherwise the state fails. append_newline: True always ends the content with a newline, False never, unset only when it does not end with one. backup: suffix of a copy of the original (default ".bak"; False for none). show_changes: the diff (default True), or just True.
Changes: {"diff": unified diff}. Comments as Salt's: "Changes were made", "Changes would be made", "No changes needed to be made".`,
		Apply: fileBlockreplace,
	})
}

type blockreplaceArgs struct {
	MarkerStart       string         `salt:"marker_start" default:"#-- start managed zone --"`
	MarkerEnd         string         `salt:"marker_end" default:"#-- end managed zone --"`
	Content           string         `salt:"content"`
	Source            string         `salt:"source"`
	Sources           []string       `salt:"sources"`
	SourceHash        string         `salt:"source_hash"`
	SourceHashes      []string       `salt:"source_hashes"`
	Template          string         `salt:"template" default:"jinja"`
	Defaults          map[string]any `salt:"defaults"`
	Context           map[string]any `salt:"context"`
	AppendIfNotFound  bool           `salt:"append_if_not_found"`
	PrependIfNotFound bool           `salt:"prepend_if_not_found"`
	InsertBeforeMatch string         `salt:"insert_before_match"`
	InsertAfterMatch  string         `salt:"insert_after_match"`
	Backup            backupSuffix   `salt:"backup" default:".bak"`
	ShowChanges       bool           `salt:"show_changes" default:"true"`
	AppendNewline     *bool          `salt:"append_newline"`

	matchRE *regexp.Regexp
}

// Validate checks the exclusive placement arguments and the regular
// expression, as Salt's module does.
func (a *blockreplaceArgs) Validate() error {
	n := 0
	for _, b := range []bool{a.AppendIfNotFound, a.PrependIfNotFound, a.InsertBeforeMatch != "", a.InsertAfterMatch != ""} {
		if b {
			n++
		}
	}
	if n > 1 {
		return ArgErrorf("", "only one of append_if_not_found, prepend_if_not_found, insert_before_match and insert_after_match is permitted")
	}
	if a.MarkerStart == "" {
		return ArgErrorf("marker_start", "must not be empty")
	}
	if a.MarkerEnd == "" {
		return ArgErrorf("marker_end", "must not be empty")
	}
	if a.Source != "" && len(a.Sources) > 0 {
		return ArgErrorf("sources", "cannot be used with source")
	}
	if a.SourceHash != "" || len(a.SourceHashes) > 0 {
		arg := "source_hash"
		if a.SourceHash == "" {
			arg = "source_hashes"
		}
		return ArgErrorf(arg, "is only used with http(s) and ftp sources, which file.blockreplace does not fetch: use salt:// or a local path")
	}
	t := templateArgs{Template: a.Template}
	if err := t.checkTemplate(); err != nil {
		return err
	}
	a.Template = t.Template
	if re := a.InsertBeforeMatch + a.InsertAfterMatch; re != "" {
		arg := "insert_before_match"
		if a.InsertAfterMatch != "" {
			arg = "insert_after_match"
		}
		var err error
		if a.matchRE, err = compilePy(re, 0); err != nil {
			return ArgErrorf(arg, "is not a valid regular expression: %v", err)
		}
	}
	return nil
}

func fileBlockreplace(ctx context.Context, env *Env, call Call, a *blockreplaceArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	target := resolveTarget(name)
	fi, old, err := readText(target)
	if err != nil {
		return failErr(name, err)
	}
	if fi == nil {
		return fail(name, "%s: file not found", name)
	}
	if strings.IndexByte(old, 0) >= 0 {
		return fail(name, "Encountered error managing block: Cannot perform string replacements on a binary file: %s", name)
	}
	content := a.Content
	if env != nil {
		for _, line := range env.Accumulators.forBlock(name, call.ID) {
			if content == "" {
				content = line
			} else {
				content += "\n" + line
			}
		}
	}
	sources := a.Sources
	if a.Source != "" {
		sources = []string{a.Source}
	}
	for _, src := range sources {
		text, err := blockSourceText(ctx, env, call, a, src)
		if err != nil {
			return failErr(name, err)
		}
		content += text
	}
	text, err := a.replace(old, content)
	if err != nil {
		return fail(name, "Encountered error managing block: %v", err)
	}
	res := textEdit{
		name: name, target: target, fi: fi, old: old, new: text,
		test: call.Test, showChanges: a.ShowChanges, backupSuffix: string(a.Backup),
		noop:  "No changes needed to be made",
		would: "Changes would be made",
		done:  "Changes were made",
	}.run()
	if !a.ShowChanges && res.Changes["diff"] != nil {
		res.Changes["diff"] = true // Salt's module returns True without show_changes
	}
	return res
}

// blockSourceText reads one source of the block, rendered when template
// is set.
func blockSourceText(ctx context.Context, env *Env, call Call, a *blockreplaceArgs, src string) (string, error) {
	local, err := cacheSource(ctx, env, call, src)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(local)
	if err != nil {
		return "", fmt.Errorf("Unable to read source %s: %v", src, err)
	}
	if a.Template == "" {
		return string(data), nil
	}
	if env == nil || env.Render == nil {
		return "", errors.New("template is jinja but no template renderer is available")
	}
	t := templateArgs{Defaults: a.Defaults, Context: a.Context}
	out, err := env.Render.RenderTemplate(ctx, data, call.Name, t.renderContext())
	if err != nil {
		return "", fmt.Errorf("Unable to render template for %s: %v", src, err)
	}
	return string(out), nil
}

// replace is Salt's file.blockreplace module function on the file's
// text: the block between the markers becomes content.
func (a *blockreplaceArgs) replace(old, content string) (string, error) {
	appendNewline := !strings.HasSuffix(content, "\n")
	if a.AppendNewline != nil {
		appendNewline = *a.AppendNewline
	}
	split := strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n")
	addContent := func(linesep string, lines []string, includeStart bool, endLine string) []string {
		endLine = strings.TrimRight(endLine, "\r\n") + linesep
		if includeStart {
			lines = append(lines, a.MarkerStart+linesep)
		}
		for i, l := range split {
			if i != len(split)-1 {
				lines = append(lines, l+linesep)
			} else if appendNewline {
				lines = append(lines, l+linesep, endLine)
			} else {
				lines = append(lines, l+endLine)
			}
		}
		return lines
	}
	origLines := splitKeepNewline(old)
	var newLines []string
	linesep := ""
	inBlock, found := false, false
	for _, line := range origLines {
		keep := true
		if linesep == "" {
			switch {
			case strings.HasSuffix(line, "\r\n"):
				linesep = "\r\n"
			default:
				linesep = "\n"
			}
		}
		if strings.Contains(line, a.MarkerStart) {
			inBlock = true
		} else if inBlock {
			keep = false
			if pos := strings.Index(line, a.MarkerEnd); pos >= 0 {
				inBlock, found = false, true
				newLines = addContent(linesep, newLines, false, line[pos:])
			}
		}
		if keep {
			newLines = append(newLines, line)
		}
	}
	if linesep == "" {
		linesep = "\n"
	}
	if inBlock {
		return "", errors.New("Unterminated marked block. End of file reached before marker_end.")
	}
	if !found {
		switch {
		case a.PrependIfNotFound:
			newLines = append(addContent(linesep, nil, true, a.MarkerEnd), newLines...)
		case a.AppendIfNotFound:
			if n := len(newLines); n > 0 && !strings.HasSuffix(newLines[n-1], linesep) {
				newLines[n-1] += linesep
			}
			newLines = addContent(linesep, newLines, true, a.MarkerEnd)
		case a.matchRE != nil:
			idx := -1
			for i, l := range origLines {
				if a.matchRE.MatchString(l) {
					idx = i
					break
				}
			}
			if idx < 0 {
				// Salt leaves the file alone when the line is not there
				return old, nil
			}
			if a.InsertAfterMatch != "" {
				idx++
			}
			block := addContent(linesep, nil, true, a.MarkerEnd)
			newLines = append(newLines[:idx], append(block, newLines[idx:]...)...)
		default:
			return "", errors.New("Cannot edit marked block. Markers were not found in file.")
		}
	}
	return strings.Join(newLines, ""), nil
}

// splitKeepNewline splits text into lines that keep their "\n".
func splitKeepNewline(text string) []string {
	var out []string
	for text != "" {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			out = append(out, text)
			break
		}
		out = append(out, text[:i+1])
		text = text[i+1:]
	}
	return out
}
