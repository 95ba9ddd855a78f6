package target

import (
	"net/netip"
	"strings"
)

func init() {
	register(Kind{Name: "ipcidr", Letter: 'S', Flags: []string{"-S", "--ipcidr"}}, compileIPCIDRTarget)
}

// ipcidrMatcher matches minions with an address in a network, like Salt's
// ipcidr matcher: IPv4 targets are checked against the "ipv4" grain and IPv6
// targets against the "ipv6" grain, each a list of address strings (a single
// string is accepted too).
type ipcidrMatcher struct {
	prefix netip.Prefix
	grain  string
}

func compileIPCIDRTarget(expr string) (Matcher, *Error) {
	s, _ := trimSpace(expr)
	var prefix netip.Prefix
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, errorf(-1, "invalid CIDR network %q: %s", s, cutErrPrefix(err.Error()))
		}
		// Accept host bits ("10.0.0.5/24" means 10.0.0.0/24), as
		// ip(8) and most firewalls do.
		prefix = p.Masked()
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, errorf(-1, "invalid IP address or CIDR network %q", s)
		}
		if a.Zone() != "" {
			return nil, errorf(-1, "invalid IP address %q: zones are not supported", s)
		}
		prefix = netip.PrefixFrom(a, a.BitLen())
	}
	grain := "ipv4"
	if prefix.Addr().Is6() {
		grain = "ipv6"
	}
	return ipcidrMatcher{prefix: prefix, grain: grain}, nil
}

func (m ipcidrMatcher) Match(mi *Minion) bool {
	if mi == nil {
		return false
	}
	switch v := mi.Grains[m.grain].(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && m.contains(s) {
				return true
			}
		}
	case []string:
		for _, s := range v {
			if m.contains(s) {
				return true
			}
		}
	case string:
		return m.contains(v)
	}
	return false
}

// contains reports whether the address s is in the network; strings that
// are not addresses never are.
func (m ipcidrMatcher) contains(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return m.prefix.Contains(a.WithZone(""))
}

// cutErrPrefix drops the `netip.ParsePrefix("..."): ` prefix of a netip
// error, which repeats the input.
func cutErrPrefix(msg string) string {
	if _, after, ok := strings.Cut(msg, "): "); ok {
		return after
	}
	return msg
}
