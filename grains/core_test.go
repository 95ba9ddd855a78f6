package grains

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestOSArch(t *testing.T) {
	for _, c := range []struct{ cpu, family, want string }{
		{"x86_64", "Debian", "amd64"}, {"aarch64", "Debian", "arm64"}, {"armv7l", "Debian", "armhf"},
		{"i686", "Debian", "i386"}, {"x86_64", "RedHat", "x86_64"}, {"aarch64", "Suse", "aarch64"},
	} {
		if got := osArch(c.cpu, c.family); got != c.want {
			t.Errorf("osArch(%s, %s) = %s, want %s", c.cpu, c.family, got, c.want)
		}
	}
}

func TestInitGrain(t *testing.T) {
	write := func(root, p, content string) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)

	sysd := t.TempDir()
	if err := os.MkdirAll(filepath.Join(sysd, "run/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := (collector{root: sysd, logger: log}).initSystem(ctx); got != "systemd" {
		t.Errorf("with /run/systemd/system: %s", got)
	}

	tini := t.TempDir()
	write(tini, "proc/1/cmdline", "/usr/bin/tini\x00--\x00app\x00")
	if got := (collector{root: tini, logger: log}).initSystem(ctx); got != "tini" {
		t.Errorf("tini: %s", got)
	}

	upstart := t.TempDir()
	write(upstart, "proc/1/cmdline", "/sbin/init\x00")
	write(upstart, "sbin/init", "\x7fELF... upstart ...")
	if got := (collector{root: upstart, logger: log}).initSystem(ctx); got != "upstart" {
		t.Errorf("upstart: %s", got)
	}

	other := t.TempDir()
	write(other, "proc/1/cmdline", "/bin/sleep\x00infinity\x00")
	if got := (collector{root: other, logger: log}).initSystem(ctx); got != "unknown" {
		t.Errorf("sleep as PID 1: %s", got)
	}
	if got := (collector{root: t.TempDir(), logger: log}).initSystem(ctx); got != "unknown" {
		t.Errorf("no /proc: %s", got)
	}
}

func TestCoreGrains(t *testing.T) {
	g := map[string]any{"cpuarch": "x86_64", "os_family": "Debian"}
	collector{root: t.TempDir(), logger: slog.New(slog.DiscardHandler)}.coreGrains(context.Background(), g)
	for _, k := range []string{"saltversion", "saltversioninfo", "pythonversion", "osarch", "init", "path", "systempath", "shell", "pid", "efi", "virtual", "locale_info"} {
		if _, ok := g[k]; !ok {
			t.Errorf("grain %s missing", k)
		}
	}
	if g["osarch"] != "amd64" || g["saltversion"] != "3006.1" {
		t.Errorf("osarch %v saltversion %v", g["osarch"], g["saltversion"])
	}
}
