package logging

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
)

func TestNewLevels(t *testing.T) {
	tests := []struct {
		level string
		want  slog.Level
	}{
		{"", slog.LevelInfo},
		{"info", slog.LevelInfo},
		{"INFO", slog.LevelInfo},
		{"debug", slog.LevelDebug},
		{"Debug", slog.LevelDebug},
		{"trace", slog.LevelDebug},
		{"all", slog.LevelDebug},
		{"warn", slog.LevelWarn},
		{"warning", slog.LevelWarn},
		{"WARNING", slog.LevelWarn},
		{"error", slog.LevelError},
		{"critical", slog.LevelError},
		{"quiet", slog.LevelError},
	}
	ctx := context.Background()
	for _, tt := range tests {
		var buf bytes.Buffer
		log, err := New(&buf, tt.level)
		if err != nil {
			t.Errorf("New(%q): %v", tt.level, err)
			continue
		}
		for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
			if got, want := log.Enabled(ctx, l), l >= tt.want; got != want {
				t.Errorf("New(%q).Enabled(%v) = %v, want %v", tt.level, l, got, want)
			}
		}
	}
}

func TestNewWritesText(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("shown", "id", "web1")
	out := buf.String()
	if strings.Contains(out, "hidden") {
		t.Errorf("debug line written at info: %q", out)
	}
	if !strings.Contains(out, "level=INFO") || !strings.Contains(out, `msg=shown`) || !strings.Contains(out, "id=web1") {
		t.Errorf("output %q is not slog text", out)
	}
}

func TestNewUnknownLevel(t *testing.T) {
	for _, level := range []string{"verbose", "informational", "5", " info"} {
		log, err := New(&bytes.Buffer{}, level)
		if err == nil {
			t.Errorf("New(%q) = %v, want an error", level, log)
			continue
		}
		if log != nil {
			t.Errorf("New(%q) returned a logger with its error", level)
		}
		if !strings.Contains(err.Error(), level) || !strings.Contains(err.Error(), "debug") {
			t.Errorf("New(%q) error %q should name the level and the choices", level, err)
		}
	}
}

func TestJSONFormatAndFile(t *testing.T) {
	var b bytes.Buffer
	l, err := NewWith(&b, Options{Level: "info", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello", "id", "web-1")
	if !strings.HasPrefix(b.String(), `{"time":`) || !strings.Contains(b.String(), `"msg":"hello","id":"web-1"}`) {
		t.Errorf("json log line: %s", b.String())
	}
	if _, err := NewWith(&b, Options{Format: "xml"}); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Errorf("bad format: %v", err)
	}
	path := t.TempDir() + "/sub/master.log"
	l, closeFn, err := Open(Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("to the file")
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !strings.Contains(string(got), "msg=\"to the file\"") {
		t.Errorf("log_file holds %q", got)
	}
}
