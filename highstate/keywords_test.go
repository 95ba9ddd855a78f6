package highstate

import (
	"context"
	"strings"
	"testing"
)

// retry re-runs a failing state as Salt does (attempts, interval 0 here),
// each attempt's outcome in the comment; test mode says what would be
// retried.
func TestRetry(t *testing.T) {
	files := map[string]string{"top": `
flaky:
  test.fail_without_changes:
    - retry:
        attempts: 3
        interval: 0
fine:
  test.succeed_without_changes:
    - retry: True
    - parallel: True
`}
	p := mustCompile(t, Options{}, files, "top")
	res := p.Run(context.Background(), Options{})
	flaky := res["test_|-flaky_|-flaky_|-fail_without_changes"]
	if flaky.Result == nil || *flaky.Result || strings.Count(flaky.Comment, "Attempt ") != 2 ||
		!strings.Contains(flaky.Comment, `Attempt 1: Returned a result of "False", with the following comment: "Failure!"`) {
		t.Fatalf("flaky: %+v", flaky)
	}
	fine := res["test_|-fine_|-fine_|-succeed_without_changes"]
	if fine.Result == nil || !*fine.Result || strings.Contains(fine.Comment, "Attempt") {
		t.Fatalf("fine: %+v", fine)
	}
	res = p.Run(context.Background(), Options{Test: true})
	flaky = res["test_|-flaky_|-flaky_|-fail_without_changes"]
	if !strings.Contains(flaky.Comment, "The state would be retried every 0 seconds (with a splay of up to 0 seconds) a maximum of 3 times or until a result of True is returned") {
		t.Fatalf("test mode: %+v", flaky)
	}
}

// An empty require (a YAML key without a value) is an error, as in Salt;
// an onlyif that is not a command is ignored, as Salt's "bad type passed"
// check lets the state run.
func TestKeywordForms(t *testing.T) {
	errs := compileErrors(t, map[string]string{"top": "a:\n  test.nop:\n    - require:\nb:\n  test.nop: []\n"}, "top")
	if len(errs) != 1 || !strings.Contains(errs[0], "The require statement in state 'a'") || !strings.Contains(errs[0], "needs to be formed as a list") {
		t.Fatalf("empty require: %v", errs)
	}
	p := mustCompile(t, Options{}, map[string]string{"top": "a:\n  test.succeed_with_changes:\n    - onlyif: False\n"}, "top")
	res := p.Run(context.Background(), Options{})
	if r := res["test_|-a_|-a_|-succeed_with_changes"]; r.Result == nil || !*r.Result || len(r.Changes) == 0 {
		t.Fatalf("onlyif False (a boolean): %+v", r)
	}
}

// use copies the used state's arguments the user does not set itself.
func TestUse(t *testing.T) {
	p := mustCompile(t, Options{}, map[string]string{"top": `
base:
  test.nop:
    - some_arg: 1
    - another: two
    - require:
      - test: other
other:
  test.nop: []
user:
  test.nop:
    - use:
      - test: base
    - another: mine
`}, "top")
	for _, ch := range p.Chunks {
		if ch.ID != "user" {
			continue
		}
		if ch.Args["some_arg"] != 1 || ch.Args["another"] != "mine" || len(ch.Requisites) != 0 {
			t.Fatalf("user: %+v", ch)
		}
		return
	}
	t.Fatal("no chunk user")
}
