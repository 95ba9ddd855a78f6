package output

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
)

// An outputter registered from one file (here, this test) is reachable
// by --out name through ParseFormat, Value and Printer, with nothing else
// changed.
func TestRegisteredOutputterReachable(t *testing.T) {
	Default.Register(&Outputter{
		Name: "lines_test", Aliases: []string{"LT"}, Doc: "one key=value line per entry",
		Document: func(w io.Writer, v any, _ Style) error {
			m, _ := v.(map[string]any)
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if _, err := fmt.Fprintf(w, "%s=%v\n", k, m[k]); err != nil {
					return err
				}
			}
			return nil
		},
	})
	f, err := ParseFormat("lt")
	if err != nil || f != "lines_test" {
		t.Fatalf("ParseFormat(lt) = %q, %v", f, err)
	}
	var out bytes.Buffer
	if err := Value(Options{Format: f, Out: &out}, map[string]any{"b": 2, "a": 1}); err != nil || out.String() != "a=1\nb=2\n" {
		t.Errorf("Value = %q, %v", out.String(), err)
	}
	out.Reset()
	var errb bytes.Buffer
	p := NewPrinter(Options{Format: f, Out: &out, Err: &errb}, []string{"web1", "web2"})
	p.Add("web1", true, false)
	if out.Len() != 0 {
		t.Errorf("a gathering outputter printed before Finish: %q", out.String())
	}
	if missing := p.Finish(); len(missing) != 1 || missing[0] != "web2" {
		t.Errorf("missing = %v", missing)
	}
	if out.String() != "web1=true\n" || !strings.Contains(errb.String(), "web2") {
		t.Errorf("Finish printed %q / %q", out.String(), errb.String())
	}
	if _, err := ParseFormat("nosuch"); err == nil || !strings.Contains(err.Error(), "lines_test") || !strings.Contains(err.Error(), "json") {
		t.Errorf("unknown format error = %v, want the registered names", err)
	}
}

func TestRegisterRefusesBadOutputters(t *testing.T) {
	for name, o := range map[string]*Outputter{
		"duplicate":      {Name: "json", Document: func(io.Writer, any, Style) error { return nil }},
		"no document":    {Name: "x1"},
		"return only":    {Name: "x2", Document: func(io.Writer, any, Style) error { return nil }, Return: func(io.Writer, string, any, bool, Style) {}},
		"alias clashing": {Name: "x3", Aliases: []string{"nested"}, Document: func(io.Writer, any, Style) error { return nil }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: registered", name)
				}
			}()
			NewRegistryWith(Default).Register(o)
		}()
	}
}
