package target_test

import (
	"fmt"

	"github.com/brine-cm/brine/target"
)

func ExampleCompile() {
	minions := []*target.Minion{
		{ID: "web1", Grains: map[string]any{"roles": []any{"web"}, "env": "prod"}},
		{ID: "web2", Grains: map[string]any{"roles": []any{"web"}, "env": "test"}},
		{ID: "db1", Grains: map[string]any{"roles": []any{"db"}, "env": "prod"}},
	}
	m, err := target.Compile("compound", "G@roles:web and not G@env:test or L@db1")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, mi := range minions {
		fmt.Println(mi.ID, m.Match(mi))
	}

	_, err = target.Compile("compound", "G@roles:web and")
	fmt.Println(err)
	// Output:
	// web1 true
	// web2 false
	// db1 true
	// bad compound target "G@roles:web and": expected a term after "and" at offset 15
}
