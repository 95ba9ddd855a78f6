package output

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// testdata/python_text.json holds values with Python 3.11's repr(),
// pprint.pformat() (indent 1, 4 and 0) and json.dumps() (indent 2 and
// none) of each, made by python3 on this machine: the outputters that
// print Python's text must match it byte for byte.
func TestPythonTextMatchesPython(t *testing.T) {
	b, err := os.ReadFile("testdata/python_text.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cases []map[string]any
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		v := normalize(c["v"])
		check := func(what, got string) {
			if want := c[what].(string); got != want {
				t.Errorf("case %d %s:\n got %s\nwant %s", i, what, got, want)
			}
		}
		check("repr", pyRepr(v))
		check("p1", pyPformat(v, 1))
		check("p4", pyPformat(v, 4))
		check("p0", pyPformat(v, 0))
		var j strings.Builder
		pyJSON(&j, v, 2, 0)
		check("j2", j.String())
		j.Reset()
		pyJSON(&j, v, -1, 0)
		check("jn", j.String())
	}
}

func TestPythonOutputters(t *testing.T) {
	run := func(format string, o Options) string {
		var out bytes.Buffer
		o.Format, o.Out, o.Err = Format(format), &out, &bytes.Buffer{}
		p := NewPrinter(o, []string{"web-1", "web-2", "web-3"})
		p.Add("web-1", map[string]any{"ips": []any{"10.0.0.1", "127.0.0.1"}}, false)
		p.Add("web-2", "line one\nline two", false)
		p.Finish()
		return out.String()
	}
	for format, want := range map[string]string{
		"raw":                 "{'web-1': {'ips': ['10.0.0.1', '127.0.0.1']}}\n{'web-2': 'line one\\nline two'}\n{'web-3': 'Minion did not return. [No response]'}\n",
		"txt":                 "web-1: {'ips': ['10.0.0.1', '127.0.0.1']}\nweb-2: line one\nweb-2: line two\nweb-3: Minion did not return. [No response]\n",
		"pprint":              "{'web-1': {'ips': ['10.0.0.1', '127.0.0.1']}}\n{'web-2': 'line one\\nline two'}\n{'web-3': 'Minion did not return. [No response]'}\n",
		"newline_values_only": "{'ips': ['10.0.0.1', '127.0.0.1']}\nline one\nline two\nMinion did not return. [No response]\n",
		"quiet":               "",
	} {
		if got := run(format, Options{}); got != want {
			t.Errorf("--out=%s:\n got %q\nwant %q", format, got, want)
		}
	}
	// A list return: one line per item.
	var out bytes.Buffer
	p := NewPrinter(Options{Format: "newline_values_only", Out: &out, Err: &bytes.Buffer{}}, []string{"a"})
	p.Add("a", []any{"127.0.0.1", "10.0.0.1"}, false)
	p.Finish()
	if out.String() != "127.0.0.1\n10.0.0.1\n" {
		t.Errorf("newline_values_only of a list: %q", out.String())
	}
	// --out-indent reaches pprint and json.
	if got := run("json", Options{Indent: 1, IndentSet: true}); !strings.Contains(got, "{\n \"web-1\": {\n  \"ips\": [") {
		t.Errorf("json --out-indent 1:\n%s", got)
	}
	if got := run("json", Options{Indent: -1, IndentSet: true}); !strings.HasPrefix(got, `{"web-1": {"ips": ["10.0.0.1", "127.0.0.1"]}, "web-2": "line one\nline two"}`) {
		t.Errorf("json --out-indent -1:\n%s", got)
	}
}

func TestKeyOutputter(t *testing.T) {
	var out bytes.Buffer
	err := Value(Options{Format: "key", Out: &out}, map[string]any{
		"minions": []any{"web-2", "web-1"}, "minions_pre": []any{"new"}, "minions_rejected": []any{}, "minions_denied": []any{},
	})
	want := "Accepted Keys:\nweb-1\nweb-2\nDenied Keys:\nUnaccepted Keys:\nnew\nRejected Keys:\n"
	if err != nil || out.String() != want {
		t.Errorf("key lists: %v\n got %q\nwant %q", err, out.String(), want)
	}
	out.Reset()
	_ = Value(Options{Format: "key", Out: &out}, map[string]any{"minions": map[string]any{"web-1": "ab:cd"}})
	if out.String() != "Accepted Keys:\nweb-1:  ab:cd\n" {
		t.Errorf("fingers: %q", out.String())
	}
	out.Reset()
	_ = Value(Options{Format: "key", Out: &out}, map[string]any{"other": 1})
	if out.String() != "other:\n    1\n" {
		t.Errorf("not key lists: %q", out.String())
	}
}

// A runner's text (autoscale.user_data's boot script) prints as text under
// --out txt: line breaks kept, control characters still escaped.
func TestTxtPlainString(t *testing.T) {
	got := txt("#!/bin/sh\nset -eu\necho \x1b[31mred\n")
	if !strings.HasPrefix(got, "#!/bin/sh\nset -eu\necho ") || strings.Contains(got, "\x1b") || strings.Count(got, "\n") != 3 {
		t.Fatalf("txt = %q", got)
	}
}
