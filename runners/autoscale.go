package runners

import (
	"context"

	"github.com/brine-cm/brine/proto"
)

// The autoscale runner: what the master's autoscale engine offers an
// operator (docs/autoscale.md).

// Autoscale is the master's autoscale engine.
type Autoscale interface {
	// AutoscaleUserData is the boot script for group's launch template.
	AutoscaleUserData(group string) (string, error)
}

func init() {
	Register("autoscale.user_data", `Print the user data (boot script) for an Auto Scaling group's launch template: it downloads the minion from the master, writes its config (the group's minion: settings, the master's address, ec2_identity when the group sets require_identity) with the minion id made from the group's minion_id pattern and the instance id, and starts the minion.

CLI Example:

    ctl run autoscale.user_data web-asg --out txt`, autoscaleUserData)
}

func autoscaleUserData(_ context.Context, env Env, call Call) (any, error) {
	a, err := Need[Autoscale](env, call, "autoscale")
	if err != nil {
		return nil, err
	}
	group, ok := call.String(0, "group")
	if !ok || group == "" {
		return nil, proto.Errorf(proto.ErrBadArgument, "autoscale.user_data needs a group name")
	}
	return a.AutoscaleUserData(group)
}
