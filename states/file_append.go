package states

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func init() {
	RegisterTyped(Typed[appendArgs]{
		Name: "file.append",
		Doc: `Ensure some text is present in a file, appending what is missing.

name: absolute path (created if missing; makedirs creates parents). text: a string or a list of strings; each entry is appended unless the file already holds it as whole lines (whitespace-insensitive, as Salt compares).
Changes: {"diff": unified diff}.`,
		Apply: fileAppend,
	})
}

// appendArgs are file.append's arguments.
type appendArgs struct {
	Text        []string `salt:"text,required"`
	Makedirs    bool     `salt:"makedirs"`
	ShowChanges bool     `salt:"show_changes" default:"true"`
}

// Validate refuses an empty text list.
func (a *appendArgs) Validate() error {
	if len(a.Text) == 0 {
		return ArgErrorf("text", "must not be empty")
	}
	return nil
}

func fileAppend(ctx context.Context, env *Env, call Call, a *appendArgs) Result {
	name := filepath.Clean(call.Name)
	if err := checkAbs(name); err != nil {
		return failErr(name, err)
	}
	chunks, makedirs, showChanges := a.Text, a.Makedirs, a.ShowChanges
	target := resolveTarget(name)
	fi, old, err := readText(target)
	if err != nil {
		return failErr(name, err)
	}
	if fi == nil && !makedirs {
		if pfi, err := os.Stat(filepath.Dir(target)); err != nil || !pfi.IsDir() {
			return fail(name, "Directory %s for file %s is not present (set makedirs: True)", filepath.Dir(target), name)
		}
	}
	lines := normLines(old)
	text := old
	added := 0
	for _, chunk := range chunks {
		if containsLines(lines, normLines(chunk)) {
			continue
		}
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += strings.TrimSuffix(chunk, "\n") + "\n"
		lines = normLines(text)
		added += len(strings.Split(strings.TrimSuffix(chunk, "\n"), "\n"))
	}
	return textEdit{
		name: name, target: target, fi: fi, old: old, new: text,
		test: call.Test, showChanges: showChanges, makedirs: makedirs,
		noop:  fmt.Sprintf("File %s is in correct state", name),
		would: fmt.Sprintf("File %s is set to be updated", name),
		done:  fmt.Sprintf("Appended %d lines", added),
	}.run()
}

// normLines splits text into lines with runs of whitespace collapsed.
func normLines(text string) []string {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	raw := strings.Split(text, "\n")
	out := make([]string, len(raw))
	for i, l := range raw {
		out[i] = strings.Join(strings.Fields(l), " ")
	}
	return out
}

// containsLines reports whether want occurs in lines as a consecutive run.
func containsLines(lines, want []string) bool {
	if len(want) == 0 {
		return true
	}
outer:
	for i := 0; i+len(want) <= len(lines); i++ {
		for j := range want {
			if lines[i+j] != want[j] {
				continue outer
			}
		}
		return true
	}
	return false
}
