package modules

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// alternatives.show_current reads the link; a missing one is False, a
// host without the alternatives dir an error (Salt does not load the
// module there).
func TestAlternativesShowCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/usr/bin/vim.basic", filepath.Join(dir, "editor")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := showCurrent(ctx, nil, dir, "editor"); err != nil || got != "/usr/bin/vim.basic" {
		t.Errorf("editor: %v %v", got, err)
	}
	if got, err := showCurrent(ctx, nil, dir, "php"); err != nil || got != false {
		t.Errorf("missing: %v %v", got, err)
	}
	if _, err := showCurrent(ctx, nil, filepath.Join(dir, "none"), "editor"); err == nil {
		t.Error("no alternatives dir: no error")
	}
	if _, ok := Lookup("alternatives.show_current"); !ok {
		t.Error("not registered")
	}
}
