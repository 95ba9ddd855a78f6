package minion

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nkeys"
)

// LoadOrCreateKey returns the minion's key pair from dir/minion.nk,
// generating it on first start. The seed file is mode 0600 and never leaves
// the node; minion.pub beside it holds the public key for the operator to
// compare with `ctl key finger`.
func LoadOrCreateKey(dir string) (nkeys.KeyPair, error) {
	seedPath := filepath.Join(dir, "minion.nk")
	data, err := os.ReadFile(seedPath)
	if err == nil {
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(data))))
		if err != nil {
			return nil, fmt.Errorf("load key %s: %w", seedPath, err)
		}
		return kp, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load key %s: %w", seedPath, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, err
	}
	// O_EXCL: two minions started on one root_dir must not both write.
	f, err := os.OpenFile(seedPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write key %s: %w", seedPath, err)
	}
	if _, err := f.Write(append(seed, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("write key %s: %w", seedPath, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write key %s: %w", seedPath, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "minion.pub"), []byte(pub+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write public key: %w", err)
	}
	return kp, nil
}
