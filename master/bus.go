package master

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"
)

// The bus: nats-server accounts and users.
//
// Identity choice. Minions and operators authenticate with ed25519 nkeys and
// are authorised by the master through nats-server's auth callout, not by a
// static user list or CustomClientAuthentication:
//   - the callout lets the master decide per connection, so an unknown key is
//     recorded as pending (salt/auth) and refused, an accepted key gets a user
//     JWT whose permissions name only that minion's subjects, and a second key
//     for a known id is recorded as denied; a static nkey list cannot record
//     pending keys and its reload grows with the fleet;
//   - it works the same on an embedded server and on an external NATS
//     cluster (nats_url), whereas CustomClientAuthentication exists only
//     embedded;
//   - key deletion takes effect at once: the key is gone for the next
//     connect, and the live connection (its cid is in the callout request)
//     is kicked.
//
// Two users bypass the callout: brine-auth, the callout service itself, and
// brine-master, the master's data connection. Both live in account BRINE,
// where JetStream holds keys, grains, jobs and events.
const (
	accountBrine = "BRINE"
	accountSys   = "SYS"
	userAuth     = "brine-auth"
	userMaster   = "brine-master"
	userSys      = "brine-sys"
)

// busSecrets are the master's credentials on the bus, kept in root_dir/pki.
type busSecrets struct {
	Issuer       nkeys.KeyPair // signs callout responses and user JWTs
	IssuerPub    string
	AuthPassword string
	MasterPass   string
	SysPassword  string
	Operator     nkeys.KeyPair // the ctl.creds identity
	OperatorPub  string
}

func loadOrCreateSeed(path string, create func() (nkeys.KeyPair, error)) (nkeys.KeyPair, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(seedLine(string(data)))))
		if err != nil {
			return nil, fmt.Errorf("parse seed %s: %w", path, err)
		}
		return kp, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read seed %s: %w", path, err)
	}
	kp, err := create()
	if err != nil {
		return nil, fmt.Errorf("create key %s: %w", path, err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, append(seed, '\n'), 0o600); err != nil {
		return nil, err
	}
	return kp, nil
}

// seedLine picks the nkey seed out of a file that may carry comments.
func seedLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "S") && len(l) > 50 {
			return l
		}
	}
	return s
}

func loadOrCreateSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read secret %s: %w", path, err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	if err := writeFileAtomic(path, []byte(s+"\n"), 0o600); err != nil {
		return "", err
	}
	return s, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("mkdir %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}

func loadSecrets(rootDir string) (*busSecrets, error) {
	pki := filepath.Join(rootDir, "pki")
	var s busSecrets
	var err error
	if s.Issuer, err = loadOrCreateSeed(filepath.Join(pki, "issuer.nk"), nkeys.CreateAccount); err != nil {
		return nil, err
	}
	if s.IssuerPub, err = s.Issuer.PublicKey(); err != nil {
		return nil, err
	}
	if s.Operator, err = loadOrCreateSeed(filepath.Join(rootDir, "ctl.creds"), nkeys.CreateUser); err != nil {
		return nil, err
	}
	if s.OperatorPub, err = s.Operator.PublicKey(); err != nil {
		return nil, err
	}
	if s.AuthPassword, err = loadOrCreateSecret(filepath.Join(pki, "auth.secret")); err != nil {
		return nil, err
	}
	if s.MasterPass, err = loadOrCreateSecret(filepath.Join(pki, "master.secret")); err != nil {
		return nil, err
	}
	if s.SysPassword, err = loadOrCreateSecret(filepath.Join(pki, "sys.secret")); err != nil {
		return nil, err
	}
	return &s, nil
}

// natsConfig renders the nats-server configuration for Brine's accounts and
// auth callout. The embedded server loads it; for an external server
// `master --print-nats-config` prints it for the operator to include.
func natsConfig(s *busSecrets, tlsCert, tlsKey string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Brine accounts and auth callout, generated by the master.\n")
	fmt.Fprintf(&b, "max_payload: 8MB\n")
	fmt.Fprintf(&b, "accounts {\n")
	fmt.Fprintf(&b, "  %s {\n    jetstream: enabled\n    users: [\n", accountBrine)
	fmt.Fprintf(&b, "      {user: %q, password: %q}\n", userAuth, bcryptHash(s.AuthPassword))
	fmt.Fprintf(&b, "      {user: %q, password: %q}\n", userMaster, bcryptHash(s.MasterPass))
	fmt.Fprintf(&b, "    ]\n  }\n")
	fmt.Fprintf(&b, "  %s {\n    users: [ {user: %q, password: %q} ]\n  }\n", accountSys, userSys, bcryptHash(s.SysPassword))
	fmt.Fprintf(&b, "}\n")
	fmt.Fprintf(&b, "system_account: %s\n", accountSys)
	fmt.Fprintf(&b, "authorization {\n  timeout: 5\n  auth_callout {\n")
	fmt.Fprintf(&b, "    issuer: %s\n    account: %s\n    auth_users: [ %q, %q, %q ]\n", s.IssuerPub, accountBrine, userAuth, userMaster, userSys)
	fmt.Fprintf(&b, "  }\n}\n")
	if tlsCert != "" {
		fmt.Fprintf(&b, "tls {\n  cert_file: %q\n  key_file: %q\n}\n", tlsCert, tlsKey)
	}
	return b.String()
}

// bcryptHash keeps plaintext passwords out of the generated server config.
func bcryptHash(pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		panic(fmt.Sprintf("bcrypt: %v", err)) // only fails for passwords over 72 bytes
	}
	return string(h)
}

// startEmbedded starts nats-server with JetStream under rootDir and waits
// until it accepts connections.
func startEmbedded(cfg *Config, s *busSecrets, log *slog.Logger) (*server.Server, error) {
	confPath := filepath.Join(cfg.RootDir, "nats.conf")
	if err := writeFileAtomic(confPath, []byte(natsConfig(s, cfg.TLSCert, cfg.TLSKey)), 0o600); err != nil {
		return nil, err
	}
	opts, err := server.ProcessConfigFile(confPath)
	if err != nil {
		return nil, fmt.Errorf("load nats config %s: %w", confPath, err)
	}
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: bad port: %w", cfg.Listen, err)
	}
	opts.Host, opts.Port = host, port
	opts.ServerName = "brine-master"
	opts.JetStream = true
	opts.StoreDir = filepath.Join(cfg.RootDir, "jetstream")
	opts.AlwaysEnableNonce = true // nkey clients need a nonce even under auth callout
	opts.NoSigs = true
	opts.WriteDeadline = 10 * time.Second
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("create nats server: %w", err)
	}
	ns.SetLoggerV2(&natsLogger{log: log.With("component", "nats")}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server on %s did not start", cfg.Listen)
	}
	return ns, nil
}

// natsLogger adapts nats-server logging to slog.
type natsLogger struct{ log *slog.Logger }

func (l *natsLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Tracef(format string, v ...any)  {}
