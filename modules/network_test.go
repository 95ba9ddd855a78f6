package modules

import (
	"net"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"testing"
)

func hasLoopback6(t *testing.T) bool {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo interface: %v", err)
	}
	addrs, _ := lo.Addrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(net.IPv6loopback) {
			return true
		}
	}
	return false
}

func TestNetworkIPAddrs(t *testing.T) {
	if _, err := net.InterfaceByName("lo"); err != nil {
		t.Skipf("no lo interface: %v", err)
	}
	for _, tc := range []struct {
		args   []any
		kwargs map[string]any
		want   []any
	}{
		{[]any{"lo"}, map[string]any{"include_loopback": true}, []any{"127.0.0.1"}},
		{[]any{"lo", true}, nil, []any{"127.0.0.1"}},
		{[]any{"lo"}, nil, []any{}},
		{nil, map[string]any{"interface": "lo", "include_loopback": "yes"}, []any{"127.0.0.1"}},
		{[]any{"no-such-iface0"}, nil, []any{}},
		{nil, map[string]any{"include_loopback": true, "cidr": "127.0.0.0/8"}, []any{"127.0.0.1"}},
		{[]any{"lo"}, map[string]any{"include_loopback": true, "type": "public"}, []any{}},
		{[]any{"lo"}, map[string]any{"include_loopback": true, "type": "private"}, []any{"127.0.0.1"}},
	} {
		got := mustCall(t, nil, "network.ip_addrs", tc.args, tc.kwargs)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("network.ip_addrs %v %v = %#v, want %#v", tc.args, tc.kwargs, got, tc.want)
		}
	}

	all := mustCall(t, nil, "network.ip_addrs", nil, nil).([]any)
	withLo := mustCall(t, nil, "network.ip_addrs", nil, map[string]any{"include_loopback": true}).([]any)
	if slices.Contains(all, any("127.0.0.1")) || !slices.Contains(withLo, any("127.0.0.1")) {
		t.Errorf("loopback filtering: %v / %v", all, withLo)
	}
	var prev netip.Addr
	for i, a := range withLo {
		ip, err := netip.ParseAddr(a.(string))
		if err != nil || !ip.Is4() {
			t.Errorf("not an IPv4 address: %v", a)
		}
		if i > 0 && ip.Compare(prev) <= 0 {
			t.Errorf("not sorted: %v", withLo)
		}
		prev = ip
	}

	wantBadArg(t, "network.ip_addrs", []any{"lo"}, map[string]any{"include_loopback": map[string]any{}}, nil, "'include_loopback'")
	wantBadArg(t, "network.ip_addrs", []any{[]any{"lo"}}, nil, nil, "'interface'")
	wantBadArg(t, "network.ip_addrs", nil, map[string]any{"cidr": "10.0.0.0/99"}, nil, "'cidr'")
	wantBadArg(t, "network.ip_addrs", nil, map[string]any{"type": "weird"}, nil, "'type'")
}

func TestNetworkIPAddrs6(t *testing.T) {
	want := []any{}
	if hasLoopback6(t) {
		want = []any{"::1"}
	}
	got := mustCall(t, nil, "network.ip_addrs6", []any{"lo"}, map[string]any{"include_loopback": true})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("network.ip_addrs6 lo = %#v, want %#v", got, want)
	}
	for _, a := range mustCall(t, nil, "network.ip_addrs6", nil, nil).([]any) {
		ip, err := netip.ParseAddr(a.(string))
		if err != nil || ip.Is4() || ip.IsLoopback() {
			t.Errorf("unexpected address %v", a)
		}
	}
	wantBadArg(t, "network.ip_addrs6", nil, map[string]any{"include_loopback": []any{}}, nil, "'include_loopback'")
}

func TestNetworkHostnameAndInterfaces(t *testing.T) {
	h, _ := os.Hostname()
	if got := mustCall(t, nil, "network.get_hostname", nil, nil); got != h {
		t.Errorf("get_hostname = %v, want %v", got, h)
	}
	ifs := mustCall(t, nil, "network.interfaces", nil, nil).(map[string]any)
	lo, ok := ifs["lo"].(map[string]any)
	if !ok {
		t.Skipf("no lo interface in %v", ifs)
	}
	if lo["up"] != true || lo["hwaddr"] != "00:00:00:00:00:00" {
		t.Errorf("lo = %#v", lo)
	}
	inet, _ := lo["inet"].([]any)
	want := map[string]any{"address": "127.0.0.1", "netmask": "255.0.0.0", "broadcast": "127.255.255.255", "label": "lo"}
	if len(inet) == 0 || !reflect.DeepEqual(inet[0], want) {
		t.Errorf("lo inet = %#v", inet)
	}
	if hasLoopback6(t) {
		inet6, _ := lo["inet6"].([]any)
		want6 := map[string]any{"address": "::1", "prefixlen": "128", "scope": "host"}
		if len(inet6) == 0 || !reflect.DeepEqual(inet6[0], want6) {
			t.Errorf("lo inet6 = %#v", inet6)
		}
	}
}

func TestBroadcast(t *testing.T) {
	for p, want := range map[string]string{"192.0.2.2/24": "192.0.2.255", "10.1.2.3/8": "10.255.255.255", "172.16.5.4/30": "172.16.5.7"} {
		if got := broadcast(netip.MustParsePrefix(p)).String(); got != want {
			t.Errorf("broadcast(%s) = %s, want %s", p, got, want)
		}
	}
}
