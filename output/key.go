package output

import (
	"bytes"
	"fmt"
	"io"
	"sort"
)

// Salt's key outputter, salt-key's own layout: each key state's title,
// then its ids (or "id:  fingerprint"), states in Salt's order.
func init() {
	Default.Register(&Outputter{
		Name: "key", Doc: "Key lists as salt-key prints them (Salt's key outputter); other values as text.",
		Document: func(w io.Writer, v any, s Style) error {
			m, ok := v.(map[string]any)
			if !ok || !isKeyLists(m) {
				var b bytes.Buffer
				newNested(&b, s.Color, false).display(v, 0, "")
				_, err := w.Write(b.Bytes())
				return err
			}
			_, err := io.WriteString(w, keyLists(m, s.Color))
			return err
		},
	})
}

// keyTitles are salt-key's titles and colours (title, then ids) by state.
var keyTitles = map[string][3]string{
	"minions":          {"Accepted Keys:", "\033[1;32m", ansiGreen},
	"minions_pre":      {"Unaccepted Keys:", "\033[1;31m", ansiRed},
	"minions_rejected": {"Rejected Keys:", "\033[1;34m", "\033[0;34m"},
	"minions_denied":   {"Denied Keys:", "\033[1;35m", "\033[0;35m"},
	"minions_damaged":  {"Damaged Keys (unreadable records; delete them):", "\033[1;31m", ansiRed},
	"local":            {"Local Keys:", "\033[1;35m", "\033[0;35m"},
}

func isKeyLists(m map[string]any) bool {
	if len(m) == 0 {
		return false
	}
	for k, v := range m {
		if _, ok := keyTitles[k]; !ok {
			return false
		}
		switch v.(type) {
		case []any, map[string]any:
		default:
			return false
		}
	}
	return true
}

func keyLists(m map[string]any, color bool) string {
	c := func(code string) string {
		if color {
			return code
		}
		return ""
	}
	var b bytes.Buffer
	for _, state := range sortedKeys(m) {
		t := keyTitles[state]
		fmt.Fprintf(&b, "%s%s%s\n", c(t[1]), t[0], c(ansiEnd))
		switch ids := m[state].(type) {
		case []any:
			names := make([]string, 0, len(ids))
			for _, id := range ids {
				names = append(names, pyStr(id))
			}
			sort.Strings(names)
			for _, id := range names {
				fmt.Fprintf(&b, "%s%s%s\n", c(t[2]), Escape(id), c(ansiEnd))
			}
		case map[string]any:
			for _, id := range sortedKeys(ids) {
				fmt.Fprintf(&b, "%s%s:  %s%s\n", c(t[2]), Escape(id), Escape(pyStr(ids[id])), c(ansiEnd))
			}
		}
	}
	return b.String()
}
