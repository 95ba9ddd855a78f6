package runners

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/brine-cm/brine/internal/coerce"
)

// The cloud runner: salt-cloud's cloud.* functions, over the master's
// cloud manager (docs/cloud.md).

// Cloud is the master's cloud provisioning.
type Cloud interface {
	// CloudCreate makes the named nodes from profile, in parallel, and
	// returns each one's outcome; wait bounds a node's join and startup
	// states.
	CloudCreate(ctx context.Context, profile string, names []string, wait time.Duration) (map[string]any, error)
	// CloudDestroy terminates the nodes and forgets their minions.
	CloudDestroy(ctx context.Context, names []string) (map[string]any, error)
	// CloudList is {provider: {driver: {name: {...}}}}.
	CloudList(ctx context.Context) (map[string]any, error)
	// CloudShow is {name: {...}}; an unknown name is a proto.ErrNotFound.
	CloudShow(ctx context.Context, names []string) (map[string]any, error)
	// CloudAction runs a driver action (stop, start, reboot, ...) on
	// the nodes req names, or on the instances carrying req's tags.
	CloudAction(ctx context.Context, req CloudActionRequest) (map[string]any, error)
	// CloudListProfiles shows the profiles (of provider, if not ""),
	// without credentials.
	CloudListProfiles(provider string) map[string]any
}

// CloudActionRequest says what cloud.action acts on.
type CloudActionRequest struct {
	Action string
	// Names are nodes the master created. With Tags they narrow the
	// tagged instances down to those named (Name tag or instance id).
	Names []string
	// Tags select instances at the provider, whoever started them (an
	// off-hours policy stops every tagged machine): all must match.
	Tags []CloudTag
	// Provider limits the tag search to one provider; "": every
	// provider whose driver can search by tag.
	Provider string
}

// CloudTag is one tag condition: Key with Value, or with any value.
type CloudTag struct {
	Key, Value string
	Any        bool
}

// String is the condition as cloud.action's tag= argument writes it.
func (t CloudTag) String() string {
	if t.Any {
		return t.Key
	}
	return t.Key + "=" + t.Value
}

// DefaultCloudWait bounds how long cloud.create waits for a node to join
// and run its startup states (wait=SECONDS).
const DefaultCloudWait = 15 * time.Minute

func init() {
	Register("cloud.create", `Create nodes from a cloud profile, in parallel, and wait until each has joined with its join token and run its startup_states. wait= bounds that, in seconds (default 900).

CLI Example:

    ctl run cloud.create web-local web-1 web-2
    ctl run cloud.create profile=web names=[web-1,web-2]`, cloudCreate)
	Register("cloud.profile", `Alias of cloud.create (salt-cloud's cloud.profile PROFILE INSTANCES).

CLI Example:

    ctl run cloud.profile web-local web-1`, cloudCreate)
	Register("cloud.destroy", `Terminate nodes and delete their minions' keys, grains and mine data.

CLI Example:

    ctl run cloud.destroy web-1 web-2`, cloudDestroy)
	Register("cloud.list", `List the nodes the master created: {provider: {driver: {name: {...}}}}.

CLI Example:

    ctl run cloud.list`, cloudList)
	Register("cloud.query", `Alias of cloud.list.

CLI Example:

    ctl run cloud.query`, cloudList)
	Register("cloud.show", `Show nodes by name.

CLI Example:

    ctl run cloud.show web-1`, cloudShow)
	Register("cloud.action", `Run a provider action on nodes: stop, start, reboot (ec2 also show_instance).

The nodes are named (nodes the master created), or selected at the provider by tag: tag=KEY=VALUE (several comma-separated, all must match; a bare KEY matches any value) or tags={KEY: VALUE}, optionally narrowed to provider= and to names (Name tag or instance id). Instances already in the wanted state are left alone, so a schedule may repeat it (off hours: stop at night, start in the morning).

CLI Example:

    ctl run cloud.action stop web-1
    ctl run cloud.action func=reboot instances=web-1,web-2
    ctl run cloud.action stop tag=offhours=on provider=aws`, cloudAction)
	Register("cloud.list_profiles", `List the cloud profiles (of one provider, if named), without credentials.

CLI Example:

    ctl run cloud.list_profiles
    ctl run cloud.list_profiles provider=aws`, cloudListProfiles)
}

func needCloud(env Env, call Call) (Cloud, error) {
	return Need[Cloud](env, call, "cloud provisioning")
}

