package states

import (
	"context"
	"fmt"
)

func init() {
	RegisterTyped(Typed[hostPresentArgs]{
		Name: "host.present",
		Doc: `Ensure host names resolve to an address in the hosts file (Env.HostsFile, default /etc/hosts).

name: the host name, or names: a list of them. ip: an address or a list of addresses. A name found on another address of the same family (IPv4 or IPv6) is moved off it; clean: True removes it from addresses of either family. Other lines and comments are kept.
Changes: {"added": {ip: [names]}, "removed": {ip: [names]}}.`,
		Apply: hostPresent,
	})
}

// hostPresentArgs are host.present's arguments.
type hostPresentArgs struct {
	hostArgs
	IP    hostIPs `salt:"ip,required"`
	Clean bool    `salt:"clean"`
}

// Validate checks that ip names an address.
func (a *hostPresentArgs) Validate() error {
	if len(a.IP) == 0 {
		return ArgErrorf("ip", "must name at least one address")
	}
	return nil
}

func hostPresent(ctx context.Context, env *Env, call Call, a *hostPresentArgs) Result {
	names, err := a.names(call)
	if err != nil {
		return failErr(call.Name, err)
	}
	ips, clean := []string(a.IP), a.Clean
	families := map[bool]bool{}
	for _, ip := range ips {
		families[isIPv4(ip)] = true
	}

	path := env.hostsFile()
	h, err := readHosts(path)
	if err != nil {
		return fail(call.Name, "Unable to read %s: %v", path, err)
	}
	ret := Result{Name: call.Name, Changes: map[string]any{}}
	var comments []string
	for _, name := range names {
		for _, old := range h.ipsOf(name) {
			if containsString(ips, old) || !(clean || families[isIPv4(old)]) {
				continue
			}
			h.remove(old, name)
			addChange(ret.Changes, "removed", old, name)
			if call.Test {
				comments = append(comments, fmt.Sprintf("Host %s (%s) would be removed", name, old))
			} else {
				comments = append(comments, fmt.Sprintf("Removed host %s (%s)", name, old))
			}
		}
		for _, ip := range ips {
			if h.has(ip, name) {
				comments = append(comments, fmt.Sprintf("Host %s (%s) already present", name, ip))
				continue
			}
			h.add(ip, name)
			addChange(ret.Changes, "added", ip, name)
			if call.Test {
				comments = append(comments, fmt.Sprintf("Host %s (%s) would be added", name, ip))
			} else {
				comments = append(comments, fmt.Sprintf("Added host %s (%s)", name, ip))
			}
		}
	}
	return finishHosts(h, call, ret, comments, "set", names)
}
