package target

import "testing"

func TestGlob(t *testing.T) {
	runMatchCases(t, "glob", []matchCase{
		{"*", "web1 web2 db1 db2 mon-1.example.com bare"},
		{"web*", "web1 web2"},
		{"  web*  ", "web1 web2"},
		{"web1", "web1"},
		{"web?", "web1 web2"},
		{"*1", "web1 db1"},
		{"*b*", "web1 web2 db1 db2 bare"},
		{"[dw]*[2]", "web2 db2"},
		{"[!w]*", "db1 db2 mon-1.example.com bare"},
		{"[^w]*", "db1 db2 mon-1.example.com bare"},
		{"*.example.com", "mon-1.example.com"},
		{"mon-[0-9].*", "mon-1.example.com"},
		{"d?[1-1]", "db1"},
		{"nothing*", ""},
		{"WEB*", ""}, // case-sensitive, like fnmatch on POSIX
	})
}

func TestGlobErrors(t *testing.T) {
	runErrorCases(t, "glob", []errorCase{
		{"web[12", "unterminated character class", 3},
		{"[]", "unterminated character class", 0},
		{"[z-a]*", `character range "z-a" is out of order`, 1},
		{`web\`, "trailing backslash", 3},
		{"  [a", "unterminated character class", 2},
		{"", "empty target", -1},
		{" \t", "empty target", -1},
	})
}
