// Package logging builds the slog loggers the binaries use.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Options say how a binary logs (log_level, log_format, log_file).
type Options struct {
	Level string
	// Format is "text" (the default) or "json" (one object per line).
	Format string
	// File, when set, receives the log (appended, mode 0640) instead of
	// stderr.
	File string
}

// New returns a text logger at level ("debug", "info", "warn", "error").
func New(w io.Writer, level string) (*slog.Logger, error) {
	return NewWith(w, Options{Level: level})
}

// Open is NewWith on stderr or o.File; the returned close function closes
// the file (a no-op for stderr).
func Open(o Options) (*slog.Logger, func() error, error) {
	if o.File == "" {
		l, err := NewWith(os.Stderr, o)
		return l, func() error { return nil }, err
	}
	if err := os.MkdirAll(filepath.Dir(o.File), 0o750); err != nil {
		return nil, nil, fmt.Errorf("log_file: %w", err)
	}
	f, err := os.OpenFile(o.File, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("log_file: %w", err)
	}
	l, err := NewWith(f, o)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return l, f.Close, nil
}

// NewWith returns a logger writing to w as o says.
func NewWith(w io.Writer, o Options) (*slog.Logger, error) {
	l, err := parseLevel(o.Level)
	if err != nil {
		return nil, fmt.Errorf("log_level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(o.Format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log_format: %w", checkFormat(o.Format))
}

// Check reports what is wrong with the log settings, by config key
// (log_level, log_format), for a config loader to name its line.
func Check(o Options) (key string, err error) {
	if _, err := parseLevel(o.Level); err != nil {
		return "log_level", err
	}
	if err := checkFormat(o.Format); err != nil {
		return "log_format", err
	}
	return "", nil
}

func checkFormat(f string) error {
	switch strings.ToLower(f) {
	case "", "text", "json":
		return nil
	}
	return fmt.Errorf("unknown format %q (text or json)", f)
}

func parseLevel(level string) (slog.Level, error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug", "trace", "all", "garbage", "profile":
		l = slog.LevelDebug
	case "", "info":
		l = slog.LevelInfo
	case "warn", "warning":
		l = slog.LevelWarn
	case "error", "critical", "quiet":
		l = slog.LevelError
	default:
		return l, fmt.Errorf("unknown level %q (debug, info, warning, error)", level)
	}
	return l, nil
}
