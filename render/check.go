package render

import (
	"context"
	"fmt"
	"slices"
)

// CheckSyntax reports the errors of an SLS file that no variables can
// change: a renderer in its shebang line that no one registered, and a
// Jinja syntax error (an unclosed block, a bad expression), named by file
// and line as a render would. It renders nothing and loads no imports.
func CheckSyntax(text []byte, name string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{File: name, Stage: "jinja", Msg: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	names, err := parsePipeline(text, name)
	if err != nil {
		return err
	}
	if !slices.Contains(names, "jinja") || !HasJinja(text) {
		return nil
	}
	st := newState(context.Background(), &Context{}, name)
	st.sources[name] = text
	_, err = st.compile(name)
	return err
}

// HasJinja reports whether text has Jinja syntax ({{, {% or {#): without
// it, the jinja renderer passes the text through as it is.
func HasJinja(text []byte) bool {
	_, plain, _ := plainText(context.Background(), text, "")
	return !plain
}