// cloudNames collects instance names from the positional args from index
// i and the kwargs names/instances/name (a list or "a,b").
func cloudNames(call Call, i int) ([]string, error) {
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
					return BadArg("%s: instance name %s is not a string", call.Fun, coerce.Describe(e))
				}
				out = append(out, s)
			}
		case nil:
		default:
			return BadArg("%s: instance names must be strings, not %s", call.Fun, coerce.Describe(v))
		}
		return nil
	}
	for ; i < len(call.Args); i++ {
		if err := add(call.Args[i]); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"names", "instances", "name"} {
		if err := add(call.Kwargs[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func cloudCreate(ctx context.Context, env Env, call Call) (any, error) {
	c, err := needCloud(env, call)
	if err != nil {
		return nil, err
	}
	profile, first := "", 0
	for _, k := range []string{"profile", "prof"} {
		if v, ok := call.Kwargs[k].(string); ok && profile == "" {
			profile = v
		}
	}
	if profile == "" && len(call.Args) > 0 {
		profile, _ = call.Args[0].(string)
		first = 1
	}
	if profile == "" {
		return nil, BadArg("%s needs a profile: %s PROFILE NAME...", call.Fun, call.Fun)
	}
	names, err := cloudNames(call, first)
	if err != nil {
		return nil, err
	}
	wait := DefaultCloudWait
	if v, ok := call.Kwargs["wait"]; ok && v != nil {
		secs, isNum := coerce.Float(v)
		if !isNum || secs <= 0 {
			return nil, BadArg("%s: wait must be a positive number of seconds, got %s", call.Fun, coerce.Describe(v))
		}
		wait = time.Duration(secs * float64(time.Second))
	}
	return c.CloudCreate(ctx, profile, names, wait)
}

func cloudDestroy(ctx context.Context, env Env, call Call) (any, error) {
	c, err := needCloud(env, call)
	if err != nil {
		return nil, err
	}
	names, err := cloudNames(call, 0)
	if err != nil {
		return nil, err
	}
	return c.CloudDestroy(ctx, names)
}

func cloudList(ctx context.Context, env Env, call Call) (any, error) {
	c, err := needCloud(env, call)
	if err != nil {
		return nil, err
	}
	return c.CloudList(ctx)
}

func cloudShow(ctx context.Context, env Env, call Call) (any, error) {
	c, err := needCloud(env, call)
	if err != nil {
		return nil, err
	}
	names, err := cloudNames(call, 0)
	if err != nil {
		return nil, err
	}
	return c.CloudShow(ctx, names)
}

func cloudAction(ctx context.Context, env Env, call Call) (any, error) {
	c, err := needCloud(env, call)
	if err != nil {
		return nil, err
	}
	action, first := "", 1
	if v, ok := call.Kwargs["func"].(string); ok {
		action, first = v, 0
	} else if len(call.Args) > 0 {
		action, _ = call.Args[0].(string)
	}
	if action == "" {
		return nil, BadArg("%s needs an action: %s ACTION NAME...", call.Fun, call.Fun)
	}
	names, err := cloudNames(call, first)
	if err != nil {
		return nil, err
	}
	tags, err := cloudTags(call)
	if err != nil {
		return nil, err
	}
	provider := ""
	if v, ok := call.Kwargs["provider"]; ok && v != nil {
		if provider, ok = v.(string); !ok {
			return nil, BadArg("%s: provider must be a string, not %s", call.Fun, coerce.Describe(v))
		}
		if len(tags) == 0 {
			return nil, BadArg("%s: provider= only goes with tag= (named nodes know their provider)", call.Fun)
		}
	}
	if len(names) == 0 && len(tags) == 0 {
		return nil, BadArg("%s needs instance names or tag=KEY=VALUE: %s ACTION NAME... or %s ACTION tag=KEY=VALUE", call.Fun, call.Fun, call.Fun)
	}
	return c.CloudAction(ctx, CloudActionRequest{Action: action, Names: names, Tags: tags, Provider: provider})
}

// cloudTags reads tag= ("k=v,k2=v2", a bare key matching any value, or a
// list of those) and tags= (a mapping; a null value matches any value).
func cloudTags(call Call) ([]CloudTag, error) {
	var out []CloudTag
	seen := map[string]bool{}
	add := func(t CloudTag) error {
		if t.Key == "" {
			return BadArg("%s: a tag condition needs a key", call.Fun)
		}
		if seen[t.Key] {
			return BadArg("%s: tag %s given twice", call.Fun, t.Key)
		}
		seen[t.Key] = true
		out = append(out, t)
		return nil
	}
	parse := func(s string) error {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, v, ok := strings.Cut(part, "=")
			if err := add(CloudTag{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), Any: !ok}); err != nil {
				return err
			}
		}
		return nil
	}
	switch x := call.Kwargs["tag"].(type) {
	case nil:
	case string:
		if err := parse(x); err != nil {
			return nil, err
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, BadArg("%s: tag= entries must be KEY=VALUE strings, not %s", call.Fun, coerce.Describe(e))
			}
			if err := parse(s); err != nil {
				return nil, err
			}
		}
	default:
		return nil, BadArg("%s: tag= must be KEY=VALUE (or a list of them), not %s; use tags= for a mapping", call.Fun, coerce.Describe(x))
	}
	if v, ok := call.Kwargs["tags"]; ok && v != nil {
		m, ok := coerce.Map(v)
		if !ok {
			return nil, BadArg("%s: tags= must be a mapping of tag keys to values, not %s", call.Fun, coerce.Describe(v))
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t := CloudTag{Key: k, Any: m[k] == nil}
			if !t.Any {
				s, ok := coerce.String(m[k])
				if !ok {
					return nil, BadArg("%s: tags: %s must be a string, not %s", call.Fun, k, coerce.Describe(m[k]))
				}
				t.Value = s
			}
			if err := add(t); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func cloudListProfiles(_ context.Context, env Env, call Call) (any, error) {
	c, err := needCloud(env, call)
	if err != nil {
		return nil, err
	}
	provider, _ := call.String(0, "provider")
	return c.CloudListProfiles(provider), nil
}
