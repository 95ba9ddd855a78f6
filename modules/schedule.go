package modules

import (
	"context"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/brine-cm/brine/proto"
)

// The schedule module: the minion's job scheduler, as configured by the
// `schedule:` of its config and pillar.

// Scheduler is the minion's job scheduler as the schedule module sees it;
// *schedule.Scheduler implements it. Errors are *proto.Error.
type Scheduler interface {
	// List describes each entry by name: its settings, enabled,
	// next_fire_time, running, last run; a bad entry shows its error.
	List() map[string]any
	// RunJob starts a run of entry name now and returns its job id.
	RunJob(name string, force bool) (jid string, err error)
	// EnableJob and DisableJob switch an entry on or off, in memory.
	EnableJob(name string) error
	DisableJob(name string) error
}

func init() {
	Register("schedule.list", `Return the minion's schedule (its config's and its pillar's schedule entries), keyed by entry name: each entry's function, args, kwargs, interval (seconds) or cron, splay, maxrunning, run_on_start and enabled, with next_fire_time (RFC 3339; null when it does not run), running (runs in progress), runs, skipped and the last run's time and jid. An entry that cannot run shows its error instead. With show_disabled=False disabled entries are left out; with return_yaml=True the schedule is returned as YAML text under "schedule:", as Salt prints it.

CLI Example:

    ctl '*' schedule.list
    ctl '*' schedule.list return_yaml=True`, scheduleList)

	Register("schedule.run_job", `Run the schedule entry name on the minion now, outside its schedule, as a new job whose return reaches the job cache; returns the job id. A disabled entry runs only with force=True, and an entry already running maxrunning times does not run.

CLI Example:

    ctl '*' schedule.run_job backup
    ctl '*' schedule.run_job backup force=True`, scheduleRunJob)

	Register("schedule.enable_job", `Enable the schedule entry name: it runs again on its schedule, its timing starting now. The change is kept in memory until the minion restarts or the entry's definition changes.

CLI Example:

    ctl '*' schedule.enable_job backup`, scheduleEnableJob)

	Register("schedule.disable_job", `Disable the schedule entry name: it does not run on its schedule until enabled again. The change is kept in memory until the minion restarts or the entry's definition changes.

CLI Example:

    ctl '*' schedule.disable_job backup`, scheduleDisableJob)
}

func scheduler(env *Env) (Scheduler, error) {
	if env == nil || env.Schedule == nil {
		return nil, proto.Errorf(proto.ErrExecution, "the scheduler is not available on this minion")
	}
	return env.Schedule, nil
}

func scheduleList(ctx context.Context, env *Env, c Call) (any, error) {
	s, err := scheduler(env)
	if err != nil {
		return nil, err
	}
	showDisabled, err := c.Bool(-1, "show_disabled", ptr(true))
	if err != nil {
		return nil, err
	}
	asYAML, err := c.Bool(-1, "return_yaml", ptr(false))
	if err != nil {
		return nil, err
	}
	list := s.List()
	if !showDisabled {
		for name, v := range list {
			if d, ok := v.(map[string]any); ok && d["enabled"] == false {
				delete(list, name)
			}
		}
	}
	if !asYAML {
		return list, nil
	}
	b, err := yaml.Marshal(map[string]any{"schedule": list})
	if err != nil {
		return nil, fmt.Errorf("schedule.list: %w", err)
	}
	return string(b), nil
}

func scheduleName(c Call) (string, error) {
	name, err := c.String(0, "name", nil)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", badArg("argument 'name' must not be empty")
	}
	return name, nil
}

func scheduleRunJob(ctx context.Context, env *Env, c Call) (any, error) {
	s, err := scheduler(env)
	if err != nil {
		return nil, err
	}
	name, err := scheduleName(c)
	if err != nil {
		return nil, err
	}
	force, err := c.Bool(1, "force", ptr(false))
	if err != nil {
		return nil, err
	}
	jid, err := s.RunJob(name, force)
	if err != nil {
		return nil, err
	}
	env.logger().InfoContext(ctx, "schedule entry run by request", "name", name, "jid", jid)
	return map[string]any{"result": true, "comment": fmt.Sprintf("Scheduling Job %s on minion.", name), "jid": jid}, nil
}

func scheduleEnableJob(ctx context.Context, env *Env, c Call) (any, error) {
	return scheduleSwitch(env, c, true)
}

func scheduleDisableJob(ctx context.Context, env *Env, c Call) (any, error) {
	return scheduleSwitch(env, c, false)
}

func scheduleSwitch(env *Env, c Call, on bool) (any, error) {
	s, err := scheduler(env)
	if err != nil {
		return nil, err
	}
	name, err := scheduleName(c)
	if err != nil {
		return nil, err
	}
	word := "Disabled"
	if on {
		err = s.EnableJob(name)
		word = "Enabled"
	} else {
		err = s.DisableJob(name)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"result": true, "comment": fmt.Sprintf("%s Job %s in schedule.", word, name), "changes": map[string]any{name: map[bool]string{true: "enabled", false: "disabled"}[on]}}, nil
}
