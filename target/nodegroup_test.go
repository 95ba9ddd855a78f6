package target

import (
	"strings"
	"testing"
)

func TestNodegroupsExpand(t *testing.T) {
	g := Nodegroups{
		"web":     "G@roles:web and not G@env:test",
		"db":      []any{"db1", "db2"},
		"all":     "N@web or N@db",
		"nested":  "(N@all) and not web2",
		"loop":    "N@loop2",
		"loop2":   "N@loop",
		"blank":   " ",
		"badlist": []any{"a,b"},
	}
	for _, c := range []struct{ kind, expr, wantKind, want string }{
		{"nodegroup", "web", "compound", "( G@roles:web and not G@env:test )"},
		{"nodegroup", "db", "compound", "L@db1,db2"},
		{"nodegroup", "all", "compound", "( ( G@roles:web and not G@env:test ) or L@db1,db2 )"},
		{"compound", "N@db and not db2", "compound", "L@db1,db2 and not db2"},
		{"compound", "(N@db) or web1", "compound", "(L@db1,db2) or web1"},
		{"nodegroup", "nested", "compound", "( (( ( G@roles:web and not G@env:test ) or L@db1,db2 )) and not web2 )"},
		{"glob", "N@web", "glob", "N@web"},
	} {
		k, e, err := g.Expand(c.kind, c.expr)
		if err != nil || k != c.wantKind || e != c.want {
			t.Errorf("Expand(%q, %q) = %q, %q, %v; want %q, %q", c.kind, c.expr, k, e, err, c.wantKind, c.want)
		}
	}
	for expr, want := range map[string]string{
		"loop":    `includes itself (loop -> loop2 -> loop)`,
		"nope":    `nodegroup "nope" is not defined (defined: all, badlist, blank, db, loop, loop2, nested, web)`,
		"blank":   `nodegroup "blank" is empty`,
		"badlist": `list items must be minion ids`,
	} {
		if _, _, err := g.Expand("nodegroup", expr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Expand(nodegroup, %q): err %v, want %q", expr, err, want)
		}
	}
	if _, _, err := (Nodegroups{}).Expand("compound", "N@x or web1"); err == nil || !strings.Contains(err.Error(), "setting is empty") {
		t.Errorf("no nodegroups: %v", err)
	}
	// Expanded, the groups match as their compound expressions do.
	minions := fixture(t)
	_, e, _ := g.Expand("nodegroup", "db")
	m, err := Compile("compound", e)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mi := range minions {
		if m.Match(mi) {
			got = append(got, mi.ID)
		}
	}
	if strings.Join(got, " ") != "db1 db2" {
		t.Errorf("N@db matched %v", got)
	}
}
