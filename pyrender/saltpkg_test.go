package pyrender

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// smtpSink accepts one SMTP session and returns what it received.
func smtpSink(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		var sb strings.Builder
		say := func(s string) { _, _ = conn.Write([]byte(s + "\r\n")) }
		say("220 sink")
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				got <- sb.String()
				return
			}
			sb.WriteString(line)
			switch {
			case inData && line == ".\r\n":
				inData = false
				say("250 queued")
			case inData:
			case strings.HasPrefix(strings.ToUpper(line), "DATA"):
				inData = true
				say("354 go on")
			case strings.HasPrefix(strings.ToUpper(line), "QUIT"):
				say("221 bye")
				got <- sb.String()
				return
			default:
				say("250 ok")
			}
		}
	}()
	return ln.Addr().String(), got
}

// Seed 000's reactor imports salt.utils.smtp and salt.config and mails
// through smtp.send(kwargs, __opts__); Brine ships that small package.
func TestSaltPackage(t *testing.T) {
	p := interp(t)
	addr, got := smtpSink(t)
	host, port, _ := net.SplitHostPort(addr)
	src := `#!py
import salt.utils.smtp as smtp
import salt.config as config
from salt.exceptions import CommandExecutionError

def run():
    msg_kwargs = {
        'smtp.subject': 'EC2 Autoscale Subscription (via Salt Reactor)',
        'smtp.content': 'hello\r\n',
    }
    smtp.send(msg_kwargs, __opts__)
    try:
        __salt__['nope.fun']()
    except CommandExecutionError as e:
        return {'caught': str(e)}
    return {}
`
	m, err := p.Render(context.Background(), []byte(src), "ec2-autoscale.sls", Vars{
		Salt: func(ctx context.Context, fun string, args []any, kw map[string]any) (any, error) {
			return nil, errors.New("'" + fun + "' is not available")
		},
		Globals: map[string]any{"opts": map[string]any{"smtp.host": host, "smtp.port": port, "smtp.from": "salt@example.com", "smtp.to": "ops@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Get("caught"); v != "'nope.fun' is not available" {
		t.Errorf("caught %v", v)
	}
	session := <-got
	for _, want := range []string{"MAIL FROM:<salt@example.com>", "RCPT TO:<ops@example.com>", "Subject: EC2 Autoscale Subscription (via Salt Reactor)", "hello"} {
		if !strings.Contains(strings.ToLower(session), strings.ToLower(want)) {
			t.Errorf("session lacks %q:\n%s", want, session)
		}
	}
}
