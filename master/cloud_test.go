package master

import "testing"

func TestMasterWithPort(t *testing.T) {
	for in, want := range map[string]string{
		"salt.example.com":        "nats://salt.example.com:4506",
		"10.0.0.1":                "nats://10.0.0.1:4506",
		"salt.example.com:4222":   "salt.example.com:4222",
		"nats://salt.example.com": "nats://salt.example.com",
		"tls://a:4506, b":         "tls://a:4506,nats://b:4506",
		"nats://127.0.0.1:4506":   "nats://127.0.0.1:4506",
	} {
		if got := masterWithPort(in); got != want {
			t.Errorf("masterWithPort(%q) = %q, want %q", in, got, want)
		}
	}
}
