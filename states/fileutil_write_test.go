package states

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// writeAtomic puts the content, mode (set-id and sticky bits included)
// and owner in place, and on failure leaves no temporary file behind.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	content := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	uid, gid := processIDs()
	for _, mode := range []uint32{0o644, 0o4755, 0o2750, 0o1777, 0o600} {
		if err := writeAtomic(p, content("data "+modeString(mode)), mode, uid, gid); err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		if got := st.Mode & 0o7777; got != mode {
			t.Errorf("mode %o, want %o", got, mode)
		}
		if b, _ := os.ReadFile(p); string(b) != "data "+modeString(mode) {
			t.Errorf("content %q", b)
		}
	}
	// over a directory: refused by rename(2), the directory and no
	// temporary file left
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	err := writeAtomic(sub, content("x"), 0o644, -1, -1)
	if err == nil || !strings.Contains(err.Error(), "rename") {
		t.Fatalf("writing over a directory: %v", err)
	}
	// a failing writer
	if err := writeAtomic(filepath.Join(dir, "g"), func(io.Writer) error { return io.ErrUnexpectedEOF }, 0o644, -1, -1); err != io.ErrUnexpectedEOF {
		t.Fatalf("failing writer: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "f sub" {
		t.Errorf("left in the directory: %v", names)
	}
}
