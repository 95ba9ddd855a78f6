package modules

import (
	"context"

	"github.com/brine-cm/brine/proto"
)

func init() {
	Register("event.send", `Fire an event on the master's event bus. The master adds this minion's id to the data and refuses tags in the system's namespaces (salt/..., brine/...) other than salt/minion/<this id>/...; extra key=value arguments are added to the data.

CLI Example:

    ctl '*' event.send myco/deploy/done '{"version": "1.2"}'`, eventSend)
}

func eventSend(_ context.Context, env *Env, c Call) (any, error) {
	tag, err := c.String(0, "tag", nil)
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	if v, ok := c.value(1, "data"); ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, proto.Errorf(proto.ErrBadArgument, "event.send: data must be a mapping")
		}
		for k, x := range m {
			data[k] = x
		}
	}
	for k, v := range c.Kwargs {
		if k != "tag" && k != "data" {
			data[k] = v
		}
	}
	if err := proto.CheckMinionTag(env.ID, tag); err != nil {
		return nil, proto.Errorf(proto.ErrBadArgument, "event.send: %v", err)
	}
	if env.FireEvent == nil {
		return nil, proto.Errorf(proto.ErrExecution, "event.send needs a master")
	}
	if err := env.FireEvent(tag, data); err != nil {
		return nil, err
	}
	return true, nil
}
