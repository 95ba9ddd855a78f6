package target

import "testing"

func TestPillar(t *testing.T) {
	runMatchCases(t, "pillar", []matchCase{
		{"role:database", "db1 db2"},
		{"role:*", "web1 db1 db2"},
		{"app:branch:main", "web1"},
		{"app:branch:release-*", "db1"},
		{"app:replicas:3", "web1"},
		{"app:branch", "web1 db1"}, // a key of the dict
		{"mysql:enabled:True", "db2"},
		{"os:Ubuntu", ""}, // grains are not pillar
	})
}

func TestPillarPCRE(t *testing.T) {
	runMatchCases(t, "pillar_pcre", []matchCase{
		{"role:(front|data)", "web1 db1 db2"},
		{`app:branch:release-\d+\.\d+$`, "db1"},
		{"app:branch:ma", "web1"},
	})
}

func TestPillarErrors(t *testing.T) {
	runErrorCases(t, "pillar", []errorCase{
		{"role", `pillar target must have the form key:value`, -1},
	})
	runErrorCases(t, "pillar_pcre", []errorCase{
		{"role:(x", "missing closing )", -1},
	})
}
