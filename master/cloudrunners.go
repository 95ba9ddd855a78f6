package master

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/brine-cm/brine/proto"
)

// The cloud.* runners, salt-cloud's runner functions:
//
//	cloud.create PROFILE NAME...        (also profile=, names=; alias cloud.profile)
//	cloud.destroy NAME...               (also names= / instances=)
//	cloud.list                          (alias cloud.query)
//	cloud.show NAME...
//	cloud.action ACTION NAME...         (also func=, instances=)
//	cloud.list_profiles [PROVIDER]
func (m *Master) cloudRunners() map[string]runner {
	return map[string]runner{
		"cloud.create":        m.runCloudCreate,
		"cloud.profile":       m.runCloudCreate,
		"cloud.destroy":       m.runCloudDestroy,
		"cloud.list":          m.runCloudList,
		"cloud.query":         m.runCloudList,
		"cloud.show":          m.runCloudShow,
		"cloud.action":        m.runCloudAction,
		"cloud.list_profiles": m.runCloudListProfiles,
	}
}

// DefaultCloudWait bounds how long cloud.create waits for a node to join
// and run its startup states (kwarg wait=SECONDS).
const DefaultCloudWait = 15 * time.Minute

// namesArg collects instance names from the positional args from index i
// and the kwargs names/instances (a list or a comma-separated string).
func namesArg(arg []any, kwarg map[string]any, i int) ([]string, error) {
	var out []string
	add := func(v any) error {
		switch x := v.(type) {
		case string:
			for _, s := range strings.Split(x, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return fmt.Errorf("instance name %v is not a string", e)
				}
				out = append(out, s)
			}
		case nil:
		default:
			return fmt.Errorf("instance names must be strings, not %v", v)
		}
		return nil
	}
	for ; i < len(arg); i++ {
		if err := add(arg[i]); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"names", "instances", "name"} {
		if err := add(kwarg[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m *Master) runCloudCreate(ctx context.Context, _ caller, arg []any, kwarg map[string]any) (any, error) {
	profile, first := "", 0
	for _, k := range []string{"profile", "prof"} {
		if v, ok := kwarg[k].(string); ok && profile == "" {
			profile = v
		}
	}
	if profile == "" && len(arg) > 0 {
		profile, _ = arg[0].(string)
		first = 1
	}
	if profile == "" {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.create needs a profile: cloud.create PROFILE NAME...")
	}
	names, err := namesArg(arg, kwarg, first)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadArgument, "%v", err)
	}
	wait := DefaultCloudWait
	if v, ok := kwarg["wait"].(float64); ok && v > 0 {
		wait = time.Duration(v * float64(time.Second))
	}
	return m.cloud.create(ctx, profile, names, wait)
}

func (m *Master) runCloudDestroy(ctx context.Context, _ caller, arg []any, kwarg map[string]any) (any, error) {
	names, err := namesArg(arg, kwarg, 0)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadArgument, "%v", err)
	}
	return m.cloud.destroy(ctx, names)
}

func (m *Master) runCloudList(ctx context.Context, _ caller, _ []any, _ map[string]any) (any, error) {
	return m.cloud.list(ctx)
}

func (m *Master) runCloudShow(ctx context.Context, _ caller, arg []any, kwarg map[string]any) (any, error) {
	names, err := namesArg(arg, kwarg, 0)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadArgument, "%v", err)
	}
	return m.cloud.show(ctx, names)
}

func (m *Master) runCloudAction(ctx context.Context, _ caller, arg []any, kwarg map[string]any) (any, error) {
	action, ok := argString(arg, kwarg, 0, "func")
	first := 1
	if _, kw := kwarg["func"]; kw {
		first = 0
	}
	if !ok {
		return nil, proto.Errorf(proto.ErrBadArgument, "cloud.action needs an action: cloud.action ACTION NAME...")
	}
	names, err := namesArg(arg, kwarg, first)
	if err != nil {
		return nil, proto.Errorf(proto.ErrBadArgument, "%v", err)
	}
	return m.cloud.action(ctx, action, names)
}

func (m *Master) runCloudListProfiles(_ context.Context, _ caller, arg []any, kwarg map[string]any) (any, error) {
	provider, _ := argString(arg, kwarg, 0, "provider")
	return m.cloud.listProfiles(provider), nil
}
