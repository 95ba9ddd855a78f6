package runners

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/brine-cm/brine/proto"
)

// fakeCloud records what the cloud runners ask of the master.
type fakeCloud struct {
	got []any
}

func (f *fakeCloud) Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }
func (f *fakeCloud) CloudCreate(_ context.Context, profile string, names []string, wait time.Duration) (map[string]any, error) {
	f.got = []any{"create", profile, names, wait}
	return map[string]any{}, nil
}
func (f *fakeCloud) CloudDestroy(_ context.Context, names []string) (map[string]any, error) {
	f.got = []any{"destroy", names}
	return map[string]any{}, nil
}
func (f *fakeCloud) CloudList(context.Context) (map[string]any, error) {
	f.got = []any{"list"}
	return map[string]any{}, nil
}
func (f *fakeCloud) CloudShow(_ context.Context, names []string) (map[string]any, error) {
	f.got = []any{"show", names}
	return map[string]any{}, nil
}
func (f *fakeCloud) CloudAction(_ context.Context, req CloudActionRequest) (map[string]any, error) {
	f.got = []any{"action", req.Action, req.Names}
	if len(req.Tags) > 0 || req.Provider != "" {
		f.got = append(f.got, req.Tags, req.Provider)
	}
	return map[string]any{}, nil
}
func (f *fakeCloud) CloudListProfiles(provider string) map[string]any {
	f.got = []any{"profiles", provider}
	return map[string]any{}
}

// The cloud runners read salt-cloud's argument spellings.
func TestCloudRunnerArguments(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		fun    string
		args   []any
		kwargs map[string]any
		want   []any
	}{
		{"cloud.create", []any{"web", "a", "b"}, nil, []any{"create", "web", []string{"a", "b"}, DefaultCloudWait}},
		{"cloud.create", nil, map[string]any{"profile": "web", "names": []any{"a", "b"}, "wait": 30}, []any{"create", "web", []string{"a", "b"}, 30 * time.Second}},
		{"cloud.profile", []any{"web"}, map[string]any{"instances": "a,b"}, []any{"create", "web", []string{"a", "b"}, DefaultCloudWait}},
		{"cloud.create", []any{"a"}, map[string]any{"prof": "web"}, []any{"create", "web", []string{"a"}, DefaultCloudWait}},
		{"cloud.destroy", []any{"a", "b"}, nil, []any{"destroy", []string{"a", "b"}}},
		{"cloud.destroy", nil, map[string]any{"names": "a,b"}, []any{"destroy", []string{"a", "b"}}},
		{"cloud.list", nil, nil, []any{"list"}},
		{"cloud.query", nil, nil, []any{"list"}},
		{"cloud.show", []any{"a"}, nil, []any{"show", []string{"a"}}},
		{"cloud.action", []any{"stop", "a"}, nil, []any{"action", "stop", []string{"a"}}},
		{"cloud.action", nil, map[string]any{"func": "reboot", "instances": "a,b"}, []any{"action", "reboot", []string{"a", "b"}}},
		{"cloud.list_profiles", nil, map[string]any{"provider": "aws"}, []any{"profiles", "aws"}},
		{"cloud.action", []any{"stop"}, map[string]any{"tag": "offhours=on, team", "provider": "aws"},
			[]any{"action", "stop", []string(nil), []CloudTag{{Key: "offhours", Value: "on"}, {Key: "team", Any: true}}, "aws"}},
		{"cloud.action", []any{"start", "web-1"}, map[string]any{"tags": map[string]any{"offhours": "on", "env": nil}},
			[]any{"action", "start", []string{"web-1"}, []CloudTag{{Key: "env", Any: true}, {Key: "offhours", Value: "on"}}, ""}},
	} {
		f := &fakeCloud{}
		if _, err := Run(ctx, f, Call{Fun: tc.fun, Args: tc.args, Kwargs: tc.kwargs}); err != nil {
			t.Errorf("%s %v %v: %v", tc.fun, tc.args, tc.kwargs, err)
			continue
		}
		if !reflect.DeepEqual(f.got, tc.want) {
			t.Errorf("%s %v %v: got %#v, want %#v", tc.fun, tc.args, tc.kwargs, f.got, tc.want)
		}
	}
	for _, tc := range []struct {
		fun    string
		args   []any
		kwargs map[string]any
	}{
		{"cloud.create", nil, nil},
		{"cloud.create", []any{"web", "a"}, map[string]any{"wait": "soon"}},
		{"cloud.create", []any{"web", 7}, nil},
		{"cloud.action", nil, nil},
		{"cloud.action", []any{"stop"}, nil},
		{"cloud.action", []any{"stop"}, map[string]any{"tag": "a=1,a=2"}},
		{"cloud.action", []any{"stop"}, map[string]any{"tag": map[string]any{"a": "1"}}},
		{"cloud.action", []any{"stop", "web-1"}, map[string]any{"provider": "aws"}},
	} {
		_, err := Run(ctx, &fakeCloud{}, Call{Fun: tc.fun, Args: tc.args, Kwargs: tc.kwargs})
		wantKind(t, err, proto.ErrBadArgument, tc.fun)
	}
	// A master without cloud provisioning says so.
	_, err := Run(ctx, bareEnv{}, Call{Fun: "cloud.list"})
	wantKind(t, err, proto.ErrUnknownFunction, "cloud.list is not available on this master: it needs cloud provisioning")
}
