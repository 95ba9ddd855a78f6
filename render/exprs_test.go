package render

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestExprPrecedence renders every case of testdata/exprs.json (written
// by testdata/gen_exprs.py with real Jinja2: expressions combining every
// operator, filters and tests without parentheses) and compares the
// output with Jinja2's; where Jinja2 fails, the render must fail too.
func TestExprPrecedence(t *testing.T) {
	data, err := os.ReadFile("testdata/exprs.json")
	if err != nil {
		t.Fatalf("missing corpus (run testdata/gen_exprs.py): %v", err)
	}
	raw, _ := decodeOrdered(t, data).(*Map)
	ctxVal, _ := raw.Get("context")
	casesVal, _ := raw.Get("cases")
	cases, _ := casesVal.([]any)
	if len(cases) < 1000 {
		t.Fatalf("corpus has %d cases, want the generated ~2500", len(cases))
	}
	files := MapLoader{}
	if fv, ok := raw.Get("files"); ok {
		for k, v := range topLevel(fv) {
			files[k] = v.(string)
		}
	}
	c := &Context{Extra: topLevel(ctxVal), Loader: files}
	var failed, errCases int
	for _, cv := range cases {
		tc := cv.(*Map)
		srcV, _ := tc.Get("src")
		src := srcV.(string)
		got, err := Jinja(context.Background(), []byte(src), "expr.jinja", c)
		if wantErr, ok := tc.Get("error"); ok {
			errCases++
			if err == nil {
				failed++
				t.Errorf("%s\n  jinja2 fails: %s\n  brine renders: %q", src, wantErr, got)
			}
			continue
		}
		want, _ := tc.Get("out")
		switch {
		case err != nil:
			failed++
			t.Errorf("%s\n  jinja2: %q\n  brine fails: %v", src, want, err)
		case string(got) != want.(string):
			failed++
			t.Errorf("%s\n  jinja2: %q\n  brine:  %q", src, want, got)
		}
		if failed > 60 {
			t.Fatalf("too many differences, stopping")
		}
	}
	t.Logf("%d cases (%d where Jinja2 fails), %d differ", len(cases), errCases, failed)
}

// The cases the issue names, spelled out.
func TestExprPrecedenceIssueCases(t *testing.T) {
	c := &Context{Extra: map[string]any{"subject": "EC2 Instance Launch Successful"}}
	for src, want := range map[string]string{
		"{{ 'launch' in subject|lower }}":                                        "True",
		"{{ 'launch' not in subject|lower }}":                                    "False",
		"{% if 'terminate' in subject|lower %}accept{% else %}delete{% endif %}": "delete",
		"{% if 'terminate' not in subject|lower %}keep{% endif %}":               "keep",
		"{{ 1 < 2 < 3 }}{{ 3 < 2 < 1 }}{{ 1 < 3 > 2 }}":                          "TrueFalseTrue",
		"{{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ -3|abs }}":                           "64 4 3",
		"{{ not not 1 }} {{ 3 + 1 is odd }}":                                     "True 4",
		"{{ 'x' ~ (1 if false else 2) ~ 3 if true else 'y' }}":                   "x23",
	} {
		got, err := Jinja(context.Background(), []byte(src), "t.jinja", c)
		if err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v; want %q", src, got, err, want)
		}
	}
}

// The corpus must exercise what it claims to.
func TestExprCorpusCoverage(t *testing.T) {
	data, err := os.ReadFile("testdata/exprs.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{" not in ", " in ", " is ", " if ", " else ", "**", "//", " % ", " ~ ", "|lower", " < ", " and ", " or ", "not not", "{% set", "{% for", "{% with", "{% elif", "{% macro", "{% include", "{% import", "{% from"} {
		if !strings.Contains(string(data), op) {
			t.Errorf("corpus lacks %q", op)
		}
	}
}

