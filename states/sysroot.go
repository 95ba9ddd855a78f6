package states

import (
	"os/exec"
	"path/filepath"
)

// sysPath is the system file p (an absolute path such as /etc/timezone)
// under env.SysRoot.
func (env *Env) sysPath(p string) string {
	if env == nil || env.SysRoot == "" || env.SysRoot == "/" {
		return p
	}
	return filepath.Join(env.SysRoot, p)
}

// hasCommand reports whether name is a program on PATH (Salt's
// salt.utils.path.which).
func hasCommand(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
