package modules

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"

	"github.com/brine-cm/brine/proto"
)

// The network module: the minion's addresses and interfaces.

const ipAddrsArgsDoc = `Arguments, positional in this order or as keywords: interface (only this interface's addresses, e.g. eth0; an unknown interface gives an empty list); include_loopback (default false); cidr (only addresses inside this network, e.g. 10.0.0.0/8); type ('public' or 'private': private means RFC 1918 / unique-local, loopback or link-local).`

func init() {
	Register("network.ip_addrs", `Return the sorted list of the minion's IPv4 addresses, without loopback addresses unless include_loopback=True. `+ipAddrsArgsDoc+`

CLI Example:

    ctl '*' network.ip_addrs eth0 include_loopback=True`, networkIPAddrs)

	Register("network.ip_addrs6", `Return the sorted list of the minion's IPv6 addresses (link-local ones included), without ::1 unless include_loopback=True. `+ipAddrsArgsDoc+`

CLI Example:

    ctl '*' network.ip_addrs6 eth0`, networkIPAddrs6)

	Register("network.get_hostname", `Return the minion host's hostname, as the kernel reports it.

CLI Example:

    ctl '*' network.get_hostname`, networkGetHostname)

	Register("network.interfaces", `Return a mapping of the minion's network interfaces: for each name, hwaddr, up, and the lists inet (address, netmask, broadcast, label) and inet6 (address, prefixlen, scope) when the interface has such addresses.

CLI Example:

    ctl '*' network.interfaces`, networkInterfaces)
}

func networkIPAddrs(ctx context.Context, env *Env, call Call) (any, error) {
	return ipAddrs(ctx, env, call, false)
}

func networkIPAddrs6(ctx context.Context, env *Env, call Call) (any, error) {
	return ipAddrs(ctx, env, call, true)
}

func ipAddrs(ctx context.Context, env *Env, call Call, v6 bool) (any, error) {
	iface, err := call.String(0, "interface", ptr(""))
	if err != nil {
		return nil, err
	}
	includeLo, err := call.Bool(1, "include_loopback", ptr(false))
	if err != nil {
		return nil, err
	}
	cidrArg, err := call.String(2, "cidr", ptr(""))
	if err != nil {
		return nil, err
	}
	var cidr netip.Prefix
	if cidrArg != "" {
		if cidr, err = netip.ParsePrefix(cidrArg); err != nil {
			return nil, badArg("argument 'cidr' is not a network like 10.0.0.0/8: %v", err)
		}
		cidr = cidr.Masked()
	}
	typ, err := call.String(3, "type", ptr(""))
	if err != nil {
		return nil, err
	}
	if typ != "" && typ != "public" && typ != "private" {
		return nil, badArg("argument 'type' must be 'public' or 'private', got %q", typ)
	}

	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, proto.Errorf(proto.ErrExecution, "list network interfaces: %v", err)
	}
	found := false
	var addrs []netip.Addr
	for _, ifc := range ifaces {
		if iface != "" && ifc.Name != iface {
			continue
		}
		found = true
		as, err := ifaceAddrs(ifc)
		if err != nil {
			return nil, err
		}
		for _, p := range as {
			a := p.Addr()
			switch {
			case a.Is4() == v6:
			case a.IsLoopback() && !includeLo:
			case cidr.IsValid() && !cidr.Contains(a):
			case typ == "private" && !isPrivate(a):
			case typ == "public" && isPrivate(a):
			default:
				addrs = append(addrs, a)
			}
		}
	}
	if iface != "" && !found {
		env.logger().WarnContext(ctx, "interface not found", "interface", iface)
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	addrs = slices.Compact(addrs)
	out := make([]any, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

// isPrivate: RFC 1918 / RFC 4193, loopback or link-local.
func isPrivate(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()
}

// ifaceAddrs lists an interface's addresses as prefixes.
func ifaceAddrs(ifc net.Interface) ([]netip.Prefix, error) {
	raw, err := ifc.Addrs()
	if err != nil {
		return nil, proto.Errorf(proto.ErrExecution, "list addresses of %s: %v", ifc.Name, err)
	}
	out := make([]netip.Prefix, 0, len(raw))
	for _, r := range raw {
		ipn, ok := r.(*net.IPNet)
		if !ok {
			continue
		}
		a, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		a = a.Unmap()
		ones, _ := ipn.Mask.Size()
		out = append(out, netip.PrefixFrom(a, ones))
	}
	return out, nil
}

func networkGetHostname(ctx context.Context, env *Env, call Call) (any, error) {
	h, err := os.Hostname()
	if err != nil {
		return nil, proto.Errorf(proto.ErrExecution, "get hostname: %v", err)
	}
	return h, nil
}

func networkInterfaces(ctx context.Context, env *Env, call Call) (any, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, proto.Errorf(proto.ErrExecution, "list network interfaces: %v", err)
	}
	out := make(map[string]any, len(ifaces))
	for _, ifc := range ifaces {
		prefixes, err := ifaceAddrs(ifc)
		if err != nil {
			return nil, err
		}
		hw := ifc.HardwareAddr.String()
		if hw == "" {
			hw = "00:00:00:00:00:00"
		}
		info := map[string]any{"hwaddr": hw, "up": ifc.Flags&net.FlagUp != 0}
		var inet, inet6 []any
		for _, p := range prefixes {
			a := p.Addr()
			if a.Is4() {
				e := map[string]any{
					"address": a.String(),
					"netmask": net.IP(net.CIDRMask(p.Bits(), 32)).String(),
					"label":   ifc.Name,
				}
				if p.Bits() < 31 {
					e["broadcast"] = broadcast(p).String()
				}
				inet = append(inet, e)
				continue
			}
			inet6 = append(inet6, map[string]any{
				"address":   a.String(),
				"prefixlen": strconv.Itoa(p.Bits()),
				"scope":     scope6(a),
			})
		}
		if len(inet) > 0 {
			info["inet"] = inet
		}
		if len(inet6) > 0 {
			info["inet6"] = inet6
		}
		out[ifc.Name] = info
	}
	return out, nil
}

// broadcast is the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= host
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// scope6 names an IPv6 address's scope as ip(8) does.
func scope6(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "host"
	case a.IsLinkLocalUnicast():
		return "link"
	case a.IsMulticast():
		return fmt.Sprintf("multicast-%x", a.As16()[1]&0x0f)
	default:
		return "global"
	}
}
