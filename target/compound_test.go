package target

import (
	"strings"
	"testing"
)

func TestCompound(t *testing.T) {
	all := "web1 web2 db1 db2 mon-1.example.com bare"
	runMatchCases(t, "compound", []matchCase{
		{"G@roles:web and not G@env:test or L@db1,db2 or web*", "web1 web2 db1 db2"},
		{"G@roles:web and not G@env:test", "web1"},
		{"G@roles:web and not G@env:test or L@db2", "web1 db2"},
		{"web*", "web1 web2"},
		{"*", all},
		{"not G@os:Ubuntu", "db1 db2 mon-1.example.com bare"},
		{"not not G@os:Ubuntu", "web1 web2"},
		{"not not not G@os:Ubuntu", "db1 db2 mon-1.example.com bare"},
		// precedence: not > and > or
		{"web2 or db* and G@ssd:true", "web2 db1"},
		{"db* and G@ssd:true or web2", "web2 db1"},
		{"not web* and db1", "db1"},
		{"not web* or web1", "web1 db1 db2 mon-1.example.com bare"},
		{"G@env:prod and G@roles:db or G@os:FreeBSD", "db1 mon-1.example.com"},
		// parentheses, alone or attached
		{"web* and G@env:prod or G@os:CentOS", "web1 db1"},
		{"web* and ( G@env:prod or G@os:CentOS )", "web1"},
		{"web* and (G@env:prod or G@os:CentOS)", "web1"},
		{"( web* and ( G@env:prod or G@os:CentOS ) )", "web1"},
		{"((web* and (G@env:prod or G@os:CentOS)))", "web1"},
		{"not(G@os:Ubuntu)", "db1 db2 mon-1.example.com bare"},
		{"not (web* or db*)", "mon-1.example.com bare"},
		{"(web1)or(db1)", "web1 db1"},
		// Salt reads "a not b" as "a and not b"
		{"web* not web2", "web1"},
		{"(web*) not (web2)", "web1"},
		// term types
		{"P@os:(Ubuntu|CentOS) and not E@web2", "web1 db1"},
		{"(P@os:(Ubuntu|CentOS))", "web1 web2 db1"},
		{"( P@os:(Ubuntu|CentOS) )", "web1 web2 db1"},
		{"E@web(1|2)", "web1 web2"},
		{`E@mon-\d+\.`, "mon-1.example.com"},
		{"I@role:database", "db1 db2"},
		{`J@app:branch:release-\d`, "db1"},
		{"S@10.0.0.0/24 or S@192.168.1.10", "web1 web2 db2"},
		{"L@web1,bare", "web1 bare"},
		{"* and not L@bare", "web1 web2 db1 db2 mon-1.example.com"},
		{"G@num_cpus:16", "db1"},
		{"G@ipv6:2001:db8::11", "web1"},
		{"G@roles:[wd]*", "web1 web2 db1 db2"},
		// custom delimiters
		{"G;@ipv6;2001:db8::11", "web1"},
		{"G|@ec2|tags|Name|web1", "web1"},
		{"I/@app/branch/main", "web1"},
		{"P,@os,(Ubuntu|Debian)", "web1 web2 db2"},
		{"J,@role,data", "db1 db2"},
		// white space
		{"\tweb1\n or  db1 ", "web1 db1"},
		// a bare key:value is a glob on ids, as in Salt
		{"os:Ubuntu", ""},
		// operators are lower case; AND is an id glob
		{"AND or web1", "web1"},
	})
}

