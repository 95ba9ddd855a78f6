package modules

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileOwnerAndContainsRegex(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(p, []byte("Port 22\nPermitRootLogin   no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if got := mustCall(t, nil, "file.get_user", []any{p}, nil); got != me.Username {
		t.Errorf("get_user = %v, want %s", got, me.Username)
	}
	if got := mustCall(t, nil, "file.get_uid", []any{p}, nil); got != int64(os.Getuid()) {
		t.Errorf("get_uid = %v", got)
	}
	if got := mustCall(t, nil, "file.get_group", []any{filepath.Join(dir, "missing")}, nil); got != false {
		t.Errorf("get_group of a missing file = %v, want false", got)
	}
	if got := mustCall(t, nil, "file.get_gid", []any{filepath.Join(dir, "missing")}, nil); got != int64(-1) {
		t.Errorf("get_gid of a missing file = %v, want -1", got)
	}
	for re, want := range map[string]bool{`^PermitRootLogin\s+no`: true, `^Port 2[0-1]$`: false, `Root`: true} {
		if got := mustCall(t, nil, "file.contains_regex", []any{p, re}, nil); got != want {
			t.Errorf("contains_regex %q = %v, want %v", re, got, want)
		}
	}
	if _, err := call(t, t.Context(), nil, "file.contains_regex", []any{p, `(unclosed`}, nil); err == nil {
		t.Error("a bad regular expression was taken")
	}
	if got := mustCall(t, nil, "cmd.which", []any{"sh"}, nil); got == nil || !strings.HasSuffix(got.(string), "/sh") {
		t.Errorf("cmd.which sh = %v", got)
	}
	if got := mustCall(t, nil, "cmd.which", []any{"brine-no-such-tool"}, nil); got != nil {
		t.Errorf("cmd.which of a missing tool = %v, want None", got)
	}
	if out, rc := runRet(t, "cmd.shell", []any{"echo a b | tr a-z A-Z"}, nil); out != "A B" || rc != 0 {
		t.Errorf("cmd.shell = %v %d", out, rc)
	}
}
