package minion

import (
	"reflect"
	"testing"
)

func TestStartupJob(t *testing.T) {
	for _, tc := range []struct {
		in      any
		ok      bool
		fun     string
		arg     []any
		wantErr bool
	}{
		{in: nil},
		{in: ""},
		{in: "highstate", ok: true, fun: "state.highstate"},
		{in: []any{"web", "db"}, ok: true, fun: "state.sls", arg: []any{[]any{"web", "db"}}},
		{in: "web, db", ok: true, fun: "state.sls", arg: []any{[]any{"web", "db"}}},
		{in: []any{}},
		{in: []any{"web", 3}, wantErr: true},
		{in: map[string]any{"sls": "web"}, wantErr: true},
	} {
		job, ok, err := startupJob(tc.in, "m1")
		if (err != nil) != tc.wantErr || ok != tc.ok {
			t.Errorf("%v: ok %v err %v", tc.in, ok, err)
			continue
		}
		if !ok {
			continue
		}
		if job.Fun != tc.fun || !reflect.DeepEqual(job.Arg, tc.arg) || job.Target.Expr != "m1" {
			t.Errorf("%v: job %+v", tc.in, job)
		}
	}
}
