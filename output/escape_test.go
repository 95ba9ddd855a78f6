package output

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"plain text":           "plain text",
		"tab\tkept":            "tab\tkept",
		`back\slash`:           `back\slash`,
		"ünïcödé ✓":            "ünïcödé ✓",
		"a\nb":                 `a\nb`,
		"a\rb":                 `a\rb`,
		"\x1b]0;pwned\x07":     `\x1b]0;pwned\x07`,
		"\x1b[2K\x1b[1Gweb-9":  `\x1b[2K\x1b[1Gweb-9`,
		"nul\x00del\x7f":       `nul\x00del\x7f`,
		"c1 \u009b31m \u0085":  `c1 \u009b31m \u0085`,
		"bad utf8 \xff\x9b ok": `bad utf8 \xff\x9b ok`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// hasControl reports a control character other than the line feeds that
// end lines and the tab.
func hasControl(s string) bool {
	for _, r := range s {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f) {
			return true
		}
	}
	return false
}

// checkNoForgery asserts that the only line at column 0 is the real id's
// and that no control character reaches the terminal.
func checkNoForgery(t *testing.T, out, id string) {
	t.Helper()
	if hasControl(out) {
		t.Errorf("control characters reach the terminal:\n%q", out)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l != "" && l[0] != ' ' && l != id+":" && !strings.HasPrefix(l, "Summary for "+id) &&
			!strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "Succeeded:") && !strings.HasPrefix(l, "Failed:") && !strings.HasPrefix(l, "Total ") {
			t.Errorf("line %q starts at column 0 and is not the minion's own header:\n%s", l, out)
		}
	}
}

func TestTextEscapesMinionReturns(t *testing.T) {
	hostile := []any{
		"True\nweb-9:\n    True",          // line breaks: indented, readable
		"True\rweb-9: True",               // a carriage return starts a line too
		"x\x1b[1G\x1b[2Kweb-9: True",      // cursor to column 0, erase the line
		"\x1b]0;owned\x07title",           // OSC: the terminal's title
		"\u009b2K\u009b1Gweb-9: True",     // C1 CSI
		map[string]any{"k\nweb-9": true},  // a key with a line break
		map[string]any{"k\rweb-9": "x"},   // a key with a carriage return
		map[string]any{"\x1b[1Gweb-9": 1}, // a key with an escape
		[]any{"a\nweb-9: True", "\x1b[31mred"},
	}
	for _, v := range hostile {
		var out bytes.Buffer
		p := NewPrinter(Options{Format: Text, Out: &out, Err: &bytes.Buffer{}}, []string{"web-1"})
		p.Add("web-1", v, false)
		p.Finish()
		checkNoForgery(t, out.String(), "web-1")
	}
}

func TestTextMultilineStaysReadable(t *testing.T) {
	var out bytes.Buffer
	p := NewPrinter(Options{Format: Text, Out: &out}, []string{"web-1"})
	p.Add("web-1", "total 8\ndrwxr-xr-x 2 root root 4096 .\n\tindented\r\nlast", false)
	p.Finish()
	want := "web-1:\n    total 8\n    drwxr-xr-x 2 root root 4096 .\n    \tindented\n    last\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}

func TestHighstateEscapesMinionFields(t *testing.T) {
	ret := map[string]any{
		"cmd_|-x\nweb-9: True_|-n_|-run": map[string]any{
			"result":      true,
			"__run_num__": 0,
			"__id__":      "id\nweb-9:",
			"name":        "name\r\x1b]0;t\x07",
			"comment":     "line one\nline two\rweb-9: True\x1b[1G",
			"start_time":  "12:00\nweb-9",
			"changes":     map[string]any{"diff\nweb-9": "a\nweb-9: b"},
		},
	}
	var out bytes.Buffer
	p := NewPrinter(Options{Format: Text, Out: &out}, []string{"web-1"})
	p.Add("web-1", ret, false)
	p.Finish()
	checkNoForgery(t, out.String(), "web-1")
	if !strings.Contains(out.String(), "line two") || !strings.Contains(out.String(), `id\nweb-9:`) {
		t.Errorf("fields are lost rather than escaped:\n%s", out.String())
	}
}

// JSON and YAML escape by themselves; this keeps it so.
func TestJSONAndYAMLEscape(t *testing.T) {
	for _, f := range []Format{JSON, YAML} {
		var out bytes.Buffer
		p := NewPrinter(Options{Format: f, Out: &out}, []string{"web-1"})
		p.Add("web-1", map[string]any{"k\nweb-9": "\x1b]0;t\x07\nweb-9: True\u009b"}, false)
		p.Finish()
		if hasControl(out.String()) {
			t.Errorf("%s: control characters in output:\n%q", f, out.String())
		}
		if f == YAML {
			var back map[string]any
			if err := yaml.Unmarshal(out.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
		}
	}
}
