package states

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Shared by supervisord.running and supervisord.dead: supervisorctl,
// as Salt's salt.modules.supervisord runs it.

// supervisorArgs are the arguments both states share.
type supervisorArgs struct {
	User     string `salt:"user"`
	ConfFile string `salt:"conf_file"`
	BinEnv   string `salt:"bin_env"`
}

type supervisorctl struct {
	env  *Env
	path string
	pre  []string
	user string
}

func newSupervisorctl(env *Env, a *supervisorArgs) (supervisorctl, error) {
	s := supervisorctl{env: env, path: "supervisorctl", user: a.User}
	if a.BinEnv != "" {
		fi, err := os.Stat(a.BinEnv)
		switch {
		case err != nil:
			return s, fmt.Errorf("bin_env %s: %v", a.BinEnv, err)
		case fi.IsDir():
			s.path = filepath.Join(a.BinEnv, "bin", "supervisorctl")
		default:
			s.path = a.BinEnv
		}
	}
	if a.ConfFile != "" {
		s.pre = []string{"-c", a.ConfFile}
	}
	return s, nil
}

// run runs supervisorctl args and returns its output; failed is set when
// it reports an error other than the harmless ones Salt accepts
// (already started, not running, process group already active).
func (s supervisorctl) run(ctx context.Context, args ...string) (out string, failed bool, err error) {
	cmd := Command{Path: s.path, Args: append(append([]string{}, s.pre...), args...), User: s.user}
	res, err := s.env.run(ctx, cmd)
	if err != nil {
		return "", true, err
	}
	out = res.combined()
	harmless := strings.Contains(out, "already started") || strings.Contains(out, "not running") ||
		strings.Contains(out, "process group already active")
	if (strings.Contains(out, "ERROR") || res.Retcode != 0) && !harmless {
		if out == "" {
			out = fmt.Sprintf("%s exited with code %d", cmd.String(), res.Retcode)
		}
		return out, true, nil
	}
	return out, false, nil
}

// status maps each process (group:name for grouped ones) to its state.
func (s supervisorctl) status(ctx context.Context) (map[string]string, error) {
	cmd := Command{Path: s.path, Args: append(append([]string{}, s.pre...), "status"), User: s.user}
	res, err := s.env.run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	// Exit 3: some process is not running, a normal answer.
	if (res.Retcode != 0 && res.Retcode != 3) || strings.Contains(res.Stdout, "ERROR") ||
		strings.Contains(res.combined(), "refused connection") || strings.Contains(res.combined(), "no such file") {
		return nil, fmt.Errorf("%s failed (exit code %d): %s", cmd.String(), res.Retcode, res.combined())
	}
	out := map[string]string{}
	for _, l := range strings.Split(res.Stdout, "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			out[f[0]] = f[1]
		}
	}
	return out, nil
}

// supervisorStopped is Salt's _is_stopped_state.
func supervisorStopped(state string) bool {
	switch state {
	case "STOPPED", "STOPPING", "EXITED", "FATAL", "BACKOFF":
		return true
	}
	return false
}

// supervisorMatch finds name among the processes: a process, or a group
// (name ending in ":") and its processes. It returns the matched
// processes, sorted, whether name is a group, and whether any of them is
// stopped.
func supervisorMatch(procs map[string]string, name string) (matched []string, group, stopped bool) {
	if _, ok := procs[name]; ok {
		return []string{name}, false, supervisorStopped(procs[name])
	}
	if strings.HasSuffix(name, ":") {
		for p, st := range procs {
			if strings.HasPrefix(p, name) {
				matched = append(matched, p)
				stopped = stopped || supervisorStopped(st)
			}
		}
	}
	sort.Strings(matched)
	return matched, len(matched) > 0, stopped
}
