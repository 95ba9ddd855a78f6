package states

import (
	"path/filepath"
	"testing"
)

// The expected files and diffs are what salt-call --local (3006.1) wrote
// for the same input.
func TestBlockreplaceLikeSalt(t *testing.T) {
	for _, tc := range []struct {
		name, before, after, diff string
		args                      map[string]any
	}{
		{
			name: "append", before: "a\nb", after: "a\nb\n#-- start managed zone --\nx\ny\n#-- end managed zone --\n",
			// Salt's difflib writes "-b+b" for the line that gains its
			// newline; the unified diff marks it as diff(1) does
			diff: "--- \n+++ \n@@ -1,2 +1,6 @@\n a\n-b\n\\ No newline at end of file\n+b\n+#-- start managed zone --\n+x\n+y\n+#-- end managed zone --\n",
			args: map[string]any{"content": "x\ny", "append_if_not_found": true},
		},
		{
			name: "replace", before: "head\n# START\nold1\nold2\nxx# END tail\nfoot\n", after: "head\n# START\nnew\n# END tail\nfoot\n",
			args: map[string]any{"content": "new", "marker_start": "# START", "marker_end": "# END"},
		},
		{
			name: "prepend", before: "a\nb\n", after: "#-- start managed zone --\np\n#-- end managed zone --\na\nb\n",
			args: map[string]any{"content": "p\n", "prepend_if_not_found": true},
		},
		{
			name: "after", before: "one\nmatch me\nthree\n", after: "one\nmatch me\n#-- start managed zone --\nins\n#-- end managed zone --\nthree\n",
			args: map[string]any{"content": "ins", "insert_after_match": "^match"},
		},
		{
			name: "before", before: "one\nmatch me\n", after: "one\n#-- start managed zone --\nins\n#-- end managed zone --\nmatch me\n",
			args: map[string]any{"content": "ins", "insert_before_match": "^match"},
		},
		{
			name: "no-newline", before: "a\n#-- start managed zone --\nold\n#-- end managed zone --\n", after: "a\n#-- start managed zone --\nnewold\n#-- end managed zone --\n",
			args: map[string]any{"content": "newold\n", "append_newline": false},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			writeFile(t, p, tc.before)
			first := cycle(t, nil, "file.blockreplace", p, tc.args, snapshotTree(t, dir))
			if got := readFile(t, p); got != tc.after {
				t.Fatalf("file\n%q\nwant\n%q", got, tc.after)
			}
			if tc.diff != "" && first.Changes["diff"] != tc.diff {
				t.Errorf("diff\n%q\nwant\n%q", first.Changes["diff"], tc.diff)
			}
			want(t, first, True(), true, "Changes were made")
			if got := readFile(t, p+".bak"); got != tc.before {
				t.Errorf("backup %q, want %q", got, tc.before)
			}
		})
	}
}

func TestBlockreplaceFailures(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, "a\n")
	wantFail(t, apply(t, nil, "file.blockreplace", p, map[string]any{"content": "x"}, false),
		"Cannot edit marked block. Markers were not found in file.")
	wantFail(t, apply(t, nil, "file.blockreplace", filepath.Join(dir, "missing"), map[string]any{"content": "x", "append_if_not_found": true}, false),
		"file not found")
	writeFile(t, p, "#-- start managed zone --\nold\n")
	wantFail(t, apply(t, nil, "file.blockreplace", p, map[string]any{"content": "x"}, false), "Unterminated marked block")
	wantFail(t, apply(t, nil, "file.blockreplace", p, map[string]any{"content": "x", "append_if_not_found": true, "prepend_if_not_found": true}, false),
		"only one of append_if_not_found, prepend_if_not_found")
	res := apply(t, nil, "file.blockreplace", p, map[string]any{"content": "x", "contnet": "y"}, true)
	want(t, res, False(), false, "'contnet' is an invalid keyword argument for 'file.blockreplace'", "did you mean 'content'?")
	if got := readFile(t, p); got != "#-- start managed zone --\nold\n" {
		t.Errorf("a failed state changed the file: %q", got)
	}
}

func TestBlockreplaceShowChangesFalse(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, "a\n")
	res := apply(t, nil, "file.blockreplace", p, map[string]any{"content": "x", "append_if_not_found": true, "show_changes": false, "backup": false}, false)
	want(t, res, True(), true, "Changes were made")
	if res.Changes["diff"] != true {
		t.Errorf("changes %v", res.Changes)
	}
	if _, err := filepath.Glob(p + ".bak"); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(p + ".bak"); len(m) != 0 {
		t.Errorf("backup False kept %v", m)
	}
}

func TestBlockreplaceSourceTemplate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, "a\n")
	writeFile(t, filepath.Join(dir, "srv", "base", "block.txt"), "hello {{ who }}\n")
	env := testEnv(t)
	env.Files, env.Render = dirFiles{root: filepath.Join(dir, "srv")}, fakeRenderer{}
	res := apply(t, env, "file.blockreplace", p, map[string]any{"source": "salt://block.txt", "context": map[string]any{"who": "world"}, "append_if_not_found": true}, false)
	want(t, res, True(), true)
	if got := readFile(t, p); got != "a\n#-- start managed zone --\nhello world\n#-- end managed zone --\n" {
		t.Errorf("file %q", got)
	}
}
