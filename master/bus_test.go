package master

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"
)

func testSecrets(t *testing.T) *busSecrets {
	t.Helper()
	s, err := loadSecrets(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadSecrets(t *testing.T) {
	root := t.TempDir()
	s1, err := loadSecrets(root)
	if err != nil {
		t.Fatal(err)
	}
	if !nkeys.IsValidPublicAccountKey(s1.IssuerPub) {
		t.Errorf("issuer %q is not an account key", s1.IssuerPub)
	}
	if !nkeys.IsValidPublicUserKey(s1.OperatorPub) {
		t.Errorf("operator %q is not a user key", s1.OperatorPub)
	}
	for _, p := range []string{s1.AuthPassword, s1.MasterPass, s1.SysPassword} {
		if len(p) < 40 {
			t.Errorf("password %q is short", p)
		}
	}
	if s1.AuthPassword == s1.MasterPass || s1.MasterPass == s1.SysPassword {
		t.Error("passwords repeat")
	}
	for _, f := range []string{"ctl.creds", "pki/issuer.nk", "pki/auth.secret", "pki/master.secret", "pki/sys.secret"} {
		st, err := os.Stat(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	// ctl.creds holds the operator's user seed, which ctl reads.
	b, err := os.ReadFile(filepath.Join(root, "ctl.creds"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "SU") {
		t.Errorf("ctl.creds = %q", b)
	}
	// A second start loads the same secrets.
	s2, err := loadSecrets(root)
	if err != nil {
		t.Fatal(err)
	}
	if s2.IssuerPub != s1.IssuerPub || s2.OperatorPub != s1.OperatorPub || s2.AuthPassword != s1.AuthPassword ||
		s2.MasterPass != s1.MasterPass || s2.SysPassword != s1.SysPassword {
		t.Error("secrets changed between starts")
	}
	// No temporary files are left behind.
	ents, err := os.ReadDir(filepath.Join(root, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestLoadOrCreateSeedCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.nk")
	if err := os.WriteFile(path, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSeed(path, nkeys.CreateAccount); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt seed: error = %v", err)
	}
}

func TestSeedLine(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	withComments := "# operator credential\n\n  " + string(seed) + "  \n# end\n"
	if got := seedLine(withComments); got != string(seed) {
		t.Errorf("seedLine = %q", got)
	}
	kp2, err := loadOrCreateSeed(writeFile(t, "c.creds", withComments), nkeys.CreateUser)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := kp.PublicKey()
	p2, _ := kp2.PublicKey()
	if p1 != p2 {
		t.Error("seed with comments loads another key")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "f")
	if err := writeFileAtomic(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "two" {
		t.Fatalf("read %q, %v", b, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}

func TestNATSConfig(t *testing.T) {
	t.Parallel() // bcrypt is slow under -race
	s := testSecrets(t)
	conf := natsConfig(s)
	for _, pw := range []string{s.AuthPassword, s.MasterPass, s.SysPassword} {
		if strings.Contains(conf, pw) {
			t.Fatal("config holds a plaintext password")
		}
	}
	for _, want := range []string{
		"accounts {", accountBrine + " {", accountSys + " {", "jetstream: enabled",
		"system_account: " + accountSys, "auth_callout", "issuer: " + s.IssuerPub, "account: " + accountBrine,
		`"` + userAuth + `"`, `"` + userMaster + `"`, `"` + userSys + `"`,
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	// Each password is a bcrypt hash of the right secret.
	hashes := regexp.MustCompile(`user: "([^"]+)", password: "([^"]+)"`).FindAllStringSubmatch(conf, -1)
	want := map[string]string{userAuth: s.AuthPassword, userMaster: s.MasterPass, userSys: s.SysPassword}
	if len(hashes) != len(want) {
		t.Fatalf("found %d users with passwords, want %d:\n%s", len(hashes), len(want), conf)
	}
	var wg sync.WaitGroup
	for _, h := range hashes {
		if !strings.HasPrefix(h[2], "$2") {
			t.Errorf("user %s: password %q is not a bcrypt hash", h[1], h[2])
			continue
		}
		wg.Add(1)
		go func(user, hash string) {
			defer wg.Done()
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(want[user])); err != nil {
				t.Errorf("user %s: hash does not match its secret: %v", user, err)
			}
		}(h[1], h[2])
	}
	wg.Wait()
	// The operator key is not a static user: it is authorised by the callout.
	if strings.Contains(conf, s.OperatorPub) {
		t.Error("config names the operator key")
	}
	// nats-server accepts it.
	path := writeFile(t, "nats.conf", conf)
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server rejects the config: %v\n%s", err, conf)
	}
	if opts.SystemAccount != accountSys {
		t.Errorf("system account = %q", opts.SystemAccount)
	}
	if opts.AuthCallout == nil || opts.AuthCallout.Issuer != s.IssuerPub || opts.AuthCallout.Account != accountBrine {
		t.Errorf("auth callout = %+v", opts.AuthCallout)
	}
	if len(opts.AuthCallout.AuthUsers) != 3 {
		t.Errorf("auth users = %v", opts.AuthCallout.AuthUsers)
	}
}

func TestEmbeddedConfig(t *testing.T) {
	conf := embeddedConfig("", "")
	if strings.Contains(conf, "tls") {
		t.Errorf("TLS block without a certificate:\n%s", conf)
	}
	opts, err := server.ProcessConfigFile(writeFile(t, "nats.conf", conf))
	if err != nil {
		t.Fatalf("nats-server rejects the config: %v\n%s", err, conf)
	}
	if opts.SystemAccount != accountSys {
		t.Errorf("system account = %q", opts.SystemAccount)
	}
	names := map[string]bool{}
	for _, a := range opts.Accounts {
		names[a.Name] = true
	}
	if !names[accountBrine] || !names[accountSys] {
		t.Errorf("accounts = %v", names)
	}
	if len(opts.Users) != 0 || len(opts.Nkeys) != 0 {
		t.Errorf("embedded config has static users: %v %v", opts.Users, opts.Nkeys)
	}

	withTLS := embeddedConfig("/etc/brine/cert.pem", "/etc/brine/key.pem")
	for _, want := range []string{"tls {", `cert_file: "/etc/brine/cert.pem"`, `key_file: "/etc/brine/key.pem"`} {
		if !strings.Contains(withTLS, want) {
			t.Errorf("TLS config lacks %q:\n%s", want, withTLS)
		}
	}
}
