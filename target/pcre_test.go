package target

import "testing"

func TestPCRE(t *testing.T) {
	runMatchCases(t, "pcre", []matchCase{
		{"web", "web1 web2"},      // anchored at the start only, like re.match
		{"eb", ""},                // ... so not found in the middle
		{".*eb", "web1 web2"},     // unless asked for
		{`web\d$`, "web1 web2"},   // $ anchors the end
		{`(web|db)1`, "web1 db1"}, // groups
		{`mon-\d+\.example`, "mon-1.example.com"},
		{`(?i)WEB`, "web1 web2"}, // flags
		{"^db", "db1 db2"},       // an explicit ^ is harmless
		{".*", "web1 web2 db1 db2 mon-1.example.com bare"},
		{"x|b", "bare"}, // alternation is inside the anchor
	})
}

func TestPCREErrors(t *testing.T) {
	runErrorCases(t, "pcre", []errorCase{
		{"web(", "invalid regular expression: missing closing )", -1},
		{"a)(b", "invalid regular expression: unexpected )", -1}, // not hidden by the anchoring group
		{"[z-a]", "invalid character class range", -1},
		{`a(?=b)`, "invalid or unsupported Perl syntax", -1},
		{"*", "missing argument to repetition operator", -1},
	})
}
