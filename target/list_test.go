package target

import "testing"

func TestList(t *testing.T) {
	runMatchCases(t, "list", []matchCase{
		{"web1,db1", "web1 db1"},
		{"web1, db1 ,  bare", "web1 db1 bare"},
		{"web1 db2", "web1 db2"}, // Salt also splits on white space
		{"web1,,web2,", "web1 web2"},
		{"web*", ""}, // exact ids, no globbing
		{"WEB1", ""},
		{"mon-1.example.com", "mon-1.example.com"},
	})
}

func TestListErrors(t *testing.T) {
	runErrorCases(t, "list", []errorCase{
		{"", "empty target", -1},
		{",", "empty list", -1},
		{" , ,", "empty list", -1},
	})
}
