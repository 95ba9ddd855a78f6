//go:build !darwin && !dragonfly && !freebsd && !linux && !netbsd && !openbsd

package output

import "os"

// IsTerminal reports whether f is a terminal: on this system, whether it
// is a character device.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
