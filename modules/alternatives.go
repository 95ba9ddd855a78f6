package modules

import (
	"context"
	"os"
	"path/filepath"
)

// alternativesDir is where Debian's (and Red Hat's) alternatives
// system keeps its links.
const alternativesDir = "/etc/alternatives"

func init() {
	Register("alternatives.show_current", `Return the current target of the alternatives link name (/etc/alternatives/NAME), or False when there is none. Like Salt's, the module is unavailable on hosts without /etc/alternatives.

CLI Example:

    ctl '*' alternatives.show_current editor`, alternativesShowCurrent)
}

func alternativesShowCurrent(ctx context.Context, env *Env, c Call) (any, error) {
	name, err := c.String(0, "name", nil)
	if err != nil {
		return nil, err
	}
	return showCurrent(ctx, env, alternativesDir, name)
}

// showCurrent is Salt's alternatives.show_current reading the links
// under dir.
func showCurrent(ctx context.Context, env *Env, dir, name string) (any, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, execErr("Cannot load alternatives module: %s dir not found", dir)
	}
	t, err := os.Readlink(filepath.Join(dir, name))
	if err != nil {
		env.logger().ErrorContext(ctx, "alternative does not exist", "name", name)
		return false, nil
	}
	return t, nil
}
