package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[hostAbsentArgs]{
		Name: "host.absent",
		Doc: `Ensure host names are not in the hosts file (Env.HostsFile, default /etc/hosts).

name: the host name, or names: a list of them. ip: an address or a list; without it the names are removed from every address. Lines left with no names are dropped; other lines and comments are kept.
Changes: {"removed": {ip: [names]}}.`,
		Apply: hostAbsent,
	})
}

// hostAbsentArgs are host.absent's arguments.
type hostAbsentArgs struct {
	hostArgs
	IP hostIPs `salt:"ip"`
}

func hostAbsent(ctx context.Context, env *Env, call Call, a *hostAbsentArgs) Result {
	names, err := a.names(call)
	if err != nil {
		return failErr(call.Name, err)
	}
	ips := []string(a.IP)

	path := env.hostsFile()
	h, err := readHosts(path)
	if err != nil {
		return fail(call.Name, "Unable to read %s: %v", path, err)
	}
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	var comments []string
	for _, name := range names {
		targets := ips
		if len(targets) == 0 {
			targets = h.ipsOf(name)
			if len(targets) == 0 {
				comments = append(comments, fmt.Sprintf("Host %s already absent", name))
			}
		}
		for _, ip := range targets {
			if !h.has(ip, name) {
				comments = append(comments, fmt.Sprintf("Host %s (%s) already absent", name, ip))
				continue
			}
			h.remove(ip, name)
			addChange(ret.Changes, "removed", ip, name)
			if call.Test {
				comments = append(comments, fmt.Sprintf("Host %s (%s) needs to be removed", name, ip))
			} else {
				comments = append(comments, fmt.Sprintf("Removed host %s (%s)", name, ip))
			}
		}
	}
	return finishHosts(h, call, ret, comments, "remove", names)
}
