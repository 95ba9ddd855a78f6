package states

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	RegisterTyped(Typed[hostOnlyArgs]{
		Name: "host.only",
		Doc: `Ensure an address carries exactly the given host names, in order, in the hosts file (Env.HostsFile, default /etc/hosts).

name: the IP address. hostnames: a name or a list of names; any other name on the address is removed (an empty list removes the address). The first line of the address is rewritten and its other lines dropped; other lines and comments are kept.
Changes: {ip: {"old": "names before", "new": "names after"}}.`,
		Apply: hostOnly,
	})
}

// hostOnlyArgs are host.only's arguments.
type hostOnlyArgs struct {
	Hostnames []string `salt:"hostnames,required"`
}

// Validate checks the host names.
func (a *hostOnlyArgs) Validate() error {
	for _, n := range a.Hostnames {
		if strings.TrimSpace(n) == "" || strings.ContainsAny(strings.TrimSpace(n), " \t\n#") {
			return ArgErrorf("hostnames", "has an invalid host name %q", n)
		}
	}
	return nil
}

// aliases lists the names on every line of ip, in file order.
func (h *hostsFile) aliases(ip string) []string {
	var out []string
	for _, l := range h.lines {
		if l.ip == ip {
			out = append(out, l.names...)
		}
	}
	return out
}

// setOnly makes the first line of ip carry names and drops its other
// lines (all of them when names is empty); a new line when there is none.
func (h *hostsFile) setOnly(ip string, names []string) {
	first := true
	for _, l := range h.lines {
		if l.ip != ip {
			continue
		}
		l.dirty, l.names = true, nil
		if first && len(names) > 0 {
			l.names = append([]string(nil), names...)
		}
		first = false
	}
	if first && len(names) > 0 {
		h.lines = append(h.lines, &hostsLine{ip: ip, names: append([]string(nil), names...), dirty: true})
	}
}

func hostOnly(ctx context.Context, env *Env, call Call, a *hostOnlyArgs) Result {
	ip := canonicalIP(call.Name)
	if ip == "" {
		return fail(call.Name, "State '%s' (host.only): name must be an IP address, got %q", call.ID, call.Name)
	}
	names := make([]string, 0, len(a.Hostnames))
	for _, n := range a.Hostnames {
		names = append(names, strings.TrimSpace(n))
	}
	path := env.hostsFile()
	h, err := readHosts(path)
	if err != nil {
		return fail(call.Name, "Unable to read %s: %v", path, err)
	}
	old, new := strings.Join(h.aliases(ip), " "), strings.Join(names, " ")
	if old == new {
		return Result{Name: call.Name, Result: True(), Comment: fmt.Sprintf("IP address %s already set to \"%s\"", call.Name, new)}
	}
	changes := map[string]any{call.Name: map[string]any{"old": old, "new": new}}
	if call.Test {
		return Result{Name: call.Name, Changes: changes, Comment: fmt.Sprintf("Would change %s from \"%s\" to \"%s\"", call.Name, old, new)}
	}
	h.setOnly(ip, names)
	if err := h.write(); err != nil {
		return fail(call.Name, "hosts.set_host failed to change %s from \"%s\" to \"%s\": unable to write %s: %v", call.Name, old, new, path, err)
	}
	return Result{Name: call.Name, Result: True(), Changes: changes, Comment: fmt.Sprintf("successfully changed %s from \"%s\" to \"%s\"", call.Name, old, new)}
}
