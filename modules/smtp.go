package modules

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/brine-cm/brine/internal/coerce"
)

// The smtp module: send mail, as Salt's salt.modules.smtp. Unlike Salt,
// which returns false when the server cannot be resolved, every failure is
// an error naming the server.

func init() {
	Register("smtp.send_msg", `Send message to recipient (one address, or several separated by commas) and return true. Arguments: recipient, message, subject (default "Message from Salt"), sender, server (host or host:port), use_ssl (default True: TLS from the start, port 465; otherwise port 25 with STARTTLS when offered), username, password, profile (a configuration or pillar key holding smtp.server, smtp.tls, smtp.sender, smtp.username, smtp.password), attachments (a list of file paths on the minion).

CLI Example:

    ctl '*' smtp.send_msg 'admin@example.com' 'This is a salt module test' profile='my-smtp-account'`, smtpSendMsg,
		SecretArgs(7), SecretKwargs("password"))
}

// truthy reads Salt's use_ssl: the strings True/true (or a boolean).
func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(strings.TrimSpace(t), "true")
	}
	return false
}

func smtpSendMsg(ctx context.Context, env *Env, c Call) (any, error) {
	recipient, err := c.String(0, "recipient", nil)
	if err != nil {
		return nil, err
	}
	message, err := c.String(1, "message", nil)
	if err != nil {
		return nil, err
	}
	subject, err := c.String(2, "subject", ptr("Message from Salt"))
	if err != nil {
		return nil, err
	}
	opt := map[string]string{}
	for i, n := range []string{"sender", "server", "", "username", "password", "profile"} {
		if n == "" {
			continue
		}
		if opt[n], err = c.String(3+i, n, ptr("")); err != nil {
			return nil, err
		}
	}
	useSSL := any("True")
	if v, ok := c.value(5, "use_ssl"); ok && v != nil {
		useSSL = v
	}
	if p := opt["profile"]; p != "" {
		creds, err := smtpProfile(ctx, env, p)
		if err != nil {
			return nil, err
		}
		for _, k := range []string{"server", "sender", "username", "password"} {
			if s, ok := coerce.String(creds["smtp."+k]); ok {
				opt[k] = s
			}
		}
		useSSL = creds["smtp.tls"]
	}
	if opt["server"] == "" || opt["sender"] == "" {
		return nil, badArg("server and sender are required (directly or through profile)")
	}
	var rcpts []string
	for _, r := range strings.Split(recipient, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rcpts = append(rcpts, r)
		}
	}
	if len(rcpts) == 0 {
		return nil, badArg("argument 'recipient' has no address")
	}
	var attachments []string
	if v, _ := c.value(9, "attachments"); v != nil {
		l, ok := v.([]any)
		if !ok {
			return nil, wrongType("attachments", "a list of file paths", v)
		}
		for _, e := range l {
			s, ok := coerce.String(e)
			if !ok || !filepath.IsAbs(s) {
				return nil, wrongType("attachments", "a list of absolute file paths", e)
			}
			attachments = append(attachments, s)
		}
	}
	body, err := smtpMessage(opt["sender"], rcpts, subject, message, attachments)
	if err != nil {
		return nil, err
	}
	tlsOn := truthy(useSSL)
	server := opt["server"]
	host := server
	if h, _, err := net.SplitHostPort(server); err == nil {
		host = h
	} else if tlsOn {
		server = net.JoinHostPort(server, "465")
	} else {
		server = net.JoinHostPort(server, "25")
	}
	if err := smtpSend(ctx, server, host, tlsOn, opt["username"], opt["password"], opt["sender"], rcpts, body); err != nil {
		return nil, execErr("smtp.send_msg: sending through %s: %v", server, err)
	}
	env.logger().InfoContext(ctx, "mail sent", "server", server, "recipients", len(rcpts))
	return true, nil
}

// smtpProfile finds profile in the minion's options, then its pillar.
func smtpProfile(ctx context.Context, env *Env, profile string) (map[string]any, error) {
	if m, ok := env.Opts[profile].(map[string]any); ok {
		return m, nil
	}
	if env.Master != nil {
		p, err := env.Master.Pillar(ctx, false)
		if err != nil {
			return nil, err
		}
		if m, ok := p[profile].(map[string]any); ok {
			return m, nil
		}
	}
	return nil, execErr("smtp.send_msg: profile %q is not in the minion's configuration or pillar", profile)
}

// smtpMessage builds the message: plain text, or multipart with the
// attachments.
func smtpMessage(sender string, rcpts []string, subject, text string, attachments []string) ([]byte, error) {
	var buf bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("From", sender)
	hdr("To", strings.Join(rcpts, ", "))
	hdr("Date", time.Now().Format(time.RFC1123Z))
	hdr("MIME-Version", "1.0")
	if len(attachments) == 0 {
		hdr("Content-Type", `text/plain; charset="utf-8"`)
		hdr("Content-Transfer-Encoding", "base64")
		buf.WriteString("\r\n")
		writeBase64(&buf, []byte(text))
		return buf.Bytes(), nil
	}
	mw := multipart.NewWriter(&buf)
	hdr("Content-Type", `multipart/mixed; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")
	part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {`text/plain; charset="utf-8"`}, "Content-Transfer-Encoding": {"base64"}})
	if err != nil {
		return nil, err
	}
	var tb bytes.Buffer
	writeBase64(&tb, []byte(text))
	if _, err := part.Write(tb.Bytes()); err != nil {
		return nil, err
	}
	for _, a := range attachments {
		data, err := os.ReadFile(a)
		if err != nil {
			return nil, osErr(err)
		}
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {"application/octet-stream"},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": filepath.Base(a)})},
		})
		if err != nil {
			return nil, err
		}
		var ab bytes.Buffer
		writeBase64(&ab, data)
		if _, err := part.Write(ab.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeBase64 writes data base64-encoded in 76-character lines.
func writeBase64(w *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		w.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	w.WriteString(enc + "\r\n")
}

// smtpSend delivers body over one SMTP session.
func smtpSend(ctx context.Context, addr, host string, implicitTLS bool, user, pass, from string, to []string, body []byte) error {
	d := net.Dialer{Timeout: 30 * time.Second}
	var conn net.Conn
	var err error
	if implicitTLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: host}}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	}
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer cl.Close()
	if !implicitTLS {
		if ok, _ := cl.Extension("STARTTLS"); ok {
			if err := cl.StartTLS(&tls.Config{ServerName: host}); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		}
	}
	if user != "" && pass != "" {
		if err := cl.Auth(smtp.PlainAuth("", user, pass, host)); err != nil {
			return fmt.Errorf("login as %s: %w", user, err)
		}
	}
	if err := cl.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := cl.Rcpt(r); err != nil {
			return fmt.Errorf("recipient %s: %w", r, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return cl.Quit()
}
