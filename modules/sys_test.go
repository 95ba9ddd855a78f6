package modules

import (
	"reflect"
	"testing"
)

func TestSysListFunctions(t *testing.T) {
	all := mustCall(t, nil, "sys.list_functions", nil, nil).([]any)
	if len(all) != len(Names()) {
		t.Errorf("all = %v", all)
	}
	for _, tc := range []struct {
		args []any
		want []any
	}{
		{[]any{"sys"}, []any{"sys.doc", "sys.list_functions", "sys.list_modules"}},
		{[]any{"sys."}, []any{"sys.doc", "sys.list_functions", "sys.list_modules"}},
		{[]any{"cmd.run*"}, []any{"cmd.run", "cmd.run_all"}},
		{[]any{"sys.list_*", "test.ping"}, []any{"sys.list_functions", "sys.list_modules", "test.ping"}},
		{[]any{"sy"}, []any{}},
		{[]any{"nosuch.*"}, []any{}},
	} {
		if got := mustCall(t, nil, "sys.list_functions", tc.args, nil); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("sys.list_functions %v = %v, want %v", tc.args, got, tc.want)
		}
	}
	wantBadArg(t, "sys.list_functions", []any{[]any{"sys"}}, nil, nil, "'module'")
	wantBadArg(t, "sys.list_functions", []any{"[sys.*"}, nil, nil, "glob")
}

func TestSysDoc(t *testing.T) {
	all := mustCall(t, nil, "sys.doc", nil, nil).(map[string]any)
	if len(all) != len(Names()) {
		t.Errorf("sys.doc has %d entries, want %d", len(all), len(Names()))
	}
	one := mustCall(t, nil, "sys.doc", []any{"cmd.run"}, nil).(map[string]any)
	f, _ := Lookup("cmd.run")
	if len(one) != 1 || one["cmd.run"] != f.Doc {
		t.Errorf("sys.doc cmd.run = %v", one)
	}
	mod := mustCall(t, nil, "sys.doc", []any{"test"}, nil).(map[string]any)
	if len(mod) != 5 {
		t.Errorf("sys.doc test has %d entries", len(mod))
	}
	if got := mustCall(t, nil, "sys.doc", []any{"no.such"}, nil); !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("sys.doc no.such = %v", got)
	}
	wantBadArg(t, "sys.doc", []any{map[string]any{}}, nil, nil, "'function'")
}

func TestSysListModules(t *testing.T) {
	got := mustCall(t, nil, "sys.list_modules", nil, nil)
	if want := []any{"alternatives", "archive", "cmd", "config", "cp", "event", "file", "git", "grains", "group", "log", "mine", "network", "npm", "pillar",
		"pip", "pkg", "saltutil", "schedule", "service", "slsutil", "smtp", "state", "supervisord", "sys", "test", "user"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sys.list_modules = %v", got)
	}
	got = mustCall(t, nil, "sys.list_modules", []any{"s*"}, nil)
	if want := []any{"saltutil", "schedule", "service", "slsutil", "smtp", "state", "supervisord", "sys"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sys.list_modules s* = %v", got)
	}
	wantBadArg(t, "sys.list_modules", []any{[]any{}}, nil, nil, "'module'")
	wantBadArg(t, "sys.list_modules", []any{"["}, nil, nil, "glob")
}
