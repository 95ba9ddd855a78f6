package states

import (
	"path/filepath"
	"testing"
)

// Files and diffs as salt-call --local (3006.1) left them.
func TestCommentLikeSalt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c1")
	before := "foo = 1\n  foo bar\n#foo = 2\nbar\n"
	writeFile(t, p, before)
	first := cycle(t, nil, "file.comment", p, map[string]any{"regex": "^foo"}, snapshotTree(t, dir))
	want(t, first, True(), true, "Commented lines successfully")
	if got := readFile(t, p); got != "#foo = 1\n  foo bar\n#foo = 2\nbar\n" {
		t.Errorf("file %q", got)
	}
	if d := first.Changes["diff"]; d != "--- \n+++ \n@@ -1,4 +1,4 @@\n-foo = 1\n+#foo = 1\n   foo bar\n #foo = 2\n bar\n" {
		t.Errorf("diff %q", d)
	}
	if got := readFile(t, p+".bak"); got != before {
		t.Errorf("backup %q", got)
	}
	// "  foo bar" still matches Salt's search for an uncommented foo, so
	// Salt (and Brine) say this, changing nothing
	res := apply(t, nil, "file.comment", p, map[string]any{"regex": "^foo"}, false)
	want(t, res, True(), false, "Commented lines successfully")
	writeFile(t, p, "#foo = 1\nbar\n")
	res = apply(t, nil, "file.comment", p, map[string]any{"regex": "^foo"}, true)
	want(t, res, True(), false, "Pattern already commented")
}

func TestUncommentLikeSalt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c2")
	writeFile(t, p, "#foo = 1\n#  foo bar\n## foo x\nbar\n")
	first := cycle(t, nil, "file.uncomment", p, map[string]any{"regex": "foo"}, snapshotTree(t, dir))
	want(t, first, True(), true, "Uncommented lines successfully")
	if got := readFile(t, p); got != "foo = 1\n  foo bar\n## foo x\nbar\n" {
		t.Errorf("file %q", got)
	}
	// "## foo x" still matches Salt's search for a commented foo
	res := apply(t, nil, "file.uncomment", p, map[string]any{"regex": "foo"}, true)
	want(t, res, True(), false, "Uncommented lines successfully")
	writeFile(t, p, "foo = 1\nbar\n")
	res = apply(t, nil, "file.uncomment", p, map[string]any{"regex": "foo"}, true)
	want(t, res, True(), false, "Pattern already uncommented")
}

func TestCommentCharAndBackup(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ini")
	writeFile(t, p, "key=1\nother=2\n")
	res := apply(t, nil, "file.comment", p, map[string]any{"regex": "^key=", "char": ";", "backup": false}, false)
	want(t, res, True(), true)
	if got := readFile(t, p); got != ";key=1\nother=2\n" {
		t.Errorf("file %q", got)
	}
	if m, _ := filepath.Glob(p + ".*"); len(m) != 0 {
		t.Errorf("backup False kept %v", m)
	}
	res = apply(t, nil, "file.uncomment", p, map[string]any{"regex": "key=", "char": ";"}, false)
	want(t, res, True(), true)
	if got := readFile(t, p); got != "key=1\nother=2\n" {
		t.Errorf("file %q", got)
	}
}

func TestCommentFailures(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, "a\n")
	wantFail(t, apply(t, nil, "file.comment", p, map[string]any{"regex": "^nothere"}, false), "nothere: Pattern not found")
	res := apply(t, nil, "file.comment", p, map[string]any{"regex": "^nothere", "ignore_missing": true}, false)
	want(t, res, True(), false, "Pattern not found and ignore_missing set to True")
	wantFail(t, apply(t, nil, "file.uncomment", p, map[string]any{"regex": "nothere"}, false), "nothere: Pattern not found")
	wantFail(t, apply(t, nil, "file.comment", filepath.Join(dir, "missing"), map[string]any{"regex": "a"}, false), "file not found")
	wantFail(t, apply(t, nil, "file.comment", p, map[string]any{"regex": "(a"}, false), "argument 'regex' is not a valid regular expression")
	res = apply(t, nil, "file.comment", p, map[string]any{"regex": "^a", "regx": "b"}, true)
	want(t, res, nil, true, "'regx' is an invalid keyword argument for 'file.comment'")
	if got := readFile(t, p); got != "a\n" {
		t.Errorf("file changed: %q", got)
	}
}
