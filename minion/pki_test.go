package minion

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	kp, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		t.Errorf("public key %q is not a user key", pub)
	}
	st, err := os.Stat(filepath.Join(dir, "minion.nk"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("seed mode %v, want 0600", st.Mode().Perm())
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("pki dir mode %v, %v", st.Mode().Perm(), err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "minion.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(b)) != pub {
		t.Errorf("minion.pub = %q, want %q", b, pub)
	}
	seed, err := os.ReadFile(filepath.Join(dir, "minion.nk"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(seed), "SU") {
		t.Errorf("seed file does not hold a user seed")
	}

	// A second start loads the same key.
	kp2, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pub2, _ := kp2.PublicKey(); pub2 != pub {
		t.Errorf("second load: key %q, want %q", pub2, pub)
	}
	// And it can sign what the first verifies.
	sig, err := kp2.Sign([]byte("nonce"))
	if err != nil {
		t.Fatal(err)
	}
	if err := kp.Verify([]byte("nonce"), sig); err != nil {
		t.Errorf("reloaded key signs differently: %v", err)
	}
}

func TestLoadOrCreateKeyCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "minion.nk")
	if err := os.WriteFile(path, []byte("not a seed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt seed: error %v", err)
	}
	// The corrupt file is not replaced by a new key.
	if b, _ := os.ReadFile(path); string(b) != "not a seed\n" {
		t.Errorf("corrupt seed overwritten: %q", b)
	}
}

func TestLoadOrCreateKeyUnreadable(t *testing.T) {
	dir := t.TempDir()
	// minion.nk is a directory: neither a key nor absent.
	if err := os.Mkdir(filepath.Join(dir, "minion.nk"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir); err == nil {
		t.Error("unreadable seed accepted")
	}
}