func TestCompoundErrors(t *testing.T) {
	runErrorCases(t, "compound", []errorCase{
		// empty
		{"", "empty target", -1},
		{"   ", "empty target", -1},
		// dangling operators
		{"G@x:y and", `expected a term after "and"`, 9},
		{"web* or", `expected a term after "or"`, 7},
		{"web* not", `expected a term after "not"`, 8},
		{"or web*", `expected a term at the start, found "or"`, 0},
		{"and", `expected a term at the start, found "and"`, 0},
		{"web* and and db1", `expected a term after "and", found "and"`, 9},
		{"web* and or db1", `expected a term after "and", found "or"`, 9},
		{"(and web*)", `expected a term after "(", found "and"`, 1},
		{"not", `expected a term after "not"`, 3},
		// unbalanced parentheses
		{"(web* or db1", `unbalanced parentheses: "(" is never closed`, 0},
		{"((web*)", `unbalanced parentheses: "(" is never closed`, 0},
		{"web* or db1)", `unbalanced parentheses: ")" without a matching "("`, 11},
		{")", `expected a term at the start, found ")"`, 0},
		{"()", `expected a term after "(", found ")"`, 1},
		{"(", `expected a term after "("`, 1},
		{"P@os:(Ubuntu))", `")" without a matching "("`, 13},
		// juxtaposed terms
		{"web1 web2", `expected and/or before "web2"`, 5},
		{"G@os:Ubuntu db1", `expected and/or before "db1"`, 12},
		{"(web1) (web2)", `expected and/or before "("`, 7},
		{"(web1 web2)", `expected and/or before "web2"`, 6},
		{"web* AND db1", `expected and/or before "AND"`, 5},
		{"web(1)", `expected and/or before "("`, 3},
		// unknown and unsupported term types
		{"Z@x", `unknown target type "Z@" in term "Z@x"`, 0},
		{"web* and Q@foo", `unknown target type "Q@"`, 9},
		{"N@group", `nodegroup "group" is not defined`, 0},
		{"R@%cluster", "range expressions (R@) are not supported", 0},
		// bad terms
		{"G@os", `grain term "G@os": grain target must have the form key:value (missing ":")`, 0},
		{"web* or G@os:[a", `grain term "G@os:[a": invalid glob: unterminated character class`, 13},
		{"E@web(", `pcre term "E@web(": invalid regular expression: missing closing )`, 0},
		{"P@os:(x", `grain_pcre term "P@os:(x": invalid regular expression: missing closing )`, 0},
		{"S@10.0.0.0/33", `ipcidr term "S@10.0.0.0/33": invalid CIDR network`, 0},
		{"L@", `empty pattern after "L@"`, 0},
		{"L@,", `list term "L@,": empty list`, 0},
		{"db1 or web[1", `glob term "web[1": invalid glob: unterminated character class`, 10},
		{"G;@os", `grain term "G;@os": grain target must have the form key;value (missing ";")`, 0},
		// nesting limits
		{strings.Repeat("(", maxCompoundDepth+1) + "a" + strings.Repeat(")", maxCompoundDepth+1), "too deeply nested", maxCompoundDepth},
		{strings.Repeat("not ", maxCompoundDepth+1) + "a", "too deeply nested", 4 * maxCompoundDepth},
	})
}

func TestCompoundNesting(t *testing.T) {
	minions := fixture(t)
	deep := strings.Repeat("(", maxCompoundDepth) + "web1" + strings.Repeat(")", maxCompoundDepth)
	if got := matchIDs(t, minions, "compound", deep); len(got) != 1 || got[0] != "web1" {
		t.Errorf("%d nested groups matched %q", maxCompoundDepth, got)
	}
	long := "web1" + strings.Repeat(" or web1 and not db1", 10000)
	if got := matchIDs(t, minions, "compound", long); len(got) != 1 || got[0] != "web1" {
		t.Errorf("a long chain matched %q", got)
	}
}

func TestCompoundErrorString(t *testing.T) {
	_, err := Compile("compound", "G@x:y and")
	want := `bad compound target "G@x:y and": expected a term after "and" at offset 9`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestTokenize(t *testing.T) {
	cases := []struct {
		in   string
		want string // tokens joined by spaces
	}{
		{"(G@a:b or web*)", "( G@a:b or web* )"},
		{"not(web*)", "not ( web* )"},
		{"((a))", "( ( a ) )"},
		{"P@os:(a|b))", "P@os:(a|b) )"},
		{`E@a\)`, `E@a\)`},
		{`E@a[)])`, `E@a[)] )`},
		{"E@(a)))", "E@(a) ) )"},
	}
	for _, c := range cases {
		var got []string
		for _, tok := range tokenize(c.in) {
			if tok.kind != tokEOF {
				got = append(got, tok.text)
				if c.in[tok.pos:tok.pos+len(tok.text)] != tok.text {
					t.Errorf("tokenize(%q): token %q at wrong position %d", c.in, tok.text, tok.pos)
				}
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("tokenize(%q) = %q, want %q", c.in, strings.Join(got, " "), c.want)
		}
	}
}