// An error inside an inline if/else fails the render (it printed None).
func TestInlineIfErrorFails(t *testing.T) {
	c := &Context{Extra: map[string]any{"d": map[string]any{"a": 1}}}
	for src, want := range map[string]string{
		"{{ d.missing if true else 1 }}":                          "has no attribute 'missing'",
		"{{ (1 / 0) if true else 2 }}":                            "division by zero",
		"{{ 1 if d.missing else 2 }}":                             "has no attribute 'missing'",
		"{{ 1 if false else d.missing }}":                         "has no attribute 'missing'",
		"{{ 'x' ~ (d.a.b if d else 1) }}":                         "has no attribute 'b'",
		"{% set x = d.a + 'x' if true else 1 %}{{ x }}":           "unsupported operand",
		"{% if (d.nope if true else 1) %}yes{% endif %}":          "has no attribute 'nope'",
		"{% for i in (d.nope if d else []) %}{{ i }}{% endfor %}": "has no attribute 'nope'",
	} {
		got, err := Jinja(context.Background(), []byte(src), "t.jinja", c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %q, %v; want an error with %q", src, got, err, want)
		}
	}
	// and the branch not taken is not evaluated
	got, err := Jinja(context.Background(), []byte("{{ d.a if true else d.missing }}{{ d.missing if false else 2 }}"), "t.jinja", c)
	if err != nil || string(got) != "12" {
		t.Errorf("got %q, %v; want 12", got, err)
	}
}

// str.splitlines splits at U+0085 (NEL); the separator list held the
// byte 0x85, which strings.IndexAny reads as U+FFFD, so NEL was missed and
// U+FFFD split lines.
func TestSplitlinesUTF8(t *testing.T) {
	for src, want := range map[string]string{
		"{{ 'Åsa\\nb'.splitlines() }}":       "['Åsa', 'b']",
		"{{ 'a\\u0085b'.splitlines() }}":     "['a', 'b']",
		"{{ 'ÅÅ\\r\\nx'.splitlines(true) }}": "['ÅÅ\\r\\n', 'x']",
		"{{ 'a\\ufffdb'.splitlines() }}":     "['a\ufffdb']",
	} {
		got, err := Jinja(context.Background(), []byte(src), "t.jinja", &Context{})
		if err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v; want %q", src, got, err, want)
		}
	}
}

// Deeply nested or chained expressions fail to parse instead of
// exhausting the goroutine stack (fatal, not a panic) when evaluated.
func TestExprDepthLimit(t *testing.T) {
	for _, src := range []string{
		"{{ " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + " }}",
		"{{ " + strings.Repeat("- ", 5000) + "1 }}",
		"{{ " + strings.Repeat("not ", 5000) + "1 }}",
		"{{ 1" + strings.Repeat(" + 1", 5000) + " }}",
		"{{ x" + strings.Repeat(".a", 5000) + " }}",
		"{{ 1" + strings.Repeat(" if 1 else 2", 5000) + " }}",
		"{{ " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + " }}",
	} {
		_, err := Jinja(context.Background(), []byte(src), "t.jinja", &Context{})
		if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("%.30s...: got %v", src, err)
		}
	}
	// well within the limit
	src := "{{ " + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + strings.Repeat(" + 1", 500) + " }}"
	if out, err := Jinja(context.Background(), []byte(src), "t.jinja", &Context{}); err != nil || string(out) != "501" {
		t.Errorf("got %q, %v", out, err)
	}
}

// An error in the arguments of a filter block or a filtered block set
// fails the render (the message was printed as the block's text).
func TestFilterBlockErrorFails(t *testing.T) {
	c := &Context{Extra: map[string]any{"d": map[string]any{}}}
	for src, want := range map[string]string{
		"{% filter replace('a', d.missing) %}banana{% endfilter %}":            "has no attribute 'missing'",
		"{% filter upper|replace('A', (1 / 0)|string) %}banana{% endfilter %}": "division by zero",
		"{% set v | replace('a', d.nope) %}banana{% endset %}{{ v }}":          "has no attribute 'nope'",
	} {
		got, err := Jinja(context.Background(), []byte(src), "t.jinja", c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %q, %v; want an error with %q", src, got, err, want)
		}
	}
}

// A template's own variables named like the placeholders that stand for
// parsed expressions are left alone.
func TestPlaceholderNamesAreTheTemplates(t *testing.T) {
	src := "{% set __b1 = 'one' %}{% set __b2 = 'two' %}{{ __b1 }} {{ __b2 ~ __b1 }} {{ [__b1, __b2]|join }}"
	got, err := Jinja(context.Background(), []byte(src), "t.jinja", &Context{})
	if err != nil || string(got) != "one twoone onetwo" {
		t.Fatalf("got %q, %v", got, err)
	}
}
