package render

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func budgetErr(t *testing.T, src string, c *Context) *Error {
	t.Helper()
	_, err := Jinja(context.Background(), []byte(src), "web/loop.sls", c)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got %v, want a render error", src, err)
	}
	return e
}

// The 10^8-step loop stops at the budget, naming file and line.
func TestBudgetStopsRunawayLoop(t *testing.T) {
	src := "a\n{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}\n"
	e := budgetErr(t, src, &Context{MaxSteps: 100000})
	want := "template exceeded its budget of 100000 steps"
	if e.File != "web/loop.sls" || e.Line != 2 || !strings.Contains(e.Msg, want) {
		t.Fatalf("got %v, want web/loop.sls:2 ... %s", e, want)
	}
}

// With no MaxSteps the default budget applies: a filter pays one step
// per item, so ten passes over a million items exhaust it at once.
func TestBudgetDefault(t *testing.T) {
	big := make([]any, 1000000)
	src := "x\ny\n{% for i in range(100) %}{{ big|length }}{% endfor %}"
	e := budgetErr(t, src, &Context{Extra: map[string]any{"big": big}})
	want := "template exceeded its budget of 10000000 steps"
	if e.Line != 3 || !strings.Contains(e.Msg, want) {
		t.Fatalf("got %v, want line 3 ... %s", e, want)
	}
	// a negative MaxSteps lifts the limit
	out, err := Jinja(context.Background(), []byte(src), "web/loop.sls", &Context{Extra: map[string]any{"big": big}, MaxSteps: -1})
	if err != nil || !strings.HasPrefix(string(out), "x\ny\n1000000") {
		t.Fatalf("unlimited: got %.20q, %v", out, err)
	}
}

// Work under the budget renders; the same work over it fails.
func TestBudgetBoundary(t *testing.T) {
	src := "{% for i in range(100) %}{{ i }}{% endfor %}"
	if _, err := Jinja(context.Background(), []byte(src), "t", &Context{MaxSteps: 1000}); err != nil {
		t.Fatalf("under budget: %v", err)
	}
	e := budgetErr(t, src, &Context{MaxSteps: 150})
	if !strings.Contains(e.Msg, "budget of 150 steps") {
		t.Fatalf("got %v", e)
	}
}

// A budget error is not taken for an undefined value by tests and
// filters that forgive those, and includes share the budget, the error
// naming the included file.
func TestBudgetNotSwallowed(t *testing.T) {
	for _, src := range []string{
		"{{ range(1000) is defined }}",
		"{{ range(1000)|default(5) }}",
		"{% set x = range(1000) %}{{ x is defined }}",
		"{% for i in range(1000) if i is defined %}{% endfor %}",
	} {
		e := budgetErr(t, src, &Context{MaxSteps: 500})
		if !strings.Contains(e.Msg, "budget of 500 steps") {
			t.Errorf("%s: got %v", src, e)
		}
	}
	c := &Context{MaxSteps: 500, Loader: MapLoader{"inc.sls": "a\n{% for j in range(100) %}{{ j }}{% endfor %}"}}
	e := budgetErr(t, "{% for i in range(10) %}{% include 'inc.sls' %}{% endfor %}", c)
	if e.File != "inc.sls" || e.Line != 2 || !strings.Contains(e.Msg, "budget of 500 steps") {
		t.Fatalf("got %v, want inc.sls:2 ... budget", e)
	}
}

// Big strings cost a step per KiB, so a loop building them runs out of
// budget (and checks its context) long before the steps of the loop alone.
func TestBudgetChargesBigStrings(t *testing.T) {
	src := "{% for i in range(1000) %}{% set s = 'x' * 1000000 %}{% endfor %}"
	e := budgetErr(t, src, &Context{MaxSteps: 100000})
	if !strings.Contains(e.Msg, "budget of 100000 steps") {
		t.Fatalf("got %v", e)
	}
	if _, err := Jinja(context.Background(), []byte("{% for i in range(1000) %}{% set s = 'x' * 100 %}{% endfor %}"), "t", &Context{MaxSteps: 100000}); err != nil {
		t.Fatalf("small strings: %v", err)
	}
	src = "{% for i in range(1000) %}{{ big|upper|length }}{% endfor %}"
	e = budgetErr(t, src, &Context{MaxSteps: 100000, Extra: map[string]any{"big": strings.Repeat("x", 1<<20)}})
	if !strings.Contains(e.Msg, "budget of 100000 steps") {
		t.Fatalf("got %v", e)
	}
}
