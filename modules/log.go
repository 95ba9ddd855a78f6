package modules

import (
	"context"
	"log/slog"

	"github.com/brine-cm/brine/internal/coerce"
)

// The log module: write a message into the minion's log, as Salt's
// salt.modules.log does into the salt-minion log.

func init() {
	for _, l := range []struct {
		name  string
		level slog.Level
	}{
		{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"warning", slog.LevelWarn},
		{"error", slog.LevelError}, {"critical", slog.LevelError + 4}, {"exception", slog.LevelError},
	} {
		Register("log."+l.name, `Write message into the minion's log at level `+l.name+`; returns null.

CLI Example:

    ctl '*' log.`+l.name+` 'Please do not remove this file'`, logAt(l.level))
	}
}

func logAt(level slog.Level) Func {
	return func(ctx context.Context, env *Env, c Call) (any, error) {
		v, ok := c.value(0, "message")
		if !ok {
			return nil, missingArg("message")
		}
		msg, isStr := coerce.String(v)
		if !isStr {
			msg = coerce.Describe(v)
		}
		env.logger().Log(ctx, level, msg, "source", "log module")
		return nil, nil
	}
}
