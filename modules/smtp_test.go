package modules

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/brine-cm/brine/proto"
)

// fakeSMTP is an SMTP server that records one session's commands and data.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	cmds []string
	data string
	done chan struct{}
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, done: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go f.serve()
	return f
}

func (f *fakeSMTP) serve() {
	defer close(f.done)
	conn, err := f.ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { _, _ = conn.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.cmds = append(f.cmds, line)
		f.mu.Unlock()
		switch up := strings.ToUpper(line); {
		case strings.HasPrefix(up, "EHLO"):
			say("250-fake")
			say("250 AUTH PLAIN")
		case strings.HasPrefix(up, "AUTH"):
			say("235 2.7.0 ok")
		case strings.HasPrefix(up, "RCPT") && strings.Contains(line, "bad@"):
			say("550 5.1.1 no such user")
		case strings.HasPrefix(up, "DATA"):
			say("354 go ahead")
			var sb strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				sb.WriteString(l)
			}
			f.mu.Lock()
			f.data = sb.String()
			f.mu.Unlock()
			say("250 queued")
		case strings.HasPrefix(up, "QUIT"):
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestSMTPSendMsg(t *testing.T) {
	f := newFakeSMTP(t)
	dir := t.TempDir()
	att := filepath.Join(dir, "report.txt")
	writeT(t, att, "report body")
	env := &Env{Opts: map[string]any{"my-smtp": map[string]any{
		"smtp.server": f.ln.Addr().String(), "smtp.tls": false, "smtp.sender": "salt@example.com",
		"smtp.username": "salt", "smtp.password": "s3cret",
	}}}
	got := mustCall(t, env, "smtp.send_msg", []any{"a@example.com, b@example.com", "Hello from Brine"},
		map[string]any{"subject": "Deploy done", "profile": "my-smtp", "attachments": []any{att}})
	if got != true {
		t.Fatal(got)
	}
	<-f.done
	cmds := strings.Join(f.cmds, "\n")
	for _, want := range []string{"AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00salt\x00s3cret")),
		"MAIL FROM:<salt@example.com>", "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>", "QUIT"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("session lacks %q:\n%s", want, cmds)
		}
	}
	for _, want := range []string{"Subject: Deploy done", "From: salt@example.com", "To: a@example.com, b@example.com",
		base64.StdEncoding.EncodeToString([]byte("Hello from Brine")), `filename=report.txt`,
		base64.StdEncoding.EncodeToString([]byte("report body"))} {
		if !strings.Contains(f.data, want) {
			t.Errorf("message lacks %q:\n%s", want, f.data)
		}
	}

	// a refused recipient is an error naming it
	f = newFakeSMTP(t)
	_, err := call(t, context.Background(), nil, "smtp.send_msg", []any{"bad@example.com", "x"},
		map[string]any{"server": f.ln.Addr().String(), "sender": "s@example.com", "use_ssl": "False"})
	wantKind(t, err, proto.ErrExecution, "smtp.send_msg: ", "recipient bad@example.com", "550")
	// nothing listening
	_, err = call(t, context.Background(), nil, "smtp.send_msg", []any{"a@example.com", "x"},
		map[string]any{"server": "127.0.0.1:1", "sender": "s@example.com", "use_ssl": false})
	wantKind(t, err, proto.ErrExecution, "127.0.0.1:1")
	wantBadArg(t, "smtp.send_msg", []any{"a@example.com", "x"}, nil, nil, "server and sender")
	_, err = call(t, context.Background(), &Env{}, "smtp.send_msg", []any{"a@example.com", "x"}, map[string]any{"profile": "nope"})
	wantKind(t, err, proto.ErrExecution, `profile "nope"`)
	if !IsSecret("smtp.send_msg", -1, "password") || !IsSecret("smtp.send_msg", 7, "") {
		t.Error("the password is not declared secret")
	}
}
