package modules

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// The real getent, for root (present on every host).
func TestUserGroupInfo(t *testing.T) {
	if !hasExec("getent") {
		t.Skip("getent is not installed")
	}
	info := mustCall(t, nil, "user.info", []any{"root"}, nil).(map[string]any)
	if info["uid"] != 0 || info["gid"] != 0 || info["name"] != "root" || info["home"] == "" || info["shell"] == "" {
		t.Errorf("user.info root = %v", info)
	}
	groups := mustCall(t, nil, "user.list_groups", []any{"root"}, nil).([]any)
	if !slices.Contains(groups, any("root")) || !slices.IsSortedFunc(groups, func(a, b any) int {
		return map[bool]int{true: -1, false: 1}[a.(string) < b.(string)]
	}) {
		t.Errorf("list_groups root = %v", groups)
	}
	if !reflect.DeepEqual(info["groups"], groups) {
		t.Errorf("info groups %v != list_groups %v", info["groups"], groups)
	}
	if got := mustCall(t, nil, "user.info", []any{"brine-no-such-user"}, nil); !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("missing user: %v", got)
	}
	_, err := call(t, context.Background(), nil, "user.list_groups", []any{"brine-no-such-user"}, nil)
	wantKind(t, err, proto.ErrExecution, "does not exist")
	g := mustCall(t, nil, "group.info", []any{"root"}, nil).(map[string]any)
	if g["gid"] != 0 || g["name"] != "root" {
		t.Errorf("group.info root = %v", g)
	}
	if got := mustCall(t, nil, "group.info", []any{"brine-no-such-group"}, nil); !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("missing group: %v", got)
	}
	wantBadArg(t, "user.info", []any{"a:b"}, nil, nil, "invalid user name")
}

func TestUserGroupAddDelete(t *testing.T) {
	s := newStandIns(t, false)
	for _, tool := range []string{"useradd", "userdel", "groupadd"} {
		s.add(t, tool, "exit 0")
	}
	s.add(t, "groupdel", `echo "groupdel: group '$1' does not exist" >&2; exit 6`)
	for _, c := range []struct {
		fun  string
		args []any
		kw   map[string]any
		cmd  string
	}{
		{"user.add", []any{"deploy"}, nil, "useradd -m deploy"},
		{"user.add", []any{"deploy"}, map[string]any{"uid": 2001, "gid": "www-data", "groups": []any{"adm", "sudo"}, "home": "/srv/deploy", "shell": "/bin/bash", "fullname": "Deploy Bot", "workphone": "123", "system": true},
			"useradd -s /bin/bash -u 2001 -g www-data -d /srv/deploy -r -m -G adm,sudo -c Deploy Bot,,123 deploy"},
		{"user.add", []any{"svc"}, map[string]any{"createhome": false, "usergroup": true, "unique": false, "groups": "a,b"}, "useradd -U -o -M -G a,b svc"},
		{"user.delete", []any{"deploy"}, map[string]any{"remove": true, "force": true}, "userdel -r -f deploy"},
		{"group.add", []any{"deployers"}, map[string]any{"gid": 2000, "system": true}, "groupadd -g 2000 -r deployers"},
	} {
		if got := mustCall(t, nil, c.fun, c.args, c.kw); got != true {
			t.Errorf("%s = %v", c.fun, got)
		}
		if calls := s.calls(t); !slices.Equal(calls, []string{c.cmd}) {
			t.Errorf("%s %v ran %q, want %q", c.fun, c.kw, calls, c.cmd)
		}
	}
	_, err := call(t, context.Background(), nil, "group.delete", []any{"nope"}, nil)
	wantKind(t, err, proto.ErrExecution, "group.delete: ", "exit code 6", "group 'nope' does not exist")
	wantBadArg(t, "user.add", []any{"x"}, map[string]any{"fullname": "a:b"}, nil, "fullname")
}
