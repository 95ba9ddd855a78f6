package target

import "testing"

func TestIPCIDR(t *testing.T) {
	runMatchCases(t, "ipcidr", []matchCase{
		{"10.0.0.0/24", "web1 web2"},
		{"10.0.0.0/16", "web1 web2 db1"},
		{"10.0.0.11", "web1"},
		{"10.0.0.11/32", "web1"},
		{"10.0.0.5/24", "web1 web2"}, // host bits are ignored
		{"192.168.0.0/16", "db2"},    // a single-string grain
		{"172.16.0.0/12", "mon-1.example.com"},
		{"127.0.0.1", "web1"},
		{"0.0.0.0/0", "web1 web2 db1 db2 mon-1.example.com"},
		{"11.0.0.0/8", ""},
		{"2001:db8::/32", "web1"}, // IPv6 targets use the ipv6 grain
		{"::1", "web1"},
		{"::/0", "web1"},
		{" 10.0.1.5 ", "db1"},
	})
}

func TestIPCIDRErrors(t *testing.T) {
	runErrorCases(t, "ipcidr", []errorCase{
		{"10.0.0.0/33", `invalid CIDR network "10.0.0.0/33"`, -1},
		{"10.0.0/24", `invalid CIDR network "10.0.0/24"`, -1},
		{"10.0.0.256", `invalid IP address or CIDR network "10.0.0.256"`, -1},
		{"web1", `invalid IP address or CIDR network "web1"`, -1},
		{"fe80::1%eth0", "zones are not supported", -1},
	})
}
