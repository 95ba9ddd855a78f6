package integration

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A 200 MB salt:// file reaches a minion through the file server in
// chunks: the copy is exact, the minion never holds it whole in memory
// (its peak RSS stays far below the file's size), and a second apply
// transfers nothing (the cache is keyed by content hash).
func TestFileServerLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB transfer")
	}
	dir := t.TempDir()
	roots := filepath.Join(dir, "salt")
	if err := os.MkdirAll(roots, 0o755); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(roots, "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	block := make([]byte, 1<<20)
	for i := 0; i < 200; i++ {
		for j := range block {
			block[j] = byte(i*31 + j*7)
		}
		if _, err := io.MultiWriter(f, h).Write(block); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want := h.Sum(nil)
	dest := filepath.Join(dir, "dest.bin")
	c := cluster(t, map[string]any{"auto_accept": true, "file_roots": map[string]any{"base": []string{roots}}})
	m := c.StartMinion(c.MinionConfig("fs-1", nil))
	waitPing(t, c, "*", 1)
	apply := func() {
		t.Helper()
		r := c.Ctl("state.single", "fs-1", "file.managed", dest, "source=salt://big.bin", "--timeout", "120")
		if r.Code != 0 {
			t.Fatalf("state.single: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
	}
	apply()
	g, err := os.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	h2 := sha256.New()
	if _, err := io.Copy(h2, g); err != nil {
		t.Fatal(err)
	}
	g.Close()
	if string(h2.Sum(nil)) != string(want) {
		t.Fatal("copied file differs from the source")
	}
	peak := vmHWM(t, m.Cmd.Process.Pid)
	if peak > 120<<20 {
		t.Errorf("minion peak RSS %d MB while copying a 200 MB file", peak>>20)
	}
	r := c.Ctl("state.single", "fs-1", "file.managed", dest, "source=salt://big.bin", "--out", "json")
	if r.Code != 0 || !strings.Contains(r.Stdout, `"changes": {}`) {
		t.Errorf("second apply changed something: %s", r.Stdout)
	}
}

// vmHWM is a process's peak resident set size in bytes.
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}
